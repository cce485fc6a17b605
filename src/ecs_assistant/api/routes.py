"""The HTTP routes. Views parse and check input, ask the directory, and shape the answer; nothing else.

Input is checked before any upstream call, with specific codes: a missing ``instanceId`` is
MissingParameter, a malformed one InvalidInstanceId, an unknown region InvalidRegion, more than 100 IDs
TooManyInstanceIds. The IDs rule is :func:`ecs_assistant.instances.normalize_instance_id`, the same one
the web page and the mini program apply.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

from apiflask import APIBlueprint
from flask import Response, current_app, g, jsonify, redirect, send_from_directory
from werkzeug.exceptions import NotFound

from ecs_assistant.api import metrics
from ecs_assistant.api.errors import ApiError
from ecs_assistant.api.schemas import (
    ErrorOut,
    InstanceDocumentOut,
    InstancesOut,
    InstancesQuery,
    LookupQuery,
    RegionQuery,
    RegionsOut,
    ServerInfoOut,
)
from ecs_assistant.cloud.ecs import BatchLookup, InstancePage, ListFilters, Lookup
from ecs_assistant.instances import normalize_instance_id
from ecs_assistant.settings import Settings

WEB_DIR = Path(__file__).resolve().parent / "web"
MAX_IDS = 100
LIST_FILTERS = ("status", "name", "zoneId", "vpcId", "instanceType", "tag")
MAX_TAGS = 20
_FILTER_VALUE = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")

#: Display names for the regions a deployment may serve (Alibaba's own Chinese names).
REGION_NAMES = {
    "cn-hangzhou": "华东1（杭州）",
    "cn-shanghai": "华东2（上海）",
    "cn-qingdao": "华北1（青岛）",
    "cn-beijing": "华北2（北京）",
    "cn-zhangjiakou": "华北3（张家口）",
    "cn-huhehaote": "华北5（呼和浩特）",
    "cn-wulanchabu": "华北6（乌兰察布）",
    "cn-shenzhen": "华南1（深圳）",
    "cn-heyuan": "华南2（河源）",
    "cn-guangzhou": "华南3（广州）",
    "cn-chengdu": "西南1（成都）",
    "cn-hongkong": "中国香港",
    "ap-southeast-1": "新加坡",
    "ap-northeast-1": "日本（东京）",
    "us-west-1": "美国（硅谷）",
    "us-east-1": "美国（弗吉尼亚）",
    "eu-central-1": "德国（法兰克福）",
}

ERRORS = {
    400: "Malformed input (MissingParameter, InvalidParameter, InvalidInstanceId, InvalidRegion, ...)",
    401: "Unauthorized (API keys are configured and none or a wrong one was sent)",
    404: "InstanceNotFound",
    502: "UpstreamError",
    503: "UpstreamUnavailable, UpstreamThrottled, UpstreamPermissionDenied or CredentialsUnavailable",
    504: "UpstreamTimeout",
}


class Directory(Protocol):
    """What the API needs from the cloud layer (InstanceDirectory, or a fake in tests)."""

    @property
    def regions(self) -> tuple[str, ...]: ...

    def get(self, instance_id: str, region: str | None = None) -> Lookup: ...

    def get_many(self, instance_ids: list[str], region: str | None = None) -> BatchLookup: ...

    def list_instances(
        self,
        region: str | None = None,
        filters: ListFilters | None = None,
        page_number: int = 1,
        page_size: int = 20,
    ) -> InstancePage: ...

    def readiness(self) -> tuple[bool, dict[str, Any]]: ...


def directory() -> Directory:
    found: Directory = current_app.extensions["ecs_assistant.directory"]
    return found


def settings() -> Settings:
    found: Settings = current_app.extensions["ecs_assistant.settings"]
    return found


def _instance_id(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise ApiError("MissingParameter", "The instanceId parameter is required.")
    instance_id = normalize_instance_id(raw)
    if instance_id is None:
        shown = raw.strip()[:64]
        raise ApiError(
            "InvalidInstanceId", f"{shown!r} is not a valid instance ID (expected i- and 8-32 a-z0-9)."
        )
    return instance_id


def _region(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    region = raw.strip()
    if region not in directory().regions:
        raise ApiError(
            "InvalidRegion",
            f"{region[:64]!r} is not a region served here; use one of: {', '.join(directory().regions)}.",
        )
    return region


def _filter(name: str, raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if not _FILTER_VALUE.fullmatch(raw):
        raise ApiError("InvalidParameter", f"{name} must be 1-128 printable characters.")
    return raw


def _cached(response: Response, state: str) -> Response:
    response.headers["X-Cache"] = state
    g.cache_state = state
    return response


bp = APIBlueprint("lookup", __name__, tag="Instances")
ops = APIBlueprint("operations", __name__, tag="Operations")


@ops.get("/")
@ops.doc(summary="Load balancer health check", description="Answers `ok` (text/plain) with no upstream call.")
def root() -> Response:
    return Response("ok", mimetype="text/plain")


@ops.get("/healthz")
@ops.doc(summary="Health check", description="Same as `/`: `ok` (text/plain), no upstream call.")
def healthz() -> Response:
    return Response("ok", mimetype="text/plain")


@ops.get("/readyz")
@ops.doc(
    summary="Readiness",
    description="Credentials obtainable and the RAM role allowed to call DescribeInstances (DryRun probe, "
    "cached). 200 when ready, 503 otherwise, with the failing check named.",
    responses={200: "Ready", 503: "Not ready"},
)
def readyz() -> Response:
    ready, checks = directory().readiness()
    response = jsonify(
        {"status": "ready" if ready else "unready", "node": settings().served_by, "checks": checks}
    )
    response.status_code = 200 if ready else 503
    return response


@ops.get("/metrics")
@ops.doc(summary="Prometheus metrics", description="Text exposition format; aggregates all uWSGI workers.")
def prometheus_metrics() -> Response:
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)


@ops.get("/app")
@ops.doc(hide=True)
def web_root_redirect() -> Response:
    return redirect("/app/", code=308)  # type: ignore[return-value]


@ops.get("/app/")
@ops.get("/app/<path:filename>")
@ops.doc(hide=True)
def web_page(filename: str = "index.html") -> Response:
    if not (WEB_DIR / "index.html").exists() and filename == "index.html":
        raise NotFound()
    return send_from_directory(WEB_DIR, filename, max_age=300)


@bp.get("/ecs/getServerInfo")
@bp.input(LookupQuery, location="query", arg_name="query")
@bp.output(ServerInfoOut)
@bp.doc(
    summary="Instance summary (original contract)",
    description="The original tutorial's seven fields with their original names and types.",
    responses=ERRORS,
)
def get_server_info(query: dict[str, Any]) -> Response:
    instance_id = _instance_id(query.get("instanceId"))
    found = directory().get(instance_id, _region(query.get("regionId")))
    return _cached(jsonify(found.instance.to_server_info()), found.cache)


@bp.get("/api/v1/instances/<instance_id>")
@bp.input(RegionQuery, location="query", arg_name="query")
@bp.output(InstanceDocumentOut)
@bp.doc(summary="One instance", description="The full instance document.", responses=ERRORS)
def get_instance(instance_id: str, query: dict[str, Any]) -> Response:
    checked = _instance_id(instance_id)
    found = directory().get(checked, _region(query.get("regionId")))
    return _cached(jsonify(found.instance.to_document()), found.cache)


@bp.get("/api/v1/instances")
@bp.input(InstancesQuery, location="query", arg_name="query")
@bp.output(InstancesOut)
@bp.doc(
    summary="Batch lookup or listing",
    description="With `ids`: up to 100 instances in one upstream call, unknown IDs in `notFound`. "
    "Without: a page of instances of one region, filtered.",
    responses=ERRORS,
)
def list_instances(query: dict[str, Any]) -> Response:
    region = _region(query.get("regionId"))
    raw_ids = query.get("ids")
    if raw_ids is not None:
        combined = [name for name in LIST_FILTERS if query.get(name)]
        if combined:
            # Filters apply to listing only; ignoring them silently would answer a different question.
            raise ApiError(
                "InvalidParameter", f"ids cannot be combined with listing filters ({', '.join(combined)})."
            )
        items = [item.strip() for item in raw_ids.split(",") if item.strip()]
        if not items:
            raise ApiError("MissingParameter", "ids must name at least one instance ID.")
        ids: list[str] = []
        for item in items:
            checked = _instance_id(item)
            if checked not in ids:
                ids.append(checked)
        if len(ids) > MAX_IDS:
            raise ApiError(
                "TooManyInstanceIds", f"At most {MAX_IDS} instance IDs per request ({len(ids)} given)."
            )
        batch = directory().get_many(ids, region)
        body = {"instances": [i.to_document() for i in batch.instances], "notFound": batch.not_found}
        return _cached(jsonify(body), batch.cache)

    tags: list[tuple[str, str]] = []
    for raw_tag in query.get("tag") or []:
        checked_tag = _filter("tag", raw_tag)
        if checked_tag is None:
            continue
        key, _, value = checked_tag.partition(":")
        if not key.strip():
            raise ApiError("InvalidParameter", "tag must be key:value with a non-empty key.")
        tags.append((key.strip(), value.strip()))
    if len(tags) > MAX_TAGS:
        raise ApiError("InvalidParameter", f"At most {MAX_TAGS} tag filters.")
    filters = ListFilters(
        status=query.get("status"),
        name=_filter("name", query.get("name")),
        zone_id=_filter("zoneId", query.get("zoneId")),
        vpc_id=_filter("vpcId", query.get("vpcId")),
        instance_type=_filter("instanceType", query.get("instanceType")),
        tags=tuple(tags),
    )
    page = directory().list_instances(region, filters, int(query["pageNumber"]), int(query["pageSize"]))
    body = {
        "instances": [i.to_document() for i in page.instances],
        "totalCount": page.total_count,
        "pageNumber": page.page_number,
        "pageSize": page.page_size,
        "regionId": page.region_id,
    }
    return _cached(jsonify(body), "MISS")


@bp.get("/api/v1/regions")
@bp.output(RegionsOut)
@bp.doc(summary="Configured regions", description="The regions this deployment serves, first is the default.")
def regions() -> Response:
    body = {"regions": [{"regionId": r, "localName": REGION_NAMES.get(r, r)} for r in directory().regions]}
    return jsonify(body)


__all__ = ["ERRORS", "REGION_NAMES", "WEB_DIR", "Directory", "ErrorOut", "bp", "ops"]
