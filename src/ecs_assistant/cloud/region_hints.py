"""Guess an instance's region from its ID, so a lookup without a region usually costs one call.

Alibaba Cloud instance IDs observed in the wild start with a per-region prefix (``i-bp1…`` in
cn-hangzhou, ``i-2ze…`` in cn-beijing, ...). That is a pattern, not a documented rule, so the table
comes from the ``ECS_ASSISTANT_REGION_HINTS`` setting and a hint is only ever the *first* region
tried: the directory falls back to the other configured regions when the instance is not there.
"""

from __future__ import annotations

from collections.abc import Iterable

from ecs_assistant.settings import parse_region_hints


class RegionHints:
    """Longest-prefix match of the characters after ``i-`` against a prefix -> region table."""

    def __init__(self, items: Iterable[str], configured: Iterable[str]) -> None:
        table, problems = parse_region_hints(tuple(items))
        if problems:
            raise ValueError("; ".join(problems))  # Settings already validated; this guards direct use
        served = set(configured)
        # Hints pointing at a region this node does not serve are useless: drop them up front.
        self._table = {prefix: region for prefix, region in table.items() if region in served}
        self._lengths = sorted({len(prefix) for prefix in self._table}, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._table)

    def region_for(self, instance_id: str) -> str | None:
        """The configured region the ID's prefix points at, or None when no hint applies."""
        body = instance_id[2:] if instance_id.startswith("i-") else instance_id
        for length in self._lengths:
            region = self._table.get(body[:length])
            if region is not None:
                return region
        return None


__all__ = ["RegionHints"]
