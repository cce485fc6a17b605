"""The emulator package imports nothing from the rest of ecs_assistant (it could be published alone)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ecs_assistant.emulator as emulator_pkg

PACKAGE_DIR = Path(emulator_pkg.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.add("<relative>")
    return names


def test_no_source_file_imports_other_ecs_assistant_packages() -> None:
    offenders = {}
    files = sorted(PACKAGE_DIR.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        bad = {
            m
            for m in _imported_modules(path)
            if m == "<relative>"
            or (m.startswith("ecs_assistant") and not m.startswith("ecs_assistant.emulator"))
        }
        if bad:
            offenders[str(path.relative_to(PACKAGE_DIR))] = bad
    assert offenders == {}


def test_importing_the_emulator_loads_no_other_ecs_assistant_module() -> None:
    code = (
        "import sys, ecs_assistant.emulator.server, ecs_assistant.emulator.cli;"
        "import ecs_assistant.emulator.control_client, ecs_assistant.emulator.signed_client;"
        "print(sorted(m for m in sys.modules if m.startswith('ecs_assistant') "
        "and not m.startswith('ecs_assistant.emulator') and m != 'ecs_assistant'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
