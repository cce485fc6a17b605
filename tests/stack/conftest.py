"""Fixtures for the stack tests: real nginx, uWSGI and HAProxy around the real app and emulator."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from ecs_assistant.stack.runner import LocalStack

REPO = Path(__file__).resolve().parents[2]

# Development switch only: run the stack around tests/stack/standin_app.py instead of the service.
STANDIN = os.environ.get("ECS_ASSISTANT_STACK_STANDIN") == "1"


def make_stack(profile: str, run_dir: Path) -> LocalStack:
    if STANDIN:
        return LocalStack(
            nodes=2,
            port=0,
            profile=profile,
            run_dir=run_dir,
            wsgi="tests.stack.standin_app:application",
            pythonpath=(str(REPO),),
        )
    return LocalStack(nodes=2, port=0, profile=profile, run_dir=run_dir)


def lookup_paths(stack: LocalStack, count: int = 8) -> list[str]:
    """Paths the drills request: lookups of real default-world instances (cache hits after the first)."""
    if STANDIN:
        return [f"/api/v1/instances/i-standin{n:04d}" for n in range(count)]
    instances = requests.get(f"{stack.emulator_url}/__emulator/instances", timeout=5).json()
    ids = [i["InstanceId"] for i in instances if i["RegionId"] == "cn-hangzhou"][:count]
    assert ids, "the default world has cn-hangzhou instances"
    return [f"/api/v1/instances/{instance_id}" for instance_id in ids]


def drill_paths(stack: LocalStack, count: int = 8) -> Callable[[int], str]:
    """The drills' request stream: the same 8 real lookups, each request with its own `drill` argument.

    The stack runs with its default nginx microcache, whose key holds the full URI with arguments, so each
    of these requests is a microcache miss that reaches uWSGI (the app ignores the unknown argument). With
    plain repeated lookups nginx would answer almost everything from its cache and a uWSGI kill would go
    unnoticed by the clients: the drills would no longer test the fallback they exist for. Distinct URIs,
    rather than a stack with the microcache off, keep the shipped configuration (cached locations with the
    peer fallback on a miss) under the drill. `run_drill` checks that no answer was a microcache hit.
    """
    paths = lookup_paths(stack, count)
    return lambda n: f"{paths[n % len(paths)]}?drill={n}"


@pytest.fixture(scope="module")
def fast_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with make_stack("fast", tmp_path_factory.mktemp("fast")) as stack:
        yield stack


@pytest.fixture(scope="module")
def clb_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with make_stack("clb", tmp_path_factory.mktemp("clb")) as stack:
        yield stack
