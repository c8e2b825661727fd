"""The OpenAPI document: valid, complete, true to the server, and fuzzed for 5xx."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from collector.api.openapi import document, extend
from collector.problems import ITEM_PROBLEMS, REQUEST_PROBLEMS
from tests.collector.strategies import from_schema
from tests.factories import make_response, rehash

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def resolved(schema, doc=None):
    """The schema with every local $ref replaced by what it points to."""
    doc = doc or document()
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = doc
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolved(target, doc)
        return {key: resolved(value, doc) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolved(value, doc) for value in schema]
    return schema


def schema(name: str):
    return resolved({"$ref": f"#/components/schemas/{name}"})


def test_the_document_is_valid_openapi_3_1(client):
    reply = client.get("/api/v1/openapi.json")
    assert reply.status_code == 200
    doc = reply.get_json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/responses" in doc["paths"]
    validate(doc)


def test_blueprints_can_add_their_paths(app):
    extend(
        app,
        {"/api/v1/extra": {"get": {"responses": {"200": {"description": "ok"}}}}},
        {"schemas": {"Extra": {"type": "object"}}},
    )
    doc = document(app)
    assert "/api/v1/extra" in doc["paths"]
    assert "Extra" in doc["components"]["schemas"] and "Batch" in doc["components"]["schemas"]
    assert "/api/v1/extra" not in document()["paths"]
    validate(doc)


def _openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `<token>` or `<int:id>` becomes `{token}`, `{id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_is_described(app):
    paths = document(app)["paths"]
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")]
    assert len(routes) >= 3
    for rule in routes:
        path = _openapi_path(rule.rule)
        assert path in paths, rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {rule.rule}"
    described = {(path, method) for path, ops in paths.items() for method in ops}
    served = {
        (_openapi_path(rule.rule), method.lower())
        for rule in routes
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == served


def test_error_codes_in_the_document_are_the_catalogue():
    schemas = document()["components"]["schemas"]
    request_codes = schemas["RequestError"]["properties"]["error"]["properties"]["code"]["enum"]
    item_codes = schemas["ItemResult"]["properties"]["error"]["properties"]["code"]["enum"]
    assert set(request_codes) == set(REQUEST_PROBLEMS)
    assert set(item_codes) == set(ITEM_PROBLEMS)


def test_a_valid_response_matches_the_schema_and_an_unknown_field_does_not():
    response = make_response(1, "0" * 64)
    jsonschema.validate(response, schema("Response"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**response, "ip": "10.0.0.1"}, schema("Response"))


def test_replies_match_the_documented_schemas(kiosk, client):
    batch = kiosk.batch(2)
    batch[1]["answers"]["Q0"] = 7
    jsonschema.validate(kiosk.post(batch).get_json(), schema("BatchResult"))
    jsonschema.validate(kiosk.heartbeat().get_json(), schema("HeartbeatReply"))
    bad = client.post("/api/v1/responses", json={"responses": []})
    jsonschema.validate(bad.get_json(), schema("RequestError"))


def assert_no_server_error(reply):
    assert reply.status_code < 500, reply.get_data(as_text=True)[:500]
    body = reply.get_json()
    if reply.status_code == 200:
        return body
    jsonschema.validate(body, schema("RequestError"))
    return body


@given(data=st.data())
@FUZZ
def test_fuzz_batches_from_the_schema(kiosk, data):
    """Bodies the document allows: each gets a 200 with one result per response."""
    batch = data.draw(from_schema(schema("Batch")))
    if data.draw(st.booleans(), label="rehash"):  # get past the hash check to the later ones
        batch["responses"] = [rehash(r) for r in batch["responses"]]
    reply = kiosk.post(batch["responses"])
    body = assert_no_server_error(reply)
    assert reply.status_code == 200
    assert len(body["results"]) == len(batch["responses"])
    jsonschema.validate(body, schema("BatchResult"))


@given(data=st.data())
@FUZZ
def test_fuzz_heartbeats_from_the_schema(kiosk, data):
    body = data.draw(from_schema(schema("Heartbeat")))
    reply = kiosk.client.post("/api/v1/heartbeat", json=body, headers=kiosk.headers)
    assert_no_server_error(reply)


def json_values() -> st.SearchStrategy:
    """Any JSON value (no infinities: the test client would send them as `Infinity`, which is
    not JSON and gets the whole request refused)."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=20,
    )


def mutated_response(draw_value):
    """A valid response with one field replaced by arbitrary JSON (or dropped, or added)."""
    return st.tuples(
        st.sampled_from([*make_response(1, "0" * 64).keys(), "extra"]),
        draw_value,
        st.booleans(),
    )


@given(data=st.data())
@FUZZ
def test_fuzz_responses_with_one_field_gone_wrong(kiosk, data):
    field, value, drop = data.draw(mutated_response(json_values()))
    response = kiosk.next()
    if drop:
        response.pop(field, None)
    else:
        response[field] = value
    body = assert_no_server_error(kiosk.post([response, kiosk.next()]))
    assert body["results"][1]["status"] in {"accepted", "rejected"}


@given(body=json_values())
@FUZZ
def test_fuzz_arbitrary_json_bodies(kiosk, body):
    for url in ("/api/v1/responses", "/api/v1/heartbeat"):
        reply = kiosk.client.post(url, json=body, headers=kiosk.headers)
        assert_no_server_error(reply)


@given(raw=st.binary(max_size=300))
@FUZZ
def test_fuzz_arbitrary_bytes(kiosk, raw):
    reply = kiosk.client.post(
        "/api/v1/responses", data=raw, content_type="application/json", headers=kiosk.headers
    )
    body = assert_no_server_error(reply)
    if reply.status_code != 200:
        assert body["error"]["code"] in {"malformed-json", "invalid-request"}


HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
)


@given(token=HEADER_TEXT, scheme=st.sampled_from(["Bearer", "bearer", "Basic", ""]))
@FUZZ
def test_fuzz_authorization_headers(kiosk, token, scheme):
    reply = kiosk.client.post(
        "/api/v1/responses",
        data=json.dumps({"responses": []}),
        content_type="application/json",
        headers={"Authorization": f"{scheme} {token}"},
    )
    assert reply.status_code == 401
    assert_no_server_error(reply)
