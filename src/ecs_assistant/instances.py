"""The domain: what an ECS instance is to ECS Assistant, and how to read one from DescribeInstances.

Everything here is pure (no HTTP, no SDK, no clock), so the rules that the original tutorial got wrong
can be tested on real-shaped documents: a VPC instance with an EIP keeps its address in ``EipAddress``
and has an empty ``PublicIpAddress``; a private-only instance has neither; every list may be empty and
``Tags`` is absent when an instance has no tags. Nothing indexes ``[0]`` without checking first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

#: Instance-ID syntax, checked before any upstream call. The web page and the mini program apply the
#: same rule (trim, then this pattern), so a typo is caught in the client and again here.
INSTANCE_ID_PATTERN = re.compile(r"^i-[0-9a-z]{8,32}$")

#: The five states DescribeInstances reports.
INSTANCE_STATUSES = ("Pending", "Running", "Starting", "Stopping", "Stopped")

PublicIpSource = Literal["public", "eip"]


def normalize_instance_id(raw: str) -> str | None:
    """Return the trimmed instance ID if it is well-formed, else None."""
    candidate = raw.strip()
    return candidate if INSTANCE_ID_PATTERN.fullmatch(candidate) else None


@dataclass(frozen=True, slots=True)
class Instance:
    """One ECS instance as the service presents it; field names follow the public JSON document."""

    instance_id: str
    instance_name: str
    host_name: str
    region_id: str
    zone_id: str
    status: str
    instance_type: str
    cpu: int
    memory_mib: int
    os_name: str
    os_type: str
    public_ip_address: str | None
    public_ip_source: PublicIpSource | None
    internet_max_bandwidth_out: int
    private_ip_addresses: tuple[str, ...]
    network_type: str
    vpc_id: str | None
    vswitch_id: str | None
    instance_charge_type: str
    creation_time: str
    expired_time: str
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_document(self) -> dict[str, Any]:
        """The camelCase document served by ``/api/v1/instances``."""
        return {
            "instanceId": self.instance_id,
            "instanceName": self.instance_name,
            "hostName": self.host_name,
            "regionId": self.region_id,
            "zoneId": self.zone_id,
            "status": self.status,
            "instanceType": self.instance_type,
            "cpu": self.cpu,
            "memoryMiB": self.memory_mib,
            "osName": self.os_name,
            "osType": self.os_type,
            "publicIpAddress": self.public_ip_address,
            "publicIpSource": self.public_ip_source,
            "internetMaxBandwidthOut": self.internet_max_bandwidth_out,
            "privateIpAddresses": list(self.private_ip_addresses),
            "networkType": self.network_type,
            "vpcId": self.vpc_id,
            "vSwitchId": self.vswitch_id,
            "instanceChargeType": self.instance_charge_type,
            "creationTime": self.creation_time,
            "expiredTime": self.expired_time,
            "tags": dict(self.tags),
        }

    def to_server_info(self) -> dict[str, Any]:
        """The original tutorial's seven fields, with their original names and types."""
        return {
            "Cpu": self.cpu,
            "Memory": self.memory_mib,
            "OSName": self.os_name,
            "InstanceType": self.instance_type,
            "IpAddress": self.public_ip_address or "",
            "InternetMaxBandwidthOut": self.internet_max_bandwidth_out,
            "instanceStatus": self.status,
        }


def _text(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    return value if isinstance(value, str) else ""


def _int(doc: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = doc.get(key)
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def _object(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _wrapped_list(doc: Mapping[str, Any], outer: str, inner: str) -> list[Any]:
    """Read Alibaba's wrapped lists (``{"PublicIpAddress": {"IpAddress": [...]}}``), tolerating absence."""
    value = _object(doc, outer).get(inner)
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _addresses(values: list[Any]) -> list[str]:
    return [value.strip() for value in values if isinstance(value, str) and value.strip()]


def _first(values: Sequence[str]) -> str | None:
    return values[0] if values else None


def _or_none(value: str) -> str | None:
    return value or None


def _tags(doc: Mapping[str, Any]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in _wrapped_list(doc, "Tags", "Tag"):
        if not isinstance(tag, Mapping):
            continue
        key = tag.get("TagKey", tag.get("Key"))
        value = tag.get("TagValue", tag.get("Value", ""))
        if isinstance(key, str) and key:
            tags[key] = value if isinstance(value, str) else ""
    return tags


def instance_from_api(doc: Mapping[str, Any]) -> Instance:
    """Map one element of ``Instances.Instance`` (DescribeInstances, API field names) to an Instance.

    Public IP: the classic ``PublicIpAddress`` first, else the bound EIP, else none. Bandwidth: the EIP's
    when an EIP is bound, else the instance's ``InternetMaxBandwidthOut``. Private IPs: the VPC addresses,
    then classic inner addresses, without duplicates.
    """
    public_ips = _addresses(_wrapped_list(doc, "PublicIpAddress", "IpAddress"))
    eip = _object(doc, "EipAddress")
    eip_address = eip.get("IpAddress") if isinstance(eip.get("IpAddress"), str) else ""
    eip_address = (eip_address or "").strip()

    public_ip: str | None
    source: PublicIpSource | None
    if public_ips:
        public_ip, source = public_ips[0], "public"
    elif eip_address:
        public_ip, source = eip_address, "eip"
    else:
        public_ip, source = None, None

    bandwidth = _int(doc, "InternetMaxBandwidthOut")
    if eip_address and "Bandwidth" in eip:
        bandwidth = _int(eip, "Bandwidth", bandwidth)

    vpc = _object(doc, "VpcAttributes")
    private: list[str] = []
    for address in _addresses(_wrapped_list(vpc, "PrivateIpAddress", "IpAddress")) + _addresses(
        _wrapped_list(doc, "InnerIpAddress", "IpAddress")
    ):
        if address not in private:
            private.append(address)

    vpc_id = _or_none(_text(vpc, "VpcId"))
    network_type = _text(doc, "InstanceNetworkType") or ("vpc" if vpc_id else "classic")

    return Instance(
        instance_id=_text(doc, "InstanceId"),
        instance_name=_text(doc, "InstanceName"),
        host_name=_text(doc, "HostName"),
        region_id=_text(doc, "RegionId"),
        zone_id=_text(doc, "ZoneId"),
        status=_text(doc, "Status"),
        instance_type=_text(doc, "InstanceType"),
        cpu=_int(doc, "Cpu"),
        memory_mib=_int(doc, "Memory"),
        os_name=_text(doc, "OSName"),
        os_type=_text(doc, "OSType"),
        public_ip_address=public_ip,
        public_ip_source=source,
        internet_max_bandwidth_out=bandwidth,
        private_ip_addresses=tuple(private),
        network_type=network_type,
        vpc_id=vpc_id,
        vswitch_id=_or_none(_text(vpc, "VSwitchId")),
        instance_charge_type=_text(doc, "InstanceChargeType"),
        creation_time=_text(doc, "CreationTime"),
        expired_time=_text(doc, "ExpiredTime"),
        tags=_tags(doc),
    )


def instances_from_response(body: Mapping[str, Any]) -> list[Instance]:
    """Map a whole DescribeInstances body; a missing or malformed wrapper means no instances."""
    return [
        instance_from_api(item)
        for item in _wrapped_list(body, "Instances", "Instance")
        if isinstance(item, Mapping)
    ]


__all__ = [
    "INSTANCE_ID_PATTERN",
    "INSTANCE_STATUSES",
    "Instance",
    "instance_from_api",
    "instances_from_response",
    "normalize_instance_id",
]
