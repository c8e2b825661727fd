"""The checks of one response and of a heartbeat, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from collector.problems import ITEM_PROBLEMS, ItemProblem, RequestProblem
from collector.responses.chain import record_seq
from collector.responses.validate import parse_rfc3339, validate_heartbeat, validate_response
from shared.chain import GENESIS
from tests.factories import make_response, rehash


def problem_of(response) -> str:
    with pytest.raises(ItemProblem) as caught:
        validate_response(response)
    assert caught.value.code in ITEM_PROBLEMS
    return caught.value.code


def test_a_valid_response_passes_and_is_parsed():
    response = make_response(1, GENESIS)
    valid = validate_response(response)
    assert str(valid.uuid) == response["id"]
    assert valid.seq == 1
    assert valid.submitted_at == dt.datetime(2026, 3, 2, 1, 1, 41, 250000, tzinfo=dt.UTC)


def test_comment_may_be_left_out():
    response = make_response(1, GENESIS)
    del response["comment"]
    assert validate_response(rehash(response)).seq == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"extra": 1}, "unknown-field"),
        ({"id": "not-a-uuid"}, "invalid-value"),
        ({"id": "0190F5B2-7D3A-7C41-9A4E-1234567890AB"}, "invalid-value"),
        ({"kiosk_seq": 0}, "invalid-value"),
        ({"kiosk_seq": True}, "invalid-value"),
        ({"kiosk_seq": 1.0}, "invalid-value"),
        ({"kiosk_seq": "1"}, "invalid-value"),
        ({"kiosk_seq": 2**31}, "invalid-value"),
        ({"questionnaire": 7}, "invalid-value"),
        ({"unit": ""}, "invalid-value"),
        ({"unit": "x" * 65}, "invalid-value"),
        ({"counter": "a\x00b"}, "invalid-value"),
        ({"comment": "x" * 1001}, "invalid-value"),
        ({"comment": 5}, "invalid-value"),
        ({"channel": "sms"}, "invalid-value"),
        ({"started_at": "2026-03-02 08:00:00"}, "invalid-value"),
        ({"started_at": "2026-03-02T08:00:00"}, "invalid-value"),
        ({"started_at": "2026-02-30T08:00:00+07:00"}, "invalid-value"),
        ({"started_at": "0001-01-01T00:00:00+05:00"}, "invalid-value"),
        ({"complete": "yes"}, "invalid-value"),
        ({"complete": 1}, "invalid-value"),
        ({"answers": [4, 5]}, "invalid-value"),
        ({"answers": {"Q0": 6}}, "answer-out-of-range"),
        ({"answers": {"Q0": -1}}, "answer-out-of-range"),
        ({"answers": {"Q0": "4"}}, "invalid-value"),
        ({"answers": {"Q0": 4.0}}, "invalid-value"),
        ({"answers": {"Q0": True}}, "invalid-value"),
        ({"answers": {"Z9": 4}}, "unknown-question"),
        ({"questionnaire_version": "1999.1"}, "unknown-questionnaire"),
        ({"questionnaire": "tax"}, "unknown-questionnaire"),
        ({"reasons": ["bribes"]}, "unknown-reason"),
        ({"reasons": ["waiting", "waiting"]}, "invalid-value"),
        ({"reasons": "waiting"}, "invalid-value"),
        ({"flags": ["Suspect Burst"]}, "invalid-value"),
        ({"flags": "suspect-burst"}, "invalid-value"),
    ],
)
def test_bad_fields_are_named(change, code):
    # Rehashed, so that the field itself (not the hash) is what fails.
    assert problem_of(make_response(1, GENESIS, **change)) == code


def test_text_that_cannot_be_hashed_or_stored_is_refused():
    response = make_response(1, GENESIS)
    response["comment"] = "lone \ud800 surrogate"  # valid JSON, but not UTF-8
    assert problem_of(response) == "invalid-value"


def test_a_missing_field_is_named():
    response = make_response(1, GENESIS)
    del response["answers"]
    with pytest.raises(ItemProblem, match="answers") as caught:
        validate_response(response)
    assert caught.value.code == "missing-field"


def test_hashes_must_be_lower_case_hex():
    assert problem_of(make_response(1, "A" * 64)) == "invalid-value"
    response = make_response(1, GENESIS)
    response["hash"] = response["hash"].upper()
    assert problem_of(response) == "invalid-value"


def test_not_an_object():
    assert problem_of(["a", "list"]) == "invalid-item"


@pytest.mark.parametrize("field", ["answers", "comment", "kiosk_seq", "prev_hash", "submitted_at"])
def test_content_changed_after_hashing_is_a_bad_hash(field):
    response = make_response(2, "ab" * 32)
    altered = {
        "answers": {"Q0": 5},
        "comment": "khác",
        "kiosk_seq": 3,
        "prev_hash": "cd" * 32,
        "submitted_at": "2026-03-02T08:02:42+07:00",
    }[field]
    response[field] = altered
    assert problem_of(response) == "bad-hash"


def test_times_keep_more_than_microseconds_and_any_offset():
    assert parse_rfc3339("2026-03-02T08:00:00.123456789-05:30", "t") == dt.datetime(
        2026, 3, 2, 13, 30, 0, 123456, tzinfo=dt.UTC
    )
    assert parse_rfc3339("2026-03-02T08:00:00Z", "t").hour == 8


def test_heartbeat_checks():
    good = {"kiosk_version": "1", "queue_length": 3, "last_seq": 9, "clock": "2026-03-02T08:00:00Z"}
    assert validate_heartbeat(good).queue_length == 3
    for bad in (
        {**good, "queue_length": -1},
        {**good, "clock": "yesterday"},
        {**good, "extra": True},
        {k: v for k, v in good.items() if k != "last_seq"},
        [good],
    ):
        with pytest.raises(RequestProblem) as caught:
            validate_heartbeat(bad)
        assert caught.value.code == "invalid-request"


@pytest.mark.parametrize(
    ("gaps", "max_seq", "seq", "after", "new_max"),
    [
        ([], 0, 1, [], 1),
        ([], 3, 4, [], 4),
        ([], 3, 7, [[4, 6]], 7),
        ([[4, 6]], 7, 5, [[4, 4], [6, 6]], 7),
        ([[4, 6]], 7, 4, [[5, 6]], 7),
        ([[4, 6]], 7, 6, [[4, 5]], 7),
        ([[4, 4], [9, 9]], 10, 4, [[9, 9]], 10),
        ([[2, 3]], 5, 8, [[2, 3], [6, 7]], 8),
    ],
)
def test_record_seq(gaps, max_seq, seq, after, new_max):
    assert record_seq(gaps, max_seq, seq) == new_max
    assert gaps == after
