"""The phone survey behind a receipt's link: a link preview changes nothing, a survey resumed
elsewhere never shows the answers already given, and a screen's form is good for one save."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from collector.db import get_session
from collector.models import Receipt, Response
from shared import questionnaires
from shared.forms import screens
from tests.factories import (
    action,
    answer_all,
    answer_screen,
    csrf,
    issue,
    path_of,
    question_codes,
)

#: An answer shown as chosen (the inline CSS speaks of `:checked` too).
CHECKED = re.compile(r"<input[^>]*\bchecked")
PREVIEWS = [
    {"Sec-Purpose": "prefetch"},
    {"Sec-Purpose": "prefetch;prerender"},
    {"Purpose": "prefetch"},
    {"X-Purpose": "preview"},
    {"X-Moz": "prefetch"},
]


@pytest.fixture
def itoken(app, units, make) -> str:
    return make.integration("C01")


def _new_path(client, itoken, seq: int = 1) -> str:
    reply = issue(client, itoken, f"000.00.12.H40-260302-{seq:04d}")
    assert reply.status_code == 201
    return path_of(reply.get_json()["url"])


def _receipt(app, path: str) -> tuple[str, object, dict]:
    from collector.receipts.tokens import token_hash

    with app.app_context():
        row = get_session().scalar(
            sa.select(Receipt).where(Receipt.token_hash == token_hash(path.rsplit("/", 1)[1]))
        )
        return row.state, row.opened_at, dict(row.progress or {})


def test_head_and_prefetch_neither_open_nor_answer(app, client, itoken):
    path = _new_path(client, itoken)
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    assert _receipt(app, path)[:2] == ("issued", None)
    for headers in PREVIEWS:
        reply = client.get(path, headers=headers)
        # Not a page a browser would keep: the real visit asks again.
        assert reply.status_code == 503, headers
        assert "no-store" in reply.headers["Cache-Control"]
        assert 'name="csrf_token"' not in reply.get_data(as_text=True)
        assert _receipt(app, path)[:2] == ("issued", None), headers
    # A half-answered survey: a preview neither shows its answers nor changes them.
    assert answer_screen(client, path, 2).status_code == 303
    before = _receipt(app, path)
    for headers in PREVIEWS:
        assert client.get(path + "?step=0", headers=headers).status_code == 503
        assert client.head(path + "?step=0", headers=headers).status_code == 200
    assert _receipt(app, path) == before
    # The real visit opens it.
    other = _new_path(client, itoken, 2)
    assert client.get(other).status_code == 200
    state, opened, _ = _receipt(app, other)
    assert state == "opened" and opened is not None
    # A forged code is still a 404 for a preview.
    assert client.head("/r/" + "A" * 19).status_code == 404


def _neutral(html: str, path: str) -> str:
    """The page without what differs from one receipt or form to the next."""
    html = html.replace(path.rsplit("/", 1)[1], "TOKEN")
    return re.sub(r'value="[^"]{40,}"', 'value="CSRF"', html)


def test_a_survey_resumed_elsewhere_never_shows_the_answers_given(app, client, itoken):
    path = _new_path(client, itoken)
    assert answer_screen(client, path, 2).status_code == 303
    assert answer_screen(client, path, 1).status_code == 303
    officer = app.test_client()  # whoever holds the printed slip, in another browser
    resumed = officer.get(path).get_data(as_text=True)
    assert "/2" in action(resumed)  # it goes on at the third screen
    for step in (0, 1):
        page = officer.get(f"{path}?step={step}").get_data(as_text=True)
        assert question_codes(page), step
        assert not CHECKED.search(page) and "face-choice on" not in page, step
    # The citizen's own browser sees no more either: nothing on the page comes from the answers.
    assert not CHECKED.search(client.get(path + "?step=0").get_data(as_text=True))

    # The last screen looks the same whatever was answered (a low score or not).
    low, high = _new_path(client, itoken, 2), _new_path(client, itoken, 3)
    total = len(screens(questionnaires.current("admin", "full")))
    for _ in range(total):
        assert answer_screen(client, low, 1).status_code == 303
        assert answer_screen(client, high, 5).status_code == 303
    low_page = officer.get(low).get_data(as_text=True)
    high_page = officer.get(high).get_data(as_text=True)
    assert 'name="reasons"' in low_page
    assert _neutral(low_page, low) == _neutral(high_page, high)

    # The reasons asked of everybody are kept as given, as on the poster.
    for target in (low, high):
        page = officer.get(target).get_data(as_text=True)
        form = {"csrf_token": csrf(page), "next": "1", "reasons": ["waiting"], "comment": ""}
        assert officer.post(action(page), data=form).status_code == 303
    assert scalar_list(app, Response.reasons) == [["waiting"], ["waiting"]]
    # The first survey is still finished where it got to.
    assert answer_all(officer, path, value=4).status_code == 303


def scalar_list(app, column) -> list:
    with app.app_context():
        return list(get_session().scalars(sa.select(column)))


def test_a_screen_form_is_good_for_one_save(app, client, itoken, scalar):
    path = _new_path(client, itoken)
    page = client.get(path).get_data(as_text=True)
    codes = question_codes(page)
    kept = {"csrf_token": csrf(page), "next": "1", **{c: "4" for c in codes}}
    target = action(page)
    assert client.post(target, data=kept).status_code == 303
    saved = _receipt(app, path)[2]
    assert saved["step"] == 1 and {saved["answers"][c] for c in codes} == {4}
    # The same post again, with other answers: nothing changes, the survey goes on where it is.
    replay = client.post(target, data={**kept, **{c: "1" for c in codes}})
    assert replay.status_code == 303 and replay.headers["Location"].endswith(path)
    assert _receipt(app, path)[2] == saved
    # Still spent after later saves, from another browser too.
    assert answer_screen(client, path, 5).status_code == 303
    after = _receipt(app, path)[2]
    assert (
        app.test_client().post(target, data={**kept, **{c: "2" for c in codes}}).status_code == 303
    )
    assert _receipt(app, path)[2] == after
    # A fresh form of the same screen corrects an answer, once.
    fresh = client.get(path + "?step=0").get_data(as_text=True)
    form = {"csrf_token": csrf(fresh), "next": "1", **{c: "3" for c in codes}}
    assert client.post(action(fresh), data=form).status_code == 303
    assert {_receipt(app, path)[2]["answers"][c] for c in codes} == {3}
    assert client.post(action(fresh), data={**form, **{c: "5" for c in codes}}).status_code == 303
    assert {_receipt(app, path)[2]["answers"][c] for c in codes} == {3}
    # A form of another screen, or an altered token, is not a form issued here.
    assert client.post(path + "/1", data=form).status_code == 400
    assert (
        client.post(action(fresh), data={**form, "csrf_token": form["csrf_token"][:-2]}).status_code
        == 400
    )
    assert scalar(sa.select(Receipt.state)) == "opened"
