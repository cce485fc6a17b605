"""JSON access logs, one line per request, with the request ID and never a secret.

Only method, path, a bounded query string, status, timing, cache state and the client address are
logged; headers (API keys, Authorization) are not.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

ACCESS_LOGGER = "ecs_assistant.api.access"
#: The loggers this service configures; other packages (emulator, stack) keep their own logging.
SERVICE_LOGGERS = ("ecs_assistant.api", "ecs_assistant.cloud")
_SECRET_PARAMS = ("apikey", "api_key", "key", "token", "signature", "securitytoken", "accesskeysecret")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; ``extra={"fields": {...}}`` is merged in."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["requestId"] = request_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def redact_query(query: str) -> str:
    """Bound the query string and blank any parameter that looks like a credential."""
    parts = []
    for part in query.split("&")[:50]:
        name = part.split("=", 1)[0]
        parts.append(f"{name}=<redacted>" if name.lower().replace("-", "") in _SECRET_PARAMS else part)
    text = "&".join(parts)
    return text[:512]


def configure_logging(level: str, access_log: bool) -> None:
    """Install the JSON handler once per process (idempotent, so several apps in tests do not duplicate)."""
    for name in (*SERVICE_LOGGERS, ACCESS_LOGGER):
        logger = logging.getLogger(name)
        if not any(getattr(handler, "_ecs_assistant", False) for handler in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            handler._ecs_assistant = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.propagate = False
    for name in SERVICE_LOGGERS:
        logging.getLogger(name).setLevel(level)
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO if access_log else logging.CRITICAL + 1)
