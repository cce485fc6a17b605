"""A benchmark world: the default emulator world plus thousands of extra instances.

Distinct-ID lookups must miss the nodes' caches; with the default world's ~50 instances every ID would
be cached after the first second, so the miss scenario walks through synthetic instances instead.

The synthetic IDs look like real cn-hangzhou IDs (`i-bp1` + 17 lowercase letters and digits): the service
guesses the region from the ID's prefix (ECS_ASSISTANT_REGION_HINTS, `bp1=cn-hangzhou` by default), so a
miss without regionId costs what a user's lookup costs, not a search of every configured region.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# cn-hangzhou's instance ID prefix, followed by 17 characters, like the IDs ECS hands out there.
PREFIX = "i-bp1"
SUFFIX_LENGTH = 17
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def default_world() -> dict[str, Any]:
    text = resources.files("ecs_assistant.emulator").joinpath("data/world.yaml").read_text(encoding="utf-8")
    world: dict[str, Any] = yaml.safe_load(text)
    return world


def _suffix(n: int) -> str:
    """17 base-36 characters from a hash of n: deterministic, spread like real IDs rather than a counter."""
    value = int.from_bytes(hashlib.sha256(f"ecs-assistant-bench-{n}".encode()).digest(), "big")
    chars: list[str] = []
    for _ in range(SUFFIX_LENGTH):
        value, digit = divmod(value, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def bench_instance_ids(count: int) -> list[str]:
    """`count` distinct synthetic cn-hangzhou IDs, none of them an ID of the default world (checked)."""
    taken = {instance["id"] for instance in default_world()["instances"]}
    ids: list[str] = []
    n = 0
    while len(ids) < count:
        candidate = f"{PREFIX}{_suffix(n)}"
        n += 1
        # 36**17 values: a clash is astronomically unlikely, but skipping it keeps the world loadable.
        if candidate not in taken:
            taken.add(candidate)
            ids.append(candidate)
    return ids


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
