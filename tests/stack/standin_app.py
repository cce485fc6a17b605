"""A tiny WSGI app standing in for the service while developing the stack (tests only, never shipped).

It answers like the real service's health check (`/`, `/healthz` -> "ok") and serves a JSON document on
any other path after a short pause, with the node name in `X-Served-By`, so the stack's process
management and failover can be exercised without the service.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    node = os.environ.get("ECS_ASSISTANT_NODE_NAME", "?")
    path = environ.get("PATH_INFO", "/")
    if path in ("/", "/healthz"):
        body = b"ok"
        content_type = "text/plain"
    else:
        time.sleep(float(os.environ.get("STANDIN_WORK_MS", "5")) / 1000)
        body = json.dumps({"node": node, "pid": os.getpid(), "path": path}).encode()
        content_type = "application/json"
    start_response(
        "200 OK",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("X-Served-By", node)],
    )
    return [body]
