"""Fault rule validation and matching (order, action, count, probability)."""

from __future__ import annotations

import pytest

from ecs_assistant.emulator.faults import FaultRuleError, FaultStore


def test_rule_defaults_come_from_the_code() -> None:
    store = FaultStore()
    rule = store.add({"action": "DescribeInstances", "code": "Throttling"})
    assert rule.effective_status == 400
    assert store.add({"action": "*", "status": 503}).code == "ServiceUnavailable"
    assert store.add({"action": "metadata", "non_json": True}).effective_status == 503


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"action": "DeleteEverything", "code": "X"}, "action must be one of"),
        ({"action": "*", "probability": 2, "code": "X"}, "probability"),
        ({"action": "*", "bogus": 1}, "unknown field"),
        ({"action": "*"}, "needs at least one"),
        ({"action": "*", "latency_ms": "slow"}, "wrong type"),
        ({"action": "*", "code": "X", "count": 0}, "count"),
        ({"action": "*", "drop_connection": 1}, "wrong type"),
        ("not an object", "JSON object"),
    ],
)
def test_invalid_rules_are_refused_with_a_reason(rule: object, message: str) -> None:
    with pytest.raises(FaultRuleError, match=message):
        FaultStore().add(rule)


def test_matching_respects_action_count_and_probability() -> None:
    store = FaultStore()
    store.add({"action": "DescribeRegions", "code": "Throttling", "probability": 0.0})
    counted = store.add({"action": "DescribeInstances", "code": "ServiceUnavailable", "count": 2})
    star = store.add({"action": "*", "latency_ms": 1})
    assert store.match("DescribeInstances") is counted
    assert store.match("DescribeInstances") is counted
    assert store.match("DescribeInstances") is star  # the counted rule is used up and removed
    assert store.match("DescribeRegions") is star  # probability 0 never fires
    assert store.match("metadata") is None  # "*" covers OpenAPI actions only
    assert [r["id"] for r in store.list()] == [store.list()[0]["id"], star.id]
    assert store.delete(star.id) and not store.delete(star.id)
