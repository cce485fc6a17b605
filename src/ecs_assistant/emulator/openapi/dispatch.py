"""One OpenAPI request in, one response out: action lookup, authentication, faults, handler, errors.

Both SDK generations are served by the same path; the signature style is chosen per request
(reference §8 item 1). Every error leaves through `exceptions.render_error`.
"""

from __future__ import annotations

import json
import random
import time
import uuid

from ecs_assistant.emulator import exceptions as err
from ecs_assistant.emulator.faults import FaultRule, FaultStore, transport_effect
from ecs_assistant.emulator.http_types import Request, Response
from ecs_assistant.emulator.models import State
from ecs_assistant.emulator.openapi.actions import ACTIONS, ActionContext
from ecs_assistant.emulator.openapi.auth import Authenticator
from ecs_assistant.emulator.request_log import RequestLog

API_VERSION = "2014-05-26"


def new_request_id() -> str:
    """An upper-case UUID-shaped ID. Not uuid4(): its os.urandom call costs ~30 us here, and request IDs
    need uniqueness, not unpredictability."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4)).upper()


class OpenApiService:
    def __init__(self, state: State, faults: FaultStore, log: RequestLog) -> None:
        self.state = state
        self.faults = faults
        self.log = log
        self.auth = Authenticator(state)

    def handle(self, req: Request) -> Response:
        request_id = new_request_id()
        params = dict(req.query)
        if req.form:
            params.update(req.form)
        action = params.get("Action") or req.header("x-acs-action")
        principal: str | None = None
        try:
            handler = ACTIONS.get(action or "")
            if handler is None:
                raise err.InvalidActionNotFound()
            version = params.get("Version") or req.header("x-acs-version")
            if version != API_VERSION:
                raise err.InvalidVersion()
            who = self.auth.authenticate(req, params, time.time())
            principal = who.name if who.kind != "anonymous" else None
            rule = self.faults.match(action or "")
            injected = self._apply_fault(rule, request_id, req) if rule else None
            if injected is not None:
                response = injected
            else:
                result = handler(ActionContext(self.state, params, who))
                result["RequestId"] = request_id
                response = Response(200, json.dumps(result, ensure_ascii=False).encode())
                if rule is not None and rule.retry_after_ms:
                    response.headers["x-acs-retry-after"] = str(rule.retry_after_ms)
        except err.AlibabaError as exc:
            status, body = err.render_error(exc, request_id, req.header("host") or "ecs.aliyuncs.com")
            response = Response(status, body)
        response.headers["x-acs-request-id"] = request_id
        self.log.record_openapi(
            req.method,
            req.target,
            action,
            principal,
            0 if response.drop_connection else response.status,
            req.headers,
            req.query,
        )
        return response

    def _apply_fault(self, rule: FaultRule, request_id: str, req: Request) -> Response | None:
        """The fault's answer, or None when the rule only adds latency (the request then proceeds)."""
        effect = transport_effect(rule)
        if effect is not None:
            return effect
        if rule.code is None:
            return None
        error = err.error_for_code(rule.code, rule.status, rule.message)
        status, body = err.render_error(error, request_id, req.header("host") or "ecs.aliyuncs.com")
        response = Response(status, body)
        if rule.retry_after_ms:
            response.headers["x-acs-retry-after"] = str(rule.retry_after_ms)
        return response
