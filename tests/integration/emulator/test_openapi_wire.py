"""DescribeInstances / DescribeInstanceStatus / DescribeRegions parameters and shapes on the wire.

Uses the lean signed client so odd parameters can be sent exactly; the SDK tests cover the happy paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ecs_assistant.emulator.signed_client import SignedClient
from tests.fixtures.emulator import RunningEmulator
from tests.integration.emulator.sdk import KNOWN_ID


@pytest.fixture
def api(emulator: RunningEmulator) -> Iterator[SignedClient]:
    client = SignedClient("127.0.0.1", emulator.port, emulator.access_key_id, emulator.access_key_secret)
    yield client
    client.close()


def _ok(api: SignedClient, action: str = "DescribeInstances", **params: str) -> dict[str, Any]:
    status, _, body = api.call(action, {"RegionId": "cn-hangzhou", **params})
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def _error(
    api: SignedClient, action: str = "DescribeInstances", **params: str
) -> tuple[int, str, dict[str, Any]]:
    status, headers, body = api.call(action, params)
    assert headers["content-type"] == "application/json;charset=utf-8"
    assert set(body) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}
    return status, body["Code"], body


def _ids(body: dict[str, Any]) -> list[str]:
    return [i["InstanceId"] for i in body["Instances"]["Instance"]]


def test_success_envelope_and_request_id(api: SignedClient) -> None:
    body = _ok(api, InstanceIds=json.dumps([KNOWN_ID]))
    assert set(body) == {"RequestId", "TotalCount", "PageNumber", "PageSize", "NextToken", "Instances"}
    parts = body["RequestId"].split("-")
    assert [len(p) for p in parts] == [8, 4, 4, 4, 12] and body["RequestId"] == body["RequestId"].upper()
    assert body["NextToken"] == ""


def test_instance_ids_rules(api: SignedClient, emulator: RunningEmulator) -> None:
    beijing = emulator.control.instances("cn-beijing")[0]["InstanceId"]
    body = _ok(api, InstanceIds=json.dumps([KNOWN_ID, "i-bp1unknown000000000", beijing]))
    assert _ids(body) == [KNOWN_ID]  # unknown and other-region IDs are silently omitted
    assert _ok(api, InstanceIds="[]")["TotalCount"] == 0
    assert _ids(_ok(api, InstanceIds=f"['{KNOWN_ID}']")) == [KNOWN_ID]  # legacy list repr, lenient
    for bad in (KNOWN_ID, '{"a": 1}', "[1, 2]", json.dumps([f"i-{n:020d}" for n in range(101)])):
        status, code, body = _error(api, RegionId="cn-hangzhou", InstanceIds=bad)
        assert (status, code) == (400, "InvalidParameter")
        assert body["Message"] == 'The specified parameter "InstanceIds" is not valid.'


def test_region_errors(api: SignedClient) -> None:
    assert _error(api)[:2] == (400, "MissingRegionId")
    assert _error(api, RegionId="mars-north-1")[:2] == (400, "InvalidRegionId.NotFound")


def test_filters(api: SignedClient, emulator: RunningEmulator) -> None:
    all_hz = _ok(api, PageSize="100")["Instances"]["Instance"]
    assert len(all_hz) == 16
    stopped = _ok(api, Status="Stopped", PageSize="100")
    assert stopped["TotalCount"] == sum(i["Status"] == "Stopped" for i in all_hz) > 0
    assert _error(api, RegionId="cn-hangzhou", Status="Runing")[:2] == (404, "InvalidStatus.NotFound")
    sample = next(i for i in all_hz if i["InstanceNetworkType"] == "vpc")
    for param, value, get in (
        ("ZoneId", sample["ZoneId"], lambda i: i["ZoneId"]),
        ("VpcId", sample["VpcAttributes"]["VpcId"], lambda i: i["VpcAttributes"]["VpcId"]),
        ("VSwitchId", sample["VpcAttributes"]["VSwitchId"], lambda i: i["VpcAttributes"]["VSwitchId"]),
        ("InstanceType", sample["InstanceType"], lambda i: i["InstanceType"]),
    ):
        body = _ok(api, PageSize="100", **{param: value})
        expected = [i["InstanceId"] for i in all_hz if get(i) == value]
        assert _ids(body) == expected and expected
    named = _ids(_ok(api, InstanceName="ecs-assistant-node-*", PageSize="100"))
    assert len(named) == 8
    tagged = _ok(api, PageSize="100", **{"Tag.1.Key": "role", "Tag.1.Value": "api"})
    assert set(_ids(tagged)) == set(named)
    assert _ok(api, **{"Tag.1.Key": "role", "Tag.1.Value": "nope"})["TotalCount"] == 0
    assert _error(api, RegionId="cn-hangzhou", **{"Tag.1.Value": "x"})[:2] == (400, "InvalidTag.Mismatch")
    combined = _ok(api, Status="Running", InstanceName="web-*", PageSize="100")
    assert all(
        i["Status"] == "Running" and i["InstanceName"].startswith("web-")
        for i in combined["Instances"]["Instance"]
    )


def test_page_number_mode(api: SignedClient) -> None:
    pages = [_ok(api, PageSize="5", PageNumber=str(n)) for n in (1, 2, 3, 4)]
    assert [len(p["Instances"]["Instance"]) for p in pages] == [5, 5, 5, 1]
    assert {p["TotalCount"] for p in pages} == {16}
    assert pages[1]["PageNumber"] == 2 and pages[1]["PageSize"] == 5
    all_ids = [i for p in pages for i in _ids(p)]
    assert len(set(all_ids)) == 16
    assert _ok(api)["PageSize"] == 10
    for bad in ({"PageSize": "0"}, {"PageSize": "101"}, {"PageNumber": "0"}, {"PageSize": "ten"}):
        assert _error(api, RegionId="cn-hangzhou", **bad)[:2] == (400, "InvalidParameter")


def test_next_token_mode(api: SignedClient) -> None:
    seen: list[str] = []
    params = {"MaxResults": "6", "Status": "Running"}
    body = _ok(api, **params)
    while True:
        seen.extend(_ids(body))
        if not body["NextToken"]:
            break
        body = _ok(api, NextToken=body["NextToken"], **params)
    running = _ok(api, Status="Running", PageSize="100")
    assert seen == _ids(running)
    token = _ok(api, **params)["NextToken"]
    assert _error(api, RegionId="cn-hangzhou", MaxResults="6", NextToken=token)[:2] == (
        400,
        "InvalidParameter",
    )
    assert _error(api, RegionId="cn-hangzhou", MaxResults="101")[:2] == (400, "InvalidParameter")


def test_instance_shapes(api: SignedClient) -> None:
    instances = _ok(api, PageSize="100")["Instances"]["Instance"]
    eip = next(i for i in instances if i["EipAddress"]["IpAddress"])
    assert eip["PublicIpAddress"]["IpAddress"] == [] and isinstance(eip["EipAddress"]["Bandwidth"], int)
    plain = next(i for i in instances if not i["EipAddress"]["IpAddress"])
    assert plain["EipAddress"] == {"AllocationId": "", "IpAddress": "", "InternetChargeType": ""}
    untagged = next(i for i in instances if "Tags" not in i)
    assert "Tags" not in untagged
    tagged = next(i for i in instances if "Tags" in i)
    assert tagged["Tags"]["Tag"][0].keys() == {"TagKey", "TagValue"}
    for i in instances:
        assert i["InternetMaxBandwidthIn"] == -1 and isinstance(i["Memory"], int)
        assert isinstance(i["SecurityGroupIds"]["SecurityGroupId"], list)


def test_dry_run(api: SignedClient) -> None:
    assert _error(api, RegionId="cn-hangzhou", DryRun="true")[:2] == (400, "DryRunOperation")
    assert _ok(api, DryRun="False", InstanceIds=json.dumps([KNOWN_ID]))["TotalCount"] == 1


def test_describe_instance_status(api: SignedClient) -> None:
    body = _ok(
        api, "DescribeInstanceStatus", **{"InstanceId.1": KNOWN_ID, "InstanceId.2": "i-bp1unknown000000000"}
    )
    assert body["InstanceStatuses"]["InstanceStatus"] == [{"InstanceId": KNOWN_ID, "Status": "Running"}]
    assert _ok(api, "DescribeInstanceStatus", PageSize="50")["TotalCount"] == 16
    too_many = {f"InstanceId.{n}": f"i-bp1{n:017d}" for n in range(1, 102)}
    status, code, body = _error(api, "DescribeInstanceStatus", RegionId="cn-hangzhou", **too_many)
    assert (status, code) == (403, "InvalidParameter.TooManyInstanceIds")
    assert _error(api, "DescribeInstanceStatus", RegionId="cn-hangzhou", PageSize="51")[:2] == (
        400,
        "InvalidParameter",
    )
    bad_zone = _error(api, "DescribeInstanceStatus", RegionId="cn-hangzhou", ZoneId="cn-hangzhou-z")
    assert bad_zone[:2] == (404, "InvalidZoneId.NotFound")


def test_describe_regions_and_unknown_action(api: SignedClient) -> None:
    regions = _ok(api, "DescribeRegions")["Regions"]["Region"]
    assert {r["RegionId"] for r in regions} >= {"cn-hangzhou", "cn-beijing", "cn-shanghai"}
    assert all(r["RegionEndpoint"].endswith(".aliyuncs.com") for r in regions)
    assert _error(api, "RunInstances", RegionId="cn-hangzhou")[:2] == (404, "InvalidAction.NotFound")


def test_v1_style_and_blank_values(api: SignedClient) -> None:
    status, _, body = api.call(
        "DescribeInstances",
        {"RegionId": "cn-hangzhou", "SignatureType": "", "InstanceIds": json.dumps([KNOWN_ID])},
        style="v1",
    )
    assert status == 200 and body["TotalCount"] == 1


def test_signature_mismatch_echoes_string_to_sign(emulator: RunningEmulator) -> None:
    client = SignedClient("127.0.0.1", emulator.port, emulator.access_key_id, "wrong")
    for style, prefix in (("acs3", "ACS3-HMAC-SHA256\n"), ("v1", "POST&%2F&")):
        status, _, body = client.call("DescribeInstances", {"RegionId": "cn-hangzhou"}, style=style)
        assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
        assert body["Message"].split("server string to sign is:")[1].startswith(prefix)
    client.close()


def test_unsigned_request_is_refused(emulator: RunningEmulator) -> None:
    import requests

    response = requests.post(
        f"{emulator.url}/?Action=DescribeInstances&Version=2014-05-26&RegionId=cn-hangzhou", timeout=5
    )
    assert response.status_code == 400 and response.json()["Code"] == "MissingAccessKeyId"
