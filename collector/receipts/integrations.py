"""Integration tokens: the one-stop software that issues receipt codes for a unit's subtree.

Functions take a session and flush; the view or the CLI commits.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from collector.audit import audit
from collector.models import IntegrationToken, Unit, User
from collector.receipts.service import ReceiptError
from collector.receipts.tokens import token_hash
from shared.db import utcnow
from shared.i18n import N_


def create_integration(
    session: Session, unit_code: str, label: str = "", actor: User | None = None
) -> tuple[int, str]:
    """A new integration token for a unit's subtree; returns its id and the token (shown once)."""
    unit = session.scalar(sa.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise ReceiptError(N_("no unit %(code)s"), "unit", code=unit_code)
    label = label.strip()
    if len(label) > 100:
        raise ReceiptError(N_("the label must be at most 100 characters"), "label")
    token = "int_" + secrets.token_urlsafe(32)
    row = IntegrationToken(unit=unit, label=label, token_hash=token_hash(token))
    session.add(row)
    session.flush()
    audit(session, "integration-created", actor, integration_id=row.id, unit=unit_code, label=label)
    return row.id, token


def revoke_integration(
    session: Session, integration_id: int, actor: User | None = None
) -> IntegrationToken:
    """Revoke an integration token (the receipts it issued stay); revoking twice is a no-op."""
    row = session.get(IntegrationToken, integration_id)
    if row is None:
        raise ReceiptError(N_("no integration token %(id)s"), "id", id=integration_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit(
            session,
            "integration-revoked",
            actor,
            integration_id=row.id,
            unit=row.unit.code,
            label=row.label,
        )
    return row


def list_integrations(session: Session, unit_ids: set[int] | None = None) -> list[IntegrationToken]:
    """Integration tokens, newest first; only those of the given units when unit_ids is set."""
    query = (
        sa.select(IntegrationToken)
        .options(joinedload(IntegrationToken.unit))
        .order_by(IntegrationToken.id.desc())
    )
    if unit_ids is not None:
        query = query.where(IntegrationToken.unit_id.in_(unit_ids))
    return list(session.scalars(query))


def integration_for_token(session: Session, token: str) -> IntegrationToken | None:
    """The live integration holding this token; None if unknown or revoked."""
    row = session.scalar(
        sa.select(IntegrationToken).where(IntegrationToken.token_hash == token_hash(token))
    )
    return row if row is not None and row.revoked_at is None else None
