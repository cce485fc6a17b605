"""Rendering the templates in `templates/` (the single source for local and production configs).

Jinja2 comes with Flask, so the templates use it rather than a home-made format. StrictUndefined makes a
missing value an error at render time instead of an empty directive in a config file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

HARAKIRI_SECONDS = 30
MAX_REQUESTS = 50000
DEFAULT_THREADS = 2
PROFILES = ("fast", "clb")
# nginx microcache of the lookup routes: seconds a 200 answer is reused (0 disables). One second takes
# repeated lookups off Python almost entirely at hundreds of requests/s per ID while adding at most ~1-2 s
# of staleness (nginx's clock has second resolution) on top of the app's own cache.
DEFAULT_MICROCACHE_SECONDS = 1
MAX_MICROCACHE_SECONDS = 3600
# nginx creates only the last component of a cache path: the parent must exist on a fresh install. Debian
# and RHEL both ship /var/lib/nginx (their own temp/cache directory); /var/cache/nginx exists on neither
# distribution's package, so a path under it would stop nginx from starting until an installer creates it.
PRODUCTION_MICROCACHE_PATH = "/var/lib/nginx/ecs-assistant-microcache"

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("ecs_assistant.stack", "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # config files, not HTML  # noqa: S701
)


def render(template: str, **values: object) -> str:
    """Render one template by file name with the given values."""
    return _environment.get_template(template).render(**values)


def default_processes() -> int:
    """One uWSGI process per core (at least 2, so one busy worker never blocks a node)."""
    return max(2, os.cpu_count() or 2)


@dataclass(frozen=True)
class UwsgiConfig:
    """Values of uwsgi.ini.j2."""

    socket: str
    stats_socket: str
    master_fifo: str
    wsgi_module: str = "ecs_assistant.api.wsgi:application"
    processes: int = field(default_factory=default_processes)
    threads: int = DEFAULT_THREADS
    harakiri: int = HARAKIRI_SECONDS
    max_requests: int = MAX_REQUESTS
    listen: int = 128
    pythonpath: Sequence[str] = ()
    virtualenv: str | None = None
    socket_owner: str | None = None
    uid: str | None = None
    gid: str | None = None

    def render(self) -> str:
        return render(
            "uwsgi.ini.j2",
            socket=self.socket,
            stats_socket=self.stats_socket,
            master_fifo=self.master_fifo,
            wsgi_module=self.wsgi_module,
            processes=self.processes,
            threads=self.threads,
            harakiri=self.harakiri,
            max_requests=self.max_requests,
            listen=self.listen,
            pythonpath=list(self.pythonpath),
            virtualenv=self.virtualenv,
            socket_owner=self.socket_owner,
            uid=self.uid,
            gid=self.gid,
        )


@dataclass(frozen=True)
class NginxNodeConfig:
    """Values of nginx-node.conf.j2 (the server blocks of one node)."""

    node_name: str
    listen: str
    internal_listen: str
    socket: str
    peer: str | None
    access_log: str
    uwsgi_params: str = "uwsgi_params"
    trusted_proxies: Sequence[str] = ("127.0.0.1",)
    default_server: bool = False
    static_probe: bool = False
    harakiri: int = HARAKIRI_SECONDS
    microcache_seconds: int = DEFAULT_MICROCACHE_SECONDS
    microcache_path: str = PRODUCTION_MICROCACHE_PATH

    def __post_init__(self) -> None:
        check_microcache_seconds(self.microcache_seconds)

    def render(self) -> str:
        return render(
            "nginx-node.conf.j2",
            node_name=self.node_name,
            listen=self.listen,
            internal_listen=self.internal_listen,
            socket=self.socket,
            peer=self.peer,
            access_log=self.access_log,
            uwsgi_params=self.uwsgi_params,
            trusted_proxies=list(self.trusted_proxies),
            default_server=self.default_server,
            static_probe=self.static_probe,
            harakiri=self.harakiri,
            microcache_seconds=self.microcache_seconds,
            microcache_path=self.microcache_path,
        )


def check_microcache_seconds(seconds: int) -> None:
    """0 (off) to MAX_MICROCACHE_SECONDS; anything else would be a config nginx rejects or a silly TTL."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValueError(f"microcache TTL must be a whole number of seconds, got {seconds!r}")
    if not 0 <= seconds <= MAX_MICROCACHE_SECONDS:
        raise ValueError(f"microcache TTL must be between 0 and {MAX_MICROCACHE_SECONDS} s, got {seconds}")


def render_environment(env: Mapping[str, str]) -> str:
    """The node's settings as an environment file (KEY=value lines)."""
    for name, value in env.items():
        if "\n" in value or "\n" in name:
            raise ValueError(f"environment value of {name} must be one line")
    return render("environment.j2", env=dict(env))


def render_nginx_main(directory: Path, user: str | None) -> str:
    """The local stack's top-level nginx.conf for one node (paths inside `directory`)."""
    return render("nginx-main.conf.j2", dir=str(directory), user=user)


@dataclass(frozen=True)
class BalancedServer:
    name: str
    address: str


def render_haproxy(
    *,
    profile: str,
    bind: str,
    stats_bind: str,
    stats_socket: str,
    servers: Sequence[BalancedServer],
    pidfile: str | None = None,
    harakiri: int = HARAKIRI_SECONDS,
) -> str:
    """haproxy.cfg for the given profile ("fast" or "clb")."""
    if profile not in PROFILES:
        raise ValueError(f"unknown balancer profile {profile!r}; expected one of {', '.join(PROFILES)}")
    return render(
        "haproxy.cfg.j2",
        profile=profile,
        bind=bind,
        stats_bind=stats_bind,
        stats_socket=stats_socket,
        servers=list(servers),
        pidfile=pidfile,
        harakiri=harakiri,
    )


def render_systemd_uwsgi(
    *,
    user: str,
    group: str,
    uwsgi_binary: str,
    ini_path: str,
    environment_file: str,
    runtime_directory: str = "ecs-assistant",
    harakiri: int = HARAKIRI_SECONDS,
) -> str:
    """The production systemd unit for uWSGI (Type=notify)."""
    return render(
        "systemd/ecs-assistant-uwsgi.service.j2",
        user=user,
        group=group,
        uwsgi_binary=uwsgi_binary,
        ini_path=ini_path,
        environment_file=environment_file,
        runtime_directory=runtime_directory,
        harakiri=harakiri,
    )


def render_production_bundle(
    out_dir: Path,
    *,
    node_name: str,
    peer: str | None,
    env: Mapping[str, str],
    app_user: str = "api",
    nginx_group: str = "nginx",
    venv: str = "/opt/ecs-assistant/venv",
    config_dir: str = "/etc/ecs-assistant",
    listen: str = "80",
    internal_listen: str = "8081",
    trusted_proxies: Sequence[str] = ("100.64.0.0/10",),
    microcache_seconds: int = DEFAULT_MICROCACHE_SECONDS,
    microcache_path: str = PRODUCTION_MICROCACHE_PATH,
) -> list[Path]:
    """Write the production configuration of one node into `out_dir` (for install scripts / review).

    The same templates as the local stack, with production paths: sockets in systemd's RuntimeDirectory,
    uWSGI dropping to the app user, nginx's distribution config including the server file from conf.d,
    and the balancer's health-check and forwarding range (CLB: 100.64.0.0/10) as the trusted proxy.
    The lookup microcache is on by default (nginx creates `microcache_path` for its workers at start).
    """
    run = "/run/ecs-assistant"
    uwsgi = UwsgiConfig(
        socket=f"{run}/uwsgi.sock",
        stats_socket=f"{run}/stats.sock",
        master_fifo=f"{run}/master.fifo",
        virtualenv=venv,
        socket_owner=f"{app_user}:{nginx_group}",
    )
    nginx = NginxNodeConfig(
        node_name=node_name,
        listen=listen,
        internal_listen=internal_listen,
        socket=f"{run}/uwsgi.sock",
        peer=peer,
        access_log="/var/log/nginx/ecs-assistant.access.log",
        trusted_proxies=trusted_proxies,
        default_server=True,
        microcache_seconds=microcache_seconds,
        microcache_path=microcache_path,
    )
    unit = render_systemd_uwsgi(
        user=app_user,
        group=nginx_group,
        uwsgi_binary=f"{venv}/bin/uwsgi",
        ini_path=f"{config_dir}/uwsgi.ini",
        environment_file=f"{config_dir}/environment",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "uwsgi.ini": uwsgi.render(),
        "nginx-ecs-assistant.conf": nginx.render(),
        "ecs-assistant-uwsgi.service": unit,
        "environment": render_environment(env),
    }
    written = []
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
