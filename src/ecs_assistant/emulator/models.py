"""Live emulator state built from a `World`: instances by ID (O(1)), keys, roles, node identities.

`reset()` reloads the world file and restores every runtime switch; STS credentials already handed out
survive a reset, as real ones would, so a running service keeps working across test resets.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecs_assistant.emulator.sts import StsStore
from ecs_assistant.emulator.world import STATUSES, AccessKey, Region, Role, World, load_world


@dataclass(frozen=True, slots=True)
class Principal:
    """Who signed a request: a static key's user or the role behind an STS key."""

    name: str
    kind: str  # "user" | "role" | "anonymous"
    policies: tuple[dict[str, Any], ...]
    access_key_id: str


class StateError(ValueError):
    """A control-plane change that the state cannot accept (unknown ID, bad field...)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


_EIP_NONE = {"AllocationId": "", "IpAddress": "", "InternetChargeType": ""}
_EIP_BOUND = {**_EIP_NONE, "Bandwidth": 0, "IsSupportUnassociate": True}


def _shape_problem(path: str, current: Any, new: Any) -> str | None:
    """Why `new` cannot replace `current` (same JSON shape required, so handlers never meet surprises)."""
    if isinstance(current, dict):
        if not isinstance(new, dict):
            return f"{path} must be an object"
        if set(new) != set(current):
            return f"{path} must have exactly the keys {', '.join(sorted(current))}"
        for key, value in current.items():
            problem = _shape_problem(f"{path}.{key}", value, new[key])
            if problem:
                return problem
        return None
    if isinstance(current, list):
        if not isinstance(new, list):
            return f"{path} must be a list"
        for item in new:
            problem = _shape_problem(f"{path}[]", current[0] if current else "", item)
            if problem:
                return problem
        return None
    if type(new) is not type(current):
        return f"{path} must be {type(current).__name__}, not {type(new).__name__}"
    return None


def _valid_tags(value: Any) -> bool:
    if not isinstance(value, dict) or set(value) - {"Tag"}:
        return False
    tags = value.get("Tag", [])
    return isinstance(tags, list) and all(
        isinstance(t, dict)
        and set(t) == {"TagKey", "TagValue"}
        and all(isinstance(v, str) for v in t.values())
        for t in tags
    )


def _apply_status(doc: dict[str, Any], status: str) -> None:
    doc["Status"] = status
    if status == "Running":
        doc["StartTime"] = _minute_now()
        doc["StoppedMode"] = "Not-applicable"
    elif status == "Stopped":
        doc["StoppedMode"] = "KeepCharging"


def _minute_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())


class State:
    """Everything the emulator knows; thread-safe for the emulator's threaded listeners."""

    def __init__(
        self, world_path: Path | None = None, sts_lifetime: int | None = None, http_tokens: str | None = None
    ) -> None:
        if http_tokens not in (None, "optional", "required"):
            raise ValueError("http_tokens must be optional or required")
        self.world_path = world_path
        self._lock = threading.RLock()
        self._sts_lifetime_override = sts_lifetime
        self._http_tokens_override = http_tokens
        world = load_world(world_path)
        self.sts = StsStore(sts_lifetime or world.settings.sts_lifetime_seconds)
        self._load(world)

    # -- loading ---------------------------------------------------------------------------------------

    def _load(self, world: World) -> None:
        with self._lock:
            self.world = world
            self.settings = world.settings
            self.instances: dict[str, dict[str, Any]] = {}
            self._transitions: dict[str, tuple[str, float]] = {}
            self.by_region: dict[str, list[str]] = {r: [] for r in world.regions}
            for doc in world.instances:
                item = copy.deepcopy(doc)
                self.instances[item["InstanceId"]] = item
                self.by_region[item["RegionId"]].append(item["InstanceId"])
            self.zones: dict[str, set[str]] = {r: set() for r in world.regions}
            for item in self.instances.values():
                self.zones[item["RegionId"]].add(item["ZoneId"])
            self.node_roles: list[str | None] = [n.role for n in world.nodes]
            tokens_mode = self._http_tokens_override or world.settings.metadata_http_tokens
            self.node_http_tokens: list[str] = [tokens_mode for _ in world.nodes]
            self.sts.set_lifetime(self._sts_lifetime_override or world.settings.sts_lifetime_seconds)

    def reset(self) -> None:
        """Reload the world file (validated again) and restore default switches."""
        self._load(load_world(self.world_path))

    # -- lookups ---------------------------------------------------------------------------------------

    @property
    def regions(self) -> dict[str, Region]:
        return self.world.regions

    @property
    def roles(self) -> dict[str, Role]:
        return self.world.roles

    @property
    def account_id(self) -> str:
        return self.world.account_id

    def access_key(self, key_id: str) -> AccessKey | None:
        return self.world.access_keys.get(key_id)

    def policies_of(self, names: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
        return tuple(self.world.policies[n] for n in names if n in self.world.policies)

    def role_principal(self, role: str, key_id: str) -> Principal:
        found = self.world.roles.get(role)
        return Principal(role, "role", self.policies_of(found.policies) if found else (), key_id)

    def instance(self, instance_id: str) -> dict[str, Any] | None:
        self._settle()
        return self.instances.get(instance_id)

    def all_instances(self) -> list[dict[str, Any]]:
        self._settle()
        return list(self.instances.values())

    def region_instances(self, region: str) -> Iterator[dict[str, Any]]:
        self._settle()
        for iid in self.by_region.get(region, ()):
            yield self.instances[iid]

    def node_count(self) -> int:
        return len(self.world.nodes)

    def node_instance(self, node: int) -> dict[str, Any]:
        self._settle()
        return self.instances[self.world.nodes[node].instance_id]

    # -- control-plane changes -------------------------------------------------------------------------

    def _get_or_fail(self, instance_id: str) -> dict[str, Any]:
        doc = self.instances.get(instance_id)
        if doc is None:
            raise StateError("InstanceNotFound", f"instance {instance_id!r} does not exist", 404)
        return doc

    def set_status(self, instance_id: str, status: str, transition_seconds: float = 0) -> dict[str, Any]:
        """Start/stop. Straight to the stable state by default; with `transition_seconds` the instance
        shows Starting/Stopping first and settles when read after that time (no timer threads)."""
        with self._lock:
            doc = self._get_or_fail(instance_id)
            self._transitions.pop(instance_id, None)
            if transition_seconds > 0:
                doc["Status"] = "Starting" if status == "Running" else "Stopping"
                self._transitions[instance_id] = (status, time.monotonic() + transition_seconds)
            else:
                _apply_status(doc, status)
            return doc

    def _settle(self) -> None:
        """Finish every start/stop transition whose time has come."""
        if not self._transitions:  # fast path on every lookup
            return
        now = time.monotonic()
        with self._lock:
            for iid, (status, deadline) in list(self._transitions.items()):
                if deadline <= now:
                    del self._transitions[iid]
                    _apply_status(self.instances[iid], status)

    def modify(self, instance_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Replace top-level DescribeInstances fields; the value type must match the current one."""
        with self._lock:
            doc = self._get_or_fail(instance_id)
            for name, value in fields.items():
                if name in ("InstanceId", "RegionId"):
                    raise StateError("InvalidField", f"{name} cannot be changed")
                if name not in doc and name not in ("Tags", "KeyPairName"):
                    raise StateError("InvalidField", f"{name!r} is not a DescribeInstances field")
                current = doc.get(name) if name != "Tags" else None  # Tags: checked by _valid_tags
                if name == "EipAddress":
                    current = _EIP_BOUND if isinstance(value, dict) and "Bandwidth" in value else _EIP_NONE
                problem = _shape_problem(name, current, value) if current is not None else None
                if problem:
                    raise StateError("InvalidField", problem)
                if name == "Status" and value not in STATUSES:
                    raise StateError("InvalidField", f"Status must be one of {', '.join(STATUSES)}")
                if name == "Tags" and not _valid_tags(value):
                    raise StateError(
                        "InvalidField", 'Tags must be {"Tag": [{"TagKey": str, "TagValue": str}, ...]}'
                    )
                if name == "ZoneId" and not str(value).startswith(doc["RegionId"]):
                    raise StateError("InvalidField", f"ZoneId {value!r} is not in region {doc['RegionId']}")
            for name, value in fields.items():
                if name == "Tags" and not value:
                    doc.pop("Tags", None)
                    continue
                doc[name] = value
                if name == "ZoneId":
                    self.zones[doc["RegionId"]].add(value)
            return doc

    def set_node_role(self, node: int, role: str | None) -> None:
        with self._lock:
            if not 0 <= node < len(self.node_roles):
                raise StateError("NodeNotFound", f"metadata node {node} does not exist", 404)
            if role is not None and role not in self.world.roles:
                raise StateError("RoleNotFound", f"role {role!r} does not exist", 404)
            self.node_roles[node] = role

    def set_node_http_tokens(self, node: int, mode: str) -> None:
        with self._lock:
            if not 0 <= node < len(self.node_http_tokens):
                raise StateError("NodeNotFound", f"metadata node {node} does not exist", 404)
            if mode not in ("optional", "required"):
                raise StateError("InvalidField", "http_tokens must be optional or required")
            self.node_http_tokens[node] = mode
