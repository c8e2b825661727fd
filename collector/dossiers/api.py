"""`POST /api/v1/dossier-events`: the one-stop software reports what happened to its dossiers,
with the integration token it issues receipts with (the same bearer check and scope)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from collector.api.errors import error_response
from collector.api.views import json_body
from collector.db import get_session
from collector.dossiers.parse import MAX_EVENTS
from collector.dossiers.service import Recorder
from collector.models.dossiers import DOSSIER_EVENT_KINDS
from collector.problems import EVENT_PROBLEMS
from collector.receipts.api import integration_api, mark_used
from collector.receipts.settings import app_key

bp = integration_api(Blueprint("dossiers_api", __name__))


@bp.post("/dossier-events")
def post_dossier_events():
    """Record a batch of dossier status events; one result per event, in order."""
    body = json_body()
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list) or set(body) != {"events"}:
        return error_response("invalid-request", 'The body must be {"events": [...]}.')
    if not 1 <= len(events) <= MAX_EVENTS:
        return error_response("invalid-request", f"A batch holds 1 to {MAX_EVENTS} events.")
    session = get_session()
    recorder = Recorder(session, app_key(), integration=g.integration)
    results = []
    for event, (status, error) in zip(events, recorder.record_each(events), strict=True):
        result: dict[str, Any] = {"status": status}
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            result["id"] = event["id"][:64]
        if error is not None:
            result.update(code=error.code, message=str(error))
        results.append(result)
    mark_used(g.integration)
    session.commit()
    return jsonify({"results": results})


_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/RequestError"}}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/dossier-events": {
        "post": {
            "operationId": "postDossierEvents",
            "summary": "Report dossiers' status events (received, settled, refused...)",
            "description": (
                "For the one-stop software, with its integration token: what happened to each "
                "dossier after it was received. An event names its dossier by the receipt's "
                "token, or by the dossier code and the code of the unit that received it (the "
                "collector matches it through the same HMAC the receipt keeps; the code is never "
                "stored). Sending an event again is safe: the same `id` for the same dossier "
                "with the same content is `duplicate`; with other content it is rejected "
                "(`conflict`). Events may arrive in any order: a dossier's state is folded from "
                "its events ordered by `at`. A `settled` event carries the due date: settled on "
                "or before it (Vietnam's calendar) is on time, after it late. The receiving and "
                "the settling unit may differ (`settling_unit`); both must be among the token's "
                "units. A dossier code of a unit outside them is rejected `forbidden`, a receipt "
                "token outside them `unknown-receipt`, as for receipts and their QR images. "
                f"One result per event, in order; at most {MAX_EVENTS} events per request."
            ),
            "security": [{"integrationToken": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/DossierEventBatch"}
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "One result per event",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/DossierEventResults"}
                        }
                    },
                },
                "400": {"description": "Malformed JSON or not a batch", "content": _ERROR},
                "401": {
                    "description": "Missing, unknown or revoked integration token",
                    "content": _ERROR,
                },
                "413": {"description": "Body larger than the limit", "content": _ERROR},
                "415": {"description": "Body not sent as application/json", "content": _ERROR},
            },
        }
    }
}

_UNIT = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "DossierEvent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "kind", "at"],
            "properties": {
                "id": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
                    "description": "The event's id, unique per dossier (e.g. a UUID); "
                    "never the dossier code",
                },
                "kind": {"type": "string", "enum": list(DOSSIER_EVENT_KINDS)},
                "at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When it happened, with its offset",
                },
                "receipt": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9_-]{19}$",
                    "description": "The receipt's token (instead of `dossier`)",
                },
                "dossier": {
                    "type": "string",
                    "maxLength": 64,
                    "pattern": r"^[A-Za-z0-9.]+-[0-9]{6}-[0-9]{4}$",
                    "description": "The dossier code (instead of `receipt`), with `unit`",
                },
                "unit": {**_UNIT, "description": "Code of the unit that received the dossier"},
                "settling_unit": {
                    **_UNIT,
                    "description": "Code of the unit that settled, refused or returned it, "
                    "when not the receiving unit",
                },
                "due_date": {
                    "type": "string",
                    "format": "date",
                    "description": "The date the result is due; required on `settled`",
                },
            },
        },
        "DossierEventBatch": {
            "type": "object",
            "additionalProperties": False,
            "required": ["events"],
            "properties": {
                "events": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_EVENTS,
                    "items": {"$ref": "#/components/schemas/DossierEvent"},
                }
            },
        },
        "DossierEventResults": {
            "type": "object",
            "additionalProperties": False,
            "required": ["results"],
            "properties": {
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["status"],
                        "properties": {
                            "id": {"type": "string"},
                            "status": {
                                "type": "string",
                                "enum": ["accepted", "duplicate", "rejected"],
                            },
                            "code": {"type": "string", "enum": sorted(EVENT_PROBLEMS)},
                            "message": {"type": "string"},
                        },
                    },
                }
            },
        },
    }
}
