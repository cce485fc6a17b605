"""A closed-loop keep-alive HTTP load generator that records every request (for failover drills).

wrk reports counts and latencies but not *which* request failed, when, or which node answered it; a
drill needs all three, so this is a small purpose-built client on http.client: one thread per
connection, each sending the next request as soon as the previous answer arrived.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Sample:
    start: float  # seconds since the load started
    latency: float
    status: int | None
    error: str | None
    served_by: str | None
    microcache: str | None = None  # nginx's X-Microcache (HIT, MISS, ...) when the route is microcached

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass
class LoadReport:
    samples: list[Sample] = field(default_factory=list)
    duration: float = 0.0

    @property
    def total(self) -> int:
        return len(self.samples)

    @property
    def failed(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    def failure_kinds(self) -> Counter[str]:
        return Counter(s.error or f"HTTP {s.status}" for s in self.failed)

    def microcache_hits(self) -> int:
        """Answers nginx served from its microcache (they never reached uWSGI)."""
        return sum(1 for s in self.samples if s.microcache in ("HIT", "STALE", "UPDATING"))

    def served_by(self, start: float = 0.0, end: float = float("inf")) -> Counter[str]:
        """Which node answered the successful requests started in [start, end)."""
        return Counter(s.served_by or "?" for s in self.samples if s.ok and start <= s.start < end)

    def latency_percentile(self, fraction: float) -> float:
        latencies = sorted(s.latency for s in self.samples)
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))]

    def summary(self) -> str:
        kinds = ", ".join(f"{kind} x{n}" for kind, n in self.failure_kinds().most_common()) or "none"
        rate = self.total / max(self.duration, 1e-9)
        p99_ms = self.latency_percentile(0.99) * 1000
        return (
            f"{len(self.failed)} failed / {self.total} requests in {self.duration:.1f} s "
            f"({rate:.0f} req/s, p99 {p99_ms:.0f} ms); "
            f"failures: {kinds}; served by: {dict(self.served_by())}"
        )


class LoadGenerator:
    """`connections` threads, each a keep-alive connection sending GETs back to back until stopped."""

    def __init__(
        self,
        base_url: str,
        paths: Sequence[str] | Callable[[int], str],
        connections: int = 16,
        timeout: float = 30.0,
    ) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.paths = paths
        self.connections = connections
        self.timeout = timeout
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._samples: list[list[Sample]] = []
        self._t0 = 0.0

    def _path(self, n: int) -> str:
        if callable(self.paths):
            return self.paths(n)
        return self.paths[n % len(self.paths)]

    def start(self) -> None:
        self._t0 = time.monotonic()
        for i in range(self.connections):
            bucket: list[Sample] = []
            self._samples.append(bucket)
            thread = threading.Thread(target=self._run, args=(i, bucket), daemon=True, name=f"load-{i}")
            self._threads.append(thread)
            thread.start()

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def stop(self) -> LoadReport:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        samples = sorted((s for bucket in self._samples for s in bucket), key=lambda s: s.start)
        return LoadReport(samples=samples, duration=self.elapsed())

    def _run(self, index: int, bucket: list[Sample]) -> None:
        connection: http.client.HTTPConnection | None = None
        n = index
        while not self._stop.is_set():
            if connection is None:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            path = self._path(n)
            n += self.connections
            began = time.monotonic()
            try:
                connection.request("GET", path, headers={"Connection": "keep-alive"})
                response = connection.getresponse()
                response.read()
                served_by = response.getheader("X-Served-By")
                microcache = response.getheader("X-Microcache")
                latency = time.monotonic() - began
                bucket.append(Sample(began - self._t0, latency, response.status, None, served_by, microcache))
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                bucket.append(
                    Sample(began - self._t0, time.monotonic() - began, None, type(exc).__name__, None)
                )
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()
