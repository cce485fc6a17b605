"""The emulator's HTTP listeners: one for the OpenAPI and control plane, one per metadata node.

Hand-written on `http.server` rather than a WSGI server because the emulator needs things WSGI hides:
absolute-form request targets (proxy mode), the raw `Host` header for ACS3 verification, and closing the
socket without an answer (the "dropped connection" fault). Each connection gets a thread; HTTP/1.1
keep-alive is honoured so the SDKs' pooled connections stay cheap.

Proxy mode: any listener answers an absolute-form request for host 100.100.100.200 with its metadata
identity (the OpenAPI listener as node 0) and one for *.aliyuncs.com with the OpenAPI. Everything else is
refused with 502; nothing is ever forwarded.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ecs_assistant.emulator.control import PREFIX, ControlPlane
from ecs_assistant.emulator.control_client import ControlClient
from ecs_assistant.emulator.core import EmulatorCore
from ecs_assistant.emulator.http_types import Request, Response

METADATA_HOST = "100.100.100.200"
ALIBABA_DOMAIN = "aliyuncs.com"
MAX_BODY_BYTES = 1 << 20
DEFAULT_ACCESS_KEY_ID = "LTAI5tEmulatorDefault0001"
DEFAULT_ACCESS_KEY_SECRET = "EmulatorDefaultSecretNotReal0001"  # noqa: S105 - fake, documented, emulator-only


def _json_response(status: int, code: str, message: str) -> Response:
    return Response(status, json.dumps({"error": {"code": code, "message": message}}).encode())


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], emulator: EmulatorServer, node: int | None) -> None:
        self.emulator = emulator
        self.node = node  # None: the OpenAPI + control plane listener
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-answer (timeouts, dropped-connection faults) are normal here."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Listener
    server_version = "EcsEmulator"

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log on the control plane is the record."""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def do_CONNECT(self) -> None:
        self.close_connection = True
        self._write(
            _json_response(
                502,
                "ProxyRefused",
                f"the emulator does not tunnel HTTPS (CONNECT {self.path}); use protocol http "
                "so requests for 100.100.100.200 and *.aliyuncs.com reach it as plain HTTP",
            )
        )

    def _read_body(self) -> bytes | None:
        """The request body; None (and the connection closes) when its length is unusable."""
        length = self.headers.get("Content-Length")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # not supported: the SDKs always send Content-Length
            return None
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            size = -1
        if size < 0 or size > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(size) if size > 0 else b""

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            message = (
                f"send a Content-Length of at most {MAX_BODY_BYTES} bytes (chunked bodies are not supported)"
            )
            self._write(_json_response(413, "BodyNotAccepted", message))
            return
        try:
            response = self._route(body)
        except Exception:  # a bug in the emulator: answer 500 and keep the listener alive
            traceback.print_exc()
            response = _json_response(500, "EmulatorBug", "the emulator failed to handle this request")
        self._write(response)

    def _route(self, body: bytes) -> Response:
        target = self.path
        listener = self.server
        emulator = listener.emulator
        if target.startswith(("http://", "https://")):
            try:
                parts = urlsplit(target)
                host = (parts.hostname or "").lower()
                port = parts.port or 80
            except ValueError:
                return _json_response(400, "InvalidTarget", f"cannot parse the request target {target!r}")
            path, query = parts.path or "/", parts.query
            if host == METADATA_HOST:
                return emulator.core.metadata.handle(listener.node or 0, self._request(path, query, body))
            if host == ALIBABA_DOMAIN or host.endswith("." + ALIBABA_DOMAIN):
                return emulator.core.openapi.handle(self._request(path, query, body))
            own = emulator.listener_for(port) if _is_loopback(host) else None
            if own is None:
                return _json_response(
                    502,
                    "ProxyRefused",
                    f"the emulator only answers for {METADATA_HOST} and *.{ALIBABA_DOMAIN} and never "
                    f"forwards requests; refused {self.command} for host {host or '?'}",
                )
            listener = own
        else:
            path, _, query = target.partition("?")
        request = self._request(path, query, body)
        if listener.node is not None:
            return emulator.core.metadata.handle(listener.node, request)
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return emulator.control_plane.handle(request)
        if path.startswith("/latest/"):
            return emulator.core.metadata.handle(0, request)
        return emulator.core.openapi.handle(request)

    def _request(self, path: str, query: str, body: bytes) -> Request:
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        form: list[tuple[str, str]] = []
        content_type = self.headers.get("Content-Type", "")
        if body and content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return Request(
            method=self.command,
            path=path,
            target=self.path,
            query=parse_qsl(query, keep_blank_values=True),
            headers=headers,
            body=body,
            form=form,
        )

    def _write(self, response: Response) -> None:
        if response.drop_connection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        # Status line, headers and body leave in one write: separate small writes would meet Nagle
        # and delayed ACK and cost ~40 ms per keep-alive request.
        phrase = self.responses.get(response.status, ("",))[0]
        head = [
            f"{self.protocol_version} {response.status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
            *(f"{name}: {value}" for name, value in response.headers.items()),
        ]
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            payload += response.body
        self.wfile.write(payload)


class EmulatorServer:
    """The whole emulator in-process: `start()`, use `.endpoint` / `.metadata_urls`, `stop()`."""

    access_key_id = DEFAULT_ACCESS_KEY_ID
    access_key_secret = DEFAULT_ACCESS_KEY_SECRET

    def __init__(
        self,
        world_path: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        metadata_port: int | None = 0,
        metadata_nodes: int = 1,
        sts_lifetime: int | None = None,
        metadata_http_tokens: str | None = None,
    ) -> None:
        """`sts_lifetime` and `metadata_http_tokens` ("required" = hardened-only IMDSv2) override the
        world's settings and survive resets."""
        self.core = EmulatorCore(world_path, sts_lifetime, metadata_http_tokens)
        available = self.core.state.node_count()
        if metadata_nodes < 0 or (metadata_port is not None and metadata_nodes > available):
            raise ValueError(f"the world defines {available} metadata nodes; {metadata_nodes} requested")
        self.control_plane = ControlPlane(self.core, self._describe_listeners)
        self._control_client: ControlClient | None = None
        self.host = host
        self._port = port
        self._metadata_port = metadata_port
        self._metadata_nodes = metadata_nodes if metadata_port is not None else 0
        self._listeners: list[_Listener] = []
        self._threads: list[threading.Thread] = []
        self.port = 0
        self.metadata_urls: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> EmulatorServer:
        """Bind every listener (they accept connections once this returns) and serve in threads."""
        try:
            main = _Listener((self.host, self._port), self, None)
            self._listeners.append(main)
            for k in range(self._metadata_nodes):
                port = 0 if not self._metadata_port else self._metadata_port + k
                self._listeners.append(_Listener((self.host, port), self, k))
        except OSError:
            for listener in self._listeners:
                listener.server_close()
            self._listeners.clear()
            raise
        self.port = main.server_address[1]
        self.metadata_urls = [
            f"http://{self._url_host}:{lst.server_address[1]}" for lst in self._listeners[1:]
        ]
        if not self.metadata_urls:
            self.metadata_urls = [self.url]
        for listener in self._listeners:
            thread = threading.Thread(
                target=listener.serve_forever, kwargs={"poll_interval": 0.2}, name="ecs-emulator", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    @property
    def control(self) -> ControlClient:
        """A control-plane client for this server (available after `start()`)."""
        if self._control_client is None:
            if not self.port:
                raise RuntimeError("the emulator is not started")
            self._control_client = ControlClient(self.url)
        return self._control_client

    def stop(self) -> None:
        if self._control_client is not None:
            self._control_client.close()
            self._control_client = None
        for listener in self._listeners:
            listener.shutdown()
            listener.close_connections()
            listener.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listeners.clear()
        self._threads.clear()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------------

    @property
    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def endpoint(self) -> str:
        return f"{self._url_host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def metadata_url(self) -> str:
        return self.metadata_urls[0]

    def listener_for(self, port: int) -> _Listener | None:
        for listener in self._listeners:
            if listener.server_address[1] == port:
                return listener
        return None

    def _describe_listeners(self) -> dict[str, Any]:
        return {"openapi_url": self.url, "metadata_urls": list(self.metadata_urls)}
