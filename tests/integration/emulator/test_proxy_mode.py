"""Proxy mode: listeners answer absolute-form requests for Alibaba hosts themselves and refuse the rest."""

from __future__ import annotations

import pytest
import requests
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi import utils_models as open_api_models

from tests.fixtures.emulator import RunningEmulator
from tests.integration.emulator.sdk import KNOWN_ID, describe


def _via(proxy: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": proxy, "https": proxy}
    return session


def test_metadata_address_is_answered_with_the_listeners_identity(emulator: RunningEmulator) -> None:
    nodes = emulator.control.health()
    assert nodes["metadata_urls"] == emulator.metadata_urls
    ids = []
    for proxy in (emulator.url, *emulator.metadata_urls):
        response = _via(proxy).get("http://100.100.100.200/latest/meta-data/instance-id", timeout=5)
        assert response.status_code == 200
        ids.append(response.text)
    assert ids[0] == ids[1]  # the OpenAPI listener speaks as node 0
    assert ids[1] != ids[2]


def test_sdk_with_real_endpoint_name_through_proxy(emulator: RunningEmulator) -> None:
    for host in ("ecs.cn-hangzhou.aliyuncs.com", "ecs-vpc.cn-beijing.aliyuncs.com"):
        config = open_api_models.Config(
            access_key_id=emulator.access_key_id,
            access_key_secret=emulator.access_key_secret,
            region_id="cn-hangzhou",
            endpoint=host,
            protocol="http",
            http_proxy=emulator.metadata_urls[1],  # any listener will do
        )
        assert describe(EcsClient(config), KNOWN_ID).total_count == 1
    hosts = [
        r["headers"]["host"] for r in emulator.control.requests_log()["recent"] if r["service"] == "openapi"
    ]
    assert hosts == ["ecs.cn-hangzhou.aliyuncs.com", "ecs-vpc.cn-beijing.aliyuncs.com"]


def test_other_hosts_are_refused_with_502_and_never_forwarded(emulator: RunningEmulator) -> None:
    for url in ("http://example.com/", "http://10.0.0.1:8080/x", "http://127.0.0.1:9/never"):
        response = _via(emulator.url).get(url, timeout=5)
        assert response.status_code == 502
        error = response.json()["error"]
        assert error["code"] == "ProxyRefused"
        assert "never forwards" in error["message"]
    assert emulator.control.requests_log()["total"] == 0


def test_https_tunnels_are_refused(emulator: RunningEmulator) -> None:
    with pytest.raises(requests.exceptions.ProxyError):
        _via(emulator.url).get("https://ecs.cn-hangzhou.aliyuncs.com/", timeout=5)


def test_absolute_form_for_the_emulator_itself_is_served(emulator: RunningEmulator) -> None:
    response = _via(emulator.metadata_url).get(f"{emulator.url}/__emulator/health", timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_unparsable_absolute_target_is_a_400(emulator: RunningEmulator) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as conn:
        conn.sendall(b"GET http://127.0.0.1:notaport/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        reply = conn.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 400") and "InvalidTarget" in reply


def test_unchanged_program_runs_with_http_proxy_env(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What an existing program does on a real ECS node: default credential chain (-> RAM role via
    # 100.100.100.200) and the real regional endpoint. Only the environment points it at the emulator.
    from alibabacloud_credentials.client import Client as CredentialsClient

    from tests.integration.emulator.sdk import enable_imds_provider

    enable_imds_provider(monkeypatch)
    for name in (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_CREDENTIALS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")  # no ~/.alibabacloud profile
    monkeypatch.setenv("HTTP_PROXY", emulator.metadata_urls[1])
    monkeypatch.setenv("http_proxy", emulator.metadata_urls[1])
    config = open_api_models.Config(
        credential=CredentialsClient(), region_id="cn-hangzhou", endpoint="ecs.cn-hangzhou.aliyuncs.com"
    )
    config.protocol = "http"
    assert describe(EcsClient(config), KNOWN_ID).total_count == 1
    log = emulator.control.requests_log()
    assert log["by_principal"] == {"EcsRamRoleTest": 1}
    metadata_nodes = {r["node"] for r in log["recent"] if r["service"] == "metadata"}
    assert metadata_nodes == {1}  # the credentials came from the node whose listener was the proxy
