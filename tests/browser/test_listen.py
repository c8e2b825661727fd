"""Read aloud at the kiosk, in real Chromium: a "listen" control of at least 64 px on every
screen plays the question and then each answer while its face is highlighted; tapping a face
during the reading answers at once; the clips come from the kiosk itself; the staff page's
setting reads each screen by itself; a missing clip falls back to Vietnamese and shows to staff
only."""

from __future__ import annotations

import shutil

import pytest

from shared.voices import PACKS_DIR, question_key
from tests.browser.live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    KIOSK_PIN,
    counter_kiosk,
    receipt_survey_path,
)

#: The order the parts of a question screen are read in (short questionnaire, counter 1).
#: Each part's clip is recorded as it starts playing.
WATCH = """
window.__read = [];
const voice = document.getElementById("voice");
voice.defaultPlaybackRate = 4;
voice.addEventListener("playing", () => {
  const part = document.querySelector(".speaking");
  window.__read.push([voice.currentSrc, part ? (part.value || part.tagName) : null]);
});
"""


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    with counter_kiosk(tmp_path_factory.mktemp("listen-kiosk")) as server:
        yield server


@pytest.fixture(scope="module")
def audible(browser):
    """A Chromium that plays sound without a gesture first (as a kiosk is started)."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
    )
    yield chromium
    chromium.close()


def _first_screen(page, base):
    page.goto(base + "/c/1")
    with page.expect_navigation():
        page.locator("a.start").first.click()


@pytest.mark.parametrize("size", [(800, 1280), (390, 844)])
def test_every_screen_has_a_large_listen_control_with_a_name(audible, kiosk, screenshot_dir, size):
    page = audible.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(kiosk.url + "/c/1")
    for name in ("welcome", "question", "reasons", "thanks"):
        listen = page.locator("button#listen")
        box = listen.bounding_box()
        assert box["width"] >= 64 and box["height"] >= 64
        assert listen.get_attribute("aria-label") == "Nghe đọc"
        assert listen.locator("svg").count() == 1
        page.screenshot(path=str(screenshot_dir / f"kiosk-listen-{name}-{size[0]}x{size[1]}.png"))
        if name == "welcome":
            with page.expect_navigation():
                page.locator("a.start").first.click()
        elif name == "question":
            while "/reasons" not in page.url:  # answering 1 each time brings the reasons
                with page.expect_navigation():
                    page.locator("button.answer[value='1']").click()
        elif name == "reasons":
            with page.expect_navigation():
                page.locator("button[name=skip]").click()
    page.close()


def test_listen_reads_the_question_then_each_face_in_order(audible, kiosk):
    from shared import questionnaires

    page = audible.new_page(viewport={"width": 800, "height": 1280})
    _first_screen(page, kiosk.url)
    page.evaluate(WATCH)
    page.locator("button#listen").click()
    page.wait_for_function("() => window.__read.length >= 6", timeout=30000)
    read = page.evaluate("window.__read")
    q = questionnaires.current("admin", "short")
    assert read[0][0] == f"{kiosk.url}/voices/vi/{question_key(q, 'Q0')}.opus"
    assert read[0][1] == "H1"
    faces = [part for _, part in read[1:6]]
    assert faces == ["5", "4", "3", "2", "1"]
    assert [src.rsplit("/", 1)[1] for src, _ in read[1:6]] == [
        f"scale.{v}.opus" for v in (5, 4, 3, 2, 1)
    ]
    # Each entry was written by a "playing" event: every clip read did start to sound. (The
    # element's `played` ranges are no proof: they start empty with each new clip.)
    assert all(src.endswith(".opus") for src, _ in read)
    page.close()


def test_tapping_a_face_while_it_reads_answers_at_once(audible, kiosk):
    page = audible.new_page(viewport={"width": 800, "height": 1280})
    _first_screen(page, kiosk.url)
    first = page.url
    page.evaluate(WATCH.replace("voice.defaultPlaybackRate = 4;", ""))
    page.locator("button#listen").click()
    page.wait_for_function("() => window.__read.length >= 1", timeout=10000)
    assert page.evaluate("!document.getElementById('voice').paused")
    with page.expect_navigation():
        page.locator("button.answer[value='4']").click()
    assert page.url != first and "/r/" in page.url
    page.close()


def test_the_staff_setting_reads_each_screen_by_itself(audible, kiosk):
    page = audible.new_page(viewport={"width": 800, "height": 1280})
    page.goto(kiosk.url + "/staff/")
    page.fill("input[name=pin]", KIOSK_PIN)
    with page.expect_navigation():
        page.locator("form [type=submit]").first.click()
    with page.expect_navigation():
        page.locator("form.read-aloud [type=submit]").click()
    assert page.locator("#read-aloud-state").inner_text() == "Bật"
    page.goto(kiosk.url + "/c/1")
    page.wait_for_function("() => document.querySelector('.speaking') !== null", timeout=10000)
    assert page.locator(".speaking").first.evaluate("el => el.tagName") == "H1"
    page.close()


def test_a_missing_clip_falls_back_to_vietnamese_and_shows_to_staff(tmp_path, audible):
    vi = PACKS_DIR / "vi"
    (tmp_path / "kiosk").mkdir()
    with counter_kiosk(tmp_path / "kiosk") as server:
        pack = tmp_path / "kiosk" / "voices" / "vi"
        shutil.copytree(vi, pack, ignore=shutil.ignore_patterns("scale.3.opus"))
        manifest = (pack / "manifest.json").read_text("utf-8")
        lines = [line for line in manifest.splitlines() if '"key": "scale.3"' not in line]
        (pack / "manifest.json").write_text("\n".join(lines) + "\n", "utf-8")
        page = audible.new_page(viewport={"width": 800, "height": 1280})
        _first_screen(page, server.url)
        neutral = page.locator("button.answer[value='3']")
        assert neutral.get_attribute("data-clip") is None  # no clip, no error for the citizen
        assert (
            page.locator("button.answer[value='4']")
            .get_attribute("data-clip")
            .startswith("/voices/vi/")
        )
        page.goto(server.url + "/staff/")
        page.fill("input[name=pin]", KIOSK_PIN)
        with page.expect_navigation():
            page.locator("form [type=submit]").first.click()
        assert "scale.3" in page.locator("#voice-gaps").inner_text()
        page.close()


def _survey_by_ear(page, base: str, voice: str) -> list[str]:
    """Through a whole survey at counter 1 with only "listen" and the faces (4 each time, so
    no reasons screen); the clips heard first on each screen."""
    heard = []
    for _ in range(10):
        if "/thanks" in page.url:
            break
        page.evaluate(WATCH)
        page.locator("button#listen").click()
        page.wait_for_function("() => window.__read.length >= 2", timeout=20000)
        heard.append(page.evaluate("window.__read[0][0]"))
        with page.expect_navigation():
            page.locator("button.answer[value='4']").click()
    assert "/thanks" in page.url
    return heard


def test_a_citizen_completes_a_survey_by_ear_in_vietnamese_and_in_another_language(
    tmp_path, audible, screenshot_dir
):
    from click.testing import CliRunner

    from kiosk.cli import kiosk as kiosk_cli
    from shared import questionnaires
    from shared.voices import prompts
    from tests.factories import tone

    # A second language's pack made by the import command from generated clips.
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    one = tone(tmp_path / "one.wav", seconds=0.6)
    for prompt in prompts():
        shutil.copy(one, recordings / f"{prompt.key}.wav")
    (tmp_path / "kiosk").mkdir()
    made = CliRunner().invoke(
        kiosk_cli,
        [
            "voices", "import", str(recordings), "--instance", str(tmp_path / "kiosk"),
            "--lang", "pko", "--name", "Pa Kô", "--by", "Tổ ghi âm",
        ],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    q = questionnaires.current("admin", "short")
    with counter_kiosk(tmp_path / "kiosk") as server:
        for size in ((800, 1280), (390, 844)):
            page = audible.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(server.url + "/c/1")
            assert page.locator(".voices a[lang=pko]").inner_text() == "Pa Kô"
            page.screenshot(
                path=str(screenshot_dir / f"kiosk-welcome-languages-{size[0]}x{size[1]}.png")
            )
            page.close()
        for voice in ("vi", "pko"):
            page = audible.new_page(viewport={"width": 800, "height": 1280})
            page.goto(server.url + "/c/1")
            with page.expect_navigation():
                page.locator(f".voices a[lang={voice}]").click()
            # The spoken sample: the welcome read by itself in the language chosen.
            page.wait_for_function(
                "() => (document.getElementById('voice').currentSrc || '').includes('/voices/')"
            )
            assert f"/voices/{voice}/screen.welcome.opus" in page.evaluate(
                "document.getElementById('voice').currentSrc"
            )
            with page.expect_navigation():
                page.locator("a.start").click()
            heard = _survey_by_ear(page, server.url, voice)
            assert heard[0] == f"{server.url}/voices/{voice}/{question_key(q, 'Q0')}.opus"
            assert all(f"/voices/{voice}/" in clip for clip in heard)
            assert len(heard) == 1 + len(q.factors)
            page.close()


def test_the_phone_survey_plays_a_question_with_javascript_off(audible, seeded, screenshot_dir):
    path = receipt_survey_path(seeded, "000.00.12.H40-261207-0418")
    context = audible.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    fetched = []
    page.on(
        "response", lambda r: fetched.append((r.url, r.status)) if "/voices/" in r.url else None
    )
    page.goto(seeded.url + path)
    player = page.locator("audio.listen").first
    src = player.get_attribute("src")
    assert src.startswith("/voices/vi/question.")
    assert fetched == []  # nothing is downloaded before it is asked for (the page has loaded)
    box = player.bounding_box()
    page.screenshot(path=str(screenshot_dir / "phone-listen-390x844.png"))
    # The browser's own play button, at the player's left end.
    with page.expect_response(lambda r: "/voices/" in r.url) as clip:
        page.mouse.click(box["x"] + 20, box["y"] + box["height"] / 2)
    assert clip.value.url == seeded.url + src and clip.value.status in (200, 206)
    assert clip.value.headers["content-type"] == "audio/ogg"
    context.close()
