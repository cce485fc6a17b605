"""Printing the benchmark (rich table), saving it (JSON) and copying the table into docs/bench.md."""

from __future__ import annotations

import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stack_bench import BenchRun

BEGIN = "<!-- bench:table -->"
END = "<!-- /bench:table -->"

# Targets of issue 4 on a 2-core machine, load generator included.
HIT_SHARE_OF_CEILING = 0.25
HIT_P99_MS = 25.0
UPSTREAM_PER_HIT = 0.05
NODE_MEMORY_MIB = 200.0


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _is_lookup(name: str) -> bool:
    return name.startswith(("repeated", "distinct"))


def rows(run: BenchRun) -> list[list[str]]:
    out = []
    for s in run.scenarios:
        out.append(
            [
                s.name,
                f"{s.result.rps:,.0f}",
                f"{s.result.p50_ms:.2f}",
                f"{s.result.p99_ms:.2f}",
                str(s.result.errors),
                _fmt(s.describe_per_lookup) if _is_lookup(s.name) else "-",
                _fmt(s.metadata_per_lookup) if _is_lookup(s.name) else "-",
                _fmt(s.app_per_request) if s.name != "static ceiling" else "-",
            ]
        )
    return out


HEADERS = [
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "DescribeInstances/lookup",
    "metadata/lookup",
    "uWSGI requests/request",
]


def targets(run: BenchRun) -> list[tuple[str, str, bool]]:
    static, hits = run.scenario("static ceiling"), run.scenario("repeated ID (hits)")
    share = hits.result.rps / static.result.rps if static.result.rps else 0.0
    upstream = (hits.describe_per_lookup or 0.0) + (hits.metadata_per_lookup or 0.0)
    worst_rss = max(m.rss_mib for m in run.memory.values())
    worst_pss = max(m.pss_mib for m in run.memory.values())
    return [
        (f"hits >= {HIT_SHARE_OF_CEILING:.0%} of static ceiling", f"{share:.1%}",
         share >= HIT_SHARE_OF_CEILING),
        (f"hit p99 <= {HIT_P99_MS:g} ms at {run.connections} connections", f"{hits.result.p99_ms:.1f} ms",
         hits.result.p99_ms <= HIT_P99_MS),
        (f"<= {UPSTREAM_PER_HIT} upstream calls/repeated lookup", f"{upstream:.4f}",
         upstream <= UPSTREAM_PER_HIT),
        (f"<= {NODE_MEMORY_MIB:g} MiB per node (nginx + uWSGI, PSS)",
         f"{worst_pss:.0f} MiB PSS ({worst_rss:.0f} MiB RSS sum)", worst_pss <= NODE_MEMORY_MIB),
    ]  # fmt: skip


def print_report(run: BenchRun, console: Console) -> None:
    table = Table(
        *HEADERS, title=f"HAProxy -> {run.nodes} x (nginx -> uWSGI -> app), {run.connections} connections"
    )
    for row in rows(run):
        table.add_row(*row)
    console.print(table)
    memory = Table(
        "node", "processes", "RSS MiB (sum)", "PSS MiB (sum)", title="memory per node (nginx + uWSGI)"
    )
    for name, m in run.memory.items():
        memory.add_row(name, str(m.processes), f"{m.rss_mib:.0f}", f"{m.pss_mib:.0f}")
    console.print(memory)
    checks = Table("target", "measured", "met", title="targets (issue 4)")
    for label, measured, met in targets(run):
        checks.add_row(label, measured, "yes" if met else "[red]no[/]")
    console.print(checks)


def markdown(run: BenchRun) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {run.nodes} nodes, uWSGI "
        f"{run.processes} processes x {run.threads} threads per node, wrk {run.connections} connections, "
        f"{run.seconds:g} s per scenario; nginx lookup microcache "
        f"{f'{run.microcache_seconds} s' if run.microcache_seconds else 'off'}; "
        f"stack ready in {run.ready_seconds:.1f} s; "
        f"1-min load average {run.load_average:.1f} when the scenarios started (2 cores).",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(run)]
    lines += ["", "| node | processes | RSS MiB (sum) | PSS MiB (sum) |", "|---|---|---|---|"]
    lines += [f"| {n} | {m.processes} | {m.rss_mib:.0f} | {m.pss_mib:.0f} |" for n, m in run.memory.items()]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {label} | {measured} | {'yes' if met else 'no'} |" for label, measured, met in targets(run)]
    return "\n".join(lines)


def save(run: BenchRun, results_dir: Path, docs: Path | None) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(run.to_json(), indent=2), encoding="utf-8")
    (results_dir / "latest.json").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    if docs is not None and docs.exists():
        text = docs.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            docs.write_text(f"{head}{BEGIN}\n{markdown(run)}\n{END}{tail}", encoding="utf-8")
    return path
