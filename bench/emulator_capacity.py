"""Emulator capacity: signed single-ID DescribeInstances calls per second, over loopback.

Starts the emulator in this process and drives it from worker processes, each with one keep-alive
connection, signing every request (ACS3 by default). `--client sdk` uses the official
alibabacloud-ecs20140526 client instead of the lean signer (its own per-call cost then dominates).

    .venv/bin/python bench/emulator_capacity.py [--seconds 5] [--workers 3]
        [--client lean|sdk] [--style acs3|v1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time

INSTANCE_ID = "i-bp1a2b3c4d5e6f7g8h9i"


def _worker_lean(port: int, key: str, secret: str, style: str, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from ecs_assistant.emulator.signed_client import SignedClient

    client = SignedClient("127.0.0.1", port, key, secret)
    params = {"RegionId": "cn-hangzhou", "InstanceIds": json.dumps([INSTANCE_ID])}
    done = errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        status, _, body = client.call("DescribeInstances", params, style=style)
        if status == 200 and body["TotalCount"] == 1:
            done += 1
        else:
            errors += 1
    out.put((done, errors))


def _worker_sdk(port: int, key: str, secret: str, style: str, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    from alibabacloud_ecs20140526 import models
    from alibabacloud_ecs20140526.client import Client
    from alibabacloud_tea_openapi import utils_models

    config = utils_models.Config(
        access_key_id=key,
        access_key_secret=secret,
        region_id="cn-hangzhou",
        endpoint=f"127.0.0.1:{port}",
        protocol="http",
        signature_algorithm="v2" if style == "v1" else None,
    )
    client = Client(config)
    request = models.DescribeInstancesRequest(region_id="cn-hangzhou", instance_ids=json.dumps([INSTANCE_ID]))
    done = errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            response = client.describe_instances(request)
            done += response.body.total_count == 1
        except Exception:
            errors += 1
    out.put((done, errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--client", choices=("lean", "sdk"), default="lean")
    parser.add_argument("--style", choices=("acs3", "v1"), default="acs3")
    args = parser.parse_args()

    from ecs_assistant.emulator.server import EmulatorServer

    ctx = mp.get_context("spawn")
    with EmulatorServer(metadata_port=None) as server:
        queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        target = _worker_lean if args.client == "lean" else _worker_sdk
        worker_args = (server.port, server.access_key_id, server.access_key_secret)
        procs = [
            ctx.Process(target=target, args=(*worker_args, args.style, args.seconds, queue))
            for _ in range(args.workers)
        ]
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        results = [queue.get(timeout=args.seconds + 60) for _ in procs]
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - started
        logged = server.core.log.snapshot()["by_action"].get("DescribeInstances", 0)
    done = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    # Rate over the measuring window (workers all run for --seconds); the wall time includes spawn.
    print(
        f"emulator capacity: {done / args.seconds:,.0f} signed single-ID DescribeInstances/s "
        f"({args.client} client, {args.style}, {args.workers} workers, {args.seconds:g}s, "
        f"{done} ok, {errors} errors, {logged} logged, wall {elapsed:.1f}s, {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
