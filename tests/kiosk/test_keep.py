"""What a person gave is kept: drafts of the screen being filled in, a screen that timed out, and
Back to fix a mis-tap (the posts kiosk.js makes, and the Back button that needs no script)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk import db
from kiosk.survey import close_idle
from kiosk.views import IDLE_GRACE_SECONDS, rules
from shared import questionnaires
from shared.redaction import PHONE_MARK

SHORT = questionnaires.current("admin", "short")
CODES = [q.code for q in SHORT.questions]
COMMENT = "Chờ lâu quá, gọi tôi 0912 345 678 nhé"


def to_reasons(tablet) -> None:
    tablet.start()
    tablet.tap("Q0", 1)
    for _ in CODES[1:]:
        tablet.skip()
    assert tablet.url.endswith("/reasons")


def test_a_draft_keeps_the_reasons_and_the_cleaned_comment_and_the_survey_goes_on(
    app, tablet, stored
):
    to_reasons(tablet)
    before = stored()[0].last_tap_at
    tablet.post({"reasons": ["waiting"], "comment": COMMENT, "draft": "1"}, expect=204)
    [response] = stored()
    assert response.status == "open" and response.reasons == ["waiting"]
    assert response.comment == f"Chờ lâu quá, gọi tôi {PHONE_MARK} nhé"
    assert response.last_tap_at > before
    # The screen shown again (Back and forth) holds what was kept.
    page = tablet.open(tablet.url).get_data(as_text=True)
    assert 'value="waiting" checked' in page and PHONE_MARK in page
    tablet.post({"reasons": ["waiting", "attitude"], "comment": "Chờ lâu", "next": "1"})
    assert tablet.url == "/c/1/thanks"
    [response] = stored()
    assert response.status == "complete" and response.reasons == ["attitude", "waiting"]
    assert response.comment == "Chờ lâu"


def test_a_timed_out_reasons_screen_keeps_everything_as_partial(app, tablet, stored):
    to_reasons(tablet)
    tablet.post({"reasons": ["waiting", "attitude"], "comment": COMMENT, "idle": "1"}, expect=204)
    [response] = stored()
    assert response.status == "partial" and response.seq == 1 and response.hash
    assert response.answers == {"Q0": 1}
    assert response.reasons == ["attitude", "waiting"]
    assert response.comment == f"Chờ lâu quá, gọi tôi {PHONE_MARK} nhé"
    # Closed: a late Send is refused and changes nothing.
    tablet.post({"reasons": ["fees"], "next": "1"}, expect=409)
    assert stored()[0].reasons == ["attitude", "waiting"]


def test_a_timed_out_question_screen_closes_the_response_with_its_answers(app, tablet, stored):
    tablet.start()
    tablet.tap("Q0", 4)
    tablet.tap("A0", 5)
    tablet.post({"idle": "1"}, expect=204)
    [response] = stored()
    assert response.status == "partial" and response.answers == {"Q0": 4, "A0": 5}


def test_a_timed_out_first_screen_of_the_full_questionnaire_keeps_its_choices(app, client, stored):
    """Radios chosen but not yet sent on a first screen: the timed-out post stores them."""
    app.config["VARIANT"] = "full"
    from tests.factories import Tablet

    tablet = Tablet(client)
    tablet.start()
    tablet.tap("Q0", 4)  # the overall question, one tap
    first = questionnaires.current("admin", "full").factors[0].items
    tablet.post({first[0].code: "5", first[1].code: "2", "idle": "1"}, expect=204)
    [response] = stored()
    assert response.status == "partial"
    assert response.answers == {"Q0": 4, first[0].code: 5, first[1].code: 2}


def test_a_timed_out_empty_new_screen_stores_nothing(app, tablet, stored):
    tablet.start()
    tablet.post({"idle": "1"}, expect=204)
    assert stored() == []


def test_back_goes_to_the_previous_screen_which_shows_the_answer_to_fix(app, tablet, stored):
    tablet.start()
    tablet.tap("Q0", 2)
    tablet.tap("A0", 3)
    assert tablet.url.endswith("/2")
    tablet.post({"back": "1"})
    assert tablet.url.endswith("/1")
    page = tablet.page.get_data(as_text=True)
    assert page.count('aria-pressed="true"') == 1
    assert 'class="answer chosen" name="A0" value="3"' in page
    tablet.tap("A0", 5)  # the mis-tap fixed
    assert tablet.url.endswith("/2")
    for code in CODES[2:]:
        tablet.tap(code, 4)
    tablet.post({"back": "1"})  # from the reasons screen, back to the last question
    assert tablet.url.endswith(f"/{len(CODES) - 1}")
    [response] = stored()
    assert response.status == "open"
    assert response.answers == {"Q0": 2, "A0": 5, **{code: 4 for code in CODES[2:]}}


def test_back_keeps_the_reasons_already_chosen(app, tablet, stored):
    to_reasons(tablet)
    tablet.post({"reasons": ["fees"], "comment": "Phí cao", "back": "1"})
    assert not tablet.url.endswith("/reasons")
    [response] = stored()
    assert response.reasons == ["fees"] and response.comment == "Phí cao"
    assert response.status == "open"


def test_back_from_the_first_question_returns_to_the_welcome_screen(app, tablet, stored):
    tablet.start()
    tablet.post({"back": "1"})
    assert tablet.url == "/c/1" and stored() == []
    tablet.start()
    tablet.tap("Q0", 4)
    tablet.post({"back": "1"})
    assert tablet.url.endswith("/0")
    tablet.post({"back": "1"})
    assert tablet.url == "/c/1"
    [response] = stored()
    assert response.status == "partial" and response.answers == {"Q0": 4}


@pytest.mark.parametrize("config_overrides", [{"IDLE_TIMEOUT": 30, "REASONS_IDLE_TIMEOUT": 200}])
def test_the_server_waits_for_the_longest_screen_before_closing_a_response(app, tablet, stored):
    with app.app_context():
        assert rules().idle_timeout == 200 + IDLE_GRACE_SECONDS
    to_reasons(tablet)
    last = stored()[0].last_tap_at
    with app.app_context():
        session = db.session()
        wait = dt.timedelta(seconds=200 + IDLE_GRACE_SECONDS)
        assert close_idle(session, now=last + wait - dt.timedelta(seconds=1), rules=rules()) == 0
        assert close_idle(session, now=last + wait, rules=rules()) == 1
        session.commit()


def test_the_reasons_screen_waits_longer_and_says_so_without_script(app, tablet):
    to_reasons(tablet)
    page = tablet.page.get_data(as_text=True)
    assert 'data-idle="180"' in page and 'content="180;url=/c/1"' in page
    question = tablet.open(tablet.url.replace("/reasons", "/1")).get_data(as_text=True)
    assert 'data-idle="60"' in question and 'content="60;url=/c/1"' in question
