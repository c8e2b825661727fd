"""The counter tablet in real Chromium: tap through, look at every screen, measure every target."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kiosk import db
from kiosk.models import Response
from tests.browser.live import LiveServer, kiosk_app

TABLET_PORTRAIT = {"width": 800, "height": 1280}
TABLET_LANDSCAPE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MIN_TARGET = 64

TARGETS_JS = """
(min) => {
  const bad = [];
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, label')) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    if (r.width < min || r.height < min) {
      const text = (el.innerText || el.name || '').trim().slice(0, 30);
      const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
      bad.push(`${el.tagName.toLowerCase()} "${text}" ${size}`);
    }
  }
  return bad;
}
"""


@pytest.fixture
def kiosk_server(tmp_path):
    app = kiosk_app(
        tmp_path,
        OFFICE_NAME="UBND xã Minh Khai",
        THANKS_SECONDS=2,
        COUNTERS=[
            {"code": "1", "name": "Quầy 1", "unit": "H40.22.01", "kinds": ["admin"]},
            {"code": "2", "name": "Quầy 2", "unit": "H40.22.01", "kinds": ["admin", "health"]},
        ],
    )
    with LiveServer(app) as server:
        server.app = app
        yield server
    db.engine(app).dispose()


def responses(app) -> list[Response]:
    with sa.orm.Session(db.engine(app)) as session:
        return list(session.scalars(sa.select(Response).order_by(Response.started_at)))


def check_targets(page, where: str) -> None:
    bad = page.evaluate(TARGETS_JS, MIN_TARGET)
    assert bad == [], f"{where}: touch targets under {MIN_TARGET} px: {bad}"


NO_OPINION_JS = """
() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, width: r.width, height: r.height}; };
  const groups = [];
  const single = document.querySelector('button.no-opinion');
  if (single) {
    groups.push({none: box(single),
                 faces: [...document.querySelectorAll('.faces button.answer')].map(box)});
  }
  for (const group of document.querySelectorAll('.faces.small')) {
    groups.push({none: box(group.querySelector('.answer.none')),
                 faces: [...group.querySelectorAll('.answer:not(.none)')].map(box)});
  }
  return groups;
}
"""


def check_no_opinion(page, where: str) -> None:
    """ "No opinion" is secondary: after the five faces, smaller than each, at least 64 px high."""
    groups = page.evaluate(NO_OPINION_JS)
    assert groups, f"{where}: no 'no opinion' choice found"
    for group in groups:
        none, faces = group["none"], group["faces"]
        assert len(faces) == 5, where
        assert none["height"] >= MIN_TARGET, f"{where}: no opinion {none['height']} px high"
        smallest = min(f["width"] * f["height"] for f in faces)
        assert none["width"] * none["height"] < smallest, f"{where}: {none} vs {faces}"
        assert none["height"] < min(f["height"] for f in faces), where
        # After the faces: below them, or (in the six-column grid) beside them, never above.
        assert none["top"] >= min(f["top"] for f in faces), where


CHECKED_JS = """
(chip) => {
  const check = chip.querySelector('.check');
  const tick = getComputedStyle(check, '::after');
  return {checked: chip.querySelector('input').checked, tick: tick.content,
          width: parseFloat(tick.borderRightWidth), visible: check.offsetWidth > 0};
}
"""


def check_ticks(page, selected: list[str]) -> None:
    """A selected reason chip shows a tick (a shape, not only a colour); the others show none."""
    chips = page.locator("label.chip")
    for n in range(chips.count()):
        chip = chips.nth(n)
        state = chip.evaluate(CHECKED_JS)
        want = any(label in chip.inner_text() for label in selected)
        assert state["checked"] == want and state["visible"]
        if want:
            assert state["tick"] != "none" and state["width"] >= 3, chip.inner_text()
        else:
            assert state["tick"] == "none", chip.inner_text()


def shoot(page, screenshot_dir, name: str) -> None:
    page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)


def go(page, locator, *, click=False) -> None:
    """Tap (or click) something that loads the next screen, and wait for that screen."""
    with page.expect_navigation():
        locator.click() if click else locator.tap()


def tap_face(page, label: str) -> None:
    go(page, page.get_by_role("button", name=label, exact=True))


@pytest.mark.parametrize(
    ("size_name", "viewport"),
    [("portrait", TABLET_PORTRAIT), ("landscape", TABLET_LANDSCAPE), ("phone", PHONE)],
)
def test_tap_through_a_full_admin_survey(
    browser, kiosk_server, screenshot_dir, size_name, viewport
):
    context = browser.new_context(viewport=viewport, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{kiosk_server.url}/c/1")
    assert page.locator("html").get_attribute("lang") == "vi"
    check_targets(page, "welcome")
    shoot(page, screenshot_dir, f"kiosk-{size_name}-1-welcome")
    go(page, page.get_by_role("link", name="Bắt đầu đánh giá"))

    answers = ["Rất hài lòng", "Hài lòng", "Bình thường", "Rất không hài lòng", "Hài lòng"]
    for n, label in enumerate(answers, start=2):
        check_targets(page, f"screen {n}")
        check_no_opinion(page, f"screen {n}")
        shoot(page, screenshot_dir, f"kiosk-{size_name}-{n}-question")
        # What was tapped is never echoed on the next screen.
        tap_face(page, label)
        assert "Bạn đã chọn" not in page.content()
    # Last factor screen: skip it.
    go(page, page.get_by_role("button", name="Bỏ qua"))
    # A 1 was given: the reasons screen.
    assert "/reasons" in page.url
    check_targets(page, "reasons")
    shoot(page, screenshot_dir, f"kiosk-{size_name}-8-reasons")
    page.locator("label.chip", has_text="Chờ lâu").tap()
    page.locator("label.chip", has_text="Thái độ").tap()
    check_ticks(page, ["Chờ lâu", "Thái độ"])
    shoot(page, screenshot_dir, f"kiosk-{size_name}-8-reasons-chosen")
    go(page, page.get_by_role("button", name="Gửi"))
    assert page.url.endswith("/c/1/thanks")
    check_targets(page, "thanks")
    shoot(page, screenshot_dir, f"kiosk-{size_name}-9-thanks")
    # Back to the welcome screen by itself, with nothing left in the browser.
    page.wait_for_url(f"{kiosk_server.url}/c/1", timeout=10_000)
    assert context.cookies() == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0

    [response] = responses(kiosk_server.app)
    assert response.answers == {"Q0": 5, "A0": 4, "B0": 3, "C0": 1, "D0": 4}
    assert response.reasons == ["attitude", "waiting"]
    assert response.status == "complete" and response.seq == 1
    context.close()


def test_tap_through_the_full_admin_questionnaire(browser, tmp_path, screenshot_dir):
    """The full variant: every criterion of the SIPAS service-delivery part, radios per factor."""
    from shared import questionnaires

    full = questionnaires.current("admin", "full")
    app = kiosk_app(tmp_path, VARIANT="full")
    expected = {}
    with LiveServer(app) as server:
        for size_name, viewport in (("portrait", TABLET_PORTRAIT), ("phone", PHONE)):
            context = browser.new_context(viewport=viewport, has_touch=True)
            page = context.new_page()
            page.goto(f"{server.url}/c/1/admin/new/0")
            tap_face(page, "Hài lòng")
            expected = {"Q0": 4}
            for n, factor in enumerate(full.factors, start=1):
                check_targets(page, f"full factor {factor.code}")
                check_no_opinion(page, f"full factor {factor.code}")
                shoot(page, screenshot_dir, f"kiosk-full-{size_name}-{n}-{factor.code}")
                for i, item in enumerate(factor.items):
                    value = 5 - (i % 3)  # 5, 4, 3, 5, ...
                    group = page.locator("fieldset.item").nth(i)
                    group.locator(f"label.answer:has(input[value='{value}'])").tap()
                    expected[item.code] = value
                go(page, page.get_by_role("button", name="Tiếp theo"))
            assert page.url.endswith("/c/1/thanks")
            context.close()
    found = responses(app)
    assert len(found) == 2
    assert found[-1].answers == expected and len(expected) == 17
    assert found[-1].questionnaire_version == full.version
    db.engine(app).dispose()


def test_kind_chooser_and_english(browser, kiosk_server, screenshot_dir):
    context = browser.new_context(viewport=TABLET_LANDSCAPE, has_touch=True)
    page = context.new_page()
    page.goto(f"{kiosk_server.url}/c/2")
    assert page.get_by_role("link", name="Dịch vụ hành chính công").is_visible()
    assert page.get_by_role("link", name="Dịch vụ y tế").is_visible()
    go(page, page.get_by_role("link", name="English"))
    shoot(page, screenshot_dir, "kiosk-landscape-chooser-en")
    go(page, page.get_by_role("link", name="Health services"))
    assert page.locator("html").get_attribute("lang") == "en"
    tap_face(page, "Satisfied")
    [response] = responses(kiosk_server.app)
    assert response.kind == "health" and response.answers == {"Q0": 4}
    context.close()


def test_works_with_javascript_off(browser, kiosk_server):
    context = browser.new_context(viewport=TABLET_PORTRAIT, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{kiosk_server.url}/c/1")
    go(page, page.get_by_role("link", name="Bắt đầu đánh giá"), click=True)
    for label in ["Hài lòng"] * 6:
        go(page, page.get_by_role("button", name=label, exact=True), click=True)
    assert page.url.endswith("/c/1/thanks")
    # Without JavaScript the page returns by <meta http-equiv="refresh">.
    page.wait_for_url(f"{kiosk_server.url}/c/1", timeout=10_000)
    [response] = responses(kiosk_server.app)
    assert response.status == "complete" and set(response.answers.values()) == {4}
    context.close()


def test_reason_chips_show_a_tick_with_javascript_off(browser, kiosk_server, screenshot_dir):
    context = browser.new_context(viewport=TABLET_PORTRAIT, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{kiosk_server.url}/c/1/admin/new/0")
    check_no_opinion(page, "first screen, JavaScript off")
    go(page, page.get_by_role("button", name="Rất không hài lòng", exact=True), click=True)
    for _ in range(5):
        go(page, page.get_by_role("button", name="Bỏ qua"), click=True)
    assert "/reasons" in page.url
    check_ticks(page, [])
    page.locator("label.chip", has_text="Cơ sở vật chất").click()
    check_ticks(page, ["Cơ sở vật chất"])
    shoot(page, screenshot_dir, "kiosk-portrait-nojs-reasons-chosen")
    go(page, page.get_by_role("button", name="Gửi"), click=True)
    [response] = responses(kiosk_server.app)
    assert response.reasons == ["facilities"] and response.answers == {"Q0": 1}
    context.close()


def test_health_offers_reasons_of_its_own(browser, kiosk_server, screenshot_dir):
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    page.goto(f"{kiosk_server.url}/c/2/health/new/0")
    check_no_opinion(page, "health, phone")
    tap_face(page, "Không hài lòng")
    for _ in range(5):
        go(page, page.get_by_role("button", name="Bỏ qua"))
    chips = page.locator("label.chip").all_inner_texts()
    assert "Thái độ của bác sĩ, điều dưỡng" in [c.strip() for c in chips]
    assert not any("thủ tục" in c or "giấy tờ" in c for c in chips), chips
    page.locator("label.chip", has_text="Vệ sinh").tap()
    check_ticks(page, ["Vệ sinh"])
    shoot(page, screenshot_dir, "kiosk-phone-health-reasons-chosen")
    context.close()


def test_idle_screen_returns_to_welcome(browser, tmp_path):
    app = kiosk_app(tmp_path, IDLE_TIMEOUT=2)
    with LiveServer(app) as server:
        context = browser.new_context(viewport=TABLET_PORTRAIT, has_touch=True)
        page = context.new_page()
        page.goto(f"{server.url}/c/1/admin/new/0")
        tap_face(page, "Hài lòng")
        assert "/r/" in page.url
        page.wait_for_url(f"{server.url}/c/1", timeout=10_000)
        # The welcome screen replaced the question: Back does not lead into the old survey.
        assert page.evaluate("history.length") <= 3
        context.close()
    db.engine(app).dispose()


def test_the_officer_sets_who_is_on_duty(browser, tmp_path, screenshot_dir):
    from werkzeug.security import generate_password_hash

    app = kiosk_app(tmp_path, STAFF_PIN_HASH=generate_password_hash("2468"))
    with LiveServer(app) as server:
        context = browser.new_context(viewport=TABLET_PORTRAIT, has_touch=True)
        page = context.new_page()
        page.goto(f"{server.url}/staff/")
        page.fill("#pin", "2468")
        go(page, page.get_by_role("button", name="Xem tình trạng quầy"), click=True)
        page.fill("#officer-1", "CB-07")
        go(page, page.get_by_role("button", name="Ghi nhận trực"), click=True)
        assert page.locator("#duty-1").inner_text() == "CB-07"
        check_targets(page, "staff page")
        shoot(page, screenshot_dir, "kiosk-portrait-staff-duty")
        page.goto(f"{server.url}/c/1/admin/new/0")
        tap_face(page, "Hài lòng")
        [response] = responses(app)
        assert response.officer == "CB-07"
        context.close()
    db.engine(app).dispose()


def _to_reasons(page, url: str) -> None:
    page.goto(f"{url}/c/1/admin/new/0")
    tap_face(page, "Rất không hài lòng")
    for _ in range(5):
        go(page, page.get_by_role("button", name="Bỏ qua"))
    assert page.url.endswith("/reasons")


def test_a_comment_typed_slowly_survives(browser, tmp_path, screenshot_dir):
    """Each key starts the screen's idle time again: a comment typed over six times the reasons
    screen's timeout is sent whole, while the kiosk's worker thread keeps closing idle responses
    (the drafts keep this one alive)."""
    import threading
    import time

    from kiosk.worker import Worker

    timeout = 5
    app = kiosk_app(tmp_path, IDLE_TIMEOUT=timeout, REASONS_IDLE_TIMEOUT=timeout)
    stop = threading.Event()
    worker = Worker(app, stop)
    worker.start()
    try:
        with LiveServer(app) as server:
            context = browser.new_context(viewport=TABLET_PORTRAIT, has_touch=True)
            page = context.new_page()
            _to_reasons(page, server.url)
            page.locator("label.chip", has_text="Chờ lâu").tap()
            comment = page.locator("#comment")
            comment.tap()
            words = "Phải chờ gần một tiếng mới đến lượt, nên có thêm người ở quầy".split()
            started = time.monotonic()
            for word in words:
                # A pause shorter than the timeout between words, many of them: without the
                # restart the screen would have gone back to the welcome page after 5 s.
                comment.press_sequentially(word + " ", delay=60)
                page.wait_for_timeout(2000)
                assert page.url.endswith("/reasons"), (
                    f"sent away after {time.monotonic() - started:.0f} s"
                )
            typed_for = time.monotonic() - started
            assert typed_for > 6 * timeout
            shoot(page, screenshot_dir, "kiosk-portrait-reasons-slow-comment")
            go(page, page.get_by_role("button", name="Gửi"))
            assert page.url.endswith("/c/1/thanks")
            context.close()
    finally:
        stop.set()
        worker.join(timeout=5)
    [response] = responses(app)
    assert response.status == "complete"
    assert response.comment == " ".join(words)
    assert response.reasons == ["waiting"]
    db.engine(app).dispose()


def test_a_timed_out_survey_keeps_its_reasons_and_comment(browser, tmp_path):
    app = kiosk_app(tmp_path, IDLE_TIMEOUT=30, REASONS_IDLE_TIMEOUT=3)
    with LiveServer(app) as server:
        context = browser.new_context(viewport=TABLET_PORTRAIT, has_touch=True)
        page = context.new_page()
        _to_reasons(page, server.url)
        page.locator("label.chip", has_text="Chờ lâu").tap()
        page.locator("label.chip", has_text="Thái độ").tap()
        page.locator("#comment").fill("Gọi lại cho tôi số 0912 345 678")
        # Nobody touches the screen any more: it goes back to the welcome page by itself.
        page.wait_for_url(f"{server.url}/c/1", timeout=15_000)
        context.close()
    [response] = responses(app)
    assert response.status == "partial" and response.seq == 1
    assert response.answers == {"Q0": 1}
    assert response.reasons == ["attitude", "waiting"]
    # Cleaned as every comment is (shared.text.clean_comment): the phone number is gone.
    assert response.comment == "Gọi lại cho tôi số [số điện thoại]"
    db.engine(app).dispose()


@pytest.mark.parametrize("script", [True, False], ids=["js", "nojs"])
def test_back_fixes_a_mis_tap(browser, kiosk_server, screenshot_dir, script):
    context = browser.new_context(
        viewport=TABLET_PORTRAIT, has_touch=script, java_script_enabled=script
    )
    page = context.new_page()
    page.goto(f"{kiosk_server.url}/c/1/admin/new/0")
    back = page.locator(".bar button.back")
    assert back.inner_text().strip() == "Quay lại"

    def tap_face(label: str) -> None:
        go(page, page.get_by_role("button", name=label, exact=True), click=True)

    tap_face("Hài lòng")
    tap_face("Rất không hài lòng")  # meant "Rất hài lòng"
    assert page.url.endswith("/2")
    go(page, back, click=True)
    assert page.url.endswith("/1")
    chosen = page.locator("button.answer.chosen")
    assert chosen.count() == 1 and "Rất không hài lòng" in chosen.inner_text()
    check_targets(page, "back to a question")
    shoot(page, screenshot_dir, f"kiosk-portrait-back-{'js' if script else 'nojs'}")
    tap_face("Rất hài lòng")
    for label in ["Hài lòng"] * 4:
        tap_face(label)
    assert page.url.endswith("/c/1/thanks")
    [response] = responses(kiosk_server.app)
    assert response.status == "complete"
    assert response.answers == {"Q0": 4, "A0": 5, "B0": 4, "C0": 4, "D0": 4, "E0": 4}
    context.close()
