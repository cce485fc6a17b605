"""Helpers that build the real SDK clients against the in-process emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi import utils_models as open_api_models

from tests.fixtures.emulator import RunningEmulator

KNOWN_ID = "i-bp1a2b3c4d5e6f7g8h9i"  # a Running cn-hangzhou VPC instance with a public IP (default world)


def new_client(
    emulator: RunningEmulator,
    *,
    key: str | None = None,
    secret: str | None = None,
    token: str | None = None,
    v2: bool = False,
    credential: Any = None,
    read_timeout: int | None = None,
) -> EcsClient:
    config = open_api_models.Config(
        region_id="cn-hangzhou",
        endpoint=emulator.endpoint,
        protocol="http",
        signature_algorithm="v2" if v2 else None,
        read_timeout=read_timeout,
    )
    if credential is not None:
        config.credential = credential
    else:
        config.access_key_id = key or emulator.access_key_id
        config.access_key_secret = secret or emulator.access_key_secret
        config.security_token = token
    return EcsClient(config)


def describe(client: EcsClient, *ids: str, region: str = "cn-hangzhou", **extra: Any) -> Any:
    request = ecs_models.DescribeInstancesRequest(region_id=region, **extra)
    if ids:
        request.instance_ids = json.dumps(list(ids))
    return client.describe_instances(request).body


def metadata_credentials(emulator: RunningEmulator, node: int = 0) -> dict[str, Any]:
    base = emulator.metadata_urls[node]
    session = requests.Session()
    session.trust_env = False
    token = session.put(
        f"{base}/latest/api/token", headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "60"}, timeout=5
    ).text
    headers = {"X-aliyun-ecs-metadata-token": token}
    role = session.get(f"{base}/latest/meta-data/ram/security-credentials/", headers=headers, timeout=5).text
    doc: dict[str, Any] = session.get(
        f"{base}/latest/meta-data/ram/security-credentials/{role}", headers=headers, timeout=5
    ).json()
    return doc


def enable_imds_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite disables the SDK's metadata provider at import (so nothing reaches 100.100.100.200);
    tests that point it at the emulator through `proxy=` re-enable it for their own duration."""
    from alibabacloud_credentials.utils import auth_util

    monkeypatch.setattr(auth_util, "environment_ecs_metadata_disabled", "false")
