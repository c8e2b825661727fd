"""The contract of what a kiosk sends: limits, patterns, the message of each rejected field, and
the JSON schemas of a Response, a Heartbeat and a Batch. `collector.api.openapi` assembles them
into the published document and `collector.responses.validate` checks against them, so the
contract is written once.

Strict on purpose: every field the hash covers must be stored exactly as sent, so ids must be
canonical lower-case UUIDs, times RFC 3339 with an offset, and numbers real integers.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from collector.config import DEFAULTS
from collector.models.responses import CHAINED_CHANNELS
from shared import questionnaires
from shared.chain import CHAINED_FIELDS, CODE_RE
from shared.responses import COMMENT_MAX, VOICE_RE

MAX_SEQ = 2**31 - 1
MAX_FLAGS = 16
MAX_TEXT = 64

HASH_RE = re.compile(r"[0-9a-f]{64}")
FLAG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
#: RFC 3339 date-time; the offset is required ("Z" or +hh:mm), seconds too.
RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

#: The message of an `invalid-value` rejection, per field (the schema says the same).
FIELD_MESSAGES = {
    "id": "id must be a UUID in lower-case canonical form",
    "kiosk_seq": f"kiosk_seq must be an integer from 1 to {MAX_SEQ}",
    "prev_hash": "prev_hash must be 64 lower-case hex digits",
    "hash": "hash must be 64 lower-case hex digits",
    "counter": f"counter must be a string of at most {MAX_TEXT} characters",
    "channel": (
        f"channel must be {' or '.join(CHAINED_CHANNELS)}: receipt and poster responses come "
        "only through their own pages"
    ),
    "started_at": "started_at must be an RFC 3339 date-time with an offset",
    "submitted_at": "submitted_at must be an RFC 3339 date-time with an offset",
    "complete": "complete must be true or false",
    "comment": f"comment must be a string of at most {COMMENT_MAX} characters",
    "procedure": "procedure must be 1 to 64 letters, digits, '.', '-' or '_' (or null)",
    "officer": "officer must be 1 to 64 letters, digits, '.', '-' or '_' (or null)",
    "voice": "voice must be a language code of 2 to 8 small letters, e.g. vi or bru (or null)",
    "listened": "listened must be true or false (or null)",
    "flags": f"flags must be a list of at most {MAX_FLAGS} lower-case words",
    "answers": "answers must be an object of question code -> 0..5",
    "reasons": "reasons must be a list of reason codes, each once",
}

#: The message of a heartbeat's rejected field.
HEARTBEAT_MESSAGES = {
    "kiosk_version": "kiosk_version must be a string of 1 to 64",
    "queue_length": "queue_length must be an integer >= 0",
    "last_seq": "last_seq must be an integer >= 0",
    "clock": "clock must be an RFC 3339 date-time with an offset",
}


def known_reasons() -> frozenset[str]:
    return frozenset(reason.code for reason in questionnaires.common()[1])


_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
#: Procedure and officer codes: optional, hashed only when given (see the document's description).
_CODE = {"type": ["string", "null"], "pattern": f"^{CODE_RE.pattern}$"}
_DATE_TIME = {
    "type": "string",
    "format": "date-time",
    "pattern": f"^{RFC3339_RE.pattern}$",
    "description": "RFC 3339 with seconds and an offset, e.g. 2026-03-02T08:15:00+07:00",
}
_HASH = {"type": "string", "pattern": f"^{HASH_RE.pattern}$"}


def _response() -> dict[str, Any]:
    required = sorted((set(CHAINED_FIELDS) | {"prev_hash", "hash"}) - {"comment"})
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": {
            "id": {"type": "string", "format": "uuid", "pattern": UUID_PATTERN},
            "kiosk_seq": {"type": "integer", "minimum": 1, "maximum": MAX_SEQ},
            "prev_hash": _HASH,
            "hash": _HASH,
            "questionnaire": {**_TEXT, "examples": ["admin", "health"]},
            "questionnaire_version": {**_TEXT, "examples": ["2026.1-short"]},
            "unit": {**_TEXT, "description": "Code of the unit rated"},
            "counter": {**_TEXT, "minLength": 0},
            "channel": {
                "type": "string",
                "enum": list(CHAINED_CHANNELS),
                "description": (
                    "Always kiosk: receipt and poster responses come only through "
                    "the collector's own pages"
                ),
            },
            "started_at": _DATE_TIME,
            "submitted_at": _DATE_TIME,
            "complete": {"type": "boolean"},
            "answers": {
                "type": "object",
                "description": "Question code -> 1..5, or 0 for no opinion",
                "propertyNames": {"pattern": "^[A-Z][A-Z0-9_]{0,15}$"},
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 5},
            },
            "reasons": {
                "type": "array",
                "uniqueItems": True,
                "items": {"type": "string", "enum": sorted(known_reasons())},
            },
            "comment": {"type": ["string", "null"], "maxLength": COMMENT_MAX},
            "procedure": {
                **_CODE,
                "description": "Procedure code (mã thủ tục) of the dossier, if known",
                "examples": ["1.001234"],
            },
            "officer": {
                **_CODE,
                "description": "Code of the officer on duty at the counter, if set"
                " (a code, never a name)",
                "examples": ["CB-07"],
            },
            "voice": {
                "type": ["string", "null"],
                "pattern": f"^{VOICE_RE.pattern}$",
                "description": "The language the citizen heard the survey in (a voice pack), if"
                " the kiosk reads aloud",
                "examples": ["vi", "bru"],
            },
            "listened": {
                "type": ["boolean", "null"],
                "description": 'Whether the citizen pressed "listen" on one of its screens',
            },
            "flags": {
                "type": "array",
                "maxItems": MAX_FLAGS,
                "items": {"type": "string", "pattern": f"^{FLAG_RE.pattern}$"},
                "examples": [["suspect-burst"]],
            },
        },
    }


def _heartbeat() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["kiosk_version", "queue_length", "last_seq", "clock"],
        "properties": {
            "kiosk_version": _TEXT,
            "queue_length": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
            "last_seq": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
            "clock": _DATE_TIME,
        },
    }


def _batch() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["responses"],
        "properties": {
            "responses": {
                "type": "array",
                "maxItems": DEFAULTS["API_MAX_RESPONSES"],
                "items": {"$ref": "#/components/schemas/Response"},
            }
        },
    }


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    return {"Batch": _batch(), "Response": _response(), "Heartbeat": _heartbeat()}


def schemas() -> dict[str, dict[str, Any]]:
    """The contract's schemas by name, for the OpenAPI document's components (a fresh copy)."""
    return copy.deepcopy(_schemas())


def schema(name: str) -> dict[str, Any]:
    """One schema of the contract ("Response", "Heartbeat" or "Batch"; a fresh copy)."""
    return copy.deepcopy(_schemas()[name])
