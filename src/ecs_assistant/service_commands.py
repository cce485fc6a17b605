"""Service commands: ``serve``, ``lookup``, ``list``, ``doctor`` and ``settings``.

They read the same ``ECS_ASSISTANT_*`` settings as the service and use the same cloud layer, so what
``lookup`` and ``doctor`` report is what the service would do on this machine.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from ecs_assistant.settings import SETTINGS, Settings, SettingsError, render_markdown_table, unknown_variables

if TYPE_CHECKING:
    from ecs_assistant.cloud.ecs import InstanceDirectory


def _settings(**overrides: Any) -> Settings:
    try:
        settings = Settings.from_env()
        changes = {key: value for key, value in overrides.items() if value is not None}
        return settings.replace(**changes) if changes else settings
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _warn_unknown() -> None:
    for name in unknown_variables():
        click.echo(f"warning: {name} is not a setting (typo?); see `ecs-assistant settings`", err=True)


class _PlainWarnings(logging.Handler):
    """One readable line per warning for the one-shot commands (the service itself logs JSON)."""

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", None) or {}
        detail = "; ".join(f"{key}: {value}" for key, value in fields.items())
        line = f"{record.levelname.lower()}: {record.getMessage()}" + (f" ({detail})" if detail else "")
        click.echo(line, err=True)  # resolves the current stderr at each call


def _cli_logging() -> None:
    """Without a handler, Python prints a bare message through its last-resort handler.

    Attached to the cloud layer's logger (the one these commands use), which the service's own JSON
    logging also configures, so the line appears even in a process that created the app before.
    """
    logger = logging.getLogger("ecs_assistant.cloud")
    if not any(isinstance(handler, _PlainWarnings) for handler in logger.handlers):
        logger.addHandler(_PlainWarnings(logging.WARNING))
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)


def _fail(error: Exception) -> NoReturn:
    code = getattr(error, "code", type(error).__name__)
    message = getattr(error, "message", str(error))
    raise click.ClickException(f"{code}: {message}")


@contextmanager
def _directory() -> Iterator[InstanceDirectory]:
    """The cloud layer as `lookup` and `list` use it: plain warnings, errors as one line, closed after."""
    from ecs_assistant.cloud.ecs import InstanceDirectory
    from ecs_assistant.cloud.errors import ServiceError

    _cli_logging()
    directory = InstanceDirectory(_settings())
    try:
        yield directory
    except ServiceError as error:
        _fail(error)
    finally:
        directory.close()


@click.command()
@click.option("--host", default=None, help="Listen address (default ECS_ASSISTANT_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Listen port (default ECS_ASSISTANT_PORT, 8000).")
@click.option("--debug", is_flag=True, help="Flask debug mode (reloader off).")
def serve(host: str | None, port: int | None, debug: bool) -> None:
    """Run the lookup service with Flask's development server (production uses uWSGI)."""
    from ecs_assistant.api import create_app

    _warn_unknown()
    settings = _settings(host=host, port=port)
    app = create_app(settings)
    click.echo(
        f"ECS Assistant on http://{settings.host}:{settings.port}/ (regions {', '.join(settings.regions)})"
    )
    app.run(host=settings.host, port=settings.port, debug=debug, use_reloader=False, threaded=True)


def _console() -> Console:
    """A terminal-width console, or a wide one when piped so IDs are never wrapped."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _instance_table(documents: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for column in (
        "Instance",
        "Name",
        "Status",
        "Type",
        "vCPU",
        "Memory",
        "OS",
        "Public IP",
        "Mbit/s",
        "Zone",
    ):
        table.add_column(column)
    for doc in documents:
        public = doc["publicIpAddress"] or "-"
        if doc["publicIpSource"] == "eip":
            public += " (EIP)"
        table.add_row(
            doc["instanceId"],
            doc["instanceName"],
            doc["status"],
            doc["instanceType"],
            str(doc["cpu"]),
            f"{doc['memoryMiB'] / 1024:g} GiB",
            doc["osName"],
            public,
            str(doc["internetMaxBandwidthOut"]),
            doc["zoneId"],
        )
    return table


@click.command()
@click.argument("instance_ids", nargs=-1, required=True)
@click.option("--region", default=None, help="Search only this region (default: all configured regions).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def lookup(instance_ids: tuple[str, ...], region: str | None, as_json: bool) -> None:
    """Look instances up by ID (up to 100), as the service would."""
    with _directory() as directory:
        batch = directory.get_many(list(instance_ids), region)
    documents = [instance.to_document() for instance in batch.instances]
    if as_json:
        click.echo(
            json.dumps({"instances": documents, "notFound": batch.not_found}, ensure_ascii=False, indent=2)
        )
    else:
        _console().print(_instance_table(documents, "Instances"))
        for missing in batch.not_found:
            click.echo(f"not found: {missing}", err=True)
    if batch.not_found:
        sys.exit(1)


@click.command()
@click.option("--region", default=None, help="Region (default: the first configured).")
@click.option("--status", default=None, help="Pending, Running, Starting, Stopping or Stopped.")
@click.option("--name", default=None, help="Instance name; * is a wildcard.")
@click.option("--zone", default=None, help="Zone ID.")
@click.option("--vpc", default=None, help="VPC ID.")
@click.option("--type", "instance_type", default=None, help="Instance type, e.g. ecs.g7.large.")
@click.option("--tag", "tags", multiple=True, help="key:value; repeat for several.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--page-size", default=20, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_instances(
    region: str | None,
    status: str | None,
    name: str | None,
    zone: str | None,
    vpc: str | None,
    instance_type: str | None,
    tags: tuple[str, ...],
    page: int,
    page_size: int,
    as_json: bool,
) -> None:
    """List the instances of one region, with filters and paging."""
    from ecs_assistant.cloud.ecs import ListFilters

    parsed_tags = []
    for tag in tags:
        key, _, value = tag.partition(":")
        if not key:
            raise click.BadParameter("expected key:value", param_hint="--tag")
        parsed_tags.append((key, value))
    filters = ListFilters(status, name, zone, vpc, instance_type, tuple(parsed_tags))
    with _directory() as directory:
        result = directory.list_instances(region, filters, page, page_size)
    documents = [instance.to_document() for instance in result.instances]
    if as_json:
        body = {
            "instances": documents,
            "totalCount": result.total_count,
            "pageNumber": result.page_number,
            "pageSize": result.page_size,
            "regionId": result.region_id,
        }
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    pages = max(1, -(-result.total_count // result.page_size))
    title = f"{result.region_id}: {result.total_count} instances (page {result.page_number} of {pages})"
    _console().print(_instance_table(documents, title))


# -- doctor -------------------------------------------------------------------------------------------


_MARKS = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]", "skip": "[dim]skip[/]"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(as_json: bool) -> None:
    """Check this node: metadata, IMDSv2, RAM role, permission (DryRun), endpoint, clock skew."""
    _warn_unknown()
    from ecs_assistant.cloud.doctor import run_checks

    _cli_logging()
    checks = run_checks(_settings())
    if as_json:
        click.echo(json.dumps([check.__dict__ for check in checks], ensure_ascii=False, indent=2))
    else:
        table = Table(title="ecs-assistant doctor")
        for column in ("Check", "Result", "Found", "How to fix"):
            table.add_column(column, overflow="fold")
        for check in checks:
            table.add_row(check.name, _MARKS[check.status], check.detail, check.fix)
        _console().print(table)
    if any(check.status == "fail" for check in checks):
        sys.exit(1)


@click.command(name="settings")
@click.option("--markdown", is_flag=True, help="Print the README's markdown table.")
@click.option("--values", is_flag=True, help="Print the current values (secrets redacted) instead.")
def show_settings(markdown: bool, values: bool) -> None:
    """Show every ECS_ASSISTANT_* setting: name, type, default and meaning."""
    if markdown:
        click.echo(render_markdown_table(), nl=False)
        return
    if values:
        _warn_unknown()
        click.echo(json.dumps(_settings().public_view(), ensure_ascii=False, indent=2))
        return
    table = Table(title="ECS Assistant settings (environment variables)")
    for column in ("Variable", "Type", "Default", "Meaning"):
        table.add_column(column, overflow="fold")
    describe: Callable[[Any], str] = lambda s: "|".join(s.choices) if s.type == "choice" else s.type  # noqa: E731
    for setting in SETTINGS:
        table.add_row(setting.env, describe(setting), setting.default_text() or "(empty)", setting.help)
    _console().print(table)
