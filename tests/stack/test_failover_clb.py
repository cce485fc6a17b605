"""Failover drills with real processes: 16 keep-alive clients for at least 15 s against HAProxy,
CLB-like balancer profile (no retries, CLB's default check timing).

Each drill disrupts node 1 a few seconds in (whole-node SIGKILL, uWSGI-only SIGKILL, or a drained stop),
restarts it, and checks what the clients saw. Numbers are printed (run with -s to see them).
"""

from __future__ import annotations

import time

import pytest
import requests

from ecs_assistant.stack.runner import LocalStack
from tests.stack.conftest import drill_paths, lookup_paths
from tests.stack.drills import assert_node1_out_and_back, assert_node2_carried_the_load, run_drill

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def test_clb_uwsgi_only_kill_loses_nothing_thanks_to_the_nginx_peer_fallback(clb_stack: LocalStack) -> None:
    result = run_drill(
        "clb: uWSGI-only SIGKILL",
        clb_stack,
        drill_paths(clb_stack),
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
        drill_paths(clb_stack),
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
    # A URI no earlier test used: node 1's microcache cannot hold it, so the miss meets the dead uWSGI.
    path = f"{lookup_paths(clb_stack, 1)[0]}?fallback={time.monotonic_ns()}"
    clb_stack.kill_uwsgi(1)
    try:
        for health in ("/", "/healthz"):
            assert requests.head(node1.url + health, timeout=5).status_code == 502
        reply = requests.get(node1.url + path, timeout=10)
        assert reply.status_code == 200
        assert reply.headers["X-Served-By"] == "node2"
        assert "X-Microcache" not in reply.headers  # answered through @peer, not node 1's cache
        # Non-idempotent requests are not replayed on the peer.
        assert requests.post(node1.url + path, timeout=10).status_code == 503
    finally:
        clb_stack.start_node(1)
