"""`LocalStack`: the emulator, N nodes (nginx -> uWSGI -> app) and HAProxy as real child processes.

Used by `ecs-assistant stack up` (through the CLI), the failover tests, the benchmark and the browser
tests. Everything it starts lives in one run directory: rendered configs, sockets, pid files, logs,
nginx temp paths and the per-node Prometheus multiprocess directories.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import grp
import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests

from ecs_assistant.stack import binaries
from ecs_assistant.stack.errors import StackError
from ecs_assistant.stack.haproxy_admin import HAProxyAdmin
from ecs_assistant.stack.ports import HOST, StackPorts, plan_ports, port_is_listening
from ecs_assistant.stack.processes import ManagedProcess
from ecs_assistant.stack.render import (
    DEFAULT_MICROCACHE_SECONDS,
    DEFAULT_THREADS,
    PROFILES,
    BalancedServer,
    NginxNodeConfig,
    UwsgiConfig,
    check_microcache_seconds,
    default_processes,
    render_environment,
    render_haproxy,
    render_nginx_main,
    render_production_bundle,
)

MAX_NODES = 8
DEFAULT_WSGI = "ecs_assistant.api.wsgi:application"
DEFAULT_REGIONS = "cn-hangzhou,cn-beijing,cn-shanghai"
STATE_FILE = "stack.json"
LOCK_FILE = "stack.lock"
#: The CLI's default --run-dir, relative to the working directory.
DEFAULT_RUN_DIR = Path(".stack")
START_TIMEOUT = 60.0


@dataclass
class Node:
    """One node's paths, ports and processes."""

    index: int
    directory: Path
    port: int
    internal_port: int
    uwsgi: ManagedProcess
    nginx: ManagedProcess

    @property
    def name(self) -> str:
        return f"node{self.index}"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def socket(self) -> Path:
        return self.directory / "uwsgi.sock"

    @property
    def master_fifo(self) -> Path:
        return self.directory / "master.fifo"

    @property
    def metrics_dir(self) -> Path:
        return self.directory / "metrics"

    def processes(self) -> list[ManagedProcess]:
        return [self.nginx, self.uwsgi]


def _uwsgi_params_path(nginx: Path) -> str:
    """The distribution's uwsgi_params (nginx resolves a relative include against our run directory)."""
    for candidate in (Path("/etc/nginx/uwsgi_params"), nginx.parent.parent / "etc/nginx/uwsgi_params"):
        if candidate.is_file():
            return str(candidate)
    raise StackError("nginx's uwsgi_params file was not found in /etc/nginx; reinstall nginx-common")


def _nginx_user() -> str | None:
    """nginx drops its workers to `user` only when started as root: keep them as the invoking user."""
    if os.geteuid() != 0:
        return None
    return f"{getpass.getuser()} {grp.getgrgid(os.getegid()).gr_name}"


def run_dir_flag(run_dir: Path) -> str:
    """` --run-dir DIR` for a command shown to the user, empty for the default: without it, a suggested
    `stack down` or `kill-node` would look in `.stack` and miss a stack started elsewhere."""
    if run_dir.resolve() == DEFAULT_RUN_DIR.resolve():
        return ""
    return f" --run-dir {shlex.quote(str(run_dir))}"


class LocalStack:
    """A running local HA stack. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        nodes: int = 2,
        port: int = 0,
        world: Path | None = None,
        profile: str = "fast",
        run_dir: Path | None = None,
        *,
        real_cloud: bool = False,
        wsgi: str = DEFAULT_WSGI,
        pythonpath: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        static_probe: bool = True,
        processes: int | None = None,
        threads: int | None = None,
        microcache_seconds: int = DEFAULT_MICROCACHE_SECONDS,
    ) -> None:
        if not 1 <= nodes <= MAX_NODES:
            raise StackError(f"--nodes must be between 1 and {MAX_NODES}, got {nodes}")
        if profile not in PROFILES:
            raise StackError(f"--profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        try:
            check_microcache_seconds(microcache_seconds)
        except ValueError as exc:
            raise StackError(f"--microcache: {exc}") from None
        if world is not None and not world.is_file():
            raise StackError(f"world file {world} does not exist")
        self.node_count = nodes
        self.requested_port = port
        self.world = world
        self.profile = profile
        self.real_cloud = real_cloud
        self.wsgi = wsgi
        self.pythonpath = pythonpath
        self.extra_env = dict(env or {})
        self.static_probe = static_probe
        self.processes = processes
        self.threads = threads
        self.microcache_seconds = microcache_seconds
        self._own_run_dir = run_dir is None
        self.run_dir = (run_dir or Path(tempfile.mkdtemp(prefix="ecs-assistant-stack-"))).resolve()
        self.ports: StackPorts | None = None
        self.nodes: list[Node] = []
        self.emulator: ManagedProcess | None = None
        self.haproxy: ManagedProcess | None = None
        self._lock: IO[str] | None = None
        self.started_at: float | None = None
        self.ready_seconds: float | None = None

    # --- public attributes -------------------------------------------------------------------------

    @property
    def _ports(self) -> StackPorts:
        if self.ports is None:
            raise StackError("the stack is not started")
        return self.ports

    @property
    def url(self) -> str:
        """The balancer's base URL (what clients use)."""
        return f"http://{HOST}:{self._ports.balancer}"

    @property
    def stats_url(self) -> str:
        return f"http://{HOST}:{self._ports.stats}/"

    @property
    def emulator_url(self) -> str:
        return f"http://{HOST}:{self._ports.emulator}"

    @property
    def node_urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def metadata_urls(self) -> list[str]:
        return [f"http://{HOST}:{self._ports.metadata(k)}" for k in range(1, self.node_count + 1)]

    @property
    def admin(self) -> HAProxyAdmin:
        return HAProxyAdmin(self.run_dir / "haproxy" / "admin.sock")

    # --- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Render, start everything, and return once every node and the balancer answer."""
        self.started_at = time.monotonic()
        nginx = binaries.find_program("nginx")
        haproxy = binaries.find_program("haproxy")
        uwsgi = binaries.find_uwsgi()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        try:
            self.ports = plan_ports(self.node_count, self.requested_port)
            self.ports.check_free(with_emulator=not self.real_cloud)
            self._build_nodes(nginx, uwsgi)
            self._build_haproxy(haproxy)
            if not self.real_cloud:
                self._start_emulator()
            for node in self.nodes:
                self._start_node_processes(node)
            for node in self.nodes:
                self._wait_node_healthy(node)
            assert self.haproxy is not None
            self.haproxy.start()
            self._wait_balancer()
            self._write_state()
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - self.started_at

    def stop(self) -> None:
        """Stop every process this stack started (balancer first, emulator last); idempotent."""
        if self._lock is None:
            return  # never started (or already stopped): the run directory may belong to another stack
        if self.haproxy is not None:
            self.haproxy.stop(signal.SIGTERM, timeout=5)
        for node in self.nodes:
            node.nginx.stop(signal.SIGQUIT, timeout=5)
        for node in self.nodes:
            node.uwsgi.stop(signal.SIGTERM, timeout=10)
        if self.emulator is not None:
            self.emulator.stop(signal.SIGTERM, timeout=10)
        with contextlib.suppress(OSError):
            (self.run_dir / STATE_FILE).unlink()
        self._release_lock()
        if self._own_run_dir and os.environ.get("ECS_ASSISTANT_KEEP_RUN_DIR") != "1":
            shutil.rmtree(self.run_dir, ignore_errors=True)

    # --- node operations ---------------------------------------------------------------------------

    def node(self, k: int) -> Node:
        if not 1 <= k <= len(self.nodes):
            raise StackError(f"there is no node {k}; nodes are 1..{len(self.nodes)}")
        return self.nodes[k - 1]

    def kill_node(self, k: int) -> None:
        """SIGKILL node k's nginx and uWSGI (masters and workers, by process group): a crash."""
        node = self.node(k)
        node.nginx.kill()
        node.uwsgi.kill()
        self._wait_port_closed(node.port)
        self._write_state()

    def kill_uwsgi(self, k: int) -> None:
        """SIGKILL only node k's uWSGI (master and workers): nginx stays up and sees a dead socket."""
        self.node(k).uwsgi.kill()
        self._write_state()

    def start_node(self, k: int) -> None:
        """(Re)start node k's stopped parts, wait until it answers, and put it back in rotation."""
        node = self.node(k)
        self._start_node_processes(node)
        self._wait_node_healthy(node)
        if self.haproxy is not None and self.haproxy.alive():
            self.admin.set_state(node.name, "ready")
        self._write_state()

    def stop_node(self, k: int, drain: bool = True, drain_timeout: float = 15.0) -> None:
        """Planned stop: take node k out of the balancer (CLB weight 0), let requests finish, stop it.

        Draining waits until HAProxy has no session on the node; then nginx stops gracefully (SIGQUIT)
        and uWSGI gets `q` on its master FIFO, which lets a request in flight complete (SIGTERM would
        cut it, deployment.md §4.1).
        """
        node = self.node(k)
        if drain and self.haproxy is not None and self.haproxy.alive():
            self.admin.set_state(node.name, "drain")
            deadline = time.monotonic() + drain_timeout
            while time.monotonic() < deadline and self.admin.current_sessions(node.name) > 0:
                time.sleep(0.05)
            time.sleep(0.2)  # a request routed just before the state change reaches nginx
        node.nginx.stop(signal.SIGQUIT, timeout=10)
        if node.uwsgi.alive():
            with contextlib.suppress(OSError):
                node.master_fifo.write_text("q")
            node.uwsgi.stop(signal.SIGTERM, timeout=35)
        self._write_state()

    def haproxy_server_states(self) -> dict[str, str]:
        """{"node1": "UP", ...} as HAProxy's stats report them."""
        return self.admin.server_states()

    def status(self) -> dict[str, Any]:
        """A JSON-able picture of the stack: URLs, processes, and the balancer's view of each node."""
        states: dict[str, str] = {}
        with contextlib.suppress(OSError):
            states = self.haproxy_server_states()
        return {
            "run_dir": str(self.run_dir),
            "profile": self.profile,
            "microcache_seconds": self.microcache_seconds,
            "url": self.url,
            "stats_url": self.stats_url,
            "emulator_url": None if self.real_cloud else self.emulator_url,
            "haproxy": self._process_status(self.haproxy),
            "emulator": self._process_status(self.emulator),
            "nodes": [
                {
                    "node": node.index,
                    "url": node.url,
                    "nginx": {"pid": node.nginx.pid, "alive": node.nginx.alive()},
                    "uwsgi": {"pid": node.uwsgi.pid, "alive": node.uwsgi.alive()},
                    "balancer": states.get(node.name, "unknown"),
                }
                for node in self.nodes
            ],
        }

    def example_instance_id(self) -> str | None:
        """A real Running instance of the emulator's world (for the printed example call)."""
        if self.real_cloud:
            return None
        try:
            reply = requests.get(
                f"{self.emulator_url}/__emulator/instances", params={"region": "cn-hangzhou"}, timeout=5
            )
            instances = reply.json()
        except (requests.RequestException, ValueError):
            return None
        for instance in instances:
            if instance.get("Status") == "Running":
                return str(instance["InstanceId"])
        return str(instances[0]["InstanceId"]) if instances else None

    # --- internals ---------------------------------------------------------------------------------

    @staticmethod
    def _process_status(process: ManagedProcess | None) -> dict[str, Any]:
        return {"pid": process.pid if process else None, "alive": process is not None and process.alive()}

    def _take_lock(self) -> None:
        lock = (self.run_dir / LOCK_FILE).open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            owner = lock.read().strip() or "?"
            lock.close()
            raise StackError(
                f"a stack is already running from {self.run_dir} (pid {owner}); "
                f"stop it first with `ecs-assistant stack down{run_dir_flag(self.run_dir)}`"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _node_env(self, k: int) -> dict[str, str]:
        ports = self._ports
        env = {
            "ECS_ASSISTANT_NODE_NAME": f"node{k}",
            "PROMETHEUS_MULTIPROC_DIR": str(self.run_dir / f"node{k}" / "metrics"),
            # nginx writes one JSON access-log line per request (request ID, status, timings, X-Cache);
            # a second line from the app would double the logging cost of every cache hit.
            "ECS_ASSISTANT_ACCESS_LOG": os.environ.get("ECS_ASSISTANT_ACCESS_LOG", "false"),
        }
        if not self.real_cloud:
            env |= {
                "ECS_ASSISTANT_ENDPOINT": f"{HOST}:{ports.emulator}",
                "ECS_ASSISTANT_PROTOCOL": "http",
                "ECS_ASSISTANT_METADATA_URL": f"http://{HOST}:{ports.metadata(k)}",
                "ECS_ASSISTANT_REGIONS": os.environ.get("ECS_ASSISTANT_REGIONS", DEFAULT_REGIONS),
            }
        return env | self.extra_env

    def _build_nodes(self, nginx: Path, uwsgi: Path) -> None:
        ports = self._ports
        uwsgi_params = _uwsgi_params_path(nginx)
        user = _nginx_user()
        self.nodes = []
        for k in range(1, self.node_count + 1):
            directory = self.run_dir / f"node{k}"
            for sub in ("tmp", "metrics"):
                (directory / sub).mkdir(parents=True, exist_ok=True)
            peer = None
            if self.node_count > 1:
                peer = f"{HOST}:{ports.internal[k % self.node_count]}"
            ini = UwsgiConfig(
                socket=str(directory / "uwsgi.sock"),
                stats_socket=str(directory / "stats.sock"),
                master_fifo=str(directory / "master.fifo"),
                wsgi_module=self.wsgi,
                pythonpath=self.pythonpath,
                processes=self.processes or default_processes(),
                threads=self.threads or DEFAULT_THREADS,
            )
            (directory / "uwsgi.ini").write_text(ini.render(), encoding="utf-8")
            node_env = self._node_env(k)
            (directory / "environment").write_text(render_environment(node_env), encoding="utf-8")
            server = NginxNodeConfig(
                node_name=f"node{k}",
                listen=f"{HOST}:{ports.nodes[k - 1]}",
                internal_listen=f"{HOST}:{ports.internal[k - 1]}",
                socket=str(directory / "uwsgi.sock"),
                peer=peer,
                access_log=str(directory / "access.log"),
                uwsgi_params=uwsgi_params,
                static_probe=self.static_probe,
                microcache_seconds=self.microcache_seconds,
                microcache_path=str(directory / "microcache"),
            )
            (directory / "nginx-node.conf").write_text(server.render(), encoding="utf-8")
            (directory / "nginx.conf").write_text(render_nginx_main(directory, user), encoding="utf-8")
            self.nodes.append(
                Node(
                    index=k,
                    directory=directory,
                    port=ports.nodes[k - 1],
                    internal_port=ports.internal[k - 1],
                    uwsgi=ManagedProcess(
                        f"node{k} uWSGI",
                        [str(uwsgi), "--ini", str(directory / "uwsgi.ini")],
                        directory / "uwsgi.log",
                        env=os.environ | node_env,
                        cwd=directory,
                    ),
                    nginx=ManagedProcess(
                        f"node{k} nginx",
                        [
                            str(nginx),
                            "-p",
                            str(directory),
                            "-c",
                            str(directory / "nginx.conf"),
                            "-e",
                            str(directory / "nginx-error.log"),
                        ],
                        directory / "nginx.log",
                    ),
                )
            )
        # What a production node would get from the same templates (rendered for review, never started).
        render_production_bundle(
            self.run_dir / "production",
            node_name="node1",
            peer="<peer-private-ip>:8081" if self.node_count > 1 else None,
            env={"ECS_ASSISTANT_REGIONS": DEFAULT_REGIONS},
        )

    def _build_haproxy(self, haproxy: Path) -> None:
        ports = self._ports
        directory = self.run_dir / "haproxy"
        directory.mkdir(parents=True, exist_ok=True)
        config = render_haproxy(
            profile=self.profile,
            bind=f"{HOST}:{ports.balancer}",
            stats_bind=f"{HOST}:{ports.stats}",
            stats_socket=str(directory / "admin.sock"),
            servers=[BalancedServer(node.name, f"{HOST}:{node.port}") for node in self.nodes],
        )
        (directory / "haproxy.cfg").write_text(config, encoding="utf-8")
        self.haproxy = ManagedProcess(
            "HAProxy", [str(haproxy), "-db", "-f", str(directory / "haproxy.cfg")], directory / "haproxy.log"
        )

    def _start_emulator(self) -> None:
        ports = self._ports
        argv = [
            *binaries.ecs_assistant_command(),
            "emulator",
            "--host",
            HOST,
            "--port",
            str(ports.emulator),
            "--metadata-port",
            str(ports.metadata_base),
            "--metadata-nodes",
            str(self.node_count),
        ]
        if self.world is not None:
            argv += ["--world", str(self.world)]
        self.emulator = ManagedProcess("emulator", argv, self.run_dir / "emulator.log")
        self.emulator.start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            self._check_alive(self.emulator)
            with contextlib.suppress(requests.RequestException):
                reply = requests.get(f"{self.emulator_url}/__emulator/health", timeout=1)
                if reply.status_code == 200 and all(
                    port_is_listening(ports.metadata(k)) for k in range(1, self.node_count + 1)
                ):
                    return
            if time.monotonic() > deadline:
                raise StackError(f"the emulator did not become healthy within {START_TIMEOUT:.0f} s")
            time.sleep(0.1)

    def _start_node_processes(self, node: Node) -> None:
        if not node.uwsgi.alive():
            with contextlib.suppress(FileNotFoundError):
                node.socket.unlink()
            # Prometheus multiprocess files of dead workers would be summed forever: start empty.
            shutil.rmtree(node.metrics_dir, ignore_errors=True)
            node.metrics_dir.mkdir(parents=True, exist_ok=True)
            node.uwsgi.start()
        if not node.nginx.alive():
            node.nginx.start()

    def _wait_node_healthy(self, node: Node) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for process in node.processes():
                self._check_alive(process)
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{node.url}/", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise StackError(
                    f"{node.name} did not answer within {START_TIMEOUT:.0f} s (logs in {node.directory})"
                )
            time.sleep(0.05)

    def _wait_balancer(self) -> None:
        assert self.haproxy is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            self._check_alive(self.haproxy)
            with contextlib.suppress(OSError, requests.RequestException):
                states = self.haproxy_server_states()
                all_up = bool(states) and all(state == "UP" for state in states.values())
                if all_up and requests.get(f"{self.url}/", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise StackError(f"HAProxy did not report every node UP within {START_TIMEOUT:.0f} s")
            time.sleep(0.05)

    @staticmethod
    def _check_alive(process: ManagedProcess) -> None:
        if not process.alive():
            raise StackError(
                f"{process.name} exited during start (code {process.returncode()}); "
                f"last log line: {process.last_log_line() or '-'} (log: {process.log_path})"
            )

    @staticmethod
    def _wait_port_closed(port: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while port_is_listening(port) and time.monotonic() < deadline:
            time.sleep(0.02)

    def _write_state(self) -> None:
        """Record PIDs and URLs so that `status` and a `down` after a lost `up` find them."""
        groups = {}
        for process in [self.haproxy, self.emulator, *(p for n in self.nodes for p in n.processes())]:
            if process is not None and process.pid is not None and process.alive():
                groups[process.name] = process.pid
        state = {
            "supervisor_pid": os.getpid(),
            "profile": self.profile,
            "url": self.url,
            "stats_url": self.stats_url,
            "emulator_url": None if self.real_cloud else self.emulator_url,
            "node_urls": self.node_urls,
            "process_groups": groups,
            "python": sys.executable,
        }
        (self.run_dir / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
