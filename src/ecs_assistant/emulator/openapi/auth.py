"""Authenticating an OpenAPI request: which signature style, which key, fresh, not replayed.

The order of checks is: key known and usable (STS token matching, not expired), timestamp inside the
window, signature, then nonce, so a request with a bad signature does not burn its nonce.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from datetime import datetime

from ecs_assistant.emulator import exceptions as err
from ecs_assistant.emulator.http_types import Request
from ecs_assistant.emulator.models import Principal, State
from ecs_assistant.emulator.openapi import signature as sig
from ecs_assistant.emulator.openapi.policy import ALLOW_ALL

ANONYMOUS = Principal("anonymous", "anonymous", (ALLOW_ALL,), "")


class NonceCache:
    """Nonces seen inside the replay window; insertion order doubles as expiry order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}

    def use(self, nonce: str, now: float, window: float) -> bool:
        """Record `nonce`; False when it was already used inside the window."""
        with self._lock:
            seen = self._seen
            while seen:
                oldest = next(iter(seen))
                if seen[oldest] > now:
                    break
                del seen[oldest]
            if nonce in seen:
                return False
            seen[nonce] = now + window
            return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


def parse_timestamp(value: str) -> float:
    """`%Y-%m-%dT%H:%M:%SZ` (fractional seconds tolerated), UTC, as epoch seconds."""
    if len(value) < 20 or value[10] != "T" or not value.endswith("Z"):
        raise err.InvalidTimeStampFormat()
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00").timestamp()
    except ValueError:
        raise err.InvalidTimeStampFormat() from None


class Authenticator:
    def __init__(self, state: State) -> None:
        self.state = state
        self.nonces = NonceCache()

    def authenticate(self, req: Request, params: Mapping[str, str], now: float) -> Principal:
        authorization = req.header("authorization")
        if authorization is not None and authorization.startswith("ACS3-"):
            return self._acs3(req, params, authorization, now)
        if "Signature" in params:
            return self._v1(req, params, now)
        if not self.state.settings.check_signatures:
            return self._unchecked(req, params)
        raise err.MissingAccessKeyId()

    # -- key resolution --------------------------------------------------------------------------------

    def _resolve(self, key_id: str, token: str | None, now: float) -> tuple[str, Principal]:
        """The secret and principal for `key_id`, checking STS token rules first."""
        state = self.state
        if key_id.startswith("STS."):
            cred = state.sts.by_key(key_id)
            if cred is None:
                raise err.InvalidAccessKeyIdNotFound()
            if not token:
                raise err.MissingSecurityToken()
            token_key = state.sts.key_for_token(token)
            if token_key is None:
                raise err.InvalidSecurityTokenMalformed()
            if token_key != key_id:
                raise err.InvalidSecurityTokenMismatch()
            if cred.expired(now):
                raise err.InvalidSecurityTokenExpired()
            return cred.access_key_secret, state.role_principal(cred.role, key_id)
        key = state.access_key(key_id)
        if key is None:
            raise err.InvalidAccessKeyIdNotFound()
        if not key.active:
            raise err.InvalidAccessKeyIdInactive()
        if token:
            raise err.InvalidSecurityTokenMismatch()
        return key.secret, Principal(key.principal, "user", state.policies_of(key.policies), key_id)

    def _check_time(self, stamp: str | None, now: float) -> None:
        if not stamp:
            raise err.InvalidTimeStampFormat()
        when = parse_timestamp(stamp)
        if abs(now - when) > self.state.settings.timestamp_window_seconds:
            raise err.InvalidTimeStampExpired()

    def _check_nonce(self, nonce: str | None, now: float) -> None:
        if not nonce:
            raise err.MissingSignatureNonce()
        if not self.nonces.use(nonce, now, self.state.settings.nonce_window_seconds):
            raise err.SignatureNonceUsed()

    # -- the two styles --------------------------------------------------------------------------------

    def _acs3(self, req: Request, params: Mapping[str, str], authorization: str, now: float) -> Principal:
        auth = sig.parse_acs3_authorization(authorization)
        if auth is None:
            raise err.IncompleteSignature("malformed Authorization header")
        token = req.header("x-acs-security-token")
        secret, principal = self._resolve(auth.access_key_id, token, now)
        if not self.state.settings.check_signatures:
            return principal
        if auth.algorithm != sig.ACS3_ALGORITHM:
            raise err.IncompleteSignature(f"unsupported algorithm {auth.algorithm}")
        self._check_time(req.header("x-acs-date"), now)
        body_hash = hashlib.sha256(req.body).hexdigest() if req.body else sig.EMPTY_SHA256
        declared = req.header("x-acs-content-sha256")
        canonical = sig.acs3_canonical_request(
            req.method, req.path, req.query, req.headers, auth.signed_headers, declared or body_hash
        )
        string_to_sign = sig.acs3_string_to_sign(canonical, auth.algorithm)
        if declared is not None and declared != body_hash:
            raise err.SignatureDoesNotMatch(string_to_sign)
        if not sig.signatures_equal(sig.acs3_signature(secret, string_to_sign), auth.signature):
            raise err.SignatureDoesNotMatch(string_to_sign)
        self._check_nonce(req.header("x-acs-signature-nonce"), now)
        return principal

    def _v1(self, req: Request, params: Mapping[str, str], now: float) -> Principal:
        key_id = params.get("AccessKeyId")
        if not key_id:
            raise err.MissingAccessKeyId()
        secret, principal = self._resolve(key_id, params.get("SecurityToken"), now)
        if not self.state.settings.check_signatures:
            return principal
        method = params.get("SignatureMethod", "")
        if method != "HMAC-SHA1":
            raise err.IncompleteSignature(f"unsupported SignatureMethod {method!r}")
        self._check_time(params.get("Timestamp"), now)
        string_to_sign = sig.v1_string_to_sign(req.method, [*req.query, *req.form])
        if not sig.signatures_equal(sig.v1_signature(secret, string_to_sign), params.get("Signature", "")):
            raise err.SignatureDoesNotMatch(string_to_sign)
        self._check_nonce(params.get("SignatureNonce"), now)
        return principal

    def _unchecked(self, req: Request, params: Mapping[str, str]) -> Principal:
        key_id = req.header("x-acs-accesskey-id") or params.get("AccessKeyId")
        key = self.state.access_key(key_id) if key_id else None
        if key is None:
            return ANONYMOUS
        return Principal(key.principal, "user", self.state.policies_of(key.policies), key.id)
