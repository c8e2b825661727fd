"""Text a citizen types at the kiosk (issue 7, findings 6 and 10): normalised, personal data
replaced by markers before it is hashed and stored, and a NUL refused with a message in the
citizen's language while the rating is kept."""

from __future__ import annotations

from kiosk.survey import wire
from shared.chain import response_hash
from tests.factories import Tablet


def _to_reasons(tablet: Tablet, lang: str | None = None) -> None:
    suffix = f"?lang={lang}" if lang else ""
    tablet.open(f"/c/{tablet.counter}/admin/new/0{suffix}")
    tablet.tap("Q0", 1)
    for _ in range(5):
        tablet.skip()
    assert "/reasons" in tablet.url


def test_personal_data_in_a_comment_is_replaced_before_it_is_hashed(app, client, stored):
    tablet = Tablet(client)
    _to_reasons(tablet)
    comment = "Cho\u0302\u0300 lâu. Gọi 0912 345 678, thư a.b@gmail.com, CCCD 001099012345\x01"
    tablet.post({"comment": comment, "next": "1"})
    [response] = stored()
    assert response.comment == "Chồ lâu. Gọi [số điện thoại], thư [email], CCCD [số giấy tờ]"
    assert response.status == "complete"
    # Hashed over the cleaned comment: the collector then stores it as sent, hash reproducible.
    body = wire(response)
    assert response_hash(body, body["prev_hash"]) == response.hash


def test_a_nul_in_a_comment_is_refused_in_vietnamese_and_the_rating_kept(app, client, stored):
    tablet = Tablet(client)
    _to_reasons(tablet)
    refused = tablet.post({"comment": "xấu\x00quá", "next": "1"}, expect=400)
    assert "không lưu được" in refused.get_data(as_text=True)
    [response] = stored()
    assert response.status == "open" and response.answers == {"Q0": 1}
    tablet.page = refused
    tablet.post({"comment": "xấu quá", "next": "1"})
    [response] = stored()
    assert response.status == "complete" and response.comment == "xấu quá"


def test_the_nul_message_follows_the_citizens_language(app, client):
    tablet = Tablet(client)
    _to_reasons(tablet, lang="en")
    refused = tablet.post({"comment": "bad\x00", "next": "1"}, expect=400, url=tablet.url)
    assert "cannot be saved" in refused.get_data(as_text=True)
