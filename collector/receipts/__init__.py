"""A receipt from issue to answered survey: the issuing API (`POST /api/v1/receipts`,
integration tokens: `api`, `integrations`), the codes (`tokens`, `service`), the counter page and
printable slip (`views`), the phone survey and the counter poster (`survey`, `answers`), and the
CLI (`sipas collector receipts ...`, `... integrations ...`)."""

from __future__ import annotations

from flask import Flask

from collector.receipts.settings import DEFAULTS


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    from collector.api.openapi import extend
    from collector.receipts.api import OPENAPI_COMPONENTS, OPENAPI_PATHS

    extend(app, OPENAPI_PATHS, OPENAPI_COMPONENTS)
