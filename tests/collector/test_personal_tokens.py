"""A personal API token acts for its owner only while the owner's password is their own: not while
they hold a temporary password, and never again after a password reset."""

from __future__ import annotations

import sqlalchemy as sa

from collector.accounts.service import change_password, invite_user, reset_password
from collector.cli import collector
from collector.db import get_session
from collector.models import ApiToken, AuditEntry, User

URL = "/api/v1/questionnaires"
NEW_PASSWORD = "another long passphrase"  # noqa: S105 - test account only


def _status(client, token: str) -> int:
    return client.get(URL, headers={"Authorization": f"Bearer {token}"}).status_code


def _user(session, email: str) -> User:
    return session.scalar(sa.select(User).where(User.email == email))


def test_a_reset_ends_every_personal_token_for_good(app, client, units, make):
    make.user("m@example.org", "manager", "C01")
    token = make.token("m@example.org")
    assert _status(client, token) == 200
    with app.app_context():
        session = get_session()
        temporary = reset_password(session, _user(session, "m@example.org"))
        session.commit()
    assert _status(client, token) == 401
    with app.app_context():
        session = get_session()
        change_password(session, _user(session, "m@example.org"), temporary, NEW_PASSWORD)
        session.commit()
        assert session.scalar(sa.select(ApiToken.revoked_at)) is not None
        assert session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "token-revoked")
        )
    # Still refused with the owner's own password back: the reset ended it.
    assert _status(client, token) == 401
    assert _status(client, make.token("m@example.org")) == 200


def test_the_cli_reset_ends_them_too(app, client, runner, units, make):
    make.user("m@example.org", "manager", "C01")
    token = make.token("m@example.org")
    result = runner.invoke(collector, ["users", "reset-password", "m@example.org"])
    assert result.exit_code == 0, result.output
    assert _status(client, token) == 401


def test_a_token_does_not_work_while_its_owner_has_a_temporary_password(app, client, units, make):
    with app.app_context():
        session = get_session()
        _, temporary = invite_user(session, "new@example.org", "viewer", "C01")
        session.commit()
    token = make.token("new@example.org")
    assert _status(client, token) == 401
    with app.app_context():
        session = get_session()
        change_password(session, _user(session, "new@example.org"), temporary, NEW_PASSWORD)
        session.commit()
    assert _status(client, token) == 200
