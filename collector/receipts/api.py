"""`POST /api/v1/receipts`: a dossier's rating code for the one-stop software, with an
integration token (`sipas collector integrations create`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from collector.api.errors import error_response
from collector.api.views import json_body
from collector.db import get_session
from collector.problems import RequestProblem
from collector.receipts import app_key, public_url
from collector.receipts.service import (
    ReceiptError,
    integration_for_token,
    issue_receipt,
    issued_reply,
    parse_request,
)
from shared.db import utcnow

bp = Blueprint("receipts_api", __name__)


def bearer_integration():
    """The live integration token of the request's bearer header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return integration_for_token(get_session(), token)


@bp.before_request
def authenticate_integration():
    """Find the calling integration by its bearer token."""
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    if not request.headers.get("Authorization", "").strip():
        return error_response(
            "missing-token", "An 'Authorization: Bearer <integration token>' header is required."
        )
    integration = bearer_integration()
    if integration is None:
        get_session().rollback()
        return error_response("invalid-token", "The integration token is not known or revoked.")
    g.integration = integration
    return None


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(RequestProblem)
def _problem(problem: RequestProblem):
    return error_response(problem.code, problem.message)


@bp.post("/receipts")
def post_receipt():
    """Issue (or find again) the rating code of a dossier; reply with its link and QR code."""
    session = get_session()
    try:
        wanted = parse_request(json_body())
        issued = issue_receipt(
            session,
            wanted,
            key=app_key(),
            public_url=public_url(fallback=request.url_root),
            ttl_days=current_app.config["RECEIPT_TTL_DAYS"],
            integration=g.integration,
        )
    except ReceiptError as exc:
        session.rollback()
        if "outside" in exc.message_id:
            return error_response("forbidden", str(exc))
        code = "invalid-dossier" if exc.field == "dossier" else "invalid-request"
        return error_response(code, str(exc))
    g.integration.last_used_at = utcnow()
    session.commit()
    return jsonify(issued_reply(issued)), 201 if issued.created else 200


_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/RequestError"}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _ERROR}


_CODE = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/receipts": {
        "post": {
            "operationId": "postReceipt",
            "summary": "Issue the rating code (QR) of a dossier's receipt",
            "description": (
                "For the one-stop software: the link and QR code to print on the receipt "
                "(Giấy tiếp nhận hồ sơ và hẹn trả kết quả). Issuing again for the same dossier "
                "returns the same token (200 instead of 201). The collector stores only an HMAC "
                "of the dossier code. The citizen rates once at the link, on a phone, until the "
                "code expires."
            ),
            "security": [{"integrationToken": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ReceiptRequest"}}
                },
            },
            "responses": {
                "200": {
                    "description": "The code this dossier already had",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}
                    },
                },
                "201": {
                    "description": "A new code",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}
                    },
                },
                "400": _error(
                    "Malformed JSON, an invalid dossier code (invalid-dossier, the message says "
                    "which part), an unknown unit or a bad field (invalid-request)"
                ),
                "401": _error("Missing, unknown or revoked integration token"),
                "403": _error("The unit is outside the integration token's units"),
                "413": _error("Body larger than the limit"),
                "415": _error("Body not sent as application/json"),
            },
        }
    }
}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "integrationToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The token printed by `sipas collector integrations create`",
        }
    },
    "schemas": {
        "ReceiptRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["dossier", "unit"],
            "properties": {
                "dossier": {
                    "type": "string",
                    "maxLength": 64,
                    "description": (
                        "Dossier code per Circular 01/2018/TT-VPCP art. 19: unit code, received "
                        "date YYMMDD, 4-digit sequence, e.g. 000.00.12.H40-260302-0001"
                    ),
                    "pattern": r"^[A-Za-z0-9.]+-\d{6}-\d{4}$",
                },
                "unit": {"type": "string", "minLength": 1, "description": "Code of the unit"},
                "questionnaire": {
                    "type": "string",
                    "enum": ["admin", "health", "education"],
                    "default": "admin",
                },
                "procedure": {**_CODE, "description": "Procedure code (mã thủ tục)"},
                "officer": {**_CODE, "description": "Code of the officer handling the dossier"},
                "due_date": {"type": "string", "format": "date"},
            },
        },
        "Receipt": {
            "type": "object",
            "additionalProperties": False,
            "required": ["token", "url", "expires_at", "created", "state", "qr"],
            "properties": {
                "token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{19}$"},
                "url": {"type": "string", "format": "uri"},
                "expires_at": {"type": "string", "format": "date-time"},
                "created": {"type": "boolean"},
                "state": {
                    "type": "string",
                    "enum": ["issued", "opened", "answered", "expired", "revoked"],
                },
                "qr": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["version", "error_correction", "png", "svg"],
                    "properties": {
                        "version": {"type": "integer", "minimum": 1, "maximum": 40},
                        "error_correction": {"type": "string", "enum": ["M"]},
                        "png": {"type": "string", "contentEncoding": "base64"},
                        "svg": {"type": "string"},
                    },
                },
            },
        },
    },
}
