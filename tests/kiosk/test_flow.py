"""A person taps through the kiosk; every tap is stored before the next screen shows."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk import db
from shared import questionnaires
from shared.chain import GENESIS, response_hash
from shared.responses import SUSPECT_FLAG
from tests.factories import Tablet

SHORT = questionnaires.current("admin", "short")
CODES = [q.code for q in SHORT.questions]


def test_first_tap_is_stored_before_the_second_screen(app, tablet, stored):
    tablet.start()
    assert stored() == []
    tablet.tap("Q0", 4)
    # The client is now on the second screen; the first answer is already in the file.
    assert "/r/" in tablet.url and tablet.url.endswith("/1")
    [response] = stored()
    assert response.answers == {"Q0": 4}
    assert response.status == "open"
    assert response.seq is None


def test_full_admin_survey_completes_with_all_answers(app, tablet, stored):
    tablet.start()
    values = [5, 4, 4, 3, 5, 4]
    for code, value in zip(CODES, values, strict=True):
        tablet.tap(code, value)
    assert tablet.url == "/c/1/thanks"
    [response] = stored()
    assert response.answers == dict(zip(CODES, values, strict=True))
    assert response.status == "complete"
    assert response.seq == 1
    assert response.kind == "admin" and response.questionnaire_version == SHORT.version
    assert response.unit == "H40.22.01" and response.counter == "1"
    assert response.submitted_at >= response.started_at
    assert response.started_at.tzinfo == dt.UTC


def test_low_score_asks_for_reasons_and_comment_is_optional(app, tablet, stored):
    tablet.start()
    tablet.tap("Q0", 2)
    for _ in CODES[1:]:
        tablet.skip()
    assert tablet.url.endswith("/reasons")
    assert "waiting" in tablet.page.get_data(as_text=True)
    tablet.post({"reasons": ["waiting", "attitude"], "comment": "", "next": "1"})
    assert tablet.url == "/c/1/thanks"
    [response] = stored()
    assert response.answers == {"Q0": 2}
    assert response.reasons == ["attitude", "waiting"]
    assert response.comment is None
    assert response.status == "complete"


def test_no_low_score_skips_the_reasons_screen(app, tablet):
    tablet.start()
    for code in CODES:
        tablet.tap(code, 3)
    assert tablet.url == "/c/1/thanks"


def test_skipping_everything_stores_nothing(app, tablet, stored):
    tablet.start()
    for _ in CODES:
        tablet.skip()
    assert tablet.url == "/c/1/thanks"
    assert stored() == []


def test_no_opinion_is_stored_as_zero(app, tablet, stored):
    tablet.start()
    tablet.tap("Q0", 0)
    assert stored()[0].answers == {"Q0": 0}


def test_counter_with_several_kinds_offers_a_chooser(client):
    page = client.get("/c/2").get_data(as_text=True)
    for kind in ("admin", "health", "education"):
        assert f"/c/2/{kind}/new/0" in page
    single = client.get("/c/1").get_data(as_text=True)
    assert "/c/1/admin/new/0" in single and "/c/1/health/" not in single


def test_vietnamese_is_the_default_and_english_is_kept_through_the_flow(client):
    tablet = Tablet(client)
    page = tablet.open("/c/1").get_data(as_text=True)
    assert 'lang="vi"' in page and "Bắt đầu" in page
    page = tablet.open("/c/1/admin/new/0?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page and "Overall, how satisfied" in page
    tablet.tap("Q0", 5)
    assert "lang=en" in tablet.url
    assert 'lang="en"' in tablet.page.get_data(as_text=True)
    # The idle return goes to the welcome screen in Vietnamese, for the next person.
    assert 'data-home="/c/1"' in tablet.page.get_data(as_text=True)


def test_sequence_numbers_follow_closing_order_and_chain(app, client, stored):
    first, second = Tablet(client, "1"), Tablet(client, "2")
    first.start()
    first.tap("Q0", 5)
    second.start()
    second.tap("Q0", 4)
    for code in CODES[1:]:
        second.tap(code, 4)
    for code in CODES[1:]:
        first.tap(code, 5)
    by_counter = {r.counter: r for r in stored()}
    assert by_counter["2"].seq == 1 and by_counter["1"].seq == 2
    assert by_counter["2"].prev_hash == GENESIS
    assert by_counter["1"].prev_hash == by_counter["2"].hash
    from kiosk.survey import wire

    for r in by_counter.values():
        assert response_hash(wire(r), r.prev_hash) == r.hash


def test_a_new_person_closes_the_previous_unfinished_response_as_partial(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    tablet.tap("Q0", 4)
    tablet.start()
    tablet.tap("Q0", 2)
    first, second = stored()
    assert first.status == "partial" and first.seq == 1 and first.answers == {"Q0": 4}
    assert second.status == "open"


@pytest.mark.parametrize("config_overrides", [{"GUARD_SECONDS": 30}])
def test_second_response_within_the_guard_interval_is_refused(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    for code in CODES:
        tablet.tap(code, 5)
    tablet.start()
    refused = tablet.tap("Q0", 5, expect=429)
    assert "Xin vui lòng chờ giây lát" in refused.get_data(as_text=True)
    assert len(stored()) == 1


@pytest.mark.parametrize("config_overrides", [{"BURST_SIZE": 3, "BURST_WINDOW": 600}])
def test_bursts_of_identical_answers_are_kept_and_flagged(app, client, stored):
    tablet = Tablet(client)
    for _ in range(4):
        tablet.start()
        for code in CODES:
            tablet.tap(code, 5)
    tablet.start()
    for code in CODES:
        tablet.tap(code, 4)
    flags = [r.flags for r in sorted(stored(), key=lambda r: r.seq)]
    assert flags == [[], [], [SUSPECT_FLAG], [SUSPECT_FLAG], []]


def test_back_to_a_finished_response_shows_it_has_ended(app, tablet):
    tablet.start()
    for code in CODES:
        tablet.tap(code, 5)
    first_screen = tablet.history[2]
    assert "/r/" in first_screen
    page = tablet.client.get(first_screen)
    assert page.status_code == 409
    assert "/c/1" in page.get_data(as_text=True)


def test_pages_keep_no_state_in_the_browser(client, tablet):
    tablet.start()
    tablet.tap("Q0", 5)
    assert client.get_cookie("session") is None
    assert list(client._cookies) == []  # noqa: SLF001 - the jar of the test client
    assert tablet.page.headers["Cache-Control"] == "no-store"


def test_the_chosen_answer_is_never_shown_back(app, tablet):
    tablet.start()
    tablet.tap("Q0", 1)
    page = tablet.page.get_data(as_text=True)
    # The next screen shows every face the same way; nothing marks the one tapped.
    assert "checked" not in page and "selected" not in page
    assert page.count('class="answer"') == 5


def test_idle_response_closed_as_partial(app, tablet, stored):
    from kiosk.survey import Rules, close_idle

    tablet.start()
    tablet.tap("Q0", 5)
    with app.app_context():
        session = db.session()
        later = stored()[0].last_tap_at + dt.timedelta(seconds=61)
        assert close_idle(session, now=later - dt.timedelta(seconds=2), rules=Rules()) == 0
        assert close_idle(session, now=later, rules=Rules()) == 1
        session.commit()
    [response] = stored()
    assert response.status == "partial" and response.seq == 1
    tablet.tap("B0", 4, expect=409)


@pytest.mark.parametrize("config_overrides", [{"SQLITE_BUSY_TIMEOUT_MS": 200}])
def test_showing_a_screen_does_not_wait_for_the_write_lock(app, client, tmp_path):
    import sqlalchemy as sa

    tablet = Tablet(client)
    tablet.start()
    tablet.tap("Q0", 4)
    blocker = sa.create_engine(f"sqlite:///{tmp_path / 'kiosk.sqlite3'}")
    with blocker.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # someone else is writing
        page = client.get(tablet.url)
        conn.exec_driver_sql("ROLLBACK")
    blocker.dispose()
    assert page.status_code == 200


MANY_COUNTERS = [{"code": str(n), "unit": "H40.22.01", "kinds": ["admin"]} for n in range(1, 9)]


@pytest.mark.parametrize("config_overrides", [{"COUNTERS": MANY_COUNTERS}])
def test_eight_tablets_at_once_lose_nothing_and_leave_no_gap(app, stored):
    import threading

    errors = []

    def tablet_work(counter):
        try:
            tablet = Tablet(app.test_client(), counter)
            for _ in range(5):
                tablet.start()
                for code in CODES:
                    tablet.tap(code, 4)
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tablet_work, args=(c["code"],)) for c in MANY_COUNTERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    found = sorted(stored(), key=lambda r: r.seq)
    assert [r.seq for r in found] == list(range(1, 41))
    assert all(r.status == "complete" and len(r.answers) == 6 for r in found)
    for before, after in zip(found, found[1:], strict=False):
        assert after.prev_hash == before.hash
