"""The ROS template: structure, references, the RAM role and policy, CLB health checks, the install step."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ecs_assistant.cli import main
from ecs_assistant.deploy_commands import least_privilege_policy
from tests.unit.deploy.ros_check import check_template, schema, used_parameters
from tests.unit.deploy.ros_schema_extract import WANTED

REPO = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = REPO / "deploy" / "ros" / "ecs-assistant.yaml"
INSTALL_SH = REPO / "deploy" / "install.sh"

# Resource types named in deployment.md §1.4 / §7.4: the ones the schema extractor took data for.
REFERENCE_TYPES = set(WANTED)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return loaded


def _resources_of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = _resources_of_type(template, kind)
    assert len(found) == 1, f"expected exactly one {kind}"
    return found[0]


def _parameter_default(template: dict[str, Any], value: Any) -> Any:
    """The default of a `{Ref: Parameter}` value (the value itself when it is a literal)."""
    if isinstance(value, dict) and "Ref" in value:
        return template["Parameters"][value["Ref"]].get("Default")
    return value


def test_template_passes_the_offline_check(template: dict[str, Any]) -> None:
    assert check_template(template) == []


def test_uses_only_resource_types_from_the_reference(template: dict[str, Any]) -> None:
    used = {resource["Type"] for resource in template["Resources"].values()}
    assert used <= REFERENCE_TYPES
    assert set(schema()) >= REFERENCE_TYPES  # every listed type has schema data to check against


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t["Resources"]["Install"]["Properties"].pop("CommandContent"), "required property"),
        (
            lambda t: t["Resources"]["Install"]["Properties"].__setitem__("CommandContnet", "x"),
            "unknown property 'CommandContnet'",
        ),
        (
            lambda t: t["Resources"]["Nodes"]["Properties"].__setitem__("ZoneId", {"Ref": "Zone"}),
            "Ref to unknown",
        ),
        (
            lambda t: t["Resources"]["Listener"]["Properties"]["HealthCheck"].__setitem__("Intervall", 2),
            "unknown property 'Intervall'",
        ),
        (
            lambda t: t["Outputs"]["RoleName"].__setitem__("Value", {"Fn::GetAtt": ["Role", "Name"]}),
            "Fn::GetAtt Role.Name",
        ),
        (
            lambda t: t["Outputs"]["ServiceUrl"].__setitem__("Value", {"Fn::Sub": "http://${Slb.Ip}/"}),
            "Fn::Sub ${Slb.Ip}",
        ),
        (lambda t: t["Resources"]["Attach"].__setitem__("DependsOn", "Installer"), "DependsOn"),
        (lambda t: t["Resources"]["Slb"].__setitem__("Type", "ALIYUN::SLB::Balancer"), "unknown or unlisted"),
    ],
)
def test_the_offline_check_catches_mistakes(template: dict[str, Any], mutate: Any, expected: str) -> None:
    broken = copy.deepcopy(template)
    mutate(broken)
    problems = check_template(broken)
    assert any(expected in problem for problem in problems), problems


def test_every_parameter_is_used(template: dict[str, Any]) -> None:
    assert used_parameters(template) == set(template["Parameters"])


def test_ram_policy_is_exactly_the_deploy_policy(template: dict[str, Any]) -> None:
    role = _one(template, "ALIYUN::RAM::Role")
    policies = role["Properties"]["Policies"]
    assert len(policies) == 1
    assert policies[0]["PolicyDocument"] == least_privilege_policy()
    # ... and the CLI prints the same document.
    result = CliRunner().invoke(main, ["deploy", "policy"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == policies[0]["PolicyDocument"]
    statement = json.loads(result.output)["Statement"]
    assert statement == [
        {
            "Effect": "Allow",
            "Action": ["ecs:DescribeInstances", "ecs:DescribeInstanceStatus"],
            "Resource": "*",
        }
    ]
    assert "PolicyAttachments" not in role["Properties"]  # no system policy widens it


def test_role_is_trusted_by_ecs_only(template: dict[str, Any]) -> None:
    document = _one(template, "ALIYUN::RAM::Role")["Properties"]["AssumeRolePolicyDocument"]
    assert document["Version"] == "1"
    assert document["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}
    ]


def test_nodes_are_two_alibaba_cloud_linux_3_instances_with_the_role(template: dict[str, Any]) -> None:
    nodes = _one(template, "ALIYUN::ECS::InstanceGroup")["Properties"]
    assert nodes["MaxAmount"] == 2
    assert nodes["RamRoleName"] == {"Fn::GetAtt": ["Role", "RoleName"]}
    assert str(_parameter_default(template, nodes["ImageId"])).startswith("aliyun_3_x64_")
    assert _parameter_default(template, nodes["HttpTokens"]) == "required"  # IMDSv2, as the service uses
    assert template["Parameters"]["InstancePassword"]["NoEcho"] is True


def test_listener_health_check_matches_the_documented_values(template: dict[str, Any]) -> None:
    """deployment.md §7.3: HEAD /healthz every 2 s, timeout 2 s, thresholds 2/2, http_2xx; all parameters."""
    listener = _one(template, "ALIYUN::SLB::Listener")["Properties"]
    check = listener["HealthCheck"]
    assert check["Switch"] == "on"
    assert check["HealthCheckMethod"] == "head"
    assert check["HttpCode"] == "http_2xx"
    expected = {
        "URI": "/healthz",
        "Interval": 2,
        "Timeout": 2,
        "HealthyThreshold": 2,
        "UnhealthyThreshold": 2,
    }
    for key, value in expected.items():
        assert "Ref" in check[key], f"{key} should be a parameter"
        assert _parameter_default(template, check[key]) == value, key
    assert (listener["Protocol"], listener["ListenerPort"], listener["BackendServerPort"]) == ("http", 80, 80)
    assert listener["Bandwidth"] == -1 and listener["Scheduler"] == "wrr"
    assert listener["Persistence"] == {"StickySession": "off", "XForwardedFor": "on"}
    # Outermost timeout: above nginx's 35 s read timeout; idle below nginx's 65 s keep-alive.
    assert listener["RequestTimeout"] == 60 and listener["IdleTimeout"] == 15
    # The parameter ranges allow only what CLB's API accepts (deployment.md §2).
    assert template["Parameters"]["HealthCheckInterval"]["MaxValue"] == 50
    assert template["Parameters"]["UnhealthyThreshold"]["MinValue"] == 2


def test_backends_are_attached_only_after_the_install(template: dict[str, Any]) -> None:
    attach = _one(template, "ALIYUN::SLB::BackendServerAttachment")
    assert attach["DependsOn"] == "Install"
    servers = attach["Properties"]["BackendServers"]
    assert [s["ServerId"]["Fn::Select"][0] for s in servers] == ["0", "1"]
    assert all(s["ServerId"]["Fn::Select"][1] == {"Fn::GetAtt": ["Nodes", "InstanceIds"]} for s in servers)
    assert all(s["Weight"] == 100 for s in servers)


def test_security_group_opens_http_and_the_peer_port_between_nodes(template: dict[str, Any]) -> None:
    group = _one(template, "ALIYUN::ECS::SecurityGroup")["Properties"]
    assert [rule["PortRange"] for rule in group["SecurityGroupIngress"]] == ["80/80"]
    peer = _one(template, "ALIYUN::ECS::SecurityGroupIngress")["Properties"]
    assert peer["PortRange"] == "8081/8081"
    group_id = {"Fn::GetAtt": ["SecurityGroup", "SecurityGroupId"]}
    assert peer["SourceGroupId"] == peer["SecurityGroupId"] == group_id
    # The same port as install.sh's internal listener.
    assert re.search(r"^readonly INTERNAL_PORT=8081$", INSTALL_SH.read_text(), re.MULTILINE)


def _install_script(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    run = _one(template, "ALIYUN::ECS::RunCommand")["Properties"]
    text, variables = run["CommandContent"]["Fn::Sub"]
    return text, variables


def test_run_command_installs_on_both_nodes_synchronously(template: dict[str, Any]) -> None:
    run = _one(template, "ALIYUN::ECS::RunCommand")["Properties"]
    assert run["InstanceIds"] == {"Fn::GetAtt": ["Nodes", "InstanceIds"]}
    assert run["Type"] == "RunShellScript" and run["Sync"] is True
    assert run["Timeout"] >= 600  # the default 60 s is far too short for package installs
    _, variables = _install_script(template)
    assert variables["NodeIps"] == {"Fn::Join": [",", {"Fn::GetAtt": ["Nodes", "PrivateIps"]}]}


def _substituted(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return re.sub(r"\$\{([^}!]*)\}", replace, text)


def test_run_command_script_is_bash_and_calls_install_sh_with_known_flags(template: dict[str, Any]) -> None:
    text, _ = _install_script(template)
    values = {
        "AppArchiveUrl": "https://example.invalid/ecs-assistant.tar.gz",
        "NodeIps": "10.0.0.1,10.0.0.2",
        "Regions": "cn-hangzhou",
        "PipIndexUrl": "",
    }
    script = _substituted(text, values)
    assert "${" not in script  # shell variables must be written $var inside Fn::Sub
    result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "/deploy/install.sh" in script and "--node-ips '10.0.0.1,10.0.0.2'" in script
    help_text = subprocess.run(
        ["bash", str(INSTALL_SH), "--help"], capture_output=True, text=True, check=True
    ).stdout
    curl_and_tar = {"--retry", "--retry-delay", "--strip-components"}
    for flag in set(re.findall(r"(--[a-z][a-z-]+)", script)) - curl_and_tar:
        assert flag in help_text, f"install.sh has no {flag}"
