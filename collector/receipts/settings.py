"""A receipt's settings as the app holds them: the defaults (the phone survey's and the poster's
limits too), the key of its codes and the public address printed on it. Kept apart from the
package's `init_app`, which imports the API that reads them."""

from __future__ import annotations

from flask import Flask, current_app

from collector.receipts.tokens import receipt_key

DEFAULTS = {
    #: The collector's public address, for the links printed on receipts, e.g.
    #: "https://sipas.hanoi.gov.vn"; None: the address the request came to (the CLI: localhost).
    "PUBLIC_URL": None,
    #: A key of its own for dossier HMACs and receipt tokens; None: derived from SECRET_KEY.
    "RECEIPT_SECRET": None,
    #: Days a receipt code can be used after issue.
    "RECEIPT_TTL_DAYS": 30,
    #: Requests to /r/... per client address (Flask-Limiter syntax).
    "PHONE_RATE_LIMIT": "120 per hour",
    #: Poster submissions per client address.
    "POSTER_RATE_LIMIT": "5 per 10 minutes",
    "POSTER_BURST_SIZE": 3,
    "POSTER_BURST_WINDOW": 600,
    #: A poster form sent back sooner than this after it was served is flagged suspect.
    "POSTER_MIN_SECONDS": 5,
    #: Poster responses of one unit within POSTER_BURST_WINDOW beyond which new ones are flagged.
    "POSTER_MAX_PER_WINDOW": 30,
}


def app_key(app: Flask | None = None) -> bytes:
    app = app or current_app
    return receipt_key(app.secret_key, app.config.get("RECEIPT_SECRET"))


def public_url(app: Flask | None = None, fallback: str = "http://127.0.0.1:5000") -> str:
    app = app or current_app
    return app.config.get("PUBLIC_URL") or fallback
