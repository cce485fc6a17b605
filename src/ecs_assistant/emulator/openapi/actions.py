"""The three ECS actions: DescribeInstances, DescribeInstanceStatus, DescribeRegions.

Handlers are thin: read and validate parameters, authorize, filter, page, and return the response dict
(the dispatcher adds `RequestId`). Shapes follow reference §3.2 and §3.5.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ecs_assistant.emulator import exceptions as err
from ecs_assistant.emulator.models import Principal, State
from ecs_assistant.emulator.openapi import paging
from ecs_assistant.emulator.openapi.params import get_bool, get_int, json_string_array, repeat_list, tags
from ecs_assistant.emulator.openapi.policy import Decision, evaluate
from ecs_assistant.emulator.world import STATUSES

MAX_IDS = 100


@dataclass(frozen=True, slots=True)
class ActionContext:
    state: State
    params: dict[str, str]
    principal: Principal


Handler = Callable[[ActionContext], dict[str, Any]]


def _region(ctx: ActionContext) -> str:
    region = ctx.params.get("RegionId")
    if not region:
        raise err.MissingRegionId()
    if region not in ctx.state.regions:
        raise err.InvalidRegionIdNotFound()
    return region


def _decide(ctx: ActionContext, action: str, region: str) -> Decision:
    resource = f"acs:ecs:{region}:{ctx.state.account_id}:instance/*"
    return evaluate(ctx.principal.policies, f"ecs:{action}", resource)


def _forbidden(ctx: ActionContext, action: str, decision: Decision) -> err.ForbiddenRam:
    if not ctx.state.settings.access_denied_detail:
        return err.ForbiddenRam()
    detail = {
        "AuthAction": f"ecs:{action}",
        "AuthPrincipalType": "AssumedRoleUser" if ctx.principal.kind == "role" else "SubUser",
        "AuthPrincipalOwnerId": ctx.state.account_id,
        "AuthPrincipalDisplayName": ctx.principal.name,
        "PolicyType": "AccountLevelIdentityBasedPolicy",
        "NoPermissionType": decision.value,
        "EncodedDiagnosticMessage": "",
    }
    return err.ForbiddenRam(extra={"AccessDeniedDetail": detail})


# --- DescribeInstances --------------------------------------------------------------------------------

_NETWORK_TYPES = ("vpc", "classic")
_CHARGE_TYPES = ("PostPaid", "PrePaid")


def _filters(ctx: ActionContext) -> list[Check]:
    """Validate the filter parameters and return one predicate per filter that was set."""
    p = ctx.params
    checks: list[Check] = []
    status = p.get("Status")
    if status:
        if status not in STATUSES:
            raise err.InvalidStatusNotFound()
        checks.append(lambda i: i["Status"] == status)
    network = p.get("InstanceNetworkType")
    if network:
        if network not in _NETWORK_TYPES:
            raise err.InvalidNetworkTypeNotFound()
        checks.append(lambda i: i["InstanceNetworkType"] == network)
    charge = p.get("InstanceChargeType")
    if charge:
        if charge not in _CHARGE_TYPES:
            raise err.InvalidInstanceChargeTypeNotFound()
        checks.append(lambda i: i["InstanceChargeType"] == charge)
    for name, get in _EXACT_FILTERS.items():
        wanted = p.get(name)
        if wanted:
            checks.append(_equals(get, wanted))
    group = p.get("SecurityGroupId")
    if group:
        checks.append(lambda i: group in i["SecurityGroupIds"]["SecurityGroupId"])
    name_pattern = p.get("InstanceName")
    if name_pattern:
        checks.append(lambda i: fnmatchcase(i["InstanceName"], name_pattern))
    lenient = ctx.state.settings.accept_single_quoted_instance_ids
    for param, get_ips in _IP_FILTERS.items():
        ips = json_string_array(p, param, lenient_quotes=lenient, limit=MAX_IDS)
        if ips is not None:
            checks.append(_any_ip(get_ips, set(ips)))
    for key, value in tags(p):
        checks.append(_tagged(key, value))
    return checks


Getter = Callable[[dict[str, Any]], Any]
Check = Callable[[dict[str, Any]], bool]

_EXACT_FILTERS: dict[str, Getter] = {
    "ZoneId": lambda i: i["ZoneId"],
    "InstanceType": lambda i: i["InstanceType"],
    "InstanceTypeFamily": lambda i: i["InstanceTypeFamily"],
    "ImageId": lambda i: i["ImageId"],
    "KeyPairName": lambda i: i.get("KeyPairName", ""),
    "VpcId": lambda i: i["VpcAttributes"]["VpcId"],
    "VSwitchId": lambda i: i["VpcAttributes"]["VSwitchId"],
}

_IP_FILTERS: dict[str, Getter] = {
    "PrivateIpAddresses": lambda i: i["VpcAttributes"]["PrivateIpAddress"]["IpAddress"],
    "InnerIpAddresses": lambda i: i["InnerIpAddress"]["IpAddress"],
    "PublicIpAddresses": lambda i: i["PublicIpAddress"]["IpAddress"],
    "EipAddresses": lambda i: [i["EipAddress"]["IpAddress"]] if i["EipAddress"]["IpAddress"] else [],
}


def _equals(get: Getter, wanted: str) -> Check:
    return lambda i: bool(get(i) == wanted)


def _any_ip(get: Getter, wanted: set[str]) -> Check:
    return lambda i: bool(wanted.intersection(get(i)))


def _tagged(key: str, value: str | None) -> Check:
    return lambda i: _has_tag(i, key, value)


def _has_tag(instance: dict[str, Any], key: str, value: str | None) -> bool:
    for tag in instance.get("Tags", {}).get("Tag", []):
        if tag["TagKey"] == key and (value is None or tag["TagValue"] == value):
            return True
    return False


def _candidates(ctx: ActionContext, region: str, ids: list[str] | None) -> Iterable[dict[str, Any]]:
    """Instances to filter: O(1) lookups when IDs are given (unknown IDs silently omitted)."""
    if ids is None:
        return ctx.state.region_instances(region)
    out = []
    seen = set()
    for iid in ids:
        doc = ctx.state.instance(iid)
        if doc is not None and doc["RegionId"] == region and iid not in seen:
            seen.add(iid)
            out.append(doc)
    return out


def _page_mode(ctx: ActionContext) -> tuple[str, int, int, str | None]:
    p = ctx.params
    if "MaxResults" in p or "NextToken" in p:
        if ctx.state.settings.max_results_out_of_range == "clamp":
            try:
                raw = int(p.get("MaxResults") or 10)
            except ValueError:
                raise err.InvalidParameter("MaxResults") from None
            size = min(100, max(10, raw))
        else:
            size = get_int(p, "MaxResults", 10, 1, 100)
        return "token", 1, size, p.get("NextToken") or None
    return "number", get_int(p, "PageNumber", 1, 1, None), get_int(p, "PageSize", 10, 1, 100), None


def describe_instances(ctx: ActionContext) -> dict[str, Any]:
    region = _region(ctx)
    dry_run = get_bool(ctx.params, "DryRun")
    decision = _decide(ctx, "DescribeInstances", region)
    if decision is not Decision.ALLOW and (dry_run or not ctx.state.settings.empty_list_without_permission):
        raise _forbidden(ctx, "DescribeInstances", decision)
    ids = json_string_array(
        ctx.params,
        "InstanceIds",
        lenient_quotes=ctx.state.settings.accept_single_quoted_instance_ids,
        limit=MAX_IDS,
    )
    checks = _filters(ctx)
    mode, number, size, token = _page_mode(ctx)
    if dry_run:
        raise err.DryRunOperation()
    if decision is not Decision.ALLOW:
        # The documented quirk: no permission looks exactly like "nothing matched".
        matched: list[dict[str, Any]] = []
    else:
        matched = [i for i in _candidates(ctx, region, ids) if all(c(i) for c in checks)]
    if mode == "token":
        page = paging.by_token(matched, token, size, paging.fingerprint(ctx.params))
    else:
        page = paging.by_number(matched, number, size)
    return {
        "TotalCount": page.total,
        "PageNumber": number,
        "PageSize": size,
        "NextToken": page.next_token,
        "Instances": {"Instance": page.items},
    }


# --- DescribeInstanceStatus ---------------------------------------------------------------------------


def describe_instance_status(ctx: ActionContext) -> dict[str, Any]:
    region = _region(ctx)
    decision = _decide(ctx, "DescribeInstanceStatus", region)
    if decision is not Decision.ALLOW:
        raise _forbidden(ctx, "DescribeInstanceStatus", decision)
    ids = repeat_list(ctx.params, "InstanceId")
    if len(ids) > MAX_IDS:
        raise err.TooManyInstanceIds()
    zone = ctx.params.get("ZoneId")
    if zone and zone not in ctx.state.zones.get(region, set()):
        raise err.InvalidZoneIdNotFound()
    number = get_int(ctx.params, "PageNumber", 1, 1, None)
    size = get_int(ctx.params, "PageSize", 10, 1, 50)
    candidates = _candidates(ctx, region, ids or None)
    matched = [i for i in candidates if not zone or i["ZoneId"] == zone]
    page = paging.by_number(matched, number, size)
    return {
        "TotalCount": page.total,
        "PageNumber": number,
        "PageSize": size,
        "InstanceStatuses": {
            "InstanceStatus": [{"InstanceId": i["InstanceId"], "Status": i["Status"]} for i in page.items]
        },
    }


# --- DescribeRegions ----------------------------------------------------------------------------------


def describe_regions(ctx: ActionContext) -> dict[str, Any]:
    region = ctx.params.get("RegionId") or next(iter(ctx.state.regions))
    decision = _decide(ctx, "DescribeRegions", region)
    if decision is not Decision.ALLOW:
        raise _forbidden(ctx, "DescribeRegions", decision)
    return {
        "Regions": {
            "Region": [
                {
                    "RegionId": r.id,
                    "LocalName": r.local_name,
                    "RegionEndpoint": r.endpoint,
                    "Status": "available",
                }
                for r in ctx.state.regions.values()
            ]
        }
    }


ACTIONS: dict[str, Handler] = {
    "DescribeInstances": describe_instances,
    "DescribeInstanceStatus": describe_instance_status,
    "DescribeRegions": describe_regions,
}
