"""The ingest API's endpoints."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify, request

from collector.api.auth import KIOSK, token_required
from collector.api.errors import error_response, problem_response
from collector.api.openapi import document
from collector.db import get_session
from collector.fleet.heartbeats import record_heartbeat
from collector.ingest import check_batch, store_batch
from collector.problems import RequestProblem
from collector.responses.validate import time_window
from shared.db import utcnow

bp = Blueprint("api", __name__)

#: Endpoints that need no kiosk token.
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


bp.before_request(token_required(KIOSK, public=PUBLIC_ENDPOINTS))


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(RequestProblem)
def request_problem(problem: RequestProblem):
    return problem_response(problem)


@bp.errorhandler(sa.exc.OperationalError)
def database_unavailable(exc: sa.exc.OperationalError):
    """A locked or unreachable database: nothing was stored, the kiosk should retry later."""
    current_app.logger.warning("database unavailable: %s", exc.orig)
    response, status = error_response("unavailable")
    response.headers["Retry-After"] = "5"
    return response, status


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key in a JSON object")
    return obj


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def json_body() -> Any:
    """The request's JSON; duplicate keys, NaN and Infinity count as malformed."""
    if not request.is_json:
        raise RequestProblem("unsupported-media-type")
    try:
        return json.loads(
            request.get_data(), object_pairs_hook=_unique_keys, parse_constant=_no_constant
        )
    except (ValueError, RecursionError):
        raise RequestProblem("malformed-json") from None


@bp.post("/responses")
def post_responses():
    """Store a batch of responses from the calling kiosk; one result per response, in order."""
    checked = check_batch(json_body(), current_app.config["API_MAX_RESPONSES"])
    session = get_session()
    received_at = utcnow()
    window = time_window(current_app.config, received_at, g.kiosk.registered_at)
    results = store_batch(
        session,
        g.kiosk,
        checked,
        received_at,
        window,
        max_per_minute=int(current_app.config["KIOSK_MAX_PER_MINUTE"]),
    )
    session.commit()
    return jsonify({"results": [result.as_json() for result in results]})


@bp.post("/heartbeat")
def post_heartbeat():
    """Keep the calling kiosk's heartbeat; reply with the collector's clock and the offset."""
    payload = json_body()
    session = get_session()
    result = record_heartbeat(session, g.kiosk, payload, utcnow())
    session.commit()
    return jsonify(
        {
            "received_at": result.received_at.isoformat().replace("+00:00", "Z"),
            "clock_offset_s": result.clock_offset_s,
        }
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document(current_app))
