"""Memory of one node: nginx + uWSGI processes, resident (RSS) and proportional (PSS)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ecs_assistant.stack.processes import processes_in_group


@dataclass(frozen=True)
class NodeMemory:
    rss_mib: float  # sum of every process's resident set (counts shared pages once per process)
    pss_mib: float  # proportional set size: shared pages divided among sharers (sums to real use)
    processes: int


def _kib(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def node_memory(process_groups: list[int]) -> NodeMemory:
    rss = pss = count = 0
    for pgid in process_groups:
        for pid in processes_in_group(pgid):
            rss += _kib(Path(f"/proc/{pid}/status"), "VmRSS")
            pss += _kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss")
            count += 1
    return NodeMemory(rss / 1024, pss / 1024, count)
