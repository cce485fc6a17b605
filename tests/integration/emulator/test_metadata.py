"""The metadata service over plain HTTP: IMDSv1/v2, hardened mode, items, role, credentials, rotation."""

from __future__ import annotations

import calendar
import json
import time

import pytest
import requests

from tests.fixtures.emulator import RunningEmulator
from tests.integration.emulator.sdk import KNOWN_ID, describe, new_client

TTL = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN = "X-aliyun-ecs-metadata-token"
CREDS = "/latest/meta-data/ram/security-credentials/"


@pytest.fixture
def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def _token(http: requests.Session, base: str, ttl: str = "60") -> str:
    response = http.put(f"{base}/latest/api/token", headers={TTL: ttl}, timeout=5)
    assert response.status_code == 200
    return response.text


def test_each_node_has_its_own_identity(emulator: RunningEmulator, http: requests.Session) -> None:
    nodes = http.get(f"{emulator.url}/__emulator/metadata", timeout=5).json()
    for node, base in enumerate(emulator.metadata_urls):
        assert http.get(f"{base}/latest/meta-data/instance-id", timeout=5).text == nodes[node]["instance_id"]
        assert http.get(f"{base}/latest/meta-data/region-id", timeout=5).text == "cn-hangzhou"
    assert nodes[0]["instance_id"] != nodes[1]["instance_id"]


def test_items_match_describe_instances(emulator: RunningEmulator, http: requests.Session) -> None:
    base = emulator.metadata_url
    instance_id = http.get(f"{base}/latest/meta-data/instance-id", timeout=5).text
    doc = emulator.control.instance(instance_id)
    get = lambda item: http.get(f"{base}/latest/meta-data/{item}", timeout=5)  # noqa: E731
    assert get("zone-id").text == doc["ZoneId"]
    assert get("hostname").text == doc["HostName"]
    assert get("private-ipv4").text == doc["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]
    assert get("eipv4").text == doc["PublicIpAddress"]["IpAddress"][0]
    assert get("vpc-id").text == doc["VpcAttributes"]["VpcId"]
    assert get("instance/instance-type").text == doc["InstanceType"]
    assert get("owner-account-id").text == "1234567890123456"
    assert get("no-such-item").status_code == 404
    identity = http.get(f"{base}/latest/dynamic/instance-identity/document", timeout=5).json()
    assert identity["instance-id"] == instance_id and identity["region-id"] == "cn-hangzhou"


def test_eipv4_is_404_without_public_address(emulator: RunningEmulator, http: requests.Session) -> None:
    instance_id = http.get(f"{emulator.metadata_url}/latest/meta-data/instance-id", timeout=5).text
    emulator.control.modify(instance_id, PublicIpAddress={"IpAddress": []})
    assert http.get(f"{emulator.metadata_url}/latest/meta-data/eipv4", timeout=5).status_code == 404


def test_role_listing_is_the_bare_name_and_credentials_have_exact_formats(
    emulator: RunningEmulator, http: requests.Session
) -> None:
    base = emulator.metadata_url
    token = _token(http, base)
    listing = http.get(base + CREDS, headers={TOKEN: token}, timeout=5)
    assert listing.text == "EcsRamRoleTest"  # no newline, no slash: the SDK pastes it into the next URL
    doc = http.get(base + CREDS + "EcsRamRoleTest", headers={TOKEN: token}, timeout=5).json()
    assert set(doc) == {
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
        "Expiration",
        "LastUpdated",
        "Code",
    }
    assert doc["Code"] == "Success" and doc["AccessKeyId"].startswith("STS.")
    expires = calendar.timegm(time.strptime(doc["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    updated = calendar.timegm(time.strptime(doc["LastUpdated"], "%Y-%m-%dT%H:%M:%SZ"))
    assert expires - updated == 6 * 3600
    assert abs(updated - time.time()) < 5
    assert http.get(base + CREDS + "OtherRole", headers={TOKEN: token}, timeout=5).status_code == 404


def test_detached_role_gives_404(emulator: RunningEmulator, http: requests.Session) -> None:
    emulator.control.set_node_role(0, None)
    assert http.get(emulator.metadata_url + CREDS, timeout=5).status_code == 404


def test_token_ttl_bounds_and_invalid_tokens(emulator: RunningEmulator, http: requests.Session) -> None:
    base = emulator.metadata_url
    for bad in ("0", "21601", "abc"):
        assert http.put(f"{base}/latest/api/token", headers={TTL: bad}, timeout=5).status_code == 400
    assert http.put(f"{base}/latest/api/token", timeout=5).status_code == 400
    assert http.get(f"{base}/latest/api/token", timeout=5).status_code == 405
    assert (
        http.get(f"{base}/latest/meta-data/instance-id", headers={TOKEN: "bogus"}, timeout=5).status_code
        == 401
    )
    short = _token(http, base, ttl="1")
    assert (
        http.get(f"{base}/latest/meta-data/instance-id", headers={TOKEN: short}, timeout=5).status_code == 200
    )
    time.sleep(1.05)
    assert (
        http.get(f"{base}/latest/meta-data/instance-id", headers={TOKEN: short}, timeout=5).status_code == 401
    )
    # A token belongs to the node that issued it.
    other = _token(http, emulator.metadata_urls[1])
    assert (
        http.get(f"{base}/latest/meta-data/instance-id", headers={TOKEN: other}, timeout=5).status_code == 401
    )


def test_hardened_mode_refuses_tokenless_reads(emulator: RunningEmulator, http: requests.Session) -> None:
    base = emulator.metadata_url
    assert http.get(f"{base}/latest/meta-data/instance-id", timeout=5).status_code == 200  # IMDSv1 allowed
    emulator.control.set_node_http_tokens(0, "required")
    assert http.get(f"{base}/latest/meta-data/instance-id", timeout=5).status_code == 401
    token = _token(http, base)
    assert (
        http.get(f"{base}/latest/meta-data/instance-id", headers={TOKEN: token}, timeout=5).status_code == 200
    )
    assert http.get(emulator.metadata_urls[1] + "/latest/meta-data/instance-id", timeout=5).status_code == 200


def test_metadata_outage_faults(emulator: RunningEmulator, http: requests.Session) -> None:
    base = emulator.metadata_url
    emulator.control.add_fault(action="metadata", status=500, count=1)
    assert http.get(base + CREDS, timeout=5).status_code == 500
    emulator.control.add_fault(action="metadata", drop_connection=True, count=1)
    with pytest.raises(requests.ConnectionError):
        http.get(base + CREDS, timeout=5)
    emulator.control.add_fault(action="metadata", latency_ms=1500, count=1)
    with pytest.raises(requests.ReadTimeout):
        http.get(base + CREDS, timeout=(1, 0.5))
    assert http.get(base + CREDS, timeout=5).text == "EcsRamRoleTest"
    # OpenAPI faults do not touch metadata, and "metadata" faults do not touch the OpenAPI.
    emulator.control.add_fault(action="*", code="ServiceUnavailable")
    assert http.get(base + CREDS, timeout=5).status_code == 200


@pytest.mark.slow
def test_rotation_overlap_and_expiry(emulator: RunningEmulator, http: requests.Session) -> None:
    # lifetime 4 s -> rotation lead 1 s: a new key appears at 3 s; the old one works until 4 s.
    emulator.control.set_sts_lifetime(4)
    base = emulator.metadata_url
    first = http.get(base + CREDS + "EcsRamRoleTest", timeout=5).json()
    issued = calendar.timegm(time.strptime(first["LastUpdated"], "%Y-%m-%dT%H:%M:%SZ"))
    assert http.get(base + CREDS + "EcsRamRoleTest", timeout=5).json()["AccessKeyId"] == first["AccessKeyId"]
    time.sleep(max(0.0, issued + 3.1 - time.time()))
    second = http.get(base + CREDS + "EcsRamRoleTest", timeout=5).json()
    assert second["AccessKeyId"] != first["AccessKeyId"]

    def works(doc: dict[str, str]) -> bool:
        client = new_client(
            emulator, key=doc["AccessKeyId"], secret=doc["AccessKeySecret"], token=doc["SecurityToken"]
        )
        try:
            return bool(describe(client, KNOWN_ID).total_count == 1)
        except Exception as exc:
            assert getattr(exc, "code", None) == "InvalidSecurityToken.Expired"
            return False

    assert works(first) and works(second)  # both valid during the overlap
    time.sleep(max(0.0, issued + 4.1 - time.time()))
    assert not works(first)
    assert works(second)
    log = emulator.control.requests_log()
    assert log["metadata"]["credentials"] == 3
    assert json.dumps(log).count(first["SecurityToken"]) == 0  # tokens never enter the log
