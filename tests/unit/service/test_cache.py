"""TTL, negative, stale windows, the LRU bound, and singleflight under real threads."""

from __future__ import annotations

import threading
import time

import pytest

from ecs_assistant.cloud.cache import SingleFlight, TTLCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: FakeClock, max_entries: int = 100) -> TTLCache[str, str]:
    return TTLCache(ttl=10, negative_ttl=3, stale_ttl=60, max_entries=max_entries, clock=clock)


def test_fresh_then_expired_then_gone() -> None:
    clock = FakeClock()
    cache = make(clock)
    assert cache.lookup("a").state == "miss"
    cache.put("a", "A")
    assert cache.lookup("a").state == "hit" and cache.lookup("a").value == "A"
    clock.now += 10.5
    expired = cache.lookup("a")
    assert expired.state == "expired" and expired.value == "A"
    assert cache.stale_value("a") == "A"
    clock.now += 60
    assert cache.lookup("a").state == "miss"
    assert cache.stale_value("a") is None


def test_negative_entries_expire_sooner() -> None:
    clock = FakeClock()
    cache = make(clock)
    cache.put_missing("x")
    assert cache.lookup("x").state == "negative"
    assert cache.stale_value("x") is None
    clock.now += 3.1
    assert cache.lookup("x").state == "miss"


def test_zero_negative_ttl_stores_nothing() -> None:
    cache: TTLCache[str, str] = TTLCache(ttl=10, negative_ttl=0, stale_ttl=0, max_entries=10)
    cache.put("x", "X")
    cache.put_missing("x")
    assert cache.lookup("x").state == "miss"


def test_size_is_bounded_lru() -> None:
    clock = FakeClock()
    cache = make(clock, max_entries=3)
    for key in "abcd":
        cache.put(key, key.upper())
    assert len(cache) == 3
    assert cache.lookup("a").state == "miss"
    assert cache.lookup("d").state == "hit"


def test_singleflight_one_leader_many_waiters() -> None:
    flight: SingleFlight[str, str] = SingleFlight()
    loads = 0
    start = threading.Barrier(20)
    results: list[str | None] = []
    lock = threading.Lock()

    def worker() -> None:
        nonlocal loads
        start.wait()
        mine, theirs = flight.claim(["k"])
        if mine:
            with lock:
                loads += 1
            time.sleep(0.05)
            flight.resolve("k", "value")
            value: str | None = "value"
        else:
            value = theirs["k"].result(timeout=5)
        with lock:
            results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == 1
    assert results == ["value"] * 20
    assert flight.inflight() == 0


def test_singleflight_failure_reaches_waiters_and_batches_split() -> None:
    flight: SingleFlight[str, str] = SingleFlight()
    mine, theirs = flight.claim(["a", "b", "a"])
    assert mine == ["a", "b"] and theirs == {}
    mine2, theirs2 = flight.claim(["b", "c"])
    assert mine2 == ["c"] and set(theirs2) == {"b"}
    flight.fail("b", RuntimeError("upstream down"))
    with pytest.raises(RuntimeError, match="upstream down"):
        theirs2["b"].result(timeout=1)
    flight.resolve("a", None)
    flight.resolve("c", "C")
    assert flight.inflight() == 0
