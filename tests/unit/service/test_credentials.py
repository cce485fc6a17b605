"""RAM-role credentials: lazy fetch, refresh ahead of expiry, last good kept on failure, role discovery."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ecs_assistant.cloud.credentials import ROLE_PATH, RamRoleCredentialsProvider, StsCredentials
from ecs_assistant.cloud.errors import CredentialsUnavailable


def stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class FakeMetadata:
    """Stands in for MetadataClient: a role, credentials that rotate, and switchable failures."""

    base_url = "http://127.0.0.1:9"

    def __init__(self, clock: Any, lifetime: float = 100) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.role: str | None = "EcsRamRoleTest"
        self.down = False
        self.calls: list[str] = []
        self.issued = 0
        self.expiration = 0.0

    def get(self, path: str) -> tuple[int, str]:
        self.calls.append(path)
        if self.down:
            raise CredentialsUnavailable("The metadata service is not reachable (ConnectionError).")
        if path == ROLE_PATH:
            return (200, self.role) if self.role else (404, "")
        if self.role is None or path != ROLE_PATH + self.role:
            return 404, ""
        now = self.clock()
        if now >= self.expiration - self.lifetime / 4:  # rotation lead, like the metadata service
            self.issued += 1
            self.expiration = int(now) + self.lifetime
        body = {
            "AccessKeyId": f"STS.key{self.issued}",
            "AccessKeySecret": "secret",
            "SecurityToken": f"token{self.issued}",
            "Expiration": stamp(self.expiration),
            "LastUpdated": stamp(now),
            "Code": "Success",
        }
        return 200, json.dumps(body)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def provider(clock: Clock, metadata: FakeMetadata, role: str = "") -> RamRoleCredentialsProvider:
    return RamRoleCredentialsProvider(metadata, role_name=role, refresh_margin=600, clock=clock)  # type: ignore[arg-type]


def test_nothing_is_fetched_until_first_use_and_then_only_once() -> None:
    clock = Clock()
    metadata = FakeMetadata(clock)
    creds = provider(clock, metadata)
    assert metadata.calls == []
    first = creds.get_credentials()
    assert first.get_access_key_id() == "STS.key1"
    assert first.get_security_token() == "token1"
    assert metadata.calls == [ROLE_PATH, ROLE_PATH + "EcsRamRoleTest"]
    for _ in range(50):
        clock.now += 1
        creds.get_credentials()
    assert len(metadata.calls) == 2
    assert creds.role_name == "EcsRamRoleTest"


def test_refresh_happens_before_expiry_and_gets_rotated_credentials() -> None:
    clock = Clock()
    metadata = FakeMetadata(clock, lifetime=100)
    creds = provider(clock, metadata, role="EcsRamRoleTest")
    seen = []
    for _ in range(300):
        current = creds.current()
        assert current.expiration is not None and current.expiration > clock.now  # never serves expired
        seen.append(current.access_key_id)
        clock.now += 1
    assert len(set(seen)) >= 3
    assert creds.refreshes <= 10  # refreshed ahead of expiry, not on every call


def test_last_good_credentials_are_kept_while_valid_then_failure_is_reported() -> None:
    clock = Clock()
    metadata = FakeMetadata(clock, lifetime=100)
    creds = provider(clock, metadata, role="EcsRamRoleTest")
    good = creds.current()
    metadata.down = True
    clock.now += 85  # refresh due, metadata down
    assert creds.current() == good
    assert creds.last_error and "not reachable" in creds.last_error
    clock.now += 20  # really expired now
    with pytest.raises(CredentialsUnavailable, match="not reachable"):
        creds.current()
    metadata.down = False
    assert creds.current().access_key_id == "STS.key2"


def test_no_role_attached_is_a_clear_error() -> None:
    clock = Clock()
    metadata = FakeMetadata(clock)
    metadata.role = None
    with pytest.raises(CredentialsUnavailable, match="No RAM role is attached"):
        provider(clock, metadata).current()


def test_changed_role_is_rediscovered() -> None:
    clock = Clock()
    metadata = FakeMetadata(clock)
    creds = provider(clock, metadata)
    creds.current()
    metadata.role = "EcsRamRoleNoAccess"
    metadata.expiration = 0
    clock.now += 200
    assert creds.current().access_key_id.startswith("STS.")
    assert creds.role_name == "EcsRamRoleNoAccess"


def test_repr_and_status_never_show_secrets() -> None:
    value = StsCredentials("STS.abc", "very-secret", "very-token", expiration=2e9, fetched_at=1e9)
    assert "very-secret" not in repr(value) and "very-token" not in repr(value)
    clock = Clock()
    creds = provider(clock, FakeMetadata(clock))
    creds.current()
    text = json.dumps(creds.status())
    assert "secret" not in text and "token1" not in text
    assert creds.status()["roleName"] == "EcsRamRoleTest"
