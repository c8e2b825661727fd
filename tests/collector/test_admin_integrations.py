"""Integration tokens and opening hours in the administration pages: the same functions as
`sipas collector integrations ...` and `sipas collector units hours`, each change audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from collector.cli import collector
from collector.db import get_session
from collector.fleet.opening import (
    DEFAULT_HOURS,
    format_hours_spec,
    hours_from_text,
    parse_hours_spec,
)
from collector.models import AuditEntry, IntegrationToken, Unit
from collector.receipts.tokens import token_hash
from tests.factories import csrf_token, issue, login

ADMIN = "admin@example.org"
TOKEN_RE = re.compile(r'id="integration-token"[^>]*>([^<]+)<')


@pytest.fixture
def admin(app, client, units, make):
    make.user(ADMIN, "admin", None)
    assert login(client, ADMIN).status_code == 302
    return csrf_token(client.get("/account/").get_data(as_text=True))


def actions(app, action: str) -> list[tuple[str | None, dict]]:
    """(who, details) of each audit entry of this action; who is None for the command line."""
    with app.app_context():
        entries = get_session().scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return [(e.user.email if e.user else None, e.details) for e in entries]


def hours_of(app, code: str):
    with app.app_context():
        return get_session().scalar(sa.select(Unit.opening_hours).where(Unit.code == code))


def test_a_token_made_in_the_page_is_shown_once_works_and_stops_when_revoked(app, client, admin):
    form = {"unit": "C01", "label": " Phần mềm một cửa ", "csrf_token": admin}
    reply = client.post("/admin/integrations", data=form)
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    token = TOKEN_RE.search(reply.get_data(as_text=True)).group(1)
    with app.app_context():
        row = get_session().scalars(sa.select(IntegrationToken)).one()
        assert row.token_hash == token_hash(token) and row.label == "Phần mềm một cửa"
        assert row.unit.code == "C01" and row.last_used_at is None
        row_id = row.id
    ((who, details),) = actions(app, "integration-created")
    assert who == ADMIN
    assert details == {"integration_id": row_id, "unit": "C01", "label": "Phần mềm một cửa"}

    # The token acts for C01 and the units below it (O01), through the receipt API.
    api = app.test_client()
    assert issue(api, token, unit="O01").status_code == 201
    listing = client.get("/admin/integrations").get_data(as_text=True)
    assert f'id="integration-{row_id}"' in listing and "Phần mềm một cửa" in listing
    assert token not in listing  # shown once, never again
    with app.app_context():
        assert get_session().get(IntegrationToken, row_id).last_used_at is not None

    reply = client.post(f"/admin/integrations/{row_id}/revoke", data={"csrf_token": admin})
    assert reply.status_code == 303
    ((who, details),) = actions(app, "integration-revoked")
    assert who == ADMIN and details["integration_id"] == row_id
    assert issue(api, token, "000.00.12.H40-260302-0002", unit="O01").status_code == 401
    # Revoking again changes nothing and writes no second entry.
    client.post(f"/admin/integrations/{row_id}/revoke", data={"csrf_token": admin})
    assert len(actions(app, "integration-revoked")) == 1
    assert "Đã thu hồi" in client.get("/admin/integrations").get_data(as_text=True)


def test_a_bad_label_or_unknown_unit_stores_nothing(app, client, admin):
    reply = client.post(
        "/admin/integrations", data={"unit": "C01", "label": "x" * 101, "csrf_token": admin}
    )
    assert reply.status_code == 400
    assert (
        client.post("/admin/integrations", data={"unit": "NOPE", "csrf_token": admin}).status_code
        == 404
    )
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count(IntegrationToken.id))) == 0
    assert actions(app, "integration-created") == []


def test_the_cli_makes_and_revokes_with_the_same_functions_and_audits(app, runner, units):
    result = runner.invoke(collector, ["integrations", "create", "--unit", "C02", "--label", "Hai"])
    assert result.exit_code == 0, result.output
    ((who, details),) = actions(app, "integration-created")
    assert who is None and details["unit"] == "C02"
    result = runner.invoke(collector, ["integrations", "revoke", str(details["integration_id"])])
    assert result.exit_code == 0, result.output
    assert [who for who, _details in actions(app, "integration-revoked")] == [None]


def test_opening_hours_set_in_the_unit_page_are_stored_shown_and_audited(app, client, admin):
    page = client.get("/admin/units/C01").get_data(as_text=True)
    assert 'id="hours"' in page and format_hours_spec(DEFAULT_HOURS) in page
    spec = "mon-fri=07:30-11:30,13:30-17:00;sat=07:30-11:30"
    reply = client.post("/admin/units/C01/hours", data={"hours": spec, "csrf_token": admin})
    assert reply.status_code == 303
    stored = hours_of(app, "C01")
    assert stored == parse_hours_spec(spec)
    assert stored["sat"] == [["07:30", "11:30"]] and stored["sun"] == []
    assert f'<code id="unit-hours">{spec}</code>' in client.get("/admin/units/C01").get_data(
        as_text=True
    )
    assert actions(app, "unit-hours-set") == [
        (ADMIN, {"unit": "C01", "before": "default", "after": spec})
    ]

    # Empty goes back to the collector's default hours.
    client.post("/admin/units/C01/hours", data={"hours": "", "csrf_token": admin})
    assert hours_of(app, "C01") is None
    assert actions(app, "unit-hours-set")[-1][1]["after"] == "default"


@pytest.mark.parametrize(
    ("spec", "vietnamese"),
    [
        ("mon-fri=7h30-11h30", "giờ không hợp lệ 7h30"),
        ("thu2=07:30-11:30", "không rõ ngày trong tuần thu2"),
        ("mon=11:30-07:30", "giờ đóng cửa phải sau giờ mở cửa: 11:30-07:30"),
        ("mon=07:30", "một khoảng thời gian gồm hai mốc"),
        ("mon=07:30-25:00", "giờ không hợp lệ 25:00"),
    ],
)
def test_bad_hours_get_a_vietnamese_error_and_store_nothing(app, client, admin, spec, vietnamese):
    client.post("/admin/units/C01/hours", data={"hours": "sat=08:00-10:00", "csrf_token": admin})
    before = hours_of(app, "C01")
    reply = client.post("/admin/units/C01/hours", data={"hours": spec, "csrf_token": admin})
    assert reply.status_code == 400
    assert vietnamese in reply.get_data(as_text=True)
    assert hours_of(app, "C01") == before
    assert len(actions(app, "unit-hours-set")) == 1


def test_the_cli_sets_hours_with_the_same_function_and_audits(app, runner, units):
    result = runner.invoke(collector, ["units", "hours", "C02", "mon-sat=07:00-11:00"])
    assert result.exit_code == 0, result.output
    assert hours_of(app, "C02") == hours_from_text("mon-sat=07:00-11:00")
    ((who, details),) = actions(app, "unit-hours-set")
    assert who is None and details["after"] == "mon-sat=07:00-11:00"
    assert runner.invoke(collector, ["units", "hours", "C02", "mon=9-10"]).exit_code == 1
    result = runner.invoke(collector, ["units", "hours", "C02", "default"])
    assert result.exit_code == 0 and hours_of(app, "C02") is None


@pytest.mark.parametrize(
    "spec",
    ["mon-fri=07:30-11:30,13:30-17:00", "mon=08:00-09:00;wed=08:00-09:00;sun=10:00-12:00", ""],
)
def test_the_short_text_of_hours_reads_back_as_the_same_hours(spec):
    hours = hours_from_text(spec)
    assert hours_from_text(format_hours_spec(hours)) == hours
