"""The stack's TCP ports: defaults, free-port picking, and the "already in use" check."""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass

from ecs_assistant.stack.errors import StackError

HOST = "127.0.0.1"
DEFAULT_BALANCER_PORT = 8080
DEFAULT_STATS_PORT = 8404
DEFAULT_EMULATOR_PORT = 18000
DEFAULT_METADATA_PORT = 18100
# Node k's public listener is balancer + k; its internal (peer fallback) listener balancer + 10 + k.
INTERNAL_OFFSET = 10


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port (and we may bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def port_is_listening(port: int) -> bool:
    """True when something accepts connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def free_port() -> int:
    """A port the kernel says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def free_port_block(count: int, exclude: set[int]) -> int:
    """The first port of `count` consecutive free ports (the emulator's metadata listeners need that)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000 - count)
        block = range(base, base + count)
        if not exclude.intersection(block) and all(port_is_free(p) for p in block):
            return base
    raise StackError(f"could not find {count} consecutive free ports on {HOST}")


@dataclass(frozen=True)
class StackPorts:
    """Every port one stack uses."""

    balancer: int
    stats: int
    emulator: int
    metadata_base: int
    nodes: tuple[int, ...]
    internal: tuple[int, ...]

    def metadata(self, node: int) -> int:
        """Metadata listener of node `node` (1-based): the emulator serves node k-1 on base + k - 1."""
        return self.metadata_base + node - 1

    def named(self, with_emulator: bool) -> list[tuple[str, int]]:
        """(purpose, port) for every listener, for messages."""
        named = [("balancer", self.balancer), ("HAProxy stats", self.stats)]
        for k, (public, internal) in enumerate(zip(self.nodes, self.internal, strict=True), start=1):
            named += [(f"node {k}", public), (f"node {k} internal", internal)]
        if with_emulator:
            named.append(("emulator", self.emulator))
            named += [(f"node {k} metadata", self.metadata(k)) for k in range(1, len(self.nodes) + 1)]
        return named

    def check_distinct(self, with_emulator: bool) -> None:
        """Raise a one-line StackError when two listeners would share a port (e.g. --port 8403: node 1
        on the stats port 8404), instead of leaving nginx or HAProxy to fail to bind later."""
        seen: dict[int, str] = {}
        for purpose, port in self.named(with_emulator):
            if port in seen:
                raise StackError(
                    f"--port {self.balancer} with {len(self.nodes)} node(s) puts port {port} to two uses "
                    f"({seen[port]}) and ({purpose}); pick another --port, or --port 0 for free ports"
                )
            seen[port] = purpose

    def check_free(self, with_emulator: bool) -> None:
        """Raise a one-line StackError naming the first port already in use (or used twice)."""
        self.check_distinct(with_emulator)
        for purpose, port in self.named(with_emulator):
            if not port_is_free(port):
                # --port moves the balancer and the nodes; the stats, emulator and metadata ports are
                # fixed defaults that only --port 0 replaces.
                movable = port in (self.balancer, *self.nodes, *self.internal)
                way_out = "pick other ports with --port" if movable else "use --port 0 to pick free ports"
                raise StackError(
                    f"port {port} ({purpose}) is already in use on {HOST}; stop whatever listens there "
                    f"(`ss -ltnp 'sport = :{port}'`) or {way_out}"
                )


def plan_ports(nodes: int, port: int) -> StackPorts:
    """Ports for a stack: the documented defaults around `port`, or all free ones when `port` is 0."""
    if port == 0:
        taken: set[int] = set()

        def pick() -> int:
            while True:
                candidate = free_port()
                if candidate not in taken:
                    taken.add(candidate)
                    return candidate

        balancer, stats, emulator = pick(), pick(), pick()
        public = tuple(pick() for _ in range(nodes))
        internal = tuple(pick() for _ in range(nodes))
        metadata_base = free_port_block(nodes, taken)
        return StackPorts(balancer, stats, emulator, metadata_base, public, internal)
    if not 1 <= port <= 65535 - 2 * INTERNAL_OFFSET:
        raise StackError(f"--port {port} is out of range")
    return StackPorts(
        balancer=port,
        stats=DEFAULT_STATS_PORT,
        emulator=DEFAULT_EMULATOR_PORT,
        metadata_base=DEFAULT_METADATA_PORT,
        nodes=tuple(port + k for k in range(1, nodes + 1)),
        internal=tuple(port + INTERNAL_OFFSET + k for k in range(1, nodes + 1)),
    )
