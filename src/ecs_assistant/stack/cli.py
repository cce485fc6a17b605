"""`ecs-assistant stack ...`: a thin command line over `LocalStack` and the control channel."""

from __future__ import annotations

import json
import queue
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ecs_assistant.stack import control
from ecs_assistant.stack.errors import StackError
from ecs_assistant.stack.ports import DEFAULT_BALANCER_PORT
from ecs_assistant.stack.processes import group_alive, kill_group
from ecs_assistant.stack.render import DEFAULT_MICROCACHE_SECONDS, MAX_MICROCACHE_SECONDS, PROFILES
from ecs_assistant.stack.runner import DEFAULT_WSGI, MAX_NODES, STATE_FILE, LocalStack, run_dir_flag

console = Console(highlight=False)

run_dir_option = click.option(
    "--run-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".stack"),
    show_default=True,
    envvar="ECS_ASSISTANT_STACK_DIR",
    help="Directory for rendered configs, sockets, PIDs and logs.",
)


@click.group()
def stack() -> None:
    """The local highly available stack: HAProxy -> N x (nginx -> uWSGI -> app) + the emulator."""


class _Stop(Exception):
    """SIGTERM/SIGHUP on `up`: leave the wait loop and stop everything, like Ctrl-C."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


@stack.command()
@click.option("--nodes", type=click.IntRange(1, MAX_NODES), default=2, show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65000),
    default=DEFAULT_BALANCER_PORT,
    show_default=True,
    help="Balancer port; nodes use PORT+1.., their peer listeners PORT+11... 0 picks free ports for all.",
)
@click.option("--world", type=click.Path(dir_okay=False, path_type=Path), help="Emulator world file.")
@click.option("--real-cloud", is_flag=True, help="No emulator: real Alibaba Cloud endpoints and credentials.")
@click.option("--profile", type=click.Choice(PROFILES), default="fast", show_default=True)
@click.option(
    "--microcache",
    "microcache_seconds",
    type=click.IntRange(0, MAX_MICROCACHE_SECONDS),
    default=DEFAULT_MICROCACHE_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="nginx keeps 200 answers of the lookup routes this long (adds at most that much staleness); 0: off.",
)
@click.option("--wsgi", default=DEFAULT_WSGI, hidden=True, help="WSGI app module:callable (development).")
@click.option("--pythonpath", multiple=True, hidden=True, help="Extra sys.path entry for --wsgi.")
@run_dir_option
def up(
    nodes: int,
    port: int,
    world: Path | None,
    real_cloud: bool,
    profile: str,
    microcache_seconds: int,
    wsgi: str,
    pythonpath: tuple[str, ...],
    run_dir: Path,
) -> None:
    """Start the stack in the foreground; Ctrl-C (or `stack down`) stops every process it started."""
    try:
        local = LocalStack(
            nodes=nodes,
            port=port,
            world=world,
            profile=profile,
            run_dir=run_dir,
            real_cloud=real_cloud,
            wsgi=wsgi,
            pythonpath=pythonpath,
            microcache_seconds=microcache_seconds,
        )
    except StackError as exc:  # e.g. a missing --world file: one line, not a traceback
        raise click.ClickException(str(exc)) from None
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    server: control.ControlServer | None = None
    try:
        try:
            with console.status(f"starting {nodes} node(s), HAProxy ({profile} profile)..."):
                local.start()
        except StackError as exc:
            raise click.ClickException(str(exc)) from None
        server = control.ControlServer(local.run_dir)
        server.start()
        _print_banner(local)
        _serve(local, server)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        if server is not None:
            server.close()
            console.print("stopping...")
        local.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("stopped: every process of the stack has exited.")


def _serve(local: LocalStack, server: control.ControlServer) -> None:
    """Run commands from other terminals on this (main) thread until `down` or Ctrl-C."""
    actions: dict[str, Any] = {
        "status": lambda args: local.status(),
        "kill-node": lambda args: (
            local.kill_uwsgi(args["node"]) if args.get("uwsgi_only") else local.kill_node(args["node"])
        ),
        "start-node": lambda args: local.start_node(args["node"]),
        "stop-node": lambda args: local.stop_node(args["node"], drain=bool(args.get("drain", True))),
    }
    while True:
        try:
            request = server.requests.get(timeout=0.5)
        except queue.Empty:
            continue
        if request.command == "down":
            server.close()
            local.stop()
            request.reply.put({"ok": True, "result": None})
            request.sent.wait(timeout=5)
            return
        action = actions.get(request.command)
        if action is None:
            request.reply.put({"ok": False, "error": f"unknown command {request.command!r}"})
            continue
        try:
            result = action(request.args)
        except StackError as exc:
            request.reply.put({"ok": False, "error": str(exc)})
        else:
            request.reply.put({"ok": True, "result": result})
            if request.command != "status":
                console.print(f"{request.command} {request.args.get('node', '')}: done")


def _microcache_label(seconds: int) -> str:
    return f"{seconds} s" if seconds else "off"


def _print_banner(local: LocalStack) -> None:
    """URLs to try, one per line and never truncated (they are meant to be copied)."""
    example = local.example_instance_id() or "i-your-instance-id"
    rows = [
        ("web page", f"{local.url}/app/"),
        ("example API call", f"curl {local.url}/api/v1/instances/{example}"),
        ("original contract", f"curl '{local.url}/ecs/getServerInfo?instanceId={example}'"),
        ("API docs", f"{local.url}/docs"),
        ("HAProxy stats", local.stats_url),
    ]
    if not local.real_cloud:
        rows.append(
            (
                "emulator control",
                f"{local.emulator_url}/__emulator/health (also /instances, /faults, /requests)",
            )
        )
    rows += [(f"node {node.index}", f"{node.url} (logs: {node.directory})") for node in local.nodes]
    console.print(
        f"[bold green]ECS Assistant stack ready[/] in {local.ready_seconds or 0:.1f} s: "
        f"{len(local.nodes)} node(s), HAProxy profile {local.profile}, "
        f"lookup microcache {_microcache_label(local.microcache_seconds)}, run dir {local.run_dir}",
        soft_wrap=True,
    )
    for label, value in rows:
        console.print(f"  {label:<18} {value}", soft_wrap=True)
    flag = run_dir_flag(local.run_dir)
    console.print(
        f"Try failover in another terminal: `ecs-assistant stack kill-node 1{flag}`, "
        f"then `stack status{flag}`, `stack start-node 1{flag}`; "
        f"planned maintenance: `stack stop-node 1 --drain{flag}`. "
        "Ctrl-C here stops everything.",
        soft_wrap=True,
    )


def _send(run_dir: Path, command: str, **args: Any) -> Any:
    try:
        return control.send(run_dir, command, **args)
    except StackError as exc:
        raise click.ClickException(str(exc)) from None


@stack.command()
@run_dir_option
def down(run_dir: Path) -> None:
    """Stop the stack running from the run directory (every process, every port)."""
    try:
        control.send(run_dir, "down")
    except control.NotRunningError as exc:
        if _kill_leftovers(run_dir):
            console.print(f"the `up` of {run_dir} was gone; killed the processes it had left behind.")
            return
        raise click.ClickException(str(exc)) from None
    except StackError as exc:
        raise click.ClickException(str(exc)) from None
    console.print("stopped: every process of the stack has exited.")


def _kill_leftovers(run_dir: Path) -> bool:
    """After an `up` that died without cleaning up: kill the process groups it recorded."""
    state_path = run_dir / STATE_FILE
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    killed = False
    for pgid in state.get("process_groups", {}).values():
        if group_alive(int(pgid)):
            kill_group(int(pgid))
            killed = True
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(group_alive(int(p)) for p in state["process_groups"].values()):
        time.sleep(0.05)
    state_path.unlink(missing_ok=True)
    return killed


@stack.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@run_dir_option
def status(as_json: bool, run_dir: Path) -> None:
    """Processes, URLs and HAProxy's view of each node."""
    result = _send(run_dir, "status")
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    table = Table("node", "URL", "nginx", "uWSGI", "balancer")
    for node in result["nodes"]:
        table.add_row(
            str(node["node"]),
            node["url"],
            _process_cell(node["nginx"]),
            _process_cell(node["uwsgi"]),
            node["balancer"],
        )
    console.print(f"balancer {result['url']} ({result['profile']} profile), stats {result['stats_url']}")
    if result.get("emulator_url"):
        console.print(f"emulator {result['emulator_url']} ({_process_cell(result['emulator'])})")
    console.print(table)


def _process_cell(process: dict[str, Any]) -> str:
    return f"running ({process['pid']})" if process["alive"] else "[red]stopped[/]"


@stack.command("kill-node")
@click.argument("node", type=click.IntRange(1, MAX_NODES))
@click.option(
    "--uwsgi-only", is_flag=True, help="Kill only uWSGI (nginx stays up and falls back to the peer)."
)
@run_dir_option
def kill_node(node: int, uwsgi_only: bool, run_dir: Path) -> None:
    """SIGKILL node K's nginx and uWSGI (masters and workers): a crash."""
    _send(run_dir, "kill-node", node=node, uwsgi_only=uwsgi_only)
    console.print(f"node {node}: {'uWSGI' if uwsgi_only else 'nginx and uWSGI'} killed")


@stack.command("start-node")
@click.argument("node", type=click.IntRange(1, MAX_NODES))
@run_dir_option
def start_node(node: int, run_dir: Path) -> None:
    """Start node K's stopped processes again and put it back in the balancer."""
    _send(run_dir, "start-node", node=node)
    console.print(f"node {node}: running and back in the balancer")


@stack.command("stop-node")
@click.argument("node", type=click.IntRange(1, MAX_NODES))
@click.option(
    "--drain/--no-drain", default=True, show_default=True, help="Take it out of the balancer first."
)
@run_dir_option
def stop_node(node: int, drain: bool, run_dir: Path) -> None:
    """Planned maintenance: drain node K (CLB weight 0), let requests finish, stop it."""
    _send(run_dir, "stop-node", node=node, drain=drain)
    console.print(
        f"node {node}: {'drained and ' if drain else ''}stopped; "
        f"`stack start-node {node}{run_dir_flag(run_dir)}` brings it back"
    )
