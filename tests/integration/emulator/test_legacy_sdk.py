"""The legacy SDK (aliyun-python-sdk-core 2.16 + aliyun-python-sdk-ecs) against the emulator."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import EcsRamRoleCredential, StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.utils import parameter_helper
from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest
from aliyunsdkecs.request.v20140526.DescribeInstanceStatusRequest import DescribeInstanceStatusRequest

from tests.fixtures.emulator import RunningEmulator
from tests.integration.emulator.sdk import KNOWN_ID, metadata_credentials


def _client(emulator: RunningEmulator, key: str | None = None, secret: str | None = None) -> AcsClient:
    return AcsClient(key or emulator.access_key_id, secret or emulator.access_key_secret, "cn-hangzhou")


def _describe(emulator: RunningEmulator, client: AcsClient, *ids: str, **params: Any) -> dict[str, Any]:
    request = DescribeInstancesRequest()
    request.set_endpoint(emulator.endpoint)
    if ids:
        request.set_InstanceIds(json.dumps(list(ids)))
    for name, value in params.items():
        getattr(request, f"set_{name}")(value)
    result: dict[str, Any] = json.loads(client.do_action_with_exception(request))
    return result


def _server_error(call: Any) -> ServerException:
    with pytest.raises(ServerException) as excinfo:
        call()
    return excinfo.value


def test_reads_a_default_world_instance(emulator: RunningEmulator) -> None:
    body = _describe(emulator, _client(emulator), KNOWN_ID)
    assert body["TotalCount"] == 1
    assert body["Instances"]["Instance"][0]["InstanceId"] == KNOWN_ID
    sent = emulator.control.requests_log()["recent"][-1]
    assert sent["query"]["SignatureType"] == ""  # signed blank value kept by the emulator's parser
    assert sent["query"]["Format"] == "JSON"


def test_lists_a_region_with_paging(emulator: RunningEmulator) -> None:
    client = AcsClient(emulator.access_key_id, emulator.access_key_secret, "cn-beijing")
    first = _describe(emulator, client, PageSize=5, PageNumber=1)
    third = _describe(emulator, client, PageSize=5, PageNumber=3)
    assert first["TotalCount"] == third["TotalCount"] == 12
    assert len(first["Instances"]["Instance"]) == 5 and len(third["Instances"]["Instance"]) == 2


def test_wrong_secret_is_reported_as_invalid_secret(emulator: RunningEmulator) -> None:
    # The SDK compares the echoed string-to-sign with its own and, when equal, blames the secret.
    exc = _server_error(lambda: _describe(emulator, _client(emulator, secret="wrong"), KNOWN_ID))
    assert exc.get_error_code() == "InvalidAccessKeySecret"
    assert exc.get_http_status() == 400


def test_unknown_key(emulator: RunningEmulator) -> None:
    exc = _server_error(
        lambda: _describe(emulator, _client(emulator, key="LTAI5tNoSuchKey000000001"), KNOWN_ID)
    )
    assert (exc.get_error_code(), exc.get_http_status()) == ("InvalidAccessKeyId.NotFound", 404)


def test_sts_token_accepted_then_expired(emulator: RunningEmulator) -> None:
    emulator.control.set_sts_lifetime(1)
    creds = metadata_credentials(emulator)
    credential = StsTokenCredential(creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"])
    client = AcsClient(region_id="cn-hangzhou", credential=credential)
    assert _describe(emulator, client, KNOWN_ID)["TotalCount"] == 1
    time.sleep(1.1)
    exc = _server_error(lambda: _describe(emulator, client, KNOWN_ID))
    assert (exc.get_error_code(), exc.get_http_status()) == ("InvalidSecurityToken.Expired", 400)


def test_token_mismatch(emulator: RunningEmulator) -> None:
    a, b = metadata_credentials(emulator, 0), metadata_credentials(emulator, 1)
    credential = StsTokenCredential(a["AccessKeyId"], a["AccessKeySecret"], b["SecurityToken"])
    client = AcsClient(region_id="cn-hangzhou", credential=credential)
    exc = _server_error(lambda: _describe(emulator, client, KNOWN_ID))
    assert exc.get_error_code() == "InvalidSecurityToken.MismatchWithAccessKey"


def test_replayed_nonce(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: "fixed-nonce-0001")
    client = _client(emulator)
    assert _describe(emulator, client, KNOWN_ID)["TotalCount"] == 1
    exc = _server_error(lambda: _describe(emulator, client, KNOWN_ID))
    assert (exc.get_error_code(), exc.get_http_status()) == ("SignatureNonceUsed", 400)


def test_stale_timestamp(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 20 * 60))
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: stale)
    exc = _server_error(lambda: _describe(emulator, _client(emulator), KNOWN_ID))
    assert (exc.get_error_code(), exc.get_http_status()) == ("InvalidTimeStamp.Expired", 400)


def test_denied_policy(emulator: RunningEmulator) -> None:
    client = _client(emulator, "LTAI5tEmulatorNoAccess001", "EmulatorNoAccessSecretNotReal001")
    assert _describe(emulator, client, KNOWN_ID)["TotalCount"] == 0
    request = DescribeInstanceStatusRequest()
    request.set_endpoint(emulator.endpoint)
    exc = _server_error(lambda: client.do_action_with_exception(request))
    assert (exc.get_error_code(), exc.get_http_status()) == ("Forbidden.RAM", 403)


def test_throttling_user_is_not_retried(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(action="DescribeInstances", code="Throttling.User", retry_after_ms=500)
    exc = _server_error(lambda: _describe(emulator, _client(emulator), KNOWN_ID))
    assert (exc.get_error_code(), exc.get_http_status()) == ("Throttling.User", 400)
    assert emulator.control.requests_log()["by_action"]["DescribeInstances"] == 1


def test_service_unavailable_is_retried_three_times(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(action="DescribeInstances", code="ServiceUnavailable")
    exc = _server_error(lambda: _describe(emulator, _client(emulator), KNOWN_ID))
    assert (exc.get_error_code(), exc.get_http_status()) == ("ServiceUnavailable", 503)
    assert emulator.control.requests_log()["by_action"]["DescribeInstances"] == 4


@pytest.mark.slow
def test_throttling_is_retried_then_succeeds(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(action="DescribeInstances", code="Throttling", count=2)
    assert _describe(emulator, _client(emulator), KNOWN_ID)["TotalCount"] == 1
    assert emulator.control.requests_log()["by_action"]["DescribeInstances"] == 3


def test_non_json_5xx_is_unknown_server_error(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(action="DescribeInstances", non_json=True, status=500)
    exc = _server_error(lambda: _describe(emulator, _client(emulator), KNOWN_ID))
    assert exc.get_error_code() == "SDK.UnknownServerError"


def test_ecs_ram_role_credential_through_http_proxy(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The legacy signer calls urlopen('http://100.100.100.200/...'); with http_proxy set it reaches the
    # emulator as an absolute-form request, which the emulator answers itself (never forwarding it).
    monkeypatch.setenv("http_proxy", emulator.url)
    monkeypatch.setenv("no_proxy", "")
    client = AcsClient(region_id="cn-hangzhou", credential=EcsRamRoleCredential("EcsRamRoleTest"))
    assert _describe(emulator, client, KNOWN_ID)["TotalCount"] == 1
    log = emulator.control.requests_log()
    assert log["metadata"]["credentials"] == 1
    assert log["by_principal"] == {"EcsRamRoleTest": 1}
    recent = [r for r in log["recent"] if r["service"] == "openapi"][-1]
    assert recent["query"]["SecurityToken"] == "<redacted>"
