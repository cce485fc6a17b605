"""Test-wide guards.

No test may send a packet beyond loopback (127.0.0.0/8, ::1), and the real metadata address
100.100.100.200 must never be contacted. The guard wraps the socket layer itself, so it also covers the
official SDKs, `requests`, `urllib` and anything else running in the test process; a violation raises
instead of leaving the machine. Subprocesses started by tests are pointed at loopback by configuration.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

pytest_plugins = ["tests.fixtures.emulator"]

# The credentials library reads these at import time; set them before anything imports it, so that its
# default chain never even tries the real metadata service.
os.environ.setdefault("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
os.environ.setdefault("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)


class NetworkEscapeError(RuntimeError):
    """A test tried to reach an address beyond loopback."""


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


def _check_address(address: Any) -> None:
    host = address[0] if isinstance(address, tuple) and address else None
    if isinstance(host, str) and not _is_loopback(host):
        raise NetworkEscapeError(f"test tried to connect to {host!r}; only loopback is allowed")
    # AF_UNIX paths (str/bytes) stay on the machine.


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
    _check_address(args[-1])
    return _real_sendto(self, data, *args)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> Iterator[None]:
    """Installed for the whole run: every in-process socket may only reach loopback."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
        socket.socket.sendto = _real_sendto  # type: ignore[method-assign]
