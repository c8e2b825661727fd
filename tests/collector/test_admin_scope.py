"""Every administration route and action, for every kind of person: anonymous, viewer, manager and
counter officer are refused everywhere; an administrator limited to commune C01 cannot reach C02
or the top of the tree, nor give more than they have; the province administrator (without a unit,
or of the top unit P01) can do each action (so that each refusal is a refusal, not a broken
route)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from collector.accounts.service import audit, find_user
from collector.db import get_session
from collector.models import (
    ApiToken,
    IntegrationToken,
    Kiosk,
    Procedure,
    ReportTarget,
    Unit,
    User,
)
from collector.procedures.service import save_procedure
from collector.receipts.integrations import create_integration
from tests.factories import csrf_token, login

ROOT = "root@example.org"
TOP = "top@example.org"  # the administrator of P01, the top of the tree
COUNTER = "counter@example.org"  # a counter officer of C01
SUB = "sub@example.org"
MANAGER = "manager@example.org"
VIEWER = "viewer@example.org"
OTHER = "other@example.org"  # a manager of C02, outside the scoped administrator's subtree


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    data: dict[str, str] = field(default_factory=dict)
    #: For a GET the scoped administrator may open: text of C02 that must not be in the page.
    hidden: str | None = None


@pytest.fixture
def world(app, client, units, register, make):
    """The test tree with a kiosk in each commune, the five kinds of person, and ids to aim at."""
    k1 = register("C01")
    k2 = register("C02")
    make.user(ROOT, "admin", None)
    make.user(TOP, "admin", "P01")
    make.user(COUNTER, "counter", "C01")
    make.user(SUB, "admin", "C01")
    make.user(MANAGER, "manager", "C01")
    make.user(VIEWER, "viewer", "C01")
    make.user(OTHER, "manager", "C02")
    make.token(OTHER)
    with app.app_context():
        session = get_session()
        session.execute(sa.update(Kiosk).where(Kiosk.id == k2.id).values(label="Quầy Hai"))
        other = find_user(session, OTHER)
        audit(session, "login", other)
        i2, _token = create_integration(session, "C02", "Phần mềm Hai")
        save_procedure(session, "P.0001", "Thủ tục thử", "admin")
        ids = {
            email: find_user(session, email).id
            for email in (ROOT, TOP, SUB, MANAGER, VIEWER, OTHER)
        }
        session.commit()
    return {"k1": k1.id, "k2": k2.id, "i2": i2, **ids}


def cases(w, me: str = ROOT) -> list[Case]:
    """Each route with the request aimed outside the scoped administrator's subtree, in an order
    the province administrator `me` can carry out one after the other."""
    other, manager, root = w[OTHER], w[MANAGER], w[ROOT]
    return [
        Case("GET", "/admin/", hidden="Xã Hai"),
        Case("GET", "/admin/units", hidden="Xã Hai"),
        Case("GET", "/admin/units?q=C0", hidden="Xã Hai"),
        Case(
            "POST",
            "/admin/units",
            {"code": "X9", "name": "Xã Chín", "kind": "commune", "parent": "C02"},
        ),
        Case("GET", "/admin/units/C02"),
        Case("POST", "/admin/units/C02/rename", {"name": "Xã Hai Mới"}),
        Case("POST", "/admin/units/O01/move", {"parent": "C02"}),
        Case("POST", "/admin/units/O02/move", {"parent": "P01"}),
        Case("GET", "/admin/unit-import"),
        Case(
            "POST",
            "/admin/unit-import",
            {"text": "code,name,parent,kind\nC02,Xã Hai Đổi,P01,commune\n", "confirm": "1"},
        ),
        Case("GET", "/admin/kiosks", hidden="Quầy Hai"),
        Case("POST", "/admin/kiosks", {"unit": "C02", "label": "mới"}),
        Case("POST", f"/admin/kiosks/{w['k2']}/label", {"label": "đổi"}),
        Case("POST", f"/admin/kiosks/{w['k2']}/rotate"),
        Case("POST", f"/admin/kiosks/{w['k2']}/revoke"),
        Case("POST", "/admin/units/C02/hours", {"hours": "mon-fri=07:00-11:00"}),
        Case("GET", "/admin/integrations", hidden="Phần mềm Hai"),
        Case("POST", "/admin/integrations", {"unit": "C02", "label": "mới"}),
        Case("POST", f"/admin/integrations/{w['i2']}/revoke"),
        Case("POST", "/admin/units/C02/active", {"active": "0"}),
        Case("GET", "/admin/people", hidden=OTHER),
        Case(
            "POST", "/admin/people", {"email": "n1@example.org", "role": "manager", "unit": "C02"}
        ),
        Case("POST", "/admin/people", {"email": "n2@example.org", "role": "admin", "unit": ""}),
        Case("GET", f"/admin/people/{other}"),
        Case("GET", f"/admin/people/{root}"),
        Case("POST", f"/admin/people/{other}", {"role": "viewer", "unit": "C02", "active": "1"}),
        # Inside the subtree, but made an administrator of the whole tree: more than SUB has.
        Case("POST", f"/admin/people/{manager}", {"role": "admin", "unit": "", "active": "1"}),
        Case("POST", f"/admin/people/{other}/reset"),
        Case("GET", "/admin/targets"),
        Case(
            "POST",
            "/admin/targets",
            {"kind": "admin", "year": "2026", "target": "92", "source": "QĐ 1"},
        ),
        Case("GET", "/admin/procedures"),
        Case("POST", "/admin/procedures", {"code": "1.001193", "name": "Khai sinh", "kind": ""}),
        Case(
            "POST",
            "/admin/procedures/import",
            {"text": "code,name,kind\n2.000889,Chứng thực bản sao,admin\n"},
        ),
        Case("POST", "/admin/procedures/P.0001/active", {"active": "0"}),
        Case("GET", "/admin/audit", hidden=f">{OTHER}</td>"),
        Case("GET", f"/admin/audit?person={OTHER}", hidden=f">{OTHER}</td>"),
        # A second unit at the top: the administrator of P01 no longer holds the whole tree.
        Case(
            "POST",
            "/admin/units",
            {"code": "T9", "name": "Tỉnh Chín", "kind": "province", "parent": ""},
        ),
        # Last: the province administrator must then change their own password before going on.
        Case("POST", f"/admin/people/{w[me]}/reset"),
    ]


#: Routes of the account pages: open to everyone logged in, each on their own account only.
ACCOUNT_RULES = {
    "/account/",
    "/account/password",
    "/account/tokens",
    "/account/tokens/<int:token_id>/revoke",
    "/account/mail",
}


def fingerprint(app) -> tuple:
    """Everything an administration action could change."""
    with app.app_context():
        session = get_session()

        def rows(*columns):
            return sorted(tuple(map(str, row)) for row in session.execute(sa.select(*columns)))

        return (
            rows(Unit.code, Unit.name, Unit.kind, Unit.parent_id, Unit.active, Unit.opening_hours),
            rows(
                User.email,
                User.role,
                User.unit_id,
                User.active,
                User.password_hash,
                User.must_change_password,
            ),
            rows(Kiosk.id, Kiosk.unit_id, Kiosk.label, Kiosk.token_hash, Kiosk.revoked_at),
            rows(ReportTarget.kind, ReportTarget.year, ReportTarget.target),
            rows(ApiToken.id, ApiToken.revoked_at),
            rows(
                IntegrationToken.id,
                IntegrationToken.unit_id,
                IntegrationToken.label,
                IntegrationToken.revoked_at,
            ),
            rows(Procedure.code, Procedure.name, Procedure.kind, Procedure.active),
        )


def send(client, case: Case, token: str):
    if case.method == "GET":
        return client.get(case.path)
    return client.post(case.path, data={**case.data, "csrf_token": token})


def token_of(client, logged_in: bool) -> str:
    page = client.get("/account/" if logged_in else "/login")
    return csrf_token(page.get_data(as_text=True))


def test_the_table_covers_every_administration_route(app, world):
    adapter = app.url_map.bind("localhost")
    covered = {
        (adapter.match(c.path.split("?")[0], method=c.method)[0], c.method) for c in cases(world)
    }
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (rule.endpoint, method) in covered, (
                    f"{method} {rule.rule} is not in the table"
                )
    account = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/account")}
    assert account == ACCOUNT_RULES


def _refused(reply, anonymous: bool) -> bool:
    if anonymous:
        return reply.status_code == 302 and "/login" in reply.headers["Location"]
    return reply.status_code in (400, 403, 404)


@pytest.mark.parametrize("who", [None, VIEWER, MANAGER, COUNTER])
def test_anonymous_viewers_managers_and_counter_officers_reach_no_administration_page(
    app, client, world, who
):
    if who:
        assert login(client, who).status_code == 302
    token = token_of(client, who is not None)
    before = fingerprint(app)
    for case in cases(world):
        reply = send(client, case, token)
        assert _refused(reply, who is None), (who, case.method, case.path, reply.status_code)
        assert fingerprint(app) == before, (who, case.method, case.path)


def test_a_scoped_administrator_reaches_nothing_outside_their_subtree(app, client, world):
    assert login(client, SUB).status_code == 302
    token = token_of(client, True)
    before = fingerprint(app)
    for case in cases(world):
        reply = send(client, case, token)
        if case.method == "GET" and (
            case.hidden
            or case.path in ("/admin/unit-import", "/admin/targets", "/admin/procedures")
        ):
            assert reply.status_code in (200, 302), (case.path, reply.status_code)
            if case.hidden:
                assert case.hidden not in client.get(case.path, follow_redirects=True).get_data(
                    as_text=True
                ), case.path
        else:
            assert reply.status_code in (400, 403, 404), (case.method, case.path, reply.status_code)
        assert fingerprint(app) == before, (case.method, case.path)
    # The kiosk status page, too, lists only the subtree's kiosks.
    status = client.get("/kiosks/").get_data(as_text=True)
    assert f'id="kiosk-{world["k1"]}"' in status and f'id="kiosk-{world["k2"]}"' not in status
    # Inside the subtree the same administrator may act.
    reply = client.post("/admin/units/O01/rename", data={"name": "Một cửa", "csrf_token": token})
    assert reply.status_code == 303
    assert fingerprint(app) != before


@pytest.mark.parametrize("who", [ROOT, TOP])
def test_the_province_administrator_can_do_every_action(app, client, world, who):
    assert login(client, who).status_code == 302
    token = token_of(client, True)
    for case in cases(world, who):
        before = fingerprint(app)
        reply = send(client, case, token)
        assert reply.status_code in (200, 302, 303), (case.method, case.path, reply.status_code)
        if case.method == "POST":
            assert fingerprint(app) != before, (case.method, case.path)
            assert reply.status_code != 302, (case.method, case.path)
        elif case.hidden and case.path != "/admin/":
            assert case.hidden in reply.get_data(as_text=True), case.path


@pytest.mark.parametrize("who", [None, VIEWER, MANAGER, COUNTER, SUB, ROOT])
def test_account_pages_act_on_ones_own_account_only(app, client, world, who):
    """Anonymous is sent to the login; nobody can revoke another person's token."""
    with app.app_context():
        other_token = get_session().scalar(
            sa.select(ApiToken.id).join(User).where(User.email == OTHER)
        )
    if who:
        login(client, who)
    token = token_of(client, who is not None)
    before = fingerprint(app)
    reply = client.post(f"/account/tokens/{other_token}/revoke", data={"csrf_token": token})
    assert _refused(reply, who is None)
    assert fingerprint(app) == before
    for path, data in [
        ("/account/tokens", {"label": "x"}),
        ("/account/mail", {"weekly_mail": "0"}),
        ("/account/password", {"current": "x", "new": "y" * 12, "repeat": "y" * 12}),
    ]:
        reply = client.post(path, data={**data, "csrf_token": token})
        if who is None:
            assert _refused(reply, True), path
    for path in ("/account/", "/account/password"):
        reply = client.get(path)
        assert (reply.status_code == 200) == (who is not None), path


def test_a_post_without_csrf_token_is_refused(app, client, world):
    login(client, ROOT)
    before = fingerprint(app)
    for case in cases(world):
        if case.method == "POST":
            assert client.post(case.path, data=case.data).status_code == 400, case.path
    assert fingerprint(app) == before
