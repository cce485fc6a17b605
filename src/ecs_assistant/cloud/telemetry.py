"""What the cloud layer reports about itself, without depending on any metrics library.

The API layer plugs in a Prometheus implementation; tests and the CLI use the silent default.
"""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def upstream_call(self, action: str, outcome: str, seconds: float) -> None:
        """One SDK call finished; outcome is "ok" or an error code such as "UpstreamThrottled"."""

    def cache_lookup(self, outcome: str) -> None:
        """One cache lookup: "hit", "negative", "stale" or "miss"."""

    def credential_refresh(self, outcome: str) -> None:
        """One credentials fetch: "ok" or "error"."""


class NullTelemetry:
    """Reports nothing."""

    def upstream_call(self, action: str, outcome: str, seconds: float) -> None:
        return None

    def cache_lookup(self, outcome: str) -> None:
        return None

    def credential_refresh(self, outcome: str) -> None:
        return None
