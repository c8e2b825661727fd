"""The counter page: a counter officer issues a dossier's rating code through the same function as
the API and the CLI, for their own units only, picking a procedure from the province's list, and
prints one layout of its slip; they open nothing else."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from collector.accounts.service import AccountError, create_token, set_weekly_mail
from collector.cli import collector
from collector.db import get_session
from collector.models import AuditEntry, Procedure, Receipt, User
from collector.procedures.service import (
    ProcedureError,
    import_procedures,
    save_procedure,
    set_procedure_active,
)
from tests.factories import csrf_token, issue, login

OFFICER = "quay1@example.org"
DOSSIER = "000.00.12.H40-260302-0001"


@pytest.fixture
def counter(app, client, units, make):
    """A counter officer of commune C01 (and its one-stop centre O01), logged in, and a list of
    two procedures, one of them for health services."""
    make.user(OFFICER, "counter", "C01")
    with app.app_context():
        session = get_session()
        save_procedure(session, "1.001193", "Đăng ký khai sinh")
        save_procedure(session, "1.002001", "Khám bệnh ngoại trú", "health")
        session.commit()
    assert login(client, OFFICER).headers["Location"] == "/counter"
    return client


def _post(client, **fields):
    page = client.get("/counter").get_data(as_text=True)
    form = {"unit": "O01", "procedure": "1.001193", "layout": "80mm", "officer": "", **fields}
    return client.post("/counter", data={**form, "csrf_token": csrf_token(page)})


def test_a_counter_officer_issues_and_gets_one_layout_of_the_slip(app, counter):
    reply = _post(counter, dossier=DOSSIER.lower(), officer="CB-07")
    assert reply.status_code == 303
    location = reply.headers["Location"]
    token = re.search(r"/receipts/([A-Za-z0-9_-]{19})/slip\?", location)[1]
    assert "layout=80mm" in location and "print=1" in location
    with app.app_context():
        receipt = get_session().scalars(sa.select(Receipt)).one()
        assert receipt.unit.code == "O01"
        assert (receipt.procedure, receipt.officer) == ("1.001193", "CB-07")
        assert receipt.questionnaire == "admin"
    slip = counter.get(location).get_data(as_text=True)
    assert "Đã cấp mã đánh giá mới." in slip
    assert slip.count("data-layout=") == 1 and 'data-layout="thermal-80mm"' in slip
    assert 'data-autoprint="1"' in slip
    # The link in two parts: the address may break, "/r/<token>" never.
    assert f'<span class="token">/r/{token}</span>' in slip
    a5 = counter.get(f"/receipts/{token}/slip?layout=a5").get_data(as_text=True)
    assert a5.count("data-layout=") == 1 and 'data-layout="a5"' in a5
    assert "data-autoprint" not in a5

    # What the counter remembers for the next dossier: procedure, unit, officer, layout.
    page = counter.get("/counter").get_data(as_text=True)
    assert '<option value="1.001193" selected>' in page
    assert 'value="CB-07"' in page and 'id="dossier" value=""' in page


def test_the_same_dossier_again_gives_the_same_code_also_through_the_api(
    app, client, counter, count, make
):
    first = _post(counter, dossier=DOSSIER).headers["Location"]
    again = _post(counter, dossier=DOSSIER)
    assert again.headers["Location"] == first
    page = counter.get(again.headers["Location"]).get_data(as_text=True)
    assert "Hồ sơ này đã có mã đánh giá" in page
    # One function behind the page, the API and the CLI: each finds the code the page issued.
    token = re.search(r"/receipts/([^/]+)/slip", first)[1]
    api = issue(app.test_client(), make.integration("C01"), DOSSIER)
    assert api.status_code == 200 and api.get_json()["token"] == token
    cli = app.test_cli_runner().invoke(
        collector, ["receipts", "issue", "--dossier", DOSSIER, "--unit", "O01"]
    )
    assert cli.exit_code == 0 and f"/r/{token}" in cli.output
    assert count(Receipt) == 1


def test_a_health_procedure_asks_the_health_questionnaire(app, counter):
    assert _post(counter, dossier=DOSSIER, procedure="1.002001").status_code == 303
    with app.app_context():
        assert get_session().scalars(sa.select(Receipt.questionnaire)).one() == "health"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"dossier": "H40 260302"}, "ĐƠNVỊ-YYMMDD-NNNN"),
        ({"dossier": DOSSIER, "unit": "C02"}, "nằm ngoài các đơn vị của Ông/Bà"),
        ({"dossier": DOSSIER, "unit": "O02"}, "nằm ngoài các đơn vị của Ông/Bà"),
        ({"dossier": DOSSIER, "procedure": ""}, "chọn thủ tục"),
        ({"dossier": DOSSIER, "procedure": "9.999999"}, "chọn thủ tục trong danh sách"),
        ({"dossier": DOSSIER, "officer": "CB 07!"}, "officer"),
    ],
)
def test_a_bad_request_is_explained_and_stores_nothing(app, counter, fields, message, count):
    reply = _post(counter, **fields)
    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    assert count(Receipt) == 0


def test_a_withdrawn_procedure_is_no_longer_offered(app, counter, count):
    with app.app_context():
        session = get_session()
        set_procedure_active(session, "1.001193", False)
        session.commit()
    page = counter.get("/counter").get_data(as_text=True)
    assert "1.001193" not in page and "1.002001" in page
    assert _post(counter, dossier=DOSSIER).status_code == 400
    assert count(Receipt) == 0


def test_without_a_procedure_list_the_slip_is_issued_without_one(app, client, units, make):
    make.user(OFFICER, "counter", "O01")
    login(client, OFFICER)
    page = client.get("/counter").get_data(as_text=True)
    assert 'name="procedure"' not in page and "Thủ tục" in page
    reply = client.post(
        "/counter",
        data={"dossier": DOSSIER, "unit": "O01", "layout": "a5", "csrf_token": csrf_token(page)},
    )
    assert reply.status_code == 303 and "layout=a5" in reply.headers["Location"]
    with app.app_context():
        assert get_session().scalars(sa.select(Receipt.procedure)).one() is None


def test_a_counter_officer_opens_nothing_but_the_counter_and_their_account(app, counter):
    slip = _post(counter, dossier=DOSSIER).headers["Location"]
    token = re.search(r"/receipts/([^/]+)/slip", slip)
    for path in (
        "/reports",
        "/reports/weekly",
        "/reports/alerts",
        "/reports/report.csv",
        "/reports/raw.csv",
        "/admin/",
        "/admin/units",
        "/admin/targets",
        "/admin/procedures",
        "/admin/audit",
        "/kiosks/",
    ):
        assert counter.get(path).status_code == 403, path
    assert counter.get("/").headers["Location"] == "/counter"
    assert counter.get(f"/receipts/{token[1]}/slip").status_code == 200
    account = counter.get("/account/")
    assert account.status_code == 200
    html = account.get_data(as_text=True)
    assert "cán bộ một cửa" in html and 'action="/account/tokens"' not in html
    assert 'href="/reports"' not in html and 'href="/counter"' in html
    assert counter.get("/methodology").status_code == 200
    # No report by mail and no personal token for the report API, whatever the form says.
    reply = counter.post("/account/mail", data={"weekly_mail": "1", "csrf_token": csrf_token(html)})
    assert reply.status_code == 400
    with app.app_context():
        session = get_session()
        user = session.scalar(sa.select(User).where(User.email == OFFICER))
        assert user.weekly_mail is False
        with pytest.raises(AccountError):
            create_token(session, OFFICER)
        with pytest.raises(AccountError):
            set_weekly_mail(session, user, True)


def test_a_token_made_before_the_account_became_a_counter_officer_stops(app, client, units, make):
    make.user(OFFICER, "manager", "C01")
    with app.app_context():
        session = get_session()
        _row, token = create_token(session, OFFICER)
        user = session.scalar(sa.select(User).where(User.email == OFFICER))
        set_weekly_mail(session, user, True)
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/reports?period=2026-W10", headers=headers).status_code == 200
    runner = app.test_cli_runner()
    result = runner.invoke(collector, ["users", "set", OFFICER, "--role", "counter"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/reports?period=2026-W10", headers=headers).status_code == 401
    with app.app_context():
        user = get_session().scalar(sa.select(User).where(User.email == OFFICER))
        assert user.role == "counter" and user.weekly_mail is False


def test_a_slip_of_another_unit_is_not_found(app, client, counter, make):
    other = issue(client, make.integration("C02"), DOSSIER, unit="O02").get_json()["token"]
    assert counter.get(f"/receipts/{other}/slip").status_code == 404


# -- the procedure list ----------------------------------------------------------------------


def test_the_procedure_list_from_the_cli_is_audited_as_the_command_line(app, units, tmp_path):
    csv = tmp_path / "procedures.csv"
    csv.write_text(
        "code,name,kind\n1.001193,Đăng ký khai sinh,\n1.002001,Khám bệnh,health\n",
        encoding="utf-8",
    )
    runner = app.test_cli_runner()
    result = runner.invoke(collector, ["procedures", "import", str(csv)])
    assert result.exit_code == 0, result.output
    assert "Thủ tục: thêm 2" in result.output
    result = runner.invoke(collector, ["procedures", "add", "1.001193", "Đăng ký khai sinh (mới)"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(collector, ["procedures", "withdraw", "1.002001"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(collector, ["procedures", "list"]).output
    assert "1.001193\tadmin\tĐăng ký khai sinh (mới)\n" in listed and "ngừng" in listed
    with app.app_context():
        session = get_session()
        rows = session.execute(
            sa.select(AuditEntry.action, AuditEntry.user_id).order_by(AuditEntry.id)
        ).all()
        assert [a for a, _u in rows if a.startswith("procedure")] == [
            "procedures-imported",
            "procedure-changed",
            "procedure-changed",
        ]
        assert all(user_id is None for _a, user_id in rows)


def test_a_bad_csv_row_is_named_and_nothing_is_imported(app, units):
    with app.app_context():
        session = get_session()
        with pytest.raises(ProcedureError) as refused:
            import_procedures(
                session, "code,name,kind\n1.001193,Khai sinh,admin\n1 002,Sai mã,admin\n"
            )
        assert "line 3" in str(refused.value) and "1 002" in str(refused.value)
        session.rollback()
        assert session.scalar(sa.select(sa.func.count()).select_from(Procedure)) == 0
        with pytest.raises(ProcedureError, match="unknown kind"):
            save_procedure(session, "1.1", "X", "hospital")


def test_only_a_whole_province_administrator_changes_the_list(app, units, make):
    make.user("sub@example.org", "admin", "C01")
    make.user("top@example.org", "admin", "P01")
    with app.app_context():
        session = get_session()
        sub = session.scalar(sa.select(User).where(User.email == "sub@example.org"))
        top = session.scalar(sa.select(User).where(User.email == "top@example.org"))
        with pytest.raises(ProcedureError, match="whole province"):
            save_procedure(session, "1.1", "Một", actor=sub)
        save_procedure(session, "1.1", "Một", actor=top)
        session.commit()
        assert session.scalar(sa.select(Procedure.name)) == "Một"
