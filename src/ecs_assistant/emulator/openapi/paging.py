"""The two DescribeInstances paging modes: PageNumber/PageSize and MaxResults/NextToken.

NextToken is opaque to clients; here it is the offset of the next item plus a fingerprint of the
filters, base64-encoded, so a token reused with different filters is refused instead of misread.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ecs_assistant.emulator.exceptions import InvalidParameter

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    next_token: str


def by_number(items: Sequence[T], page_number: int, page_size: int) -> Page[T]:
    start = (page_number - 1) * page_size
    return Page(list(items[start : start + page_size]), len(items), "")


def encode_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, fingerprint: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = data["o"]
        ok = isinstance(offset, int) and offset >= 0 and data["f"] == fingerprint
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise InvalidParameter("NextToken")
    return int(offset)


def fingerprint(params: dict[str, str]) -> str:
    """A short digest of the filter parameters (paging parameters excluded)."""
    skip = {"NextToken", "MaxResults", "PageNumber", "PageSize", "Signature", "SignatureNonce", "Timestamp"}
    relevant = sorted((k, v) for k, v in params.items() if k not in skip)
    return hashlib.sha256(json.dumps(relevant).encode()).hexdigest()[:16]


def by_token(items: Sequence[T], token: str | None, max_results: int, print_: str) -> Page[T]:
    start = decode_token(token, print_) if token else 0
    end = start + max_results
    next_token = encode_token(end, print_) if end < len(items) else ""
    return Page(list(items[start:end]), len(items), next_token)
