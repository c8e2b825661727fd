"""Dossier status events from the one-stop software: the API (`POST /api/v1/dossier-events`,
integration tokens), the CSV import (`sipas collector dossiers import`), and each dossier's
state folded from its events (`state`)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from collector.api.openapi import extend
    from collector.dossiers.api import OPENAPI_COMPONENTS, OPENAPI_PATHS

    extend(app, OPENAPI_PATHS, OPENAPI_COMPONENTS)
