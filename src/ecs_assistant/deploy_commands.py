"""`ecs-assistant deploy`: what a production node needs that can be computed without the cloud.

`render` writes one node's configuration from the same templates the local stack runs (so what the tests
exercise is what gets installed); `deploy/install.sh` calls it on every node. `policy` prints the
least-privilege RAM policy of the nodes' instance role; this module is the single source of that policy
(the ROS template's copy is tested against it).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

# The two read-only actions the service calls (alibaba-cloud-api.md §7): DescribeInstances for every lookup
# and DescribeInstanceStatus for telling "no permission" apart from "not found".
_LEAST_PRIVILEGE_POLICY: dict[str, Any] = {
    "Version": "1",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ecs:DescribeInstances", "ecs:DescribeInstanceStatus"],
            "Resource": "*",
        }
    ],
}

# nginx identifiers are built from the node name (upstream and variable names), so only word characters.
_NODE_NAME = re.compile(r"^[A-Za-z0-9_]{1,40}$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")
_PEER = re.compile(r"^(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>[0-9]{1,5})$")
# Credentials come from the instance's RAM role; a long-lived AccessKey must never land in a node's files.
_FORBIDDEN_ENV = frozenset(
    {
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "ALICLOUD_ACCESS_KEY",
        "ALICLOUD_SECRET_KEY",
    }
)


def least_privilege_policy() -> dict[str, Any]:
    """The RAM policy document of the nodes' instance role (a fresh copy each call)."""
    return copy.deepcopy(_LEAST_PRIVILEGE_POLICY)


def node_environment(
    *, node_name: str, regions: Sequence[str], extra: Sequence[str], use_vpc_endpoint: bool
) -> dict[str, str]:
    """The node's ECS_ASSISTANT_* settings: defaults for a cloud node, then `KEY=VALUE` overrides."""
    env = {
        "ECS_ASSISTANT_NODE_NAME": node_name,
        "ECS_ASSISTANT_CREDENTIALS": "ram_role",
        "ECS_ASSISTANT_USE_VPC_ENDPOINT": "true" if use_vpc_endpoint else "false",
    }
    if regions:
        env["ECS_ASSISTANT_REGIONS"] = ",".join(regions)
    for item in extra:
        name, sep, value = item.partition("=")
        if not sep or not _ENV_NAME.match(name):
            raise click.BadParameter(f"{item!r} is not KEY=VALUE with an upper-case KEY", param_hint="--env")
        if name in _FORBIDDEN_ENV:
            raise click.BadParameter(
                f"{name} would store a credential on the node; nodes use their RAM role instead",
                param_hint="--env",
            )
        if "\n" in value or "\r" in value:
            raise click.BadParameter(f"the value of {name} must be one line", param_hint="--env")
        env[name] = value
    return env


def _split_regions(values: Sequence[str]) -> list[str]:
    regions: list[str] = []
    for value in values:
        for region in value.split(","):
            region = region.strip()
            if not region:
                continue
            if not _REGION.match(region):
                raise click.BadParameter(
                    f"{region!r} is not a region ID such as cn-hangzhou", param_hint="--region"
                )
            if region not in regions:
                regions.append(region)
    return regions


def _check_peer(peer: str | None) -> str | None:
    if peer is None or peer == "":
        return None
    match = _PEER.match(peer)
    if match is None or not 1 <= int(match.group("port")) <= 65535:
        raise click.BadParameter(f"{peer!r} is not HOST:PORT (e.g. 10.0.0.2:8081)", param_hint="--peer")
    return peer


@click.group()
def deploy() -> None:
    """Production deployment helpers (used by deploy/install.sh and the ROS template)."""


@deploy.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the files into (created if missing).",
)
@click.option("--node-name", required=True, help="This node's name (letters, digits, underscore).")
@click.option("--peer", default=None, help="HOST:PORT of the peer's internal listener (nginx fallback).")
@click.option("--region", "regions", multiple=True, help="Region(s) to answer for; repeat or comma.")
@click.option("--env", "extra_env", multiple=True, help="Extra setting KEY=VALUE for the environment file.")
@click.option("--app-user", default="api", show_default=True, help="User uWSGI runs as.")
@click.option(
    "--nginx-group",
    default="nginx",
    show_default=True,
    help="Group of nginx's workers (Alibaba Cloud Linux: nginx, Debian: www-data).",
)
@click.option("--venv", default="/opt/ecs-assistant/venv", show_default=True, help="The app's virtualenv.")
@click.option("--config-dir", default="/etc/ecs-assistant", show_default=True, help="Config dir on the node.")
@click.option(
    "--vpc-endpoint/--public-endpoint",
    default=True,
    show_default=True,
    help="Call ECS through ecs-vpc.<region>.aliyuncs.com (nodes in a VPC) or the public endpoint.",
)
@click.option(
    "--microcache",
    "microcache_seconds",
    type=int,
    default=None,
    metavar="SECONDS",
    help="Seconds nginx keeps lookup answers (0 disables; 0..3600). Default: the render default (1 s).",
)
def render(
    out_dir: Path,
    node_name: str,
    peer: str | None,
    regions: tuple[str, ...],
    extra_env: tuple[str, ...],
    app_user: str,
    nginx_group: str,
    venv: str,
    config_dir: str,
    vpc_endpoint: bool,
    microcache_seconds: int | None,
) -> None:
    """Write one node's uwsgi.ini, nginx server config, systemd unit and environment file."""
    # Imported here: the stack package pulls in Jinja2, which `deploy policy` does not need.
    from ecs_assistant.stack.render import (
        DEFAULT_MICROCACHE_SECONDS,
        check_microcache_seconds,
        render_production_bundle,
    )

    if microcache_seconds is None:
        microcache_seconds = DEFAULT_MICROCACHE_SECONDS
    try:
        check_microcache_seconds(microcache_seconds)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--microcache") from None

    if not _NODE_NAME.match(node_name):
        raise click.BadParameter(
            f"{node_name!r} must be 1-40 letters, digits or underscores (it names nginx upstreams)",
            param_hint="--node-name",
        )
    env = node_environment(
        node_name=node_name,
        regions=_split_regions(regions),
        extra=extra_env,
        use_vpc_endpoint=vpc_endpoint,
    )
    try:
        written = render_production_bundle(
            out_dir,
            node_name=node_name,
            peer=_check_peer(peer),
            env=env,
            app_user=app_user,
            nginx_group=nginx_group,
            venv=venv,
            config_dir=config_dir,
            microcache_seconds=microcache_seconds,
        )
    except OSError as exc:
        raise click.ClickException(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc
    for path in written:
        click.echo(str(path))


@deploy.command()
def policy() -> None:
    """Print the least-privilege RAM policy for the nodes' instance role (JSON)."""
    click.echo(json.dumps(least_privilege_policy(), indent=2))
