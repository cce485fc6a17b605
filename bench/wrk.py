"""Running Debian's `wrk` with a Lua script that walks a list of paths and reports JSON.

wrk is a C load generator: on a 2-core machine a Python client would spend the CPU the stack needs.
The Lua `done` hook prints the numbers as one JSON line, so nothing parses wrk's human output.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ecs_assistant.stack.binaries import find_program

_SCRIPT = """
local paths = {%(paths)s}
local unique = %(unique)s
local counter = 0
local threads_set_up = 0

function setup(thread)
  thread:set("offset", %(spread)d * threads_set_up)
  thread:set("tid", threads_set_up)
  threads_set_up = threads_set_up + 1
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  if unique then
    -- an argument the app ignores, different on every request: a different nginx microcache key
    local sep = "?"
    if string.find(path, "?", 1, true) then sep = "&" end
    path = path .. sep .. "bench=" .. tid .. "." .. counter
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "errors_connect": %%d, "errors_read": %%d, ' ..
    '"errors_write": %%d, "errors_status": %%d, "errors_timeout": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    base_url: str,
    paths: list[str],
    *,
    seconds: float,
    connections: int = 16,
    threads: int = 2,
    script_dir: Path,
    unique: bool = False,
) -> WrkResult:
    """Closed-loop keep-alive load: `connections` connections over `threads` wrk threads.

    `unique` appends an argument that differs on every request, so no answer can come from nginx's
    microcache (whose key is the full URI) while the app sees the same lookup.
    """
    wrk = find_program("wrk")
    # Each wrk thread starts at a different place in the list, so distinct-ID runs stay distinct.
    spread = max(1, len(paths) // threads)
    lua = _SCRIPT % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "spread": spread,
        "unique": "true" if unique else "false",
    }
    script = script_dir / "paths.lua"
    script.write_text(lua, encoding="utf-8")
    argv = [
        str(wrk),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    completed = subprocess.run(
        [*argv, base_url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    line = next(ln for ln in completed.stdout.splitlines() if ln.startswith('{"requests"'))
    data = json.loads(line)
    errors = sum(data[k] for k in data if k.startswith("errors_"))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )
