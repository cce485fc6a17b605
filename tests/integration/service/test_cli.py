"""The service commands against the emulator: lookup, list, doctor, settings."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from ecs_assistant.service_commands import doctor, list_instances, lookup, show_settings
from ecs_assistant.settings import render_markdown_table


def env_for(emulator: Any, **extra: str) -> dict[str, str]:
    env = {
        "ECS_ASSISTANT_REGIONS": "cn-hangzhou,cn-beijing",
        "ECS_ASSISTANT_ENDPOINT": emulator.endpoint,
        "ECS_ASSISTANT_PROTOCOL": "http",
        "ECS_ASSISTANT_METADATA_URL": emulator.metadata_urls[0],
        "ECS_ASSISTANT_ACCESS_LOG": "false",
    }
    env.update(extra)
    return env


def test_lookup_json_and_table(emulator: Any) -> None:
    ids = [item["InstanceId"] for item in emulator.control.instances("cn-beijing")[:2]]
    runner = CliRunner()
    result = runner.invoke(lookup, [*ids, "--json"], env=env_for(emulator))
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [item["instanceId"] for item in body["instances"]] == ids
    assert body["notFound"] == []
    table = runner.invoke(lookup, [ids[0], "i-bp1doesnotexist000000"], env=env_for(emulator))
    assert table.exit_code == 1  # one of them was not found
    assert ids[0] in table.output
    assert "not found: i-bp1doesnotexist000000" in table.output


def test_lookup_rejects_bad_ids_without_a_traceback(emulator: Any) -> None:
    result = CliRunner().invoke(lookup, ["nonsense"], env=env_for(emulator))
    assert result.exit_code == 1
    assert "InvalidInstanceId" in result.output
    assert "Traceback" not in result.output


def test_list_with_filters(emulator: Any) -> None:
    stopped = [i for i in emulator.control.instances("cn-beijing") if i["Status"] == "Stopped"]
    result = CliRunner().invoke(
        list_instances, ["--region", "cn-beijing", "--status", "Stopped", "--json"], env=env_for(emulator)
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["totalCount"] == len(stopped)
    assert {item["instanceId"] for item in body["instances"]} <= {i["InstanceId"] for i in stopped}


def test_doctor_all_green(emulator: Any) -> None:
    result = CliRunner().invoke(doctor, ["--json"], env=env_for(emulator))
    assert result.exit_code == 0, result.output
    checks = {check["name"]: check for check in json.loads(result.output)}
    expected = ["metadata reachable", "IMDSv2", "RAM role attached", "STS credentials", "endpoint reachable"]
    expected += ["DescribeInstances allowed (cn-hangzhou)", "DescribeInstances allowed (cn-beijing)"]
    for name in expected:
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["RAM role attached"]["detail"] == "EcsRamRoleTest"
    assert checks["clock skew"]["status"] in ("ok", "skip")


def test_doctor_reports_missing_permission_with_a_fix(emulator: Any) -> None:
    emulator.control.set_node_role(0, "EcsRamRoleNoAccess")
    result = CliRunner().invoke(doctor, ["--json"], env=env_for(emulator))
    assert result.exit_code == 1
    checks = {check["name"]: check for check in json.loads(result.output)}
    denied = checks["DescribeInstances allowed (cn-hangzhou)"]
    assert denied["status"] == "fail"
    assert "may not call ecs:DescribeInstances" in denied["detail"]
    assert "Grant the role" in denied["fix"]


def test_doctor_without_metadata_or_role(emulator: Any) -> None:
    unreachable = CliRunner().invoke(
        doctor, ["--json"], env=env_for(emulator, ECS_ASSISTANT_METADATA_URL="http://127.0.0.1:9")
    )
    assert unreachable.exit_code == 1
    checks = {check["name"]: check for check in json.loads(unreachable.output)}
    assert checks["metadata reachable"]["status"] == "fail"
    assert "ECS_ASSISTANT_METADATA_URL" in checks["metadata reachable"]["fix"]
    emulator.control.set_node_role(0, None)
    detached = CliRunner().invoke(doctor, ["--json"], env=env_for(emulator))
    checks = {check["name"]: check for check in json.loads(detached.output)}
    assert checks["RAM role attached"]["status"] == "fail"
    assert "Attach a RAM role" in checks["RAM role attached"]["fix"]


def test_doctor_text_output(emulator: Any) -> None:
    result = CliRunner().invoke(doctor, [], env=env_for(emulator))
    assert result.exit_code == 0, result.output
    assert "IMDSv2" in result.output and "DescribeInstances allowed" in result.output


def test_settings_command() -> None:
    runner = CliRunner()
    markdown = runner.invoke(show_settings, ["--markdown"])
    assert markdown.exit_code == 0 and markdown.output == render_markdown_table()
    table = runner.invoke(show_settings, [])
    assert "ECS_ASSISTANT_CACHE_TTL" in table.output
    values = runner.invoke(show_settings, ["--values"], env={"ECS_ASSISTANT_API_KEYS": "k-secret"})
    assert values.exit_code == 0
    assert json.loads(values.output)["ECS_ASSISTANT_API_KEYS"] == "<redacted>"
    bad = runner.invoke(show_settings, ["--values"], env={"ECS_ASSISTANT_CACHE_TTL": "soon"})
    assert bad.exit_code == 1 and "ECS_ASSISTANT_CACHE_TTL='soon': expected a number" in bad.output


def test_lookup_without_metadata_explains_in_plain_lines(emulator: Any) -> None:
    instance_id = emulator.control.instances("cn-hangzhou")[0]["InstanceId"]
    env = env_for(emulator, ECS_ASSISTANT_METADATA_URL="http://127.0.0.1:9")
    result = CliRunner().invoke(lookup, [instance_id], env=env)
    assert result.exit_code == 1
    assert "CredentialsUnavailable" in result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert warnings, result.output  # a readable warning line, not Python's bare last-resort message
    assert all("{" not in line for line in warnings)  # plain text, not a JSON log record
    assert "Traceback" not in result.output
