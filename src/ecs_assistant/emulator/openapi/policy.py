"""RAM policy evaluation (reference §7): explicit Deny wins, then any Allow, else implicit deny.

`Condition` blocks are not evaluated (the default world uses none); a statement with a Condition is
treated as not matching, which errs towards denying.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any


class Decision(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _action_matches(patterns: list[str], action: str) -> bool:
    # RAM action names are case-insensitive.
    action = action.lower()
    return any(fnmatchcase(action, p.lower()) for p in patterns)


def _statement_matches(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Condition" in statement:
        return False
    if "Action" in statement:
        if not _action_matches(_as_list(statement["Action"]), action):
            return False
    elif _action_matches(_as_list(statement.get("NotAction")), action):
        return False
    resources = _as_list(statement.get("Resource", "*"))
    return any(fnmatchcase(resource, r) for r in resources)


def evaluate(policies: Iterable[dict[str, Any]], action: str, resource: str) -> Decision:
    allowed = False
    for policy in policies:
        for statement in _as_list_of_dicts(policy.get("Statement")):
            if not _statement_matches(statement, action, resource):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _as_list_of_dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    return [v for v in value or [] if isinstance(v, dict)]


ALLOW_ALL: dict[str, Any] = {
    "Version": "1",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
