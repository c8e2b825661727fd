"""Sessions and login (issue 7, findings 2, 4, 5 and 10): sessions end on the server, the login page
says the same for every email, a stranger cannot lock a manager out, the audit log keeps nothing
typed for an unknown account, and `next` only ever goes to a path on this site."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from collector import create_app
from collector.accounts import is_safe_next
from collector.accounts import service as account_service
from collector.accounts.service import reset_password
from collector.db import get_session
from collector.models import AuditEntry, User
from tests.factories import PASSWORD, csrf_token, login

MANAGER = "manager@example.org"


@pytest.fixture
def manager(app, units, make):
    make.user(MANAGER, "manager", "C01")
    return MANAGER


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_logout_ends_the_session_on_the_server(app, client, manager):
    login(client, manager)
    saved = _cookie(client)
    page = client.get("/reports/weekly").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert thief.get("/reports/weekly").status_code == 302


def test_logout_ends_the_other_sessions_of_the_user_too(app, manager):
    office, home = app.test_client(), app.test_client()
    login(office, manager)
    login(home, manager)
    page = office.get("/reports/weekly").get_data(as_text=True)
    office.post("/logout", data={"csrf_token": csrf_token(page)})
    assert home.get("/reports/weekly").status_code == 302


def test_a_password_change_ends_every_other_session(app, client, manager):
    """Changed on the account page: the session that changed it goes on, a cookie copied
    before (another browser) is worth nothing."""
    other = app.test_client()
    login(client, manager)
    login(other, manager)
    assert other.get("/reports/weekly").status_code == 200
    page = client.get("/account/password").get_data(as_text=True)
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page),
            "current": PASSWORD,
            "new": "a new password, long",
            "repeat": "a new password, long",
        },
    )
    assert changed.status_code == 302
    assert client.get("/reports/weekly").status_code == 200
    assert other.get("/reports/weekly").status_code == 302
    assert login(other, manager, "a new password, long").status_code == 302


def test_a_password_reset_ends_every_session(app, client, manager):
    login(client, manager)
    assert client.get("/reports/weekly").status_code == 200
    with app.app_context():
        session = get_session()
        user = session.scalar(sa.select(User).where(User.email == manager))
        temporary = reset_password(session, user)
        session.commit()
    assert client.get("/reports/weekly").status_code == 302
    assert login(client, manager, temporary).status_code == 302


def test_a_busy_session_still_ends_after_its_lifetime(app, client, manager):
    login(client, manager)
    with client.session_transaction() as session:
        session["login_at"] -= int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()) + 1
    assert client.get("/reports/weekly").status_code == 302


def test_the_session_cookie_is_secure_outside_testing(db_url, tmp_path):
    base = {"SECRET_KEY": "s" * 32, "DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path)}
    assert create_app(base).config["SESSION_COOKIE_SECURE"] is True
    plain = create_app({**base, "SESSION_COOKIE_SECURE_AUTO": False})
    assert plain.config["SESSION_COOKIE_SECURE"] is False
    assert create_app({**base, "TESTING": True}).config["SESSION_COOKIE_SECURE"] is False


def test_unknown_wrong_and_limited_accounts_get_the_same_answer(app, manager, monkeypatch):
    checked = []
    real = account_service.check_password_hash
    monkeypatch.setattr(
        account_service,
        "check_password_hash",
        lambda hash_, password: checked.append(hash_) or real(hash_, password),
    )
    known, unknown = _client(app, "10.0.0.1"), _client(app, "10.0.0.1")
    for attempt in range(7):
        a = login(known, manager, "not the password at all")
        b = login(unknown, "nobody@example.org", "not the password at all")
        assert a.status_code == b.status_code == (401 if attempt < 5 else 429), attempt
        assert _same_words(a, b), attempt
    # A password hash was checked for every attempt that reached the accounts, known or not.
    assert len(checked) == 10
    assert "Sai email hoặc mật khẩu" in login(_client(app, "10.0.0.9"), manager, "x" * 12).get_data(
        as_text=True
    )


def _same_words(a, b) -> bool:
    """The same page but for the form's values (the typed email, the CSRF token)."""

    def words(reply):
        text = re.sub(r'value="[^"]*"', "", reply.get_data(as_text=True))
        return re.sub(r"\s+", " ", text)

    return words(a) == words(b)


def test_a_stranger_cannot_lock_a_manager_out(app, manager):
    stranger = _client(app, "203.0.113.7")
    for _ in range(8):
        login(stranger, manager, "guessing wrong")
    assert login(stranger, manager).status_code == 429  # the stranger's address is slowed down
    office = _client(app, "10.1.1.1")
    assert login(office, manager).status_code == 302  # the manager, from the office, is not


def test_the_short_lock_ends_by_itself(app, manager):
    app.config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"] = "3 per 8 seconds"
    client = _client(app, "10.0.0.5")
    for _ in range(3):
        assert login(client, manager, "wrong password!").status_code == 401
    assert login(client, manager).status_code == 429
    time.sleep(8.2)  # a whole window after the last failure: it has ended, whenever it began
    assert login(client, manager).status_code == 302


def test_successful_logins_never_count_against_an_address(app, manager):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    client = _client(app, "10.0.0.6")
    for _ in range(5):
        assert login(client, manager).status_code == 302
        with client.session_transaction() as session:
            session.clear()
    assert login(client, manager).status_code == 302


def test_the_audit_log_keeps_nothing_typed_for_an_unknown_account(app, client, manager):
    typed = "MyS3cretPassw0rd-typed-in-the-wrong-field"
    login(client, typed, "whatever else")
    login(client, "someone.else@example.org", "whatever else")
    with app.app_context():
        entries = get_session().scalars(sa.select(AuditEntry)).all()
        dumped = repr([(e.action, e.details) for e in entries])
    assert typed.lower() not in dumped.lower() and "someone.else" not in dumped
    assert [e for e in entries if e.action == "login-failed"]


SAFE = ["/reports/weekly", "/reports/weekly?week=2026-W10&unit=C01", "/methodology#x"]
UNSAFE = [
    "//evil.com",
    "///evil.com",
    "////evil.com/x",
    "\\\\evil.com",
    "/\\evil.com",
    "\\/evil.com",
    "/\\/evil.com",
    "http://evil.com",
    "https://evil.com/reports/weekly",
    "http:evil.com",
    "https:/evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/%2F%2Fevil.com",
    "/%2fevil.com",
    "%2F%2Fevil.com",
    "/%5Cevil.com",
    "/%252F%252Fevil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    " //evil.com",
    "/ /evil.com",
    "/\x00/evil.com",
    "evil.com",
    "reports/weekly",
    "",
    None,
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", SAFE)
def test_paths_on_this_site_are_safe(target):
    assert is_safe_next(target)


@pytest.mark.parametrize("target", UNSAFE)
def test_other_hosts_schemes_and_tricks_are_not(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize(
    "target", ["///evil.com", "/\\evil.com", "/%2F%2Fevil.com", "http:evil.com"]
)
def test_login_never_redirects_to_another_host(client, manager, target):
    page = client.get("/login", query_string={"next": target})
    token = csrf_token(page.get_data(as_text=True))
    reply = client.post(
        "/login",
        query_string={"next": target},
        data={"email": manager, "password": PASSWORD, "csrf_token": token},
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/reports"
    # Already logged in, the GET redirects too: still nowhere else.
    again = client.get("/login", query_string={"next": target})
    assert again.headers["Location"] == "/reports"
