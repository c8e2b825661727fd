"""Receipt rating codes: dossier codes, issue, look-up and revoke (the tokens themselves in
`collector.receipts.tokens`, integration tokens in `collector.receipts.integrations`).

Functions take a session and flush; the view or the CLI commits.

A receipt belongs to its unit. The dossier's key is the HMAC of the unit's code and the dossier
code, so the same code issued for another unit is another dossier: nobody finds, answers or learns
of a receipt of a unit outside their integration token's units, and nobody can claim a code for a
unit first. Receipts issued before the unit became part of the key (an HMAC of the dossier code
alone, `legacy_dossier_hmac`) keep their rows and printed links; asking again for such a dossier
for its own unit finds it (`issue_receipt`), for any other unit it is unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import in_subtree, visible_unit_ids
from collector.audit import audit
from collector.i18n import TranslatableError
from collector.models import IntegrationToken, Receipt, Unit, User
from collector.periods import ZONE
from collector.receipts.tokens import (
    dossier_hmac,
    legacy_dossier_hmac,
    legacy_token,
    make_token,
    token_hash,
    token_signed,
)
from collector.units import CODE_RE as UNIT_CODE_RE
from shared import questionnaires
from shared.db import utcnow
from shared.i18n import N_
from shared.qr import qr_png, qr_svg, qr_version

MAX_CODE = 64
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Circular 01/2018/TT-VPCP art. 19: unit code (segments joined by dots), received date YYMMDD,
#: sequence of the day, e.g. 000.00.12.H40-260302-0001.
DOSSIER_RE = re.compile(r"^(?P<unit>.+)-(?P<date>[^-]+)-(?P<seq>[^-]+)$")
UNIT_PART_RE = re.compile(r"^[A-Z0-9]{1,10}(\.[A-Z0-9]{1,10}){0,7}$")


class ReceiptError(TranslatableError):
    """A receipt request that cannot be done; the message says what is wrong."""

    def __init__(self, message: str, about: str = "", **params: object):
        #: The request field the error is about.
        self.field = about
        super().__init__(message, **params)


# -- dossier codes ----------------------------------------------------------------------------


def normalise_dossier(code: object) -> str:
    """The dossier code, upper-case and trimmed, checked against Circular 01/2018 art. 19: the
    received date (YYMMDD) and the 4-digit sequence strictly, the unit part loosely.

    ASCII only: other digits (full-width, Arabic-Indic, Devanagari...) and letters are refused,
    not converted, so one dossier can never be written two ways."""
    if not isinstance(code, str) or not code.strip():
        raise ReceiptError(N_("the dossier code is missing"), "dossier")
    text = code.strip()
    if len(text) > 64:
        raise ReceiptError(N_("the dossier code is longer than 64 characters"), "dossier")
    if not text.isascii() or not text.isprintable():
        raise ReceiptError(
            N_("the dossier code must be written with ASCII letters, digits, '.' and '-'"),
            "dossier",
        )
    text = text.upper()
    match = DOSSIER_RE.match(text)
    if match is None:
        raise ReceiptError(
            N_("the dossier code must look like UNIT-YYMMDD-NNNN, e.g. 000.00.12.H40-260302-0001"),
            "dossier",
        )
    if not UNIT_PART_RE.match(match["unit"]):
        raise ReceiptError(
            N_(
                "the unit part %(part)s of the dossier code must be letters and digits in "
                "segments joined by dots"
            ),
            "dossier",
            part=match["unit"],
        )
    date = match["date"]
    try:
        if not re.fullmatch(r"[0-9]{6}", date):
            raise ValueError(date)
        dt.date(2000 + int(date[:2]), int(date[2:4]), int(date[4:]))
    except ValueError:
        raise ReceiptError(
            N_("the date part %(part)s of the dossier code is not a date as YYMMDD"),
            "dossier",
            part=date,
        ) from None
    if not re.fullmatch(r"[0-9]{4}", match["seq"]):
        raise ReceiptError(
            N_("the sequence part %(part)s of the dossier code must be exactly 4 digits"),
            "dossier",
            part=match["seq"],
        )
    return text


# -- issue ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptRequest:
    dossier: str
    unit: str
    questionnaire: str = "admin"
    procedure: str | None = None
    officer: str | None = None
    due_date: dt.date | None = None


def _optional_code(value: object, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not CODE_RE.match(value.strip()):
        raise ReceiptError(
            N_("%(field)s must be a code of letters, digits, '.', '_' or '-' (at most 64)"),
            field,
            field=field,
        )
    return value.strip()


def parse_request(body: object) -> ReceiptRequest:
    """A receipt request from a JSON body (or the CLI's options as a dict); names what is wrong."""
    if not isinstance(body, dict):
        raise ReceiptError(N_("the body must be a JSON object"))
    allowed = {"dossier", "unit", "questionnaire", "procedure", "officer", "due_date"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ReceiptError(
            N_("unknown field(s): %(fields)s"), unknown[0], fields=", ".join(unknown)
        )
    dossier = normalise_dossier(body.get("dossier"))
    unit = body.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        raise ReceiptError(N_("the unit code is missing"), "unit")
    if not UNIT_CODE_RE.fullmatch(unit.strip()):
        # Not echoed: it may hold what no reply can carry (a NUL, a lone surrogate).
        raise ReceiptError(
            N_("the unit code must be letters, digits, '.', '_' or '-' (at most 64)"), "unit"
        )
    kind = body.get("questionnaire") or "admin"
    if kind not in questionnaires.KINDS:
        raise ReceiptError(
            N_("unknown questionnaire %(kind)s (one of %(kinds)s)"),
            "questionnaire",
            kind=str(kind),
            kinds=", ".join(questionnaires.KINDS),
        )
    due = body.get("due_date")
    due_date = None
    if due not in (None, ""):
        try:
            if not isinstance(due, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", due):
                raise ValueError(due)
            due_date = dt.date.fromisoformat(due)
        except ValueError:
            raise ReceiptError(N_("due_date must be a date as YYYY-MM-DD"), "due_date") from None
    return ReceiptRequest(
        dossier=dossier,
        unit=unit.strip(),
        questionnaire=kind,
        procedure=_optional_code(body.get("procedure"), "procedure"),
        officer=_optional_code(body.get("officer"), "officer"),
        due_date=due_date,
    )


@dataclass(frozen=True)
class Issued:
    receipt_id: int
    state: str
    expires_at: dt.datetime
    token: str
    url: str
    #: False when the dossier already had a code (the same one is returned).
    created: bool

    def qr_png(self) -> bytes:
        return qr_png(self.url)

    def qr_svg(self) -> bytes:
        return qr_svg(self.url)

    def qr_version(self) -> int:
        return qr_version(self.url)


def short_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/r/{token}"


#: How far ahead a dossier's received date may be (a clock may be a little early, and the
#: one-stop software may number tomorrow's first dossiers tonight); a later date is a code being
#: claimed before its dossier exists. The message says "a day": change both together.
DAYS_AHEAD = 1


def received_date(dossier: str) -> dt.date:
    """The received date of a normalised dossier code (its YYMMDD part)."""
    date = DOSSIER_RE.match(dossier)["date"]  # type: ignore[index]
    return dt.date(2000 + int(date[:2]), int(date[2:4]), int(date[4:]))


def _unit_to_issue_for(
    session: Session,
    request: ReceiptRequest,
    integration: IntegrationToken | None,
    issuer: User | None,
    now: dt.datetime,
) -> int:
    """The id of the request's unit, once the dossier's date and the caller's units allow it."""
    latest = now.astimezone(ZONE).date() + dt.timedelta(days=DAYS_AHEAD)
    if received_date(request.dossier) > latest:
        raise ReceiptError(N_("the dossier code is dated more than a day ahead"), "dossier")
    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == request.unit))
    if unit_id is None:
        raise ReceiptError(N_("no unit %(code)s"), "unit", code=request.unit)
    # Checked before any receipt is looked at: the answer is the same whether one exists or not.
    if integration is not None and not in_subtree(session, integration.unit_id, unit_id):
        raise ReceiptError(
            N_("unit %(code)s is outside this integration token's units"),
            "unit",
            code=request.unit,
        )
    if issuer is not None:
        visible = visible_unit_ids(session, issuer)
        if visible is not None and unit_id not in visible:
            raise ReceiptError(N_("unit %(code)s is outside your units"), "unit", code=request.unit)
    return unit_id


def _insert_new(session: Session, values: dict[str, object], legacy: str) -> int | None:
    """Insert the receipt row unless its dossier has one; the new row's id, else None.

    Insert first: a new dossier (the usual case) costs this one statement. The unique HMAC makes a
    second request for the same dossier, also one running at the same moment, insert nothing (the
    caller reads the row the first one made). The same statement inserts nothing when the unit
    already holds the dossier's receipt from before the unit was part of the key."""
    table = Receipt.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    earlier = sa.select(table.c.id).where(
        table.c.dossier_hmac == legacy, table.c.unit_id == values["unit_id"]
    )
    row_values = sa.select(
        *(sa.literal(value, table.c[name].type).label(name) for name, value in values.items())
    ).where(~earlier.exists())
    statement = (
        insert(table)
        .from_select(list(values), row_values)
        .on_conflict_do_nothing(index_elements=["dossier_hmac"])
        .returning(table.c.id)
    )
    return session.execute(statement).scalar()


def issue_receipt(
    session: Session,
    request: ReceiptRequest,
    *,
    key: bytes,
    public_url: str,
    ttl_days: int,
    integration: IntegrationToken | None = None,
    issuer: User | None = None,
    now: dt.datetime | None = None,
) -> Issued:
    """The rating code of a unit's dossier: a new one, or the one it already has.

    The one function behind the API (`integration`: the calling one-stop software), the counter
    page (`issuer`: the logged-in counter officer, manager or administrator) and the CLI (both
    None); each may issue only for the units it holds."""
    now = now or utcnow()
    unit_id = _unit_to_issue_for(session, request, integration, issuer, now)
    token = make_token(key, request.unit, request.dossier)
    digest = dossier_hmac(key, request.unit, request.dossier)
    legacy = legacy_dossier_hmac(key, request.dossier)
    q = questionnaires.current(request.questionnaire, "full")
    expires_at = now + dt.timedelta(days=ttl_days)
    values = {
        "dossier_hmac": digest,
        "token_hash": token_hash(token),
        "unit_id": unit_id,
        "questionnaire": q.kind,
        "questionnaire_version": q.version,
        "procedure": request.procedure,
        "officer": request.officer,
        "due_date": request.due_date,
        "integration_id": integration.id if integration is not None else None,
        "state": "issued",
        "issued_at": now,
        "expires_at": expires_at,
        "progress": {},
    }
    new_id = _insert_new(session, values, legacy)
    url = short_url(public_url, token)
    if new_id is not None:
        return Issued(new_id, "issued", expires_at, token, url, created=True)
    row = session.execute(
        sa.select(Receipt.id, Receipt.state, Receipt.expires_at, Receipt.dossier_hmac).where(
            sa.or_(
                Receipt.dossier_hmac == digest,
                sa.and_(Receipt.dossier_hmac == legacy, Receipt.unit_id == unit_id),
            )
        )
    ).one()
    if row.dossier_hmac == legacy:
        token = legacy_token(key, request.dossier)
        url = short_url(public_url, token)
    return Issued(row.id, row.state, row.expires_at, token, url, created=False)


def receipt_for_token(session: Session, key: bytes, token: str) -> Receipt | None:
    """The receipt of a signed token; None for a forged one (without asking the database) or an
    unknown one."""
    if not token_signed(key, token):
        return None
    return session.scalar(sa.select(Receipt).where(Receipt.token_hash == token_hash(token)))


def revoke_receipt(session: Session, key: bytes, token: str, actor: User | None = None) -> Receipt:
    """Withdraw a receipt's rating code unless it was answered; `actor` None is the command line."""
    receipt = receipt_for_token(session, key, token)
    if receipt is None:
        raise ReceiptError(N_("no receipt with this code"), "token")
    if receipt.state not in ("answered", "revoked"):
        receipt.state = "revoked"
        receipt.revoked_at = utcnow()
        receipt.progress = {}
        session.flush()
        audit(session, "receipt-revoked", actor, receipt_id=receipt.id, unit=receipt.unit.code)
    return receipt


def qr_link(public_url: str, token: str, kind: str) -> str:
    """Where the API serves a receipt's QR image (`kind` "png" or "svg")."""
    return f"{public_url.rstrip('/')}/api/v1/receipts/{token}/qr.{kind}"


def issued_reply(issued: Issued, public_url: str) -> dict[str, object]:
    """The JSON reply of the API (the CLI prints the same fields). The QR images are links, drawn
    when fetched: drawing them costs far more than issuing the code."""
    return {
        "token": issued.token,
        "url": issued.url,
        "expires_at": issued.expires_at.astimezone(dt.UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "created": issued.created,
        "state": issued.state,
        "qr": {"version": qr_version(issued.url), "error_correction": "M"},
        "qr_png": qr_link(public_url, issued.token, "png"),
        "qr_svg": qr_link(public_url, issued.token, "svg"),
    }
