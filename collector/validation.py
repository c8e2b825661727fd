"""Checks of one response (or heartbeat) as sent by a kiosk; pure functions, no database.

Strict on purpose: every field the hash covers must be stored exactly as sent, so ids must be
canonical lower-case UUIDs, times RFC 3339 with an offset, and numbers real integers.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collector.models import CHANNELS
from collector.problems import ItemProblem, RequestProblem
from shared import questionnaires
from shared.chain import CHAINED_FIELDS, CODE_RE, OPTIONAL_CHAINED_FIELDS, response_hash

RESPONSE_FIELDS = frozenset(CHAINED_FIELDS) | set(OPTIONAL_CHAINED_FIELDS) | {"prev_hash", "hash"}
OPTIONAL_FIELDS = frozenset({"comment", *OPTIONAL_CHAINED_FIELDS})
REQUIRED_FIELDS = RESPONSE_FIELDS - OPTIONAL_FIELDS
HEARTBEAT_FIELDS = frozenset({"kiosk_version", "queue_length", "last_seq", "clock"})

MAX_SEQ = 2**31 - 1
MAX_COMMENT = 1000
MAX_FLAGS = 16
MAX_TEXT = 64

HASH_RE = re.compile(r"[0-9a-f]{64}")
FLAG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
#: RFC 3339 date-time; the offset is required ("Z" or +hh:mm), seconds too.
RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)


@dataclass(frozen=True, slots=True)
class ValidResponse:
    """A response that passed every check that needs no database."""

    raw: Mapping[str, Any]
    uuid: uuid.UUID
    seq: int
    started_at: dt.datetime
    submitted_at: dt.datetime

    @property
    def hash(self) -> str:
        return self.raw["hash"]

    @property
    def prev_hash(self) -> str:
        return self.raw["prev_hash"]

    @property
    def unit(self) -> str:
        return self.raw["unit"]


def parse_rfc3339(value: object, field: str, problem: type[Exception] = ItemProblem) -> dt.datetime:
    """An aware UTC datetime from an RFC 3339 string with an offset."""
    if not isinstance(value, str) or not RFC3339_RE.fullmatch(value):
        raise _invalid(problem, f"{field} must be an RFC 3339 date-time with an offset")
    text = value
    if "." in text:  # Python keeps microseconds: cut longer fractions, the original is stored
        head, rest = text.split(".", 1)
        digits = re.match(r"\d+", rest).group()
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise _invalid(problem, f"{field} is not a real date and time") from None


def _invalid(problem: type[Exception], message: str) -> Exception:
    if problem is RequestProblem:
        return RequestProblem("invalid-request", message)
    return ItemProblem("invalid-value", message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def storable(value: str) -> bool:
    """Whether a string can be hashed and stored: UTF-8 encodable (no lone surrogates, which JSON
    allows) and without NUL, which PostgreSQL text refuses."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _text(item: Mapping[str, Any], field: str, *, empty: bool = False) -> str:
    value = item[field]
    if (
        not isinstance(value, str)
        or len(value) > MAX_TEXT
        or (not empty and not value)
        or not storable(value)
    ):
        limit = "at most" if empty else "1 to"
        raise ItemProblem("invalid-value", f"{field} must be a string of {limit} 64 characters")
    return value


def validate_response(item: object) -> ValidResponse:
    """Check one response; raises ItemProblem naming the first problem found."""
    if not isinstance(item, dict):
        raise ItemProblem("invalid-item")
    unknown = item.keys() - RESPONSE_FIELDS
    if unknown:
        raise ItemProblem("unknown-field", f"unknown field(s): {', '.join(sorted(unknown))}")
    missing = REQUIRED_FIELDS - item.keys()
    if missing:
        raise ItemProblem("missing-field", f"missing field(s): {', '.join(sorted(missing))}")

    rid = item["id"]
    try:
        parsed_id = uuid.UUID(rid) if isinstance(rid, str) else None
    except ValueError:
        parsed_id = None
    if parsed_id is None or str(parsed_id) != rid:
        raise ItemProblem("invalid-value", "id must be a UUID in lower-case canonical form")
    seq = item["kiosk_seq"]
    if not _is_int(seq) or not 1 <= seq <= MAX_SEQ:
        raise ItemProblem("invalid-value", f"kiosk_seq must be an integer from 1 to {MAX_SEQ}")
    for field in ("prev_hash", "hash"):
        if not isinstance(item[field], str) or not HASH_RE.fullmatch(item[field]):
            raise ItemProblem("invalid-value", f"{field} must be 64 lower-case hex digits")

    kind = _text(item, "questionnaire")
    version = _text(item, "questionnaire_version")
    _text(item, "unit")
    _text(item, "counter", empty=True)
    if item["channel"] not in CHANNELS:
        raise ItemProblem("invalid-value", f"channel must be one of {', '.join(CHANNELS)}")
    started = parse_rfc3339(item["started_at"], "started_at")
    submitted = parse_rfc3339(item["submitted_at"], "submitted_at")
    if not isinstance(item["complete"], bool):
        raise ItemProblem("invalid-value", "complete must be true or false")
    comment = item.get("comment")
    if comment is not None and (
        not isinstance(comment, str) or len(comment) > MAX_COMMENT or not storable(comment)
    ):
        raise ItemProblem(
            "invalid-value", f"comment must be a string of at most {MAX_COMMENT} characters"
        )
    for field in OPTIONAL_CHAINED_FIELDS:
        code = item.get(field)
        if code is not None and not (isinstance(code, str) and CODE_RE.fullmatch(code)):
            raise ItemProblem(
                "invalid-value",
                f"{field} must be 1 to 64 letters, digits, '.', '-' or '_' (or null)",
            )
    flags = item["flags"]
    if (
        not isinstance(flags, list)
        or len(flags) > MAX_FLAGS
        or not all(isinstance(f, str) and FLAG_RE.fullmatch(f) for f in flags)
    ):
        raise ItemProblem(
            "invalid-value", f"flags must be a list of at most {MAX_FLAGS} lower-case words"
        )

    questionnaire = questionnaires.get(kind, version)
    if questionnaire is None:
        raise ItemProblem("unknown-questionnaire", f"no questionnaire {kind!r} {version!r}")
    answers = item["answers"]
    if not isinstance(answers, dict):
        raise ItemProblem("invalid-value", "answers must be an object of question code -> 0..5")
    for code, value in answers.items():
        if code not in questionnaire.codes:
            raise ItemProblem("unknown-question", f"no question {code!r} in {kind} {version}")
        if not _is_int(value):
            raise ItemProblem("invalid-value", f"answer to {code} must be an integer")
        if value not in questionnaires.VALUES:
            raise ItemProblem("answer-out-of-range", f"answer to {code} is {value}, not 0..5")
    reasons = item["reasons"]
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ItemProblem("invalid-value", "reasons must be a list of reason codes")
    unknown_reasons = set(reasons) - known_reasons()
    if unknown_reasons:
        raise ItemProblem("unknown-reason", f"unknown reason(s): {sorted(unknown_reasons)!r}")
    if len(set(reasons)) != len(reasons):
        raise ItemProblem("invalid-value", "reasons must not repeat")

    if response_hash(item, item["prev_hash"]) != item["hash"]:
        raise ItemProblem("bad-hash")
    return ValidResponse(item, parsed_id, seq, started, submitted)


def known_reasons() -> frozenset[str]:
    return frozenset(reason.code for reason in questionnaires.common()[1])


@dataclass(frozen=True, slots=True)
class Heartbeat:
    kiosk_version: str
    queue_length: int
    last_seq: int
    clock: str
    clock_at: dt.datetime


def validate_heartbeat(payload: object) -> Heartbeat:
    """Check a heartbeat; raises RequestProblem("invalid-request") naming the problem."""
    if not isinstance(payload, dict):
        raise RequestProblem("invalid-request", "the heartbeat must be a JSON object")
    unknown = payload.keys() - HEARTBEAT_FIELDS
    if unknown:
        raise RequestProblem("invalid-request", f"unknown field(s): {', '.join(sorted(unknown))}")
    missing = HEARTBEAT_FIELDS - payload.keys()
    if missing:
        raise RequestProblem("invalid-request", f"missing field(s): {', '.join(sorted(missing))}")
    version = payload["kiosk_version"]
    if not isinstance(version, str) or not 1 <= len(version) <= MAX_TEXT or not storable(version):
        raise RequestProblem("invalid-request", "kiosk_version must be a string of 1 to 64")
    for field in ("queue_length", "last_seq"):
        if not _is_int(payload[field]) or not 0 <= payload[field] <= MAX_SEQ:
            raise RequestProblem("invalid-request", f"{field} must be an integer >= 0")
    clock_at = parse_rfc3339(payload["clock"], "clock", RequestProblem)
    return Heartbeat(
        version, payload["queue_length"], payload["last_seq"], payload["clock"], clock_at
    )
