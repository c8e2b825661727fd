"""The kiosk's language: Vietnamese on every screen unless that one screen asks for English."""

from __future__ import annotations

from flask import has_request_context, request

from shared.i18n import DEFAULT_LOCALE, LOCALES


def select_locale() -> str:
    """Vietnamese unless this screen was asked for in English (?lang=en); nothing is remembered."""
    lang = request.args.get("lang") if has_request_context() else None
    return lang if lang in LOCALES else DEFAULT_LOCALE
