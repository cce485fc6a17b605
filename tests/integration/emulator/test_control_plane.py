"""The /__emulator/ control plane through ControlClient, with effects checked through the OpenAPI."""

from __future__ import annotations

import json

import pytest
import requests
from alibabacloud_ecs20140526 import models as ecs_models

from ecs_assistant.emulator.control_client import ControlError
from tests.fixtures.emulator import RunningEmulator
from tests.integration.emulator.sdk import KNOWN_ID, describe, metadata_credentials, new_client


def test_health_and_instances(emulator: RunningEmulator) -> None:
    health = emulator.control.health()
    assert health["status"] == "ok" and health["instances"] >= 40
    everything = emulator.control.instances()
    assert len(everything) == health["instances"]
    assert set(everything[0]) == {"InstanceId", "RegionId", "Status"}
    beijing = emulator.control.instances("cn-beijing")
    assert beijing and {i["RegionId"] for i in beijing} == {"cn-beijing"}
    with pytest.raises(ControlError) as excinfo:
        emulator.control.instances("nowhere")
    assert (excinfo.value.status, excinfo.value.code) == (400, "InvalidRegion")


def test_stop_start_and_modify_show_in_describe_instances(emulator: RunningEmulator) -> None:
    client = new_client(emulator)
    emulator.control.stop(KNOWN_ID)
    assert describe(client, KNOWN_ID).instances.instance[0].status == "Stopped"
    emulator.control.start(KNOWN_ID)
    assert describe(client, KNOWN_ID).instances.instance[0].status == "Running"
    emulator.control.modify(KNOWN_ID, InstanceName="renamed", Memory=16384, Status="Starting")
    instance = describe(client, KNOWN_ID).instances.instance[0]
    assert (instance.instance_name, instance.memory, instance.status) == ("renamed", 16384, "Starting")
    for bad in ({"Memory": "lots"}, {"Status": "Flying"}, {"NoSuchField": 1}, {"InstanceId": "i-other"}):
        with pytest.raises(ControlError) as excinfo:
            emulator.control.modify(KNOWN_ID, **bad)
        assert excinfo.value.status == 400
    with pytest.raises(ControlError) as excinfo:
        emulator.control.stop("i-doesnotexist000")
    assert excinfo.value.status == 404


def test_reset_restores_world_and_clears_faults_and_log(emulator: RunningEmulator) -> None:
    emulator.control.modify(KNOWN_ID, InstanceName="changed")
    emulator.control.add_fault(action="DescribeRegions", code="Throttling")
    emulator.control.set_sts_lifetime(60)
    describe(new_client(emulator), KNOWN_ID)
    emulator.control.reset()
    assert emulator.control.instance(KNOWN_ID)["InstanceName"] != "changed"
    assert emulator.control.faults() == []
    assert emulator.control.requests_log()["total"] == 0
    assert emulator.control.sts()["lifetime_seconds"] == 21600


def test_fault_crud(emulator: RunningEmulator) -> None:
    first = emulator.control.add_fault(action="DescribeInstances", code="Throttling", probability=0.5)
    second = emulator.control.add_fault(action="metadata", latency_ms=10)
    assert [f["id"] for f in emulator.control.faults()] == [first, second]
    emulator.control.delete_fault(first)
    assert [f["id"] for f in emulator.control.faults()] == [second]
    with pytest.raises(ControlError) as excinfo:
        emulator.control.delete_fault(first)
    assert excinfo.value.status == 404
    with pytest.raises(ControlError) as excinfo:
        emulator.control.add_fault(action="DescribeInstances", probability=3, code="X")
    assert (excinfo.value.status, excinfo.value.code) == (400, "InvalidFaultRule")
    emulator.control.clear_faults()
    assert emulator.control.faults() == []


def test_fault_with_custom_code_and_message(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(action="*", code="Throttling.Resource", message="slow down")
    from alibabacloud_tea_openapi.exceptions import ClientException

    with pytest.raises(ClientException) as excinfo:
        describe(new_client(emulator), KNOWN_ID)
    assert (excinfo.value.code, excinfo.value.status_code) == ("Throttling.Resource", 429)
    assert excinfo.value.data["Message"] == "slow down"


def test_request_log_counts_and_redacts(emulator: RunningEmulator) -> None:
    creds = metadata_credentials(emulator)
    sts_client = new_client(
        emulator, key=creds["AccessKeyId"], secret=creds["AccessKeySecret"], token=creds["SecurityToken"]
    )
    describe(sts_client, KNOWN_ID)
    describe(new_client(emulator, v2=True), KNOWN_ID)
    log = emulator.control.requests_log()
    assert log["total"] == 2
    assert log["by_action"] == {"DescribeInstances": 2}
    assert log["by_principal"] == {"EcsRamRoleTest": 1, "emulator-admin": 1}
    assert log["metadata"]["credentials"] == 1 and log["metadata"]["tokens"] == 1
    text = json.dumps(log)
    for secret in (creds["SecurityToken"], creds["AccessKeySecret"], emulator.access_key_secret):
        assert secret not in text
    entry = [r for r in log["recent"] if r["service"] == "openapi"][-1]
    assert set(entry) >= {"method", "target", "action", "principal", "status", "headers", "query"}
    assert entry["query"]["Signature"] == "<redacted>" and entry["status"] == 200
    emulator.control.clear_requests()
    assert emulator.control.requests_log()["total"] == 0


def test_sts_lifetime_and_node_role(emulator: RunningEmulator) -> None:
    emulator.control.set_sts_lifetime(600)
    assert emulator.control.sts() == {"lifetime_seconds": 600, "rotation_lead_seconds": 150}
    with pytest.raises(ControlError):
        emulator.control.set_sts_lifetime(0)
    emulator.control.set_node_role(1, "EcsRamRoleNoAccess")
    assert metadata_credentials(emulator, node=1)["Code"] == "Success"
    with pytest.raises(ControlError) as excinfo:
        emulator.control.set_node_role(1, "NoSuchRole")
    assert excinfo.value.status == 404
    with pytest.raises(ControlError) as excinfo:
        emulator.control.set_node_role(99, None)
    assert excinfo.value.status == 404


def test_unknown_endpoint_method_and_bad_json(emulator: RunningEmulator) -> None:
    assert requests.get(f"{emulator.url}/__emulator/nope", timeout=5).status_code == 404
    response = requests.delete(f"{emulator.url}/__emulator/health", timeout=5)
    assert response.status_code == 405 and response.json()["error"]["code"] == "MethodNotAllowed"
    response = requests.post(f"{emulator.url}/__emulator/faults", data="{not json", timeout=5)
    assert response.status_code == 400 and response.json()["error"]["code"] == "InvalidJson"


def test_patched_tags_are_validated_and_filterable(emulator: RunningEmulator) -> None:
    with pytest.raises(ControlError):
        emulator.control.modify(KNOWN_ID, Tags={"Tag": [{"TagKey": "env"}]})
    emulator.control.modify(KNOWN_ID, Tags={"Tag": [{"TagKey": "owner", "TagValue": "alice"}]})
    tag = ecs_models.DescribeInstancesRequestTag(key="owner", value="alice")  # sent as Tag.1.Key/Value
    body = describe(new_client(emulator), tag=[tag])
    assert [i.instance_id for i in body.instances.instance] == [KNOWN_ID]
    emulator.control.modify(KNOWN_ID, Tags={})
    assert "Tags" not in emulator.control.instance(KNOWN_ID)


def test_oversized_bodies_are_refused(emulator: RunningEmulator) -> None:
    response = requests.post(f"{emulator.url}/", data=b"x" * ((1 << 20) + 1), timeout=5)
    assert response.status_code == 413 and response.json()["error"]["code"] == "BodyNotAccepted"
    chunked = requests.post(f"{emulator.url}/", data=iter([b"a=1"]), timeout=5)  # generator -> chunked
    assert chunked.status_code == 413


def test_patch_keeps_nested_shapes_and_can_bind_an_eip(emulator: RunningEmulator) -> None:
    for bad in (
        {"VpcAttributes": {"VpcId": "vpc-x"}},
        {"PublicIpAddress": {"IpAddress": [1]}},
        {"EipAddress": {"IpAddress": "1.2.3.4"}},
    ):
        with pytest.raises(ControlError) as excinfo:
            emulator.control.modify(KNOWN_ID, **bad)
        assert excinfo.value.code == "InvalidField"
    eip = {
        "AllocationId": "eip-bp1test",
        "IpAddress": "47.1.2.3",
        "InternetChargeType": "PayByTraffic",
        "Bandwidth": 50,
        "IsSupportUnassociate": True,
    }
    emulator.control.modify(KNOWN_ID, EipAddress=eip, PublicIpAddress={"IpAddress": []})
    instance = describe(new_client(emulator), KNOWN_ID).instances.instance[0]
    assert instance.eip_address.ip_address == "47.1.2.3" and instance.eip_address.bandwidth == 50
    assert instance.public_ip_address.ip_address == []


def test_stop_and_start_with_a_transition(emulator: RunningEmulator) -> None:
    import time

    client = new_client(emulator)
    emulator.control.stop(KNOWN_ID, transition_seconds=0.3)
    assert describe(client, KNOWN_ID).instances.instance[0].status == "Stopping"
    time.sleep(0.35)
    assert describe(client, KNOWN_ID).instances.instance[0].status == "Stopped"
    emulator.control.start(KNOWN_ID, transition_seconds=0.3)
    assert emulator.control.instance(KNOWN_ID)["Status"] == "Starting"
    time.sleep(0.35)
    assert {i["InstanceId"]: i["Status"] for i in emulator.control.instances()}[KNOWN_ID] == "Running"
    with pytest.raises(ControlError):
        emulator.control.stop(KNOWN_ID, transition_seconds=-1)
