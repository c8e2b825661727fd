"""Read aloud at the kiosk, without a browser: each screen's parts carry their clips, served by
the kiosk itself; the staff page's "read each screen aloud"; a prompt without a clip is listed to
staff and never shown to the citizen."""

from __future__ import annotations

import re
import shutil

import pytest

from shared import questionnaires
from shared.voices import PACKS_DIR, question_key
from tests.factories import STAFF_PASS, WITH_PIN, Tablet, staff_page

CLIP = re.compile(r'data-clip="([^"]+)"')
READ_ALOUD_TOKEN = re.compile(
    r'id="csrf-read-aloud" name="csrf_token" type="hidden" value="([^"]+)"'
)


def test_a_question_screen_reads_the_question_then_each_answer(tablet):
    page = tablet.start().get_data(as_text=True)
    assert 'id="listen"' in page and 'aria-label="Nghe đọc"' in page
    clips = CLIP.findall(page)
    q = questionnaires.current("admin", "short")
    assert clips[:7] == [
        f"/voices/vi/{question_key(q, 'Q0')}.opus",
        *[f"/voices/vi/scale.{v}.opus" for v in (5, 4, 3, 2, 1, 0)],
    ]
    assert clips[7] == "/voices/vi/screen.skip.opus"


def test_the_kiosk_serves_its_clips_itself(client, tablet):
    url = CLIP.findall(tablet.start().get_data(as_text=True))[0]
    clip = client.get(url)
    assert clip.status_code == 200 and clip.mimetype == "audio/ogg"
    assert clip.data[:4] == b"OggS"
    assert clip.headers["Cache-Control"] == "public, max-age=86400"
    clip.close()
    assert client.get("/voices/vi/nothing.opus").status_code == 404
    assert client.get("/voices/vi/manifest.json").status_code == 404
    assert client.get("/voices/xx/scale.5.opus").status_code == 404


def test_the_welcome_and_thanks_screens_read_too(client):
    welcome = client.get("/c/2").get_data(as_text=True)
    assert CLIP.findall(welcome) == [
        "/voices/vi/screen.welcome.opus",
        "/voices/vi/screen.kind_admin.opus",
        "/voices/vi/screen.kind_health.opus",
        "/voices/vi/screen.kind_education.opus",
    ]
    thanks = client.get("/c/1/thanks").get_data(as_text=True)
    assert CLIP.findall(thanks) == ["/voices/vi/screen.thanks.opus"]


@WITH_PIN
def test_staff_turn_on_reading_each_screen_aloud(client):
    assert "data-read-aloud" not in client.get("/c/1").get_data(as_text=True)
    page = staff_page(client)
    assert '<td id="read-aloud-state">Tắt</td>' in page
    form = {
        "csrf_token": READ_ALOUD_TOKEN.search(page).group(1),
        "staff_pass": STAFF_PASS.search(page).group(1),
        "read_aloud": "1",
    }
    reply = client.post("/staff/read-aloud", data=form)
    assert reply.status_code == 200
    assert '<td id="read-aloud-state">Bật</td>' in reply.get_data(as_text=True)
    assert 'data-read-aloud="1"' in client.get("/c/1").get_data(as_text=True)
    # The same pass again changes nothing: it was spent.
    assert client.post("/staff/read-aloud", data={**form, "read_aloud": "0"}).status_code == 403
    assert 'data-read-aloud="1"' in client.get("/c/1").get_data(as_text=True)


@WITH_PIN
def test_read_aloud_needs_the_form_from_a_pin_reply(client):
    page = staff_page(client)
    token = READ_ALOUD_TOKEN.search(page).group(1)
    bad = {"csrf_token": token, "staff_pass": "forged", "read_aloud": "1"}
    assert client.post("/staff/read-aloud", data=bad).status_code == 403
    assert client.post("/staff/read-aloud", data={"read_aloud": "1"}).status_code == 403
    assert 'data-read-aloud="1"' not in client.get("/c/1").get_data(as_text=True)


@WITH_PIN
def test_a_missing_clip_is_said_to_staff_not_to_the_citizen(app, client, tablet, tmp_path):
    pack = tmp_path / "voices" / "vi"
    shutil.copytree(PACKS_DIR / "vi", pack, ignore=shutil.ignore_patterns("scale.3.opus"))
    manifest = (pack / "manifest.json").read_text("utf-8").splitlines()
    kept = [line for line in manifest if '"key": "scale.3"' not in line]
    (pack / "manifest.json").write_text("\n".join(kept) + "\n", "utf-8")
    page = tablet.start().get_data(as_text=True)
    assert "/voices/vi/scale.3.opus" not in page and "/voices/vi/scale.4.opus" in page
    assert "scale.3" not in page
    staff = staff_page(client)
    assert re.search(
        r'<ul id="voice-gaps">\s*<li><code class="detail">vi</code> scale.3</li>', staff
    )


@pytest.mark.parametrize("config_overrides", [{"STAFF_PIN_HASH": ""}])
def test_read_aloud_is_closed_without_a_pin(client):
    assert client.post("/staff/read-aloud", data={"read_aloud": "1"}).status_code == 404


def _second_pack(instance, language="bru", name="Bru-Vân Kiều", leave_out=("scale.2",)):
    """A pack of a second language in the instance: the Vietnamese clips under another name,
    without `leave_out`."""
    import json

    pack = instance / "voices" / language
    shutil.copytree(PACKS_DIR / "vi", pack)
    data = json.loads((pack / "manifest.json").read_text("utf-8"))
    data.update(language=language, name=name)
    data["clips"] = [c for c in data["clips"] if c["key"] not in leave_out]
    (pack / "manifest.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return pack


def test_with_one_pack_there_is_no_language_to_choose(client):
    assert 'class="voices"' not in client.get("/c/1").get_data(as_text=True)


@WITH_PIN
def test_a_citizen_chooses_a_language_to_hear_for_their_screens_only(app, client, tmp_path):
    _second_pack(tmp_path)
    welcome = client.get("/c/1").get_data(as_text=True)
    assert re.search(
        r'<a class="btn minor voice" href="/c/1\?voice=vi" lang="vi"[^>]*>Tiếng Việt', welcome
    )
    assert 'href="/c/1?voice=bru" lang="bru">Bru-Vân Kiều</a>' in welcome
    assert "data-read-aloud" not in welcome
    chosen = client.get("/c/1?voice=bru").get_data(as_text=True)
    assert 'data-read-aloud="1"' in chosen  # the spoken sample: the welcome read in that language
    assert "/voices/bru/screen.welcome.opus" in chosen
    assert 'href="/c/1/admin/new/0?voice=bru"' in chosen
    tablet = Tablet(client)
    screen = tablet.open("/c/1/admin/new/0?voice=bru").get_data(as_text=True)
    clips = CLIP.findall(screen)
    assert "/voices/bru/scale.5.opus" in clips
    assert "/voices/vi/scale.2.opus" in clips  # no clip in bru: the Vietnamese one
    assert "?voice=bru" in re.search(r'action="([^"]+)"', screen).group(1)
    assert "voice-gaps" not in screen and "Một số lời đọc" not in screen  # staff only
    tablet.tap("Q0", 4)
    assert "voice=bru" in tablet.url
    assert "/voices/bru/" in tablet.page.get_data(as_text=True)
    # The next citizen starts in Vietnamese: every screen's way home drops the choice.
    assert 'data-home="/c/1"' in tablet.page.get_data(as_text=True)
    staff = staff_page(client)
    assert re.search(r"<li><code class=\"detail\">bru</code> scale.2</li>", staff)
    assert client.get("/c/1?voice=xx").get_data(as_text=True).count("/voices/vi/") >= 2


@WITH_PIN
def test_a_response_records_its_language_and_whether_listen_was_used(app, client, tmp_path, stored):
    from kiosk.survey import wire
    from shared.chain import canonical

    _second_pack(tmp_path)
    tablet = Tablet(client)
    tablet.open("/c/1/admin/new/0?voice=bru")
    tablet.post({"Q0": "4"})  # not listened to on the first screen
    tablet.post({"A0": "5", "listened": "1"})  # "listen" pressed on the second
    tablet.start()  # the next citizen, in Vietnamese, who never presses "listen"
    tablet.tap("Q0", 3)
    first, second = stored()
    assert (first.voice, first.listened) == ("bru", True)
    assert (second.voice, second.listened) == ("vi", False)
    sent = wire(first)
    assert sent["voice"] == "bru" and sent["listened"] is True
    # Both are covered by the hash chain.
    body = canonical(sent, "0" * 64).decode()
    assert '"listened":true' in body and '"voice":"bru"' in body
