"""The `ecs-assistant` command line: a thin shell over the packages.

Sub-commands are imported only when invoked, so `ecs-assistant emulator` does not pay for the SDK
imports of `lookup`, and each package owns its own command module.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

# name -> "module:attribute" of a click command or group.
COMMANDS: dict[str, str] = {
    "emulator": "ecs_assistant.emulator.cli:emulator",
    "serve": "ecs_assistant.service_commands:serve",
    "lookup": "ecs_assistant.service_commands:lookup",
    "list": "ecs_assistant.service_commands:list_instances",
    "doctor": "ecs_assistant.service_commands:doctor",
    "settings": "ecs_assistant.service_commands:show_settings",
    "stack": "ecs_assistant.stack.cli:stack",
    "deploy": "ecs_assistant.deploy_commands:deploy",
}


def _module_exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(click.Group):
    """A click group whose sub-commands live in other modules and load on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, target in COMMANDS.items() if _module_exists(target.split(":")[0]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                raise click.ClickException(f"'{cmd_name}' is not available in this build") from exc
            raise
        command: Any = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ecs-assistant")
def main() -> None:
    """ECS Assistant (ECS小助手): look up Alibaba Cloud ECS instances."""
