"""The instance-ID rule is the same in the service (Python) and in both clients (format.js).

The clients check IDs before any request; if the two rules drifted, a client would either refuse an ID the
service accepts or send one the service rejects. This runs one table of tricky inputs through both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ecs_assistant.instances import normalize_instance_id

FORMAT_JS = Path(__file__).resolve().parents[2] / "clients" / "alipay-miniprogram" / "utils" / "format.js"

CASES = [
    "i-12345678",
    "i-1234567",
    "i-" + "a" * 32,
    "i-" + "a" * 33,
    "i-bp1abcdefghijklmn0",
    "  i-bp1abcdefghijklmn0  ",
    "\ti-bp1abcdefghijklmn0\n",
    "\u3000i-bp1abcdefghijklmn0\u3000",
    "i-bp1abcdefghijklmn0\n\n",
    "I-bp1abcdefghijklmn0",
    "i-BP1ABCDEFGHIJKLMN0",
    "i_bp1abcdefghijklmn0",
    "i-bp1abc defghijklmn0",
    "i-bp1abcdéfghijklmn0",
    "i-bp1abcdefghijklmn0;drop",
    "",
    "   ",
    "i-",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_python_and_javascript_agree_on_every_case() -> None:
    script = (
        "const f = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map((c) => {"
        "  const r = f.checkInstanceId(c); return r.ok ? r.id : null; })));"
    )
    result = subprocess.run(
        ["node", "-e", script, str(FORMAT_JS)],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    javascript = json.loads(result.stdout)
    python = [normalize_instance_id(c) for c in CASES]
    assert javascript == python
    assert sum(v is not None for v in python) >= 5, "the table has accepted cases too"
