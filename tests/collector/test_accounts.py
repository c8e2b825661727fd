"""Accounts: login with CSRF, expiring sessions, CLI, personal tokens (rate limits, sessions
ended on the server and redirects: test_login_security.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from collector.accounts.service import (
    AccountError,
    add_user,
    user_for_token,
)
from collector.cli import collector
from collector.db import get_session
from collector.models import ApiToken, User
from tests.factories import PASSWORD, csrf_token, login


@pytest.fixture
def manager(app, units, make):
    make.user("Manager@Example.org", "manager", "C01")
    return "manager@example.org"


def test_password_is_hashed_with_a_current_algorithm(app, manager):
    with app.app_context():
        user = get_session().scalar(sa.select(User).where(User.email == manager))
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:sha256:"))


def test_scoped_roles_need_a_unit_and_emails_are_unique(app, units):
    with app.app_context():
        session = get_session()
        with pytest.raises(AccountError, match="needs a unit"):
            add_user(session, "v@example.org", PASSWORD, "viewer", None)
        with pytest.raises(AccountError, match="at least 10"):
            add_user(session, "v@example.org", "short", "viewer", "C01")
        with pytest.raises(AccountError, match="no unit"):
            add_user(session, "v@example.org", PASSWORD, "viewer", "NOPE")
        add_user(session, "v@example.org", PASSWORD, "viewer", "C01")
        with pytest.raises(AccountError, match="exists already"):
            add_user(session, "V@example.org", PASSWORD, "admin", None)


def test_login_page_is_vietnamese_and_carries_a_csrf_token(client, manager):
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html
    assert csrf_token(html)


def test_login_without_csrf_token_is_refused(client, manager):
    reply = client.post("/login", data={"email": manager, "password": PASSWORD})
    assert reply.status_code == 400
    assert client.get("/reports/weekly").status_code == 302


def test_login_then_logout(client, manager):
    assert client.get("/reports/weekly").status_code == 302
    reply = login(client, manager)
    assert reply.status_code == 302
    assert reply.headers["Location"].endswith("/reports")
    assert client.get("/reports/weekly").status_code == 200
    page = client.get("/reports/weekly").get_data(as_text=True)
    reply = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert reply.status_code == 302
    assert client.get("/reports/weekly").status_code == 302


def test_wrong_password_says_nothing_about_the_email(client, manager):
    wrong_password = login(client, manager, "not the password at all")
    unknown_email = login(client, "nobody@example.org", "not the password at all")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert "Sai email hoặc mật khẩu" in wrong_password.get_data(as_text=True)
    assert "Sai email hoặc mật khẩu" in unknown_email.get_data(as_text=True)


def test_next_only_goes_to_a_path_on_this_site(client, manager):
    page = client.get("/login?next=https://evil.example/")
    token = csrf_token(page.get_data(as_text=True))
    reply = client.post(
        "/login?next=https://evil.example/",
        data={"email": manager, "password": PASSWORD, "csrf_token": token},
    )
    assert reply.headers["Location"].endswith("/reports")


def test_idle_session_expires(app, client, manager):
    app.config["SESSION_IDLE_MINUTES"] = 1
    login(client, manager)
    assert client.get("/reports/weekly").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = session["seen"] - 120
    assert client.get("/reports/weekly").status_code == 302


def test_session_cookie_is_not_forever(app):
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= dt.timedelta(hours=12)
    assert app.config["SESSION_COOKIE_HTTPONLY"]


def test_cli_adds_users_and_prints_a_token_once(app, runner, units):
    result = runner.invoke(
        collector,
        [
            "users",
            "add",
            "boss@example.org",
            "--role",
            "manager",
            "--unit",
            "C01",
            "--password",
            PASSWORD,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Đã thêm cán bộ quản lý boss@example.org." in result.output  # the role in words
    result = runner.invoke(collector, ["tokens", "create", "boss@example.org", "--label", "cron"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("sipas_pat_")
    with app.app_context():
        session = get_session()
        stored = session.scalar(sa.select(ApiToken))
        assert token not in stored.token_hash
        assert user_for_token(session, token).email == "boss@example.org"
    bad = runner.invoke(
        collector, ["users", "add", "x@example.org", "--role", "viewer", "--password", PASSWORD]
    )
    assert bad.exit_code != 0


def test_revoked_or_expired_tokens_do_not_work(app, runner, units, make):
    make.user("t@example.org", "viewer", "C01")
    result = runner.invoke(collector, ["tokens", "create", "t@example.org", "--days", "1"])
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        session = get_session()
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        assert user_for_token(session, token, later) is None
        assert user_for_token(session, token) is not None
        assert user_for_token(session, "sipas_pat_guess") is None
        token_id = session.scalar(sa.select(ApiToken.id))
    assert runner.invoke(collector, ["tokens", "revoke", str(token_id)]).exit_code == 0
    with app.app_context():
        assert user_for_token(get_session(), token) is None
