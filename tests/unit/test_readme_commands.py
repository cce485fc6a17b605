"""The README's "Command line" block names only commands and flags that exist.

A renamed flag or a dropped sub-command otherwise leaves the README telling newcomers to type something
that fails. Each line is resolved against the real click tree (lazy sub-commands included).
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from ecs_assistant.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def command_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def alternatives(line: str) -> list[str]:
    """`ecs-assistant stack up|down|stop-node K --drain` -> one line per sub-command."""
    first, *others = line.split("|")
    prefix = first.rsplit(" ", 1)[0]
    return [first, *(f"{prefix} {other}" for other in others)]


def resolve(line: str) -> tuple[click.Command, list[str]]:
    """The command a line names and the flags it uses."""
    words = re.sub(r"[\[\]]", " ", line).split()
    assert words[0] == "ecs-assistant", line
    ctx = click.Context(main)
    command: click.Command = main
    for word in words[1:]:
        found = command.get_command(ctx, word) if isinstance(command, click.Group) else None
        if found is None:
            break  # an argument (an ID, K) or a flag, not a sub-command
        command = found
    return command, [w.split("=", 1)[0] for w in words if w.startswith("--")]


def readme_commands() -> list[str]:
    return [alt for line in command_lines() for alt in alternatives(line)]


def test_readme_lists_commands() -> None:
    assert len(readme_commands()) >= 14


def test_every_readme_command_and_flag_exists() -> None:
    for line in readme_commands():
        command, flags = resolve(line)
        assert command is not main and not isinstance(command, click.Group), f"no such command: {line}"
        known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        unknown = [flag for flag in flags if flag not in known]
        assert not unknown, f"README line {line!r} uses flags the CLI lacks: {unknown}"
