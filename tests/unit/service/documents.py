"""Real-shaped DescribeInstances documents (reference §3.2), one per case the mapping must survive."""

from __future__ import annotations

import copy
from typing import Any

EIP_ONLY: dict[str, Any] = {
    "InstanceId": "i-bp19y1z08hlzzldsdod2",
    "InstanceName": "test-kube-ctl",
    "HostName": "iZbp19y1z08hlzzldsdod2Z",
    "Description": "",
    "Status": "Running",
    "RegionId": "cn-hangzhou",
    "ZoneId": "cn-hangzhou-k",
    "InstanceType": "ecs.t6-c1m1.large",
    "InstanceTypeFamily": "ecs.t6",
    "Cpu": 2,
    "Memory": 2048,
    "OSName": "Alibaba Cloud Linux  3.2104 LTS 64位",
    "OSNameEn": "Alibaba Cloud Linux  3.2104 LTS 64 bit",
    "OSType": "linux",
    "InstanceNetworkType": "vpc",
    "InstanceChargeType": "PostPaid",
    "InternetChargeType": "",
    "InternetMaxBandwidthIn": -1,
    "InternetMaxBandwidthOut": 0,
    "CreationTime": "2024-01-16T03:13Z",
    "StartTime": "2024-01-16T03:13Z",
    "ExpiredTime": "2099-12-31T15:59Z",
    "PublicIpAddress": {"IpAddress": []},
    "InnerIpAddress": {"IpAddress": []},
    "EipAddress": {
        "AllocationId": "eip-bp1tiegqry5es1jj5qz8u",
        "IpAddress": "47.96.1.180",
        "InternetChargeType": "PayByTraffic",
        "Bandwidth": 199,
        "IsSupportUnassociate": True,
    },
    "VpcAttributes": {
        "VpcId": "vpc-bp171csbkbnjhg1bj3npw",
        "VSwitchId": "vsw-bp1xgvok3myac6ctry030",
        "NatIpAddress": "",
        "PrivateIpAddress": {"IpAddress": ["172.16.181.150"]},
    },
    "SecurityGroupIds": {"SecurityGroupId": ["sg-bp1atls48398wyqjatyr"]},
    "OperationLocks": {"LockReason": []},
    "Tags": {"Tag": [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "ops"}]},
}

NO_EIP = {"AllocationId": "", "IpAddress": "", "InternetChargeType": ""}


def private_only() -> dict[str, Any]:
    doc = copy.deepcopy(EIP_ONLY)
    doc["InstanceId"] = "i-bp1privateonly000001"
    doc["EipAddress"] = dict(NO_EIP)
    del doc["Tags"]
    return doc


def classic_public() -> dict[str, Any]:
    doc = copy.deepcopy(EIP_ONLY)
    doc.update(
        InstanceId="i-bp1classic0000000001",
        InstanceNetworkType="classic",
        InternetMaxBandwidthOut=5,
        PublicIpAddress={"IpAddress": ["121.40.10.20"]},
        InnerIpAddress={"IpAddress": ["10.1.2.3"]},
        EipAddress=dict(NO_EIP),
        VpcAttributes={
            "VpcId": "",
            "VSwitchId": "",
            "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": []},
        },
    )
    return doc


def windows_stopped() -> dict[str, Any]:
    doc = private_only()
    doc.update(
        InstanceId="i-bp1windows0000000001",
        Status="Stopped",
        OSName="Windows Server  2022 数据中心版 64位中文版",
        OSType="windows",
        InstanceChargeType="PrePaid",
        ExpiredTime="2027-03-01T16:00Z",
        Cpu=4,
        Memory=16384,
    )
    return doc
