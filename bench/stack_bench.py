"""The benchmark scenarios: static ceiling, repeated-ID lookups (hits), distinct-ID lookups (misses).

All through the same path a client uses: HAProxy -> nginx -> uWSGI -> app, with the emulator behind.
Upstream calls per lookup come from the emulator's request log; memory from /proc.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.memory import NodeMemory, node_memory
from bench.world import bench_instance_ids, write_bench_world
from bench.wrk import WrkResult, run_wrk
from ecs_assistant.emulator.control_client import ControlClient
from ecs_assistant.stack.render import DEFAULT_MICROCACHE_SECONDS
from ecs_assistant.stack.runner import LocalStack


@dataclass
class Scenario:
    name: str
    result: WrkResult
    describe_calls: int | None = None
    metadata_calls: int | None = None
    app_requests: int | None = None  # requests uWSGI served during the scenario (all nodes' workers)

    @property
    def app_per_request(self) -> float | None:
        """Share of the requests that reached uWSGI (the rest nginx answered from its microcache)."""
        if self.app_requests is None or not self.result.requests:
            return None
        return self.app_requests / self.result.requests

    @property
    def describe_per_lookup(self) -> float | None:
        if self.describe_calls is None or not self.result.requests:
            return None
        return self.describe_calls / self.result.requests

    @property
    def metadata_per_lookup(self) -> float | None:
        if self.metadata_calls is None or not self.result.requests:
            return None
        return self.metadata_calls / self.result.requests


@dataclass
class BenchRun:
    nodes: int
    connections: int
    seconds: float
    processes: int
    threads: int
    ready_seconds: float
    microcache_seconds: int
    # 1-minute load average when the scenarios started: the machine is shared with the load generator,
    # and anything else running skews every number.
    load_average: float = 0.0
    scenarios: list[Scenario] = field(default_factory=list)
    memory: dict[str, NodeMemory] = field(default_factory=dict)
    uwsgi_workers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.scenarios if s.name == name)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for scenario, raw in zip(self.scenarios, data["scenarios"], strict=True):
            raw["rps"] = scenario.result.rps
            raw["describe_per_lookup"] = scenario.describe_per_lookup
            raw["metadata_per_lookup"] = scenario.metadata_per_lookup
            raw["app_per_request"] = scenario.app_per_request
        return data


def _uwsgi_stats(stats_socket: Path) -> list[dict[str, Any]]:
    """Per-worker numbers from uWSGI's stats socket (requests served, average response time)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(stats_socket))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    stats = json.loads(b"".join(chunks))
    return [
        {
            "id": w["id"],
            "requests": w["requests"],
            "avg_rt_ms": w["avg_rt"] / 1000,
            "rss_mib": w["rss"] / 2**20,
        }
        for w in stats["workers"]
    ]


def _app_requests(stack: LocalStack) -> int:
    """Requests uWSGI has served on every node (includes HAProxy's health checks: ~1-4 per second)."""
    return sum(w["requests"] for node in stack.nodes for w in _uwsgi_stats(node.directory / "stats.sock"))


def _measure(
    stack: LocalStack,
    control: ControlClient,
    name: str,
    paths: list[str],
    seconds: float,
    connections: int,
    *,
    unique: bool = False,
) -> Scenario:
    control.clear_requests()
    before = _app_requests(stack)
    result = run_wrk(
        stack.url, paths, seconds=seconds, connections=connections, script_dir=stack.run_dir, unique=unique
    )
    app_requests = _app_requests(stack) - before
    log = control.requests_log()
    return Scenario(
        name=name,
        result=result,
        describe_calls=int(log.get("by_action", {}).get("DescribeInstances", 0)),
        metadata_calls=int(log.get("metadata", {}).get("total", 0)),
        app_requests=app_requests,
    )


def run_bench(
    work_dir: Path,
    *,
    seconds: float,
    connections: int,
    nodes: int,
    distinct: int,
    processes: int | None = None,
    threads: int | None = None,
    microcache_seconds: int = DEFAULT_MICROCACHE_SECONDS,
) -> BenchRun:
    world = write_bench_world(work_dir / "bench-world.yaml", distinct)
    stack = LocalStack(
        nodes=nodes,
        port=0,
        world=world,
        profile="fast",
        run_dir=work_dir / "stack",
        processes=processes,
        threads=threads,
        microcache_seconds=microcache_seconds,
    )
    with stack:
        control = ControlClient(stack.emulator_url)
        hit_id = stack.example_instance_id()
        assert hit_id is not None
        hit_paths = [f"/api/v1/instances/{hit_id}"]
        # Warm-up: every worker fetches its STS credentials and caches the repeated ID (past the microcache,
        # which would otherwise let only ~1 request per second reach the workers).
        run_wrk(
            stack.url, hit_paths, seconds=2, connections=connections, script_dir=stack.run_dir, unique=True
        )
        # ... then the plain path, so the hits scenario starts with the entry in every node's microcache (a
        # popular ID's steady state; a cold entry costs the first concurrent requests the lock wait).
        run_wrk(stack.url, hit_paths, seconds=1, connections=connections, script_dir=stack.run_dir)
        ini = (stack.run_dir / "node1" / "uwsgi.ini").read_text()
        run = BenchRun(
            nodes=nodes,
            connections=connections,
            seconds=seconds,
            processes=int(ini.split("processes = ")[1].split()[0]),
            threads=int(ini.split("threads = ")[1].split()[0]),
            ready_seconds=stack.ready_seconds or 0.0,
            microcache_seconds=microcache_seconds,
            load_average=os.getloadavg()[0],
        )
        run.scenarios.append(
            _measure(stack, control, "static ceiling", ["/__stack/static"], seconds, connections)
        )
        # The framework floor: the same path into the app, for a route that does no lookup at all.
        run.scenarios.append(
            _measure(stack, control, "app floor (/healthz)", ["/healthz"], seconds, connections)
        )
        # Repeated lookups as clients send them: nginx's microcache answers all but ~1 per TTL per node.
        run.scenarios.append(_measure(stack, control, "repeated ID (hits)", hit_paths, seconds, connections))
        # The same lookup with an ignored, ever-changing argument: past the microcache, a hit in the app's
        # own cache (what every repeated lookup cost before the microcache, and with --microcache 0).
        bypassed = "repeated ID, app cache (microcache bypassed)"
        run.scenarios.append(_measure(stack, control, bypassed, hit_paths, seconds, connections, unique=True))
        ids = bench_instance_ids(distinct)
        half = len(ids) // 2
        # Without regionId the service takes the region from the ID's prefix (i-bp1: cn-hangzhou), so a miss
        # still costs one call; a wrong or missing hint would search the other regions concurrently.
        miss_paths = [f"/api/v1/instances/{i}" for i in ids[:half]]
        run.scenarios.append(
            _measure(stack, control, "distinct IDs (misses)", miss_paths, seconds, connections)
        )
        region_paths = [f"/api/v1/instances/{i}?regionId=cn-hangzhou" for i in ids[half:]]
        run.scenarios.append(
            _measure(stack, control, "distinct IDs + regionId (misses)", region_paths, seconds, connections)
        )
        for node in stack.nodes:
            groups = [pid for pid in (node.nginx.pid, node.uwsgi.pid) if pid is not None]
            run.memory[node.name] = node_memory(groups)
            run.uwsgi_workers[node.name] = _uwsgi_stats(node.directory / "stats.sock")
    return run
