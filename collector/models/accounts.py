"""Manager accounts, their personal API tokens, and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.models.base import Base, BigIntKey
from collector.models.units import Unit
from shared.db import utcnow
from shared.i18n import N_

#: "counter": a counter officer (cán bộ một cửa), who only issues and prints receipt slips for
#: their unit and the units below it; they read no report and administer nothing.
ROLES = ("admin", "manager", "viewer", "counter")
#: The roles in words (translated where shown: the pages, the audit log, the command line).
ROLE_LABELS = {
    "admin": N_("administrator"),
    "manager": N_("manager"),
    "viewer": N_("viewer"),
    "counter": N_("counter officer"),
}


class User(Base):
    """A person who reads reports or issues receipts. Managers and viewers see their unit and
    every unit below it (viewers cannot change anything and never see per-officer results); an
    admin without a unit, or of the only top unit, sees and administers everything, an admin with
    another unit only that unit's subtree; a counter officer issues receipts for their unit's
    subtree and sees nothing else."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'manager', 'viewer', 'counter')", name="role"),
        sa.CheckConstraint("role = 'admin' OR unit_id IS NOT NULL", name="scoped_roles_have_unit"),
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-case; the login name.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    #: Werkzeug's salted hash (scrypt by default), never the password.
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    #: The top of what the user may see; None only for admins (the whole tree).
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    #: Failed logins since the last successful one (shown to admins; the login's rate limits,
    #: not this count, slow an attacker down).
    failed_logins: Mapped[int] = mapped_column(default=0)
    #: No longer set: an account is never locked as a whole (a stranger could lock anybody out).
    locked_until: Mapped[dt.datetime | None]
    #: Each session carries the epoch it was made in; logout and a password change add one, so
    #: every session (and copied cookie) made before ends at its next request.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Set by a password reset: the next login must choose a new password before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Whether the Monday report of the user's unit is sent to them by e-mail (they opt in).
    weekly_mail: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    unit: Mapped[Unit | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    # What Flask-Login asks of a user object.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(Base):
    """A personal token for the JSON report API; it acts with its user's role and scope."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.CheckConstraint("length(token_hash) = 64", name="token_hash_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: SHA-256 (hex) of the token; the token is printed once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEntry(Base):
    """Something a person did that changes what an official figure means or who may see what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: e.g. "login", "login-failed", "token-created", "report-included-excluded".
    action: Mapped[str] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    user: Mapped[User | None] = relationship()
