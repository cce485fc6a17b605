"""Region hints through the real SDK against the emulator: a lookup without regionId for an instance whose
region is not yet known costs one DescribeInstances when its ID prefix hints at the right region, still
finds the instance when the hint is wrong, and batches are grouped by hinted region.

Call counts come from the emulator's request log; lookup calls and DryRun permission probes are told
apart by the ``DryRun`` query parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.integration.service.conftest import Service, describe_calls


def lookup_calls(emulator: Any) -> list[tuple[str, list[str]]]:
    """(RegionId, InstanceIds) of every non-DryRun DescribeInstances, in the order they arrived."""
    calls: list[tuple[str, list[str]]] = []
    for entry in emulator.control.requests_log()["recent"]:
        query = entry.get("query") or {}
        if entry.get("action") != "DescribeInstances" or query.get("DryRun") == "True":
            continue
        calls.append((query["RegionId"], json.loads(query.get("InstanceIds", "[]"))))
    return calls


def ids_in(emulator: Any, region: str, count: int) -> list[str]:
    return [item["InstanceId"] for item in emulator.control.instances(region)[:count]]


def warm(service: Service) -> None:
    """Credentials and the default region's DryRun probe first, so the log shows only the lookup."""
    service.directory.credentials.ensure()
    service.directory.check_permission()


def test_the_default_world_follows_the_default_hint_table(emulator: Any) -> None:
    # The emulator's world uses the observed prefixes; if it changes, the call-count tests below lie.
    prefixes = {"cn-hangzhou": "i-bp1", "cn-beijing": "i-2ze", "cn-shanghai": "i-uf6", "cn-shenzhen": "i-wz9"}
    for item in emulator.control.instances():
        assert item["InstanceId"].startswith(prefixes[item["RegionId"]]), item


def test_a_hinted_miss_makes_exactly_one_call(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service(cache_ttl=0.0)
    warm(service)
    for region in ("cn-hangzhou", "cn-beijing", "cn-shanghai"):
        target = ids_in(emulator, region, 1)[0]
        emulator.control.clear_requests()
        response = service.get(f"/api/v1/instances/{target}")
        assert response.status_code == 200 and response.get_json()["regionId"] == region
        assert response.headers["X-Cache"] == "MISS"
        assert describe_calls(emulator) == 1
        assert lookup_calls(emulator) == [(region, [target])]


def test_a_wrong_hint_still_finds_the_instance(emulator: Any, make_service: Callable[..., Service]) -> None:
    # Deliberately wrong table: Hangzhou IDs hinted at Beijing.
    service = make_service(cache_ttl=0.0, region_hints=("bp1=cn-beijing",))
    warm(service)
    target = ids_in(emulator, "cn-hangzhou", 1)[0]
    emulator.control.clear_requests()
    response = service.get(f"/ecs/getServerInfo?instanceId={target}")
    assert response.status_code == 200
    calls = lookup_calls(emulator)
    assert calls[0] == ("cn-beijing", [target])  # the hint first, alone
    assert sorted(calls[1:]) == [("cn-hangzhou", [target]), ("cn-shanghai", [target])]  # then the others
    assert describe_calls(emulator) == 3  # found, so no DryRun probe
    emulator.control.clear_requests()
    again = service.get(f"/api/v1/instances/{target}")
    assert again.get_json()["regionId"] == "cn-hangzhou"
    assert lookup_calls(emulator) == [("cn-hangzhou", [target])]  # the remembered region beats the hint


def test_hints_disabled_search_every_region_at_once(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(region_hints=())
    warm(service)
    target = ids_in(emulator, "cn-shanghai", 1)[0]
    emulator.control.clear_requests()
    assert service.get(f"/api/v1/instances/{target}").get_json()["regionId"] == "cn-shanghai"
    assert sorted(lookup_calls(emulator)) == [
        ("cn-beijing", [target]), ("cn-hangzhou", [target]), ("cn-shanghai", [target])
    ]  # fmt: skip


def test_a_hint_for_a_region_not_served_is_ignored(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service(region_hints=("bp1=cn-shenzhen",))
    warm(service)
    target = ids_in(emulator, "cn-hangzhou", 1)[0]
    emulator.control.clear_requests()
    assert service.get(f"/api/v1/instances/{target}").status_code == 200
    assert sorted(region for region, _ in lookup_calls(emulator)) == [
        "cn-beijing",
        "cn-hangzhou",
        "cn-shanghai",
    ]


def test_batch_is_grouped_by_hinted_region(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service()
    warm(service)
    hangzhou, beijing, shanghai = (
        ids_in(emulator, "cn-hangzhou", 5),
        ids_in(emulator, "cn-beijing", 3),
        ids_in(emulator, "cn-shanghai", 2),
    )
    everything = [*beijing, *hangzhou, *shanghai]
    emulator.control.clear_requests()
    body = service.get(f"/api/v1/instances?ids={','.join(everything)}").get_json()
    assert [item["instanceId"] for item in body["instances"]] == everything and body["notFound"] == []
    # one call per hinted region, each asking only for that region's IDs
    assert sorted(lookup_calls(emulator)) == sorted(
        [("cn-hangzhou", hangzhou), ("cn-beijing", beijing), ("cn-shanghai", shanghai)]
    )
    assert describe_calls(emulator) == 3


def test_batch_leftovers_are_searched_in_the_other_regions(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    # Beijing IDs are hinted wrongly (at Shanghai); Shanghai IDs have no hint at all.
    service = make_service(region_hints=("bp1=cn-hangzhou", "2ze=cn-shanghai"))
    warm(service)
    hangzhou, beijing, shanghai = (
        ids_in(emulator, "cn-hangzhou", 2),
        ids_in(emulator, "cn-beijing", 2),
        ids_in(emulator, "cn-shanghai", 2),
    )
    emulator.control.clear_requests()
    body = service.get(f"/api/v1/instances?ids={','.join([*hangzhou, *beijing, *shanghai])}").get_json()
    assert {item["instanceId"]: item["regionId"] for item in body["instances"]} == {
        **dict.fromkeys(hangzhou, "cn-hangzhou"),
        **dict.fromkeys(beijing, "cn-beijing"),
        **dict.fromkeys(shanghai, "cn-shanghai"),
    }
    calls = lookup_calls(emulator)
    # Round 1: every region once (unhinted Shanghai IDs go everywhere, hinted ones to their hint).
    assert sorted(calls[:3]) == [
        ("cn-beijing", shanghai),
        ("cn-hangzhou", [*hangzhou, *shanghai]),
        ("cn-shanghai", [*beijing, *shanghai]),
    ]
    # Round 2: the wrongly hinted Beijing IDs, in the regions not yet asked for them, together.
    assert sorted(calls[3:]) == [("cn-beijing", beijing), ("cn-hangzhou", beijing)]


def test_hinted_not_found_is_negative_cached_after_searching_everywhere(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service()
    warm(service)
    missing = "i-bp1doesnotexist000009"
    emulator.control.clear_requests()
    first = service.get(f"/api/v1/instances/{missing}")
    assert first.status_code == 404 and first.get_json()["error"]["code"] == "InstanceNotFound"
    calls = lookup_calls(emulator)
    assert calls[0] == ("cn-hangzhou", [missing])
    assert sorted(calls[1:]) == [("cn-beijing", [missing]), ("cn-shanghai", [missing])]
    emulator.control.clear_requests()
    assert service.get(f"/api/v1/instances/{missing}").status_code == 404
    assert describe_calls(emulator) == 0


def test_concurrent_misses_for_a_hinted_id_make_one_call(
    emulator: Any, make_service: Callable[..., Service]
) -> None:
    service = make_service()
    warm(service)
    target = ids_in(emulator, "cn-beijing", 2)[1]
    emulator.control.add_fault(action="DescribeInstances", latency_ms=300)
    emulator.control.clear_requests()
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: service.get(f"/api/v1/instances/{target}").status_code, range(12)))
    assert statuses == [200] * 12
    assert lookup_calls(emulator) == [("cn-beijing", [target])]


def test_stale_if_error_with_hints(emulator: Any, make_service: Callable[..., Service]) -> None:
    service = make_service(cache_ttl=0.0, max_attempts=1)
    warm(service)
    target = ids_in(emulator, "cn-shanghai", 1)[0]
    assert service.get(f"/api/v1/instances/{target}").headers["X-Cache"] == "MISS"
    emulator.control.add_fault(action="DescribeInstances", code="ServiceUnavailable", status=503)
    stale = service.get(f"/api/v1/instances/{target}")
    assert stale.status_code == 200 and stale.headers["X-Cache"] == "STALE"
    assert stale.get_json()["regionId"] == "cn-shanghai"
