"""Reading typed OpenAPI parameters the way the service validates them, raising its error codes."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping

from ecs_assistant.emulator.exceptions import InvalidParameter, InvalidTagCount, InvalidTagMismatch

_REPEAT_RE_CACHE: dict[str, re.Pattern[str]] = {}


def get_int(params: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name) from None
    if value < low or (high is not None and value > high):
        raise InvalidParameter(name)
    return value


def get_bool(params: Mapping[str, str], name: str) -> bool:
    """`true`/`false` in any case (the new SDK sends `True`/`False`)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return False
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise InvalidParameter(name)
    return lowered == "true"


def repeat_list(params: Mapping[str, str], prefix: str) -> list[str]:
    """`Prefix.1`, `Prefix.2`, ... in numeric order (a repeatList)."""
    pattern = _REPEAT_RE_CACHE.get(prefix)
    if pattern is None:
        pattern = _REPEAT_RE_CACHE[prefix] = re.compile(rf"^{re.escape(prefix)}\.(\d+)$")
    found: list[tuple[int, str]] = []
    for key, value in params.items():
        match = pattern.match(key)
        if match:
            found.append((int(match.group(1)), value))
    return [v for _, v in sorted(found)]


def tags(params: Mapping[str, str], limit: int = 20) -> list[tuple[str, str | None]]:
    """`Tag.N.Key` / `Tag.N.Value` pairs; a value without a key is `InvalidTag.Mismatch`."""
    numbers: set[int] = set()
    for key in params:
        if key.startswith("Tag."):
            parts = key.split(".")
            if len(parts) == 3 and parts[1].isdigit() and parts[2] in ("Key", "Value"):
                numbers.add(int(parts[1]))
    if len(numbers) > limit:
        raise InvalidTagCount()
    out: list[tuple[str, str | None]] = []
    for n in sorted(numbers):
        tag_key = params.get(f"Tag.{n}.Key")
        if not tag_key:
            raise InvalidTagMismatch()
        out.append((tag_key, params.get(f"Tag.{n}.Value")))
    return out


def json_string_array(
    params: Mapping[str, str], name: str, *, lenient_quotes: bool, limit: int
) -> list[str] | None:
    """A parameter holding a JSON array of strings, e.g. `InstanceIds=["i-a","i-b"]`; None when absent.

    With `lenient_quotes`, a Python repr (`['i-a', 'i-b']`, what the legacy SDK sends for a list) is
    accepted too, as an aliyun-cli maintainer reports the service does (UNVERIFIED, so switchable).
    """
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
        if lenient_quotes and raw.strip().startswith("["):
            try:
                value = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(name)
    if len(value) > limit:
        raise InvalidParameter(name)
    return value
