"""A receipt's settings as the app holds them: the defaults, the key of its codes and the public
address printed on it. Kept apart from the package's `init_app`, which imports the API that reads
them."""

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


def app_key(app: Flask | None = None) -> bytes:
    app = app or current_app
    return receipt_key(app.secret_key, app.config.get("RECEIPT_SECRET"))


def public_url(app: Flask | None = None, fallback: str = "http://127.0.0.1:5000") -> str:
    app = app or current_app
    return app.config.get("PUBLIC_URL") or fallback
