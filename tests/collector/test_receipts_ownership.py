"""A receipt belongs to the unit it was issued for: another unit's integration can neither take
it over, nor learn that it exists, nor squat a code first; dossier codes are ASCII and not dated
ahead; a receipt request never answers 500. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from collector.db import get_session
from collector.models import Receipt, Response, Unit
from collector.receipts.settings import app_key
from collector.receipts.tokens import token_hash
from shared import questionnaires
from shared.db import utcnow
from tests.factories import answer_all, fetch_qr, integration, issue, path_of

DOSSIER = "H40.X-261201-0001"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def tokens(app, units, make) -> tuple[str, str]:
    """Integration tokens of the sibling communes C01 (holding O01) and C02 (holding O02)."""
    return make.integration("C01"), make.integration("C02")


def _dossier(days_ahead: int, seq: int = 1) -> str:
    day = dt.datetime.now(LOCAL).date() + dt.timedelta(days=days_ahead)
    return f"H40.X-{day:%y%m%d}-{seq:04d}"


def test_another_units_token_never_gets_nor_answers_a_receipt(app, client, tokens, scalar):
    c01, c02 = tokens
    mine = issue(client, c01, DOSSIER, unit="O01", officer="CB-01")
    assert mine.status_code == 201, mine.get_json()
    mine = mine.get_json()
    assert answer_all(client, path_of(mine["url"]), value=5).status_code == 303
    assert scalar(sa.select(Receipt.state)) == "answered"

    # The same dossier code for C02's own unit is another dossier: a new code of C02's, which says
    # nothing of C01's receipt (neither its token nor that it was answered).
    theirs = issue(client, c02, DOSSIER, unit="O02", officer="CB-99")
    assert theirs.status_code == 201, theirs.get_json()
    body = theirs.get_json()
    assert body["created"] is True and body["state"] == "issued"
    assert body["token"] != mine["token"] and mine["token"] not in str(body)
    # Answering it stores a response of O02, and C01's receipt and response are untouched.
    assert answer_all(client, path_of(body["url"]), value=1, comment="của C02").status_code == 303
    with app.app_context():
        session = get_session()
        rows = {
            r.unit.code: (r.state, r.officer, r.response_id)
            for r in session.scalars(sa.select(Receipt))
        }
        assert set(rows) == {"O01", "O02"} and rows["O01"][1] == "CB-01"
        units_of = dict(
            session.execute(
                sa.select(Response.id, Unit.code).join(Unit, Response.unit_id == Unit.id)
            ).all()
        )
        assert units_of[rows["O01"][2]] == "O01" and units_of[rows["O02"][2]] == "O02"
        comments = dict(session.execute(sa.select(Response.unit_id, Response.comment)).all())
        o01 = session.scalar(sa.select(Unit.id).where(Unit.code == "O01"))
        assert comments[o01] != "của C02"


def test_a_receipt_outside_the_tokens_units_answers_as_an_unknown_code(app, client, tokens, count):
    c01, c02 = tokens
    assert issue(client, c01, DOSSIER, unit="O01").status_code == 201
    known = issue(client, c02, DOSSIER, unit="O01")
    unknown = issue(client, c02, "H40.X-261201-0777", unit="O01")
    assert known.status_code == unknown.status_code == 403
    assert known.get_json() == unknown.get_json()
    assert "token" not in known.get_json() and "state" not in known.get_json()
    assert count(Receipt) == 1


def test_a_code_squatted_by_another_unit_does_not_reach_the_rightful_unit(app, client, tokens):
    c01, c02 = tokens
    code = _dossier(1)  # tomorrow's first dossier, guessed
    squat = issue(client, c02, code, unit="O02", officer="SQUAT")
    assert squat.status_code == 201
    rightful = issue(client, c01, code, unit="O01", officer="CB-01")
    assert rightful.status_code == 201, rightful.get_json()
    body = rightful.get_json()
    assert body["created"] is True and body["token"] != squat.get_json()["token"]
    assert fetch_qr(client, c01, body["qr_png"]).status_code == 200
    with app.app_context():
        receipt = get_session().scalar(
            sa.select(Receipt).where(Receipt.token_hash == token_hash(body["token"]))
        )
        assert (receipt.unit.code, receipt.officer) == ("O01", "CB-01")


def test_the_same_unit_asking_again_gets_the_same_code(app, client, tokens, count):
    c01, _ = tokens
    first = issue(client, c01, DOSSIER, unit="O01").get_json()
    again = issue(client, c01, DOSSIER, unit="O01")
    assert again.status_code == 200 and again.get_json()["token"] == first["token"]
    # The province's integration holds O01 too and finds the same code.
    province = issue(client, integration(app, "P01"), DOSSIER, unit="O01")
    assert province.status_code == 200 and province.get_json()["token"] == first["token"]
    assert count(Receipt) == 1


def test_a_code_dated_more_than_a_day_ahead_is_refused(app, client, tokens, count):
    c01, _ = tokens
    assert issue(client, c01, _dossier(0, 1), unit="O01").status_code == 201
    assert issue(client, c01, _dossier(1, 2), unit="O01").status_code == 201
    for days in (2, 30, 400):
        reply = issue(client, c01, _dossier(days, 3), unit="O01")
        assert reply.status_code == 400, days
        error = reply.get_json()["error"]
        assert error["code"] == "invalid-dossier" and "ahead" in error["message"]
    assert count(Receipt) == 2


@pytest.mark.parametrize(
    "digits",
    [
        "\uff12\uff16\uff11\uff12\uff10\uff11",  # full-width 261201
        "\u0662\u0666\u0661\u0662\u0660\u0661",  # Arabic-Indic
        "\u0968\u096c\u0967\u0968\u0966\u0967",  # Devanagari
    ],
    ids=["full-width", "arabic-indic", "devanagari"],
)
def test_non_ascii_digits_never_make_a_second_receipt(app, client, tokens, digits, count):
    c01, _ = tokens
    assert issue(client, c01, DOSSIER, unit="O01").status_code == 201
    reply = issue(client, c01, f"H40.X-{digits}-0001", unit="O01")
    assert reply.status_code == 400
    error = reply.get_json()["error"]
    assert error["code"] == "invalid-dossier" and "ASCII" in error["message"]
    sequence = "".join(chr(ord(digits[0]) - 2 + int(c)) for c in "0001")
    assert issue(client, c01, f"H40.X-261201-{sequence}", unit="O01").status_code == 400
    assert count(Receipt) == 1


@pytest.mark.parametrize(
    "unit", ["\ud800", "O01\x00", "C011\u0000", "O\u0301", " ", "x" * 65, 7, ["O01"]]
)
def test_a_unit_that_cannot_be_a_code_is_a_clear_400(app, client, tokens, unit, count):
    c01, _ = tokens
    reply = issue(client, c01, DOSSIER, unit=unit)
    assert reply.status_code == 400, reply.get_data(as_text=True)[:300]
    assert reply.get_json()["error"]["code"] == "invalid-request"
    assert count(Receipt) == 0


def test_a_dossier_code_with_a_lone_surrogate_or_nul_is_a_clear_400(app, client, tokens, count):
    c01, _ = tokens
    for dossier in ("H40.\ud800-261201-0001", "H40.X-261201-0001\x00", "H40\x00.X-261201-0001"):
        reply = issue(client, c01, dossier, unit="O01")
        assert reply.status_code == 400, reply.get_data(as_text=True)[:300]
        assert reply.get_json()["error"]["code"] == "invalid-dossier"
    assert count(Receipt) == 0


# -- receipts stored before the unit became part of the dossier's key ----------------------------


def _legacy_receipt(app, dossier: str, unit: str) -> str:
    """A receipt row as the collector stored it before: the dossier's HMAC and the token derived
    from the dossier code alone. Returns the token printed on that receipt."""
    with app.app_context():
        key = app_key()
        mac = lambda label, data: hmac.new(key, label + data, hashlib.sha256).digest()  # noqa: E731
        nonce = mac(b"nonce:", dossier.encode())[:8]
        token = base64.urlsafe_b64encode(nonce + mac(b"token:", nonce)[:6]).decode().rstrip("=")
        q = questionnaires.current("admin", "full")
        session = get_session()
        now = utcnow()
        session.add(
            Receipt(
                dossier_hmac=mac(b"dossier:", dossier.encode()).hex(),
                token_hash=token_hash(token),
                unit_id=session.scalar(sa.select(Unit.id).where(Unit.code == unit)),
                questionnaire=q.kind,
                questionnaire_version=q.version,
                state="issued",
                issued_at=now,
                expires_at=now + dt.timedelta(days=30),
                progress={},
            )
        )
        session.commit()
    return token


def test_receipts_stored_before_keep_working(app, client, tokens, count):
    c01, c02 = tokens
    old = _legacy_receipt(app, DOSSIER, "O01")
    # Its unit asking again for the dossier finds it: the same code, not a second receipt.
    again = issue(client, c01, DOSSIER, unit="O01")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["token"] == old and again.get_json()["created"] is False
    assert count(Receipt) == 1
    # Another unit does not find it: that is another dossier.
    other = issue(client, c02, DOSSIER, unit="O02")
    assert other.status_code == 201 and other.get_json()["token"] != old
    # The printed link still opens the survey and takes one response.
    assert answer_all(client, f"/r/{old}", value=4).status_code == 303
    with app.app_context():
        receipt = get_session().scalar(
            sa.select(Receipt).where(Receipt.token_hash == token_hash(old))
        )
        assert receipt.state == "answered" and receipt.unit.code == "O01"
