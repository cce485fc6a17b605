"""uWSGI pre-fork safety and multi-worker metrics: checked in fresh interpreters, as uWSGI would load us."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from ecs_assistant.api import create_app
from ecs_assistant.settings import Settings


def run_python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_creating_the_app_starts_no_thread_and_opens_no_connection() -> None:
    before = threading.active_count()
    # An unreachable metadata URL and endpoint: creating the app must not touch them.
    app = create_app(Settings(metadata_url="http://127.0.0.1:9", endpoint="127.0.0.1:9", protocol="http"))
    assert app is not None
    assert threading.active_count() == before


def test_wsgi_entry_reads_and_validates_the_environment(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "ECS_ASSISTANT_REGIONS": "cn-beijing",
        "ECS_ASSISTANT_METADATA_URL": "http://127.0.0.1:9",
        "ECS_ASSISTANT_ACCESS_LOG": "false",
    }
    out = run_python(
        """
        import threading
        from ecs_assistant.api.wsgi import application
        print(application.extensions["ecs_assistant.settings"].regions, threading.active_count())
        """,
        env,
    )
    assert out.split() == ["('cn-beijing',)", "1"]
    bad = subprocess.run(
        [sys.executable, "-c", "import ecs_assistant.api.wsgi"],
        env={**env, "ECS_ASSISTANT_CACHE_TTL": "-5"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
    assert "ECS_ASSISTANT_CACHE_TTL='-5': must be at least 0" in bad.stderr


def test_metrics_aggregate_across_forked_workers(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "ECS_ASSISTANT_ACCESS_LOG": "false",
    }
    out = run_python(
        """
        import os
        from ecs_assistant.api import create_app
        from ecs_assistant.settings import Settings
        app = create_app(Settings(access_log=False))   # loaded once in the "master"
        children = []
        for _ in range(3):                               # three "workers", forked like uWSGI does
            pid = os.fork()
            if pid == 0:
                client = app.test_client()
                for _ in range(2):
                    client.get("/healthz")
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        text = app.test_client().get("/metrics").get_data(as_text=True)
        prefix = "ecs_assistant_http_requests_total{"
        line = [l for l in text.splitlines() if l.startswith(prefix) and "/healthz" in l]
        print(line[0].split()[-1])
        """,
        env,
    )
    assert float(out.strip()) == 6.0  # 3 workers x 2 requests, whichever process renders /metrics


def test_creating_the_app_imports_the_sdk_so_forked_workers_inherit_it() -> None:
    # A fresh interpreter, as uWSGI's master: nothing the first lookup needs may be left to import.
    out = run_python(
        """
        import sys, threading
        from ecs_assistant.api import create_app
        from ecs_assistant.cloud.preload import SDK_MODULES
        from ecs_assistant.settings import Settings
        lazy_before = "_strptime" in sys.modules
        create_app(Settings(metadata_url="http://127.0.0.1:9", endpoint="127.0.0.1:9", access_log=False))
        missing = [name for name in SDK_MODULES if name not in sys.modules]
        print(lazy_before, missing, threading.active_count())
        """,
        {"PATH": "/usr/bin:/bin", "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"},
    )
    # _strptime is what the stdlib imports lazily on the first STS expiry parse: only create_app loads it.
    assert out.split() == ["False", "[]", "1"]
    from ecs_assistant.cloud.preload import SDK_MODULES

    assert "alibabacloud_ecs20140526.client" in SDK_MODULES and "darabonba.core" in SDK_MODULES
