"""Fault rules injected through the control plane: errors, latency, retry-after, drops, HTML 5xx.

Rules are checked in the order they were added; the first one that matches the action (and wins its
probability roll, and has `count` left) applies. `action` "metadata" targets the metadata service.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from ecs_assistant.emulator.exceptions import KNOWN_CODES
from ecs_assistant.emulator.http_types import Response

FAULT_ACTIONS = ("DescribeInstances", "DescribeInstanceStatus", "DescribeRegions", "*", "metadata")


class FaultRuleError(ValueError):
    """A rule the control plane refuses; the message says which field and why."""


@dataclass
class FaultRule:
    id: str
    action: str
    probability: float = 1.0
    code: str | None = None
    status: int | None = None
    message: str | None = None
    latency_ms: int = 0
    retry_after_ms: int | None = None
    drop_connection: bool = False
    non_json: bool = False
    count: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def effective_status(self) -> int:
        if self.status is not None:
            return self.status
        if self.code is not None:
            return KNOWN_CODES.get(self.code, (500, ""))[0]
        return 503 if self.non_json else 200


_FIELDS: dict[str, type | tuple[type, ...]] = {
    "action": str,
    "probability": (int, float),
    "code": str,
    "status": int,
    "message": str,
    "latency_ms": int,
    "retry_after_ms": int,
    "drop_connection": bool,
    "non_json": bool,
    "count": int,
}


def parse_rule(rule_id: str, data: Any) -> FaultRule:
    if not isinstance(data, dict):
        raise FaultRuleError("a fault rule must be a JSON object")
    for key, value in data.items():
        if key not in _FIELDS:
            raise FaultRuleError(f"unknown field {key!r} (allowed: {', '.join(_FIELDS)})")
        expected = _FIELDS[key]
        if value is not None and (
            not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool)
        ):
            raise FaultRuleError(f"field {key!r} has the wrong type")
    action = data.get("action", "*")
    if action not in FAULT_ACTIONS:
        raise FaultRuleError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
    rule = FaultRule(
        id=rule_id, action=action, **{k: v for k, v in data.items() if k != "action" and v is not None}
    )
    if not 0.0 <= rule.probability <= 1.0:
        raise FaultRuleError("probability must be between 0 and 1")
    if rule.status is not None and not 200 <= rule.status <= 599:
        raise FaultRuleError("status must be an HTTP status between 200 and 599")
    if rule.latency_ms < 0 or (rule.retry_after_ms is not None and rule.retry_after_ms <= 0):
        raise FaultRuleError("latency_ms must be >= 0 and retry_after_ms > 0")
    if rule.count is not None and rule.count < 1:
        raise FaultRuleError("count must be at least 1")
    if not (rule.code or rule.status or rule.latency_ms or rule.drop_connection or rule.non_json):
        raise FaultRuleError(
            "a rule needs at least one of code, status, latency_ms, drop_connection, non_json"
        )
    if rule.code is None and rule.status is not None and rule.status >= 400 and not rule.non_json:
        rule.code = {429: "Throttling.Resource", 500: "InternalError", 503: "ServiceUnavailable"}.get(
            rule.status, "InternalError"
        )
    return rule


class FaultStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random()

    def add(self, data: Any) -> FaultRule:
        with self._lock:
            rule = parse_rule(f"fault-{next(self._ids)}", data)
            self._rules.append(rule)
            return rule

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def delete(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def match(self, action: str) -> FaultRule | None:
        """The rule to apply to this request, consuming one use of a counted rule."""
        if not self._rules:  # fast path: no lock when nothing is configured
            return None
        with self._lock:
            for rule in self._rules:
                if rule.action == action or (rule.action == "*" and action != "metadata"):
                    if rule.probability < 1.0 and self._random.random() >= rule.probability:
                        continue
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count <= 0:
                            self._rules.remove(rule)
                    return rule
        return None


HTML_5XX = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    b"<hr><center>Tengine</center></body></html>"
)


def transport_effect(rule: FaultRule) -> Response | None:
    """The part of a fault the OpenAPI and the metadata service share: the added latency, then a dropped
    connection or an HTML 5xx body. None means the request goes on, to the service's own error or answer."""
    if rule.latency_ms:
        time.sleep(rule.latency_ms / 1000)
    if rule.drop_connection:
        return Response(0, drop_connection=True)
    if rule.non_json:
        return Response(rule.effective_status, HTML_5XX, content_type="text/html")
    return None
