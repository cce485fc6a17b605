"""`ecs-assistant stack` as a user runs it: up in the foreground, then down / Ctrl-C from elsewhere."""

from __future__ import annotations

import fcntl
import io
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from rich.console import Console

from ecs_assistant.stack import binaries, control
from ecs_assistant.stack import cli as stack_cli
from ecs_assistant.stack.errors import StackError
from ecs_assistant.stack.ports import (
    DEFAULT_EMULATOR_PORT,
    DEFAULT_METADATA_PORT,
    DEFAULT_STATS_PORT,
    INTERNAL_OFFSET,
    plan_ports,
    port_is_listening,
)
from ecs_assistant.stack.processes import group_alive
from ecs_assistant.stack.runner import LOCK_FILE, STATE_FILE, LocalStack, run_dir_flag
from tests.stack.conftest import REPO, STANDIN

CLI = [str(Path(sys.executable).parent / "ecs-assistant"), "stack"]
STANDIN_ARGS = ["--wsgi", "tests.stack.standin_app:application", "--pythonpath", str(REPO)] if STANDIN else []


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False, cwd=REPO
    )


def _wait_ready(run_dir: Path, up: subprocess.Popen[str], timeout: float = 90) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert up.poll() is None, up.communicate()[0]
        try:
            return dict(control.send(run_dir, "status", timeout=10))
        except StackError:
            time.sleep(0.2)
    raise AssertionError("stack up did not become ready")


def _ports_of(status: dict[str, object], run_dir: Path) -> list[int]:
    urls = [str(status["url"]), str(status["stats_url"])]
    urls += [str(n["url"]) for n in status["nodes"]]  # type: ignore[attr-defined]
    if status.get("emulator_url"):
        urls.append(str(status["emulator_url"]))
    ports = [int(url.rstrip("/").rsplit(":", 1)[1]) for url in urls]
    # The peer-fallback listeners and the metadata listeners, from the rendered configs.
    for conf in run_dir.glob("node*/nginx-node.conf"):
        ports += [int(p) for p in __import__("re").findall(r"listen 127\.0\.0\.1:(\d+)", conf.read_text())]
    return sorted(set(ports))


@pytest.fixture
def up_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    run_dir = tmp_path / "run"
    up = subprocess.Popen(
        [*CLI, "up", "--nodes", "2", "--port", "0", "--run-dir", str(run_dir), *STANDIN_ARGS],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )
    try:
        yield up, run_dir
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGINT)
            up.wait(timeout=60)


def _assert_all_gone(state: dict[str, object], ports: list[int]) -> None:
    groups = state["process_groups"]
    assert isinstance(groups, dict)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(group_alive(int(p)) for p in groups.values()):
        time.sleep(0.1)
    assert [name for name, pgid in groups.items() if group_alive(int(pgid))] == []
    assert [port for port in ports if port_is_listening(port)] == []


@pytest.mark.stack
def test_up_then_down_leaves_no_process_and_no_listening_port(
    up_process: tuple[subprocess.Popen[str], Path],
) -> None:
    up, run_dir = up_process
    status = _wait_ready(run_dir, up)
    state = json.loads((run_dir / STATE_FILE).read_text())
    ports = _ports_of(status, run_dir)
    assert len(state["process_groups"]) == 6  # HAProxy, emulator, 2 x (nginx, uWSGI)
    assert all(port_is_listening(port) for port in ports)

    # A second `up` from the same run directory is refused with one line, and harms nothing.
    second = _cli("up", "--port", "0", "--run-dir", str(run_dir), *STANDIN_ARGS)
    assert second.returncode != 0
    assert "already running" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert "Traceback" not in second.stderr

    down = _cli("down", "--run-dir", str(run_dir))
    assert down.returncode == 0, down.stderr
    assert up.wait(timeout=30) == 0
    output = up.stdout.read() if up.stdout else ""
    assert "ready" in output and "/api/v1/instances/i-" in output
    assert "lookup microcache 1 s" in output  # on by default, and said so
    _assert_all_gone(state, ports)
    again = _cli("down", "--run-dir", str(run_dir))
    assert again.returncode != 0 and "no stack is running" in again.stderr


@pytest.mark.stack
def test_ctrl_c_on_up_stops_everything(up_process: tuple[subprocess.Popen[str], Path]) -> None:
    up, run_dir = up_process
    status = _wait_ready(run_dir, up)
    state = json.loads((run_dir / STATE_FILE).read_text())
    ports = _ports_of(status, run_dir)
    up.send_signal(signal.SIGINT)
    assert up.wait(timeout=60) == 0
    _assert_all_gone(state, ports)


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli("up", "--port", str(port), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 1
    assert f"port {port} (balancer) is already in use" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_missing_world_file_is_one_line(tmp_path: Path) -> None:
    result = _cli("up", "--world", str(tmp_path / "nope.yaml"), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"Error: world file {tmp_path / 'nope.yaml'} does not exist"


def test_fixed_port_in_use_points_to_port_zero() -> None:
    """--port moves the balancer and the nodes only; for a busy stats port the way out is --port 0."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        stats = busy.getsockname()[1]
        ports = replace(plan_ports(1, 0), stats=stats)
        with pytest.raises(StackError) as caught:
            ports.check_free(with_emulator=True)
    message = str(caught.value)
    assert f"port {stats} (HAProxy stats) is already in use" in message
    assert "--port 0" in message and "pick other ports with --port" not in message


@pytest.mark.parametrize(
    ("port", "nodes", "clash"),
    [
        (DEFAULT_STATS_PORT - 1, 1, ("node 1", "HAProxy stats")),
        (DEFAULT_EMULATOR_PORT - INTERNAL_OFFSET - 2, 2, ("node 2 internal", "emulator")),
        (DEFAULT_METADATA_PORT, 1, ("balancer", "node 1 metadata")),
    ],
)
def test_overlapping_ports_are_one_line(port: int, nodes: int, clash: tuple[str, str]) -> None:
    """A --port whose node ports land on a fixed port is refused up front, not left to HAProxy to fail."""
    with pytest.raises(StackError) as caught:
        plan_ports(nodes, port).check_free(with_emulator=True)
    message = str(caught.value)
    assert all(f"({name})" in message for name in clash), message
    assert "\n" not in message and "--port 0" in message


def test_overlap_with_emulator_ports_is_fine_without_emulator() -> None:
    plan_ports(1, DEFAULT_METADATA_PORT).check_distinct(with_emulator=False)


def test_second_up_names_the_run_dir_in_its_hint(tmp_path: Path) -> None:
    """With a non-default run directory, the suggested `stack down` must say which one, or it misses."""
    run_dir = tmp_path / "my run"
    run_dir.mkdir()
    with (run_dir / LOCK_FILE).open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(StackError) as caught:
            LocalStack(nodes=1, port=0, run_dir=run_dir).start()
    assert f"`ecs-assistant stack down --run-dir '{run_dir.resolve()}'`" in str(caught.value)


def test_run_dir_flag_is_empty_for_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_dir_flag(Path(".stack")) == ""
    assert run_dir_flag(tmp_path / ".stack") == ""
    assert run_dir_flag(tmp_path / "other") == f" --run-dir {tmp_path / 'other'}"


def test_banner_commands_carry_a_non_default_run_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = io.StringIO()
    monkeypatch.setattr(stack_cli, "console", Console(file=out, width=100, highlight=False))
    local = SimpleNamespace(
        example_instance_id=lambda: "i-bp15jnqzu9yvqkwmc0fq",
        url="http://127.0.0.1:9300",
        stats_url="http://127.0.0.1:8404/",
        emulator_url="http://127.0.0.1:18000",
        real_cloud=False,
        nodes=[],
        ready_seconds=1.0,
        profile="fast",
        microcache_seconds=1,
        run_dir=tmp_path / "run",
    )
    stack_cli._print_banner(local)  # type: ignore[arg-type]
    text = out.getvalue()
    assert f"`ecs-assistant stack kill-node 1 --run-dir {tmp_path / 'run'}`" in text
    assert f"`stack stop-node 1 --drain --run-dir {tmp_path / 'run'}`" in text


def test_stop_node_hint_names_the_run_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = io.StringIO()
    monkeypatch.setattr(stack_cli, "console", Console(file=out, width=200, highlight=False))
    monkeypatch.setattr(stack_cli, "_send", lambda run_dir, command, **args: None)
    result = CliRunner().invoke(stack_cli.stack, ["stop-node", "1", "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert f"`stack start-node 1 --run-dir {tmp_path / 'run'}` brings it back" in out.getvalue()


def test_missing_binary_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(binaries, "_SYSTEM_DIRS", ())
    with pytest.raises(StackError, match=r"nginx is not installed .*apt-get install -y nginx"):
        LocalStack(nodes=1, run_dir=tmp_path / "run").start()


def test_commands_without_a_running_stack_say_so(tmp_path: Path) -> None:
    for command in (["down"], ["status"], ["kill-node", "1"]):
        result = _cli(*command, "--run-dir", str(tmp_path))
        assert result.returncode == 1
        assert "no stack is running" in result.stderr and "Traceback" not in result.stderr


def test_node_count_out_of_range_is_refused(tmp_path: Path) -> None:
    result = _cli("up", "--nodes", "9", "--run-dir", str(tmp_path))
    assert result.returncode == 2 and "--nodes" in result.stderr


@pytest.mark.stack
def test_a_node_that_cannot_start_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    stack = LocalStack(nodes=1, port=0, run_dir=tmp_path / "run", env={"ECS_ASSISTANT_CACHE_TTL": "abc"})
    with pytest.raises(
        StackError, match=r"node1 uWSGI exited during start.*ECS_ASSISTANT_CACHE_TTL='abc'"
    ) as info:
        stack.start()
    assert "\n" not in str(info.value)
    assert stack.emulator is not None and not stack.emulator.alive()
    assert all(not p.alive() for node in stack.nodes for p in node.processes())
    assert [port for port in stack._ports.nodes if port_is_listening(port)] == []


@pytest.mark.parametrize("ttl", ["-1", "3601", "soon"])
def test_bad_microcache_ttl_is_refused_in_one_line(tmp_path: Path, ttl: str) -> None:
    result = _cli("up", "--port", "0", "--microcache", ttl, "--run-dir", str(tmp_path / "run"))
    assert result.returncode != 0
    assert "--microcache" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run" / STATE_FILE).exists()
    with pytest.raises(StackError, match="--microcache"):
        LocalStack(microcache_seconds=-1, run_dir=tmp_path / "other")
