"""The catalogue of error codes of the ingest API: a machine contract that other kiosk vendors
implement against, so codes are stable and messages are English.

Request problems reject a whole request (with the HTTP status given here); item problems reject one
response of a batch and leave the others alone.
"""

from __future__ import annotations

#: code -> (HTTP status, default message)
REQUEST_PROBLEMS: dict[str, tuple[int, str]] = {
    "invalid-request": (400, "The request body does not have the documented shape."),
    "malformed-json": (400, "The request body is not valid JSON."),
    "too-many-responses": (400, "Too many responses in one batch."),
    "invalid-dossier": (400, "The dossier code does not follow Circular 01/2018/TT-VPCP art. 19."),
    "missing-token": (401, "An 'Authorization: Bearer <kiosk token>' header is required."),
    "invalid-token": (401, "The kiosk token is not known."),
    "revoked-token": (401, "The kiosk token has been revoked."),
    "forbidden": (403, "Not allowed."),
    "not-found": (404, "No such endpoint."),
    "method-not-allowed": (405, "Method not allowed on this endpoint."),
    "payload-too-large": (413, "The request body is too large."),
    "unsupported-media-type": (415, "The request body must be application/json."),
    "internal-error": (500, "The collector failed; nothing from this request was stored."),
    "unavailable": (503, "The collector cannot take requests now; retry later."),
}

#: code -> what it means; the message of each rejection says which field or value.
ITEM_PROBLEMS: dict[str, str] = {
    "invalid-item": "The response is not a JSON object.",
    "unknown-field": "The response has a field the contract does not define.",
    "missing-field": "A required field is missing.",
    "invalid-value": "A field has the wrong type or format.",
    "unknown-questionnaire": "No such questionnaire kind and version at this collector.",
    "unknown-question": "An answer's question code is not in that questionnaire version.",
    "answer-out-of-range": "An answer value is not one of 0, 1, 2, 3, 4, 5.",
    "unknown-reason": "A reason code is not one of the known reasons.",
    "bad-hash": "The hash does not match the content and prev_hash.",
    "implausible-time": (
        "started_at or submitted_at is outside the plausible window: before the product's epoch "
        "or long before the kiosk's registration, or later than the collector's clock plus a "
        "tolerance. The kiosk's clock is probably wrong."
    ),
    "unknown-unit": "No unit with that code.",
    "unit-not-allowed": "The kiosk is not registered to that unit or a unit above it.",
    "conflict": "A response with this id and different content is already stored.",
    "seq-taken": "This kiosk already sent a different response with this kiosk_seq.",
}

#: code -> what it means, for one dossier status event of a batch (`POST /api/v1/dossier-events`).
EVENT_PROBLEMS: dict[str, str] = {
    "invalid-item": "The event is not a JSON object.",
    "unknown-field": "The event has a field the contract does not define.",
    "missing-field": "A required field is missing.",
    "invalid-value": "A field has the wrong type or format.",
    "invalid-dossier": "The dossier code does not follow Circular 01/2018/TT-VPCP art. 19.",
    "implausible-time": "The event's time is more than a day ahead of the collector's clock.",
    "unknown-unit": "No unit with that code.",
    "unknown-receipt": "No receipt with this token among the integration token's units.",
    "forbidden": "The unit is outside the integration token's units.",
    "conflict": "An event with this id and different content is already stored for the dossier.",
}


class RequestProblem(Exception):
    """A problem with a whole request; nothing from it is stored."""

    def __init__(self, code: str, message: str | None = None):
        if code not in REQUEST_PROBLEMS:
            raise ValueError(f"unknown request problem {code!r}")
        self.code = code
        self.status = REQUEST_PROBLEMS[code][0]
        self.message = message or REQUEST_PROBLEMS[code][1]
        super().__init__(f"{code}: {self.message}")


class ItemProblem(Exception):
    """A problem with one response of a batch; the response is rejected, the rest go on."""

    def __init__(self, code: str, message: str | None = None):
        if code not in ITEM_PROBLEMS:
            raise ValueError(f"unknown item problem {code!r}")
        self.code = code
        self.message = message or ITEM_PROBLEMS[code]
        super().__init__(f"{code}: {self.message}")
