"""Checks of one response (or heartbeat) as sent by a kiosk; pure functions, no database.

The structure is checked against the contract's schemas (`collector.responses.contract`, which the
OpenAPI document publishes), so the published contract and the checks cannot drift. Only what a
schema cannot say is checked here in Python: storable text, real dates, the questionnaire, and the
hash.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, ValidationError, validators

from collector.problems import ItemProblem, RequestProblem
from collector.responses.contract import (
    FIELD_MESSAGES,
    HEARTBEAT_MESSAGES,
    MAX_TEXT,
    RFC3339_RE,
    schema,
)
from shared import questionnaires
from shared.chain import response_hash


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


def encodable(value: str) -> bool:
    """Whether a string can be hashed: UTF-8 encodable (no lone surrogates, which JSON allows)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(value: str) -> bool:
    """Whether a string can be hashed and stored as sent: encodable and without NUL, which
    PostgreSQL text refuses."""
    return encodable(value) and "\x00" not in value


#: Which problem is named when a response has several (the first check that fails wins).
_FIELD_ORDER = {name: i for i, name in enumerate(FIELD_MESSAGES)}


def _strict_integers():
    """JSON Schema counts 1.0 as an integer; the hash is over the JSON as sent, so 1.0 and 1
    differ: only real integers (and never booleans) are integers here."""
    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: type(value) is int
    )
    return validators.extend(Draft202012Validator, type_checker=checker)


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    """jsonschema's validator for a schema of the contract: every error, with its path."""
    return _strict_integers()(schema(name))


@functools.cache
def _fast_validator(name: str) -> Callable[[Any], Any]:
    """The same schema compiled to Python code by fastjsonschema: some 50 times faster than
    jsonschema on a valid response, so it decides first; jsonschema only explains a failure."""
    return fastjsonschema.compile(schema(name))


def _has_float(value: Any) -> bool:
    kind = type(value)
    if kind is float:
        return True
    if kind is dict:
        value = value.values()
    elif kind is not list:
        return False
    for inner in value:
        kind = type(inner)
        if kind is float or ((kind is dict or kind is list) and _has_float(inner)):
            return True
    return False


def schema_errors(name: str, payload: Any) -> list[ValidationError]:
    """What is wrong with `payload` by the contract's schema `name` (empty: nothing)."""
    try:
        _fast_validator(name)(payload)
    except fastjsonschema.JsonSchemaValueException:
        pass
    else:
        # fastjsonschema, like the standard, counts 1.0 as an integer; the strict check decides.
        if not _has_float(payload):
            return []
    return list(_validator(name).iter_errors(payload))


def _schema_problem(item: Any, error: ValidationError) -> tuple[tuple[int, int], ItemProblem]:
    """The catalogue's item problem for one schema error, with its rank among the others."""
    path = list(error.absolute_path)
    if not path:
        if error.validator == "type":
            return (0, 0), ItemProblem("invalid-item")
        if error.validator == "additionalProperties":
            known = error.schema.get("properties", {})
            unknown = ", ".join(sorted(k for k in item if k not in known))
            return (1, 0), ItemProblem("unknown-field", f"unknown field(s): {unknown}")
        if error.validator == "required":
            missing = ", ".join(sorted(set(error.schema["required"]) - item.keys()))
            return (2, 0), ItemProblem("missing-field", f"missing field(s): {missing}")
    field = str(path[0])
    rank = (3, _FIELD_ORDER.get(field, len(_FIELD_ORDER)))
    if field == "answers" and len(path) == 2 and error.validator in ("minimum", "maximum"):
        message = f"answer to {path[1]} is {error.instance}, not 0..5"
        return rank, ItemProblem("answer-out-of-range", message)
    if field == "answers" and error.validator == "propertyNames":
        return rank, ItemProblem("unknown-question", f"no question {error.instance!r}")
    if field == "reasons" and error.validator == "enum":
        return rank, ItemProblem("unknown-reason", f"unknown reason(s): {[error.instance]!r}")
    if field == "answers" and len(path) == 2:
        return rank, ItemProblem("invalid-value", f"answer to {path[1]} must be an integer")
    message = FIELD_MESSAGES.get(field) or f"{field} must be a string of 1 to {MAX_TEXT} characters"
    return rank, ItemProblem("invalid-value", message)


def check_structure(item: object) -> None:
    """Raise the item problem of the first structural error, checked against the contract's
    Response schema, the one description of what a kiosk sends."""
    errors = schema_errors("Response", item)
    if errors:
        raise min((_schema_problem(item, e) for e in errors), key=lambda pair: pair[0])[1]


def validate_response(item: object) -> ValidResponse:
    """Check one response; raises ItemProblem naming the first problem found.

    The structure (fields, types, lengths, patterns, enums) comes from the contract's schema; what
    follows are the checks a schema cannot make: text that can be hashed and stored, real dates,
    the questionnaire and its questions at this collector, and the hash."""
    check_structure(item)
    assert isinstance(item, dict)
    parsed_id = uuid.UUID(item["id"])
    for field in ("questionnaire", "questionnaire_version", "unit", "counter"):
        if not storable(item[field]):
            raise ItemProblem("invalid-value", f"{field} must not contain NUL or lone surrogates")
    # A comment may hold a NUL or other control characters (a citizen's text): it is cleaned by
    # shared.text before it is stored, so the rating is kept rather than lost.
    comment = item.get("comment")
    if comment is not None and not encodable(comment):
        raise ItemProblem("invalid-value", "comment must be valid Unicode text")
    started = parse_rfc3339(item["started_at"], "started_at")
    submitted = parse_rfc3339(item["submitted_at"], "submitted_at")

    kind, version = item["questionnaire"], item["questionnaire_version"]
    questionnaire = questionnaires.get(kind, version)
    if questionnaire is None:
        raise ItemProblem("unknown-questionnaire", f"no questionnaire {kind!r} {version!r}")
    for code in item["answers"]:
        if code not in questionnaire.codes:
            raise ItemProblem("unknown-question", f"no question {code!r} in {kind} {version}")

    if response_hash(item, item["prev_hash"]) != item["hash"]:
        raise ItemProblem("bad-hash")
    return ValidResponse(item, parsed_id, item["kiosk_seq"], started, submitted)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    kiosk_version: str
    queue_length: int
    last_seq: int
    clock: str
    clock_at: dt.datetime


def validate_heartbeat(payload: object) -> Heartbeat:
    """Check a heartbeat against the contract's Heartbeat schema, then its clock; raises
    RequestProblem("invalid-request") naming the problem."""
    errors = schema_errors("Heartbeat", payload)
    if errors:
        _, problem = min((_schema_problem(payload, e) for e in errors), key=lambda p: p[0])
        message = problem.message
        if problem.code == "invalid-item":
            message = "the heartbeat must be a JSON object"
        elif problem.code == "invalid-value":
            message = HEARTBEAT_MESSAGES.get(str(errors[0].absolute_path[0]), message)
        raise RequestProblem("invalid-request", message)
    assert isinstance(payload, dict)
    version = payload["kiosk_version"]
    if not storable(version):
        raise RequestProblem("invalid-request", "kiosk_version must be a string of 1 to 64")
    clock_at = parse_rfc3339(payload["clock"], "clock", RequestProblem)
    return Heartbeat(
        version, payload["queue_length"], payload["last_seq"], payload["clock"], clock_at
    )


#: No response of SIPAS can be older than the product itself.
PRODUCT_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The times a response may carry: not before `earliest` (the product's epoch, or the kiosk's
    registration minus a tolerance), not after `latest` (the collector's clock plus a tolerance).

    A kiosk with a broken clock (or a hostile one) cannot then file ratings in a week nobody will
    ever report on, nor in year 9999 where date arithmetic overflows."""

    earliest: dt.datetime
    latest: dt.datetime

    def check(self, v: ValidResponse) -> None:
        for field, moment in (("started_at", v.started_at), ("submitted_at", v.submitted_at)):
            if not self.earliest <= moment <= self.latest:
                raise ItemProblem(
                    "implausible-time",
                    f"{field} {v.raw[field]} is outside the plausible window "
                    f"{_z(self.earliest)} .. {_z(self.latest)}; check the kiosk's clock",
                )


def _z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def time_window(
    config: Any, received_at: dt.datetime, registered_at: dt.datetime | None = None
) -> TimeWindow:
    """The window for a batch received at `received_at` from a kiosk registered at
    `registered_at`, with the tolerances INGEST_PAST_TOLERANCE_DAYS (before registration: a kiosk
    may collect offline before it is registered; None: only the epoch) and
    INGEST_FUTURE_TOLERANCE_MINUTES."""
    earliest = PRODUCT_EPOCH
    past_days = config.get("INGEST_PAST_TOLERANCE_DAYS", 365)
    if registered_at is not None and past_days is not None:
        if registered_at.tzinfo is None:
            registered_at = registered_at.replace(tzinfo=dt.UTC)
        earliest = max(earliest, registered_at - dt.timedelta(days=past_days))
    future = dt.timedelta(minutes=config.get("INGEST_FUTURE_TOLERANCE_MINUTES", 24 * 60))
    return TimeWindow(earliest, received_at + future)
