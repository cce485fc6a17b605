"""The ECS instance metadata service (reference §5): IMDSv1/v2, instance items, RAM role credentials.

Each node index has its own identity (instance and attached role), so every node of a local stack can
run against its own listener. Credentials come from `sts.StsStore`, which the OpenAPI side consults.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from ecs_assistant.emulator.faults import FaultRule, FaultStore, transport_effect
from ecs_assistant.emulator.http_types import Request, Response
from ecs_assistant.emulator.instance_shape import mac_address, private_ip, public_ip
from ecs_assistant.emulator.models import State
from ecs_assistant.emulator.request_log import RequestLog

TOKEN_HEADER = "x-aliyun-ecs-metadata-token"  # noqa: S105 - a header name
TTL_HEADER = "x-aliyun-ecs-metadata-token-ttl-seconds"
MAX_TOKEN_TTL = 21600
TEXT = "text/plain;charset=utf-8"
CREDENTIALS_PREFIXES = ("meta-data/ram/security-credentials/", "meta-data/Ram/security-credentials/")


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _text(status: int, body: str) -> Response:
    return Response(status, body.encode(), content_type=TEXT)


NOT_FOUND_BODY = "404 - Not Found"


class MetadataService:
    def __init__(self, state: State, faults: FaultStore, log: RequestLog) -> None:
        self.state = state
        self.faults = faults
        self.log = log
        self._tokens: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    # -- IMDSv2 tokens ---------------------------------------------------------------------------------

    def _issue_token(self, node: int, req: Request) -> Response:
        raw = req.header(TTL_HEADER)
        try:
            ttl = int(raw) if raw is not None else 0
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= MAX_TOKEN_TTL:
            return _text(400, f"{TTL_HEADER} must be an integer between 1 and {MAX_TOKEN_TTL}")
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            if len(self._tokens) > 10000:
                self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (node, now + ttl)
        response = _text(200, token)
        response.headers["X-aliyun-ecs-metadata-token-ttl-seconds"] = str(ttl)
        return response

    def _token_problem(self, node: int, req: Request) -> Response | None:
        token = req.header(TOKEN_HEADER)
        status = self.state.settings.metadata_token_error_status
        if token is None:
            if self.state.node_http_tokens[node] == "required":
                return _text(status, "a metadata token is required (hardened mode)")
            return None
        found = self._tokens.get(token)
        if found is None or found[0] != node or found[1] <= time.time():
            return _text(status, "the metadata token is invalid or expired")
        return None

    # -- requests --------------------------------------------------------------------------------------

    def handle(self, node: int, req: Request) -> Response:
        path = req.path
        kind = "item"
        rule = self.faults.match("metadata")
        injected = self._fault_response(rule) if rule is not None else None
        if injected is not None:
            response = injected
        elif path in ("/latest/api/token", "/latest/api/token/"):
            kind = "token"
            response = self._issue_token(node, req) if req.method == "PUT" else _text(405, "use PUT")
        elif req.method not in ("GET", "HEAD"):
            response = _text(405, "metadata items are read with GET")
        elif not path.startswith("/latest/") or node >= self.state.node_count():
            response = _text(404, NOT_FOUND_BODY)
        else:
            problem = self._token_problem(node, req)
            if problem is not None:
                response = problem
            else:
                item = path[len("/latest/") :]
                if item.startswith(CREDENTIALS_PREFIXES) and item.rstrip("/").count("/") == 3:
                    kind = "credentials"
                response = self._item(node, item)
                if response.status != 200:
                    kind = "item"  # "credentials" counts documents actually handed out
        self.log.record_metadata(node, req.method, path, response.status, kind, req.headers)
        return response

    @staticmethod
    def _fault_response(rule: FaultRule) -> Response | None:
        """A metadata outage: the rule's answer, or None when it only adds latency."""
        effect = transport_effect(rule)
        if effect is not None:
            return effect
        if rule.code is not None or (rule.status or 200) >= 400:
            return _text(rule.effective_status, rule.message or rule.code or "injected fault")
        return None

    def _item(self, node: int, item: str) -> Response:
        for prefix in CREDENTIALS_PREFIXES:
            if item.startswith(prefix):
                return self._credentials(node, item[len(prefix) :])
        doc = self.state.node_instance(node)
        if item in ("meta-data", "meta-data/"):
            return _text(200, "\n".join(sorted(self._items(doc))))
        if item == "dynamic/instance-identity/document":
            identity = {
                "zone-id": doc["ZoneId"],
                "serial-number": doc["SerialNumber"],
                "instance-id": doc["InstanceId"],
                "region-id": doc["RegionId"],
                "private-ipv4": private_ip(doc),
                "owner-account-id": self.state.account_id,
                "mac": mac_address(doc["InstanceId"]),
                "image-id": doc["ImageId"],
                "instance-type": doc["InstanceType"],
            }
            return Response(200, json.dumps(identity).encode())
        getter = self._items(doc).get(item.removeprefix("meta-data/"))
        if not item.startswith("meta-data/") or getter is None:
            return _text(404, NOT_FOUND_BODY)
        value = getter()
        if value == "":
            return _text(404, NOT_FOUND_BODY)
        return _text(200, value)

    def _items(self, doc: dict[str, Any]) -> dict[str, Callable[[], str]]:
        mac = mac_address(doc["InstanceId"])
        vpc = doc["VpcAttributes"]
        return {
            "instance-id": lambda: doc["InstanceId"],
            "region-id": lambda: doc["RegionId"],
            "zone-id": lambda: doc["ZoneId"],
            "hostname": lambda: doc["HostName"],
            "instance/instance-type": lambda: doc["InstanceType"],
            "instance/instance-name": lambda: doc["InstanceName"],
            "image-id": lambda: doc["ImageId"],
            "owner-account-id": lambda: self.state.account_id,
            "serial-number": lambda: doc["SerialNumber"],
            "private-ipv4": lambda: private_ip(doc),
            "eipv4": lambda: public_ip(doc),
            "mac": lambda: mac,
            "vpc-id": lambda: vpc["VpcId"],
            "vswitch-id": lambda: vpc["VSwitchId"],
            "network-type": lambda: doc["InstanceNetworkType"],
            "network/interfaces/macs/": lambda: f"{mac}/",
            f"network/interfaces/macs/{mac}/private-ipv4s": lambda: json.dumps([private_ip(doc)]),
            "ram/security-credentials/": lambda: "",  # handled by _credentials; listed for discovery
        }

    def _credentials(self, node: int, rest: str) -> Response:
        role = self.state.node_roles[node]
        if role is None:
            return _text(404, NOT_FOUND_BODY)
        name = rest.strip("/")
        if name == "":
            return _text(200, role)  # the bare role name: the SDK pastes it into the next URL
        if name != role:
            return _text(404, NOT_FOUND_BODY)
        cred = self.state.sts.current(node, role)
        document = {
            "AccessKeyId": cred.access_key_id,
            "AccessKeySecret": cred.access_key_secret,
            "Expiration": _iso(cred.expires),
            "SecurityToken": cred.security_token,
            "LastUpdated": _iso(cred.issued),
            "Code": "Success",
        }
        # Pretty-printed with " : " as in the documentation's examples; parsers do not care.
        return Response(200, json.dumps(document, indent=2, separators=(",", " : ")).encode())
