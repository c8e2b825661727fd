"""A kiosk of any vendor reads the questionnaire definitions with its own token."""

from __future__ import annotations

from collector.db import get_session
from collector.fleet.kiosks import revoke_kiosk
from shared import questionnaires


def test_a_kiosk_token_reads_the_questionnaires(app, client, kiosk):
    reply = client.get("/api/v1/questionnaires", headers=kiosk.headers)
    assert reply.status_code == 200
    body = reply.get_json()
    found = {(q["kind"], q["version"]) for q in body["questionnaires"]}
    assert found == set(questionnaires.registry())
    health = next(q for q in body["questionnaires"] if q["kind"] == "health")
    assert "procedure" not in health["reasons"] and "other" in health["reasons"]
    # Reading the definitions gives a kiosk token no access to the reports.
    assert client.get("/api/v1/reports/weekly", headers=kiosk.headers).status_code == 401


def test_a_revoked_or_unknown_kiosk_token_is_refused(app, client, units, register):
    kiosk = register("C01")
    with app.app_context():
        session = get_session()
        revoke_kiosk(session, kiosk.id)
        session.commit()
    for headers in (kiosk.headers, {"Authorization": "Bearer not-a-token"}, {}):
        reply = client.get("/api/v1/questionnaires", headers=headers)
        assert reply.status_code == 401


def test_the_openapi_document_says_a_kiosk_token_may_read_them(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    security = doc["paths"]["/api/v1/questionnaires"]["get"]["security"]
    assert {"kioskToken": []} in security and {"personalToken": []} in security
