"""Helpers for the report and account tests: accounts, logins with CSRF, responses with chosen
answers posted through the ingest API."""

from __future__ import annotations

import re
from typing import Any

from collector.accounts.service import add_user, create_token
from collector.db import get_session
from tests.collector.conftest import SimKiosk, register

PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only


def make_user(app, email: str, role: str, unit: str | None) -> None:
    with app.app_context():
        session = get_session()
        add_user(session, email, PASSWORD, role, unit)
        session.commit()


def make_token(app, email: str) -> str:
    with app.app_context():
        session = get_session()
        _, token = create_token(session, email)
        session.commit()
        return token


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match[1]


def login(client, email: str, password: str = PASSWORD, follow: bool = False):
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=follow,
    )


def post_answers(
    kiosk: SimKiosk,
    answers: dict[str, int],
    submitted_at: str,
    *,
    kind: str = "admin",
    version: str | None = None,
    unit: str | None = None,
    **fields: Any,
) -> None:
    """One response with exactly these answers, stored through the API."""
    version = version or {"admin": "2026.1-short", "health": "2019.1-short"}.get(
        kind, "2026.1-short"
    )
    response = kiosk.next(
        questionnaire=kind,
        questionnaire_version=version,
        answers=answers,
        submitted_at=submitted_at,
        started_at=submitted_at,
        unit=unit or kiosk.unit,
        reasons=fields.pop("reasons", []),
        comment=fields.pop("comment", None),
        **fields,
    )
    assert kiosk.statuses([response]) == ["accepted"]


__all__ = ["PASSWORD", "csrf_token", "login", "make_token", "make_user", "post_answers", "register"]
