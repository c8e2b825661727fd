"""The audit log in words: every action the code writes and every detail it stores has a label,
and the page shows them in Vietnamese (never `kiosk-registered`, `role: manager` or a Python
list), with values in words too (roles, kinds of unit, yes/no)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from collector.audit import ACTIONS, DETAILS, describe
from collector.models import AuditEntry
from shared.i18n import catalogue
from tests.factories import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR = ROOT / "collector"
vi = catalogue("vi", COLLECTOR / "translations").gettext


def _audit_calls():
    """(file, action strings, detail keys) of every call to `audit(...)` in the collector."""
    for path in COLLECTOR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "audit"):
                continue
            if len(node.args) < 2:
                continue
            actions = [
                n.value
                for n in ast.walk(node.args[1])
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            keys = [k.arg for k in node.keywords if k.arg]
            yield path.relative_to(ROOT), actions, keys


def test_every_action_and_detail_the_code_writes_has_words():
    calls = list(_audit_calls())
    assert len(calls) > 20  # the scan found the calls
    missing = [
        f"{path}: action {action!r}"
        for path, actions, _keys in calls
        for action in actions
        if action not in ACTIONS
    ]
    missing += [
        f"{path}: detail {key!r}"
        for path, _actions, keys in calls
        for key in keys
        if key not in DETAILS
    ]
    # user-changed stores its changes as **changes: role, unit, active.
    missing += [
        f"user-changed: detail {k!r}" for k in ("role", "unit", "active") if k not in DETAILS
    ]
    assert not missing, missing


def test_an_entry_reads_in_vietnamese_words():
    entry = AuditEntry(
        action="user-changed",
        details={"email": "a@example.org", "role": ["viewer", "manager"], "active": [True, False]},
    )
    action, details = describe(entry, vi)
    assert action == "Đổi tài khoản"
    assert details == [
        ("tài khoản", "a@example.org"),
        ("vai trò", "người xem → cán bộ quản lý"),
        ("được đăng nhập", "có → không"),
    ]
    imported = AuditEntry(action="units-imported", details={"added": 2, "codes": ["00013", "0014"]})
    assert describe(imported, vi)[1][-1] == ("các đơn vị", "00013, 0014")
    added = AuditEntry(action="unit-added", details={"kind": "commune", "parent": None})
    assert describe(added, vi)[1] == [("loại", "xã, phường, đặc khu"), ("đơn vị cấp trên", "–")]
    target = AuditEntry(action="target-set", details={"kind": "health"})
    assert describe(target, vi)[1] == [("loại", "Dịch vụ y tế")]
    unknown = AuditEntry(action="something-new", details={"odd_key": 1})
    assert describe(unknown, vi) == ("something-new", [("odd_key", "1")])


@pytest.fixture
def admin(app, client, units, make):
    make.user("quantri@example.org", "admin", None)
    assert login(client, "quantri@example.org").status_code == 302
    return csrf_token(client.get("/account/").get_data(as_text=True))


def test_the_audit_page_shows_words_not_codes(app, client, admin, register, make):
    register("C02")
    make.user("quanly@example.org", "manager", "C02")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Đăng ký ki-ốt" in page
    for code in ("kiosk-registered", "user-added", "kiosk_id", "role: manager", "['"):
        body = page.split("<tbody>")[1]
        assert code not in body.replace('data-action="kiosk-registered"', "").replace(
            'data-action="user-added"', ""
        ), code
    assert "vai trò: cán bộ quản lý" in page
    options = page.split('<select name="action">')[1].split("</select>")[0]
    assert ">kiosk-registered<" not in options and 'value="kiosk-registered"' in options
