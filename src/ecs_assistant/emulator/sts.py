"""Temporary (STS) credentials issued through the metadata service to a node's RAM role.

The OpenAPI side looks keys up here, so a key the metadata service hands out is accepted until its
`Expiration` and rejected after it. Rotation follows the real service: a new credential appears
`rotation_lead` before the current one expires, and both stay valid during that overlap.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass

DEFAULT_LIFETIME_SECONDS = 6 * 3600
_ALNUM = string.ascii_letters + string.digits


def rotation_lead(lifetime_seconds: float) -> float:
    """How long before expiry a replacement is issued: 30 minutes, or a quarter of short lifetimes."""
    return min(1800.0, lifetime_seconds / 4)


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass(frozen=True, slots=True)
class StsCredential:
    access_key_id: str
    access_key_secret: str
    security_token: str
    role: str
    node: int
    issued: int
    expires: int

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires


class StsStore:
    """Issued credentials by AccessKeyId and by token, plus the current credential per (node, role)."""

    def __init__(self, lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, StsCredential] = {}
        self._key_by_token: dict[str, str] = {}
        self._current: dict[tuple[int, str], StsCredential] = {}
        self.lifetime_seconds = lifetime_seconds

    def set_lifetime(self, seconds: int) -> None:
        """Change the lifetime of credentials issued from now on; the next fetch gets a fresh one."""
        with self._lock:
            self.lifetime_seconds = seconds
            self._current.clear()

    def current(self, node: int, role: str, now: float | None = None) -> StsCredential:
        """The credential the metadata service shows now for `role` on `node`, issuing one when due."""
        now = time.time() if now is None else now
        with self._lock:
            cred = self._current.get((node, role))
            if cred is None or now >= cred.expires - rotation_lead(cred.expires - cred.issued):
                cred = self._issue(node, role, int(now))
                self._current[(node, role)] = cred
            return cred

    def _issue(self, node: int, role: str, now: int) -> StsCredential:
        cred = StsCredential(
            access_key_id=f"STS.{_random(25)}",
            access_key_secret=_random(44),
            security_token="CAIS" + _random(280),
            role=role,
            node=node,
            issued=now,
            expires=now + self.lifetime_seconds,
        )
        self._by_key[cred.access_key_id] = cred
        self._key_by_token[cred.security_token] = cred.access_key_id
        self._prune(now)
        return cred

    def _prune(self, now: int) -> None:
        # Keep expired keys for a day so they answer "expired", not "unknown"; drop older ones.
        old = [k for k, c in self._by_key.items() if c.expires < now - 86400]
        for key in old:
            cred = self._by_key.pop(key)
            self._key_by_token.pop(cred.security_token, None)

    def by_key(self, access_key_id: str) -> StsCredential | None:
        return self._by_key.get(access_key_id)

    def key_for_token(self, token: str) -> str | None:
        return self._key_by_token.get(token)
