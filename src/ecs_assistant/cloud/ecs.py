"""InstanceDirectory: look ECS instances up through ``alibabacloud-ecs20140526``, fast and without fail.

A lookup first asks the per-worker cache; a miss costs one DescribeInstances (a batch of up to 100 IDs
too), deduplicated across concurrent callers by singleflight. With several regions configured and no
region given, an ID goes first to the region it was last found in, else to the region its prefix hints
at (``region_hints``), and only when it is not there are the other regions searched concurrently; IDs
with no clue at all are searched in every region at once. The region each instance lives in is
remembered, so the next miss goes straight there.

Retries are our own loop rather than the SDK's ``retry_options``: the SDK's policy has no total deadline
(a request could hang for attempts x read timeout) and no hook for metrics; ours retries Throttling*,
ServiceUnavailable, InternalError, 5xx, timeouts and connection failures with exponential backoff and full
jitter, waits exactly ``x-acs-retry-after`` when Alibaba sends it, and never runs past the deadline.

DescribeInstances answers an empty list both for "no such instance" and "not allowed to look", so before
calling an ID not found the directory asks DescribeInstances with ``DryRun=true`` (cached per region):
``DryRunOperation`` means allowed, ``Forbidden.RAM``/``NoPermission`` means the node's role lacks the
permission, and the lookup says so.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Literal

from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.utils_models import Config as OpenApiConfig
from cachetools import LRUCache
from darabonba.runtime import RuntimeOptions

from ecs_assistant.cloud.cache import SingleFlight, TTLCache
from ecs_assistant.cloud.credentials import CredentialSource
from ecs_assistant.cloud.errors import (
    CredentialsUnavailable,
    InstanceNotFound,
    InvalidRequest,
    ServiceError,
    UpstreamError,
    UpstreamPermissionDenied,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
    is_retryable,
    translate,
)
from ecs_assistant.cloud.region_hints import RegionHints
from ecs_assistant.cloud.telemetry import NullTelemetry, Telemetry
from ecs_assistant.instances import (
    INSTANCE_STATUSES,
    Instance,
    instances_from_response,
    normalize_instance_id,
)
from ecs_assistant.settings import Settings

CacheHeader = Literal["HIT", "MISS", "STALE"]

log = logging.getLogger(__name__)

MAX_IDS_PER_CALL = 100
USER_AGENT = "ecs-assistant/0.1"
#: Errors for which the last known value is served (marked STALE) instead of failing.
STALE_ON = (UpstreamUnavailable, UpstreamTimeout, UpstreamThrottled, UpstreamError, CredentialsUnavailable)


@dataclass(frozen=True, slots=True)
class Lookup:
    instance: Instance
    cache: CacheHeader


@dataclass(frozen=True, slots=True)
class BatchLookup:
    instances: list[Instance]
    not_found: list[str]
    cache: CacheHeader


@dataclass(frozen=True, slots=True)
class ListFilters:
    status: str | None = None
    name: str | None = None
    zone_id: str | None = None
    vpc_id: str | None = None
    instance_type: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class InstancePage:
    instances: list[Instance]
    total_count: int
    page_number: int
    page_size: int
    region_id: str


@dataclass(frozen=True, slots=True)
class PermissionStatus:
    """Result of the DryRun probe: allowed True/False, or None when the probe itself failed."""

    region_id: str
    allowed: bool | None
    code: str
    message: str
    checked_at: float = field(default=0.0, compare=False)


class EcsClients:
    """One SDK client per region, built on first use and reused."""

    def __init__(self, settings: Settings, credentials: CredentialSource) -> None:
        self.settings = settings
        self.credentials = credentials
        self._clients: dict[str, EcsClient] = {}
        self._lock = threading.Lock()

    def endpoint_for(self, region: str) -> str | None:
        if self.settings.endpoint:
            return self.settings.endpoint
        if self.settings.use_vpc_endpoint:
            return f"ecs-vpc.{region}.aliyuncs.com"
        return None  # the SDK's own regional endpoint map

    def for_region(self, region: str) -> EcsClient:
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                config = OpenApiConfig(
                    credential=self.credentials.client(),
                    region_id=region,
                    endpoint=self.endpoint_for(region),
                    protocol=self.settings.protocol,
                    connect_timeout=int(self.settings.connect_timeout * 1000),
                    read_timeout=int(self.settings.read_timeout * 1000),
                    user_agent=USER_AGENT,
                )
                client = EcsClient(config)
                self._clients[region] = client
            return client


class InstanceDirectory:
    """get / get_many / list_instances over DescribeInstances: cache, singleflight, retries, DryRun probe."""

    def __init__(
        self,
        settings: Settings,
        *,
        credentials: CredentialSource | None = None,
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.telemetry = telemetry or NullTelemetry()
        self.credentials = credentials or CredentialSource(settings, self.telemetry)
        self.clients = EcsClients(settings, self.credentials)
        self.cache: TTLCache[str, Instance] = TTLCache(
            ttl=settings.cache_ttl,
            negative_ttl=settings.negative_cache_ttl,
            stale_ttl=settings.stale_ttl,
            max_entries=settings.cache_max_entries,
            clock=clock,
        )
        self._flight: SingleFlight[str, Instance] = SingleFlight()
        self._locations: LRUCache[str, str] = LRUCache(maxsize=settings.cache_max_entries)
        self._locations_lock = threading.Lock()
        self._hints = RegionHints(settings.region_hints, settings.regions)
        self._permissions: dict[str, PermissionStatus] = {}
        self._clock = clock
        self._sleep = sleep
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self.last_upstream: dict[str, Any] = {"outcome": None, "at": None}

    @property
    def regions(self) -> tuple[str, ...]:
        return self.settings.regions

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # -- public lookups -------------------------------------------------------------------------------

    def get(self, instance_id: str, region: str | None = None) -> Lookup:
        batch = self.get_many([instance_id], region)
        if not batch.instances:
            raise InstanceNotFound(f"No instance {instance_id.strip()} in {self._scope(region)}.")
        return Lookup(batch.instances[0], batch.cache)

    def get_many(self, instance_ids: Sequence[str], region: str | None = None) -> BatchLookup:
        self._check_region(region)
        ids = self._normalize_ids(instance_ids)
        deadline = self._clock() + self.settings.request_deadline
        found: dict[str, Instance] = {}
        missing: list[str] = []
        to_load: list[str] = []
        for instance_id in ids:
            cached = self.cache.lookup(instance_id)
            if (
                cached.state == "hit"
                and cached.value is not None
                and region in (None, cached.value.region_id)
            ):
                self.telemetry.cache_lookup("hit")
                found[instance_id] = cached.value
            elif self.cache.lookup(self._negative_key(instance_id, region)).state == "negative":
                self.telemetry.cache_lookup("negative")
                missing.append(instance_id)
            else:
                self.telemetry.cache_lookup("miss")
                to_load.append(instance_id)

        stale = False
        if to_load:
            loaded, errors = self._load_shared(to_load, region, deadline)
            for instance_id in to_load:
                if instance_id in loaded:
                    instance = loaded[instance_id]
                    if instance is None:
                        missing.append(instance_id)
                    else:
                        found[instance_id] = instance
            first_error: ServiceError | None = None
            for instance_id, error in errors.items():
                fallback = self.cache.stale_value(instance_id) if isinstance(error, STALE_ON) else None
                if fallback is not None and region in (None, fallback.region_id):
                    self.telemetry.cache_lookup("stale")
                    found[instance_id] = fallback
                    stale = True
                elif first_error is None:
                    first_error = error
            if first_error is not None:
                raise first_error
        header: CacheHeader = "STALE" if stale else ("MISS" if to_load else "HIT")
        return BatchLookup(
            instances=[found[instance_id] for instance_id in ids if instance_id in found],
            not_found=[instance_id for instance_id in ids if instance_id in missing],
            cache=header,
        )

    def list_instances(
        self,
        region: str | None = None,
        filters: ListFilters | None = None,
        page_number: int = 1,
        page_size: int = 20,
    ) -> InstancePage:
        region_id = region or self.settings.default_region
        self._check_region(region_id)
        filters = filters or ListFilters()
        if filters.status is not None and filters.status not in INSTANCE_STATUSES:
            raise InvalidRequest("InvalidParameter", f"status must be one of {', '.join(INSTANCE_STATUSES)}.")
        if not 1 <= page_size <= 100 or page_number < 1:
            raise InvalidRequest("InvalidParameter", "pageSize must be 1..100 and pageNumber at least 1.")
        request = ecs_models.DescribeInstancesRequest(
            region_id=region_id,
            page_number=page_number,
            page_size=page_size,
            status=filters.status,
            instance_name=filters.name,
            zone_id=filters.zone_id,
            vpc_id=filters.vpc_id,
            instance_type=filters.instance_type,
            tag=[ecs_models.DescribeInstancesRequestTag(key=k, value=v) for k, v in filters.tags] or None,
        )
        deadline = self._clock() + self.settings.request_deadline
        body = self._call(
            "DescribeInstances",
            region_id,
            deadline,
            lambda c, rt: c.describe_instances_with_options(request, rt),
        )
        instances = instances_from_response(body)
        total = body.get("TotalCount")
        total_count = total if isinstance(total, int) else len(instances)
        if total_count == 0:
            self._raise_if_denied(region_id, deadline)
        for instance in instances:
            self._remember(instance)
        return InstancePage(instances, total_count, page_number, page_size, region_id)

    # -- permission and readiness ---------------------------------------------------------------------

    def check_permission(self, region: str | None = None, *, force: bool = False) -> PermissionStatus:
        """DryRun DescribeInstances: is this node's identity allowed to look instances up?"""
        region_id = region or self.settings.default_region
        cached = self._permissions.get(region_id)
        now = self._clock()
        if (
            not force
            and cached is not None
            and cached.allowed is not None
            and now - cached.checked_at < self.settings.permission_check_ttl
        ):
            return cached
        request = ecs_models.DescribeInstancesRequest(region_id=region_id, dry_run=True, page_size=1)
        deadline = now + self.settings.request_deadline
        try:
            self._call(
                "DescribeInstances",
                region_id,
                deadline,
                lambda c, rt: c.describe_instances_with_options(request, rt),
                probe=True,
            )
            status = PermissionStatus(region_id, True, "Allowed", "DryRun passed.", now)
        except _DryRunAnswer as answer:
            status = answer.status
        except ServiceError as error:
            status = PermissionStatus(region_id, None, error.code, error.message, now)
        self._permissions[region_id] = status
        return status

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Can this worker answer lookups? Credentials obtainable and the DryRun probe allowed."""
        checks: dict[str, Any] = {}
        ready = True
        try:
            self.credentials.ensure()
            checks["credentials"] = {"ok": True, **self.credentials.status()}
        except ServiceError as error:
            ready = False
            checks["credentials"] = {"ok": False, "code": error.code, "message": error.message}
        if ready:
            permission = self.check_permission()
            ok = permission.allowed is True
            ready = ready and ok
            checks["permission"] = {
                "ok": ok,
                "regionId": permission.region_id,
                "code": "UpstreamPermissionDenied" if permission.allowed is False else permission.code,
                "message": permission.message,
            }
        at = self.last_upstream["at"]
        checks["upstream"] = {
            "lastOutcome": self.last_upstream["outcome"],
            "secondsAgo": None if at is None else round(self._clock() - at, 3),
        }
        return ready, checks

    # -- internals ------------------------------------------------------------------------------------

    def _scope(self, region: str | None) -> str:
        return region if region else ", ".join(self.regions)

    def _check_region(self, region: str | None) -> None:
        if region is not None and region not in self.regions:
            raise InvalidRequest(
                "InvalidRegion",
                f"Region {region!r} is not served here; configured: {', '.join(self.regions)}.",
            )

    @staticmethod
    def _normalize_ids(instance_ids: Sequence[str]) -> list[str]:
        ids: list[str] = []
        for raw in instance_ids:
            instance_id = normalize_instance_id(raw)
            if instance_id is None:
                raise InvalidRequest("InvalidInstanceId", f"{raw.strip()[:64]!r} is not a valid instance ID.")
            if instance_id not in ids:
                ids.append(instance_id)
        if len(ids) > MAX_IDS_PER_CALL:
            raise InvalidRequest(
                "TooManyInstanceIds", f"At most {MAX_IDS_PER_CALL} instance IDs per request."
            )
        return ids

    @staticmethod
    def _negative_key(instance_id: str, region: str | None) -> str:
        return f"{instance_id}@{region or '*'}"

    def _remember(self, instance: Instance) -> None:
        self.cache.put(instance.instance_id, instance)
        with self._locations_lock:
            self._locations[instance.instance_id] = instance.region_id

    def _location(self, instance_id: str) -> str | None:
        with self._locations_lock:
            return self._locations.get(instance_id)

    def _load_shared(
        self, ids: list[str], region: str | None, deadline: float
    ) -> tuple[dict[str, Instance | None], dict[str, ServiceError]]:
        """Load ``ids`` once across concurrent callers; None in the result means "does not exist"."""
        keys = {self._negative_key(instance_id, region): instance_id for instance_id in ids}
        mine, theirs = self._flight.claim(keys)
        loaded: dict[str, Instance | None] = {}
        errors: dict[str, ServiceError] = {}
        if mine:
            my_ids = [keys[key] for key in mine]
            try:
                result = self._load(my_ids, region, deadline)
            except BaseException as exc:
                error = exc if isinstance(exc, ServiceError) else translate(exc)
                for key in mine:
                    self._flight.fail(key, error)
                    errors[keys[key]] = error
                if not isinstance(exc, Exception):
                    raise  # KeyboardInterrupt, SystemExit (uWSGI reload): waiters are released above
            else:
                for key in mine:
                    instance_id = keys[key]
                    instance = result.get(instance_id)
                    if instance is None:
                        self.cache.put_missing(key)
                    else:
                        self._remember(instance)
                    loaded[instance_id] = instance
                    self._flight.resolve(key, instance)
        for key, future in theirs.items():
            instance_id = keys[key]
            try:
                loaded[instance_id] = future.result(timeout=max(0.05, deadline - self._clock()))
            except FutureTimeout:
                errors[instance_id] = UpstreamTimeout("The lookup did not finish in time.")
            except ServiceError as error:
                errors[instance_id] = error
        return loaded, errors

    def _load(self, ids: list[str], region: str | None, deadline: float) -> dict[str, Instance]:
        """Find ``ids`` with as few DescribeInstances as possible; absent IDs are confirmed via DryRun.

        With a region: one call there. Without: each ID goes first to its remembered region, else to its
        hinted region, else (no clue) to every configured region, one call per region for the whole
        batch; IDs not found where they were expected are then searched in the remaining regions
        concurrently. A hinted miss costs one call; a wrong hint costs one extra round trip.
        """
        if region is not None:
            first: dict[str, list[str]] = {region: list(ids)}
        else:
            first = self._first_plan(ids)
        found = self._search(first, ids, deadline)
        searched = {
            instance_id: {r for r, group in first.items() if instance_id in group} for instance_id in ids
        }
        if region is None:
            second: dict[str, list[str]] = {}
            for instance_id in ids:
                if instance_id in found:
                    continue
                for region_id in self.regions:
                    if region_id not in searched[instance_id]:
                        second.setdefault(region_id, []).append(instance_id)
                        searched[instance_id].add(region_id)
            if second:
                log.debug(
                    "region hint missed",
                    extra={"fields": {"ids": sorted({i for g in second.values() for i in g})}},
                )
                # Keep the first round's answers even if the second round fails: the batch then errors,
                # but these IDs are served from the cache (stale-if-error) instead of failing with it.
                for instance in found.values():
                    self._remember(instance)
                found.update(self._search(second, ids, deadline))
        absent = [instance_id for instance_id in ids if instance_id not in found]
        for region_id in self.regions:
            if any(region_id in searched[instance_id] for instance_id in absent):
                self._raise_if_denied(region_id, deadline)
        return found

    def _first_plan(self, ids: list[str]) -> dict[str, list[str]]:
        """Region -> IDs for the first round: remembered region, else hinted region, else all regions."""
        plan: dict[str, list[str]] = {region_id: [] for region_id in self.regions}
        for instance_id in ids:
            target = self._location(instance_id)
            if target not in self.regions:
                target = self._hints.region_for(instance_id)
            for region_id in (target,) if target is not None else self.regions:
                plan[region_id].append(instance_id)
        return {region_id: group for region_id, group in plan.items() if group}

    def _search(self, plan: dict[str, list[str]], ids: list[str], deadline: float) -> dict[str, Instance]:
        """One DescribeInstances per region of ``plan`` (concurrently when several); the wanted hits."""
        results = self._fan_out(list(plan.items()), deadline)
        wanted = set(ids)
        return {
            instance.instance_id: instance
            for instances in results.values()
            for instance in instances
            if instance.instance_id in wanted
        }

    def _fan_out(self, calls: list[tuple[str, list[str]]], deadline: float) -> dict[str, list[Instance]]:
        if len(calls) <= 1:
            return {
                region_id: self._describe(region_id, region_ids, deadline) for region_id, region_ids in calls
            }
        executor = self._pool()
        futures: dict[str, Future[list[Instance]]] = {
            region_id: executor.submit(self._describe, region_id, region_ids, deadline)
            for region_id, region_ids in calls
        }
        results: dict[str, list[Instance]] = {}
        first_error: ServiceError | None = None
        for region_id, future in futures.items():
            try:
                results[region_id] = future.result(timeout=max(0.05, deadline - self._clock() + 1.0))
            except FutureTimeout:
                first_error = first_error or UpstreamTimeout("Alibaba Cloud did not answer in time.")
            except ServiceError as error:
                first_error = first_error or error
        # An instance found in one region is an answer even if another region failed.
        if first_error is not None and not any(results.values()):
            raise first_error
        if first_error is not None:
            wanted = {i for _, region_ids in calls for i in region_ids}
            got = {instance.instance_id for instances in results.values() for instance in instances}
            if wanted - got:
                raise first_error
        return results

    def _pool(self) -> ThreadPoolExecutor:
        # Created on first multi-region search, i.e. inside a worker after uWSGI has forked.
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=max(2, min(16, len(self.regions) * 2)), thread_name_prefix="ecs-region"
                )
            return self._executor

    def _describe(self, region_id: str, ids: list[str], deadline: float) -> list[Instance]:
        request = ecs_models.DescribeInstancesRequest(
            region_id=region_id, instance_ids=json.dumps(ids), page_size=MAX_IDS_PER_CALL
        )
        body = self._call(
            "DescribeInstances",
            region_id,
            deadline,
            lambda c, rt: c.describe_instances_with_options(request, rt),
        )
        return instances_from_response(body)

    def _raise_if_denied(self, region_id: str, deadline: float) -> None:
        status = self.check_permission(region_id)
        if status.allowed is False:
            raise UpstreamPermissionDenied(
                f"This node's RAM role may not call ecs:DescribeInstances in {region_id} ({status.code}); "
                "the instance may exist. Grant the role ecs:DescribeInstances."
            )
        if status.allowed is None:
            raise UpstreamUnavailable(
                f"Could not confirm the lookup permission ({status.code}): {status.message}"
            )

    def _call(
        self,
        action: str,
        region_id: str,
        deadline: float,
        invoke: Callable[[EcsClient, RuntimeOptions], Any],
        *,
        probe: bool = False,
    ) -> dict[str, Any]:
        """Run one SDK call with retries inside ``deadline``; returns the response body as API-named JSON."""
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise UpstreamTimeout("Alibaba Cloud did not answer within the request deadline.")
            self.credentials.ensure()
            client = self.clients.for_region(region_id)
            runtime = RuntimeOptions(
                read_timeout=max(50, int(min(self.settings.read_timeout, remaining) * 1000)),
                connect_timeout=max(50, int(min(self.settings.connect_timeout, remaining) * 1000)),
            )
            started = self._clock()
            try:
                response = invoke(client, runtime)
            except Exception as exc:
                if probe and isinstance(exc, AlibabaCloudException):
                    answer = self._dry_run_answer(region_id, exc)
                    if answer is not None:
                        self._record(action, "ok", started)
                        raise answer from None
                error = translate(exc)
                self._record(action, error.code, started)
                log.warning(
                    "upstream call failed",
                    extra={"fields": {"action": action, "region": region_id, "attempt": attempt,
                                      "code": error.code, "upstreamCode": error.upstream_code}},
                )  # fmt: skip
                if not is_retryable(error) or attempt >= self.settings.max_attempts:
                    raise error from None
                delay = self._backoff(attempt, error)
                if self._clock() + delay >= deadline:
                    raise error from None
                self._sleep(delay)
                continue
            self._record(action, "ok", started)
            body = response.body.to_map() if response.body is not None else {}
            return body if isinstance(body, dict) else {}

    def _dry_run_answer(self, region_id: str, exc: AlibabaCloudException) -> _DryRunAnswer | None:
        code = str(getattr(exc, "code", "") or "")
        now = self._clock()
        if code == "DryRunOperation":
            return _DryRunAnswer(PermissionStatus(region_id, True, code, "DryRun passed.", now))
        error = translate(exc)
        if isinstance(error, UpstreamPermissionDenied):
            return _DryRunAnswer(
                PermissionStatus(
                    region_id, False, code, "This node's RAM role may not call ecs:DescribeInstances.", now
                )
            )
        return None

    def _backoff(self, attempt: int, error: ServiceError) -> float:
        if error.retry_after is not None:
            return error.retry_after  # Alibaba said how long to wait (x-acs-retry-after)
        ceiling = min(self.settings.retry_max_delay, self.settings.retry_base_delay * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)

    def _record(self, action: str, outcome: str, started: float) -> None:
        now = self._clock()
        self.telemetry.upstream_call(action, outcome, now - started)
        self.last_upstream = {"outcome": outcome, "at": now}


class _DryRunAnswer(Exception):
    """Carries the DryRun probe's verdict out of the retry loop."""

    def __init__(self, status: PermissionStatus) -> None:
        super().__init__(status.code)
        self.status = status


__all__ = [
    "BatchLookup",
    "EcsClients",
    "InstanceDirectory",
    "InstancePage",
    "ListFilters",
    "Lookup",
    "PermissionStatus",
]
