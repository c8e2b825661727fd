"""The JSON report API under /api/v1, authenticated by personal tokens (`sipas collector tokens
create`), exempt from CSRF, in the same error shape as the ingest API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from collector.api.auth import INTEGRATION, KIOSK, PERSON, token_required
from collector.api.errors import error_response
from collector.api.openapi import error_reply as _error
from collector.db import get_session
from collector.periods import Period
from collector.reports import service
from collector.reports.render import report_json, report_schema
from shared import questionnaires

bp = Blueprint("reports_api", __name__)


#: A kiosk from another vendor follows the ingest contract with its own credentials and must learn
#: the question codes and versions to send; the questionnaires are public knowledge, so the one-stop
#: software's integrations may read them too.
bp.before_request(
    token_required(PERSON, also={"reports_api.questionnaire_definitions": (INTEGRATION, KIOSK)})
)


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reports")
@bp.get("/reports/weekly")
def report():
    """The report of `unit` (default: the token's own unit) for `period` (default: the last
    complete week); `week` is the older name of `period`."""
    text = request.args.get("period") or request.args.get("week") or "last"
    try:
        period = Period.parse(text)
    except ValueError as exc:  # PeriodError, or any other value the calendar has not
        if getattr(exc, "code", "invalid") == "future":
            return error_response("not-found", "The period has not begun.")
        return error_response("invalid-request", str(exc))
    include = request.args.get("include") == "1"
    if include and g.api_user.role == "viewer":
        return error_response("forbidden", "Viewers cannot include left-out responses.")
    session = get_session()
    try:
        built = service.build_report_for(
            session,
            current_app.config,
            user=g.api_user,
            unit_code=request.args.get("unit"),
            period=period,
            include_unofficial=include,
            via="api",
        )
    except service.ReportNotFound:
        return error_response("not-found", "No such unit in your scope.")
    session.commit()
    return jsonify(report_json(built))


@bp.get("/questionnaires")
def questionnaire_definitions():
    """Every questionnaire with its factors, items and codes (texts as English message ids)."""
    scale, reasons = questionnaires.common()
    return jsonify(
        {
            "scale": [{"value": level.value, "label": level.label} for level in scale],
            "reasons": [{"code": r.code, "label": r.label} for r in reasons],
            "questionnaires": [
                {
                    "kind": q.kind,
                    "version": q.version,
                    "variant": q.variant,
                    "title": q.title,
                    "method": q.method,
                    "own_wording": q.own_wording,
                    "source": q.source,
                    "overall": {"code": q.overall.code, "text": q.overall.text}
                    if q.overall
                    else None,
                    "factors": [
                        {
                            "code": f.code,
                            "title": f.title,
                            "items": [{"code": i.code, "text": i.text} for i in f.items],
                        }
                        for f in q.factors
                    ],
                    "reasons": q.reasons,
                }
                for q in sorted(
                    questionnaires.registry().values(), key=lambda q: (q.kind, q.version)
                )
            ],
        }
    )


#: Component names of the report's types: "Report", "ReportKindReport", "ReportSummary", ...
SCHEMA_PREFIX = "Report"


def report_components() -> dict[str, Any]:
    """The report's JSON schema, from the same types as the JSON, as OpenAPI components."""
    schema = report_schema(ref_template="#/components/schemas/" + SCHEMA_PREFIX + "{model}")
    defs = schema.pop("$defs", {})
    components = {SCHEMA_PREFIX + name: body for name, body in defs.items()}
    components[SCHEMA_PREFIX] = schema
    return components


def _report_operation(operation_id: str, summary: str, parameter: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": (
                "Every figure of the report page, from the typed report: per kind of service "
                "the index with its interval, verdict, counts and parts; factors, criteria, the "
                "overall question, comprehensive satisfaction (health), the units below, the "
                "trend, alerts, breakdowns by channel, counter, procedure and (for managers and "
                "admins only) officer, hours, reasons, comments, responses left out, the "
                "response rate of receipts and the index per channel. Percentages have two "
                "decimals; null means no data."
            ),
            "security": [{"personalToken": []}],
            "parameters": [
                {
                    "name": parameter,
                    "in": "query",
                    "schema": {"type": "string", "maxLength": 40},
                    "description": (
                        "A week (2026-W48), month (2026-11), quarter (2026-Q3), year (2026), "
                        "date range (2026-10-01..2026-11-15), 'last' (the last complete week) "
                        "or 'this', in Vietnam time; default: last"
                    ),
                },
                {
                    "name": "unit",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "Unit code; default: the token owner's unit",
                },
                {
                    "name": "include",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["0", "1"]},
                    "description": "1: include suspicious and broken-chain responses (audited)",
                },
            ],
            "responses": {
                "200": {
                    "description": "The report",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/" + SCHEMA_PREFIX}
                        }
                    },
                },
                "400": _error("Not a period, or one outside the calendar"),
                "401": _error("Missing, unknown, expired or revoked personal token"),
                "403": _error("Viewers cannot include left-out responses"),
                "404": _error("No such unit in the token owner's scope, or a period not begun"),
            },
        }
    }


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/reports": _report_operation(
        "getReport",
        "The satisfaction report of a unit and every unit below it, for any period",
        "period",
    ),
    "/api/v1/reports/weekly": _report_operation(
        "getWeeklyReport", "The same report (older address; `week` is `period`)", "week"
    ),
    "/api/v1/questionnaires": {
        "get": {
            "operationId": "getQuestionnaires",
            "summary": "Every questionnaire with its factors, items and codes",
            "description": (
                "Readable with a personal token or with a kiosk's own token, so that a kiosk "
                "of any vendor can learn the questionnaire versions, question codes and reason "
                "codes it must send."
            ),
            "security": [{"personalToken": []}, {"kioskToken": []}],
            "responses": {
                "200": {
                    "description": "The definitions (texts are English message ids)",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "401": _error("Missing, unknown, expired or revoked personal or kiosk token"),
            },
        }
    },
}

OPENAPI_COMPONENTS: dict[str, dict[str, Any]] = {"schemas": report_components()}
