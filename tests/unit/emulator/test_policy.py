"""RAM policy evaluation: explicit Deny wins, Allow needs a match, otherwise implicit deny."""

from __future__ import annotations

from ecs_assistant.emulator.openapi.policy import ALLOW_ALL, Decision, evaluate

RESOURCE = "acs:ecs:cn-hangzhou:1:instance/*"
READ = {"Statement": [{"Effect": "Allow", "Action": ["ecs:DescribeInstances"], "Resource": "*"}]}
DENY = {"Statement": [{"Effect": "Deny", "Action": "ecs:Describe*", "Resource": "*"}]}


def test_allow_matches_listed_action_only() -> None:
    assert evaluate([READ], "ecs:DescribeInstances", RESOURCE) is Decision.ALLOW
    assert evaluate([READ], "ecs:DescribeInstanceStatus", RESOURCE) is Decision.IMPLICIT_DENY


def test_explicit_deny_overrides_allow() -> None:
    assert evaluate([ALLOW_ALL, DENY], "ecs:DescribeInstances", RESOURCE) is Decision.EXPLICIT_DENY


def test_no_policies_is_implicit_deny_and_actions_are_case_insensitive() -> None:
    assert evaluate([], "ecs:DescribeInstances", RESOURCE) is Decision.IMPLICIT_DENY
    assert evaluate([READ], "ECS:describeinstances", RESOURCE) is Decision.ALLOW


def test_not_action_and_resource_patterns() -> None:
    not_action = {"Statement": [{"Effect": "Allow", "NotAction": "ecs:Delete*", "Resource": "acs:ecs:cn-*"}]}
    assert evaluate([not_action], "ecs:DescribeInstances", RESOURCE) is Decision.ALLOW
    assert evaluate([not_action], "ecs:DeleteInstance", RESOURCE) is Decision.IMPLICIT_DENY
    assert (
        evaluate([not_action], "ecs:DescribeInstances", "acs:ecs:us-west-1:1:instance/*")
        is Decision.IMPLICIT_DENY
    )


def test_statement_with_condition_is_not_applied() -> None:
    conditional = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"x": {}}}]}
    assert evaluate([conditional], "ecs:DescribeInstances", RESOURCE) is Decision.IMPLICIT_DENY
