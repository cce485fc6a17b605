"""Bad input that nginx itself rejects still gets the service's JSON error envelope, through the balancer.

A path climbing out of the root (`/app/../..`), a URL over nginx's 8 kB request-line buffer and headers over
its limit never reach the app: nginx answers them. Without the template's error pages that answer is
nginx's HTML page, which no client of this API can parse.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_assistant.stack.runner import LocalStack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(nodes=1, port=0, run_dir=tmp_path_factory.mktemp("nginx-errors")) as running:
        yield running


def _raw_get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes, str]:
    """GET with the path sent exactly as given (no client-side normalisation of `..`)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return (
            response.status,
            response.getheader("Content-Type", ""),
            response.read(),
            response.getheader("X-Request-Id", ""),
        )
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        ("/../../etc/passwd", None, 400, "BadRequest"),
        ("/app/%2e%2e/%2e%2e/pyproject.toml", None, 400, "BadRequest"),
        ("/ecs/getServerInfo?instanceId=i-bp1&pad=" + "x" * 9000, None, 414, "RequestTooLarge"),
        ("/healthz", {"X-Big": "y" * 9000}, 431, "RequestTooLarge"),
        ("/__ecs_assistant/error/400", None, 404, "NotFound"),
    ],
    ids=["dot-dot", "encoded-dot-dot", "long-url", "long-header", "internal-error-page"],
)
def test_nginx_rejections_use_the_json_envelope(
    stack: LocalStack, path: str, headers: dict[str, str] | None, status: int, code: str
) -> None:
    for url in (stack.url, stack.node(1).url):
        got, content_type, body, request_id = _raw_get(url, path, headers)
        assert got == status, (url, body[:200])
        assert content_type == "application/json", (url, body[:200])
        error = json.loads(body)["error"]
        assert set(error) == {"code", "message", "requestId"}
        assert error["code"] == code and error["message"]
        assert error["requestId"] == request_id != ""


def test_app_errors_are_not_replaced(stack: LocalStack) -> None:
    """The error pages cover nginx's own rejections only: the app's specific codes pass through."""
    got, _, body, _ = _raw_get(stack.url, "/ecs/getServerInfo?instanceId=bad")
    assert got == 400 and json.loads(body)["error"]["code"] == "InvalidInstanceId"
    got, _, body, _ = _raw_get(stack.url, "/no/such/route")
    assert got == 404 and json.loads(body)["error"]["code"] == "NotFound"


def test_template_error_pages_render_for_production(tmp_path: Path) -> None:
    from ecs_assistant.stack.render import render_production_bundle

    render_production_bundle(tmp_path, node_name="n1", peer=None, env={}, venv="/v", nginx_group="g")
    text = (tmp_path / "nginx-ecs-assistant.conf").read_text()
    assert "error_page 414 /__ecs_assistant/error/414;" in text
