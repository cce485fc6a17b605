"""Builds one instance in the exact DescribeInstances shape (reference §3.2) from a compact world entry.

The API dict is the single source of truth at run time: DescribeInstances returns it, filters read it,
the metadata service reads it, and the control plane's PATCH edits its top-level fields.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

POSTPAID_EXPIRY = "2099-12-31T15:59Z"


@dataclass(frozen=True)
class InstanceSpec:
    instance_id: str
    name: str
    region: str
    zone: str
    status: str
    instance_type: str
    cpu: int
    memory: int
    os_name: str
    os_name_en: str | None
    os_type: str
    image_id: str | None
    network: str
    vpc_id: str | None
    vswitch_id: str | None
    private_ip: str
    public_ip: str | None
    eip: tuple[str, str, int, str] | None  # allocation id, ip, bandwidth, charge type
    bandwidth_out: int
    charge_type: str
    internet_charge_type: str | None
    created: str
    expired: str | None
    tags: dict[str, str] = field(default_factory=dict)
    key_pair: str | None = None
    security_groups: list[str] = field(default_factory=list)
    description: str = ""
    hostname: str | None = None
    deletion_protection: bool = False
    serial_number: str = ""
    account_id: str = ""


def _derived(seed: str, length: int) -> str:
    """Stable pseudo-random lowercase id characters, so the same world always gives the same IDs."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % 36] for b in digest[:length])


def mac_address(instance_id: str) -> str:
    digest = hashlib.sha256(f"mac:{instance_id}".encode()).digest()
    return "00:16:3e:" + ":".join(f"{b:02x}" for b in digest[:3])


def build_instance(spec: InstanceSpec) -> dict[str, Any]:
    iid = spec.instance_id
    suffix = iid[2:]
    family = ".".join(spec.instance_type.split(".")[:2])
    has_public = bool(spec.public_ip) or spec.eip is not None
    internet_charge = spec.internet_charge_type
    if internet_charge is None:
        internet_charge = "PayByTraffic" if spec.public_ip else ""
    vpc = spec.network == "vpc"
    groups = spec.security_groups or [
        f"sg-{spec.region[3:5]}{_derived('sg' + (spec.vpc_id or spec.region), 18)}"
    ]
    eni = f"eni-{_derived('eni' + iid, 20)}"
    eip_obj: dict[str, Any]
    if spec.eip is not None:
        allocation, ip, bandwidth, charge = spec.eip
        eip_obj = {
            "AllocationId": allocation,
            "IpAddress": ip,
            "InternetChargeType": charge,
            "Bandwidth": bandwidth,
            "IsSupportUnassociate": True,
        }
    else:
        eip_obj = {"AllocationId": "", "IpAddress": "", "InternetChargeType": ""}
    running = spec.status == "Running"
    doc: dict[str, Any] = {
        "InstanceId": iid,
        "InstanceName": spec.name,
        "HostName": spec.hostname or f"iZ{suffix}Z",
        "Description": spec.description,
        "Status": spec.status,
        "RegionId": spec.region,
        "ZoneId": spec.zone,
        "InstanceType": spec.instance_type,
        "InstanceTypeFamily": family,
        "Cpu": spec.cpu,
        "Memory": spec.memory,
        "GPUAmount": 0,
        "GPUSpec": "",
        "OSName": spec.os_name,
        "OSNameEn": spec.os_name_en or spec.os_name,
        "OSType": spec.os_type,
        "ImageId": spec.image_id or f"m-{_derived('img' + spec.os_name, 20)}",
        "InstanceNetworkType": spec.network,
        "InstanceChargeType": spec.charge_type,
        "InternetChargeType": internet_charge,
        "InternetMaxBandwidthIn": -1,
        "InternetMaxBandwidthOut": spec.bandwidth_out if has_public else 0,
        "CreationTime": spec.created,
        "StartTime": spec.created,
        "ExpiredTime": spec.expired or POSTPAID_EXPIRY,
        "AutoReleaseTime": "",
        "StoppedMode": "Not-applicable" if running else "KeepCharging",
        "DeletionProtection": spec.deletion_protection,
        "IoOptimized": True,
        "DeviceAvailable": True,
        "Recyclable": False,
        "CreditSpecification": "Standard" if ".t" in spec.instance_type else "",
        "SerialNumber": spec.serial_number,
        "ResourceGroupId": "",
        "SaleCycle": "Month" if spec.charge_type == "PrePaid" else "",
        "SpotStrategy": "NoSpot",
        "SpotPriceLimit": 0.0,
        "ClusterId": "",
        "DeploymentSetId": "",
        "VlanId": "",
        "PublicIpAddress": {"IpAddress": [spec.public_ip] if spec.public_ip else []},
        "InnerIpAddress": {"IpAddress": [] if vpc else [spec.private_ip]},
        "EipAddress": eip_obj,
        "VpcAttributes": {
            "VpcId": spec.vpc_id or "",
            "VSwitchId": spec.vswitch_id or "",
            "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": [spec.private_ip] if vpc else []},
        },
        "SecurityGroupIds": {"SecurityGroupId": groups},
        "NetworkInterfaces": {
            "NetworkInterface": [
                {
                    "Type": "Primary",
                    "NetworkInterfaceId": eni,
                    "MacAddress": mac_address(iid),
                    "PrimaryIpAddress": spec.private_ip,
                    "PrivateIpSets": {
                        "PrivateIpSet": [{"PrivateIpAddress": spec.private_ip, "Primary": True}]
                    },
                }
            ]
            if vpc
            else []
        },
        "OperationLocks": {"LockReason": []},
        "CpuOptions": {
            "CoreCount": max(1, spec.cpu // 2),
            "ThreadsPerCore": 2 if spec.cpu > 1 else 1,
            "Numa": "",
        },
        "MetadataOptions": {"HttpTokens": "", "HttpEndpoint": ""},
        "HibernationOptions": {"Configured": False},
        "DedicatedHostAttribute": {
            "DedicatedHostId": "",
            "DedicatedHostName": "",
            "DedicatedHostClusterId": "",
        },
        "DedicatedInstanceAttribute": {"Tenancy": "", "Affinity": ""},
        "EcsCapacityReservationAttr": {"CapacityReservationId": "", "CapacityReservationPreference": ""},
        "ImageOptions": {},
        "PrivateDnsNameOptions": {},
    }
    if spec.key_pair:
        doc["KeyPairName"] = spec.key_pair
    if spec.tags:
        doc["Tags"] = {"Tag": [{"TagKey": k, "TagValue": v} for k, v in spec.tags.items()]}
    return doc


def private_ip(instance: dict[str, Any]) -> str:
    ips = (
        instance["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] or instance["InnerIpAddress"]["IpAddress"]
    )
    return str(ips[0]) if ips else ""


def public_ip(instance: dict[str, Any]) -> str:
    """The assigned public IP, else the EIP, else ''."""
    ips = instance["PublicIpAddress"]["IpAddress"]
    if ips:
        return str(ips[0])
    return str(instance["EipAddress"].get("IpAddress") or "")
