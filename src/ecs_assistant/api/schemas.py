"""Request and response schemas: they generate /openapi.json and shape the JSON answers."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Dict, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from marshmallow import EXCLUDE

from ecs_assistant.instances import INSTANCE_STATUSES

ID_HELP = "Instance ID, e.g. i-bp19y1z08hlzzldsdod2 (trimmed, then ^i-[0-9a-z]{8,32}$)."
IDS_HELP = (
    "Comma-separated instance IDs (at most 100): batch lookup. "
    "Without it, the request lists instances with the filters below."
)
REGION_HELP = "Region to search; one of the configured regions. Default: all configured regions."


class _Query(Schema):
    class Meta:
        unknown = EXCLUDE  # extra query parameters are ignored, not an error


class LookupQuery(_Query):
    instanceId = String(required=True, metadata={"description": ID_HELP, "example": "i-bp19y1z08hlzzldsdod2"})
    regionId = String(metadata={"description": REGION_HELP, "example": "cn-hangzhou"})


class RegionQuery(_Query):
    regionId = String(metadata={"description": REGION_HELP, "example": "cn-hangzhou"})


class InstancesQuery(_Query):
    ids = String(metadata={"description": IDS_HELP})
    regionId = String(metadata={"description": "Region; listing defaults to the first configured region."})
    status = String(validate=OneOf(INSTANCE_STATUSES), metadata={"description": "Instance status filter."})
    name = String(metadata={"description": "Instance name; * is a wildcard."})
    zoneId = String(metadata={"description": "Zone filter."})
    vpcId = String(metadata={"description": "VPC filter."})
    instanceType = String(metadata={"description": "Instance type filter, e.g. ecs.g7.large."})
    tag = List(String(), metadata={"description": "Tag filter key:value; repeat for several (at most 20)."})
    pageNumber = Integer(load_default=1, validate=Range(min=1, max=100000), metadata={"description": "Page."})
    pageSize = Integer(
        load_default=20, validate=Range(min=1, max=100), metadata={"description": "Page size."}
    )


class ServerInfoOut(Schema):
    """The original tutorial's response: seven fields, original names and types."""

    Cpu = Integer(required=True)
    Memory = Integer(required=True, metadata={"description": "MiB"})
    OSName = String(required=True)
    InstanceType = String(required=True)
    IpAddress = String(required=True, metadata={"description": "Public IP or EIP; empty when none."})
    InternetMaxBandwidthOut = Integer(
        required=True, metadata={"description": "Mbit/s; the EIP's when bound."}
    )
    instanceStatus = String(required=True)


class InstanceOut(Schema):
    instanceId = String(required=True)
    instanceName = String()
    hostName = String()
    regionId = String()
    zoneId = String()
    status = String()
    instanceType = String()
    cpu = Integer()
    memoryMiB = Integer()
    osName = String()
    osType = String()
    publicIpAddress = String(allow_none=True)
    publicIpSource = String(allow_none=True, metadata={"enum": ["public", "eip", None]})
    internetMaxBandwidthOut = Integer()
    privateIpAddresses = List(String())
    networkType = String()
    vpcId = String(allow_none=True)
    vSwitchId = String(allow_none=True)
    instanceChargeType = String()
    creationTime = String()
    expiredTime = String()
    tags = Dict(keys=String(), values=String())


class InstanceDocumentOut(InstanceOut):
    """The single-instance answer (its own class so the OpenAPI generator registers it once)."""


class InstancesOut(Schema):
    """Batch lookup (instances + notFound) or a listing page (instances + paging)."""

    instances = List(Nested(InstanceOut), required=True)
    notFound = List(String(), metadata={"description": "Batch lookup only."})
    totalCount = Integer(metadata={"description": "Listing only."})
    pageNumber = Integer()
    pageSize = Integer()
    regionId = String()


class RegionOut(Schema):
    regionId = String(required=True)
    localName = String()


class RegionsOut(Schema):
    regions = List(Nested(RegionOut), required=True)


class ErrorBody(Schema):
    code = String(required=True, metadata={"example": "InstanceNotFound"})
    message = String(required=True)
    requestId = String(required=True)


class ErrorOut(Schema):
    error = Nested(ErrorBody, required=True)
