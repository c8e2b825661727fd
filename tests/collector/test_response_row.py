"""One row builder for every channel: the same answers sent through the ingest API (a kiosk), a
receipt's phone survey and a counter poster are stored alike, column by column, apart from what
the channel itself decides (its kiosk and chain, its counter, its clock)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from collector.db import get_session
from collector.models import Answer, Response
from shared import questionnaires
from tests.factories import answer_all, csrf, issue, path_of

#: The columns a channel decides: who sent it and its place in a chain, the counter, and the
#: times (a kiosk's clock, sent as text; the collector's own for the phone channels).
CHANNEL_FIELDS = frozenset(
    {
        *("id", "uuid", "channel", "counter", "kiosk_id", "kiosk_seq"),
        *("prev_hash", "hash", "chain_ok", "received_at"),
        *("started_at", "submitted_at", "started_at_sent", "submitted_at_sent"),
    }
)
COMPARED = [c.name for c in Response.__table__.columns if c.name not in CHANNEL_FIELDS]
#: A comment with a phone number and a control character: cleaned and redacted the same way.
COMMENT = "Chờ hơi lâu\x07, gọi tôi 0912 345 678"


def _rfc3339(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _send_from_kiosk(kiosk, q, answers, reasons, **fields) -> uuid.UUID:
    now = dt.datetime.now(dt.UTC)
    response = kiosk.next(
        unit="O01",
        questionnaire=q.kind,
        questionnaire_version=q.version,
        started_at=_rfc3339(now - dt.timedelta(minutes=2)),
        submitted_at=_rfc3339(now - dt.timedelta(minutes=1)),
        answers=answers,
        reasons=reasons,
        comment=COMMENT,
        **fields,
    )
    assert kiosk.statuses([response]) == ["accepted"]
    return uuid.UUID(response["id"])


def _row(app, where) -> tuple[dict, dict]:
    with app.app_context():
        session = get_session()
        response = session.scalars(sa.select(Response).where(where)).one()
        answers = dict(
            session.execute(
                sa.select(Answer.code, Answer.value).where(Answer.response_id == response.id)
            ).all()
        )
        return {name: getattr(response, name) for name in COMPARED}, answers


def _reasons(q) -> list[str]:
    return sorted(q.reasons)[:2]


@pytest.fixture
def itoken(app, units, make) -> str:
    return make.integration("C01")


def test_a_receipt_survey_stores_the_row_a_kiosk_would(app, client, kiosk, itoken):
    q = questionnaires.current("admin", "full")
    answers = {question.code: 4 for question in q.questions}
    procedure = {"procedure": "1.001234", "officer": "CB-07"}
    sent = _send_from_kiosk(kiosk, q, answers, _reasons(q), **procedure)

    body = issue(client, itoken, unit="O01", **procedure).get_json()
    reply = answer_all(client, path_of(body["url"]), value=4, reasons=_reasons(q), comment=COMMENT)
    assert reply.status_code in (200, 303), reply.status_code

    from_kiosk = _row(app, Response.uuid == sent)
    from_phone = _row(app, Response.channel == "receipt")
    assert from_phone == from_kiosk
    assert from_kiosk[0]["comment"] == "Chờ hơi lâu, gọi tôi [số điện thoại]"
    assert from_kiosk[1] == answers and from_kiosk[0]["procedure"] == "1.001234"


def test_a_poster_stores_the_row_a_kiosk_would(app, client, kiosk):
    q = questionnaires.current("admin", "short")
    answers = {question.code: 2 for question in q.questions}
    sent = _send_from_kiosk(kiosk, q, answers, _reasons(q))
    # A walk-in answers in seconds here: the poster's too-fast rule would flag it (its own test).
    app.config["POSTER_MIN_SECONDS"] = 0

    html = client.get("/p/O01").get_data(as_text=True)
    form = {"csrf_token": csrf(html), "comment": COMMENT, "reasons": _reasons(q)}
    form |= {code: str(value) for code, value in answers.items()}
    assert client.post("/p/O01", data=form).status_code == 303

    from_kiosk = _row(app, Response.uuid == sent)
    from_poster = _row(app, Response.channel == "poster")
    assert from_poster == from_kiosk
    assert from_kiosk[1] == answers and from_kiosk[0]["flags"] == []
