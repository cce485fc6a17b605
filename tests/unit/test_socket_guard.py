"""The loopback guard itself must hold, or every other network promise is hollow."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.conftest import NetworkEscapeError


def test_metadata_address_is_refused_before_any_packet() -> None:
    with pytest.raises(NetworkEscapeError):
        socket.create_connection(("100.100.100.200", 80), timeout=0.5)


def test_requests_to_public_address_is_refused() -> None:
    with pytest.raises((NetworkEscapeError, requests.exceptions.ConnectionError)) as info:
        requests.get("http://100.100.100.200/latest/meta-data/instance-id", timeout=0.5)
    assert "loopback" in str(info.value)


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=1)
    conn, _ = server.accept()
    conn.sendall(b"x")
    assert client.recv(1) == b"x"
    for s in (client, conn, server):
        s.close()


def test_udp_to_public_address_is_refused() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(NetworkEscapeError):
            sock.sendto(b"x", ("8.8.8.8", 53))
    finally:
        sock.close()
