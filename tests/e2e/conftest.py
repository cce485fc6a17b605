"""Browser end-to-end fixtures: a running local stack, headless Debian Chromium, and a phone-sized page.

The stack is the real one (`LocalStack`: emulator, nginx -> uWSGI -> app nodes, HAProxy) whenever it can
start. Only when it cannot (nginx/HAProxy/uWSGI missing) do the tests fall back to the emulator plus the
Flask app in a loopback werkzeug thread, so the page is still exercised end to end through HTTP.

Chromium is a separate process, out of reach of the socket guard in tests/conftest.py, so it gets its own:
every request it makes is routed through `_loopback_only`, which aborts and records anything not addressed
to 127.0.0.1; `browser_page` fails the test if that record is not empty.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.webstack import WebStack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: any host name other than loopback fails to resolve inside the browser.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
PHONE = {"width": 390, "height": 844}


@contextlib.contextmanager
def _local_stack() -> Iterator[WebStack]:
    from ecs_assistant.stack.runner import LocalStack

    with LocalStack(nodes=2, port=0) as stack:
        yield WebStack(url=stack.url, emulator_url=stack.emulator_url, kind="LocalStack")


@contextlib.contextmanager
def _in_process_stack() -> Iterator[WebStack]:
    from werkzeug.serving import make_server

    from ecs_assistant.api import create_app
    from ecs_assistant.emulator.server import EmulatorServer
    from ecs_assistant.settings import Settings

    with EmulatorServer(metadata_nodes=1) as emulator:
        settings = Settings.from_env(
            {
                "ECS_ASSISTANT_REGIONS": "cn-hangzhou,cn-beijing,cn-shanghai",
                "ECS_ASSISTANT_ENDPOINT": emulator.endpoint,
                "ECS_ASSISTANT_PROTOCOL": "http",
                "ECS_ASSISTANT_METADATA_URL": emulator.metadata_url,
                "ECS_ASSISTANT_NODE_NAME": "e2e",
            }
        )
        server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="e2e-app", daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}"
            yield WebStack(url=url, emulator_url=emulator.url, kind="in-process")
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.fixture(scope="session")
def web_stack() -> Iterator[WebStack]:
    """The real local stack if it starts; otherwise emulator + app in-process (reason printed).

    ECS_ASSISTANT_E2E_STACK=in-process skips the attempt (quick local iteration on the page).
    """
    try:
        if os.environ.get("ECS_ASSISTANT_E2E_STACK") == "in-process":
            raise RuntimeError("ECS_ASSISTANT_E2E_STACK=in-process")
        cm = _local_stack()
        stack = cm.__enter__()
    except Exception as exc:  # the stack's binaries or config are unavailable here: say so, fall back
        reason = f"{type(exc).__name__}: {exc}"
        print(f"\n[e2e] LocalStack unavailable ({reason}); using emulator + app in-process")
        cm = _in_process_stack()
        stack = cm.__enter__()
    try:
        yield stack
    finally:
        cm.__exit__(None, None, None)
        stack.control.close()


@pytest.fixture
def stack(web_stack: WebStack) -> WebStack:
    """The running stack with the emulator's world reset for this test."""
    web_stack.control.reset()
    return web_stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in ("127.0.0.1", "localhost", "::1")


@pytest.fixture
def browser_page(browser: Any, stack: WebStack) -> Iterator[Any]:
    """A phone-sized page (390x844, 2x), Chinese locale, on the stack's /app/."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, locale="zh-CN", service_workers="block"
    )
    escaped: list[str] = []
    errors: list[str] = []

    def _loopback_only(route: Any) -> None:
        if _is_loopback_url(route.request.url):
            route.continue_()
        else:
            escaped.append(route.request.url)
            route.abort()

    context.route("**/*", _loopback_only)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()
    assert escaped == [], f"the browser tried to leave loopback: {escaped}"
    assert errors == [], f"uncaught errors in the page: {errors}"
