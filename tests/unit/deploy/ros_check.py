"""An offline structural check of ROS templates (no Alibaba Cloud account needed).

ROS's own ValidateTemplate needs credentials, so this checks what can be checked locally
(deployment.md §1.6): known resource types, property names and required properties against the schema
extracted from the ROS CDK (data/ros-schema.json), and that every Ref / Fn::GetAtt / Fn::Sub / Fn::If /
DependsOn target exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).parent / "data" / "ros-schema.json"
PSEUDO_PARAMETERS = frozenset({"ALIYUN::StackName", "ALIYUN::StackId", "ALIYUN::Region"})
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@cache
def schema() -> dict[str, Any]:
    types: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["types"]
    return types


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _check_properties(value: Any, spec: dict[str, Any] | None, path: str, problems: list[str]) -> None:
    """Property names at every level where the schema knows the nested structure."""
    if spec is None or not isinstance(value, dict):
        return
    if any(key.startswith("Fn::") or key == "Ref" for key in value):
        return  # a function computes this value; nothing to check statically
    for key, inner in value.items():
        if key not in spec:
            problems.append(f"{path}: unknown property {key!r}")
            continue
        items = inner if isinstance(inner, list) else [inner]
        for index, item in enumerate(items):
            where = f"{path}.{key}[{index}]" if isinstance(inner, list) else f"{path}.{key}"
            _check_properties(item, spec[key], where, problems)


def _sub_names(sub: Any) -> tuple[str, set[str]]:
    if isinstance(sub, str):
        return sub, set()
    text, variables = sub
    return text, set(variables)


def check_template(template: dict[str, Any]) -> list[str]:
    """Every problem found, as human-readable lines (empty: the template passed)."""
    problems: list[str] = []
    if template.get("ROSTemplateFormatVersion") != "2015-09-01":
        problems.append("ROSTemplateFormatVersion must be '2015-09-01'")
    parameters = set(template.get("Parameters", {}))
    conditions = set(template.get("Conditions", {}))
    resources: dict[str, Any] = template.get("Resources", {})
    types = schema()

    for name, resource in resources.items():
        kind = resource.get("Type")
        if kind not in types:
            problems.append(f"Resources.{name}: unknown or unlisted type {kind!r}")
            continue
        properties = resource.get("Properties", {})
        _check_properties(properties, types[kind]["properties"], f"Resources.{name}.Properties", problems)
        for required in types[kind]["required"]:
            if required not in properties:
                problems.append(f"Resources.{name}: required property {required!r} missing")
        depends = resource.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            if target not in resources:
                problems.append(f"Resources.{name}.DependsOn: no resource {target!r}")

    def attribute_ok(resource: str, attribute: str) -> bool:
        kind = resources.get(resource, {}).get("Type")
        return kind in types and attribute in types[kind]["attributes"]

    for section in ("Resources", "Outputs", "Conditions"):
        for path, node in _walk(template.get(section, {}), section):
            if not isinstance(node, dict):
                continue
            if "Ref" in node:
                target = node["Ref"]
                if target not in parameters | set(resources) | PSEUDO_PARAMETERS:
                    problems.append(f"{path}: Ref to unknown {target!r}")
            if "Fn::GetAtt" in node:
                resource, attribute = node["Fn::GetAtt"]
                if not attribute_ok(resource, attribute):
                    problems.append(f"{path}: Fn::GetAtt {resource}.{attribute} does not exist")
            if "Fn::If" in node and node["Fn::If"][0] not in conditions:
                problems.append(f"{path}: Fn::If on unknown condition {node['Fn::If'][0]!r}")
            if "Fn::Sub" in node:
                text, local = _sub_names(node["Fn::Sub"])
                for variable in _SUB_VARIABLE.findall(text):
                    if variable.startswith("!"):
                        continue  # ${!Literal} is emitted as ${Literal}
                    if "." in variable:
                        resource, attribute = variable.split(".", 1)
                        if not attribute_ok(resource, attribute):
                            problems.append(f"{path}: Fn::Sub ${{{variable}}} does not exist")
                    elif variable not in local | parameters | set(resources) | PSEUDO_PARAMETERS:
                        problems.append(f"{path}: Fn::Sub ${{{variable}}} is not defined")
    return problems


def used_parameters(template: dict[str, Any]) -> set[str]:
    """Parameters referenced anywhere (Ref or ${Name} in Fn::Sub)."""
    used: set[str] = set()
    for _, node in _walk({k: template.get(k) for k in ("Resources", "Outputs", "Conditions")}, ""):
        if isinstance(node, dict):
            if "Ref" in node:
                used.add(node["Ref"])
            if "Fn::Sub" in node:
                used.update(_SUB_VARIABLE.findall(_sub_names(node["Fn::Sub"])[0]))
    return used & set(template.get("Parameters", {}))
