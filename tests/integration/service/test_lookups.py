"""Every route through the real SDK against the emulator, plus caching, batching and region memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ecs_assistant.instances import instance_from_api

from .conftest import Service, describe_calls


def pick(
    emulator: Any, predicate: Callable[[dict[str, Any]], bool], region: str | None = None
) -> dict[str, Any]:
    for summary in emulator.control.instances(region):
        document = emulator.control.instance(summary["InstanceId"])
        if predicate(document):
            return document
    raise AssertionError("the default world has no such instance")


def has_eip_only(doc: dict[str, Any]) -> bool:
    return bool(doc["EipAddress"].get("IpAddress")) and not doc["PublicIpAddress"]["IpAddress"]


def is_private_only(doc: dict[str, Any]) -> bool:
    return not doc["EipAddress"].get("IpAddress") and not doc["PublicIpAddress"]["IpAddress"]


def test_get_server_info_eip_and_private_only(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service()
    eip = pick(emulator, has_eip_only)
    private = pick(emulator, is_private_only)
    response = service.get(f"/ecs/getServerInfo?instanceId={eip['InstanceId']}")
    assert response.status_code == 200
    assert response.get_json() == instance_from_api(eip).to_server_info()
    assert response.get_json()["IpAddress"] == eip["EipAddress"]["IpAddress"]
    assert response.get_json()["InternetMaxBandwidthOut"] == eip["EipAddress"]["Bandwidth"]
    assert response.headers["X-Cache"] == "MISS" and response.headers["X-Served-By"] == "it-node"
    private_info = service.get(f"/ecs/getServerInfo?instanceId={private['InstanceId']}").get_json()
    assert private_info["IpAddress"] == ""
    again = service.get(f"/ecs/getServerInfo?instanceId={eip['InstanceId']}")
    assert again.headers["X-Cache"] == "HIT"


def test_instance_document_matches_the_upstream_document(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service()
    doc = pick(emulator, lambda d: "Tags" in d, region="cn-beijing")
    response = service.get(f"/api/v1/instances/{doc['InstanceId']}?regionId=cn-beijing")
    assert response.status_code == 200
    assert response.get_json() == instance_from_api(doc).to_document()
    assert response.get_json()["tags"]


def test_unknown_instance_is_404_and_negatively_cached(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(regions=("cn-hangzhou",))
    missing = "i-bp1doesnotexist000000"
    first = service.get(f"/api/v1/instances/{missing}")
    assert first.status_code == 404 and first.get_json()["error"]["code"] == "InstanceNotFound"
    emulator.control.clear_requests()
    second = service.get(f"/api/v1/instances/{missing}")
    assert second.status_code == 404
    assert describe_calls(emulator) == 0


def test_batch_lookup_one_call_per_region_then_all_cached(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(regions=("cn-hangzhou",))
    ids = [item["InstanceId"] for item in emulator.control.instances("cn-hangzhou")[:5]]
    missing = "i-bp1doesnotexist000001"
    emulator.control.clear_requests()
    response = service.get(f"/api/v1/instances?ids={','.join([*ids, missing])}")
    body = response.get_json()
    assert response.status_code == 200
    assert [item["instanceId"] for item in body["instances"]] == ids
    assert body["notFound"] == [missing]
    log = emulator.control.requests_log()
    # one lookup call for all six IDs, plus the DryRun permission probe that confirms the not-found
    assert log["by_action"]["DescribeInstances"] == 2
    emulator.control.clear_requests()
    cached = service.get(f"/api/v1/instances?ids={','.join([*ids, missing])}")
    assert cached.headers["X-Cache"] == "HIT" and cached.get_json()["notFound"] == [missing]
    assert describe_calls(emulator) == 0


def test_listing_with_filters_and_paging(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service()
    running = [i for i in emulator.control.instances("cn-beijing") if i["Status"] == "Running"]
    page = service.get(
        "/api/v1/instances?regionId=cn-beijing&status=Running&pageSize=2&pageNumber=1"
    ).get_json()
    assert page["totalCount"] == len(running)
    assert page["pageSize"] == 2 and page["regionId"] == "cn-beijing"
    assert len(page["instances"]) == min(2, len(running))
    assert all(item["status"] == "Running" and item["regionId"] == "cn-beijing" for item in page["instances"])
    default_region = service.get("/api/v1/instances").get_json()
    assert default_region["regionId"] == "cn-hangzhou"
    assert default_region["totalCount"] == len(emulator.control.instances("cn-hangzhou"))
    tagged = pick(emulator, lambda d: "Tags" in d, region="cn-hangzhou")
    key, value = tagged["Tags"]["Tag"][0]["TagKey"], tagged["Tags"]["Tag"][0]["TagValue"]
    by_tag = service.get(f"/api/v1/instances?tag={key}:{value}&pageSize=100").get_json()
    assert tagged["InstanceId"] in [item["instanceId"] for item in by_tag["instances"]]
    assert all(item["tags"].get(key) == value for item in by_tag["instances"])


def test_regions_health_readiness_metrics(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service()
    assert [r["regionId"] for r in service.get("/api/v1/regions").get_json()["regions"]] == [
        "cn-hangzhou", "cn-beijing", "cn-shanghai"
    ]  # fmt: skip
    emulator.control.clear_requests()
    assert service.get("/").data == b"ok" and service.get("/healthz").data == b"ok"
    assert emulator.control.requests_log()["total"] == 0  # health checks never go upstream
    ready = service.get("/readyz")
    assert ready.status_code == 200
    checks = ready.get_json()["checks"]
    assert checks["credentials"]["ok"] and checks["credentials"]["roleName"] == "EcsRamRoleTest"
    assert checks["permission"]["ok"]
    service.get(f"/ecs/getServerInfo?instanceId={emulator.control.instances()[0]['InstanceId']}")
    text = service.get("/metrics").get_data(as_text=True)
    assert 'ecs_assistant_upstream_calls_total{action="DescribeInstances",outcome="ok"}' in text
    assert 'ecs_assistant_credential_refreshes_total{outcome="ok"}' in text
    assert 'ecs_assistant_cache_lookups_total{outcome="miss"}' in text


def test_region_search_is_concurrent_and_remembered(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(cache_ttl=0.0, region_hints=())  # no ID-prefix hints: no clue where it is
    shanghai = emulator.control.instances("cn-shanghai")[0]["InstanceId"]
    emulator.control.clear_requests()
    assert service.get(f"/api/v1/instances/{shanghai}").status_code == 200
    assert describe_calls(emulator) == 3  # all three regions asked at once
    emulator.control.clear_requests()
    assert service.get(f"/api/v1/instances/{shanghai}").get_json()["regionId"] == "cn-shanghai"
    assert describe_calls(emulator) == 1  # straight to the remembered region


@pytest.mark.slow
def test_fifty_concurrent_requests_for_one_uncached_id_make_one_call(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(regions=("cn-hangzhou",))
    target = emulator.control.instances("cn-hangzhou")[3]["InstanceId"]
    service.directory.credentials.ensure()  # credentials first, so the race is about the lookup only
    emulator.control.add_fault(action="DescribeInstances", latency_ms=400)
    emulator.control.clear_requests()

    def lookup(_: int) -> tuple[int, str]:
        response = service.client.get(f"/ecs/getServerInfo?instanceId={target}")
        return response.status_code, response.headers.get("X-Cache", "")

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lookup, range(50)))
    assert [status for status, _ in results] == [200] * 50
    assert describe_calls(emulator) == 1


def test_no_metadata_calls_after_the_first_lookup(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(cache_ttl=0.0)
    ids = [item["InstanceId"] for item in emulator.control.instances("cn-hangzhou")[:10]]
    assert service.get(f"/api/v1/instances/{ids[0]}?regionId=cn-hangzhou").status_code == 200
    first = emulator.control.requests_log()["metadata"]
    assert first["credentials"] == 1 and first["tokens"] == 1
    emulator.control.clear_requests()
    for instance_id in ids * 2:
        assert service.get(f"/api/v1/instances/{instance_id}?regionId=cn-hangzhou").status_code == 200
    log = emulator.control.requests_log()
    assert log["metadata"]["total"] == 0
    assert log["by_action"]["DescribeInstances"] == 20  # cache disabled: every lookup went upstream


@pytest.mark.slow
def test_short_sts_lifetime_refreshes_before_expiry_without_failures(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    emulator.control.set_sts_lifetime(8)  # rotation 2 s before expiry
    service = make_service(cache_ttl=0.0, regions=("cn-hangzhou",))
    target = emulator.control.instances("cn-hangzhou")[0]["InstanceId"]
    statuses = []
    deadline = time.monotonic() + 18
    while time.monotonic() < deadline:
        statuses.append(service.get(f"/ecs/getServerInfo?instanceId={target}").status_code)
        time.sleep(0.05)
    assert set(statuses) == {200}
    metadata = emulator.control.requests_log()["metadata"]
    assert metadata["credentials"] >= 3  # initial fetch + at least two refreshes over two lifetimes
    assert metadata["credentials"] <= 15  # ahead of expiry, not on every request
    assert metadata["tokens"] == 1  # the IMDSv2 token is reused
