"""A small Python client for the control plane, for tests, benchmarks and the local stack."""

from __future__ import annotations

from typing import Any

import requests


class ControlError(RuntimeError):
    """The control plane refused a call; carries its status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class ControlClient:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/") + "/__emulator"
        self.timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False  # never route control calls through an HTTP_PROXY

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, str] | None = None) -> Any:
        response = self._session.request(
            method, self.base_url + path, json=json, params=params, timeout=self.timeout
        )
        data = response.json() if response.content else None
        if response.status_code >= 400:
            error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
            raise ControlError(response.status_code, error.get("code", "Error"), error.get("message", ""))
        return data

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health")
        return result

    def reset(self) -> None:
        self._call("POST", "/reset")

    def instances(self, region: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "GET", "/instances", params={"region": region} if region else None
        )
        return result

    def instance(self, instance_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/instances/{instance_id}")
        return result

    def start(self, instance_id: str, transition_seconds: float = 0) -> None:
        """Running at once, or Starting for `transition_seconds` first."""
        self._call("POST", f"/instances/{instance_id}/start", json={"transition_seconds": transition_seconds})

    def stop(self, instance_id: str, transition_seconds: float = 0) -> None:
        """Stopped at once, or Stopping for `transition_seconds` first."""
        self._call("POST", f"/instances/{instance_id}/stop", json={"transition_seconds": transition_seconds})

    def modify(self, instance_id: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PATCH", f"/instances/{instance_id}", json=fields)
        return result

    def add_fault(self, **rule: Any) -> str:
        return str(self._call("POST", "/faults", json=rule)["id"])

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/faults")
        return result

    def delete_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests_log(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/requests")
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def sts(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/sts")
        return result

    def set_sts_lifetime(self, seconds: int) -> None:
        self._call("PUT", "/sts", json={"lifetime_seconds": seconds})

    def set_node_role(self, node: int, role: str | None) -> None:
        self._call("PUT", f"/metadata/{node}/role", json={"role": role})

    def set_node_http_tokens(self, node: int, mode: str) -> None:
        """ "required" switches a node's metadata service to hardened-only (IMDSv2) mode."""
        self._call("PUT", f"/metadata/{node}/options", json={"http_tokens": mode})

    def close(self) -> None:
        self._session.close()
