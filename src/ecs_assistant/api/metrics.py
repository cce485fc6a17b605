"""Prometheus metrics, correct under several uWSGI workers.

Metric objects are module-level so each process registers them once. When ``PROMETHEUS_MULTIPROC_DIR``
is set (the stack's uWSGI ini does it before the app is imported), prometheus-client stores values in
per-process files and ``/metrics`` aggregates every worker's files, whichever worker answers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "ecs_assistant_http_requests_total",
    "HTTP requests answered, by route and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "ecs_assistant_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
UPSTREAM_CALLS = Counter(
    "ecs_assistant_upstream_calls_total",
    "Alibaba Cloud API calls (each attempt), by outcome.",
    ["action", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "ecs_assistant_upstream_call_duration_seconds",
    "Duration of one Alibaba Cloud API attempt.",
    ["action"],
    buckets=LATENCY_BUCKETS,
)
CACHE_LOOKUPS = Counter(
    "ecs_assistant_cache_lookups_total",
    "Instance cache lookups by outcome (hit, negative, stale, miss).",
    ["outcome"],
)
CREDENTIAL_REFRESHES = Counter(
    "ecs_assistant_credential_refreshes_total",
    "Credential fetches from the metadata service or provider.",
    ["outcome"],
)


class PrometheusTelemetry:
    """The cloud layer's Telemetry, recorded as Prometheus metrics."""

    def upstream_call(self, action: str, outcome: str, seconds: float) -> None:
        UPSTREAM_CALLS.labels(action, outcome).inc()
        UPSTREAM_LATENCY.labels(action).observe(seconds)

    def cache_lookup(self, outcome: str) -> None:
        CACHE_LOOKUPS.labels(outcome).inc()

    def credential_refresh(self, outcome: str) -> None:
        CREDENTIAL_REFRESHES.labels(outcome).inc()


#: Methods counted by name; any other is "other", so a client inventing methods cannot add series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method if method in KNOWN_METHODS else "other", route, str(status)).inc()
    HTTP_LATENCY.labels(route).observe(seconds)


def render() -> tuple[bytes, str]:
    """The exposition text: all workers' values in multiprocess mode, this process's otherwise."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
