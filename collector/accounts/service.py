"""Accounts, logins and personal API tokens. Functions take a session and flush; the caller commits.

Passwords are kept as Werkzeug hashes (scrypt, salted). The login page says only that email or
password is wrong, never which emails exist; repeated failures are slowed by rate limits per
address and account (see `collector.accounts`), never by locking the account itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from collector.i18n import TranslatableError
from collector.models import ROLES, ApiToken, AuditEntry, Unit, User
from shared.db import utcnow
from shared.i18n import N_

EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}")
MIN_PASSWORD = 10
#: Personal tokens start with this, so a leaked one is easy to recognise (and to scan for).
TOKEN_PREFIX = "sipas_pat_"  # noqa: S105 - a prefix, not a secret
#: Checked against when the email is unknown, so that a wrong email takes as long as a wrong
#: password.
_DUMMY_HASH = generate_password_hash("not a password of anybody")


class AccountError(TranslatableError):
    """An account operation that cannot be done; the message says why."""


class LoginRefused(Exception):
    """Wrong email or password; the same for an unknown, an inactive and a known account."""

    def __init__(self):
        super().__init__("wrong email or password")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def audit(session: Session, action: str, user: User | None = None, **details: Any) -> AuditEntry:
    """Add a row to the audit log."""
    entry = AuditEntry(action=action, user=user, details=details)
    session.add(entry)
    session.flush()
    return entry


def add_user(
    session: Session, email: str, password: str, role: str, unit_code: str | None = None
) -> User:
    """A new account. Managers and viewers need a unit; an admin may have one or not."""
    email = normalise_email(email)
    if not EMAIL_RE.fullmatch(email):
        raise AccountError(N_("%(email)r is not an email address"), email=email)
    if role not in ROLES:
        raise AccountError(N_("role must be one of %(roles)s"), roles=", ".join(ROLES))
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            N_("the password must have at least %(num)d characters"), num=MIN_PASSWORD
        )
    unit = None
    if unit_code:
        unit = session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise AccountError(N_("no unit %(code)s"), code=unit_code)
    elif role != "admin":
        raise AccountError(N_("a %(role)s needs a unit (--unit CODE)"), role=role)
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError(N_("an account for %(email)s exists already"), email=email)
    user = User(
        email=email,
        password_hash=generate_password_hash(password),
        role=role,
        unit=unit,
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    audit(session, "user-added", None, email=email, role=role, unit=unit_code)
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(
    session: Session,
    email: str,
    password: str,
    now: dt.datetime | None = None,
) -> User:
    """The user with this email and password, or LoginRefused. Counts failures and audits.

    Unknown, inactive and known accounts take the same path: a password hash is always checked
    (a dummy one for an unknown email), so neither the answer nor its time tells which emails
    have accounts. Nothing typed into the form is kept for an unknown account (it could be a
    password typed into the wrong field). Repeated failures are slowed down by the login view's
    rate limits (per address and account, Flask-Limiter), not by locking the account: a
    stranger cannot lock a manager out.
    """
    now = now or utcnow()
    user = find_user(session, email)
    known = user is not None and user.active
    ok = check_password_hash(user.password_hash if known else _DUMMY_HASH, password or "")
    if not known:
        audit(session, "login-failed", None)
        raise LoginRefused()
    if not ok:
        user.failed_logins += 1
        audit(session, "login-failed", user)
        session.flush()
        raise LoginRefused()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit(session, "login", user)
    session.flush()
    return user


def end_sessions(session: Session, user: User, reason: str) -> None:
    """End every session of `user` at its next request (logout, password change)."""
    user.session_epoch += 1
    audit(session, "sessions-ended", user, reason=reason)
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            N_("the password must have at least %(num)d characters"), num=MIN_PASSWORD
        )
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    audit(session, "password-set", user)
    end_sessions(session, user, "password-set")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    email: str,
    label: str = "",
    days: int | None = 365,
    now: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new personal API token for the user; returns it with the token text, shown only once."""
    user = find_user(session, email)
    if user is None:
        raise AccountError(N_("no account %(email)s"), email=normalise_email(email))
    if len(label) > 100:
        raise AccountError(N_("the label must be at most 100 characters"))
    now = now or utcnow()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        token_hash=token_hash(token),
        label=label,
        created_at=now,
        expires_at=now + dt.timedelta(days=days) if days else None,
    )
    session.add(row)
    session.flush()
    audit(session, "token-created", user, token_id=row.id, label=label)
    return row, token


def user_for_token(session: Session, token: str, now: dt.datetime | None = None) -> User | None:
    """The active user holding this unexpired, unrevoked token; notes when it was last used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    row.last_used_at = now
    session.flush()
    return row.user


def revoke_token(session: Session, token_id: int, now: dt.datetime | None = None) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise AccountError(N_("no token %(id)s"), id=token_id)
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        audit(session, "token-revoked", row.user, token_id=row.id)
    return row
