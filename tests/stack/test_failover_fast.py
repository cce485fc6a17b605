"""Failover drills with real processes: 16 keep-alive clients for at least 15 s against HAProxy,
fast balancer profile (retries, redispatch, fast checks).

Each drill disrupts node 1 a few seconds in (whole-node SIGKILL, uWSGI-only SIGKILL, or a drained stop),
restarts it, and checks what the clients saw. Numbers are printed (run with -s to see them).
"""

from __future__ import annotations

import pytest

from ecs_assistant.stack.runner import LocalStack
from tests.stack.conftest import drill_paths
from tests.stack.drills import assert_node1_out_and_back, assert_node2_carried_the_load, run_drill

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def test_fast_whole_node_kill_then_restart_loses_nothing(fast_stack: LocalStack) -> None:
    result = run_drill(
        "fast: whole-node SIGKILL",
        fast_stack,
        drill_paths(fast_stack),
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
        drill_paths(fast_stack),
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
        drill_paths(fast_stack),
        disrupt=lambda: fast_stack.stop_node(1, drain=True),
        restore=lambda: fast_stack.start_node(1),
    )
    assert result.report.failed == [], result.describe()
    assert_node1_out_and_back(result)
    assert_node2_carried_the_load(result)
