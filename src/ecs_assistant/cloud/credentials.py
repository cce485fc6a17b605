"""Credentials for the ECS SDK: the node's RAM role via the metadata service, or alibabacloud-credentials.

RAM-role mode uses a small IMDSv2 client of our own rather than the library's
``EcsRamRoleCredentialsProvider``, because that provider (alibabacloud-credentials 1.0.12):

* hard-codes the host 100.100.100.200, so a configurable base URL is only possible through its proxy
  option or by patching a name-mangled attribute;
* refuses to be constructed at all when ``ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`` (how the test suite,
  and anyone who disables the library's default chain, guards against the real metadata address);
* starts an APScheduler thread in its constructor, which does not survive uWSGI's pre-fork model;
* fetches a fresh IMDSv2 token before every GET and, once less than 15 minutes remain, refetches on every
  call, so short STS lifetimes turn into one metadata round trip per request.

Ours fetches lazily on first use in each worker, reuses its IMDSv2 token until shortly before the token's
TTL, refreshes ahead of expiry (at most a fifth of the lifetime before it, so the metadata service has
already rotated), keeps the last good credentials if a refresh fails until they really expire, and starts no
thread. It still plugs into the SDK through the library's own interfaces (``ICredentialsProvider`` wrapped
in ``alibabacloud_credentials.client.Client``), and every other mode is the library's.
"""

from __future__ import annotations

import calendar
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.client import ICredentialsProvider  # the alibabacloud_credentials_api interface
from alibabacloud_credentials.models import Config as CredentialConfig
from alibabacloud_credentials.provider.refreshable import Credentials as LibraryCredentials

from ecs_assistant.cloud.errors import CredentialsUnavailable
from ecs_assistant.cloud.telemetry import NullTelemetry, Telemetry
from ecs_assistant.settings import Settings

log = logging.getLogger(__name__)

TOKEN_PATH = "/latest/api/token"  # noqa: S105 - a URL path, not a secret
TOKEN_TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"  # noqa: S105
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"  # noqa: S105
ROLE_PATH = "/latest/meta-data/ram/security-credentials/"
#: Lifetime requested for IMDSv2 tokens (the documented maximum); reused until a minute before it ends.
TOKEN_TTL_SECONDS = 21600


@dataclass(frozen=True, slots=True)
class StsCredentials:
    """One set of credentials. ``repr`` never shows the secret or the token."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    expiration: float | None = None  # POSIX seconds; None: does not expire
    fetched_at: float = 0.0

    def remaining(self, now: float) -> float:
        return float("inf") if self.expiration is None else self.expiration - now

    def usable_until(self) -> float:
        """Expiration minus a small safety window (5 s, or 5% of a short lifetime)."""
        if self.expiration is None:
            return float("inf")
        lifetime = max(self.expiration - self.fetched_at, 0.0)
        return self.expiration - min(5.0, lifetime * 0.05)


class MetadataClient:
    """IMDSv2 reads from a configurable metadata base URL; the token is cached, not fetched per GET."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 1.0,
        imds_v1_fallback: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.imds_v1_fallback = imds_v1_fallback
        self._clock = clock
        self._lock = threading.Lock()
        self._session: requests.Session | None = None
        self._token: str | None = None
        self._token_valid_until = 0.0

    def _http(self) -> requests.Session:
        if self._session is None:
            session = requests.Session()
            session.trust_env = False  # never let HTTP_PROXY send metadata reads elsewhere
            self._session = session
        return self._session

    def token(self) -> str | None:
        """A cached IMDSv2 token; None only when falling back to IMDSv1 is allowed."""
        with self._lock:
            if self._token and self._clock() < self._token_valid_until:
                return self._token
        try:
            response = self._http().put(
                self.base_url + TOKEN_PATH,
                headers={TOKEN_TTL_HEADER: str(TOKEN_TTL_SECONDS)},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise CredentialsUnavailable(
                f"The metadata service at {self.base_url} is not reachable ({type(exc).__name__})."
            ) from None
        if response.status_code != 200 or not response.text.strip():
            if self.imds_v1_fallback:
                return None
            raise CredentialsUnavailable(
                f"The metadata service refused an IMDSv2 token (HTTP {response.status_code})."
            )
        with self._lock:
            self._token = response.text.strip()
            self._token_valid_until = self._clock() + TOKEN_TTL_SECONDS - 60
            return self._token

    def probe_token(self, ttl: int = 60) -> tuple[int, bool]:
        """One uncached token request, for doctor: (HTTP status, token issued). Raises requests errors."""
        response = self._http().put(
            self.base_url + TOKEN_PATH, headers={TOKEN_TTL_HEADER: str(ttl)}, timeout=self.timeout
        )
        return response.status_code, response.status_code == 200 and bool(response.text.strip())

    def forget_token(self) -> None:
        with self._lock:
            self._token = None

    def get(self, path: str) -> tuple[int, str]:
        """GET ``path`` with the token; a 401/403 drops the cached token and retries once with a new one."""
        for attempt in range(2):
            token = self.token()
            headers = {TOKEN_HEADER: token} if token else {}
            try:
                response = self._http().get(self.base_url + path, headers=headers, timeout=self.timeout)
            except requests.RequestException as exc:
                raise CredentialsUnavailable(
                    f"The metadata service at {self.base_url} is not reachable ({type(exc).__name__})."
                ) from None
            if response.status_code in (401, 403) and attempt == 0:
                self.forget_token()
                continue
            return response.status_code, response.text
        raise AssertionError("unreachable")


def _parse_expiration(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))


class RamRoleCredentialsProvider(ICredentialsProvider):  # type: ignore[misc]
    """STS credentials of the instance's RAM role, refreshed ahead of expiry, no background thread."""

    def __init__(
        self,
        metadata: MetadataClient,
        *,
        role_name: str = "",
        refresh_margin: float = 600.0,
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.metadata = metadata
        self.configured_role = role_name
        self.refresh_margin = refresh_margin
        self.telemetry = telemetry or NullTelemetry()
        self._clock = clock
        self._lock = threading.Lock()
        self._role: str | None = role_name or None
        self._current: StsCredentials | None = None
        self._next_refresh = 0.0
        self._failures = 0
        self.last_error: str | None = None
        self.refreshes = 0

    @property
    def role_name(self) -> str | None:
        return self._role

    def discover_role(self) -> str:
        status, text = self.metadata.get(ROLE_PATH)
        role = text.strip().strip("/").splitlines()[0].strip() if status == 200 and text.strip() else ""
        if not role:
            raise CredentialsUnavailable(
                "No RAM role is attached to this instance: attach a role that may call ecs:DescribeInstances."
            )
        return role

    def _fetch(self) -> StsCredentials:
        discovered = False
        if self._role is None:
            self._role = self.discover_role()
            discovered = True
        status, text = self.metadata.get(ROLE_PATH + self._role)
        if status == 404 and not self.configured_role and not discovered:
            # The attached role changed (or was detached) since we discovered it: look again, once.
            self._role = self.discover_role()
            status, text = self.metadata.get(ROLE_PATH + self._role)
        if status == 404:
            raise CredentialsUnavailable(f"The RAM role {self._role!r} is not attached to this instance.")
        if status != 200:
            raise CredentialsUnavailable(
                f"The metadata service answered HTTP {status} for the role credentials."
            )
        try:
            document: Any = json.loads(text)
            if document.get("Code") != "Success":
                raise ValueError(f"Code={document.get('Code')!r}")
            now = self._clock()
            return StsCredentials(
                access_key_id=str(document["AccessKeyId"]),
                access_key_secret=str(document["AccessKeySecret"]),
                security_token=str(document["SecurityToken"]),
                expiration=_parse_expiration(str(document["Expiration"])),
                fetched_at=now,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = (
                str(exc)
                if isinstance(exc, ValueError) and str(exc).startswith("Code=")
                else type(exc).__name__
            )
            raise CredentialsUnavailable(
                f"The metadata service returned unusable credentials ({reason})."
            ) from None

    def _schedule(self, fresh: StsCredentials, previous: StsCredentials | None, now: float) -> float:
        remaining = fresh.remaining(now)
        if remaining == float("inf"):
            return float("inf")
        if previous is not None and previous.expiration == fresh.expiration:
            # Not rotated yet: ask again shortly, without hammering the metadata service.
            return now + max(0.5, min(5.0, remaining / 10))
        return now + max(remaining - min(self.refresh_margin, remaining * 0.2), 0.5)

    def current(self) -> StsCredentials:
        """The credentials to sign with now; refreshes when due. Raises CredentialsUnavailable."""
        now = self._clock()
        held = self._current
        if held is not None and now < self._next_refresh:
            return held
        still_valid = held is not None and now < held.usable_until()
        if not self._lock.acquire(blocking=not still_valid):
            assert held is not None
            return held  # another thread is refreshing; the current credentials are still good
        try:
            now = self._clock()
            held = self._current
            if held is not None and now < self._next_refresh:
                return held
            try:
                fresh = self._fetch()
            except CredentialsUnavailable as exc:
                self.telemetry.credential_refresh("error")
                self.last_error = exc.message
                log.warning("credentials refresh failed", extra={"fields": {"reason": exc.message}})
                self._failures += 1
                if held is not None and now < held.usable_until():
                    self._next_refresh = min(
                        now + min(30.0, 2.0 ** min(self._failures, 5) / 2), held.usable_until()
                    )
                    return held
                raise
            self.telemetry.credential_refresh("ok")
            self.refreshes += 1
            self._failures = 0
            self.last_error = None
            self._next_refresh = self._schedule(fresh, held, now)
            self._current = fresh
            return fresh
        finally:
            self._lock.release()

    def get_credentials(self) -> LibraryCredentials:
        creds = self.current()
        return LibraryCredentials(
            access_key_id=creds.access_key_id,
            access_key_secret=creds.access_key_secret,
            security_token=creds.security_token,
            expiration=int(creds.expiration) if creds.expiration is not None else None,
            provider_name=self.get_provider_name(),
        )

    async def get_credentials_async(self) -> LibraryCredentials:
        return self.get_credentials()

    def get_provider_name(self) -> str:
        return "ecs_ram_role"

    def status(self) -> dict[str, Any]:
        """What /readyz and doctor show: never the secret or the token."""
        held = self._current
        now = self._clock()
        return {
            "mode": "ram_role",
            "metadataUrl": self.metadata.base_url,
            "roleName": self._role,
            "expiresInSeconds": None
            if held is None or held.expiration is None
            else round(held.remaining(now)),
            "refreshes": self.refreshes,
            "lastError": self.last_error,
        }


class _GuardedProvider(ICredentialsProvider):  # type: ignore[misc]
    """Wraps a library provider so its failures surface as CredentialsUnavailable, with a count."""

    def __init__(self, inner: ICredentialsProvider, mode: str, telemetry: Telemetry) -> None:
        self.inner = inner
        self.mode = mode
        self.telemetry = telemetry
        self.last_error: str | None = None

    def get_credentials(self) -> LibraryCredentials:
        try:
            return self.inner.get_credentials()
        except CredentialsUnavailable:
            raise
        except Exception as exc:
            self.telemetry.credential_refresh("error")
            self.last_error = f"{type(exc).__name__}: {str(exc)[:200]}"
            raise CredentialsUnavailable(
                f"No credentials available in {self.mode} mode ({self.last_error})."
            ) from None

    async def get_credentials_async(self) -> LibraryCredentials:
        return self.get_credentials()

    def get_provider_name(self) -> str:
        name = self.inner.get_provider_name()
        return name if isinstance(name, str) else self.mode

    def status(self) -> dict[str, Any]:
        return {"mode": self.mode, "provider": self.get_provider_name(), "lastError": self.last_error}


class CredentialSource:
    """Builds the configured provider lazily, once per process, so nothing runs before uWSGI forks."""

    def __init__(self, settings: Settings, telemetry: Telemetry | None = None) -> None:
        self.settings = settings
        self.telemetry = telemetry or NullTelemetry()
        self._lock = threading.Lock()
        self._provider: RamRoleCredentialsProvider | _GuardedProvider | None = None
        self._client: CredentialClient | None = None

    def provider(self) -> RamRoleCredentialsProvider | _GuardedProvider:
        with self._lock:
            if self._provider is None:
                self._provider = self._build()
                self._client = CredentialClient(provider=self._provider)
            return self._provider

    def client(self) -> CredentialClient:
        """The object passed to the SDK as ``credential=``."""
        self.provider()
        assert self._client is not None
        return self._client

    def ensure(self) -> None:
        """Obtain credentials now (cheap when cached); raises CredentialsUnavailable."""
        self.provider().get_credentials()

    def status(self) -> dict[str, Any]:
        return self.provider().status()

    def _build(self) -> RamRoleCredentialsProvider | _GuardedProvider:
        settings = self.settings
        if settings.credentials == "ram_role":
            metadata = MetadataClient(
                settings.metadata_url,
                timeout=settings.metadata_timeout,
                imds_v1_fallback=settings.imds_v1_fallback,
            )
            return RamRoleCredentialsProvider(
                metadata,
                role_name=settings.role_name,
                refresh_margin=settings.credentials_refresh_margin,
                telemetry=self.telemetry,
            )
        if settings.credentials == "access_key":
            key_id = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
            secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
            token = os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN", "")
            if not key_id or not secret:
                raise CredentialsUnavailable(
                    "access_key mode needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET."
                )
            config = CredentialConfig(
                type="sts" if token else "access_key",
                access_key_id=key_id,
                access_key_secret=secret,
                security_token=token or None,
            )
            library = CredentialClient(config).cloud_credential.provider
            return _GuardedProvider(library, "access_key", self.telemetry)
        # default_chain: env, OIDC, profiles, the library's own ECS RAM role provider, credentials URI.
        library = CredentialClient().cloud_credential.provider
        return _GuardedProvider(library, "default_chain", self.telemetry)


__all__ = [
    "CredentialSource",
    "MetadataClient",
    "RamRoleCredentialsProvider",
    "StsCredentials",
]
