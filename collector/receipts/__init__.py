"""Receipt rating codes: the issuing API (`POST /api/v1/receipts`, integration tokens), the
printable slip, and the CLI (`sipas collector receipts ...`, `... integrations ...`)."""

from __future__ import annotations

from flask import Flask, current_app

from collector.receipts.service import receipt_key

DEFAULTS = {
    #: The collector's public address, for the links printed on receipts, e.g.
    #: "https://sipas.hanoi.gov.vn"; None: the address the request came to (the CLI: localhost).
    "PUBLIC_URL": None,
    #: A key of its own for dossier HMACs and receipt tokens; None: derived from SECRET_KEY.
    "RECEIPT_SECRET": None,
    #: Days a receipt code can be used after issue.
    "RECEIPT_TTL_DAYS": 30,
}


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    from collector.api.openapi import extend
    from collector.receipts.api import OPENAPI_COMPONENTS, OPENAPI_PATHS

    extend(app, OPENAPI_PATHS, OPENAPI_COMPONENTS)


def app_key(app: Flask | None = None) -> bytes:
    app = app or current_app
    return receipt_key(app.secret_key, app.config.get("RECEIPT_SECRET"))


def public_url(app: Flask | None = None, fallback: str = "http://127.0.0.1:5000") -> str:
    app = app or current_app
    return app.config.get("PUBLIC_URL") or fallback
