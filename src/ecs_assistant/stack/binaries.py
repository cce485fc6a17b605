"""Finding the real programs the stack runs, with an install hint when one is missing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from ecs_assistant.stack.errors import StackError

# Debian puts nginx and haproxy in /usr/sbin, which is not on a normal user's PATH.
_SYSTEM_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")

_INSTALL_HINTS = {
    "nginx": "apt-get install -y nginx-light (Debian) or dnf install -y nginx, or run `make demo` as root",
    "haproxy": "apt-get install -y haproxy (Debian) or dnf install -y haproxy, or run `make demo` as root",
    "wrk": "apt-get install -y wrk",
}


def find_program(name: str) -> Path:
    """The absolute path of a system program, or a StackError that says how to install it."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for directory in _SYSTEM_DIRS:
        candidate = Path(directory) / name
        if candidate.is_file():
            return candidate
    hint = _INSTALL_HINTS.get(name, f"install {name}")
    raise StackError(f"{name} is not installed (not on PATH nor in /usr/sbin); install it: {hint}")


def find_uwsgi() -> Path:
    """The `uwsgi` console script installed by the pyuwsgi wheel next to this interpreter."""
    candidate = Path(sys.executable).parent / "uwsgi"
    if candidate.is_file():
        return candidate
    found = shutil.which("uwsgi")
    if found:
        return Path(found)
    raise StackError("uwsgi is not installed in this environment; install it: pip install pyuwsgi")


def ecs_assistant_command() -> list[str]:
    """How to run `ecs-assistant` with the same interpreter (for the emulator child process)."""
    script = Path(sys.executable).parent / "ecs-assistant"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from ecs_assistant.cli import main; main()"]
