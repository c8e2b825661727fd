"""One bearer-token authentication for every blueprint under `/api/v1`: kiosk tokens (the ingest
API), integration tokens (receipts) and personal tokens (reports), each a `TokenKind`.

A blueprint names the kind its endpoints take and, per endpoint, the other kinds that may call it
too (`token_required`). The guard reads the body (bounded by API_MAX_BODY_BYTES) before the
database is touched: on SQLite the first query takes the write lock, which must not wait on a slow
link. It then finds the caller, keeps it on `g` under the kind's name (`g.kiosk`, `g.integration`,
`g.api_user`) and ends the transaction of the look-up at once (a personal token notes when it was
last used), so that no lock is held while the request's body is checked. Every refusal is a 401 in
the API's error shape: `missing-token` without a bearer token, `invalid-token` for one not known
(or not live), `revoked-token` for a kiosk's revoked token. The OpenAPI document's security schemes
come from the same kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from sqlalchemy.orm import Session

from collector.accounts.service import user_for_token
from collector.api.errors import error_response
from collector.db import get_session
from collector.fleet.kiosks import KioskRef, kiosk_for_token
from collector.receipts.integrations import integration_for_token


@dataclass(frozen=True)
class TokenKind:
    """A kind of bearer token: how its holder is found, kept and named in a refusal."""

    #: The attribute of `flask.g` that holds the caller.
    name: str
    #: Its security scheme in the OpenAPI document, and the scheme's description.
    scheme: str
    described: str
    #: The holder of a token, None when it is unknown.
    find: Callable[[Session, str], Any]
    #: The catalogue code refusing a holder that is known but may not call (a revoked kiosk).
    refused: Callable[[Any], str | None] = lambda holder: None
    #: What the request keeps of the holder.
    keep: Callable[[Any], Any] = lambda holder: holder
    #: The reply's message when the header is missing and when the token is unknown (None: the
    #: catalogue's, `collector.problems`).
    missing: str | None = None
    unknown: str | None = None


KIOSK = TokenKind(
    name="kiosk",
    scheme="kioskToken",
    described="The token printed by `sipas collector kiosks register`",
    find=kiosk_for_token,
    refused=lambda kiosk: "revoked-token" if kiosk.revoked_at is not None else None,
    # Its identity only: safe to keep after the look-up's transaction ends.
    keep=lambda kiosk: KioskRef(kiosk.id, kiosk.unit_id, kiosk.created_at),
)
INTEGRATION = TokenKind(
    name="integration",
    scheme="integrationToken",
    described="The token printed by `sipas collector integrations create`",
    find=integration_for_token,
    missing="An 'Authorization: Bearer <integration token>' header is required.",
    unknown="The integration token is not known or revoked.",
)
PERSON = TokenKind(
    name="api_user",
    scheme="personalToken",
    described="A token printed by `sipas collector tokens create EMAIL`",
    find=user_for_token,
    missing="An 'Authorization: Bearer <personal token>' header is required.",
    unknown="The token is not known, expired or revoked.",
)
KINDS = (KIOSK, INTEGRATION, PERSON)


def security_schemes() -> dict[str, dict[str, str]]:
    """The OpenAPI security schemes of every kind of token."""
    return {
        kind.scheme: {"type": "http", "scheme": "bearer", "description": kind.described}
        for kind in KINDS
    }


def bearer_token() -> str | None:
    """The token of the request's `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def token_required(
    kind: TokenKind,
    *,
    public: frozenset[str] = frozenset(),
    also: Mapping[str, tuple[TokenKind, ...]] | None = None,
) -> Callable[[], Any]:
    """A `before_request` function: the caller of a `kind` token, else a 401. Endpoints in
    `public` need no token; those in `also` take the other kinds named there too (one of those
    refused counts as unknown)."""
    also = also or {}

    def authenticate():
        request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
        if request.endpoint in public:
            return None
        token = bearer_token()
        if token is None:
            return error_response("missing-token", kind.missing)
        request.get_data()  # before the database; too large a body raises 413 here
        session = get_session()
        for candidate in (kind, *also.get(request.endpoint, ())):
            holder = candidate.find(session, token)
            if holder is None:
                continue
            refusal = candidate.refused(holder)
            if refusal is None:
                setattr(g, candidate.name, candidate.keep(holder))
                session.commit()
                return None
            if candidate is kind:
                session.rollback()
                return error_response(refusal)
        session.rollback()
        return error_response("invalid-token", kind.unknown)

    return authenticate
