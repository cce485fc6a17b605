"""Per-worker instance cache: TTL, negative entries, stale-if-error, a size bound, and singleflight.

A fresh entry answers without any network call. A not-found answer is remembered briefly so a typo
hammered in a loop costs one upstream call per ``negative_ttl``. Expired entries are kept (up to
``stale_ttl``) so that when Alibaba Cloud fails the last known value can still be served, marked stale.
The bound is LRU (cachetools) so memory stays flat whatever IDs clients send.

Singleflight is hand-written because no installed library offers it for threads: concurrent misses for
the same key wait for the one caller that is already loading it, so N identical requests cost one
DescribeInstances. It works per key, so batches overlap correctly with single lookups.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from cachetools import LRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

CacheState = Literal["hit", "negative", "expired", "miss"]


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V | None  # None: the key is known not to exist
    stored_at: float


@dataclass(frozen=True, slots=True)
class CacheLookup(Generic[V]):
    """The cache's answer for one key. ``value`` is set for "hit" and "expired" (usable when stale)."""

    state: CacheState
    value: V | None = None


class TTLCache(Generic[K, V]):
    """Thread-safe LRU-bounded cache with fresh, negative and stale windows."""

    def __init__(
        self,
        *,
        ttl: float,
        negative_ttl: float,
        stale_ttl: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.stale_ttl = stale_ttl
        self._clock = clock
        self._entries: LRUCache[K, _Entry[V]] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def lookup(self, key: K) -> CacheLookup[V]:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return CacheLookup("miss")
        age = now - entry.stored_at
        if entry.value is None:
            return CacheLookup("negative") if age < self.negative_ttl else CacheLookup("miss")
        if age < self.ttl:
            return CacheLookup("hit", entry.value)
        if age < self.ttl + self.stale_ttl:
            return CacheLookup("expired", entry.value)
        return CacheLookup("miss")

    def stale_value(self, key: K) -> V | None:
        """The last known value if it is still inside the stale window, for serving when upstream fails."""
        found = self.lookup(key)
        return found.value if found.state in ("hit", "expired") else None

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = _Entry(value, self._clock())

    def put_missing(self, key: K) -> None:
        """Remember that ``key`` does not exist; a known value is dropped (the instance was released)."""
        if self.negative_ttl <= 0:
            with self._lock:
                self._entries.pop(key, None)
            return
        with self._lock:
            self._entries[key] = _Entry(None, self._clock())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class SingleFlight(Generic[K, V]):
    """Deduplicates concurrent loads of the same keys.

    ``claim(keys)`` splits the keys into those the caller must load itself (it becomes their leader) and
    futures for keys another thread is already loading. The leader must call ``resolve`` or ``fail`` for
    every key it claimed, typically in a ``finally`` block.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: dict[K, Future[V | None]] = {}

    def claim(self, keys: Iterable[K]) -> tuple[list[K], dict[K, Future[V | None]]]:
        mine: list[K] = []
        theirs: dict[K, Future[V | None]] = {}
        with self._lock:
            for key in keys:
                if key in mine:
                    continue  # a repeated key in one claim must not wait on itself
                existing = self._inflight.get(key)
                if existing is not None:
                    theirs[key] = existing
                else:
                    self._inflight[key] = Future()
                    mine.append(key)
        return mine, theirs

    def resolve(self, key: K, value: V | None) -> None:
        with self._lock:
            future = self._inflight.pop(key, None)
        if future is not None and not future.done():
            future.set_result(value)

    def fail(self, key: K, error: BaseException) -> None:
        with self._lock:
            future = self._inflight.pop(key, None)
        if future is not None and not future.done():
            future.set_exception(error)

    def inflight(self) -> int:
        with self._lock:
            return len(self._inflight)


__all__ = ["CacheLookup", "CacheState", "SingleFlight", "TTLCache"]
