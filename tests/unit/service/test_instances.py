"""The DescribeInstances mapping on real-shaped documents."""

from __future__ import annotations

import copy

import pytest

from ecs_assistant.instances import instance_from_api, instances_from_response, normalize_instance_id

from .documents import EIP_ONLY, classic_public, private_only, windows_stopped


def test_eip_only_vpc_instance_uses_the_eip_address_and_bandwidth() -> None:
    instance = instance_from_api(EIP_ONLY)
    assert instance.public_ip_address == "47.96.1.180"
    assert instance.public_ip_source == "eip"
    assert instance.internet_max_bandwidth_out == 199
    assert instance.private_ip_addresses == ("172.16.181.150",)
    assert instance.network_type == "vpc"
    assert instance.vpc_id == "vpc-bp171csbkbnjhg1bj3npw"
    assert instance.vswitch_id == "vsw-bp1xgvok3myac6ctry030"
    assert instance.tags == {"env": "prod", "team": "ops"}
    assert instance.memory_mib == 2048 and instance.cpu == 2
    assert instance.expired_time == "2099-12-31T15:59Z"


def test_private_only_instance_has_no_public_address_and_no_tags() -> None:
    instance = instance_from_api(private_only())
    assert instance.public_ip_address is None
    assert instance.public_ip_source is None
    assert instance.internet_max_bandwidth_out == 0
    assert instance.private_ip_addresses == ("172.16.181.150",)
    assert instance.tags == {}
    info = instance.to_server_info()
    assert info["IpAddress"] == ""
    assert info["InternetMaxBandwidthOut"] == 0


def test_classic_public_ip_wins_and_inner_address_is_private() -> None:
    instance = instance_from_api(classic_public())
    assert instance.public_ip_address == "121.40.10.20"
    assert instance.public_ip_source == "public"
    assert instance.internet_max_bandwidth_out == 5
    assert instance.private_ip_addresses == ("10.1.2.3",)
    assert instance.network_type == "classic"
    assert instance.vpc_id is None and instance.vswitch_id is None


def test_windows_stopped_prepaid() -> None:
    instance = instance_from_api(windows_stopped())
    assert instance.status == "Stopped"
    assert instance.os_type == "windows"
    assert instance.os_name.startswith("Windows Server")
    assert instance.instance_charge_type == "PrePaid"
    assert instance.to_server_info() == {
        "Cpu": 4,
        "Memory": 16384,
        "OSName": "Windows Server  2022 数据中心版 64位中文版",
        "InstanceType": "ecs.t6-c1m1.large",
        "IpAddress": "",
        "InternetMaxBandwidthOut": 0,
        "instanceStatus": "Stopped",
    }


def test_server_info_has_exactly_the_original_seven_fields_and_types() -> None:
    info = instance_from_api(EIP_ONLY).to_server_info()
    assert list(info) == [
        "Cpu",
        "Memory",
        "OSName",
        "InstanceType",
        "IpAddress",
        "InternetMaxBandwidthOut",
        "instanceStatus",
    ]
    assert [type(value) for value in info.values()] == [int, int, str, str, str, int, str]
    assert info["IpAddress"] == "47.96.1.180"
    assert info["InternetMaxBandwidthOut"] == 199


def test_document_is_camel_case_with_the_contract_fields() -> None:
    document = instance_from_api(EIP_ONLY).to_document()
    assert set(document) == {
        "instanceId", "instanceName", "hostName", "regionId", "zoneId", "status", "instanceType", "cpu",
        "memoryMiB", "osName", "osType", "publicIpAddress", "publicIpSource", "internetMaxBandwidthOut",
        "privateIpAddresses", "networkType", "vpcId", "vSwitchId", "instanceChargeType", "creationTime",
        "expiredTime", "tags",
    }  # fmt: skip
    assert document["privateIpAddresses"] == ["172.16.181.150"]
    assert document["tags"] == {"env": "prod", "team": "ops"}


def test_missing_wrappers_and_empty_lists_never_raise() -> None:
    bare = {"InstanceId": "i-bp1bare000000000001", "Status": "Pending"}
    instance = instance_from_api(bare)
    assert instance.public_ip_address is None
    assert instance.private_ip_addresses == ()
    assert instance.network_type == "classic"
    assert instance.cpu == 0 and instance.memory_mib == 0
    weird = copy.deepcopy(EIP_ONLY)
    weird["PublicIpAddress"] = {"IpAddress": None}
    weird["EipAddress"] = None
    weird["Tags"] = {"Tag": [{"TagKey": ""}, "junk"]}
    weird["Memory"] = "4096"
    mapped = instance_from_api(weird)
    assert mapped.public_ip_address is None
    assert mapped.tags == {}
    assert mapped.memory_mib == 4096


def test_eip_without_bandwidth_keeps_the_instance_bandwidth() -> None:
    doc = copy.deepcopy(EIP_ONLY)
    del doc["EipAddress"]["Bandwidth"]
    doc["InternetMaxBandwidthOut"] = 7
    assert instance_from_api(doc).internet_max_bandwidth_out == 7


def test_whole_response_including_empty() -> None:
    assert instances_from_response({"Instances": {"Instance": []}, "TotalCount": 0}) == []
    assert instances_from_response({}) == []
    both = instances_from_response({"Instances": {"Instance": [EIP_ONLY, private_only()]}})
    assert [item.instance_id for item in both] == ["i-bp19y1z08hlzzldsdod2", "i-bp1privateonly000001"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("i-bp19y1z08hlzzldsdod2", "i-bp19y1z08hlzzldsdod2"),
        ("  i-bp19y1z08hlzzldsdod2\n", "i-bp19y1z08hlzzldsdod2"),
        ("i-12345678", "i-12345678"),
        ("i-1234567", None),
        ("i-" + "a" * 33, None),
        ("I-BP19Y1Z08HLZZLDSDOD2", None),
        ("i-bp19y1z0 8hlzz", None),
        ("", None),
        ("i-bp1;drop", None),
    ],
)
def test_instance_id_syntax(raw: str, expected: str | None) -> None:
    assert normalize_instance_id(raw) == expected
