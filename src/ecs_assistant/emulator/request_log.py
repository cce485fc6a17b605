"""Counts and recent details of every request the emulator answered (benchmarks count upstream calls).

Secrets never enter the log: security tokens, metadata tokens and signatures are replaced before storing.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

RECENT_LIMIT = 200
REDACTED = "<redacted>"
_SECRET_HEADERS = {"x-acs-security-token", "x-aliyun-ecs-metadata-token", "authorization", "cookie"}
_SECRET_QUERY = {"SecurityToken", "Signature", "AccessKeySecret"}


def redact_headers(headers: dict[str, list[str]]) -> dict[str, str]:
    out = {}
    for name, values in headers.items():
        value = ", ".join(values)
        if name == "authorization":
            # Keep the algorithm and the key id (not secret); drop the signature.
            value = (
                value.split(",Signature=")[0] + ",Signature=" + REDACTED
                if "Signature=" in value
                else REDACTED
            )
        elif name in _SECRET_HEADERS:
            value = REDACTED
        out[name] = value
    return out


def redact_query(query: list[tuple[str, str]]) -> dict[str, str]:
    return {k: (REDACTED if k in _SECRET_QUERY else v) for k, v in query}


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._total = 0
            self._by_action: Counter[str] = Counter()
            self._by_principal: Counter[str] = Counter()
            self._md_total = 0
            self._md_by_path: Counter[str] = Counter()
            self._md_credentials = 0
            self._md_tokens = 0
            self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_LIMIT)

    def record_openapi(
        self,
        method: str,
        target: str,
        action: str | None,
        principal: str | None,
        status: int,
        headers: dict[str, list[str]],
        query: list[tuple[str, str]],
    ) -> None:
        entry = {
            "service": "openapi",
            "method": method,
            "target": target.split("?", 1)[0],
            "action": action,
            "principal": principal,
            "status": status,
            "headers": redact_headers(headers),
            "query": redact_query(query),
        }
        with self._lock:
            self._total += 1
            self._by_action[action or "(none)"] += 1
            if principal:
                self._by_principal[principal] += 1
            self._recent.append(entry)

    def record_metadata(
        self, node: int, method: str, path: str, status: int, kind: str, headers: dict[str, list[str]]
    ) -> None:
        entry = {
            "service": "metadata",
            "node": node,
            "method": method,
            "target": path,
            "action": None,
            "principal": None,
            "status": status,
            "headers": redact_headers(headers),
            "query": {},
        }
        with self._lock:
            self._md_total += 1
            self._md_by_path[path] += 1
            if kind == "credentials":
                self._md_credentials += 1
            elif kind == "token":
                self._md_tokens += 1
            self._recent.append(entry)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "by_action": dict(self._by_action),
                "by_principal": dict(self._by_principal),
                "metadata": {
                    "total": self._md_total,
                    "by_path": dict(self._md_by_path),
                    "credentials": self._md_credentials,
                    "tokens": self._md_tokens,
                },
                "recent": list(self._recent),
            }
