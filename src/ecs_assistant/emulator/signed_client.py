"""A lean ACS3/V1-signing HTTP client for the emulator's own tests and capacity benchmark.

Not a replacement for the official SDKs (the product uses those): it exists to send exact wire
requests (odd parameters, replayed nonces, custom dates) and to load the emulator without the SDKs'
per-call overhead dominating the measurement. Uses one keep-alive `http.client` connection.
"""

from __future__ import annotations

import http.client
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from ecs_assistant.emulator.openapi import signature as sig

API_VERSION = "2014-05-26"


def _now_iso(offset_seconds: float = 0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_seconds))


def acs3_headers(
    method: str,
    host: str,
    action: str,
    query: dict[str, str],
    key_id: str,
    secret: str,
    *,
    token: str | None = None,
    nonce: str | None = None,
    date: str | None = None,
) -> dict[str, str]:
    """Headers (including Authorization) for an ACS3-HMAC-SHA256 request with an empty body."""
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": API_VERSION,
        "x-acs-date": date or _now_iso(),
        "x-acs-signature-nonce": nonce or secrets.token_hex(16),
        "x-acs-content-sha256": sig.EMPTY_SHA256,
        "accept": "application/json",
    }
    if token:
        headers["x-acs-accesskey-id"] = key_id
        headers["x-acs-security-token"] = token
    canonical = sig.acs3_canonical_request(
        method, "/", query.items(), {k: [v] for k, v in headers.items()}, headers.keys(), sig.EMPTY_SHA256
    )
    signature = sig.acs3_signature(secret, sig.acs3_string_to_sign(canonical))
    signed = ";".join(sorted(headers))
    headers["Authorization"] = (
        f"{sig.ACS3_ALGORITHM} Credential={key_id},SignedHeaders={signed},Signature={signature}"
    )
    return headers


def v1_params(
    method: str,
    action: str,
    query: dict[str, str],
    key_id: str,
    secret: str,
    *,
    token: str | None = None,
    nonce: str | None = None,
    timestamp: str | None = None,
) -> dict[str, str]:
    """The full, signed RPC V1 parameter set."""
    params = dict(query)
    params.update(
        {
            "Action": action,
            "Version": API_VERSION,
            "Format": "JSON",
            "AccessKeyId": key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": nonce or secrets.token_hex(16),
            "Timestamp": timestamp or _now_iso(),
        }
    )
    if token:
        params["SecurityToken"] = token
    params["Signature"] = sig.v1_signature(secret, sig.v1_string_to_sign(method, params.items()))
    return params


class SignedClient:
    def __init__(self, host: str, port: int, key_id: str, secret: str, token: str | None = None) -> None:
        self.host_header = f"{host}:{port}"
        self.key_id = key_id
        self.secret = secret
        self.token = token
        self._conn = http.client.HTTPConnection(host, port, timeout=30)

    def call(
        self, action: str, params: dict[str, str], *, style: str = "acs3", **signing: Any
    ) -> tuple[int, dict[str, str], Any]:
        """Send one signed POST; returns (status, lower-case headers, parsed JSON or raw text)."""
        token = signing.pop("token", self.token)
        if style == "acs3":
            headers = acs3_headers(
                "POST", self.host_header, action, params, self.key_id, self.secret, token=token, **signing
            )
            query = params
        else:
            headers = {"host": self.host_header}
            query = v1_params("POST", action, params, self.key_id, self.secret, token=token, **signing)
        self._conn.request("POST", "/?" + urlencode(query), headers=headers)
        response = self._conn.getresponse()
        body = response.read()
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed

    def close(self) -> None:
        self._conn.close()
