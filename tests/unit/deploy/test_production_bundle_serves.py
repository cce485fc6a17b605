"""The production bundle really serves: uWSGI with the rendered uwsgi.ini behind nginx with the shipped
main config, on loopback ports instead of :80/:8081 (every other line as rendered).

Checks the behaviour the CLB relies on: the HTTP/1.0, Host-less `HEAD /healthz` probe reaches the app
(nginx's server is the default server), and when the local uWSGI is gone the API falls back to the peer
while /healthz does not, so the balancer sees the node as down.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ecs_assistant.deploy_commands import node_environment
from ecs_assistant.stack.render import render_production_bundle
from tests.unit.deploy.nginx_prefix import main_config, make_prefix

REPO = Path(__file__).resolve().parents[3]
NGINX = Path("/usr/sbin/nginx")
UWSGI = Path(sys.executable).parent / "uwsgi"

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(not NGINX.exists() or not UWSGI.exists(), reason="needs nginx and uWSGI"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Peer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"from-peer"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def peer() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _request(port: int, method: str, path: str, *, http10_no_host: bool = False) -> tuple[int, bytes]:
    if http10_no_host:  # CLB's probe as its FAQ shows it: curl -0 -I -H "Host:" -X HEAD
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(f"{method} {path} HTTP/1.0\r\n\r\n".encode())
            data = b""
            while chunk := conn.recv(4096):
                data += chunk
        return int(data.split(b" ", 2)[1]), data
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        client.request(method, path)
        response = client.getresponse()
        return response.status, response.read()
    finally:
        client.close()


def _wait_until(predicate: object, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if callable(predicate) and predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_rendered_node_serves_clb_probes_and_falls_back_to_the_peer(tmp_path: Path, peer: int) -> None:
    public, internal = _free_port(), _free_port()
    run = tmp_path / "run"
    (run / "metrics").mkdir(parents=True)
    out = tmp_path / "bundle"
    env = node_environment(node_name="smoke", regions=["cn-hangzhou"], extra=[], use_vpc_endpoint=True)
    render_production_bundle(
        out,
        node_name="smoke",
        peer=f"127.0.0.1:{peer}",
        env=env,
        venv=sys.prefix,
        nginx_group="root",
        microcache_path=str(tmp_path / "microcache"),  # nginx creates it: never on the host's /var/lib
    )
    ini = (out / "uwsgi.ini").read_text().replace("/run/ecs-assistant", str(run))
    ini = ini.replace("chown-socket = api:root\n", "")
    (out / "uwsgi.ini").write_text(ini)

    prefix = make_prefix(tmp_path)
    node = (
        (out / "nginx-ecs-assistant.conf")
        .read_text()
        .replace("/run/ecs-assistant", str(run))
        .replace("/var/log/nginx/", f"{prefix}/logs/")
        .replace("listen 80 default_server;", f"listen 127.0.0.1:{public} default_server;")
        .replace("listen 8081;", f"listen 127.0.0.1:{internal};")
    )
    assert "/var/lib/nginx" not in node and f"uwsgi_cache_path {tmp_path}/microcache " in node
    (prefix / "conf.d/ecs-assistant.conf").write_text(node)
    main = main_config(prefix, "root" if os.geteuid() == 0 else None)
    (prefix / "nginx.conf").write_text("daemon off;\n" + main)

    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **env,
        "ECS_ASSISTANT_METADATA_URL": "http://127.0.0.1:9",  # never the real metadata address
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "PROMETHEUS_MULTIPROC_DIR": str(run / "metrics"),
    }
    uwsgi_log = (tmp_path / "uwsgi.log").open("wb")
    uwsgi = subprocess.Popen(
        [str(UWSGI), "--ini", str(out / "uwsgi.ini")],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=uwsgi_log,
        start_new_session=True,
    )
    nginx = subprocess.Popen(
        [str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "logs/e.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_until(lambda: _request(public, "GET", "/healthz")[0] == 200)
        status, raw = _request(public, "HEAD", "/healthz", http10_no_host=True)
        assert status == 200, raw
        assert _request(internal, "GET", "/healthz") == (200, b"ok")
        status, body = _request(public, "GET", "/api/v1/regions")
        assert status == 200 and b"cn-hangzhou" in body

        _stop(uwsgi, signal.SIGTERM)  # die-on-term: SIGTERM shuts uWSGI down
        assert _request(public, "GET", "/api/v1/regions") == (200, b"from-peer")
        assert _request(public, "GET", "/healthz")[0] == 502  # the health check never falls back
        assert _request(internal, "GET", "/healthz")[0] == 502  # no fallback chains through the peer
    finally:
        _stop(nginx, signal.SIGQUIT)
        _stop(uwsgi, signal.SIGTERM)
        uwsgi_log.close()
    assert nginx.returncode is not None and uwsgi.returncode is not None
