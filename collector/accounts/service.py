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

from collector.accounts.scope import visible_unit_ids
from collector.audit import audit
from collector.i18n import TranslatableError
from collector.models import ROLES, ApiToken, Unit, User
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


def add_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    unit_code: str | None = None,
    *,
    actor: User | None = None,
    must_change_password: bool = False,
) -> User:
    """A new account. Managers and viewers need a unit; an admin may have one or not.

    With an `actor` (someone in the administration pages; None is the CLI), the new account may
    have no more than the actor has: see `check_grant`.
    """
    email = normalise_email(email)
    if not EMAIL_RE.fullmatch(email):
        raise AccountError(N_("%(email)r is not an email address"), email=email)
    _check_role(role)
    _check_password(password)
    unit = _unit_for(session, role, unit_code)
    check_grant(session, actor, role, unit)
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError(N_("an account for %(email)s exists already"), email=email)
    user = User(
        email=email,
        password_hash=generate_password_hash(password),
        role=role,
        unit=unit,
        active=True,
        failed_logins=0,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    audit(session, "user-added", actor, email=email, role=role, unit=unit_code)
    return user


def invite_user(
    session: Session, email: str, role: str, unit_code: str | None, *, actor: User | None = None
) -> tuple[User, str]:
    """A new account with a temporary password (returned, to be shown once) that must be changed
    at the first login."""
    password = temporary_password()
    user = add_user(
        session, email, password, role, unit_code, actor=actor, must_change_password=True
    )
    return user, password


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


#: What each role may do, in order: a role may be given only by someone holding it or a higher one.
#: A counter officer reads no report: below a viewer, for what an administrator may give.
ROLE_RANK = {"counter": 0, "viewer": 1, "manager": 2, "admin": 3}
#: Roles that read reports (the pages, the JSON API and the Monday mail).
READER_ROLES = frozenset({"admin", "manager", "viewer"})


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(N_("role must be one of %(roles)s"), roles=", ".join(ROLES))


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(
            N_("the password must have at least %(num)d characters"), num=MIN_PASSWORD
        )


def _unit_for(session: Session, role: str, unit_code: str | None) -> Unit | None:
    if unit_code:
        unit = session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise AccountError(N_("no unit %(code)s"), code=unit_code)
        return unit
    if role != "admin":
        raise AccountError(N_("a %(role)s needs a unit (--unit CODE)"), role=role)
    return None


def within_scope(session: Session, actor: User, unit: Unit | None) -> bool:
    """Whether `unit` (None: the whole tree) lies inside what `actor` may see."""
    visible = visible_unit_ids(session, actor)
    if visible is None:
        return True
    return unit is not None and unit.id in visible


def check_grant(session: Session, actor: User | None, role: str, unit: Unit | None) -> None:
    """Refuse to give more than the actor has: a role above theirs, or a scope beyond theirs.

    Only administrators give roles; an administrator limited to a subtree gives scopes inside it.
    None (the CLI, run by whoever holds the server) may give anything.
    """
    if actor is None:
        return
    if actor.role != "admin":
        raise AccountError(N_("only an administrator may manage accounts"))
    if ROLE_RANK[role] > ROLE_RANK[actor.role]:
        raise AccountError(N_("you cannot give the role %(role)s"), role=role)
    if not within_scope(session, actor, unit):
        raise AccountError(N_("you cannot give access beyond the units you administer"))


def check_manages(session: Session, actor: User | None, user: User) -> None:
    """Refuse an actor who may not change this account (outside their scope, or above it)."""
    if actor is None:
        return
    check_grant(session, actor, user.role, user.unit)


def update_user(
    session: Session,
    user: User,
    *,
    role: str | None = None,
    unit_code: str | None = None,
    active: bool | None = None,
    actor: User | None = None,
) -> User:
    """Change an account's role, unit (empty: the whole tree, admins only) or access."""
    check_manages(session, actor, user)
    new_role = user.role if role is None else role
    _check_role(new_role)
    if unit_code is None:
        new_unit = user.unit
    else:
        new_unit = _unit_for(session, new_role, unit_code or None)
    if new_unit is None and new_role != "admin":
        raise AccountError(N_("a %(role)s needs a unit (--unit CODE)"), role=new_role)
    check_grant(session, actor, new_role, new_unit)
    new_active = user.active if active is None else active
    if (
        actor is not None
        and actor.id == user.id
        and (new_role != user.role or new_unit is not user.unit or not new_active)
    ):
        raise AccountError(N_("you cannot change your own role, unit or access"))
    changes: dict[str, Any] = {}
    if new_role != user.role:
        changes["role"] = [user.role, new_role]
    if new_unit is not user.unit:
        changes["unit"] = [
            user.unit.code if user.unit else None,
            new_unit.code if new_unit else None,
        ]
    if new_active != user.active:
        changes["active"] = [user.active, new_active]
    user.role, user.unit, user.active = new_role, new_unit, new_active
    if new_role not in READER_ROLES:
        # A counter officer reads no report: no Monday mail either.
        user.weekly_mail = False
    session.flush()
    if changes:
        audit(session, "user-changed", actor, email=user.email, **changes)
    return user


def reset_password(session: Session, user: User, *, actor: User | None = None) -> str:
    """A new temporary password for the account, which must be changed at the next login.

    Returns the password (shown once to whoever reset it); the account's lock is lifted.
    """
    check_manages(session, actor, user)
    password = temporary_password()
    _store_password(session, user, password, must_change=True)
    audit(session, "password-reset", actor, email=user.email)
    end_sessions(session, user, "password-reset")
    # A reset says the account may be in other hands: its personal tokens end for good.
    now = utcnow()
    for token in session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
        audit(session, "token-revoked", actor, token_id=token.id, reason="password-reset")
    session.flush()
    return password


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user's own change: the current password must be right; the new one differs from it."""
    if not check_password_hash(user.password_hash, current or ""):
        audit(session, "password-change-refused", user)
        raise AccountError(N_("the current password is wrong"))
    _check_password(new)
    if new == current:
        raise AccountError(N_("the new password must differ from the current one"))
    _store_password(session, user, new, must_change=False)
    audit(session, "password-changed", user)
    # Every other session (a cookie copied before) ends; the view keeps the one that asked.
    end_sessions(session, user, "password-changed")


def set_weekly_mail(session: Session, user: User, receive: bool) -> None:
    """Whether the user receives the Monday report by e-mail (readers of reports only)."""
    if receive and user.role not in READER_ROLES:
        raise AccountError(N_("a counter officer receives no report"))
    if user.weekly_mail != receive:
        user.weekly_mail = receive
        session.flush()
        audit(session, "weekly-mail-set", user, receive=receive)


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


def _store_password(session: Session, user: User, password: str, *, must_change: bool) -> None:
    """The one place a password is stored: hashed, failures forgotten."""
    user.password_hash = generate_password_hash(password)
    user.must_change_password = must_change
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    email: str,
    label: str = "",
    days: int | None = 365,
    now: dt.datetime | None = None,
    *,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """A new personal API token for the user; returns it with the token text, shown only once.

    `actor`: who made it (the user themselves in their account page; None is the command line).
    """
    user = find_user(session, email)
    if user is None:
        raise AccountError(N_("no account %(email)s"), email=normalise_email(email))
    if user.role not in READER_ROLES:
        raise AccountError(N_("a counter officer receives no report"))
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
    audit(session, "token-created", actor, email=user.email, token_id=row.id, label=label)
    return row, token


def user_for_token(session: Session, token: str, now: dt.datetime | None = None) -> User | None:
    """The active user holding this unexpired, unrevoked token; notes when it was last used.

    Not while the user holds a temporary password (invited or reset, not yet changed): a token
    acts for the person only once the password is their own."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if row.user.must_change_password or row.user.role not in READER_ROLES:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    row.last_used_at = now
    session.flush()
    return row.user


def revoke_token(
    session: Session,
    token_id: int,
    now: dt.datetime | None = None,
    owner: User | None = None,
) -> ApiToken:
    """Revoke a personal token; with `owner` (their account page), only one of theirs (others
    look unknown); without, from the command line."""
    row = session.get(ApiToken, token_id)
    if row is None or (owner is not None and row.user_id != owner.id):
        raise AccountError(N_("no token %(id)s"), id=token_id)
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        audit(session, "token-revoked", owner, email=row.user.email, token_id=row.id)
    return row
