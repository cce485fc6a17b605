"""The switches for UNVERIFIED behaviour (world `settings:`), each flipped in a custom world."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from alibabacloud_tea_openapi.exceptions import ClientException

from ecs_assistant.emulator.server import EmulatorServer
from ecs_assistant.emulator.signed_client import SignedClient, v1_params
from ecs_assistant.emulator.world import default_world_path
from tests.integration.emulator.sdk import KNOWN_ID, describe, new_client

NO_ACCESS = ("LTAI5tEmulatorNoAccess001", "EmulatorNoAccessSecretNotReal001")


@pytest.fixture(scope="module")
def flipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    data: dict[str, Any] = yaml.safe_load(default_world_path().read_text(encoding="utf-8"))
    data["settings"].update(
        empty_list_without_permission=False,
        access_denied_detail=True,
        accept_single_quoted_instance_ids=False,
        max_results_out_of_range="clamp",
        metadata_http_tokens="required",
        metadata_token_error_status=403,
    )
    path = tmp_path_factory.mktemp("world") / "flipped.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with EmulatorServer(path, metadata_nodes=1) as server:
        yield server


def test_denial_is_an_error_with_access_denied_detail(flipped: EmulatorServer) -> None:
    client = new_client(flipped, key=NO_ACCESS[0], secret=NO_ACCESS[1])
    with pytest.raises(ClientException) as excinfo:
        describe(client, KNOWN_ID)
    assert (excinfo.value.code, excinfo.value.status_code) == ("Forbidden.RAM", 403)
    detail = excinfo.value.access_denied_detail
    assert detail["AuthAction"] == "ecs:DescribeInstances"
    assert detail["NoPermissionType"] == "ImplicitDeny"


def test_single_quotes_refused_and_max_results_clamped(flipped: EmulatorServer) -> None:
    api = SignedClient("127.0.0.1", flipped.port, flipped.access_key_id, flipped.access_key_secret)
    status, _, body = api.call(
        "DescribeInstances", {"RegionId": "cn-hangzhou", "InstanceIds": f"['{KNOWN_ID}']"}
    )
    assert (status, body["Code"]) == (400, "InvalidParameter")
    status, _, body = api.call("DescribeInstances", {"RegionId": "cn-hangzhou", "MaxResults": "3"})
    assert status == 200 and len(body["Instances"]["Instance"]) == 10 and body["NextToken"]
    api.close()


def test_hardened_metadata_with_configured_status(flipped: EmulatorServer) -> None:
    base = flipped.metadata_url
    assert requests.get(f"{base}/latest/meta-data/instance-id", timeout=5).status_code == 403
    token = requests.put(
        f"{base}/latest/api/token", headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "30"}, timeout=5
    ).text
    response = requests.get(
        f"{base}/latest/meta-data/instance-id", headers={"X-aliyun-ecs-metadata-token": token}, timeout=5
    )
    assert response.status_code == 200 and response.text.startswith("i-")


def test_form_body_and_get_requests_with_v1_signatures(flipped: EmulatorServer) -> None:
    query = {"RegionId": "cn-hangzhou", "InstanceIds": json.dumps([KNOWN_ID])}
    form = v1_params("POST", "DescribeInstances", query, flipped.access_key_id, flipped.access_key_secret)
    response = requests.post(flipped.url + "/", data=form, timeout=5)
    assert response.status_code == 200 and response.json()["TotalCount"] == 1
    signed = v1_params("GET", "DescribeInstances", query, flipped.access_key_id, flipped.access_key_secret)
    response = requests.get(flipped.url + "/", params=signed, timeout=5)
    assert response.status_code == 200 and response.json()["TotalCount"] == 1
    # A GET-signed request replayed as POST no longer matches.
    signed = v1_params("GET", "DescribeInstances", query, flipped.access_key_id, flipped.access_key_secret)
    assert (
        requests.post(flipped.url + "/", params=signed, timeout=5).json()["Code"] == "SignatureDoesNotMatch"
    )


def test_signature_checks_can_be_switched_off(tmp_path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load(default_world_path().read_text(encoding="utf-8"))
    data["settings"]["check_signatures"] = False
    path = tmp_path / "lenient.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with EmulatorServer(path, metadata_port=None) as server:
        params = {"Action": "DescribeInstances", "Version": "2014-05-26", "RegionId": "cn-hangzhou"}
        assert requests.get(server.url + "/", params=params, timeout=5).json()["TotalCount"] == 16
        client = new_client(server, secret="anything")
        assert describe(client, KNOWN_ID).total_count == 1
        assert server.metadata_urls == [server.url]  # metadata still served by the OpenAPI listener
        assert requests.get(server.url + "/latest/meta-data/region-id", timeout=5).text == "cn-hangzhou"


def test_minimal_world_without_nodes(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "regions: [{id: cn-beijing}]\n"
        "access_keys: [{id: LTAI5tTinyKey00000000001, secret: tiny, policies: [All]}]\n"
        'policies: {All: {Statement: [{Effect: Allow, Action: "*"}]}}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="metadata nodes"):
        EmulatorServer(path, metadata_nodes=1)
    with EmulatorServer(path, metadata_nodes=0) as server:
        assert requests.get(server.url + "/latest/meta-data/instance-id", timeout=5).status_code == 404
        api = SignedClient("127.0.0.1", server.port, "LTAI5tTinyKey00000000001", "tiny")
        status, _, body = api.call("DescribeInstances", {"RegionId": "cn-beijing"})
        assert status == 200 and body["Instances"] == {"Instance": []} and body["TotalCount"] == 0
        api.close()
