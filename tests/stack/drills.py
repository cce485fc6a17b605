"""Failover drill harness: load the balancer, disrupt node 1, restore it, record everything.

Follows deployment.md §5.6: closed-loop keep-alive clients, HAProxy's server states polled every 50 ms,
node 1 disrupted a few seconds in and restored later, the load kept up until node 1 is back UP.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ecs_assistant.stack.loadgen import LoadGenerator, LoadReport
from ecs_assistant.stack.runner import LocalStack

CONNECTIONS = 16
MIN_DURATION = 15.0


@dataclass
class DrillResult:
    name: str
    report: LoadReport
    states: list[tuple[float, dict[str, str]]] = field(default_factory=list)
    disrupted_at: float = 0.0
    disrupt_done_at: float = 0.0
    restored_at: float = 0.0

    def first_time(self, node: str, predicate: Callable[[str], bool], after: float) -> float | None:
        for t, states in self.states:
            if t >= after and predicate(states.get(node, "")):
                return t
        return None

    def seen_down_then_up(self, node: str = "node1") -> tuple[float | None, float | None]:
        down = self.first_time(node, lambda s: s.startswith(("DOWN", "DRAIN", "MAINT")), self.disrupted_at)
        up = self.first_time(node, lambda s: s == "UP", down if down is not None else float("inf"))
        return down, up

    def transitions(self) -> list[str]:
        """Every change of HAProxy's view, e.g. "+4.02 s node1 UP->DOWN"."""
        changes: list[str] = []
        last: dict[str, str] = {}
        for t, states in self.states:
            for node, state in sorted(states.items()):
                if last.get(node) not in (None, state):
                    changes.append(f"{t:.2f}s {node} {last[node]}->{state}")
                last[node] = state
        return changes

    def describe(self) -> str:
        down, up = self.seen_down_then_up()
        marks = f"node1 DOWN at +{(down or 0) - self.disrupted_at:.2f} s, UP again at {up or 0:.1f} s"
        return f"[{self.name}] {self.report.summary()}; {marks}; transitions: {'; '.join(self.transitions())}"


def run_drill(
    name: str,
    stack: LocalStack,
    paths: Sequence[str] | Callable[[int], str],
    disrupt: Callable[[], None],
    restore: Callable[[], None],
    disrupt_at: float = 4.0,
    restore_at: float = 9.0,
    min_duration: float = MIN_DURATION,
    max_duration: float = 45.0,
) -> DrillResult:
    load = LoadGenerator(stack.url, paths, connections=CONNECTIONS)
    result = DrillResult(name=name, report=LoadReport())
    stop_polling = threading.Event()

    def poll() -> None:
        while not stop_polling.is_set():
            with contextlib.suppress(OSError):
                result.states.append((load.elapsed(), stack.haproxy_server_states()))
            time.sleep(0.05)

    load.start()
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        _sleep_until(load, disrupt_at)
        result.disrupted_at = load.elapsed()
        disrupt()
        result.disrupt_done_at = load.elapsed()
        _sleep_until(load, restore_at)
        result.restored_at = load.elapsed()
        restore()
        # Keep the load on until the minimum duration and until node 1 has been UP again for a second.
        while load.elapsed() < max_duration:
            _, up = result.seen_down_then_up()
            if load.elapsed() >= min_duration and up is not None and load.elapsed() - up >= 1.0:
                break
            time.sleep(0.1)
    finally:
        stop_polling.set()
        poller.join()
        result.report = load.stop()
    print(result.describe())
    # The drills test uWSGI and the peer fallback: answers from nginx's microcache would hide both.
    assert result.report.microcache_hits() == 0, f"drill load absorbed by the microcache: {result.describe()}"
    return result


def _sleep_until(load: LoadGenerator, at: float) -> None:
    remaining = at - load.elapsed()
    if remaining > 0:
        time.sleep(remaining)


def assert_node1_out_and_back(result: DrillResult) -> None:
    down, up = result.seen_down_then_up("node1")
    assert down is not None, f"HAProxy never marked node1 down: {result.describe()}"
    assert up is not None, f"node1 never came back UP: {result.describe()}"


def assert_node2_carried_the_load(result: DrillResult) -> None:
    # Between the disruption and the restart node 1's app is gone: every answer must come from node 2.
    served = result.report.served_by(result.disrupt_done_at + 0.1, result.restored_at)
    assert set(served) == {"node2"}, served
    assert served["node2"] > 100, served
