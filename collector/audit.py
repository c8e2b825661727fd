"""The audit log: one function that every change goes through, from the CLI and the pages alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from collector.models import AuditEntry, User


def audit(session: Session, action: str, user: User | None = None, **details: Any) -> AuditEntry:
    """Add a row to the audit log; `user` is who acted (None: the command line)."""
    entry = AuditEntry(action=action, user=user, details=details)
    session.add(entry)
    session.flush()
    return entry
