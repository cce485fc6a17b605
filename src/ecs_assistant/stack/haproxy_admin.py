"""Talking to HAProxy's admin socket: server states, drain/ready, current sessions.

The runtime API is a line protocol over a unix socket; it is three commands, so a few lines of socket
code replace a client library.
"""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path

BACKEND = "nodes"


class HAProxyAdmin:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", errors="replace")

    def servers(self) -> list[dict[str, str]]:
        """`show stat` rows of the nodes backend's servers."""
        text = self.command("show stat").lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        aggregates = ("FRONTEND", "BACKEND")
        return [row for row in rows if row.get("pxname") == BACKEND and row.get("svname") not in aggregates]

    def server_states(self) -> dict[str, str]:
        """{"node1": "UP", "node2": "DOWN", ...}; transitional states look like "UP 1/2"; drained: "DRAIN"."""
        return {row["svname"]: row["status"] for row in self.servers()}

    def current_sessions(self, server: str) -> int:
        for row in self.servers():
            if row["svname"] == server:
                return int(row.get("scur") or 0)
        raise KeyError(server)

    def served_counts(self) -> dict[str, int]:
        """Total requests each server answered (`stot` sessions plus HTTP responses where available)."""
        counts = {}
        for row in self.servers():
            counts[row["svname"]] = int(row.get("stot") or 0)
        return counts

    def set_state(self, server: str, state: str) -> None:
        """`ready`, `drain` or `maint` for one server of the nodes backend."""
        reply = self.command(f"set server {BACKEND}/{server} state {state}").strip()
        if reply:
            raise RuntimeError(f"haproxy refused 'set server {server} state {state}': {reply}")
