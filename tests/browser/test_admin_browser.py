"""Administration in real Chromium: an administrator imports units, adds a commune's manager,
registers a kiosk and reads its token from the QR code, changes a target, and finds each action in
the audit log; the new manager must change the temporary password and sees only their commune."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from collector.accounts.service import add_user
from collector.db import get_db, get_session
from collector.fleet.kiosks import kiosk_for_token
from collector.fleet.opening import parse_hours_spec
from collector.models import Response, Unit
from collector.receipts.integrations import integration_for_token
from collector.units import add_unit
from tests.browser.live import LAPTOP, PHONE, LiveServer, collector_app

ADMIN = "quantri@example.org"
PASSWORD = "mật khẩu quản trị"  # noqa: S105 - a test account
MANAGER = "chutich.xaba@example.org"
UNITS_CSV = (
    "code,name,parent,kind\n"
    "C03,Xã Ba,P01,commune\n"
    "O03,Bộ phận Một cửa xã Ba,C03,one-stop-centre\n"
    "C04,Xã Bốn,KHONG-CO,commune\n"
)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("admin")
    app = collector_app(folder)
    with app.app_context():
        session = get_session()
        add_unit(session, "P01", "Tỉnh Thử", "province")
        for code, name in (("C01", "Xã Một"), ("C02", "Xã Hai")):
            add_unit(session, code, name, "commune", "P01")
        add_user(session, ADMIN, PASSWORD, "admin")
        session.commit()
    with LiveServer(app) as server:
        server.app = app
        yield server
    get_db(app).dispose()


def _log_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


def _submit(page, selector: str) -> None:
    """Click a button that sends a form, and wait for the page it brings."""
    with page.expect_navigation():
        page.click(selector)


def _set_up_kiosk_from(code: str, instance, collector_app, kiosk_id: int) -> None:
    """`sipas kiosk init --setup -` fed the code as a QR scanner types it; then the kiosk takes
    three ratings and sends them: the collector holds them under this kiosk."""
    import requests
    from click.testing import CliRunner

    from kiosk import create_app as kiosk_app
    from kiosk import db as kiosk_db
    from kiosk.cli import kiosk as kiosk_cli
    from kiosk.sample import take_sample_ratings
    from kiosk.worker import drain

    result = CliRunner().invoke(
        kiosk_cli,
        ["init", "--instance", str(instance), "--pin", "246813", "--setup", "-"],
        input=code + "\n",
    )
    assert result.exit_code == 0, result.output
    app = kiosk_app(instance_path=str(instance))
    assert app.config["OFFICE_NAME"] == "Bộ phận Một cửa xã Ba"
    take_sample_ratings(app, 3, every_minutes=5)
    assert drain(app, requests.Session()) == 3
    kiosk_db.engine(app).dispose()
    with collector_app.app_context():
        stored = list(
            get_session().scalars(sa.select(Response).where(Response.kiosk_id == kiosk_id))
        )
        assert len(stored) == 3 and {r.unit.code for r in stored} == {"O03"}


#: Elements wider than the page, outside the boxes that scroll on purpose (the administration's
#: wide tables scroll sideways in their own box; the report's never do).
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.scroll')) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) bad.push(el.tagName + '.' + el.className);
  }
  return bad.slice(0, 10);
}
"""


def _shoot(page, screenshot_dir, name: str) -> None:
    assert page.evaluate(OVERFLOW_JS) == [], name
    page.screenshot(path=str(screenshot_dir / f"admin-{name}.png"), full_page=True)


def test_an_administrator_runs_the_province_in_the_browser(
    browser, admin_server, screenshot_dir, tmp_path
):
    base = admin_server.url
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = context.new_page()
    _log_in(page, base, ADMIN, PASSWORD)
    page.click(".topbar >> text=Quản trị")
    assert page.locator("h1").inner_text() == "Đơn vị"

    # 1. Import the unit CSV: the bad row is reported and nothing is written until it is fixed.
    page.click("text=Nhập tệp CSV")
    csv = tmp_path / "units.csv"
    csv.write_text(UNITS_CSV, encoding="utf-8")
    page.set_input_files("input[type=file]", str(csv))
    _submit(page, "form[enctype] button")
    errors = page.locator("#import-errors li")
    assert errors.count() == 1
    assert "dòng 4" in errors.inner_text() and "KHONG-CO" in errors.inner_text()
    assert page.locator("#confirm-import").count() == 0
    _shoot(page, screenshot_dir, "import-preview-laptop")
    page.fill("#csv-text", UNITS_CSV.replace("KHONG-CO", "P01"))
    _submit(page, "button[name=confirm][value='0']")
    assert page.locator("#import-errors").count() == 0
    assert page.locator("tr.change-add").count() == 3
    _submit(page, "#confirm-import")
    assert "thêm 3" in page.locator(".flash").inner_text()
    page.fill("input[name=q]", "Xã Ba")
    _submit(page, "form[role=search] button")
    assert page.locator("#unit-C03").is_visible()
    assert page.locator("#unit-C01").count() == 0

    # 2. A manager for commune C03, with a temporary password.
    page.click(".tabs >> text=Người dùng")
    page.fill("input[name=email]", MANAGER)
    page.select_option("select[name=role]", "manager")
    page.select_option("form[action$='/admin/people'] select[name=unit]", "C03")
    _submit(page, "form[action$='/admin/people'] button")
    temporary = page.locator("#temporary-password").inner_text()
    assert len(temporary) >= 10

    # 3. A kiosk for the one-stop office of C03; its token read back from the QR code.
    page.click(".tabs >> text=Ki-ốt")
    page.select_option("#register select[name=unit]", "O03")
    page.fill("#register input[name=label]", "Quầy 1")
    _submit(page, "#register button")
    qr = Image.open(io.BytesIO(page.locator("#kiosk-qr").screenshot()))
    (found,) = zxingcpp.read_barcodes(qr)
    setup = json.loads(found.text)
    assert setup["collector_token"] == page.locator("#kiosk-token").inner_text()
    assert setup["collector_url"] == base and setup["unit"] == "O03"
    with admin_server.app.app_context():
        kiosk = kiosk_for_token(get_session(), setup["collector_token"])
        assert kiosk is not None and kiosk.id == setup["kiosk_id"] and kiosk.unit.code == "O03"
    assert found.text == page.locator("#kiosk-setup").inner_text()
    _shoot(page, screenshot_dir, "kiosk-token-laptop")
    # The kiosk is set up from the code read off the screen, and its ratings reach the collector.
    _set_up_kiosk_from(found.text, tmp_path / "kiosk", admin_server.app, kiosk.id)

    # 4. The health target of 2026, with its source.
    page.click(".tabs >> text=Chỉ tiêu")
    page.select_option("select[name=kind]", "health")
    page.fill("input[name=year]", "2026")
    page.fill("input[name=target]", "87.5")
    page.fill("input[name=source]", "Quyết định 15/QĐ-UBND")
    _submit(page, "form[action$='/admin/targets'] button")
    row = page.locator("#target-health-2026")
    assert "87,5" in row.inner_text() and "Quyết định 15/QĐ-UBND" in row.inner_text()

    # 5. Each action is in the audit log.
    page.click(".tabs >> text=Nhật ký")
    page.fill("input[name=person]", ADMIN)
    for action in ("units-imported", "user-added", "kiosk-registered", "target-set"):
        page.select_option("select[name=action]", action)
        _submit(page, "form.picker button")
        rows = page.locator("#audit tbody tr")
        assert rows.count() == 1, action
        assert ADMIN in rows.first.inner_text()
    _shoot(page, screenshot_dir, "audit-laptop")
    context.close()

    # The new manager must change the temporary password, then sees only their commune.
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    _log_in(page, base, MANAGER, temporary)
    page.wait_for_url(lambda url: "/account/password?next=" in url)
    _shoot(page, screenshot_dir, "password-phone")
    page.fill("#current", temporary)
    page.fill("#new", "mật khẩu riêng của tôi")
    page.fill("#repeat", "mật khẩu riêng của tôi")
    _submit(page, "main .login button")
    assert page.url == base + "/reports"  # the page the login led to, not "my account"
    assert "Đã đổi mật khẩu" in page.locator(".flash").inner_text()
    page.goto(base + "/reports/weekly")
    assert "Xã Ba" in page.locator(".lead").inner_text()
    options = page.locator("select[name=unit] option").all_inner_texts()
    assert sorted(o.split(" · ")[0] for o in options) == ["C03", "O03"]
    assert page.locator(".topbar >> text=Quản trị").count() == 0
    assert page.goto(base + "/admin/units").status == 403
    context.close()


@pytest.mark.parametrize(
    ("name", "viewport", "unit"), [("laptop", LAPTOP, "C01"), ("phone", PHONE, "C02")]
)
def test_an_administrator_makes_an_integration_token_and_sets_opening_hours(
    browser, admin_server, screenshot_dir, name, viewport, unit
):
    base = admin_server.url
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    _log_in(page, base, ADMIN, PASSWORD)

    # An integration token for the one-stop software of the commune, from the unit's page.
    page.goto(f"{base}/admin/units/{unit}")
    page.click("text=Tạo mã tích hợp")
    assert page.locator("#create select[name=unit]").input_value() == unit
    page.fill("#create input[name=label]", f"Phần mềm một cửa {name}")
    _submit(page, "#create button")
    token = page.locator("#integration-token").inner_text()
    assert token.startswith("int_")
    with admin_server.app.app_context():
        row = integration_for_token(get_session(), token)
        assert row is not None and row.unit.code == unit
        row_id = row.id
    _shoot(page, screenshot_dir, f"integration-token-{name}")
    page.click("text=← Tích hợp")
    listed = page.locator(f"#integration-{row_id}")
    assert f"Phần mềm một cửa {name}" in listed.inner_text() and "Đang dùng" in listed.inner_text()
    assert token not in page.content()
    _shoot(page, screenshot_dir, f"integrations-{name}")

    # Opening hours: a bad value is refused in Vietnamese, a good one is stored and shown.
    page.goto(f"{base}/admin/units/{unit}#hours")
    page.fill("#hours input[name=hours]", "mon-fri=7h30-11h30")
    _submit(page, "#hours button")
    assert "giờ không hợp lệ 7h30" in page.content()
    with admin_server.app.app_context():
        stored = get_session().query(Unit).filter_by(code=unit).one().opening_hours
        assert stored is None
    spec = "mon-fri=07:00-11:30,13:30-17:00;sat=07:30-11:30"
    page.goto(f"{base}/admin/units/{unit}")
    page.fill("#hours input[name=hours]", spec)
    _submit(page, "#hours button")
    assert "Đã lưu giờ làm việc" in page.locator(".flash").inner_text()
    assert page.locator("#unit-hours").inner_text() == spec
    with admin_server.app.app_context():
        stored = get_session().query(Unit).filter_by(code=unit).one().opening_hours
        assert stored == parse_hours_spec(spec)
    page.locator("#hours").scroll_into_view_if_needed()
    _shoot(page, screenshot_dir, f"unit-hours-{name}")

    # Both changes are in the audit log, with who made them.
    page.goto(base + "/admin/audit")
    page.fill("input[name=person]", ADMIN)
    for action in ("integration-created", "unit-hours-set"):
        page.select_option("select[name=action]", action)
        _submit(page, "form.picker button")
        text = page.locator("#audit tbody").inner_text()
        assert ADMIN in text and unit in text, action
    context.close()


@pytest.mark.parametrize(("name", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_administration_pages_fit_a_laptop_and_a_phone(
    browser, admin_server, screenshot_dir, name, viewport
):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    _log_in(page, admin_server.url, ADMIN, PASSWORD)
    for path, shot in [
        ("/admin/units", "units"),
        ("/admin/units/C01", "unit"),
        ("/admin/kiosks", "kiosks"),
        ("/admin/people", "people"),
        ("/admin/integrations", "integrations"),
        ("/admin/targets", "targets"),
        ("/admin/audit", "audit"),
        ("/account/", "account"),
    ]:
        reply = page.goto(admin_server.url + path)
        assert reply.status == 200, path
        _shoot(page, screenshot_dir, f"{shot}-{name}")
    context.close()


TOP_ADMIN = "quantri.tinh@example.org"


def test_the_top_units_administrator_sets_a_target_and_finds_it_and_a_cli_change_in_the_log(
    browser, tmp_path, screenshot_dir
):
    """The administrator of the top of the tree (an account with a unit, as every account made in
    the browser has) holds the whole province: targets included; the audit log shows what they
    did and what was done from the command line."""
    from collector.cli import collector

    app = collector_app(tmp_path)
    with app.app_context():
        session = get_session()
        add_unit(session, "P01", "Tỉnh Thử", "province")
        add_unit(session, "C01", "Xã Một", "commune", "P01")
        add_user(session, TOP_ADMIN, PASSWORD, "admin", "P01")
        session.commit()
    cli = app.test_cli_runner().invoke(
        collector, ["targets", "set", "health", "2027", "88", "--source", "Nghị quyết HĐND"]
    )
    assert cli.exit_code == 0, cli.output
    with LiveServer(app) as server:
        context = browser.new_context(viewport=LAPTOP, locale="vi-VN")
        page = context.new_page()
        _log_in(page, server.url, TOP_ADMIN, PASSWORD)
        page.click(".topbar >> text=Quản trị")
        page.click(".tabs >> text=Chỉ tiêu")
        assert page.locator("form[action$='/admin/targets']").count() == 1
        page.select_option("select[name=kind]", "admin")
        page.fill("input[name=year]", "2027")
        page.fill("input[name=target]", "91.5")
        page.fill("input[name=source]", "Quyết định 20/QĐ-UBND")
        _submit(page, "form[action$='/admin/targets'] button")
        row = page.locator("#target-admin-2027")
        assert "91,5" in row.inner_text() and "Quyết định 20/QĐ-UBND" in row.inner_text()
        assert "88" in page.locator("#target-health-2027").inner_text()
        _shoot(page, screenshot_dir, "targets-top-admin-laptop")

        page.click(".tabs >> text=Nhật ký")
        page.select_option("select[name=action]", "target-set")
        _submit(page, "form.picker button")
        rows = page.locator("#audit tbody tr").all_inner_texts()
        assert len(rows) == 2
        mine = [r for r in rows if TOP_ADMIN in r]
        by_cli = [r for r in rows if "dòng lệnh" in r]
        assert len(mine) == 1 and "91.5" in mine[0] and "Dịch vụ hành chính công" in mine[0]
        assert len(by_cli) == 1 and "88" in by_cli[0] and "Nghị quyết HĐND" in by_cli[0]
        _shoot(page, screenshot_dir, "audit-top-admin-laptop")
        context.close()
    get_db(app).dispose()
