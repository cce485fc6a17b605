"""Extract a resource schema from the ROS CDK packages (dev tool, run by hand; not a test).

Why: ROS's own ValidateTemplate needs an Alibaba Cloud account, so the template test checks property names,
required properties and attribute names against data taken from the ROS CDK's generated JavaScript
(deployment.md §1.6). The result is committed as data/ros-schema.json so tests need no download.

Usage (pip download --no-deps ros-cdk-ecs ros-cdk-slb ros-cdk-ram -d DIR, unzip the wheels and untar
their `_jsii/*.jsii.tgz`, then):
    python ros_schema_extract.py DIR/**/lib/{ecs,slb,ram}.generated.js > data/ros-schema.json

Plain string searches instead of regular expressions over the whole file: the reference measured
catastrophic backtracking with a regex on these 0.5-1 MB files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Resource types named in deployment.md §1.4 / §7.4; the template test allows exactly these.
WANTED = (
    "ALIYUN::ECS::SecurityGroup",
    "ALIYUN::ECS::SecurityGroupIngress",
    "ALIYUN::ECS::InstanceGroup",
    "ALIYUN::ECS::RamRoleAttachment",
    "ALIYUN::ECS::RunCommand",
    "ALIYUN::ECS::Command",
    "ALIYUN::ECS::Invocation",
    "ALIYUN::RAM::Role",
    "ALIYUN::RAM::ManagedPolicy",
    "ALIYUN::RAM::AttachPolicyToRole",
    "ALIYUN::SLB::LoadBalancer",
    "ALIYUN::SLB::Listener",
    "ALIYUN::SLB::BackendServerAttachment",
    "ALIYUN::SLB::VServerGroup",
)


def _block(text: str, start_marker: str) -> str:
    """The text of the function that starts at `start_marker`, up to the next top-level function."""
    start = text.index(start_marker)
    end = text.find("\nfunction ", start + len(start_marker))
    return text[start : end if end != -1 else len(text)]


def _template_fields(text: str, function_name: str) -> dict[str, str]:
    """PascalCase template name -> camelCase CDK name, or the nested converter's name, for one converter."""
    body = _block(text, f"function {function_name}(")
    body = body[body.index("return {") :]
    fields: dict[str, str] = {}
    for line in body.splitlines()[1:]:
        line = line.strip()
        if line.startswith("};"):
            break
        if not line.startswith("'"):
            continue
        name, _, rest = line[1:].partition("': ")
        fields[name] = rest
    return fields


def _nested(text: str, converter_call: str) -> dict[str, object] | None:
    """Schema of a nested property when its converter is a generated `ros...PropertyToRosTemplate`."""
    marker = "PropertyToRosTemplate"
    if marker not in converter_call:
        return None
    begin = converter_call.rfind("(", 0, converter_call.index(marker)) + 1
    name = converter_call[begin : converter_call.index(marker) + len(marker)]
    if not name.startswith("ros"):
        return None
    fields = _template_fields(text, name)
    return {key: _nested(text, call) for key, call in fields.items()}


def extract(text: str, type_name: str) -> dict[str, object]:
    marker = f'.ROS_RESOURCE_TYPE_NAME = "{type_name}";'
    end = text.index(marker)
    class_name = text[text.rfind("\n", 0, end) + 1 : end]
    short = class_name[len("Ros") :]
    fields = _template_fields(text, f"ros{short}PropsToRosTemplate")
    camel = {rest.split("(properties.")[-1].split(")")[0]: key for key, rest in fields.items()}
    validator = _block(text, f"function {class_name}PropsValidator(")
    required = sorted(
        camel[line.split("propertyValidator('")[1].split("'")[0]]
        for line in validator.splitlines()
        if "ros.requiredValidator" in line
    )
    klass = text[text.index(f"class {class_name} extends") : end]
    attributes = sorted(
        {part.split("')")[0] for part in klass.split("this.getAtt('")[1:]},
    )
    return {
        "properties": {key: _nested(text, call) for key, call in fields.items()},
        "required": required,
        "attributes": attributes,
    }


def main(paths: list[str]) -> None:
    texts = [Path(path).read_text(encoding="utf-8") for path in paths]
    schema: dict[str, object] = {}
    for type_name in WANTED:
        for text in texts:
            if f'.ROS_RESOURCE_TYPE_NAME = "{type_name}";' in text:
                schema[type_name] = extract(text, type_name)
                break
        else:
            raise SystemExit(f"{type_name} not found in the given files")
    json.dump(
        {"source": "ros-cdk-ecs/slb/ram 1.15.0 (PyPI), lib/*.generated.js", "types": schema},
        sys.stdout,
        indent=1,
        sort_keys=True,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
