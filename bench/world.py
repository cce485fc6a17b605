"""A benchmark world: the default emulator world plus thousands of extra instances.

Distinct-ID lookups must miss the nodes' caches; with the default world's ~50 instances every ID would
be cached after the first second, so the miss scenario walks through synthetic instances instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

PREFIX = "i-bench"


def default_world() -> dict[str, Any]:
    text = resources.files("ecs_assistant.emulator").joinpath("data/world.yaml").read_text(encoding="utf-8")
    world: dict[str, Any] = yaml.safe_load(text)
    return world


def bench_instance_ids(count: int) -> list[str]:
    return [f"{PREFIX}{n:012d}" for n in range(count)]


def write_bench_world(path: Path, extra: int) -> Path:
    """The default world with `extra` Running cn-hangzhou instances cloned from its first one."""
    world = default_world()
    template = next(
        i for i in world["instances"] if i["region"] == "cn-hangzhou" and i["status"] == "Running"
    )
    for n, instance_id in enumerate(bench_instance_ids(extra)):
        clone = {k: v for k, v in template.items() if k not in ("public_ip", "eip", "hostname")}
        clone.update(
            id=instance_id,
            name=f"bench-{n}",
            private_ip=f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}",
            tags={"app": "bench"},
        )
        world["instances"].append(clone)
    path.write_text(yaml.safe_dump(world, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
