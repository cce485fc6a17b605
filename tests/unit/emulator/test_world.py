"""World loading: the default world meets the shared contract; bad files name file, path and problem."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_assistant.emulator.openapi.policy import Decision, evaluate
from ecs_assistant.emulator.world import WorldError, default_world_path, load_world, parse_world

RESOURCE = "acs:ecs:cn-hangzhou:1:instance/*"


@pytest.fixture(scope="module")
def default_raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(default_world_path().read_text(encoding="utf-8"))
    return data


def test_default_world_regions_instances_and_key() -> None:
    world = load_world()
    assert {"cn-hangzhou", "cn-beijing", "cn-shanghai"} <= set(world.regions)
    assert len(world.instances) >= 40
    key = world.access_keys["LTAI5tEmulatorDefault0001"]
    assert key.secret == "EmulatorDefaultSecretNotReal0001"
    assert (
        evaluate([world.policies[p] for p in key.policies], "ecs:DescribeRegions", RESOURCE) is Decision.ALLOW
    )


def test_default_world_roles_have_exactly_the_contract_permissions() -> None:
    world = load_world()
    test_role = [world.policies[p] for p in world.roles["EcsRamRoleTest"].policies]
    for action in ("ecs:DescribeInstances", "ecs:DescribeInstanceStatus"):
        assert evaluate(test_role, action, RESOURCE) is Decision.ALLOW
    for action in ("ecs:DescribeRegions", "ecs:StopInstance", "ram:ListRoles"):
        assert evaluate(test_role, action, RESOURCE) is Decision.IMPLICIT_DENY
    no_access = [world.policies[p] for p in world.roles["EcsRamRoleNoAccess"].policies]
    assert evaluate(no_access, "ecs:DescribeInstances", RESOURCE) is Decision.IMPLICIT_DENY


def test_default_world_nodes_are_running_hangzhou_instances_with_the_test_role() -> None:
    world = load_world()
    by_id = {i["InstanceId"]: i for i in world.instances}
    assert len(world.nodes) >= 8
    assert len({n.instance_id for n in world.nodes}) == len(world.nodes)
    for node in world.nodes:
        assert node.role == "EcsRamRoleTest"
        assert by_id[node.instance_id]["RegionId"] == "cn-hangzhou"
        assert by_id[node.instance_id]["Status"] == "Running"


def test_default_world_has_realistic_variety() -> None:
    instances = load_world().instances
    statuses = Counter(i["Status"] for i in instances)
    assert statuses["Running"] and statuses["Stopped"]
    assert statuses["Starting"] + statuses["Stopping"] + statuses["Pending"] > 0
    kinds = set()
    for i in instances:
        if i["InstanceNetworkType"] == "classic":
            kinds.add("classic+public" if i["PublicIpAddress"]["IpAddress"] else "classic")
        elif i["EipAddress"]["IpAddress"]:
            kinds.add("vpc+eip")
        elif i["PublicIpAddress"]["IpAddress"]:
            kinds.add("vpc+public")
        else:
            kinds.add("vpc-private")
    assert kinds == {"classic+public", "vpc+eip", "vpc+public", "vpc-private"}
    assert {i["OSType"] for i in instances} == {"linux", "windows"}
    assert {i["InstanceChargeType"] for i in instances} == {"PrePaid", "PostPaid"}
    assert any("Tags" in i for i in instances) and any("Tags" not in i for i in instances)
    for i in instances:
        assert i["InstanceId"].startswith("i-") and len(i["InstanceId"]) == 22


def test_default_world_instance_shape_rules() -> None:
    for i in load_world().instances:
        assert isinstance(i["Memory"], int) and isinstance(i["Cpu"], int)
        assert i["InternetMaxBandwidthIn"] == -1
        assert len(i["CreationTime"]) == len("2024-01-16T03:13Z")
        if i["InstanceChargeType"] == "PostPaid":
            assert i["ExpiredTime"] == "2099-12-31T15:59Z"
        if not i["EipAddress"]["IpAddress"]:
            assert i["EipAddress"] == {"AllocationId": "", "IpAddress": "", "InternetChargeType": ""}
        else:
            assert isinstance(i["EipAddress"]["Bandwidth"], int)
        if i["InstanceNetworkType"] == "vpc":
            assert i["InnerIpAddress"]["IpAddress"] == []
            assert i["VpcAttributes"]["PrivateIpAddress"]["IpAddress"]
        assert i["HostName"] == f"iZ{i['InstanceId'][2:]}Z"


def _broken(raw: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    target = data
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "where", "problem"),
    [
        (["instances", 3, "status"], "Runing", "instances[3].status", "is not one of"),
        (["instances", 0, "id"], "bad-id", "instances[0].id", "does not match"),
        (["instances", 1, "cpu"], "two", "instances[1].cpu", "must be an integer"),
        (["instances", 2, "region"], "mars-1", "instances[2].region", "is not one of"),
        (["instances", 4, "zone"], "cn-beijing-x", "instances[4].zone", "is not a zone of region"),
        (["instances", 5, "name"], KeyError, "instances[5].name", "is required"),
        (["instances", 6, "colour"], "red", "instances[6].colour", "unknown key"),
        (["nodes", 1, "role"], "NoSuchRole", "nodes[1].role", "unknown role"),
        (["nodes", 0, "instance_id"], "i-doesnotexist00", "nodes[0].instance_id", "unknown instance"),
        (["roles", 0, "policies"], ["Nope"], "roles[0].policies[0]", "unknown policy"),
        (["access_keys", 0, "secret"], KeyError, "access_keys[0].secret", "is required"),
        (
            ["settings", "metadata_http_tokens"],
            "sometimes",
            "settings.metadata_http_tokens",
            "optional or required",
        ),
        (["settings", "check_signatures"], "yes", "settings.check_signatures", "true or false"),
        (["regions"], [], "regions", "at least one region"),
    ],
)
def test_bad_world_names_file_path_and_problem(
    default_raw: dict[str, Any], path: list[Any], value: Any, where: str, problem: str
) -> None:
    with pytest.raises(WorldError) as excinfo:
        parse_world(_broken(default_raw, path, value), "my-world.yaml")
    assert excinfo.value.path == where
    assert problem in excinfo.value.problem
    message = str(excinfo.value)
    assert message.startswith("world file my-world.yaml: at ")
    assert where in message and problem in message


def test_duplicate_instance_ids_are_refused(default_raw: dict[str, Any]) -> None:
    data = copy.deepcopy(default_raw)
    data["instances"].append(copy.deepcopy(data["instances"][0]))
    with pytest.raises(WorldError, match=r"instances\[\d+\]\.id: duplicate instance"):
        parse_world(data, "w.yaml")


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("regions: [\n  {id: cn-hangzhou\n", encoding="utf-8")
    with pytest.raises(WorldError) as excinfo:
        load_world(bad)
    assert str(bad) in str(excinfo.value)
    assert "line" in excinfo.value.path
    assert "not valid YAML" in excinfo.value.problem


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match="cannot be read"):
        load_world(tmp_path / "absent.yaml")
    with pytest.raises(WorldError, match="must be a mapping"):
        parse_world(["a"], "w.yaml")
