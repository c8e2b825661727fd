"""`POST /api/v1/receipts`: a dossier's rating code for the one-stop software, with an
integration token (`sipas collector integrations create`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from collector.accounts.scope import in_subtree
from collector.api.auth import INTEGRATION, token_required
from collector.api.errors import error_response
from collector.api.openapi import error_reply
from collector.api.views import json_body
from collector.db import get_session
from collector.problems import RequestProblem
from collector.receipts.service import (
    ReceiptError,
    issue_receipt,
    issued_reply,
    parse_request,
    receipt_for_token,
    short_url,
)
from collector.receipts.settings import app_key, public_url
from shared.db import utcnow
from shared.qr import qr_png, qr_svg

bp = Blueprint("receipts_api", __name__)

#: How stale an integration's "last used" may get: writing it on every request would add a second
#: write per receipt, and on PostgreSQL make every request wait for the same row's lock.
LAST_USED_EVERY = dt.timedelta(minutes=1)
#: The images of a code never change: the caller may keep them, shared caches may not.
QR_CACHE = "private, max-age=86400"


def mark_used(integration) -> None:
    """Note that the integration was used (at most every LAST_USED_EVERY); the caller commits."""
    now = utcnow()
    last = integration.last_used_at
    if last is None or now - last >= LAST_USED_EVERY:
        integration.last_used_at = now


def integration_api(blueprint: Blueprint) -> Blueprint:
    """Make a blueprint an integration-token API: the one bearer check (`collector.api.auth`), no
    caching, one error shape. The receipts' own blueprint and every other API of the one-stop
    software go through it."""
    blueprint.before_request(token_required(INTEGRATION))
    blueprint.after_request(no_store)
    blueprint.register_error_handler(RequestProblem, _problem)
    return blueprint


def no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _problem(problem: RequestProblem):
    return error_response(problem.code, problem.message)


integration_api(bp)


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
    mark_used(g.integration)
    session.commit()
    reply = issued_reply(issued, public_url(fallback=request.url_root))
    return jsonify(reply), 201 if issued.created else 200


def _qr_image(token: str, draw, mimetype: str):
    """A receipt's QR image for the integration that may issue for its unit; 404 otherwise."""
    session = get_session()
    # A forged or altered token is refused before the database is asked.
    receipt = receipt_for_token(session, app_key(), token)
    if receipt is None or not in_subtree(session, g.integration.unit_id, receipt.unit_id):
        session.rollback()
        return error_response("not-found", "No receipt with this code among this token's units.")
    session.rollback()
    data = draw(short_url(public_url(fallback=request.url_root), token))
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = QR_CACHE
    return response


@bp.get("/receipts/<token>/qr.png")
def receipt_qr_png(token: str):
    """The QR code of a receipt as a PNG image, to print on the receipt."""
    return _qr_image(token, qr_png, "image/png")


@bp.get("/receipts/<token>/qr.svg")
def receipt_qr_svg(token: str):
    """The QR code of a receipt as an SVG image, to print on the receipt."""
    return _qr_image(token, qr_svg, "image/svg+xml")


_CODE = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/receipts": {
        "post": {
            "operationId": "postReceipt",
            "summary": "Issue the rating code (QR) of a dossier's receipt",
            "description": (
                "For the one-stop software: the link and QR code to print on the receipt "
                "(Giấy tiếp nhận hồ sơ và hẹn trả kết quả). Issuing again for the same dossier "
                "of the same unit returns the same token (200 instead of 201); the same code for "
                "another unit is another dossier, with its own token. A code dated more than a "
                "day ahead (Vietnam time) is refused. The collector stores only an HMAC of the "
                "unit and dossier code. The citizen rates once at the link, on a phone, until the "
                "code expires. The reply links to the QR images (`qr_png`, `qr_svg`) instead of "
                "carrying them: fetch them with the same integration token."
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
                "400": error_reply(
                    "Malformed JSON, an invalid dossier code (invalid-dossier, the message says "
                    "which part; also a code not in ASCII or dated more than a day ahead), an "
                    "unknown unit or a bad field (invalid-request)"
                ),
                "401": error_reply("Missing, unknown or revoked integration token"),
                "403": error_reply("The unit is outside the integration token's units"),
                "413": error_reply("Body larger than the limit"),
                "415": error_reply("Body not sent as application/json"),
            },
        }
    },
    **{
        f"/api/v1/receipts/{{token}}/qr.{kind}": {
            "get": {
                "operationId": f"getReceiptQr{kind.title()}",
                "summary": f"The QR code of a receipt as {kind.upper()}",
                "description": (
                    "The image encoding the receipt's short URL (error correction M), the link "
                    f"`qr_{kind}` of the issuing reply. Only for an integration token whose units "
                    "hold the receipt's unit; the image never changes, so it may be kept "
                    "(`Cache-Control: private`)."
                ),
                "security": [{"integrationToken": []}],
                "parameters": [
                    {
                        "name": "token",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{19}$"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": f"The QR code as {kind.upper()}",
                        "content": {mimetype: {"schema": {"type": "string", **encoding}}},
                    },
                    "401": error_reply("Missing, unknown or revoked integration token"),
                    "404": error_reply(
                        "A forged or unknown code, or a receipt outside the token's units"
                    ),
                },
            }
        }
        for kind, mimetype, encoding in (
            ("png", "image/png", {"contentMediaType": "image/png"}),
            ("svg", "image/svg+xml", {"contentMediaType": "image/svg+xml"}),
        )
    },
}

OPENAPI_COMPONENTS: dict[str, Any] = {
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
                    "pattern": r"^[A-Za-z0-9.]+-[0-9]{6}-[0-9]{4}$",
                },
                "unit": {**_CODE, "description": "Code of the unit"},
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
            "required": [
                "token",
                "url",
                "expires_at",
                "created",
                "state",
                "qr",
                "qr_png",
                "qr_svg",
            ],
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
                    "required": ["version", "error_correction"],
                    "properties": {
                        "version": {"type": "integer", "minimum": 1, "maximum": 40},
                        "error_correction": {"type": "string", "enum": ["M"]},
                    },
                },
                "qr_png": {
                    "type": "string",
                    "format": "uri",
                    "description": "GET it (integration token) for the QR code as PNG",
                },
                "qr_svg": {
                    "type": "string",
                    "format": "uri",
                    "description": "GET it (integration token) for the QR code as SVG",
                },
            },
        },
    },
}
