"""The JSON report API under /api/v1, authenticated by personal tokens (`sipas collector tokens
create`), exempt from CSRF, in the same error shape as the ingest API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from collector.accounts.service import user_for_token
from collector.api.errors import error_response
from collector.db import get_session
from collector.kiosks import kiosk_for_token
from collector.receipts.service import integration_for_token
from collector.reports.render import report_json
from collector.reports.service import ReportNotFound, build_weekly_report
from collector.reports.weeks import Week
from shared import questionnaires

bp = Blueprint("reports_api", __name__)


@bp.before_request
def authenticate_person():
    """Find the calling person by their personal bearer token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return error_response(
            "missing-token", "An 'Authorization: Bearer <personal token>' header is required."
        )
    session = get_session()
    if request.endpoint == "reports_api.questionnaire_definitions" and integration_for_token(
        session, token
    ):
        # The questionnaires are public knowledge; integrations may read them too.
        session.rollback()
        return None
    user = user_for_token(session, token)
    if user is None and request.endpoint in KIOSK_READABLE and _live_kiosk(session, token):
        session.rollback()
        return None
    if user is None:
        session.rollback()
        return error_response("invalid-token", "The token is not known, expired or revoked.")
    session.commit()
    g.api_user = user
    return None


#: Endpoints a kiosk's own token may read too: a kiosk from another vendor follows the ingest
#: contract with its own credentials and must learn the question codes and versions to send.
KIOSK_READABLE = frozenset({"reports_api.questionnaire_definitions"})


def _live_kiosk(session, token: str) -> bool:
    """Whether `token` is the token of a registered kiosk that is not revoked."""
    kiosk = kiosk_for_token(session, token)
    return kiosk is not None and kiosk.revoked_at is None


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reports/weekly")
def weekly_report():
    """The weekly report of `unit` (default: the token's own unit) for `week` (default: last)."""
    try:
        week = Week.parse(request.args.get("week") or "last")
    except ValueError as exc:
        return error_response("invalid-request", str(exc))
    include = request.args.get("include") == "1"
    if include and g.api_user.role == "viewer":
        return error_response("forbidden", "Viewers cannot include left-out responses.")
    session = get_session()
    try:
        report = build_weekly_report(
            session,
            current_app.config,
            user=g.api_user,
            unit_code=request.args.get("unit"),
            week=week,
            include_unofficial=include,
            via="api",
        )
    except ReportNotFound:
        return error_response("not-found", "No such unit in your scope.")
    session.commit()
    return jsonify(report_json(report))


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


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RequestError"}}},
    }


_NUMBER_OR_NULL = {"type": ["number", "null"]}
_INTERVAL = {
    "type": ["array", "null"],
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 2,
    "description": "95 % interval in percent: bootstrap over respondents for indices",
}
_SUMMARY = {
    "type": "object",
    "required": ["index", "target", "verdict", "responses", "ci95"],
    "properties": {
        "index": {**_NUMBER_OR_NULL, "description": "Percent, two decimals"},
        "target": {"type": "number"},
        "verdict": {"type": "string", "enum": ["meets", "misses", "not-enough-data"]},
        "responses": {"type": "integer"},
        "answers": {"type": "integer"},
        "ci95": _INTERVAL,
        "units_with_data": {"type": "integer"},
    },
}

#: A row by procedure (`procedure`) or by officer (`unit`, `officer`).
_GROUP = {
    "type": "object",
    "required": ["kind", "responses", "answers", "satisfied_share", "ci95"],
    "properties": {
        "kind": {"type": "string"},
        "procedure": {"type": "string"},
        "unit": {"type": "string"},
        "officer": {"type": "string"},
        "responses": {"type": "integer"},
        "answers": {"type": "integer"},
        "satisfied_share": {**_NUMBER_OR_NULL, "description": "Percent, two decimals"},
        "ci95": {**_INTERVAL, "description": "95 % Wilson interval in percent"},
    },
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/reports/weekly": {
        "get": {
            "operationId": "getWeeklyReport",
            "summary": "The weekly satisfaction report of a unit and every unit below it",
            "security": [{"personalToken": []}],
            "parameters": [
                {
                    "name": "week",
                    "in": "query",
                    "schema": {"type": "string", "pattern": r"^(\d{4}-W\d{2}|last|this)$"},
                    "description": "ISO week in Vietnam time; default: last",
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
                    "description": "Per kind of service: index, target, verdict, counts, interval",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/WeeklyReport"}
                        }
                    },
                },
                "400": _error("Not an ISO week"),
                "401": _error("Missing, unknown, expired or revoked personal token"),
                "403": _error("Viewers cannot include left-out responses"),
                "404": _error("No such unit in the token owner's scope"),
            },
        }
    },
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

OPENAPI_COMPONENTS: dict[str, dict[str, Any]] = {
    "securitySchemes": {
        "personalToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token printed by `sipas collector tokens create EMAIL`",
        }
    },
    "schemas": {
        "WeeklyReport": {
            "type": "object",
            "required": ["week", "unit", "kinds"],
            "properties": {
                "week": {"type": "string"},
                "week_start": {"type": "string", "format": "date"},
                "week_end": {"type": "string", "format": "date"},
                "unit": {"type": "object"},
                "min_responses": {"type": "integer"},
                "includes_unofficial": {"type": "boolean"},
                "unofficial": {"type": "object"},
                "procedures": {
                    "type": "array",
                    "description": "Results by procedure code, pooled share with a Wilson interval",
                    "items": _GROUP,
                },
                "officers": {
                    "type": "array",
                    "description": (
                        "Results by officer code within a unit: present for managers and admins "
                        "only, and only for officers with at least `officers_min_responses` "
                        "responses in the week (`officers_hidden` says how many were left out)"
                    ),
                    "items": _GROUP,
                },
                "officers_hidden": {"type": "integer"},
                "officers_min_responses": {"type": "integer"},
                "kinds": {
                    "type": "object",
                    "additionalProperties": {
                        "allOf": [
                            _SUMMARY,
                            {
                                "type": "object",
                                "required": ["method", "factors", "children"],
                                "properties": {
                                    "method": {"type": "string", "enum": ["sipas", "pooled"]},
                                    "rollup": {
                                        "type": "string",
                                        "enum": ["mean-of-units", "single-unit"],
                                    },
                                    "change": _NUMBER_OR_NULL,
                                    "factors": {"type": "object"},
                                    "children": {
                                        "type": "object",
                                        "additionalProperties": _SUMMARY,
                                    },
                                    "trend": {"type": "array"},
                                },
                            },
                        ]
                    },
                },
            },
        }
    },
}
