"""The phone survey reads aloud with plain <audio> elements (no script: they work with JavaScript
off), from the collector itself and only when pressed; the slip says so in one line."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    answer_screen,
    issue,
    login,
    path_of,
    question_codes,
)

AUDIO = re.compile(
    r'<audio class="listen" controls preload="none" src="([^"]+)" aria-label="([^"]+)">'
)


@pytest.fixture
def itoken(app, units, make) -> str:
    return make.integration("C01")


def test_each_question_of_the_phone_survey_has_a_plain_player(client, itoken):
    path = path_of(issue(client, itoken).get_json()["url"])
    for _ in range(3):
        page = client.get(path)
        html = page.get_data(as_text=True)
        players = AUDIO.findall(html)
        codes = question_codes(html)
        assert codes and len(players) == len(codes)
        for (src, label), code in zip(players, codes, strict=True):
            assert src.startswith("/voices/vi/question.") and src.endswith(f".{code}.opus")
            assert label == "Nghe đọc câu hỏi"
        assert "<script" not in html and len(page.data) < 30 * 1024
        clip = client.get(players[0][0])
        assert clip.status_code == 200 and clip.data[:4] == b"OggS"
        clip.close()
        answer_screen(client, path, 4)


def test_the_slip_says_the_survey_can_be_listened_to(app, client, itoken, make):
    token = issue(client, itoken).get_json()["token"]
    make.user("m@example.org", "manager", "C01")
    login(client, "m@example.org")
    html = client.get(f"/receipts/{token}/slip").get_data(as_text=True)
    assert "<li>Có thể nghe đọc từng câu hỏi: bấm nút phát bên cạnh câu hỏi.</li>" in html
