"""Schemathesis against the OpenAPI document (issue 7): generated requests, valid and not, to the
ingest, receipt and report APIs through the real app, on each database, each with the token its
API takes; no reply may be a server error.

Bounded (a few dozen examples per operation, no shrinking) so that it runs in `make test` in about
a minute; `SIPAS_SCHEMATHESIS_EXAMPLES` raises the bound for a longer run."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from collector.api.openapi import document
from tests.collector.receipts_helpers import integration
from tests.collector.reports_helpers import make_token, make_user

EXAMPLES = int(os.environ.get("SIPAS_SCHEMATHESIS_EXAMPLES", "25"))


def test_no_generated_request_makes_a_server_error(app, kiosk):
    make_user(app, "manager@example.org", "manager", "C01")
    tokens = {
        "kiosk": kiosk.token,
        "person": make_token(app, "manager@example.org"),
        # The receipt and dossier-event APIs' bodies are reached only with an integration token.
        "integration": integration(app, "P01"),
    }
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {
        "/api/v1/responses",
        "/api/v1/reports/weekly",
        "/api/v1/receipts",
        "/api/v1/dossier-events",
    }
    for operation in operations:
        if operation.path.startswith("/api/v1/reports"):
            who = "person"
        elif operation.path.startswith(("/api/v1/receipts", "/api/v1/dossier-events")):
            who = "integration"
        else:
            who = "kiosk"
        _fuzz(operation, tokens[who])


def _fuzz(operation, token: str) -> None:
    """Generated requests to one operation; any 5xx fails the test (with the request shown)."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
        )

    call()


def test_the_document_covers_ingest_and_reports(app):
    paths = document(app)["paths"]
    assert {"/api/v1/responses", "/api/v1/heartbeat", "/api/v1/reports/weekly"} <= set(paths)
