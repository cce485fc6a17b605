"""The application factory: ``create_app(settings)`` wires settings, the directory and the HTTP layer.

Creating the app starts no thread and opens no connection (uWSGI imports it in the master and forks);
credentials and SDK clients are built on the first request in each worker. The SDK's modules are
imported here though (``preload_sdk``), so forked workers inherit them instead of importing on a request.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid

from apiflask import APIFlask
from flask import Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from ecs_assistant.api import metrics
from ecs_assistant.api.access_log import ACCESS_LOGGER, configure_logging, redact_query
from ecs_assistant.api.errors import ApiError, error_response, register_error_handlers
from ecs_assistant.api.routes import Directory, bp, ops
from ecs_assistant.api.schemas import ErrorOut
from ecs_assistant.cloud.ecs import InstanceDirectory
from ecs_assistant.cloud.preload import preload_sdk
from ecs_assistant.settings import Settings

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_PROTECTED_PREFIXES = ("/api/", "/ecs/")
_EXPOSED_HEADERS = "X-Request-Id, X-Cache, X-Served-By, Retry-After"
_ALLOWED_HEADERS = "X-API-Key, Authorization, X-Request-Id, Content-Type"

access_log = logging.getLogger(ACCESS_LOGGER)


def create_app(settings: Settings | None = None, *, directory: Directory | None = None) -> APIFlask:
    """Build the Flask app. ``directory`` lets tests inject a fake cloud layer."""
    settings = settings or Settings.from_env()
    preload_sdk()
    configure_logging(settings.log_level, settings.access_log)
    app = APIFlask(
        "ecs_assistant",
        title="ECS Assistant API",
        version="1",
        spec_path="/openapi.json",
        docs_path="/docs",
    )
    app.config.update(
        VALIDATION_ERROR_STATUS_CODE=400,
        HTTP_ERROR_SCHEMA=ErrorOut,
        VALIDATION_ERROR_SCHEMA=ErrorOut,
        AUTO_404_RESPONSE=False,
        JSON_SORT_KEYS=False,
        INFO={"description": "Look up Alibaba Cloud ECS instances. Every error is "
              '`{"error": {"code", "message", "requestId"}}`; see docs/api.md for the codes.'},
    )  # fmt: skip
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    app.extensions["ecs_assistant.settings"] = settings
    app.extensions["ecs_assistant.directory"] = directory or InstanceDirectory(
        settings, telemetry=metrics.PrometheusTelemetry()
    )
    register_error_handlers(app)
    app.register_blueprint(ops)
    app.register_blueprint(bp)
    _install_hooks(app, settings)
    return app


def _install_hooks(app: APIFlask, settings: Settings) -> None:
    served_by = settings.served_by
    api_keys = tuple(key.encode() for key in settings.api_keys)
    origins = set(settings.cors_origins)

    @app.before_request
    def start_request() -> Response | None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.cache_state = None
        if request.method == "OPTIONS":
            return None  # CORS preflight carries no credentials
        if api_keys and request.path.startswith(_PROTECTED_PREFIXES):
            sent = request.headers.get("X-API-Key", "")
            authorization = request.headers.get("Authorization", "")
            if not sent and authorization.lower().startswith("bearer "):
                sent = authorization[7:].strip()
            if not any(hmac.compare_digest(sent.encode(), key) for key in api_keys):
                raise ApiError("Unauthorized", "A valid API key is required (X-API-Key header).", status=401)
        return None

    @app.after_request
    def finish_request(response: Response) -> Response:
        response.headers["X-Request-Id"] = getattr(g, "request_id", "")
        response.headers["X-Served-By"] = served_by
        origin = request.headers.get("Origin")
        if origins and origin and (origin in origins or "*" in origins):
            response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
            response.headers["Access-Control-Expose-Headers"] = _EXPOSED_HEADERS
            response.vary.add("Origin")
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
        started = getattr(g, "started", None)
        elapsed = time.perf_counter() - started if started is not None else 0.0
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.observe_request(request.method, route, response.status_code, elapsed)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "request",
                extra={
                    "request_id": getattr(g, "request_id", ""),
                    "fields": {
                        "method": request.method,
                        "path": request.path[:256],
                        "query": redact_query(request.query_string.decode("latin-1")),
                        "status": response.status_code,
                        "durationMs": round(elapsed * 1000, 2),
                        "cache": getattr(g, "cache_state", None),
                        "remote": request.remote_addr,
                        "userAgent": (request.user_agent.string or "")[:200],
                        "node": served_by,
                    },
                },
            )
        return response


__all__ = ["create_app", "error_response"]
