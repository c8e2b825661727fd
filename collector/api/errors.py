"""The API's one error shape, {"error": {"code": ..., "message": ...}}, for every whole-request
failure; the codes are the catalogue in `collector.problems`."""

from __future__ import annotations

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from collector.problems import REQUEST_PROBLEMS, RequestProblem

#: HTTP statuses that Flask or Werkzeug raise themselves, mapped to catalogue codes.
_BY_STATUS = {
    400: "invalid-request",
    401: "missing-token",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    500: "internal-error",
    503: "unavailable",
}


def error_response(
    code: str, message: str | None = None, status: int | None = None
) -> tuple[Response, int]:
    """The JSON error reply for a catalogue code; message and status default to the catalogue's."""
    default_status, default_message = REQUEST_PROBLEMS[code]
    status = status or default_status
    response = jsonify({"error": {"code": code, "message": message or default_message}})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sipas-collector"'
    return response, status


def problem_response(problem: RequestProblem) -> tuple[Response, int]:
    return error_response(problem.code, problem.message)


def http_error_response(exc: HTTPException) -> tuple[Response, int]:
    """A Werkzeug HTTP error (404, 405, 413, ...) in the API's error shape, status kept."""
    status = exc.code or 500
    code = _BY_STATUS.get(status) or ("internal-error" if status >= 500 else "invalid-request")
    response, status = error_response(code, status=status)
    valid_methods = getattr(exc, "valid_methods", None)
    if valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response, status
