"""Both paging modes and the opaque NextToken."""

from __future__ import annotations

import pytest

from ecs_assistant.emulator.exceptions import InvalidParameter
from ecs_assistant.emulator.openapi import paging

ITEMS = list(range(23))


def test_page_number_mode_slices_and_reports_total() -> None:
    page = paging.by_number(ITEMS, 3, 10)
    assert page.items == [20, 21, 22]
    assert page.total == 23
    assert page.next_token == ""
    assert paging.by_number(ITEMS, 4, 10).items == []


def test_token_mode_walks_every_item_once_and_ends_with_empty_token() -> None:
    seen: list[int] = []
    token: str | None = None
    for _ in range(10):
        page = paging.by_token(ITEMS, token, 10, "fp")
        seen.extend(page.items)
        if not page.next_token:
            break
        token = page.next_token
    assert seen == ITEMS
    assert page.next_token == ""


def test_token_is_opaque_and_refused_when_tampered_or_reused_with_other_filters() -> None:
    token = paging.by_token(ITEMS, None, 5, "fp").next_token
    assert "5" not in token or token != "5"
    with pytest.raises(InvalidParameter) as excinfo:
        paging.by_token(ITEMS, token, 5, "other-filters")
    assert "NextToken" in excinfo.value.message
    with pytest.raises(InvalidParameter):
        paging.by_token(ITEMS, "not-a-token!", 5, "fp")


def test_fingerprint_ignores_paging_and_signing_parameters() -> None:
    base = {"RegionId": "cn-hangzhou", "Status": "Running"}
    assert paging.fingerprint(base) == paging.fingerprint({**base, "MaxResults": "5", "SignatureNonce": "x"})
    assert paging.fingerprint(base) != paging.fingerprint({**base, "Status": "Stopped"})
