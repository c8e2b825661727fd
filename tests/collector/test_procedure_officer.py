"""Procedure and officer codes: accepted by the ingest API inside the hash chain, stored, and shown
in the weekly report by procedure and (for managers and admins only, from 10 responses up) by
officer, with the same figures in the page, CSV, XLSX and JSON."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import uuid
from dataclasses import dataclass

import jsonschema
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from collector.db import get_session
from collector.models import Answer, Response, Unit
from collector.tasks import run_refresh_counts
from shared.chain import GENESIS, response_hash
from shared.db import utcnow, uuid7
from tests import reference_scoring as reference
from tests.collector.report_figures import figures_from_page
from tests.factories import login, make_response, make_token, post_answers, rehash

WEEK = "2026-W10"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")
PROC_A, PROC_B = "1.001234", "2.000111"


@dataclass
class Stored:
    procedure: str | None
    officer: str | None
    prev_hash: str
    hash: str
    sent: dict


def stored(app, rid: str) -> Stored:
    with app.app_context():
        row = get_session().scalar(sa.select(Response).where(Response.uuid == uuid.UUID(rid)))
        return Stored(row.procedure, row.officer, row.prev_hash, row.hash, row.as_sent())


# -- the ingest contract ---------------------------------------------------------------------


def test_procedure_and_officer_are_stored_and_hashed(app, kiosk):
    plain, coded, nulls = (
        kiosk.next(),
        kiosk.next(procedure=PROC_A, officer="CB-07"),
        kiosk.next(procedure=None, officer=None),
    )
    assert kiosk.statuses([plain, coded, nulls]) == ["accepted"] * 3
    for sent, want in ((plain, (None, None)), (coded, (PROC_A, "CB-07")), (nulls, (None, None))):
        row = stored(app, sent["id"])
        assert (row.procedure, row.officer) == want
        # The stored row reproduces the hash sent, with or without the codes.
        assert response_hash(row.sent, row.prev_hash) == row.hash == sent["hash"]
    assert "procedure" not in stored(app, plain["id"]).sent
    assert stored(app, coded["id"]).sent["officer"] == "CB-07"


def test_a_response_without_the_codes_hashes_exactly_as_before(kiosk):
    """Kiosks deployed before the fields existed keep working: same canonical form."""
    response = make_response(1, GENESIS)
    body = {k: response.get(k) for k in response if k not in ("hash", "prev_hash")}
    body["prev_hash"] = GENESIS
    old = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(old.encode()).hexdigest() == response["hash"]
    assert kiosk.statuses([response]) == ["accepted"]


def test_the_codes_are_covered_by_the_hash(app, kiosk, count):
    response = kiosk.next()
    response["officer"] = "CB-07"  # added after hashing
    [result] = kiosk.post([response]).get_json()["results"]
    assert result["error"]["code"] == "bad-hash"
    altered = rehash(kiosk.made[-1] | {"procedure": PROC_A})
    altered["procedure"] = PROC_B  # changed in transit
    [result] = kiosk.post([altered]).get_json()["results"]
    assert result["error"]["code"] == "bad-hash"
    assert count(Response) == 0


@pytest.mark.parametrize("field", ["procedure", "officer"])
@pytest.mark.parametrize(
    "value", ["", "x" * 65, "Nguyễn Văn A", "CB 07", "<b>", 7, ["CB-07"], "a\x00b"]
)
def test_bad_codes_are_refused_and_nothing_is_stored(app, kiosk, field, value, count):
    response = kiosk.next(**{field: value})
    [result] = kiosk.post([response]).get_json()["results"]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "invalid-value"
    assert field in result["error"]["message"]
    assert count(Response) == 0


def test_the_openapi_document_describes_the_codes(client, kiosk):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["Response"]
    jsonschema.validate(kiosk.next(procedure=PROC_A, officer="CB-07"), schema)
    jsonschema.validate(kiosk.next(procedure=None), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(kiosk.next(officer="Nguyễn Văn A"), schema)
    for field in ("procedure", "officer"):
        assert field in schema["properties"] and field not in schema["required"]
        assert re.fullmatch(schema["properties"][field]["pattern"], "CB-07.a_1")
        assert not re.fullmatch(schema["properties"][field]["pattern"], "CB 07")
    assert "`procedure`, `officer`" in doc["info"]["description"]
    assert "left out" in doc["info"]["description"]


# -- the weekly report -----------------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return round(100 * (centre - margin), 2), round(100 * (centre + margin), 2)


#: CB-01: 12 responses for PROC_A (9 of all 5s, one of them "no opinion" on E0; 3 of all 2s):
#: 71 answers, 53 satisfied. CB-02: 4 responses of all 4s for PROC_B, too few to be listed.
#: Three more responses carry neither code.
EXPECTED = {
    ("procedure", PROC_A): (12, 71, 53),
    ("procedure", PROC_B): (4, 24, 24),
    ("officer", "CB-01"): (12, 71, 53),
}
#: The same responses as (satisfied answers, valid answers) each: the interval is the response-
#: clustered one (methodology section 7), worked out response by response by the reference.
PEOPLE = {
    ("procedure", PROC_A): [(6, 6)] * 8 + [(5, 5)] + [(0, 6)] * 3,
    ("procedure", PROC_B): [(6, 6)] * 4,
    ("officer", "CB-01"): [(6, 6)] * 8 + [(5, 5)] + [(0, 6)] * 3,
}


def clustered(key) -> tuple[float, float]:
    _, (low, high) = reference.ratio_interval(PEOPLE[key])
    return round(low, 2), round(high, 2)


@pytest.fixture
def coded_week(app, kiosk, make):
    at = iter(f"2026-03-03T{8 + n // 60:02d}:{n % 60:02d}:00+07:00" for n in range(100))
    for n in range(12):
        answers = dict.fromkeys(ALL, 5 if n < 9 else 2)
        if n == 0:
            answers["E0"] = 0
        post_answers(kiosk, answers, next(at), unit="O01", procedure=PROC_A, officer="CB-01")
    for _ in range(4):
        post_answers(
            kiosk, dict.fromkeys(ALL, 4), next(at), unit="O01", procedure=PROC_B, officer="CB-02"
        )
    for _ in range(3):
        post_answers(kiosk, dict.fromkeys(ALL, 1), next(at), unit="O01")
    make.user("manager@example.org", "manager", "C01")
    make.user("viewer@example.org", "viewer", "C01")
    make.user("admin@example.org", "admin", None)


def vi_number(text: str) -> float:
    return float(text.strip().replace("%", "").replace(".", "").replace(",", "."))


def logged_in(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def page_figures(app, email):
    client = logged_in(app, email)
    reply = client.get("/reports/weekly", query_string={"week": WEEK, "unit": "C01"})
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    with app.test_request_context("/"):
        figures = figures_from_page(html)
    return html, figures


def export(app, email, suffix):
    reply = logged_in(app, email).get(
        f"/reports/weekly.{suffix}", query_string={"week": WEEK, "unit": "C01"}
    )
    assert reply.status_code == 200
    return reply.data


def sections_from_csv(data: bytes) -> dict[str, list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sections, name = {}, None
    for row in rows:
        if not row:
            name = None
        elif name is None:
            name = row[0]
            sections[name] = []
        else:
            sections[name].append(row)
    return sections


def api_report(client, app, email):
    token = make_token(app, email)
    reply = client.get(
        "/api/v1/reports/weekly",
        query_string={"week": WEEK, "unit": "C01"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


@pytest.mark.parametrize("email", ["manager@example.org", "admin@example.org"])
def test_managers_see_procedures_and_officers_alike_in_every_format(app, client, coded_week, email):
    want = {key: (n, round(100 * k / a, 2), clustered(key)) for key, (n, a, k) in EXPECTED.items()}
    # Eight answers of each response move together: wider than a Wilson interval over answers.
    low, high = want[("officer", "CB-01")][2]
    naive = wilson(53, 71)
    assert high - low > naive[1] - naive[0]

    report = api_report(client, app, email)
    doc = client.get("/api/v1/openapi.json").get_json()
    jsonschema.validate(
        report, {"$ref": "#/components/schemas/Report", "components": doc["components"]}
    )
    got = {("procedure", p["group"][0]): p for p in report["procedures"]}
    got |= {("officer", o["group"][1]): o for o in report["officers"]}
    assert set(got) == set(want)  # CB-02 is not listed, nor the responses without codes
    for key, (n, share, ci) in want.items():
        assert (got[key]["responses"], got[key]["share"]) == (n, share), key
        assert tuple(got[key]["ci95"]) == ci, key
    assert report["officers"][0]["group"][0] == "O01"
    assert report["officers_hidden"] == 1 and report["officers_min"] == 10

    html, figures = page_figures(app, email)
    assert "Theo thủ tục" in html and "Theo cán bộ" in html
    assert "CB-02" not in html and "1 cán bộ có ít phiếu hơn" in html
    for (what, code), (n, share, ci) in want.items():
        key = f"{what}.admin.{code}" if what == "procedure" else f"officer.admin.O01.{code}"
        assert figures[f"{key}.responses"] == n
        assert figures[key] == share
        assert figures[f"{key}.ci95"] == ci

    sections = sections_from_csv(export(app, email, "csv"))
    book = load_workbook(io.BytesIO(export(app, email, "xlsx")))
    for sheet, what, code_col in (("Theo thủ tục", "procedure", 1), ("Theo cán bộ", "officer", 2)):
        csv_rows = sections[sheet][1:]
        xlsx_rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
        assert len(csv_rows) == len(xlsx_rows) == sum(1 for k in want if k[0] == what)
        for csv_row, xlsx_row in zip(csv_rows, xlsx_rows, strict=True):
            n, share, ci = want[(what, xlsx_row[code_col])]
            figures_xlsx = xlsx_row[code_col + 1 :]
            assert figures_xlsx[0] == n and figures_xlsx[2] == share
            assert tuple(figures_xlsx[3:5]) == ci
            numbers = len(figures_xlsx) - 1  # the last cell says where it stands, in words
            assert [float(v) for v in csv_row[code_col + 1 :][:numbers]] == [
                float(v) for v in figures_xlsx[:numbers]
            ]
            assert csv_row[-1] == figures_xlsx[-1]


def test_viewers_never_see_officers(app, client, coded_week):
    report = api_report(client, app, "viewer@example.org")
    assert report["officers"] is None and report["officers_hidden"] is None
    assert {p["group"][0] for p in report["procedures"]} == {PROC_A, PROC_B}
    html, figures = page_figures(app, "viewer@example.org")
    assert "Theo thủ tục" in html and "Theo cán bộ" not in html
    assert "CB-01" not in html and not any(k.startswith("officer.") for k in figures)
    assert figures[f"procedure.admin.{PROC_A}.responses"] == 12
    csv_data = export(app, "viewer@example.org", "csv").decode("utf-8-sig")
    assert "Theo thủ tục" in csv_data and "CB-01" not in csv_data and "Theo cán bộ" not in csv_data
    book = load_workbook(io.BytesIO(export(app, "viewer@example.org", "xlsx")))
    assert "Theo thủ tục" in book.sheetnames and "Theo cán bộ" not in book.sheetnames
    cells = [str(c) for s in book for row in s.iter_rows(values_only=True) for c in row]
    assert "CB-01" not in cells


def test_an_officer_is_listed_from_ten_responses_up(app, client, kiosk, make):
    for n in range(10):
        officer = "CB-10" if n < 10 else None
        post_answers(
            kiosk,
            dict.fromkeys(ALL, 4),
            f"2026-03-03T09:{n:02d}:00+07:00",
            unit="O01",
            officer=officer,
        )
    for n in range(9):
        post_answers(
            kiosk,
            dict.fromkeys(ALL, 4),
            f"2026-03-03T10:{n:02d}:00+07:00",
            unit="O01",
            officer="CB-09",
        )
    make.user("manager@example.org", "manager", "C01")
    report = api_report(client, app, "manager@example.org")
    assert [o["group"][1] for o in report["officers"]] == ["CB-10"]
    assert report["officers"][0]["responses"] == 10 and report["officers_hidden"] == 1
    assert report["procedures"] == []


def test_phone_responses_count_by_their_own_codes(app, client, coded_week):
    """A response from a phone channel (no kiosk chain) carries the codes in the same columns."""
    with app.app_context():
        session = get_session()
        unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == "O01"))
        at = "2026-03-03T15:00:00+07:00"
        response = Response(
            uuid=uuid7(),
            unit_id=unit_id,
            counter="",
            channel="receipt",
            questionnaire="admin",
            questionnaire_version="2026.1-short",
            started_at=utcnow().fromisoformat(at),
            submitted_at=utcnow().fromisoformat(at),
            started_at_sent=at,
            submitted_at_sent=at,
            received_at=utcnow(),
            complete=True,
            answers=dict.fromkeys(ALL, 1),
            reasons=[],
            flags=[],
            procedure=PROC_A,
            officer="CB-01",
        )
        session.add(response)
        session.flush()
        session.add_all(Answer(response_id=response.id, code=c, value=1) for c in ALL)
        session.commit()
    run_refresh_counts(app)  # written directly, not through collector.responses.store
    report = api_report(client, app, "manager@example.org")
    procedure = next(p for p in report["procedures"] if p["group"][0] == PROC_A)
    officer = report["officers"][0]
    for row in (procedure, officer):
        assert (row["responses"], row["answers"]) == (13, 77)
        assert row["share"] == round(100 * 53 / 77, 2)


def raw_csv(app, email) -> list[dict[str, str]]:
    data = logged_in(app, email).get(
        "/reports/raw.csv", query_string={"unit": "C01", "from": WEEK, "to": WEEK}
    )
    assert data.status_code == 200
    return list(csv.DictReader(io.StringIO(data.get_data().decode("utf-8-sig"))))


def test_raw_exports_carry_the_procedure_and_the_officer_only_for_managers(app, coded_week):
    rows = raw_csv(app, "manager@example.org")
    assert len(rows) == 19
    pairs = {(r["Mã thủ tục"], r["Mã cán bộ"]) for r in rows}
    assert pairs == {(PROC_A, "CB-01"), (PROC_B, "CB-02"), ("", "")}
    rows = raw_csv(app, "viewer@example.org")
    assert len(rows) == 19 and "Mã cán bộ" not in rows[0]
    assert {r["Mã thủ tục"] for r in rows} == {PROC_A, PROC_B, ""}
    assert not any("CB-0" in value for r in rows for value in r.values())
