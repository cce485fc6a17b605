"""The control channel between a running `stack up` and the other `stack` commands.

`up` keeps every process as its own child (so Ctrl-C can stop them all and nothing is orphaned). The
other commands (`down`, `status`, `kill-node`, ...) run in other terminals, so they send one JSON line
over a unix socket in the run directory; `up` executes the command on its main thread and answers
with one JSON line.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_assistant.stack.errors import StackError

SOCKET_NAME = "control.sock"


@dataclass
class ControlRequest:
    command: str
    args: dict[str, Any]
    reply: queue.Queue[dict[str, Any]] = field(default_factory=lambda: queue.Queue(maxsize=1))
    # Set once the answer has been written back, so that `up` does not exit before `down` hears it.
    sent: threading.Event = field(default_factory=threading.Event)


class ControlServer:
    """Accepts requests on a background thread and hands them to the main thread through `requests`."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / SOCKET_NAME
        self.requests: queue.Queue[ControlRequest] = queue.Queue()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="stack-control")
        self._closed = threading.Event()

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._sock.bind(str(self.path))
        self._sock.listen(8)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._sock.accept()
            except OSError:
                return
            with connection:
                try:
                    self._handle(connection)
                except (OSError, ValueError):
                    continue

    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(300)
        data = b""
        while not data.endswith(b"\n"):
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk
        message = json.loads(data)
        request = ControlRequest(command=str(message.get("command")), args=dict(message.get("args") or {}))
        self.requests.put(request)
        answer = request.reply.get()
        try:
            connection.sendall(json.dumps(answer).encode() + b"\n")
        finally:
            request.sent.set()


def send(run_dir: Path, command: str, timeout: float = 120.0, **args: Any) -> Any:
    """Send one command to the `up` running from `run_dir`; its result, or StackError with its message."""
    path = run_dir / SOCKET_NAME
    if not path.exists():
        raise NotRunningError(f"no stack is running from {run_dir} (start one with `ecs-assistant stack up`)")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            raise NotRunningError(f"no stack is running from {run_dir} (stale {path})") from None
        sock.sendall(json.dumps({"command": command, "args": args}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                raise StackError(f"the stack running from {run_dir} closed the control connection")
            data += chunk
    answer = json.loads(data)
    if not answer.get("ok"):
        raise StackError(str(answer.get("error")))
    return answer.get("result")


class NotRunningError(StackError):
    """No `up` answers in that run directory."""
