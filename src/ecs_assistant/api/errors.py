"""The one error envelope: ``{"error": {"code", "message", "requestId"}}`` with a truthful status.

Every failure path ends here: the cloud layer's ServiceError, APIFlask validation errors, werkzeug's
404/405, and anything unexpected (logged, answered 500 without internals).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from apiflask.exceptions import HTTPError
from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ecs_assistant.cloud.errors import DEFAULT_RETRY_AFTER, InvalidRequest, ServiceError

log = logging.getLogger("ecs_assistant.api")

#: Codes for plain HTTP errors that do not come from the service's own errors.
STATUS_CODES = {
    400: "InvalidParameter",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    413: "RequestTooLarge",
    414: "RequestTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    431: "RequestTooLarge",
}
RETRY_AFTER_CODES = {"UpstreamThrottled", "UpstreamUnavailable", "CredentialsUnavailable", "UpstreamTimeout"}


class ApiError(InvalidRequest):
    """Bad input detected by the API layer (400 unless told otherwise)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message)
        self.status = status


def error_response(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(
        {"error": {"code": code, "message": message, "requestId": getattr(g, "request_id", "")}}
    )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _service_error(error: ServiceError) -> Response:
    headers: dict[str, str] = {}
    if error.code in RETRY_AFTER_CODES or error.status in (429, 503):
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after or DEFAULT_RETRY_AFTER)))
    if error.code == "Unauthorized":
        headers["WWW-Authenticate"] = 'Bearer realm="ecs-assistant"'
    return error_response(error.code, error.message, error.status, headers)


def _validation_message(detail: Any) -> tuple[str, str]:
    """Turn APIFlask/webargs validation detail into (code, message)."""
    problems: list[str] = []
    missing = False
    if isinstance(detail, dict):
        for fields in detail.values():
            if isinstance(fields, dict):
                for name, messages in fields.items():
                    text = (
                        "; ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
                    )
                    missing = missing or "Missing data" in text
                    problems.append(f"{name}: {text}")
    code = "MissingParameter" if missing else "InvalidParameter"
    return code, ("Invalid request: " + ", ".join(problems)) if problems else "Invalid request."


def _http_error(error: HTTPError) -> Response:
    status = error.status_code
    if status in (400, 422):
        code, message = _validation_message(error.detail)
        return error_response(code, message, 400)
    code = str(error.extra_data.get("code") or STATUS_CODES.get(status, "Error"))
    headers = {str(name): str(value) for name, value in dict(error.headers or {}).items()}
    return error_response(code, error.message or "Error.", status, headers)


def _werkzeug_error(error: HTTPException) -> Response:
    status = error.code or 500
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 404:
        message = "No such route."
    elif status == 405:
        message = "Method not allowed for this route."
    else:
        message = error.description or error.name
    return error_response(
        STATUS_CODES.get(status, "InternalError" if status >= 500 else "Error"), message, status, headers
    )


def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error", extra={"request_id": getattr(g, "request_id", "")})
    return error_response("InternalError", "The service hit an unexpected error.", 500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPError, _http_error)
    app.register_error_handler(HTTPException, _werkzeug_error)
    app.register_error_handler(Exception, _unexpected)
