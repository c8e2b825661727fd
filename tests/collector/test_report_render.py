"""The renderers over the typed report (JSON, CSV, XLSX, labels) and the report API, on the
hand-built report of tests/report_samples.py (the service that builds a report from the
database is replaced: its own tests cover it)."""

from __future__ import annotations

import dataclasses
import io
import json

import jsonschema
import openpyxl
import pytest

from collector import periods
from collector.api.openapi import document
from collector.reports import model, service
from collector.reports.render import (
    method_label,
    period_label,
    report_csv,
    report_json,
    report_schema,
    report_xlsx,
    table_sections,
    verdict_label,
)
from tests.factories import sample_report, without_data


@pytest.fixture
def backend() -> str:
    """These reports are built by hand (or the service is replaced): the database is not under
    test, so SQLite alone serves."""
    return "sqlite"


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield


def _fields_everywhere(value, doc, path="report"):
    """Every dataclass field of `value` is a key of `doc`, recursively (a summary also has its
    verdict in words, `verdict_text`)."""
    if dataclasses.is_dataclass(value):
        names = {f.name for f in dataclasses.fields(value)}
        extra = {"verdict_text"} if isinstance(value, model.Summary) else set()
        assert set(doc) == names | extra, path
        if extra:
            assert doc["verdict_text"], path
        for name in names:
            _fields_everywhere(getattr(value, name), doc[name], f"{path}.{name}")
    elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
        assert len(doc) == len(value), path
        for i, (v, d) in enumerate(zip(value, doc, strict=True)):
            _fields_everywhere(v, d, f"{path}[{i}]")


def _floats(doc):
    if isinstance(doc, float):
        yield doc
    elif isinstance(doc, dict):
        for v in doc.values():
            yield from _floats(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _floats(v)


def test_json_is_every_field_of_the_report_rounded(ctx):
    report = sample_report()
    doc = json.loads(json.dumps(report_json(report)))
    _fields_everywhere(report, doc)
    assert all(round(f, 2) == f for f in _floats(doc))
    admin = doc["kinds"][0]
    assert admin["summary"]["ci95"] == [65.12, 77.46]
    assert admin["criteria"][0]["mean"] == 3.67
    assert doc["period"] == {
        "key": "2026-Q3",
        "kind": "quarter",
        "start": "2026-07-01",
        "end": "2026-09-30",
        "previous": "2026-Q2",
        "next": "2026-Q4",
        "trend_grain": "week",
    }
    assert doc["comments"][0]["time"] == "2026-07-03T11:05:00"


def test_json_of_a_viewer_has_no_officers(ctx):
    doc = report_json(sample_report(officers=False))
    assert doc["officers"] is None and doc["officers_hidden"] is None


def test_json_matches_its_schema(ctx):
    schema = report_schema(ref_template="#/$defs/{model}")
    for report in (sample_report(), sample_report(officers=False), without_data(sample_report())):
        jsonschema.validate(report_json(report), schema)
    broken = report_json(sample_report())
    broken["kinds"][0]["summary"]["n"] = "many"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_openapi_document_defines_the_report_fully(app, ctx):
    doc = document(app)
    schemas = doc["components"]["schemas"]
    assert {"Report", "ReportKindReport", "ReportCriterion", "ReportFactor"} <= set(schemas)
    factor = schemas["ReportKindReport"]["properties"]["factors"]
    assert factor["items"] == {"$ref": "#/components/schemas/ReportFactor"}
    assert "answers" in schemas["ReportSummary"]["properties"]
    for path in ("/api/v1/reports", "/api/v1/reports/weekly"):
        ok = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": "#/components/schemas/Report"}
    # The served document validates what the API sends.
    jsonschema.validate(
        report_json(sample_report()),
        {"$ref": "#/components/schemas/Report", "components": {"schemas": schemas}},
    )


def test_labels_of_the_five_verdicts_in_vietnamese(ctx):
    assert [verdict_label(v) for v in model.VERDICTS] == [
        "đạt chỉ tiêu",
        "không đạt chỉ tiêu",
        "chưa kết luận được",
        "chưa đủ phiếu",
        "chưa có dữ liệu",
    ]
    assert method_label("sipas", True) != method_label("sipas", False)


def test_sections_cover_the_report_and_hide_officers(ctx):
    manager = {name: rows for name, _, rows in table_sections(sample_report())}
    viewer = {name: rows for name, _, rows in table_sections(sample_report(officers=False))}
    assert set(manager) - set(viewer) == {"Theo cán bộ"}
    assert all(manager.values()), [name for name, rows in manager.items() if not rows]
    summary = manager["Tóm tắt"]
    assert [row[2] for row in summary] == ["2026-Q3", "2026-Q3"]
    assert summary[0][3] == period_label(sample_report().period)
    assert "3/2026" in summary[0][3]
    assert summary[0][8] == "chưa kết luận được"


def test_csv_has_a_bom_and_neutralised_text(ctx):
    text = report_csv(sample_report()).decode("utf-8")
    assert text.startswith("\ufeff")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert "65.12" in text  # figures with two decimals, as published


def test_xlsx_sheets_and_cells(ctx):
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(sample_report())))
    names = book.sheetnames
    assert len(names) == len(set(names)) == len(table_sections(sample_report()))
    assert all(len(n) <= 31 for n in names)
    comments = [row[3] for row in book["Ý kiến"].iter_rows(min_row=2, values_only=True)]
    assert comments == ['\'=HYPERLINK("x")', "Rất tốt"]  # the bell character is dropped
    summary = list(book["Tóm tắt"].iter_rows(values_only=True))
    assert summary[1][4] == 71.4 and isinstance(summary[1][9], int)
    assert (
        "Theo cán bộ"
        not in openpyxl.load_workbook(
            io.BytesIO(report_xlsx(sample_report(officers=False)))
        ).sheetnames
    )


def test_a_kind_without_data(ctx):
    rows = {name: rows for name, _, rows in table_sections(without_data(sample_report()))}
    first = rows["Tóm tắt"][0]
    assert first[4:7] == [None, None, None] and first[8] == "chưa có dữ liệu"


# -- the API -------------------------------------------------------------------------------------


@pytest.fixture
def api(app, units, monkeypatch, make):
    """The API with the service replaced: it records what it was asked and returns the sample."""
    calls = []

    def build_report_for(session, config, *, user, unit_code, period, include_unofficial, via):
        calls.append({"unit": unit_code, "period": period, "via": via})
        if unit_code == "NOPE":
            raise service.ReportNotFound(unit_code)
        return sample_report(officers=user.role != "viewer")

    monkeypatch.setattr(service, "build_report_for", build_report_for, raising=False)
    make.user("m@example.org", "manager", "P01")
    token = make.token("m@example.org")
    client = app.test_client()

    def get(url):
        return client.get(url, headers={"Authorization": f"Bearer {token}"})

    return get, calls


def test_api_report_for_a_quarter(api, app):
    get, calls = api
    reply = get("/api/v1/reports?period=2026-Q3&unit=P01")
    assert reply.status_code == 200
    with app.test_request_context("/"):
        assert reply.get_json() == json.loads(json.dumps(report_json(sample_report())))
    assert calls[-1]["period"].key == "2026-Q3" and calls[-1]["via"] == "api"


def test_api_week_alias(api):
    get, calls = api
    assert get("/api/v1/reports/weekly?week=2026-W10").status_code == 200
    assert calls[-1]["period"].key == "2026-W10"
    assert get("/api/v1/reports?week=2026-11").status_code == 200
    assert calls[-1]["period"].key == "2026-11"
    assert get("/api/v1/reports").status_code == 200
    assert calls[-1]["period"].kind == "week"  # the last complete week


@pytest.mark.parametrize(
    ("period", "status"),
    [
        ("2026-W99", 400),
        ("0001-W01", 400),
        ("2026-10-01..2026-09-01", 400),
        ("banana", 400),
        ("9999-W52", 400),
        ("3000", 400),
    ],
)
def test_api_bad_periods(api, period, status):
    get, calls = api
    reply = get(f"/api/v1/reports?period={period}")
    assert reply.status_code == status, reply.get_json()
    assert reply.get_json()["error"]["code"] == "invalid-request"
    assert calls == []


def test_api_future_period_and_unknown_unit_are_not_found(api):
    get, calls = api
    this_year = periods.Period.parse("this").start.year
    reply = get(f"/api/v1/reports?period={this_year + 1}")
    assert reply.status_code == 404 and calls == []
    reply = get("/api/v1/reports?period=2026-Q3&unit=NOPE")
    assert reply.status_code == 404
    assert reply.get_json()["error"]["code"] == "not-found"


def _verdict_summary(index, ci, n, verdict, more=None):
    return model.Summary(
        index=index,
        ci95=ci,
        n=n,
        responses=n,
        answers=5 * n,
        parts=1,
        pooled=index,
        verdict=verdict,
        target=90.0,
        more_needed=more,
    )


VERDICT_SENTENCES = [
    (
        _verdict_summary(92.43, (90.91, 93.84), 412, model.MEETS),
        "Đạt chỉ tiêu 90 %: 92,4 % (khoảng tin cậy 95 % 90,9-93,8 %, 412 phiếu).",
        "Meets the 90 % target: 92.4 % (95 % interval 90.9-93.8 %, 412 responses).",
    ),
    (
        _verdict_summary(84.04, (80.12, 87.46), 300, model.MISSES),
        "Chưa đạt chỉ tiêu 90 %: 84,0 % (khoảng tin cậy 95 % 80,1-87,5 %, 300 phiếu).",
        "Below the 90 % target: 84.0 % (95 % interval 80.1-87.5 %, 300 responses).",
    ),
    (
        _verdict_summary(91.2, (88.1, 94.0), 157, model.TOO_CLOSE, more=1180),
        "Cao hơn chỉ tiêu 90 % 1,2 điểm nhưng chưa đủ chắc chắn (khoảng tin cậy 95 % "
        "88,1-94,0 %, 157 phiếu): cần khoảng 1.180 phiếu nữa để kết luận.",
        "1.2 points above the 90 % target but not yet certain (95 % interval 88.1-94.0 %, 157 "
        "responses): about 1,180 more responses would settle it.",
    ),
    (
        _verdict_summary(88.7, (84.2, 92.1), 210, model.TOO_CLOSE, more=640),
        "Thấp hơn chỉ tiêu 90 % 1,3 điểm nhưng chưa đủ chắc chắn (khoảng tin cậy 95 % "
        "84,2-92,1 %, 210 phiếu): cần khoảng 640 phiếu nữa để kết luận.",
        "1.3 points below the 90 % target but not yet certain (95 % interval 84.2-92.1 %, 210 "
        "responses): about 640 more responses would settle it.",
    ),
    (
        _verdict_summary(90.0, (86.0, 93.0), 250, model.TOO_CLOSE),
        "Bằng chỉ tiêu 90 % (90,0 %, khoảng tin cậy 95 % 86,0-93,0 %): nếu tỷ lệ giữ nguyên thì "
        "thêm phiếu cũng chưa kết luận được.",
        "At the 90 % target (90.0 %, 95 % interval 86.0-93.0 %): more responses at this share "
        "would not settle it.",
    ),
    (
        _verdict_summary(91.67, (64.6, 98.5), 12, model.TOO_FEW),
        "Chưa đủ phiếu để kết luận: 12 phiếu, cần ít nhất 30 (91,7 %).",
        "Too few responses for a verdict: 12, at least 30 needed (91.7 %).",
    ),
    (
        _verdict_summary(None, None, 0, model.NO_DATA),
        "Chưa có phiếu nào có câu trả lời.",
        "No responses with an answer yet.",
    ),
]


@pytest.mark.parametrize(("summary", "vietnamese", "english"), VERDICT_SENTENCES)
def test_the_verdict_in_one_sentence_in_both_languages(app, summary, vietnamese, english):
    from collector.reports.labels import verdict_text

    with app.test_request_context("/"):
        assert verdict_text(summary, 30) == vietnamese
    with app.test_request_context("/?lang=en"):
        assert verdict_text(summary, 30) == english
