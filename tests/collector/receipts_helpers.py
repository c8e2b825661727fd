"""Helpers for the receipt tests: an integration token, issuing through the API, and answering the
phone survey through the test client the way a browser without JavaScript would."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from collector.db import get_session
from collector.receipts.integrations import create_integration

CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
ACTION_RE = re.compile(r'<form method="post" action="([^"]+)"')


def integration(app, unit: str = "C01") -> str:
    with app.app_context():
        session = get_session()
        _, token = create_integration(session, unit, "Một cửa")
        session.commit()
    return token


def issue(client, token: str, dossier: str = "000.00.12.H40-260302-0001", **body: Any):
    payload = {
        "dossier": dossier,
        "unit": body.pop("unit", "O01"),
        "questionnaire": "admin",
        **body,
    }
    return client.post(
        "/api/v1/receipts", json=payload, headers={"Authorization": f"Bearer {token}"}
    )


def fetch_qr(client, token: str, link: str):
    """GET a QR image link of an issuing reply with an integration token."""
    return client.get(path_of(link), headers={"Authorization": f"Bearer {token}"})


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, html[:500]
    return match.group(1)


def action(html: str) -> str:
    match = ACTION_RE.search(html)
    assert match, html[:500]
    return match.group(1).replace("&amp;", "&")


def question_codes(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'type="radio" name="([A-Z][A-Z0-9_]*)"', html)))


def answer_screen(client, path: str, value: int = 4):
    """Answer every question of the screen at `path` with `value`; returns the POST reply."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    form = {"csrf_token": csrf(html), "next": "1"}
    for code in question_codes(html):
        form[code] = str(value)
    return client.post(action(html), data=form)


def answer_all(client, path: str, value: int = 4, reasons=(), comment: str | None = None):
    """Answer the whole survey from its link; returns the reply of the final send."""
    for _ in range(20):
        page = client.get(path)
        html = page.get_data(as_text=True)
        if page.status_code != 200:
            return page
        if "/send" in action(html):
            form = {"csrf_token": csrf(html), "next": "1", "comment": comment or ""}
            if reasons:
                form["reasons"] = list(reasons)
            return client.post(action(html), data=form)
        reply = answer_screen(client, path, value)
        assert reply.status_code == 303, reply.get_data(as_text=True)[:300]
    raise AssertionError("the survey did not end")
