"""shared.text: one normalisation and one redaction for every text a citizen or device sends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.redaction import EMAIL_MARK, ID_MARK, PHONE_MARK, redact_personal
from shared.text import clean_comment, has_nul, normalise_text


def test_normalise_makes_nfc_and_drops_controls_but_newlines():
    decomposed = "Cho\u0302\u0300 la\u0302u"  # "Chờ lâu" typed with combining marks
    assert normalise_text(decomposed) == "Chồ lâu"
    assert normalise_text("a\x00b\x01c\x1b[31md\x7fe\x85f") == "abc[31mdef"
    assert normalise_text("một\r\nhai\rba\tbốn") == "một\nhai\nba bốn"
    assert normalise_text("lone \ud800 surrogate") == "lone  surrogate"


@given(st.text())
def test_normalised_text_is_storable_everywhere(text):
    out = normalise_text(text)
    out.encode("utf-8")
    assert not has_nul(out)
    assert all(ch == "\n" or ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F for ch in out)
    assert normalise_text(out) == out


@pytest.mark.parametrize(
    "phone",
    [
        "0912345678",
        "0912 345 678",
        "091 234 5678",
        "0912.345.678",
        "0912-345-678",
        "+84912345678",
        "+84 912 345 678",
        "+84 91 234 56 78",
        "(+84) 912.345.678",
        "84912345678",
        "0084 912 345 678",
        "024 3825 3535",  # a Hà Nội landline
        "02838 123 456",
    ],
)
def test_vietnamese_phone_numbers_are_redacted(phone):
    out = redact_personal(f"Gọi tôi số {phone} nhé")
    assert out == f"Gọi tôi số {PHONE_MARK} nhé"


@pytest.mark.parametrize(
    "number",
    ["123456789", "001099012345", "079 099 012 345", "123.456.789"],
)
def test_cmnd_and_cccd_numbers_are_redacted(number):
    assert redact_personal(f"CCCD: {number}.") == f"CCCD: {ID_MARK}."


@pytest.mark.parametrize(
    "email", ["nguyen.van.a@gmail.com", "a+b@so-noi-vu.hanoi.gov.vn", "X_Y@example.org"]
)
def test_email_addresses_are_redacted(email):
    assert redact_personal(f"thư: {email}, cảm ơn") == f"thư: {EMAIL_MARK}, cảm ơn"


@pytest.mark.parametrize(
    "text",
    [
        "Chờ 45 phút, 3 quầy, năm 2026",
        "Hồ sơ số 12/2026 nộp ngày 01.03.2026",
        "phí 50.000 đồng",
        "mã hồ sơ 000.00.12.H40-260302-0001",  # a dossier code: its digits are glued to a code
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert redact_personal(text) == text


def test_clean_comment_strips_and_bounds():
    assert clean_comment(None) is None
    assert clean_comment(" \x00\x01 \n") is None
    assert clean_comment("  Gọi 0912345678  ") == f"Gọi {PHONE_MARK}"
    assert len(clean_comment("ư" * 2000, 1000)) == 1000
