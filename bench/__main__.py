"""`make bench`: the local stack under load, printed as a table and saved as JSON.

.venv/bin/python -m bench [--seconds 10] [--connections 16] [--nodes 2] [--distinct 24000]
                         [--microcache SECONDS] [--no-docs]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from rich.console import Console

from bench.report import print_report, save
from bench.stack_bench import run_bench
from ecs_assistant.stack.render import DEFAULT_MICROCACHE_SECONDS

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="load per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument(
        "--distinct", type=int, default=24000, help="synthetic instances for the miss scenario"
    )
    parser.add_argument("--processes", type=int, help="uWSGI processes per node (default: the template's)")
    parser.add_argument("--threads", type=int, help="uWSGI threads per process (default: the template's)")
    parser.add_argument(
        "--microcache",
        type=int,
        default=DEFAULT_MICROCACHE_SECONDS,
        help="nginx lookup microcache TTL in seconds (0: off; default: the template's)",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not update the table in docs/bench.md")
    args = parser.parse_args(argv)
    # The stack's children must never reach the real metadata service or a proxy.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)
    console = Console()
    status = console.status("running the benchmark (stack up, warm-up, six scenarios)...")
    with tempfile.TemporaryDirectory(prefix="ecs-assistant-bench-") as tmp, status:
        run = run_bench(
            Path(tmp),
            seconds=args.seconds,
            connections=args.connections,
            nodes=args.nodes,
            distinct=args.distinct,
            processes=args.processes,
            threads=args.threads,
            microcache_seconds=args.microcache,
        )
    print_report(run, console)
    path = save(run, ROOT / "bench" / "results", None if args.no_docs else ROOT / "docs" / "bench.md")
    console.print(f"saved {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
