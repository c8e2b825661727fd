"""The procedure list. Functions take a session and flush; the view or the CLI commits.

Only an administrator of the whole province may change it (None, the command line, may too);
every change is in the audit log.
"""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import administers_everything
from collector.audit import audit
from collector.i18n import TranslatableError
from collector.models import Procedure, User
from collector.units.imports import ImportSummary
from shared.i18n import N_
from shared.questionnaires import KINDS
from shared.text import normalise_text

#: As receipts and responses carry a procedure code (collector.receipts.service).
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_NAME = 300
#: A national list holds a few thousand procedures; far more is not a procedure list.
MAX_ROWS = 20_000


class ProcedureError(TranslatableError):
    """A procedure that cannot be saved; the message says why (and on which CSV line)."""


def _check_actor(session: Session, actor: User | None) -> None:
    if not administers_everything(session, actor):
        raise ProcedureError(
            N_("only an administrator of the whole province may change the procedure list")
        )


def _clean(code: str, name: str, kind: str) -> tuple[str, str, str]:
    code = (code or "").strip()
    name = normalise_text(name or "").strip()
    kind = (kind or "").strip() or "admin"
    if not CODE_RE.fullmatch(code):
        raise ProcedureError(
            N_("bad procedure code %(code)r: letters, digits, '.', '_' or '-', at most 64"),
            code=code,
        )
    if not name or len(name) > MAX_NAME:
        raise ProcedureError(
            N_("procedure %(code)s: the name must be 1 to %(num)d characters"),
            code=code,
            num=MAX_NAME,
        )
    if kind not in KINDS:
        raise ProcedureError(
            N_("procedure %(code)s: unknown kind of service %(kind)r (one of %(kinds)s)"),
            code=code,
            kind=kind,
            kinds=", ".join(KINDS),
        )
    return code, name, kind


def save_procedure(
    session: Session, code: str, name: str, kind: str = "admin", actor: User | None = None
) -> Procedure:
    """Add a procedure, or give an existing code a new name or kind (and offer it again)."""
    _check_actor(session, actor)
    code, name, kind = _clean(code, name, kind)
    row = session.scalar(sa.select(Procedure).where(Procedure.code == code))
    if row is None:
        row = Procedure(code=code, name=name, kind=kind, active=True)
        session.add(row)
        session.flush()
        audit(session, "procedure-added", actor, code=code, name=name, kind=kind)
        return row
    changes = {
        key: [before, after]
        for key, before, after in (
            ("name", row.name, name),
            ("kind", row.kind, kind),
            ("active", row.active, True),
        )
        if before != after
    }
    if changes:
        row.name, row.kind, row.active = name, kind, True
        session.flush()
        audit(session, "procedure-changed", actor, code=code, **changes)
    return row


def set_procedure_active(
    session: Session, code: str, active: bool, actor: User | None = None
) -> Procedure:
    """Withdraw a procedure from the counter page (receipts keep its code) or offer it again."""
    _check_actor(session, actor)
    row = session.scalar(sa.select(Procedure).where(Procedure.code == (code or "").strip()))
    if row is None:
        raise ProcedureError(N_("no procedure %(code)s"), code=code)
    if row.active != active:
        row.active = active
        session.flush()
        audit(session, "procedure-changed", actor, code=row.code, active=[not active, active])
    return row


def read_procedures_csv(text: str) -> list[tuple[int, str, str, str]]:
    """(line, code, name, kind) of each row of a CSV with the columns code,name[,kind] (a header
    line is needed; kind is admin when missing or empty)."""
    reader = csv.DictReader(io.StringIO(text))
    columns = {(c or "").strip().lower() for c in reader.fieldnames or []}
    if not {"code", "name"} <= columns:
        raise ProcedureError(N_("the first line must name the columns: code,name,kind"))
    rows = []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise ProcedureError(N_("more than %(num)d procedures in one file"), num=MAX_ROWS)
        row = {(k or "").strip().lower(): (v or "") for k, v in row.items() if isinstance(v, str)}
        if not any(value.strip() for value in row.values()):
            continue
        rows.append((line, row.get("code", ""), row.get("name", ""), row.get("kind", "")))
    return rows


def import_procedures(session: Session, text: str, actor: User | None = None) -> ImportSummary:
    """Add or update every procedure of a CSV (see read_procedures_csv); a bad row stops the
    import before anything is written, naming its line."""
    _check_actor(session, actor)
    wanted: dict[str, tuple[str, str]] = {}
    for line, code, name, kind in read_procedures_csv(text):
        try:
            code, name, kind = _clean(code, name, kind)
        except ProcedureError as exc:
            raise ProcedureError(N_("line %(line)d: %(problem)s"), line=line, problem=exc) from None
        wanted[code] = (name, kind)
    existing = {row.code: row for row in session.scalars(sa.select(Procedure))}
    added = updated = unchanged = 0
    for code, (name, kind) in wanted.items():
        row = existing.get(code)
        if row is None:
            session.add(Procedure(code=code, name=name, kind=kind, active=True))
            added += 1
        elif (row.name, row.kind, row.active) != (name, kind, True):
            row.name, row.kind, row.active = name, kind, True
            updated += 1
        else:
            unchanged += 1
    session.flush()
    summary = ImportSummary(added, updated, unchanged)
    audit(session, "procedures-imported", actor, **summary.counts())
    return summary


def list_procedures(session: Session, *, active_only: bool = False) -> list[Procedure]:
    """The procedures by code; only those offered at the counter with `active_only`."""
    query = sa.select(Procedure).order_by(Procedure.code)
    if active_only:
        query = query.where(Procedure.active.is_(True))
    return list(session.scalars(query))


def active_procedure(session: Session, code: str) -> Procedure | None:
    return session.scalar(
        sa.select(Procedure).where(Procedure.code == code, Procedure.active.is_(True))
    )
