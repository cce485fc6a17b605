"""The current SDK (alibabacloud-ecs20140526 + tea-openapi 0.4.6) against the emulator, over loopback."""

from __future__ import annotations

import time

import pytest
from alibabacloud_credentials.client import Client as CredentialsClient
from alibabacloud_credentials.models import Config as CredentialsConfig
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from alibabacloud_tea_openapi.utils import Utils
from darabonba.exceptions import UnretryableException

from tests.fixtures.emulator import RunningEmulator
from tests.integration.emulator.sdk import (
    KNOWN_ID,
    describe,
    enable_imds_provider,
    metadata_credentials,
    new_client,
)


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v1-hmac-sha1"])
def test_static_key_reads_a_default_world_instance(emulator: RunningEmulator, v2: bool) -> None:
    body = describe(new_client(emulator, v2=v2), KNOWN_ID)
    assert body.total_count == 1
    instance = body.instances.instance[0]
    assert instance.instance_id == KNOWN_ID
    assert instance.memory == 8192 and instance.cpu == 2
    assert instance.public_ip_address.ip_address and instance.status == "Running"
    log = emulator.control.requests_log()
    assert log["by_action"] == {"DescribeInstances": 1}
    assert log["by_principal"] == {"emulator-admin": 1}


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v1-hmac-sha1"])
def test_sts_token_from_metadata_is_accepted(emulator: RunningEmulator, v2: bool) -> None:
    creds = metadata_credentials(emulator)
    client = new_client(
        emulator,
        key=creds["AccessKeyId"],
        secret=creds["AccessKeySecret"],
        token=creds["SecurityToken"],
        v2=v2,
    )
    assert describe(client, KNOWN_ID).total_count == 1
    status = client.describe_instance_status(
        ecs_models.DescribeInstanceStatusRequest(region_id="cn-hangzhou", instance_id=[KNOWN_ID])
    ).body
    assert status.instance_statuses.instance_status[0].status == "Running"
    assert emulator.control.requests_log()["by_principal"] == {"EcsRamRoleTest": 2}


def test_credentials_library_over_imdsv2_through_proxy_option(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    enable_imds_provider(monkeypatch)
    credential = CredentialsClient(
        CredentialsConfig(type="ecs_ram_role", disable_imds_v1=True, proxy=emulator.metadata_urls[1])
    )
    client = new_client(emulator, credential=credential)
    assert describe(client, KNOWN_ID).instances.instance[0].instance_id == KNOWN_ID
    log = emulator.control.requests_log()
    assert log["metadata"]["tokens"] >= 1 and log["metadata"]["credentials"] == 1
    assert log["by_principal"] == {"EcsRamRoleTest": 1}
    sent = [r for r in log["recent"] if r["service"] == "openapi"][-1]["headers"]
    assert sent["x-acs-security-token"] == "<redacted>"
    assert sent["x-acs-credentials-provider"] == "ecs_ram_role"


def _error(call: object) -> ClientException:
    assert callable(call)
    with pytest.raises(ClientException) as excinfo:
        call()
    return excinfo.value


def test_wrong_secret_is_signature_does_not_match(emulator: RunningEmulator) -> None:
    client = new_client(emulator, secret="not-the-secret")
    exc = _error(lambda: describe(client, KNOWN_ID))
    assert exc.code == "SignatureDoesNotMatch" and exc.status_code == 400
    assert "server string to sign is:ACS3-HMAC-SHA256\n" in exc.data["Message"]


def test_unknown_key_is_not_found(emulator: RunningEmulator) -> None:
    exc = _error(lambda: describe(new_client(emulator, key="LTAI5tNoSuchKey000000001"), KNOWN_ID))
    assert (exc.code, exc.status_code) == ("InvalidAccessKeyId.NotFound", 404)
    assert exc.data["Message"] == "Specified access key is not found."


def test_disabled_key_is_inactive(emulator: RunningEmulator) -> None:
    client = new_client(emulator, key="LTAI5tEmulatorDisabled001", secret="EmulatorDisabledSecretNotReal001")
    assert _error(lambda: describe(client, KNOWN_ID)).code == "InvalidAccessKeyId.Inactive"


def test_expired_sts_token_is_rejected(emulator: RunningEmulator) -> None:
    emulator.control.set_sts_lifetime(1)
    creds = metadata_credentials(emulator)
    client = new_client(
        emulator, key=creds["AccessKeyId"], secret=creds["AccessKeySecret"], token=creds["SecurityToken"]
    )
    time.sleep(1.1)
    exc = _error(lambda: describe(client, KNOWN_ID))
    assert (exc.code, exc.status_code) == ("InvalidSecurityToken.Expired", 400)


def test_token_of_another_key_is_a_mismatch(emulator: RunningEmulator) -> None:
    first = metadata_credentials(emulator, node=0)
    second = metadata_credentials(emulator, node=1)
    client = new_client(
        emulator, key=first["AccessKeyId"], secret=first["AccessKeySecret"], token=second["SecurityToken"]
    )
    assert _error(lambda: describe(client, KNOWN_ID)).code == "InvalidSecurityToken.MismatchWithAccessKey"
    static_with_token = new_client(emulator, token=first["SecurityToken"])
    assert (
        _error(lambda: describe(static_with_token, KNOWN_ID)).code
        == "InvalidSecurityToken.MismatchWithAccessKey"
    )


def test_replayed_nonce_is_refused(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: "0123456789abcdef0123456789abcdef"))
    client = new_client(emulator)
    assert describe(client, KNOWN_ID).total_count == 1
    exc = _error(lambda: describe(client, KNOWN_ID))
    assert (exc.code, exc.status_code) == ("SignatureNonceUsed", 400)


def test_stale_timestamp_is_expired(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 16 * 60))
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: stale))
    for v2 in (False, True):
        exc = _error(lambda v2=v2: describe(new_client(emulator, v2=v2), KNOWN_ID))
        assert (exc.code, exc.status_code) == ("InvalidTimeStamp.Expired", 400)


def test_denied_policy(emulator: RunningEmulator) -> None:
    no_access = new_client(
        emulator, key="LTAI5tEmulatorNoAccess001", secret="EmulatorNoAccessSecretNotReal001"
    )
    # The documented quirk: no permission on DescribeInstances looks like "nothing matched" ...
    body = describe(no_access, KNOWN_ID)
    assert body.total_count == 0 and body.instances.instance == []
    # ... DryRun tells the two apart, and DescribeInstanceStatus is denied outright.
    exc = _error(lambda: describe(no_access, KNOWN_ID, dry_run=True))
    assert (exc.code, exc.status_code) == ("Forbidden.RAM", 403)
    request = ecs_models.DescribeInstanceStatusRequest(region_id="cn-hangzhou")
    assert _error(lambda: no_access.describe_instance_status(request)).code == "Forbidden.RAM"
    explicit = new_client(
        emulator, key="LTAI5tEmulatorDenyStatus1", secret="EmulatorDenyStatusSecretNotReal1"
    )
    assert _error(lambda: explicit.describe_instance_status(request)).code == "Forbidden.RAM"
    assert describe(explicit, KNOWN_ID).total_count == 1


def test_dry_run_with_permission_is_dry_run_operation(emulator: RunningEmulator) -> None:
    exc = _error(lambda: describe(new_client(emulator), KNOWN_ID, dry_run=True))
    assert (exc.code, exc.status_code) == ("DryRunOperation", 400)


def test_role_without_access_via_metadata(emulator: RunningEmulator) -> None:
    emulator.control.set_node_role(1, "EcsRamRoleNoAccess")
    creds = metadata_credentials(emulator, node=1)
    client = new_client(
        emulator, key=creds["AccessKeyId"], secret=creds["AccessKeySecret"], token=creds["SecurityToken"]
    )
    assert describe(client, KNOWN_ID).total_count == 0
    assert _error(lambda: describe(client, KNOWN_ID, dry_run=True)).code == "Forbidden.RAM"


def test_throttling_with_retry_after_is_a_throttling_exception(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(
        action="DescribeInstances", code="Throttling.User", retry_after_ms=1500, count=1
    )
    with pytest.raises(ThrottlingException) as excinfo:
        describe(new_client(emulator), KNOWN_ID)
    assert excinfo.value.code == "Throttling.User"
    assert excinfo.value.retry_after == 1500
    assert excinfo.value.status_code == 400
    assert describe(new_client(emulator), KNOWN_ID).total_count == 1  # count=1: only the next request


def test_service_unavailable_is_a_server_exception(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(action="*", code="ServiceUnavailable")
    with pytest.raises(ServerException) as excinfo:
        describe(new_client(emulator), KNOWN_ID)
    assert (excinfo.value.code, excinfo.value.status_code) == ("ServiceUnavailable", 503)
    assert emulator.control.requests_log()["by_action"]["DescribeInstances"] == 1  # no automatic retry


def test_non_json_5xx_and_dropped_connection_and_latency(emulator: RunningEmulator) -> None:
    client = new_client(emulator, read_timeout=500)
    emulator.control.add_fault(action="DescribeInstances", non_json=True, status=502, count=1)
    with pytest.raises(UnretryableException):
        describe(client, KNOWN_ID)
    emulator.control.add_fault(action="DescribeInstances", drop_connection=True, count=1)
    with pytest.raises(UnretryableException):
        describe(client, KNOWN_ID)
    emulator.control.add_fault(action="DescribeInstances", latency_ms=1200, count=1)
    with pytest.raises(UnretryableException) as excinfo:
        describe(client, KNOWN_ID)
    assert "timed out" in str(excinfo.value.message).lower() or "timeout" in str(excinfo.value).lower()
    assert describe(client, KNOWN_ID).total_count == 1
