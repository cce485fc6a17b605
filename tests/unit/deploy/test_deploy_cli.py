"""`ecs-assistant deploy render` and `deploy policy`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ecs_assistant.cli import main
from ecs_assistant.deploy_commands import least_privilege_policy
from ecs_assistant.stack.render import DEFAULT_MICROCACHE_SECONDS, MAX_MICROCACHE_SECONDS


def _deploy(*args: str) -> Result:
    return CliRunner().invoke(main, ["deploy", *args])


def _environment(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_render_writes_the_bundle_and_lists_it(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = _deploy(
        "render",
        "--out",
        str(out),
        "--node-name",
        "node_a",
        "--peer",
        "10.0.0.2:8081",
        "--region",
        "cn-hangzhou",
        "--region",
        "cn-beijing,cn-hangzhou",
        "--env",
        "ECS_ASSISTANT_CACHE_TTL=30",
        "--nginx-group",
        "www-data",
    )
    assert result.exit_code == 0, result.output
    names = ["uwsgi.ini", "nginx-ecs-assistant.conf", "ecs-assistant-uwsgi.service", "environment"]
    assert result.output.splitlines() == [str(out / name) for name in names]
    env = _environment(out / "environment")
    assert env == {
        "ECS_ASSISTANT_NODE_NAME": "node_a",
        "ECS_ASSISTANT_CREDENTIALS": "ram_role",
        "ECS_ASSISTANT_USE_VPC_ENDPOINT": "true",
        "ECS_ASSISTANT_REGIONS": "cn-hangzhou,cn-beijing",
        "ECS_ASSISTANT_CACHE_TTL": "30",
    }
    nginx = (out / "nginx-ecs-assistant.conf").read_text()
    assert "server 10.0.0.2:8081" in nginx and "error_page 502 504 = @peer;" in nginx
    assert "set_real_ip_from 100.64.0.0/10;" in nginx  # CLB's forwarding / health-check range
    assert "chown-socket = api:www-data" in (out / "uwsgi.ini").read_text()


def test_render_without_peer_has_no_fallback_and_public_endpoint_is_optional(tmp_path: Path) -> None:
    result = _deploy("render", "--out", str(tmp_path), "--node-name", "solo", "--public-endpoint")
    assert result.exit_code == 0, result.output
    assert "@peer" not in (tmp_path / "nginx-ecs-assistant.conf").read_text()
    env = _environment(tmp_path / "environment")
    assert env["ECS_ASSISTANT_USE_VPC_ENDPOINT"] == "false"
    assert "ECS_ASSISTANT_REGIONS" not in env  # the service's own default applies


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--node-name", "node-1"], "letters, digits or underscores"),
        (["--node-name", "n", "--peer", "10.0.0.2"], "is not HOST:PORT"),
        (["--node-name", "n", "--peer", "10.0.0.2:70000"], "is not HOST:PORT"),
        (["--node-name", "n", "--region", "Hangzhou"], "is not a region ID"),
        (["--node-name", "n", "--env", "lower=1"], "is not KEY=VALUE"),
        (["--node-name", "n", "--env", "NOEQUALS"], "is not KEY=VALUE"),
        (["--node-name", "n", "--env", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=s"], "RAM role"),
        (["--node-name", "n", "--env", "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI"], "RAM role"),
        (["--node-name", "n", "--microcache", "-1"], f"between 0 and {MAX_MICROCACHE_SECONDS}"),
        (["--node-name", "n", "--microcache", str(MAX_MICROCACHE_SECONDS + 1)], "between 0 and"),
        (["--node-name", "n", "--microcache", "1s"], "is not a valid integer"),
    ],
)
def test_render_rejects_bad_input_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "bundle"
    result = _deploy("render", "--out", str(out), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "valid"),
    [([], f"{DEFAULT_MICROCACHE_SECONDS}s"), (["--microcache", "5"], "5s"), (["--microcache", "0"], None)],
)
def test_render_microcache_option_sets_or_disables_the_lookup_cache(
    tmp_path: Path, args: list[str], valid: str | None
) -> None:
    result = _deploy("render", "--out", str(tmp_path), "--node-name", "n", *args)
    assert result.exit_code == 0, result.output
    nginx = (tmp_path / "nginx-ecs-assistant.conf").read_text()
    if valid is None:  # 0: no cache path, no cached locations
        assert "uwsgi_cache" not in nginx and "X-Microcache" not in nginx
    else:
        assert nginx.count(f"uwsgi_cache_valid 200 {valid};") == 3  # the three lookup locations
        assert "uwsgi_cache_path /var/lib/nginx/ecs-assistant-microcache " in nginx


def test_render_help_states_the_real_microcache_default_and_range() -> None:
    text = " ".join(_deploy("render", "--help").output.split())
    assert f"0..{MAX_MICROCACHE_SECONDS}" in text
    assert f"Default: the render default ({DEFAULT_MICROCACHE_SECONDS} s)" in text


def test_render_reports_an_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _deploy("render", "--out", str(blocker / "sub"), "--node-name", "n")
    assert result.exit_code == 1
    assert "cannot write to" in result.output and "Traceback" not in result.output


def test_policy_prints_the_least_privilege_document() -> None:
    result = _deploy("policy")
    assert result.exit_code == 0
    assert json.loads(result.output) == least_privilege_policy()
    actions = json.loads(result.output)["Statement"][0]["Action"]
    assert sorted(actions) == ["ecs:DescribeInstanceStatus", "ecs:DescribeInstances"]


def test_policy_is_returned_as_a_copy() -> None:
    document = least_privilege_policy()
    document["Statement"][0]["Action"].append("ecs:DeleteInstance")
    assert "ecs:DeleteInstance" not in json.dumps(least_privilege_policy())
