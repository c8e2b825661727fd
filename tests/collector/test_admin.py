"""The administration pages do what they say, through the same functions as the CLI, and write
each change to the audit log."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from collector.admin.qr import kiosk_setup_payload, qr_png, qr_svg
from collector.cli import collector
from collector.db import get_session
from collector.models import ApiToken, AuditEntry, Kiosk, ReportTarget, Unit, User
from collector.reports.service import settings_from
from shared.scoring import target_for
from tests.factories import PASSWORD, csrf_token, login

ADMIN = "admin@example.org"


@pytest.fixture
def admin(app, client, units, make):
    make.user(ADMIN, "admin", None)
    assert login(client, ADMIN).status_code == 302
    return csrf_token(client.get("/account/").get_data(as_text=True))


def actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(get_session().scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def parents(app) -> dict[str, str | None]:
    with app.app_context():
        return {
            u.code: (u.parent.code if u.parent else None)
            for u in get_session().scalars(sa.select(Unit))
        }


CSV_WITH_BAD_ROWS = (
    "code,name,parent,kind\n"
    "C03,Xã Ba,P01,commune\n"
    "O03,Một cửa xã Ba,C03,one-stop-centre\n"
    "C01,Xã Một (mới),P01,commune\n"
    "X 1,Sai mã,P01,commune\n"
    "C04,Xã Bốn,NOPE,commune\n"
)


def test_import_previews_every_change_and_every_bad_row_and_writes_nothing(
    app, client, admin, count
):
    reply = client.post(
        "/admin/unit-import",
        data={
            "file": (io.BytesIO(CSV_WITH_BAD_ROWS.encode("utf-8-sig")), "units.csv"),
            "csrf_token": admin,
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    lines = re.findall(r'<li data-line="(\d+)">([^<]*)</li>', page)
    assert [line for line, _ in lines] == ["5", "6"]
    assert "X 1" in lines[0][1] and "NOPE" in lines[1][1]
    assert 'id="confirm-import"' not in page
    assert "Xã Một (mới)" in page and "<del" in page  # the update shows the name before
    assert count(Unit) == 5
    # Confirming anyway (a hand-made request) is refused the same way.
    reply = client.post(
        "/admin/unit-import",
        data={"text": CSV_WITH_BAD_ROWS, "confirm": "1", "csrf_token": admin},
    )
    assert reply.status_code == 400
    assert count(Unit) == 5


def test_import_after_the_fix_changes_what_the_preview_showed_and_is_audited(
    app, client, admin, count, scalar
):
    fixed = "\n".join(CSV_WITH_BAD_ROWS.splitlines()[:4]) + "\n"
    preview = client.post("/admin/unit-import", data={"text": fixed, "csrf_token": admin})
    assert preview.status_code == 200
    assert 'id="confirm-import"' in preview.get_data(as_text=True)
    assert count(Unit) == 5
    reply = client.post(
        "/admin/unit-import", data={"text": fixed, "confirm": "1", "csrf_token": admin}
    )
    assert reply.status_code == 303
    assert parents(app)["O03"] == "C03"
    assert scalar(sa.select(Unit.name).where(Unit.code == "C01")) == "Xã Một (mới)"
    (entry,) = actions(app, "units-imported")
    assert entry.details["added"] == 2 and entry.details["updated"] == 1
    assert entry.user_id is not None


def test_the_cli_import_is_the_same_function_and_audited_as_the_command_line(
    app, runner, units, tmp_path
):
    path = tmp_path / "units.csv"
    path.write_text("code,name,parent,kind\nC03,Xã Ba,P01,commune\n", encoding="utf-8")
    result = runner.invoke(collector, ["units", "import", str(path)])
    assert result.exit_code == 0, result.output
    (entry,) = actions(app, "units-imported")
    assert entry.user_id is None and entry.details["added"] == 1


def test_units_add_rename_move_and_deactivate(app, client, admin, count, scalar):
    post = lambda path, **data: client.post(path, data={**data, "csrf_token": admin})  # noqa: E731
    assert (
        post("/admin/units", code="C03", name="Xã Ba", kind="commune", parent="P01").status_code
        == 303
    )
    assert post("/admin/units/C03/rename", name="Xã Ba Mới").status_code == 303
    assert post("/admin/units/O01/move", parent="C03").status_code == 303
    assert parents(app)["O01"] == "C03"
    # Under its own descendant: a cycle, refused.
    reply = post("/admin/units/C03/move", parent="O01")
    assert reply.status_code == 400
    assert parents(app)["C03"] == "P01"
    assert post("/admin/units/C03/active", active="0").status_code == 303
    assert scalar(sa.select(Unit.active).where(Unit.code == "C03")) is False
    assert count(Unit, Unit.code == "C03") == 1  # deactivated, never deleted
    assert post("/admin/kiosks", unit="C03").status_code == 400  # no new kiosk there
    page = client.get("/admin/units?q=Ba Mới").get_data(as_text=True)
    tree = page[page.index('<ul class="tree">') : page.index("<h2>")]
    assert "Xã Ba Mới" in tree and "Xã Hai" not in tree and "Tỉnh Thử" in tree  # and its parent
    by_admin = [
        (a, [e.details["code"] for e in actions(app, a) if e.user_id is not None])
        for a in ("unit-added", "unit-renamed", "unit-moved", "unit-deactivated")
    ]
    assert by_admin == [
        ("unit-added", ["C03"]),
        ("unit-renamed", ["C03"]),
        ("unit-moved", ["O01"]),
        ("unit-deactivated", ["C03"]),
    ]


def test_qr_functions_return_images_that_decode_to_the_text():
    text = kiosk_setup_payload("https://thu.example.vn", "tok-ên", "C01", 7)
    png = qr_png(text)
    assert png.startswith(b"\x89PNG")
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert json.loads(found.text) == {
        "format": "sipas-kiosk-setup/1",
        "collector_url": "https://thu.example.vn",
        "collector_token": "tok-ên",
        "unit": "C01",
        "kiosk_id": 7,
    }
    assert b"<svg" in qr_svg(text)


def test_a_registered_kiosk_posts_with_the_token_from_its_qr_code(app, client, admin, scalar):
    reply = client.post(
        "/admin/kiosks", data={"unit": "C01", "label": "Quầy 3", "csrf_token": admin}
    )
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    page = reply.get_data(as_text=True)
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page)[1])
    token = re.search(r'id="kiosk-token" class="secret">([^<]+)<', page)[1]
    with app.app_context():
        kiosk = get_session().scalar(sa.select(Kiosk).order_by(Kiosk.id.desc()))
        office = kiosk.unit.name
    payload = kiosk_setup_payload("http://localhost", token, "C01", kiosk.id, office)
    # The page's code is the set-up payload of this kiosk (the browser test decodes it drawn).
    assert svg == qr_svg(payload)
    setup = json.loads(payload)
    kiosk_id = setup["kiosk_id"]
    beat = client.post(
        "/api/v1/heartbeat",
        json={
            "kiosk_version": "1",
            "queue_length": 3,
            "last_seq": 0,
            "clock": "2026-03-02T08:00:00+07:00",
        },
        headers={"Authorization": f"Bearer {setup['collector_token']}"},
    )
    assert beat.status_code in (200, 204), beat.get_data(as_text=True)
    listing = client.get("/admin/kiosks").get_data(as_text=True)
    row = re.search(rf'<tr id="kiosk-{kiosk_id}">.*?</tr>', listing, re.S)[0]
    assert "Quầy 3" in row and ">3</td>" in row
    # Rotating gives a new token; the old one stops working.
    rotated = client.post(f"/admin/kiosks/{kiosk_id}/rotate", data={"csrf_token": admin})
    new = re.search(r'id="kiosk-token" class="secret">([^<]+)<', rotated.get_data(as_text=True))[1]
    assert new != setup["collector_token"]
    old = client.post(
        "/api/v1/heartbeat",
        json={},
        headers={"Authorization": f"Bearer {setup['collector_token']}"},
    )
    assert old.status_code == 401
    assert (
        client.post(f"/admin/kiosks/{kiosk_id}/revoke", data={"csrf_token": admin}).status_code
        == 303
    )
    assert scalar(sa.select(Kiosk.revoked_at).where(Kiosk.id == kiosk_id)) is not None
    assert [
        len(actions(app, a)) for a in ("kiosk-registered", "kiosk-token-rotated", "kiosk-revoked")
    ] == [1, 1, 1]


def test_a_new_manager_must_change_the_temporary_password_then_sees_their_commune(
    app, client, admin, scalar
):
    reply = client.post(
        "/admin/people",
        data={
            "email": "Chu.Tich@Example.org",
            "role": "manager",
            "unit": "C02",
            "csrf_token": admin,
        },
    )
    assert reply.status_code == 200
    temporary = re.search(
        r'id="temporary-password" class="secret">([^<]+)<', reply.get_data(as_text=True)
    )[1]
    client.post("/logout", data={"csrf_token": admin})
    assert login(client, "chu.tich@example.org", temporary).status_code == 302
    for path in ("/reports/weekly", "/admin/units", "/account/"):
        assert "/account/password" in client.get(path).headers["Location"]
    asked = "/reports?period=2026-W10&unit=C02"
    forced = client.get(asked).headers["Location"]
    assert urlsplit(forced).path == "/account/password"
    assert parse_qs(urlsplit(forced).query) == {"next": [asked]}
    page = client.get(forced).get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)" novalidate', page)[1])
    assert action == forced  # the form keeps where the person was going
    token = csrf_token(page)
    same = client.post(
        action,
        data={"current": temporary, "new": temporary, "repeat": temporary, "csrf_token": token},
    )
    assert same.status_code == 400
    changed = client.post(
        action,
        data={
            "current": temporary,
            "new": "một mật khẩu mới",
            "repeat": "một mật khẩu mới",
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    assert changed.headers["Location"] == asked  # the report asked for, not "my account"
    weekly = client.get("/reports/weekly", query_string={"week": "2026-W10"})
    assert weekly.status_code == 200
    units = weekly.get_data(as_text=True).split('<select name="unit">')[1].split("</select>")[0]
    options = re.findall(r'<option value="([^"]+)"', units)
    assert set(options) == {"C02", "O02"}
    assert client.get("/reports/weekly", query_string={"unit": "C01"}).status_code == 404
    assert client.get("/admin/units").status_code == 403
    added = {e.details["email"]: e.user_id for e in actions(app, "user-added")}
    assert added["chu.tich@example.org"] == scalar(sa.select(User.id).where(User.email == ADMIN))
    assert added[ADMIN] is None  # the helper adds accounts as the CLI does
    assert len(actions(app, "password-changed")) == 1


def test_reset_change_role_scope_and_disable(app, client, admin, scalar, make):
    make.user("m@example.org", "manager", "C01")
    user_id = scalar(sa.select(User.id).where(User.email == "m@example.org"))
    reply = client.post(
        f"/admin/people/{user_id}",
        data={"role": "viewer", "unit": "O01", "active": "1", "csrf_token": admin},
    )
    assert reply.status_code == 303
    with app.app_context():
        user = get_session().get(User, user_id)
        assert (user.role, user.unit.code, user.active) == ("viewer", "O01", True)
    assert (
        client.post(
            f"/admin/people/{user_id}", data={"role": "viewer", "unit": "O01", "csrf_token": admin}
        ).status_code
        == 303
    )
    assert scalar(sa.select(User.active).where(User.id == user_id)) is False
    reset = client.post(f"/admin/people/{user_id}/reset", data={"csrf_token": admin})
    assert reset.status_code == 200
    assert scalar(sa.select(User.must_change_password).where(User.id == user_id)) is True
    (changed,) = actions(app, "user-changed")[:1]
    assert changed.details["role"] == ["manager", "viewer"]
    # An administrator cannot take away their own rights.
    me = scalar(sa.select(User.id).where(User.email == ADMIN))
    assert (
        client.post(
            f"/admin/people/{me}",
            data={"role": "viewer", "unit": "C01", "active": "1", "csrf_token": admin},
        ).status_code
        == 400
    )
    assert scalar(sa.select(User.role).where(User.id == me)) == "admin"


def test_a_target_set_in_the_page_is_used_by_the_reports_and_audited(app, client, admin, count):
    with app.app_context():
        before = settings_from(app.config, session=get_session())
    assert target_for(before.targets, "health", 2026) == 85.0
    reply = client.post(
        "/admin/targets",
        data={
            "kind": "health",
            "year": "2026",
            "target": "88,5",
            "source": "QĐ 12/QĐ-UBND",
            "csrf_token": admin,
        },
    )
    assert reply.status_code == 303
    with app.app_context():
        after = settings_from(app.config, session=get_session())
    assert target_for(after.targets, "health", 2026) == 88.5
    assert target_for(after.targets, "health", 2025) == 85.0  # the configured one, before
    assert target_for(after.targets, "admin", 2026) == 90.0  # no row: configuration
    page = client.get("/admin/targets").get_data(as_text=True)
    assert "QĐ 12/QĐ-UBND" in page
    assert "≥ 88,5 %" in client.get("/methodology").get_data(as_text=True)
    (entry,) = actions(app, "target-set")
    assert entry.details == {
        "kind": "health",
        "year": 2026,
        "before": None,
        "after": 88.5,
        "source": "QĐ 12/QĐ-UBND",
    }
    for bad in (
        {"target": "0"},
        {"target": "101"},
        {"target": "abc"},
        {"source": ""},
        {"kind": "nope"},
        {"year": "1999"},
    ):
        data = {
            "kind": "admin",
            "year": "2027",
            "target": "91",
            "source": "x",
            **bad,
            "csrf_token": admin,
        }
        assert client.post("/admin/targets", data=data).status_code == 400, bad
    assert count(ReportTarget) == 1


def test_my_account_tokens_and_mail_preference(app, client, admin, scalar):
    reply = client.post(
        "/account/tokens", data={"label": "Bảng tính", "days": "30", "csrf_token": admin}
    )
    token = re.search(r'id="new-token" class="secret">([^<]+)<', reply.get_data(as_text=True))[1]
    api = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/reports/weekly?week=2026-W10", headers=api).status_code == 200
    token_id = scalar(sa.select(ApiToken.id))
    assert (
        client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": admin}).status_code
        == 302
    )
    assert scalar(sa.select(ApiToken.revoked_at)) is not None
    assert client.get("/api/v1/reports/weekly?week=2026-W10", headers=api).status_code == 401
    assert client.get("/account/").get_data(as_text=True).count(token) == 0  # shown once only
    assert scalar(sa.select(User.weekly_mail).where(User.email == ADMIN)) is False
    reply = client.post("/account/mail", data={"weekly_mail": "1", "csrf_token": admin})
    assert reply.status_code == 302
    assert scalar(sa.select(User.weekly_mail).where(User.email == ADMIN)) is True
    assert 'name="weekly_mail" value="1" checked' in client.get("/account/").get_data(as_text=True)
    client.post("/account/mail", data={"csrf_token": admin})
    assert scalar(sa.select(User.weekly_mail).where(User.email == ADMIN)) is False
    assert [e.details for e in actions(app, "weekly-mail-set")] == [
        {"receive": True},
        {"receive": False},
    ]


@pytest.mark.parametrize(
    ("next_", "lands_on"),
    [
        (None, "/account/"),
        ("//evil.example/x", "/account/"),
        ("/reports/alerts", "/reports/alerts"),
    ],
)
def test_a_changed_password_goes_on_to_a_page_of_this_site_only(
    app, client, admin, next_, lands_on
):
    query = {"next": next_} if next_ else {}
    changed = client.post(
        "/account/password",
        query_string=query,
        data={"current": PASSWORD, "new": "y" * 12, "repeat": "y" * 12, "csrf_token": admin},
    )
    assert changed.status_code == 302 and changed.headers["Location"] == lands_on


def test_a_wrong_current_password_changes_nothing(app, client, admin):
    reply = client.post(
        "/account/password",
        data={
            "current": "wrong password",
            "new": "x" * 12,
            "repeat": "x" * 12,
            "csrf_token": admin,
        },
    )
    assert reply.status_code == 400
    client.post("/logout", data={"csrf_token": admin})
    assert login(client, ADMIN, PASSWORD).status_code == 302


def test_the_audit_log_filters_by_person_action_and_date(app, client, admin, register, make):
    register("C02")
    make.user("other@example.org", "viewer", "C02")
    client.post("/admin/units/C02/rename", data={"name": "Xã Hai Mới", "csrf_token": admin})
    page = client.get("/admin/audit", query_string={"action": "unit-renamed"}).get_data(
        as_text=True
    )
    assert page.count('data-action="unit-renamed"') == 1 and 'data-action="login"' not in page
    mine = client.get("/admin/audit", query_string={"person": "admin@"}).get_data(as_text=True)
    assert 'data-action="login"' in mine and 'data-action="kiosk-registered"' not in mine
    future = client.get("/admin/audit", query_string={"since": "2100-01-01"}).get_data(as_text=True)
    assert "data-action=" not in future
    today = client.get("/admin/audit", query_string={"until": "2000-01-01"}).get_data(as_text=True)
    assert "data-action=" not in today
    assert client.get("/admin/audit", query_string={"since": "not a date"}).status_code == 200


def test_the_cli_changes_units_kiosks_accounts_and_targets_with_the_same_functions(
    app, runner, client, units, count, register, make
):
    kiosk = register("C01")
    make.user("m@example.org", "manager", "C01")
    steps = [
        (["units", "rename", "C02", "Xã Hai Mới"], "unit-renamed"),
        (["units", "move", "O01", "--parent", "C02"], "unit-moved"),
        (["units", "deactivate", "O01"], "unit-deactivated"),
        (["kiosks", "label", str(kiosk.id), "Quầy 9"], "kiosk-relabelled"),
        (["users", "set", "m@example.org", "--role", "viewer", "--disabled"], "user-changed"),
        (["users", "reset-password", "m@example.org"], "password-reset"),
        (["targets", "set", "education", "2027", "87", "--source", "QĐ 9"], "target-set"),
    ]
    for args, action in steps:
        result = runner.invoke(collector, args)
        assert result.exit_code == 0, (args, result.output)
        (entry,) = actions(app, action)
        assert entry.user_id is None  # the command line
    assert parents(app)["O01"] == "C02"
    with app.app_context():
        user = get_session().scalar(sa.select(User).where(User.email == "m@example.org"))
        assert (user.role, user.active, user.must_change_password) == ("viewer", False, True)
        assert get_session().get(ReportTarget, ("education", 2027)).target == 87.0
    # The same checks as the pages: a cycle and a bad target are refused, nothing changes.
    assert runner.invoke(collector, ["units", "move", "P01", "--parent", "O01"]).exit_code == 1
    assert (
        runner.invoke(
            collector, ["targets", "set", "admin", "2027", "120", "--source", "x"]
        ).exit_code
        == 1
    )
    assert parents(app)["P01"] is None and count(ReportTarget) == 1
