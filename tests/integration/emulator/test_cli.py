"""`ecs-assistant emulator` as a real process: listeners printed, clean exit, bad world messages."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

CLI = [sys.executable, "-c", "from ecs_assistant.cli import main; main()", "emulator"]


def test_bad_world_file_exits_nonzero_naming_file_path_and_problem(tmp_path: Path) -> None:
    world = tmp_path / "broken-world.yaml"
    world.write_text(
        "regions: [{id: cn-hangzhou}]\n"
        "instances:\n"
        "  - {id: i-bp1aaaaaaaaaaaaaaaaa, name: x, region: cn-hangzhou, zone: cn-hangzhou-k,\n"
        "     status: Runing,\n"
        "     type: ecs.g7.large, cpu: 2, memory: 8192, os_name: L, os_type: linux, network: classic,\n"
        "     private_ip: 10.0.0.1, created: 2024-01-01T00:00Z}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [*CLI, "--world", str(world), "--port", "0"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    message = result.stderr.strip()
    assert str(world) in message
    assert "instances[0].status" in message
    assert "'Runing' is not one of" in message
    assert "Traceback" not in result.stderr


def test_runs_until_sigterm_and_prints_one_line_per_listener() -> None:
    options = ["--metadata-nodes", "2", "--sts-lifetime", "900", "--metadata-http-tokens", "required"]
    process = subprocess.Popen(
        [*CLI, "--port", "0", "--metadata-port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        urls = [re.search(r"http://127\.0\.0\.1:\d+", line).group(0) for line in lines]  # type: ignore[union-attr]
        assert (
            lines[0].startswith("openapi")
            and lines[1].startswith("metadata")
            and lines[2].startswith("metadata")
        )
        health = requests.get(f"{urls[0]}/__emulator/health", timeout=5).json()
        assert health["metadata_urls"] == urls[1:]
        assert requests.get(f"{urls[0]}/__emulator/sts", timeout=5).json()["lifetime_seconds"] == 900
        region = f"{urls[2]}/latest/meta-data/region-id"
        assert requests.get(region, timeout=5).status_code == 401  # hardened-only: token required
        token = requests.put(
            f"{urls[2]}/latest/api/token",
            headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "10"},
            timeout=5,
        ).text
        assert (
            requests.get(region, headers={"X-aliyun-ecs-metadata-token": token}, timeout=5).text
            == "cn-hangzhou"
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("nodes", ["99"])
def test_more_nodes_than_the_world_defines_is_refused(nodes: str) -> None:
    result = subprocess.run(
        [*CLI, "--port", "0", "--metadata-port", "0", "--metadata-nodes", nodes],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "metadata nodes" in result.stderr
