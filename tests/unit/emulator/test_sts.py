"""STS issuing and rotation: a new credential appears `lead` before expiry; the old one stays valid."""

from __future__ import annotations

from ecs_assistant.emulator.sts import StsStore, rotation_lead


def test_rotation_lead_is_30_minutes_or_a_quarter_of_short_lifetimes() -> None:
    assert rotation_lead(21600) == 1800
    assert rotation_lead(3600) == 900
    assert rotation_lead(8) == 2


def test_same_credential_until_lead_then_a_new_one_with_overlap() -> None:
    store = StsStore(lifetime_seconds=21600)
    first = store.current(0, "EcsRamRoleTest", now=1000.0)
    assert first.access_key_id.startswith("STS.")
    assert first.expires == 1000 + 21600
    assert store.current(0, "EcsRamRoleTest", now=1000.0 + 21600 - 1801) is first
    second = store.current(0, "EcsRamRoleTest", now=1000.0 + 21600 - 1800)
    assert second is not first
    # Both keys resolve during the overlap; the first is not expired yet.
    assert store.by_key(first.access_key_id) is first and not first.expired(now=1000.0 + 21600 - 1)
    assert first.expired(now=1000.0 + 21600)
    assert store.key_for_token(second.security_token) == second.access_key_id


def test_credentials_are_per_node_and_role() -> None:
    store = StsStore()
    a = store.current(0, "EcsRamRoleTest", now=0.0)
    assert store.current(1, "EcsRamRoleTest", now=0.0) is not a
    assert store.current(0, "EcsRamRoleNoAccess", now=0.0) is not a


def test_set_lifetime_applies_to_the_next_fetch() -> None:
    store = StsStore()
    old = store.current(0, "R", now=0.0)
    store.set_lifetime(10)
    new = store.current(0, "R", now=1.0)
    assert new is not old and new.expires == 11
    assert store.by_key(old.access_key_id) is old  # issued keys stay known until they expire
