"""The OpenAPI 3.1 description of the collector's API, written by hand: the ingest contract other
kiosk vendors implement. It assembles: the schemas of what a kiosk sends come from the contract
(`collector.responses.contract`), error codes from the catalogue (`collector.problems`), limits from
the configuration's defaults, the security schemes from the token kinds (`collector.api.auth`), so
none can drift.

The other parts under /api/v1 (receipts, reports) add their own paths and schemas with
`extend(app, ...)` when they are set up; the served document (and the test that every /api/v1
route is described) covers them too.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from flask import Flask

from collector.api.auth import security_schemes
from collector.config import DEFAULTS
from collector.problems import ITEM_PROBLEMS, REQUEST_PROBLEMS
from collector.responses.contract import schemas
from shared.chain import CHAINED_FIELDS, OPTIONAL_CHAINED_FIELDS

VERSION = "1.0.0"

DESCRIPTION = f"""\
Kiosks (and other channels) upload citizens' satisfaction responses to a collector.

**Exactly once.** Each response carries an `id` (a UUID made on the device, preferably time-ordered
UUIDv7). Sending a response again is always safe: the same id with the same content is answered
`duplicate` and nothing new is stored; the same id with different content is `rejected` with code
`conflict`. A kiosk marks a response as sent only when its result is `accepted` or `duplicate`.

**Hash chain.** `kiosk_seq` counts a kiosk's responses 1, 2, 3, ... without gaps. `hash` is the
lower-case hex SHA-256 of the UTF-8 JSON object made of the fields
{", ".join(f"`{f}`" for f in CHAINED_FIELDS)} and `prev_hash` (a missing `comment` counts as null),
keys sorted, separators `,` and `:` without spaces, non-ASCII characters unescaped, times exactly as
sent. The optional fields {", ".join(f"`{f}`" for f in OPTIONAL_CHAINED_FIELDS)} are in that object
only when the response carries them with a value; absent or null, they are left out (not written
as null), so a response without them hashes exactly as before they existed. `prev_hash` is the
`hash` of the same kiosk's response with `kiosk_seq - 1`, or 64 zeros for the first. The collector
rejects a response whose hash does not match (`bad-hash`); a response whose `prev_hash` does not
match the stored previous one is accepted but recorded as a broken link.
Missing sequence numbers are recorded as gaps until they arrive.

**Errors.** A bad response is rejected on its own; the others in the batch are unaffected. Errors
of the whole request use one shape, `{{"error": {{"code", "message"}}}}`, with the codes listed in
the `RequestError` schema.
"""


def _problem(codes: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "enum": codes},
            "message": {"type": "string"},
        },
    }


def error_reply(description: str) -> dict[str, Any]:
    """A documented error reply: the API's one error shape, `RequestError`."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RequestError"}}},
    }


def _ingest_paths(errors: dict[str, Any]) -> dict[str, Any]:
    """The kiosk ingest API's paths: a batch of responses and a heartbeat."""
    return {
        "/api/v1/responses": {
            "post": {
                "operationId": "postResponses",
                "summary": "Upload a batch of responses",
                "description": (
                    f"At most {DEFAULTS['API_MAX_RESPONSES']} responses and "
                    f"{DEFAULTS['API_MAX_BODY_BYTES']} bytes per request. Send a kiosk's "
                    "responses in kiosk_seq order."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}
                    },
                },
                "responses": {
                    "200": {
                        "description": "One result per response, in the order sent",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/BatchResult"}
                            }
                        },
                    },
                    **errors,
                },
            }
        },
        "/api/v1/heartbeat": {
            "post": {
                "operationId": "postHeartbeat",
                "summary": "Report the kiosk's state and clock",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Heartbeat"}}
                    },
                },
                "responses": {
                    "200": {
                        "description": "Stored; the collector's clock and the offset",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/HeartbeatReply"}
                            }
                        },
                    },
                    **errors,
                },
            }
        },
    }


def _ingest_schemas() -> dict[str, Any]:
    """What a kiosk sends (from the contract, `collector.responses.contract`) and is answered."""
    contract = schemas()
    return {
        "Batch": contract["Batch"],
        "Response": contract["Response"],
        "BatchResult": {
            "type": "object",
            "additionalProperties": False,
            "required": ["results"],
            "properties": {
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/ItemResult"}}
            },
        },
        "ItemResult": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "status"],
            "properties": {
                "id": {"type": ["string", "null"]},
                "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
                "error": _problem(sorted(ITEM_PROBLEMS)),
            },
        },
        "Heartbeat": contract["Heartbeat"],
        "HeartbeatReply": {
            "type": "object",
            "additionalProperties": False,
            "required": ["received_at", "clock_offset_s"],
            "properties": {
                "received_at": {"type": "string", "format": "date-time"},
                "clock_offset_s": {
                    "type": "number",
                    "description": "Collector clock minus kiosk clock, in seconds",
                },
            },
        },
    }


@functools.cache
def _document() -> dict[str, Any]:
    """The document's frame (this document's own path, the error shape, the security schemes of
    `collector.api.auth`) with the kiosk ingest API's part; other parts are added per app."""
    common_errors = {
        "400": error_reply("Malformed JSON, or a body without the documented shape"),
        "401": error_reply("Missing, unknown or revoked kiosk token"),
        "413": error_reply("Body larger than the limit"),
        "415": error_reply("Body not sent as application/json"),
        "503": error_reply("Database busy or unreachable; nothing stored, retry later"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SIPAS collector ingest API",
            "version": VERSION,
            "description": DESCRIPTION,
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "security": [{"kioskToken": []}],
        "paths": {
            **_ingest_paths(common_errors),
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": security_schemes(),
            "schemas": {
                **_ingest_schemas(),
                "RequestError": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["error"],
                    "properties": {"error": _problem(sorted(REQUEST_PROBLEMS))},
                },
            },
        },
    }


EXTENSION = "sipas_openapi"


def extend(
    app: Flask, paths: dict[str, Any], components: dict[str, dict[str, Any]] | None = None
) -> None:
    """Add path items (and components: schemas, securitySchemes, ...) to the app's document."""
    app.extensions.setdefault(EXTENSION, []).append((paths, components or {}))


def document(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI document, with what `app`'s blueprints added (a fresh copy)."""
    doc = copy.deepcopy(_document())
    for paths, components in app.extensions.get(EXTENSION, []) if app else []:
        _add(doc, paths, components)
    return doc


def _add(doc: dict[str, Any], paths: dict[str, Any], components: dict[str, Any]) -> None:
    """Merge one part's path items and components into the document."""
    for path, item in paths.items():
        doc["paths"].setdefault(path, {}).update(copy.deepcopy(item))
    for section, entries in components.items():
        doc["components"].setdefault(section, {}).update(copy.deepcopy(entries))
