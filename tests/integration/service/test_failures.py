"""Failure handling against the emulator: retries, stale-if-error, timeouts, permissions, credentials."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .conftest import Service, describe_calls


def first_id(emulator: Any, region: str = "cn-hangzhou") -> str:
    return str(emulator.control.instances(region)[0]["InstanceId"])


def test_throttling_is_retried_and_succeeds(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service(regions=("cn-hangzhou",))
    service.directory.credentials.ensure()
    emulator.control.add_fault(action="DescribeInstances", code="Throttling", status=400, count=2)
    emulator.control.clear_requests()
    response = service.get(f"/ecs/getServerInfo?instanceId={first_id(emulator)}")
    assert response.status_code == 200
    assert describe_calls(emulator) == 3


def test_retry_after_header_is_honoured(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service(regions=("cn-hangzhou",))
    service.directory.credentials.ensure()
    emulator.control.add_fault(
        action="DescribeInstances", code="Throttling.User", status=400, retry_after_ms=400, count=1
    )
    started = time.monotonic()
    response = service.get(f"/api/v1/instances/{first_id(emulator)}")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4  # waited as long as Alibaba asked
    recent = emulator.control.requests_log()["recent"]
    assert any(str(entry.get("status")) == "400" for entry in recent)


def test_service_unavailable_and_broken_pages_are_retried(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(regions=("cn-hangzhou",))
    service.directory.credentials.ensure()
    emulator.control.add_fault(action="DescribeInstances", code="ServiceUnavailable", status=503, count=1)
    emulator.control.add_fault(action="DescribeInstances", status=502, non_json=True, count=1)
    emulator.control.clear_requests()
    assert service.get(f"/api/v1/instances/{first_id(emulator)}").status_code == 200
    assert describe_calls(emulator) == 3


def test_outage_serves_cached_ids_stale_and_others_503(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(regions=("cn-hangzhou",), cache_ttl=0.2, max_attempts=2)
    cached, uncached = (item["InstanceId"] for item in emulator.control.instances("cn-hangzhou")[:2])
    assert service.get(f"/api/v1/instances/{cached}").status_code == 200
    time.sleep(0.3)
    emulator.control.add_fault(action="*", code="ServiceUnavailable", status=503)
    stale = service.get(f"/api/v1/instances/{cached}")
    assert stale.status_code == 200
    assert stale.headers["X-Cache"] == "STALE"
    assert stale.get_json()["instanceId"] == cached
    legacy = service.get(f"/ecs/getServerInfo?instanceId={cached}")
    assert legacy.status_code == 200 and legacy.headers["X-Cache"] == "STALE"
    failed = service.get(f"/api/v1/instances/{uncached}")
    assert failed.status_code == 503
    assert failed.get_json()["error"]["code"] == "UpstreamUnavailable"
    assert int(failed.headers["Retry-After"]) >= 1


def test_slow_upstream_gives_504_within_the_deadline(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(regions=("cn-hangzhou",), read_timeout=0.3, request_deadline=1.0, max_attempts=3)
    service.directory.credentials.ensure()
    emulator.control.add_fault(action="DescribeInstances", latency_ms=2000)
    started = time.monotonic()
    response = service.get(f"/api/v1/instances/{first_id(emulator)}")
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.get_json()["error"]["code"] == "UpstreamTimeout"
    assert elapsed < 2.0  # the deadline bounds the whole lookup, retries included


def test_dropped_connections_are_retried(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service(regions=("cn-hangzhou",))
    service.directory.credentials.ensure()
    emulator.control.add_fault(action="DescribeInstances", drop_connection=True, count=1)
    assert service.get(f"/api/v1/instances/{first_id(emulator)}").status_code == 200


def test_role_without_permission_is_reported_not_as_not_found(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    emulator.control.set_node_role(0, "EcsRamRoleNoAccess")
    service = make_service()
    ready = service.get("/readyz")
    assert ready.status_code == 503
    permission = ready.get_json()["checks"]["permission"]
    assert permission["ok"] is False and permission["code"] == "UpstreamPermissionDenied"
    existing = first_id(emulator)
    for url in (f"/ecs/getServerInfo?instanceId={existing}", f"/api/v1/instances/{existing}",
                "/api/v1/instances?regionId=cn-beijing"):  # fmt: skip
        response = service.get(url)
        assert response.status_code == 503, url
        assert response.get_json()["error"]["code"] == "UpstreamPermissionDenied"
        assert "DescribeInstances" in response.get_json()["error"]["message"]


def test_detached_role_is_credentials_unavailable(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    emulator.control.set_node_role(0, None)
    service = make_service()
    response = service.get(f"/api/v1/instances/{first_id(emulator)}")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "CredentialsUnavailable"
    assert "No RAM role" in response.get_json()["error"]["message"]
    ready = service.get("/readyz").get_json()
    assert ready["checks"]["credentials"]["ok"] is False


def test_unreachable_metadata_service(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service(metadata_url="http://127.0.0.1:9", metadata_timeout=0.3)
    response = service.get(f"/api/v1/instances/{first_id(emulator)}")
    assert response.status_code == 503
    body = response.get_json()["error"]
    assert body["code"] == "CredentialsUnavailable" and "not reachable" in body["message"]


def test_access_key_mode_through_the_library(
    emulator: Any, make_service: Callable[..., Service], monkeypatch: Any
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", emulator.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emulator.access_key_secret)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    service = make_service(credentials="access_key")
    emulator.control.clear_requests()
    assert service.get(f"/api/v1/instances/{first_id(emulator)}?regionId=cn-hangzhou").status_code == 200
    log = emulator.control.requests_log()
    assert log["metadata"]["total"] == 0
    assert log["by_principal"]


def test_bad_access_key_is_upstream_error(
    emulator: Any, make_service: Callable[..., Service], monkeypatch: Any
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", emulator.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
    service = make_service(credentials="access_key")
    response = service.get(f"/api/v1/instances/{first_id(emulator)}?regionId=cn-hangzhou")
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "UpstreamError"
    assert "not-the-secret" not in response.get_data(as_text=True)
