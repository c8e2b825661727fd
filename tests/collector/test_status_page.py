"""The kiosk status page: Vietnamese by default, chain problems visible, closed unless opened."""

from __future__ import annotations

from collector import create_app
from collector.db import get_db, get_session
from collector.units import add_unit
from shared.chain import GENESIS
from tests.factories import login, make_response, make_user


def test_the_page_lists_kiosks_in_vietnamese_with_their_problems(client, kiosk):
    batch = kiosk.batch(6)
    kiosk.post(batch[:2] + batch[4:])  # 3 and 4 never arrived
    kiosk.post([make_response(7, "ab" * 32)])  # a link that does not match seq 6
    kiosk.heartbeat(queue_length=12)
    page = client.get("/kiosks/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Các ki-ốt" in html and "Chờ gửi" in html and "Số bị thiếu" in html
    assert "Xã Một" in html and "Quầy 1" in html
    row = html[html.index(f'id="kiosk-{kiosk.id}"') :]
    assert "3–4" in row  # the gap
    assert "thiếu 2 phiếu" in row
    assert '<span class="problem">7</span>' in row  # the broken link
    assert ">12<" in row  # the backlog from the heartbeat
    assert "Cần kiểm tra" in row


def test_english_on_request(client, kiosk):
    html = client.get("/kiosks/?lang=en").get_data(as_text=True)
    assert "Kiosks" in html and "Backlog" in html and "Chờ gửi" not in html


def test_a_healthy_kiosk_is_ok(client, kiosk):
    kiosk.post(kiosk.batch(3))
    html = client.get("/kiosks/").get_data(as_text=True)
    row = html[html.index(f'id="kiosk-{kiosk.id}"') :]
    assert "Bình thường" in row and "Cần kiểm tra" not in row
    assert GENESIS not in html


def test_a_kiosk_never_heard_from_says_so(client, kiosk):
    html = client.get("/kiosks/").get_data(as_text=True)
    row = html[html.index(f'id="kiosk-{kiosk.id}"') :].split("</tr>")[0]
    assert "Chưa từng liên lạc" in row and "Bình thường" not in row


def test_the_start_page_leads_to_the_report(client):
    reply = client.get("/")
    assert reply.status_code == 302
    assert reply.headers["Location"].endswith("/reports")


def test_the_page_is_for_administrators_in_production_unless_opened(db_url, tmp_path):
    config = {"SECRET_KEY": "s" * 32, "DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path)}
    closed = create_app(config)
    opened = create_app({**config, "OPEN_STATUS_PAGE": True})
    try:
        with closed.app_context():
            add_unit(get_session(), "P01", "Tỉnh Một", "province")
            get_session().commit()
        make_user(closed, "boss@example.org", "admin", None)
        make_user(closed, "chair@example.org", "manager", "P01")
        anonymous = closed.test_client().get("/kiosks/")
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        manager = closed.test_client()
        assert login(manager, "chair@example.org").status_code == 302
        reply = manager.get("/kiosks/")
        assert reply.status_code == 403
        assert "Bạn không có quyền xem trang này." in reply.get_data(as_text=True)
        admin = closed.test_client()
        login(admin, "boss@example.org")
        assert admin.get("/kiosks/").status_code == 200
        assert opened.test_client().get("/kiosks/").status_code == 200
    finally:
        get_db(closed).dispose()
        get_db(opened).dispose()


def test_an_unknown_page_is_a_vietnamese_404(client):
    reply = client.get("/nowhere")
    assert reply.status_code == 404
    assert "Không có trang này." in reply.get_data(as_text=True)
