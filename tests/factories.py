"""What the tests build, in one place: accounts and their tokens, logins with CSRF, responses with
chosen answers posted through the ingest API, integration tokens, receipts issued through the API,
and the phone survey answered through the test client the way a browser without JavaScript would,
and the hand-made typed reports of tests/report_samples.py.
(The collector's apps, units and simulated kiosks are the fixtures of tests/collector/conftest.py.)
"""

from __future__ import annotations

import csv
import math
import re
import struct
import wave
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from collector.accounts.service import add_user, create_token
from collector.db import get_session
from collector.receipts.integrations import create_integration
from tests.collector.conftest import SimKiosk
from tests.report_samples import period_report, sample_report, without_data

__all__ = ["period_report", "sample_report", "without_data"]  # the report samples, handed out here

# -- people ---------------------------------------------------------------------------------------


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


# -- receipts -------------------------------------------------------------------------------------


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


# -- the shipped Quảng Trị units --------------------------------------------------------------

QUANG_TRI = Path(__file__).resolve().parents[1] / "data" / "units" / "quang-tri-2025"


def quang_tri_rows(name: str) -> list[dict[str, str]]:
    """The rows of one of the shipped Quảng Trị files."""
    with open(QUANG_TRI / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def old_huong_hoa() -> str:
    """The former Hướng Hóa district (465) and its 21 communes and towns, as they were before
    1 July 2025 (the old names are the notes of huong-hoa.csv), as a `units import` file."""
    lines = [
        "code,name,parent,kind",
        "45,Tỉnh Quảng Trị (cũ),,province",
        "465,Huyện Hướng Hóa,45,district",
    ]
    olds = {}
    for row in quang_tri_rows("huong-hoa.csv"):
        if row["change"] == "merge":
            olds[row["from"]] = row["note"].split(" → ")[0]
        olds.setdefault(row["to"], "Đơn vị cũ " + row["to"])
    lines += [f"{code},{name},465,commune" for code, name in sorted(olds.items())]
    return "\n".join(lines) + "\n"


# -- sound ------------------------------------------------------------------------------------


def tone(path: Path, seconds: float = 1.0, amplitude: float = 0.2) -> Path:
    """A 440 Hz tone as 16-bit mono WAV: a stand-in for a recording."""
    rate = 16000
    frames = b"".join(
        struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path
