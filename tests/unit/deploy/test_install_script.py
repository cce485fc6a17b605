"""deploy/install.sh: syntax, the dry-run plan on both distributions, the peer ring, and the real files it
renders (checked by nginx -t and by reading the uWSGI ini and systemd unit).

Every run passes --self-ip, so the script never asks the instance metadata service for its address.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from ecs_assistant.stack.render import PRODUCTION_MICROCACHE_PATH
from tests.unit.deploy.nginx_prefix import main_config, make_prefix

REPO = Path(__file__).resolve().parents[3]
INSTALL_SH = REPO / "deploy" / "install.sh"
ECS_ASSISTANT = Path(sys.executable).parent / "ecs-assistant"
NGINX = Path("/usr/sbin/nginx")


def _install(*args: str, root: Path) -> subprocess.CompletedProcess[str]:
    argv = [
        "bash",
        str(INSTALL_SH),
        "--dry-run",
        "--root",
        str(root),
        "--render-with",
        str(ECS_ASSISTANT),
        *args,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def _dry_run(tmp_path: Path, *extra: str, os_family: str = "debian") -> tuple[str, Path]:
    root = tmp_path / "root"
    result = _install(
        "--self-ip",
        "10.0.0.1",
        "--node-ips",
        "10.0.0.1,10.0.0.2",
        "--source",
        str(REPO),
        "--os",
        os_family,
        *extra,
        root=root,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, root


def _commands(stdout: str) -> list[str]:
    return [line[2:] for line in stdout.splitlines() if line.startswith("+ ")]


def _index(commands: list[str], fragment: str) -> int:
    for index, command in enumerate(commands):
        if fragment in command:
            return index
    raise AssertionError(f"no command contains {fragment!r}:\n" + "\n".join(commands))


def test_install_sh_is_valid_bash() -> None:
    result = subprocess.run(["bash", "-n", str(INSTALL_SH)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert INSTALL_SH.read_text().splitlines()[1:].count("set -euo pipefail") == 1


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_install_sh_passes_shellcheck() -> None:
    result = subprocess.run(["shellcheck", str(INSTALL_SH)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_debian_dry_run_prints_every_step_in_order(tmp_path: Path) -> None:
    stdout, root = _dry_run(tmp_path, "--region", "cn-hangzhou,cn-beijing")
    commands = _commands(stdout)
    order = [
        "apt-get install -y -q nginx python3-venv",
        "useradd --system --gid www-data",
        "/usr/bin/python3 -m venv /opt/ecs-assistant/venv",
        f"--upgrade --constraint {REPO}/requirements.lock {REPO}",
        "deploy render",
        f"{root}/etc/nginx/conf.d/ecs-assistant.conf",
        f"rm -f {root}/etc/nginx/sites-enabled/default",
        "systemctl daemon-reload",
        "systemctl enable ecs-assistant-uwsgi.service nginx.service",
        "systemctl restart ecs-assistant-uwsgi.service",
        "nginx -t",
        "systemctl reload-or-restart nginx.service",
        "http://127.0.0.1:80/healthz",
        "http://127.0.0.1:8081/healthz",
    ]
    positions = [_index(commands, fragment) for fragment in order]
    assert positions == sorted(positions)
    render = commands[_index(commands, "deploy render")]
    assert "--peer 10.0.0.2:8081" in render and "--nginx-group www-data" in render
    assert "peer 10.0.0.2" in stdout
    assert "dnf" not in stdout and "100.100.100.200" not in stdout
    # Conditional steps say so instead of pretending to run.
    assert "# only if firewalld is active" in stdout and "# only if SELinux is enforcing" in stdout


def test_dry_run_writes_only_under_root(tmp_path: Path) -> None:
    stdout, root = _dry_run(tmp_path)
    for command in _commands(stdout):
        if command.startswith(("install -D", "rm -f", "cp -p")):
            assert command.split()[-1].startswith(str(root)), command
    written = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert {
        "etc/ecs-assistant/uwsgi.ini",
        "etc/ecs-assistant/environment",
        "etc/systemd/system/ecs-assistant-uwsgi.service",
        "etc/nginx/conf.d/ecs-assistant.conf",
        "etc/nginx/nginx.conf",
    } <= written


def test_alinux_dry_run_uses_dnf_python311_and_the_nginx_group(tmp_path: Path) -> None:
    stdout, root = _dry_run(tmp_path, os_family="alinux")
    commands = _commands(stdout)
    assert _index(commands, "dnf -y install nginx") < _index(commands, "dnf -y install python3.11")
    assert "python3.12" in stdout  # the documented fallback
    assert "--gid nginx" in commands[_index(commands, "useradd")]
    assert "/usr/bin/python3.11 -m venv" in stdout
    assert "apt-get" not in stdout and "sites-enabled" not in stdout
    ini = configparser.ConfigParser(strict=False)
    ini.read(root / "etc/ecs-assistant/uwsgi.ini")
    assert ini["uwsgi"]["chown-socket"] == "api:nginx"
    assert (root / "etc/nginx/nginx.conf").read_text().startswith("#")
    main = (root / "etc/nginx/nginx.conf").read_text()
    assert "\nuser nginx;" in main and "include /etc/nginx/conf.d/*.conf;" in main
    assert _placeholders(main) == []


def test_rendered_files_agree_with_where_install_sh_puts_them(tmp_path: Path) -> None:
    _, root = _dry_run(tmp_path, "--region", "cn-hangzhou,cn-beijing")
    ini = configparser.ConfigParser(strict=False)
    ini.read(root / "etc/ecs-assistant/uwsgi.ini")
    section = ini["uwsgi"]
    assert section["module"] == "ecs_assistant.api.wsgi:application"
    assert section["virtualenv"] == "/opt/ecs-assistant/venv"
    assert section["socket"] == "/run/ecs-assistant/uwsgi.sock"
    assert section["chown-socket"] == "api:www-data"
    for key in ("strict", "master", "need-app", "die-on-term", "vacuum"):
        assert section[key] == "true", key
    assert section["harakiri"] == "30"
    assert "daemonize" not in section  # systemd supervises it
    unit = (root / "etc/systemd/system/ecs-assistant-uwsgi.service").read_text()
    assert "ExecStart=/opt/ecs-assistant/venv/bin/uwsgi --ini /etc/ecs-assistant/uwsgi.ini" in unit
    assert "EnvironmentFile=/etc/ecs-assistant/environment" in unit
    assert "Type=notify" in unit and "User=api" in unit and "Group=www-data" in unit
    env = dict(
        line.split("=", 1)
        for line in (root / "etc/ecs-assistant/environment").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["ECS_ASSISTANT_REGIONS"] == "cn-hangzhou,cn-beijing"
    assert env["ECS_ASSISTANT_CREDENTIALS"] == "ram_role"
    assert env["ECS_ASSISTANT_USE_VPC_ENDPOINT"] == "true"
    assert not any(name.startswith("ALIBABA_CLOUD_") for name in env)
    conf = (root / "etc/nginx/conf.d/ecs-assistant.conf").read_text()
    assert "server 10.0.0.2:8081" in conf and "listen 80 default_server;" in conf and "listen 8081;" in conf


def _placeholders(config: str) -> list[str]:
    code = "\n".join(line for line in config.splitlines() if not line.lstrip().startswith("#"))
    return re.findall(r"@[A-Z_]+@", code)


def _nginx_check(tmp_path: Path, root: Path, user: str) -> subprocess.CompletedProcess[str]:
    """nginx -t on the shipped main config + the rendered server file, every path inside a temp prefix."""
    prefix = make_prefix(tmp_path)
    node = (
        (root / "etc/nginx/conf.d/ecs-assistant.conf")
        .read_text()
        .replace("/var/log/nginx/", f"{prefix}/logs/")
        # nginx -t creates the cache directory: keep it in the prefix, not under the host's /var/lib/nginx.
        .replace(f"uwsgi_cache_path {PRODUCTION_MICROCACHE_PATH} ", f"uwsgi_cache_path {prefix}/microcache ")
    )
    assert PRODUCTION_MICROCACHE_PATH not in node
    (prefix / "conf.d/ecs-assistant.conf").write_text(node)
    main = main_config(prefix, user)
    assert _placeholders(main) == []
    (prefix / "nginx.conf").write_text(main)
    argv = [
        str(NGINX),
        "-t",
        "-p",
        str(prefix),
        "-c",
        str(prefix / "nginx.conf"),
        "-e",
        str(prefix / "logs/e.log"),
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.skipif(not NGINX.exists(), reason="nginx not installed")
@pytest.mark.parametrize("node_ips", ["10.0.0.1,10.0.0.2", "10.0.0.1"])
def test_rendered_nginx_config_passes_nginx_t(tmp_path: Path, node_ips: str) -> None:
    root = tmp_path / "root"
    result = _install(
        "--self-ip", "10.0.0.1", "--node-ips", node_ips, "--source", str(REPO), "--os", "debian", root=root
    )
    assert result.returncode == 0, result.stderr
    user = "www-data" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
    check = _nginx_check(tmp_path, root, user)
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr
    has_peer = "@peer" in (root / "etc/nginx/conf.d/ecs-assistant.conf").read_text()
    assert has_peer == ("," in node_ips)  # a single node has no peer fallback


@pytest.mark.parametrize(
    ("node_ips", "self_ip", "peer"),
    [
        ("10.0.0.1,10.0.0.2", "10.0.0.2", "10.0.0.1"),
        ("10.0.0.1,10.0.0.2,10.0.0.3", "10.0.0.2", "10.0.0.3"),
        ("10.0.0.1,10.0.0.2,10.0.0.3", "10.0.0.3", "10.0.0.1"),  # the ring wraps around
        (" 10.0.0.1 , 10.0.0.2 ", "10.0.0.1", "10.0.0.2"),
        ("10.0.0.1", "10.0.0.1", None),
    ],
)
def test_peer_is_the_next_node_in_the_ring(
    tmp_path: Path, node_ips: str, self_ip: str, peer: str | None
) -> None:
    result = _install(
        "--self-ip", self_ip, "--node-ips", node_ips, "--source", str(REPO), root=tmp_path / "r"
    )
    assert result.returncode == 0, result.stderr
    render = next(c for c in _commands(result.stdout) if "deploy render" in c)
    if peer is None:
        assert "--peer" not in render and "peer none" in result.stdout
    else:
        assert f"--peer {peer}:8081" in render


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--self-ip", "10.0.0.9", "--node-ips", "10.0.0.1,10.0.0.2"], "10.0.0.9 is not in --node-ips"),
        (["--self-ip", "10.0.0.1", "--node-ips", "10.0.0.1,10.0.0.300"], "'10.0.0.300' is not an IPv4"),
        (["--self-ip", "ten", "--node-ips", "10.0.0.1"], "--self-ip: 'ten' is not an IPv4"),
        (["--self-ip", "10.0.0.1", "--os", "windows"], "--os must be alinux or debian"),
        (["--self-ip", "10.0.0.1", "--bogus"], "unknown argument '--bogus'"),
        (["--self-ip", "10.0.0.1", "--region"], "--region needs a value"),
        (["--self-ip", "10.0.0.1", "--env", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=x"], "RAM role"),
    ],
)
def test_bad_arguments_fail_with_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    result = _install("--source", str(REPO), *args, root=tmp_path / "r")
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_source_is_required_and_root_needs_dry_run(tmp_path: Path) -> None:
    missing = subprocess.run(
        ["bash", str(INSTALL_SH), "--dry-run", "--self-ip", "10.0.0.1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode != 0 and "--source is required" in missing.stderr
    real = subprocess.run(
        ["bash", str(INSTALL_SH), "--source", str(REPO), "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert real.returncode != 0 and "--root is only for --dry-run" in real.stderr
    assert list(tmp_path.iterdir()) == []


def test_wheel_source_is_pinned_by_a_lock_beside_it(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = dist / "ecs_assistant-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    (dist / "requirements.lock").write_text("flask==3.1.3\n")
    result = _install("--self-ip", "10.0.0.1", "--source", str(wheel), root=tmp_path / "r")
    assert result.returncode == 0, result.stderr
    assert f"--constraint {dist}/requirements.lock {wheel}" in result.stdout
    assert f"--force-reinstall --no-deps {wheel}" in result.stdout
    requirement = _install("--self-ip", "10.0.0.1", "--source", "ecs-assistant==0.1.0", root=tmp_path / "q")
    assert requirement.returncode == 0, requirement.stderr
    assert "--upgrade ecs-assistant==0.1.0" in requirement.stdout
    assert "--force-reinstall" not in requirement.stdout


def test_dry_run_is_repeatable_into_the_same_root(tmp_path: Path) -> None:
    _, root = _dry_run(tmp_path)
    first = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    _, again = _dry_run(tmp_path)
    assert again == root
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert {p: after[p] for p in first} == first


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_rendered_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    _, root = _dry_run(tmp_path)
    unit = (root / "etc/systemd/system/ecs-assistant-uwsgi.service").read_text()
    # The venv does not exist on this machine: point ExecStart at the test venv's uwsgi for the check.
    checked = tmp_path / "ecs-assistant-uwsgi.service"
    checked.write_text(unit.replace("/opt/ecs-assistant/venv/bin/uwsgi", str(ECS_ASSISTANT.parent / "uwsgi")))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(checked)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    # verify reports unknown keys and bad values as warnings with exit code 0: there must be none.
    assert str(checked) not in result.stderr, result.stderr


def test_self_ip_comes_from_the_metadata_service_with_an_imdsv2_token(tmp_path: Path, emulator: Any) -> None:
    """Without --self-ip the node asks metadata for private-ipv4 (here: the loopback emulator, in the
    hardened mode the ROS template sets, where a GET without a token is refused)."""
    emulator.control.set_node_http_tokens(1, "required")
    base = emulator.metadata_urls[1]
    token = requests.put(
        f"{base}/latest/api/token", headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "60"}, timeout=5
    ).text
    own_ip = requests.get(
        f"{base}/latest/meta-data/private-ipv4", headers={"X-aliyun-ecs-metadata-token": token}, timeout=5
    ).text
    emulator.control.clear_requests()
    result = _install(
        "--metadata-url", base, "--node-ips", f"10.9.9.9,{own_ip}", "--source", str(REPO), root=tmp_path / "r"
    )
    assert result.returncode == 0, result.stderr
    assert f"private IP {own_ip}, peer 10.9.9.9" in result.stdout
    assert "--peer 10.9.9.9:8081" in result.stdout
    log = emulator.control.requests_log()["metadata"]
    assert log["tokens"] >= 1
    assert any("private-ipv4" in path for path in log["by_path"])


def test_unreachable_metadata_fails_with_a_hint(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    result = _install(
        "--metadata-url",
        f"http://127.0.0.1:{closed}",
        "--node-ips",
        "10.0.0.1,10.0.0.2",
        "--source",
        str(REPO),
        root=tmp_path / "r",
    )
    assert result.returncode != 0
    assert "cannot read private-ipv4 from the instance metadata service; pass --self-ip" in result.stderr
