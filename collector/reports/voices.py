"""Responses by language and listen use, per unit: how many kiosk responses of the period were
heard in each language (the voice pack a citizen chose on the welcome screen, Vietnamese unless
chosen) and how many of them pressed "listen", so a province sees whether the citizens of its
minority languages now rate. Read straight from the responses (two optional fields the kiosks
send, `shared.chain`); official responses only unless the report includes the others."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import subtree_ids
from collector.models import Response, Unit
from collector.reports.counts import unofficial_sql
from collector.reports.periods import Period


@dataclass(frozen=True)
class VoiceUse:
    unit_code: str
    unit_name: str
    #: The language heard; None for responses of kiosks that do not record it (older kiosks).
    voice: str | None
    responses: int
    listened: int  #: of them, those whose citizen pressed "listen"


def voice_use(
    session: Session, root_id: int, period: Period, include_unofficial: bool = False
) -> tuple[VoiceUse, ...]:
    """The kiosk responses of `period` in the unit `root_id` and below it, per unit and language
    (units by code, languages by code with the unrecorded last)."""
    ids = subtree_ids(session, [root_id])
    r = Response.__table__.c
    where = [
        r.unit_id.in_(ids),
        r.channel == "kiosk",
        r.submitted_at >= period.start_utc(),
        r.submitted_at < period.end_utc(),
    ]
    if not include_unofficial:
        dialect = session.get_bind().dialect.name
        where.append(sa.not_(sa.literal_column(unofficial_sql(dialect, "responses"), sa.Boolean)))
    listened = sa.func.sum(sa.case((r.listened.is_(True), 1), else_=0))
    rows = session.execute(
        sa.select(Unit.code, Unit.name, r.voice, sa.func.count(), listened)
        .select_from(Response.__table__.join(Unit, Unit.id == r.unit_id))
        .where(*where)
        .group_by(Unit.code, Unit.name, r.voice)
    ).all()
    found = [
        VoiceUse(code, name, voice, int(n), int(heard or 0)) for code, name, voice, n, heard in rows
    ]
    return tuple(sorted(found, key=lambda v: (v.unit_code, v.voice is None, v.voice or "")))
