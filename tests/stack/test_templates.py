"""The templates render into configurations the real programs accept, with the settings that matter."""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

import pytest

from ecs_assistant.stack.binaries import find_program
from ecs_assistant.stack.render import (
    BalancedServer,
    NginxNodeConfig,
    UwsgiConfig,
    render_haproxy,
    render_nginx_main,
    render_production_bundle,
)


def _node_conf(tmp_path: Path, peer: str | None) -> str:
    return NginxNodeConfig(
        node_name="node1",
        listen="127.0.0.1:18081",
        internal_listen="127.0.0.1:18091",
        socket=str(tmp_path / "uwsgi.sock"),
        peer=peer,
        access_log=str(tmp_path / "access.log"),
        uwsgi_params="/etc/nginx/uwsgi_params",
        microcache_path=str(tmp_path / "microcache"),
    ).render()


def _nginx_test(directory: Path, node_conf: str) -> subprocess.CompletedProcess[str]:
    (directory / "tmp").mkdir(exist_ok=True)
    (directory / "nginx-node.conf").write_text(node_conf)
    (directory / "nginx.conf").write_text(render_nginx_main(directory, None))
    nginx = find_program("nginx")
    argv = [str(nginx), "-t", "-p", str(directory), "-c", str(directory / "nginx.conf")]
    return subprocess.run(
        [*argv, "-e", str(directory / "error.log")], capture_output=True, text=True, timeout=30, check=False
    )


def _location_block(conf: str, header: str) -> str:
    start = conf.index(header)
    return conf[start : conf.index("}", start)]


@pytest.mark.parametrize("peer", ["127.0.0.1:18092", None])
def test_nginx_node_config_is_accepted_by_nginx(tmp_path: Path, peer: str | None) -> None:
    result = _nginx_test(tmp_path, _node_conf(tmp_path, peer))
    assert result.returncode == 0, result.stderr


def test_health_paths_never_fall_back_to_the_peer_but_the_api_does(tmp_path: Path) -> None:
    conf = _node_conf(tmp_path, "127.0.0.1:18092")
    for health in ("location = / {", "location = /healthz {"):
        block = _location_block(conf, health)
        assert "uwsgi_pass ecs_assistant_app_node1" in block
        assert "error_page" not in block and "@peer" not in block
    assert "error_page 502 504 = @peer;" in _location_block(conf, "location / {")
    peer = _location_block(conf, "location @peer {")
    assert "GET|HEAD" in peer  # only idempotent requests are replayed
    # Innermost timeout first: nginx reads longer than uWSGI's harakiri (30 s).
    assert "uwsgi_read_timeout 35s;" in conf
    assert "set_real_ip_from 127.0.0.1;" in conf and "real_ip_header X-Forwarded-For;" in conf


def test_single_node_has_no_peer_fallback(tmp_path: Path) -> None:
    conf = _node_conf(tmp_path, None)
    assert "@peer" not in conf and "upstream ecs_assistant_peer" not in conf


def _haproxy_check(tmp_path: Path, profile: str) -> str:
    config = render_haproxy(
        profile=profile,
        bind="127.0.0.1:18080",
        stats_bind="127.0.0.1:18404",
        stats_socket=str(tmp_path / "admin.sock"),
        servers=[BalancedServer("node1", "127.0.0.1:18081"), BalancedServer("node2", "127.0.0.1:18082")],
    )
    path = tmp_path / f"{profile}.cfg"
    path.write_text(config)
    result = subprocess.run(
        [str(find_program("haproxy")), "-c", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return config


def test_haproxy_fast_profile_retries_idempotent_requests_on_another_node(tmp_path: Path) -> None:
    config = _haproxy_check(tmp_path, "fast")
    for line in (
        "retries 2",
        "option redispatch 1",
        "retry-on all-retryable-errors",
        "http-request disable-l7-retry if !METH_GET",
        "option httpchk HEAD /",
        "default-server inter 1s fastinter 250ms downinter 1s fall 3 rise 2",
    ):
        assert line in config


def test_haproxy_clb_profile_has_no_retries_and_clb_default_check_timing(tmp_path: Path) -> None:
    config = _haproxy_check(tmp_path, "clb")
    assert "retry-on" not in config
    assert re.search(r"^\s+retries 0$", config, re.M)
    assert "option redispatch 0" in config
    assert "timeout check 5s" in config
    assert "default-server inter 2s fall 3 rise 3" in config


def test_uwsgi_ini_has_the_production_settings() -> None:
    ini = UwsgiConfig(socket="/run/x/uwsgi.sock", stats_socket="/run/x/stats.sock", master_fifo="/run/x/fifo")
    parser = configparser.ConfigParser(strict=False)
    parser.read_string(ini.render())
    section = parser["uwsgi"]
    for key in ("strict", "need-app", "master", "vacuum", "die-on-term"):
        assert section[key] == "true", key
    assert section["module"] == "ecs_assistant.api.wsgi:application"
    assert int(section["harakiri"]) == 30 and int(section["max-requests"]) > 0
    assert int(section["processes"]) >= 2 and int(section["threads"]) >= 1
    assert section["stats"] == "/run/x/stats.sock" and section["master-fifo"] == "/run/x/fifo"
    assert "lazy-apps" not in section  # pre-fork on purpose (see the comment in the template)
    assert "daemonize" not in section


def test_production_bundle_renders_systemd_unit_and_configs(tmp_path: Path) -> None:
    files = render_production_bundle(
        tmp_path / "prod",
        node_name="node1",
        peer="10.0.0.2:8081",
        env={"ECS_ASSISTANT_REGIONS": "cn-hangzhou"},
    )
    names = {path.name for path in files}
    assert names == {"uwsgi.ini", "nginx-ecs-assistant.conf", "ecs-assistant-uwsgi.service", "environment"}
    unit = (tmp_path / "prod" / "ecs-assistant-uwsgi.service").read_text()
    for line in ("Type=notify", "NotifyAccess=all", "KillSignal=SIGTERM", "Restart=always"):
        assert line in unit
    assert "EnvironmentFile=/etc/ecs-assistant/environment" in unit
    assert "ECS_ASSISTANT_REGIONS=cn-hangzhou" in (tmp_path / "prod" / "environment").read_text()
    ini = (tmp_path / "prod" / "uwsgi.ini").read_text()
    assert "chown-socket = api:nginx" in ini and "socket = /run/ecs-assistant/uwsgi.sock" in ini
    conf = (tmp_path / "prod" / "nginx-ecs-assistant.conf").read_text()
    assert "listen 80 default_server;" in conf and "set_real_ip_from 100.64.0.0/10;" in conf
    assert "server 10.0.0.2:8081" in conf
    assert "/__stack/static" not in conf  # the benchmark probe is local-only


def _locations(conf: str) -> dict[str, str]:
    """Every `location X {` block of the public server, by its header."""
    public = conf[: conf.index("# Internal listener")]
    return {
        m.group(1): _location_block(public, m.group(0)) for m in re.finditer(r"location ([^{]+) \{", public)
    }


def test_microcache_covers_the_lookup_routes_only_and_keeps_the_peer_fallback(tmp_path: Path) -> None:
    conf = _node_conf(tmp_path, "127.0.0.1:18092")
    locations = _locations(conf)
    cached = {header for header, block in locations.items() if "uwsgi_cache " in block}
    assert cached == {"= /ecs/getServerInfo", "= /api/v1/instances", "/api/v1/instances/"}
    for header in cached:
        block = locations[header]
        assert "error_page 502 504 = @peer;" in block  # a miss with a dead uWSGI still goes to the peer
        assert "uwsgi_cache_valid 200 1s;" in block and "uwsgi_cache_valid any" not in block
        assert "uwsgi_cache_methods GET HEAD;" in block and "uwsgi_cache_lock on;" in block
        assert "$request_uri" in block  # and never a credential header (nginx writes the key to disk):
        assert "$http_x_api_key" not in block and "$http_authorization" not in block
        assert "uwsgi_cache_bypass $ecs_assistant_has_credentials_node1;" in block
        assert "uwsgi_no_cache $ecs_assistant_has_credentials_node1;" in block
        assert "uwsgi_ignore_headers" not in block  # the app's Cache-Control / Vary are honoured
        assert "uwsgi_cache_use_stale updating;" in block  # never `error`: that would mask a dead uWSGI
    assert "uwsgi_cache" not in conf[conf.index("# Internal listener") :]  # the peer path is not cached


def test_microcache_ttl_zero_renders_no_cache_and_bad_ttls_are_refused(tmp_path: Path) -> None:
    conf = NginxNodeConfig(
        node_name="node1",
        listen="127.0.0.1:18081",
        internal_listen="127.0.0.1:18091",
        socket=str(tmp_path / "uwsgi.sock"),
        peer="127.0.0.1:18092",
        access_log="off",
        uwsgi_params="/etc/nginx/uwsgi_params",
        microcache_seconds=0,
    ).render()
    assert "uwsgi_cache" not in conf and "X-Microcache" not in conf
    assert _nginx_test(tmp_path, conf).returncode == 0
    for bad in (-1, 3601):
        with pytest.raises(ValueError, match="microcache"):
            NginxNodeConfig(
                node_name="n", listen="1", internal_listen="2", socket="s", peer=None, access_log="off",
                microcache_seconds=bad,
            )  # fmt: skip


def test_production_bundle_microcache_defaults_on_under_var_lib_nginx(tmp_path: Path) -> None:
    render_production_bundle(tmp_path / "on", node_name="n1", peer=None, env={})
    conf = (tmp_path / "on" / "nginx-ecs-assistant.conf").read_text()
    assert "uwsgi_cache_path /var/lib/nginx/ecs-assistant-microcache " in conf
    assert "uwsgi_cache_valid 200 1s;" in conf
    render_production_bundle(tmp_path / "off", node_name="n1", peer=None, env={}, microcache_seconds=0)
    assert "uwsgi_cache" not in (tmp_path / "off" / "nginx-ecs-assistant.conf").read_text()
