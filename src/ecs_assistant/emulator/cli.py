"""`ecs-assistant emulator`: run the emulator in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from ecs_assistant.emulator.server import DEFAULT_ACCESS_KEY_ID, EmulatorServer
from ecs_assistant.emulator.world import WorldError


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address every listener binds to.")
@click.option(
    "--port",
    default=18000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="OpenAPI + control plane port.",
)
@click.option(
    "--metadata-port",
    default=18100,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Metadata port of node 0; node k listens on this + k (0: ephemeral ports).",
)
@click.option(
    "--metadata-nodes", default=1, show_default=True, type=click.IntRange(0), help="Metadata listeners."
)
@click.option(
    "--world", type=click.Path(path_type=Path, dir_okay=False), default=None, help="World file (YAML)."
)
@click.option(
    "--sts-lifetime", type=click.IntRange(1), default=None, help="STS credential lifetime, seconds."
)
@click.option(
    "--metadata-http-tokens",
    type=click.Choice(["optional", "required"]),
    default=None,
    help="'required' = hardened-only metadata (IMDSv2 tokens mandatory) on every node.",
)
def emulator(
    host: str,
    port: int,
    metadata_port: int,
    metadata_nodes: int,
    world: Path | None,
    sts_lifetime: int | None,
    metadata_http_tokens: str | None,
) -> None:
    """Run the Alibaba Cloud ECS OpenAPI + instance metadata emulator on loopback."""
    try:
        server = EmulatorServer(
            world_path=world,
            host=host,
            port=port,
            metadata_port=metadata_port,
            metadata_nodes=metadata_nodes,
            sts_lifetime=sts_lifetime,
            metadata_http_tokens=metadata_http_tokens,
        )
    except WorldError as exc:
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}: {exc.strerror or exc}") from exc
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    click.echo(f"openapi   {server.url}  (ECS OpenAPI, control plane at {server.url}/__emulator/)", nl=True)
    for node, url in enumerate(server.metadata_urls if metadata_nodes else []):
        click.echo(f"metadata  {url}  (node {node})")
    click.echo(f"access key {DEFAULT_ACCESS_KEY_ID} (default world; secret in docs/emulator.md)")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        click.echo("emulator stopped")
