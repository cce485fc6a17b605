"""The mini program's page logic against the running local stack.

`npm test` runs the page logic against scripted answers; this runs the same pages with `my.request`
answered over real HTTP by the stack (clients/alipay-miniprogram/test/live/), so both clients are shown to
work against the real service, not just against stubs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.webstack import WebStack

pytestmark = [pytest.mark.stack, pytest.mark.slow]

MINI = Path(__file__).resolve().parents[2] / "clients" / "alipay-miniprogram"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_mini_program_pages_against_the_stack(stack: WebStack) -> None:
    env = {
        **os.environ,
        "ECS_ASSISTANT_LIVE_API": stack.url,
        "ECS_ASSISTANT_LIVE_EMULATOR": stack.emulator_url,
        "NO_PROXY": "*",
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    result = subprocess.run(
        ["node", "--test", "test/live/"],
        cwd=MINI,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = dict(re.findall(r"^# (tests|pass|fail|skipped) (\d+)$", result.stdout, re.MULTILINE))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert summary.get("fail") == "0"
    assert summary.get("skipped") == "0", "the live tests ran instead of skipping"
    assert int(summary.get("pass", "0")) >= 3
