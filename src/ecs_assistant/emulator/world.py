"""The world file: a YAML description of accounts, keys, roles, policies, regions, instances and nodes.

Loading validates everything up front, so a bad file fails at start with one message naming the file,
the path inside it and the problem, instead of failing later on the wire. The output is plain frozen data;
`models.State` turns it into live, mutable state.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ecs_assistant.emulator.instance_shape import InstanceSpec, build_instance

STATUSES = ("Pending", "Running", "Starting", "Stopping", "Stopped")
INSTANCE_ID_RE = re.compile(r"^i-[0-9a-z]{8,32}$")
MINUTE_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$")
DEFAULT_WORLD_NAME = "world.yaml"


class WorldError(ValueError):
    """A world file that cannot be used. `str()` names the file, the path inside it and the problem."""

    def __init__(self, file: str, path: str, problem: str) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        super().__init__(f"world file {file}: at {path or '(top level)'}: {problem}")


@dataclass(frozen=True)
class Settings:
    """Behaviour switches, mostly for facts the reference marks UNVERIFIED (world `settings:` section)."""

    check_signatures: bool = True
    timestamp_window_seconds: int = 900
    nonce_window_seconds: int = 900
    #: DescribeInstances without permission answers 200 with an empty list (documented quirk) ...
    empty_list_without_permission: bool = True
    #: ... and a denial may carry an AccessDeniedDetail object (newer gateways).
    access_denied_detail: bool = False
    #: `InstanceIds=['i-a', 'i-b']` (Python repr, legacy SDK misuse) accepted like JSON.
    accept_single_quoted_instance_ids: bool = True
    #: MaxResults outside 1..100: "reject" (InvalidParameter) or "clamp" (to 10..100, SDK docstring).
    max_results_out_of_range: str = "reject"
    #: Metadata "hardened only" mode for every node at start: "optional" or "required".
    metadata_http_tokens: str = "optional"
    #: Status for a metadata read with a missing (hardened mode), invalid or expired token.
    metadata_token_error_status: int = 401
    sts_lifetime_seconds: int = 21600


@dataclass(frozen=True)
class AccessKey:
    id: str
    secret: str
    principal: str
    policies: tuple[str, ...]
    active: bool = True


@dataclass(frozen=True)
class Role:
    name: str
    policies: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    id: str
    local_name: str
    endpoint: str


@dataclass(frozen=True)
class Node:
    instance_id: str
    role: str | None


@dataclass(frozen=True)
class World:
    source: str
    account_id: str
    settings: Settings
    access_keys: dict[str, AccessKey]
    policies: dict[str, dict[str, Any]]
    roles: dict[str, Role]
    regions: dict[str, Region]
    instances: list[dict[str, Any]]
    nodes: list[Node] = field(default_factory=list)


def default_world_path() -> Path:
    return Path(str(resources.files("ecs_assistant.emulator") / "data" / DEFAULT_WORLD_NAME))


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_cache: dict[tuple[str, int, int], World] = {}
_cache_lock = threading.Lock()


def load_world(path: Path | None = None) -> World:
    """Read and validate a world file (the packaged default when `path` is None).

    Results are cached by (path, mtime, size): `reset` runs before every test, and the returned `World`
    is never mutated (`models.State` deep-copies the instances it changes).
    """
    path = path or default_world_path()
    name = str(path)
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorldError(name, "", f"cannot be read: {exc.strerror or exc}") from exc
    world = _parse_text(text, name)
    with _cache_lock:
        _cache[key] = world
    return world


def _parse_text(text: str, name: str) -> World:
    try:
        data = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader (C or Python)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorldError(name, where, f"is not valid YAML: {problem}") from exc
    return parse_world(data, name)


class _Reader:
    """Walks the parsed YAML keeping the current path, so every problem can say where it is."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, problem: str) -> WorldError:
        return WorldError(self.file, path, problem)

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be a mapping, not {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(path, f"key {key!r} must be a string")
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list, not {type(value).__name__}")
        return value

    def get(
        self, obj: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...], **kw: Any
    ) -> Any:
        here = f"{path}.{key}" if path else key
        if key not in obj or obj[key] is None:
            if "default" in kw:
                return kw["default"]
            raise self.fail(here, "is required")
        value = obj[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(here, f"must be {_kind_name(kinds)}, not a boolean")
        if not isinstance(value, kinds):
            raise self.fail(here, f"must be {_kind_name(kinds)}, not {type(value).__name__} {value!r}")
        choices = kw.get("choices")
        if choices is not None and value not in choices:
            raise self.fail(here, f"{value!r} is not one of {', '.join(map(str, choices))}")
        pattern = kw.get("pattern")
        if pattern is not None and not pattern.match(value):
            raise self.fail(here, f"{value!r} does not match {pattern.pattern}")
        return value

    def unknown_keys(self, obj: Mapping[str, Any], allowed: set[str], path: str) -> None:
        extra = sorted(set(obj) - allowed)
        if extra:
            here = f"{path}.{extra[0]}" if path else extra[0]
            raise self.fail(here, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", float: "a number", list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


_TOP_KEYS = {"settings", "account_id", "access_keys", "policies", "roles", "regions", "instances", "nodes"}


def parse_world(data: Any, file: str = "<world>") -> World:
    """Validate parsed YAML and build a `World`; raises `WorldError` on the first problem found."""
    r = _Reader(file)
    top = r.mapping(data, "")
    r.unknown_keys(top, _TOP_KEYS, "")
    account_id = str(r.get(top, "account_id", "", (str, int), default="1234567890123456"))
    settings = _settings(r, top.get("settings") or {})
    policies = _policies(r, top.get("policies") or {})
    roles = _roles(r, top.get("roles") or [], policies)
    keys = _access_keys(r, top.get("access_keys") or [], policies)
    regions = _regions(r, top.get("regions"))
    instances = _instances(r, top.get("instances") or [], regions, account_id)
    nodes = _nodes(r, top.get("nodes") or [], {i["InstanceId"] for i in instances}, roles)
    return World(file, account_id, settings, keys, policies, roles, regions, instances, nodes)


def _settings(r: _Reader, raw: Any) -> Settings:
    obj = r.mapping(raw, "settings")
    defaults = Settings()
    allowed = set(Settings.__dataclass_fields__)
    r.unknown_keys(obj, allowed, "settings")
    values: dict[str, Any] = {}
    for name in allowed:
        default = getattr(defaults, name)
        values[name] = r.get(obj, name, "settings", type(default), default=default)
    if values["max_results_out_of_range"] not in ("reject", "clamp"):
        raise r.fail("settings.max_results_out_of_range", "must be reject or clamp")
    if values["metadata_http_tokens"] not in ("optional", "required"):
        raise r.fail("settings.metadata_http_tokens", "must be optional or required")
    if not 400 <= values["metadata_token_error_status"] <= 499:
        raise r.fail("settings.metadata_token_error_status", "must be a 4xx status")
    if values["sts_lifetime_seconds"] < 1:
        raise r.fail("settings.sts_lifetime_seconds", "must be at least 1")
    return Settings(**values)


def _policies(r: _Reader, raw: Any) -> dict[str, dict[str, Any]]:
    obj = r.mapping(raw, "policies")
    out: dict[str, dict[str, Any]] = {}
    for name, doc in obj.items():
        path = f"policies.{name}"
        doc = r.mapping(doc, path)
        statements = r.sequence(r.get(doc, "Statement", path, list), f"{path}.Statement")
        for i, st in enumerate(statements):
            sp = f"{path}.Statement[{i}]"
            st = r.mapping(st, sp)
            r.get(st, "Effect", sp, str, choices=("Allow", "Deny"))
            if "Action" not in st and "NotAction" not in st:
                raise r.fail(sp, "needs Action or NotAction")
            for key in ("Action", "NotAction", "Resource"):
                if key in st:
                    value = st[key]
                    if not isinstance(value, str) and not (
                        isinstance(value, list) and all(isinstance(v, str) for v in value)
                    ):
                        raise r.fail(f"{sp}.{key}", "must be a string or a list of strings")
        out[name] = dict(doc)
    return out


def _policy_names(
    r: _Reader, obj: Mapping[str, Any], path: str, policies: Mapping[str, Any]
) -> tuple[str, ...]:
    names = r.sequence(r.get(obj, "policies", path, list, default=[]), f"{path}.policies")
    for i, name in enumerate(names):
        if name not in policies:
            raise r.fail(f"{path}.policies[{i}]", f"unknown policy {name!r} (define it under policies:)")
    return tuple(names)


def _roles(r: _Reader, raw: Any, policies: Mapping[str, Any]) -> dict[str, Role]:
    out: dict[str, Role] = {}
    for i, item in enumerate(r.sequence(raw, "roles")):
        path = f"roles[{i}]"
        obj = r.mapping(item, path)
        r.unknown_keys(obj, {"name", "policies"}, path)
        name = r.get(obj, "name", path, str)
        if name in out:
            raise r.fail(f"{path}.name", f"duplicate role {name!r}")
        out[name] = Role(name, _policy_names(r, obj, path, policies))
    return out


def _access_keys(r: _Reader, raw: Any, policies: Mapping[str, Any]) -> dict[str, AccessKey]:
    out: dict[str, AccessKey] = {}
    for i, item in enumerate(r.sequence(raw, "access_keys")):
        path = f"access_keys[{i}]"
        obj = r.mapping(item, path)
        r.unknown_keys(obj, {"id", "secret", "user", "policies", "active"}, path)
        key_id = r.get(obj, "id", path, str)
        if key_id.startswith("STS."):
            raise r.fail(f"{path}.id", "the STS. prefix is reserved for keys issued by the metadata service")
        if key_id in out:
            raise r.fail(f"{path}.id", f"duplicate AccessKeyId {key_id!r}")
        out[key_id] = AccessKey(
            key_id,
            r.get(obj, "secret", path, str),
            r.get(obj, "user", path, str, default=key_id),
            _policy_names(r, obj, path, policies),
            r.get(obj, "active", path, bool, default=True),
        )
    return out


def _regions(r: _Reader, raw: Any) -> dict[str, Region]:
    if raw is None:
        raise r.fail("regions", "is required")
    out: dict[str, Region] = {}
    items = r.sequence(raw, "regions")
    if not items:
        raise r.fail("regions", "must list at least one region")
    for i, item in enumerate(items):
        path = f"regions[{i}]"
        obj = r.mapping(item, path)
        r.unknown_keys(obj, {"id", "local_name", "endpoint"}, path)
        region_id = r.get(obj, "id", path, str, pattern=re.compile(r"^[a-z]{2}-[a-z0-9-]+$"))
        if region_id in out:
            raise r.fail(f"{path}.id", f"duplicate region {region_id!r}")
        out[region_id] = Region(
            region_id,
            r.get(obj, "local_name", path, str, default=region_id),
            r.get(obj, "endpoint", path, str, default=f"ecs.{region_id}.aliyuncs.com"),
        )
    return out


_INSTANCE_KEYS = {
    "id", "name", "region", "zone", "status", "type", "cpu", "memory", "os_name", "os_name_en", "os_type",
    "image_id", "network", "vpc_id", "vswitch_id", "private_ip", "public_ip", "eip", "bandwidth_out",
    "charge_type", "internet_charge_type", "created", "expired", "tags", "key_pair", "security_groups",
    "description", "hostname", "deletion_protection",
}  # fmt: skip


def _instances(r: _Reader, raw: Any, regions: Mapping[str, Region], account_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(r.sequence(raw, "instances")):
        path = f"instances[{i}]"
        obj = r.mapping(item, path)
        r.unknown_keys(obj, _INSTANCE_KEYS, path)
        iid = r.get(obj, "id", path, str, pattern=INSTANCE_ID_RE)
        if iid in seen:
            raise r.fail(f"{path}.id", f"duplicate instance {iid!r}")
        seen.add(iid)
        region = r.get(obj, "region", path, str, choices=tuple(regions))
        zone = r.get(obj, "zone", path, str)
        if not zone.startswith(region):
            raise r.fail(f"{path}.zone", f"{zone!r} is not a zone of region {region!r}")
        network = r.get(obj, "network", path, str, choices=("vpc", "classic"))
        vpc_id = r.get(obj, "vpc_id", path, str, default=None)
        vswitch_id = r.get(obj, "vswitch_id", path, str, default=None)
        if network == "vpc" and (vpc_id is None or vswitch_id is None):
            raise r.fail(f"{path}.vpc_id", "a vpc instance needs vpc_id and vswitch_id")
        if network == "classic" and (vpc_id or vswitch_id):
            raise r.fail(f"{path}.vpc_id", "a classic instance has no vpc_id or vswitch_id")
        eip = None
        if obj.get("eip") is not None:
            ep = f"{path}.eip"
            eobj = r.mapping(obj["eip"], ep)
            r.unknown_keys(eobj, {"allocation_id", "ip", "bandwidth", "internet_charge_type"}, ep)
            if network != "vpc":
                raise r.fail(ep, "only vpc instances can have an EIP")
            eip = (
                r.get(eobj, "allocation_id", ep, str),
                r.get(eobj, "ip", ep, str),
                r.get(eobj, "bandwidth", ep, int),
                r.get(eobj, "internet_charge_type", ep, str, default="PayByTraffic"),
            )
        public_ip = r.get(obj, "public_ip", path, str, default=None)
        if public_ip and eip:
            raise r.fail(f"{path}.public_ip", "an instance with an EIP has no assigned public IP")
        charge = r.get(obj, "charge_type", path, str, choices=("PostPaid", "PrePaid"), default="PostPaid")
        created = r.get(obj, "created", path, str, pattern=MINUTE_TIME_RE)
        expired = r.get(obj, "expired", path, str, pattern=MINUTE_TIME_RE, default=None)
        if charge == "PrePaid" and expired is None:
            raise r.fail(f"{path}.expired", "is required for a PrePaid instance")
        tags = r.mapping(r.get(obj, "tags", path, dict, default={}), f"{path}.tags")
        for key, value in tags.items():
            if not isinstance(value, str):
                raise r.fail(f"{path}.tags.{key}", "must be a string")
        groups = r.get(obj, "security_groups", path, list, default=[])
        spec = InstanceSpec(
            instance_id=iid,
            name=r.get(obj, "name", path, str),
            region=region,
            zone=zone,
            status=r.get(obj, "status", path, str, choices=STATUSES),
            instance_type=r.get(obj, "type", path, str, pattern=re.compile(r"^ecs\.[\w-]+\.[\w-]+$")),
            cpu=_positive(r, r.get(obj, "cpu", path, int), f"{path}.cpu"),
            memory=_positive(r, r.get(obj, "memory", path, int), f"{path}.memory"),
            os_name=r.get(obj, "os_name", path, str),
            os_name_en=r.get(obj, "os_name_en", path, str, default=None),
            os_type=r.get(obj, "os_type", path, str, choices=("linux", "windows")),
            image_id=r.get(obj, "image_id", path, str, default=None),
            network=network,
            vpc_id=vpc_id,
            vswitch_id=vswitch_id,
            private_ip=r.get(obj, "private_ip", path, str),
            public_ip=public_ip,
            eip=eip,
            bandwidth_out=r.get(obj, "bandwidth_out", path, int, default=0),
            charge_type=charge,
            internet_charge_type=r.get(obj, "internet_charge_type", path, str, default=None),
            created=created,
            expired=expired,
            tags=dict(tags),
            key_pair=r.get(obj, "key_pair", path, str, default=None),
            security_groups=[str(g) for g in groups],
            description=r.get(obj, "description", path, str, default=""),
            hostname=r.get(obj, "hostname", path, str, default=None),
            deletion_protection=r.get(obj, "deletion_protection", path, bool, default=False),
            serial_number=str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecs-emulator:{iid}")),
            account_id=account_id,
        )
        out.append(build_instance(spec))
    return out


def _positive(r: _Reader, value: int, path: str) -> int:
    if value <= 0:
        raise r.fail(path, "must be a positive integer")
    return value


def _nodes(r: _Reader, raw: Any, instance_ids: set[str], roles: Mapping[str, Role]) -> list[Node]:
    out: list[Node] = []
    for i, item in enumerate(r.sequence(raw, "nodes")):
        path = f"nodes[{i}]"
        obj = r.mapping(item, path)
        r.unknown_keys(obj, {"instance_id", "role"}, path)
        iid = r.get(obj, "instance_id", path, str)
        if iid not in instance_ids:
            raise r.fail(f"{path}.instance_id", f"unknown instance {iid!r}")
        role = r.get(obj, "role", path, str, default=None)
        if role is not None and role not in roles:
            raise r.fail(f"{path}.role", f"unknown role {role!r}")
        out.append(Node(iid, role))
    return out
