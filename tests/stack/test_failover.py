"""Failover drills with real processes: 16 keep-alive clients for at least 15 s against HAProxy.

Each drill disrupts node 1 a few seconds in (whole-node SIGKILL, uWSGI-only SIGKILL, or a drained stop),
restarts it, and checks what the clients saw. Numbers are printed (run with -s to see them).
"""

from __future__ import annotations

import pytest
import requests

from ecs_assistant.stack.runner import LocalStack
from tests.stack.conftest import lookup_paths
from tests.stack.drills import DrillResult, run_drill

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def assert_node1_out_and_back(result: DrillResult) -> None:
    down, up = result.seen_down_then_up("node1")
    assert down is not None, f"HAProxy never marked node1 down: {result.describe()}"
    assert up is not None, f"node1 never came back UP: {result.describe()}"


def assert_node2_carried_the_load(result: DrillResult) -> None:
    # Between the disruption and the restart node 1's app is gone: every answer must come from node 2.
    served = result.report.served_by(result.disrupt_done_at + 0.1, result.restored_at)
    assert set(served) == {"node2"}, served
    assert served["node2"] > 100, served


def test_fast_whole_node_kill_then_restart_loses_nothing(fast_stack: LocalStack) -> None:
    result = run_drill(
        "fast: whole-node SIGKILL",
        fast_stack,
        lookup_paths(fast_stack),
        disrupt=lambda: fast_stack.kill_node(1),
        restore=lambda: fast_stack.start_node(1),
    )
    assert result.report.total > 1000
    assert result.report.failed == [], result.describe()
    assert_node1_out_and_back(result)
    assert_node2_carried_the_load(result)
    # After the restart node 1 serves again.
    assert result.report.served_by(result.report.duration - 1.0)["node1"] > 0


def test_fast_uwsgi_only_kill_loses_nothing(fast_stack: LocalStack) -> None:
    result = run_drill(
        "fast: uWSGI-only SIGKILL",
        fast_stack,
        lookup_paths(fast_stack),
        disrupt=lambda: fast_stack.kill_uwsgi(1),
        restore=lambda: fast_stack.start_node(1),
    )
    assert result.report.failed == [], result.describe()
    assert_node1_out_and_back(result)
    assert_node2_carried_the_load(result)


def test_fast_drained_stop_loses_nothing(fast_stack: LocalStack) -> None:
    result = run_drill(
        "fast: drained stop",
        fast_stack,
        lookup_paths(fast_stack),
        disrupt=lambda: fast_stack.stop_node(1, drain=True),
        restore=lambda: fast_stack.start_node(1),
    )
    assert result.report.failed == [], result.describe()
    assert_node1_out_and_back(result)
    assert_node2_carried_the_load(result)


def test_clb_uwsgi_only_kill_loses_nothing_thanks_to_the_nginx_peer_fallback(clb_stack: LocalStack) -> None:
    result = run_drill(
        "clb: uWSGI-only SIGKILL",
        clb_stack,
        lookup_paths(clb_stack),
        disrupt=lambda: clb_stack.kill_uwsgi(1),
        restore=lambda: clb_stack.start_node(1),
        restore_at=10.0,
    )
    assert result.report.failed == [], result.describe()
    assert_node1_out_and_back(result)
    assert_node2_carried_the_load(result)


def test_clb_whole_node_kill_failures_stay_inside_the_detection_window(clb_stack: LocalStack) -> None:
    """CLB does not retry on another backend: requests routed to the dead node fail until it is marked
    down. The count is reported; every failure must fall between the kill and the DOWN mark."""
    result = run_drill(
        "clb: whole-node SIGKILL",
        clb_stack,
        lookup_paths(clb_stack),
        disrupt=lambda: clb_stack.kill_node(1),
        restore=lambda: clb_stack.start_node(1),
        restore_at=10.0,
    )
    down, _ = result.seen_down_then_up("node1")
    assert_node1_out_and_back(result)
    assert down is not None
    late = [s for s in result.report.failed if not result.disrupted_at - 0.5 <= s.start <= down + 0.5]
    assert late == [], f"failures outside the detection window: {late[:5]}"
    print(f"CLB-like profile, whole-node kill: {len(result.report.failed)} failed requests")


def test_dead_uwsgi_fails_the_health_path_but_api_requests_fall_back_to_the_peer(
    clb_stack: LocalStack,
) -> None:
    """The nginx peer fallback serves GET/HEAD from node 2, never the health check (or node 1 would
    look healthy with a dead app)."""
    node1 = clb_stack.node(1)
    path = lookup_paths(clb_stack, 1)[0]
    clb_stack.kill_uwsgi(1)
    try:
        for health in ("/", "/healthz"):
            assert requests.head(node1.url + health, timeout=5).status_code == 502
        reply = requests.get(node1.url + path, timeout=10)
        assert reply.status_code == 200
        assert reply.headers["X-Served-By"] == "node2"
        # Non-idempotent requests are not replayed on the peer.
        assert requests.post(node1.url + path, timeout=10).status_code == 503
    finally:
        clb_stack.start_node(1)
