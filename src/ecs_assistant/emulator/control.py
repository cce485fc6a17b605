"""The control plane under `/__emulator/`: health, state, instances, faults, request log, STS, nodes.

JSON in and out. Errors are `{"error": {"code", "message"}}` with a 4xx status, never a 500 for bad input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ecs_assistant.emulator.core import EmulatorCore
from ecs_assistant.emulator.faults import FaultRuleError
from ecs_assistant.emulator.http_types import Request, Response
from ecs_assistant.emulator.models import StateError
from ecs_assistant.emulator.sts import rotation_lead
from ecs_assistant.emulator.world import WorldError

PREFIX = "/__emulator"


class ControlError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _json(status: int, data: Any) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode(), content_type="application/json")


def _body(req: Request) -> Any:
    if not req.body:
        return {}
    try:
        return json.loads(req.body)
    except ValueError:
        raise ControlError(400, "InvalidJson", "the request body is not valid JSON") from None


def _object(req: Request) -> dict[str, Any]:
    data = _body(req)
    if not isinstance(data, dict):
        raise ControlError(400, "InvalidJson", "the request body must be a JSON object")
    return data


Route = Callable[[Request, re.Match[str]], Response]


class ControlPlane:
    def __init__(self, core: EmulatorCore, describe_listeners: Callable[[], dict[str, Any]]) -> None:
        self.core = core
        self._listeners = describe_listeners
        self._routes: list[tuple[str, re.Pattern[str], Route]] = [
            ("GET", re.compile(r"^/health$"), self.health),
            ("POST", re.compile(r"^/reset$"), self.reset),
            ("GET", re.compile(r"^/instances$"), self.instances),
            ("GET", re.compile(r"^/instances/(?P<id>[^/]+)$"), self.instance),
            ("POST", re.compile(r"^/instances/(?P<id>[^/]+)/(?P<op>start|stop)$"), self.start_stop),
            ("PATCH", re.compile(r"^/instances/(?P<id>[^/]+)$"), self.modify),
            ("GET", re.compile(r"^/faults$"), self.faults),
            ("POST", re.compile(r"^/faults$"), self.add_fault),
            ("DELETE", re.compile(r"^/faults$"), self.clear_faults),
            ("DELETE", re.compile(r"^/faults/(?P<id>[^/]+)$"), self.delete_fault),
            ("GET", re.compile(r"^/requests$"), self.requests),
            ("DELETE", re.compile(r"^/requests$"), self.clear_requests),
            ("GET", re.compile(r"^/sts$"), self.sts),
            ("PUT", re.compile(r"^/sts$"), self.set_sts),
            ("GET", re.compile(r"^/metadata$"), self.metadata_nodes),
            ("PUT", re.compile(r"^/metadata/(?P<node>\d+)/role$"), self.set_role),
            ("PUT", re.compile(r"^/metadata/(?P<node>\d+)/options$"), self.set_options),
        ]

    def handle(self, req: Request) -> Response:
        path = req.path[len(PREFIX) :].rstrip("/") or "/"
        allowed = []
        try:
            for method, pattern, route in self._routes:
                match = pattern.match(path)
                if match is None:
                    continue
                if method != req.method:
                    allowed.append(method)
                    continue
                return route(req, match)
            if allowed:
                raise ControlError(405, "MethodNotAllowed", f"use {' or '.join(allowed)} for {req.path}")
            raise ControlError(404, "NotFound", f"no control endpoint {req.path}")
        except ControlError as exc:
            return _json(exc.status, {"error": {"code": exc.code, "message": exc.message}})
        except StateError as exc:
            return _json(exc.status, {"error": {"code": exc.code, "message": str(exc)}})
        except FaultRuleError as exc:
            return _json(400, {"error": {"code": "InvalidFaultRule", "message": str(exc)}})
        except WorldError as exc:
            return _json(409, {"error": {"code": "InvalidWorld", "message": str(exc)}})

    # -- routes ----------------------------------------------------------------------------------------

    def health(self, req: Request, m: re.Match[str]) -> Response:
        state = self.core.state
        return _json(
            200,
            {
                "status": "ok",
                "world": state.world.source,
                "regions": list(state.regions),
                "instances": len(state.instances),
                "nodes": state.node_count(),
                **self._listeners(),
            },
        )

    def reset(self, req: Request, m: re.Match[str]) -> Response:
        self.core.reset()
        return _json(200, {"status": "reset"})

    def instances(self, req: Request, m: re.Match[str]) -> Response:
        region = dict(req.query).get("region")
        state = self.core.state
        if region is not None and region not in state.regions:
            raise ControlError(400, "InvalidRegion", f"unknown region {region!r}")
        docs = state.region_instances(region) if region else state.all_instances()
        return _json(
            200,
            [{"InstanceId": d["InstanceId"], "RegionId": d["RegionId"], "Status": d["Status"]} for d in docs],
        )

    def instance(self, req: Request, m: re.Match[str]) -> Response:
        doc = self.core.state.instance(m["id"])
        if doc is None:
            raise ControlError(404, "InstanceNotFound", f"instance {m['id']!r} does not exist")
        return _json(200, doc)

    def start_stop(self, req: Request, m: re.Match[str]) -> Response:
        seconds = _object(req).get("transition_seconds", 0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= 3600:
            raise ControlError(400, "InvalidField", "transition_seconds must be a number from 0 to 3600")
        doc = self.core.state.set_status(m["id"], "Running" if m["op"] == "start" else "Stopped", seconds)
        return _json(200, {"InstanceId": doc["InstanceId"], "Status": doc["Status"]})

    def modify(self, req: Request, m: re.Match[str]) -> Response:
        fields = _object(req)
        if not fields:
            raise ControlError(400, "InvalidField", "give at least one DescribeInstances field to change")
        return _json(200, self.core.state.modify(m["id"], fields))

    def faults(self, req: Request, m: re.Match[str]) -> Response:
        return _json(200, self.core.faults.list())

    def add_fault(self, req: Request, m: re.Match[str]) -> Response:
        rule = self.core.faults.add(_body(req))
        return _json(201, {"id": rule.id, "rule": rule.to_json()})

    def clear_faults(self, req: Request, m: re.Match[str]) -> Response:
        self.core.faults.clear()
        return _json(200, {"status": "cleared"})

    def delete_fault(self, req: Request, m: re.Match[str]) -> Response:
        if not self.core.faults.delete(m["id"]):
            raise ControlError(404, "FaultNotFound", f"no fault rule {m['id']!r}")
        return _json(200, {"status": "deleted"})

    def requests(self, req: Request, m: re.Match[str]) -> Response:
        return _json(200, self.core.log.snapshot())

    def clear_requests(self, req: Request, m: re.Match[str]) -> Response:
        self.core.log.clear()
        return _json(200, {"status": "cleared"})

    def sts(self, req: Request, m: re.Match[str]) -> Response:
        lifetime = self.core.state.sts.lifetime_seconds
        return _json(200, {"lifetime_seconds": lifetime, "rotation_lead_seconds": rotation_lead(lifetime)})

    def set_sts(self, req: Request, m: re.Match[str]) -> Response:
        value = _object(req).get("lifetime_seconds")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ControlError(400, "InvalidField", "lifetime_seconds must be a positive integer")
        self.core.state.sts.set_lifetime(value)
        return self.sts(req, m)

    def metadata_nodes(self, req: Request, m: re.Match[str]) -> Response:
        state = self.core.state
        nodes = [
            {
                "node": i,
                "instance_id": n.instance_id,
                "role": state.node_roles[i],
                "http_tokens": state.node_http_tokens[i],
            }
            for i, n in enumerate(state.world.nodes)
        ]
        return _json(200, nodes)

    def set_role(self, req: Request, m: re.Match[str]) -> Response:
        data = _object(req)
        if "role" not in data or not (data["role"] is None or isinstance(data["role"], str)):
            raise ControlError(400, "InvalidField", 'give {"role": "<name>"} or {"role": null}')
        self.core.state.set_node_role(int(m["node"]), data["role"])
        return _json(200, {"node": int(m["node"]), "role": data["role"]})

    def set_options(self, req: Request, m: re.Match[str]) -> Response:
        mode = _object(req).get("http_tokens")
        if not isinstance(mode, str):
            raise ControlError(400, "InvalidField", 'give {"http_tokens": "optional" | "required"}')
        self.core.state.set_node_http_tokens(int(m["node"]), mode)
        return _json(200, {"node": int(m["node"]), "http_tokens": mode})
