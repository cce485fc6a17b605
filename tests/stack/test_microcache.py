"""nginx's lookup microcache against a running stack: what it caches, for whom, and what it reports.

"The app did not see the request" is checked twice, independently: the emulator's request log (no upstream
call) and the app's own request counter from /metrics (summed over the uWSGI workers), which counts cache
hits of the app too. HAProxy's health checks hit `/`, which is why the counter is read per route.

Two stacks with the microcache on: one without API keys (what is cached and reported), one with API keys
(requests that carry a credential bypass the microcache, so no key is ever written into a cache file).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from ecs_assistant.stack.runner import LocalStack
from tests.stack.conftest import STANDIN

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(STANDIN, reason="needs the real service (metrics, API keys)"),
]

KEY_ONE, KEY_TWO = "microcache-test-key-one", "microcache-test-key-two"
TTL = 30  # long enough that "within the TTL" never depends on the machine's speed


@pytest.fixture(scope="module")
def cached_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One node, no API keys: anonymous lookups are what the microcache serves."""
    with LocalStack(
        nodes=1, port=0, run_dir=tmp_path_factory.mktemp("microcache"), microcache_seconds=TTL
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def keyed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One node with API keys configured: every successful lookup carries a credential."""
    with LocalStack(
        nodes=1,
        port=0,
        run_dir=tmp_path_factory.mktemp("microcache-keys"),
        microcache_seconds=TTL,
        env={"ECS_ASSISTANT_API_KEYS": f"{KEY_ONE},{KEY_TWO}"},
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def uncached_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(
        nodes=1, port=0, run_dir=tmp_path_factory.mktemp("no-microcache"), microcache_seconds=0
    ) as stack:
        yield stack


def _instance_ids(stack: LocalStack) -> list[str]:
    instances = requests.get(f"{stack.emulator_url}/__emulator/instances", timeout=5).json()
    return [i["InstanceId"] for i in instances if i["RegionId"] == "cn-hangzhou"]


def _app_lookups(stack: LocalStack) -> int:
    """Requests the app answered on the lookup routes (its Prometheus counter, all workers)."""
    text = requests.get(f"{stack.node(1).url}/metrics", timeout=5).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "ecs_assistant_http_requests_total" and sample.labels["route"].startswith(
                ("/api/v1/instances", "/ecs/")
            ):
                total += sample.value
    return int(total)


def _upstream_calls(stack: LocalStack) -> int:
    return int(requests.get(f"{stack.emulator_url}/__emulator/requests", timeout=5).json()["total"])


def _get(stack: LocalStack, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{stack.url}{path}", headers=headers, timeout=10)


@pytest.mark.parametrize("route", ["/api/v1/instances/{id}", "/ecs/getServerInfo?instanceId={id}"])
def test_repeated_lookup_is_answered_by_nginx_without_the_app(cached_stack: LocalStack, route: str) -> None:
    instance_id = _instance_ids(cached_stack)[0 if "api" in route else 1]
    path = route.format(id=instance_id)
    first = _get(cached_stack, path, **{"X-Request-Id": "mc-first-1"})
    assert first.status_code == 200, first.text
    assert first.headers["X-Microcache"] == "MISS"
    assert first.headers["X-Cache"] in ("MISS", "HIT")  # the app's own value on an nginx miss
    assert first.headers["X-Request-Id"] == "mc-first-1"
    calls, lookups = _upstream_calls(cached_stack), _app_lookups(cached_stack)

    second = _get(cached_stack, path, **{"X-Request-Id": "mc-second-2"})
    third = _get(cached_stack, path)  # no ID sent: nginx makes one

    for cached in (second, third):
        assert cached.status_code == 200
        assert cached.headers["X-Microcache"] == "HIT"
        assert cached.headers["X-Cache"] == "HIT"
        assert cached.json() == first.json()
    assert second.headers["X-Request-Id"] == "mc-second-2"  # this request's ID, not the cached one
    assert third.headers["X-Request-Id"] not in ("mc-first-1", "mc-second-2", "")
    assert _upstream_calls(cached_stack) == calls, "a microcache hit must make no upstream call"
    assert _app_lookups(cached_stack) == lookups, "a microcache hit must not reach the app"
    _assert_logged(cached_stack, "mc-second-2", '"microcache":"HIT"')


def _assert_logged(stack: LocalStack, request_id: str, fragment: str) -> None:
    """nginx's JSON access log (buffered, flushed every second) records the cache status."""
    log = stack.node(1).directory / "access.log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in _read(log).splitlines() if f'"request_id":"{request_id}"' in line]
        if lines:
            assert fragment in lines[0], lines[0]
            assert '"cache":"HIT"' in lines[0], lines[0]
            return
        time.sleep(0.2)
    raise AssertionError(f"no access-log line for {request_id}")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_not_found_is_not_cached(cached_stack: LocalStack) -> None:
    path = "/api/v1/instances/i-microcachemissing01"
    lookups = _app_lookups(cached_stack)
    answers = [_get(cached_stack, path) for _ in range(2)]
    assert [a.status_code for a in answers] == [404, 404]
    assert [a.json()["error"]["code"] for a in answers] == ["InstanceNotFound"] * 2
    assert all(a.headers.get("X-Microcache") != "HIT" for a in answers)
    assert _app_lookups(cached_stack) == lookups + 2


def _cache_files(stack: LocalStack) -> list[Path]:
    """The node's microcache files (entries and any temp files nginx left), read after the requests."""
    return [path for path in (stack.node(1).directory / "microcache").rglob("*") if path.is_file()]


def _assert_no_cache_file_contains(stack: LocalStack, *secrets: str) -> None:
    for path in _cache_files(stack):
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{path} holds a credential"


@pytest.mark.parametrize(
    "credential",
    [{"X-API-Key": KEY_ONE}, {"Authorization": f"Bearer {KEY_TWO}"}],
    ids=["x-api-key", "authorization"],
)
def test_requests_with_a_key_bypass_the_microcache(
    keyed_stack: LocalStack, credential: dict[str, str]
) -> None:
    path = f"/api/v1/instances/{_instance_ids(keyed_stack)[2]}"
    lookups = _app_lookups(keyed_stack)
    answers = [_get(keyed_stack, path, **credential) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    # Never answered from nor stored in nginx's cache: every repeat reaches the app (its own cache serves it).
    assert [a.headers["X-Microcache"] for a in answers] == ["BYPASS"] * 3
    assert _app_lookups(keyed_stack) == lookups + 3

    # Without a key, or with a wrong one: the app's 401, never a 200 cached for someone with a key.
    for headers in ({}, {"X-API-Key": "not-a-key"}, {}):
        denied = _get(keyed_stack, path, **headers)
        assert denied.status_code == 401, denied.text
        assert denied.json()["error"]["code"] == "Unauthorized"
        assert denied.headers.get("X-Microcache") != "HIT"
    assert _app_lookups(keyed_stack) == lookups + 6  # 401s are not cached either
    _assert_no_cache_file_contains(keyed_stack, KEY_ONE, KEY_TWO)


def test_a_cached_stack_writes_no_credential_into_its_cache_files(cached_stack: LocalStack) -> None:
    """Without API keys configured the app ignores the headers; nginx still keeps them out of its files."""
    path = f"/api/v1/instances/{_instance_ids(cached_stack)[5]}"
    assert _get(cached_stack, path).status_code == 200  # an anonymous entry: the cache is in use
    assert _get(cached_stack, path).headers["X-Microcache"] == "HIT"
    with_key = [_get(cached_stack, path, **{"X-API-Key": KEY_ONE}) for _ in range(2)]
    assert [a.headers["X-Microcache"] for a in with_key] == ["BYPASS"] * 2
    assert _get(cached_stack, path).headers["X-Microcache"] == "HIT"  # the bypass did not replace the entry
    assert _cache_files(cached_stack), "the anonymous lookups were cached"
    _assert_no_cache_file_contains(cached_stack, KEY_ONE)


def test_concurrent_identical_misses_make_one_app_request(cached_stack: LocalStack) -> None:
    path = f"/ecs/getServerInfo?instanceId={_instance_ids(cached_stack)[3]}&regionId=cn-hangzhou"
    # The app caches the instance first (another URI, so nginx's cache stays cold): the lock holder's
    # answer then takes milliseconds, well inside the 100 ms lock timeout the waiters poll against.
    assert _get(cached_stack, f"{path}&prime=1").status_code == 200
    lookups = _app_lookups(cached_stack)
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def fetch() -> None:
        barrier.wait()
        statuses.append(_get(cached_stack, path).status_code)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200] * 8
    # uwsgi_cache_lock: the others waited for the first answer (without the lock: ~8 app requests). One
    # more is tolerated for a waiter that a slow moment on this shared machine pushed past the timeout.
    assert lookups + 1 <= _app_lookups(cached_stack) <= lookups + 2


def test_health_and_operational_routes_are_never_cached(cached_stack: LocalStack) -> None:
    for path in ("/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/api/v1/regions"):
        answers = [_get(cached_stack, path) for _ in range(2)]
        assert all("X-Microcache" not in a.headers for a in answers), path
        assert answers[0].headers["X-Request-Id"] != answers[1].headers["X-Request-Id"], path
    conf = (cached_stack.node(1).directory / "nginx-node.conf").read_text()
    assert conf.count("uwsgi_cache ecs_assistant_microcache_node1;") == 3  # the three lookup locations
    assert f"uwsgi_cache_valid 200 {TTL}s;" in conf


def test_ttl_zero_caches_nothing(uncached_stack: LocalStack) -> None:
    path = f"/api/v1/instances/{_instance_ids(uncached_stack)[0]}"
    lookups = _app_lookups(uncached_stack)
    answers = [_get(uncached_stack, path) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert all("X-Microcache" not in a.headers for a in answers)
    assert _app_lookups(uncached_stack) == lookups + 3
    conf = (uncached_stack.node(1).directory / "nginx-node.conf").read_text()
    assert "uwsgi_cache" not in conf


def test_head_is_cached_too_and_answered_without_a_body(cached_stack: LocalStack) -> None:
    path = f"{cached_stack.url}/ecs/getServerInfo?instanceId={_instance_ids(cached_stack)[4]}"
    full = requests.get(path, timeout=10)
    first = requests.head(path, timeout=10)
    lookups = _app_lookups(cached_stack)
    second = requests.head(path, timeout=10)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers["X-Microcache"] == "HIT" and second.content == b""
    assert second.headers["Content-Length"] == str(len(full.content))  # the cached answer is the full one
    assert _app_lookups(cached_stack) == lookups
