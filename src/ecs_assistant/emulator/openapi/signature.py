"""The two Alibaba Cloud request signatures, computed server-side (reference §1.1.1 and §1.3).

Hand-written on purpose: the SDKs only contain the client half (and the emulator must not import them),
and the server has to rebuild the canonical forms from what arrived on the wire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

ACS3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def percent_encode(value: str) -> str:
    """RFC 3986 encoding: only A-Z a-z 0-9 - _ . ~ stay; space is %20, '*' is %2A; upper-case hex."""
    return quote(value, safe="-_.~")


# --- ACS3-HMAC-SHA256 ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acs3Authorization:
    """The parsed `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..` value."""

    algorithm: str
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_acs3_authorization(value: str) -> Acs3Authorization | None:
    """Parse the header; None when it is not a well-formed ACS3 authorization."""
    algorithm, _, rest = value.strip().partition(" ")
    if not algorithm.startswith("ACS3-") or not rest:
        return None
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    try:
        credential = fields["Credential"]
        signed = fields["SignedHeaders"]
        signature = fields["Signature"]
    except KeyError:
        return None
    headers = tuple(h.strip().lower() for h in signed.split(";") if h.strip())
    return Acs3Authorization(algorithm, credential, headers, signature)


def acs3_canonical_query(params: Iterable[tuple[str, str]]) -> str:
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in encoded)


def acs3_canonical_request(
    method: str,
    path: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, list[str]],
    signed_headers: Iterable[str],
    payload_hash: str,
) -> str:
    """The six-line canonical request. `headers` maps lower-case names to every value received."""
    names = sorted({h.lower() for h in signed_headers})
    lines = []
    for name in names:
        values = sorted(v.strip() for v in headers.get(name, []))
        lines.append(f"{name}:{','.join(values)}\n")
    return "\n".join(
        [
            method.upper(),
            path or "/",
            acs3_canonical_query(params),
            "".join(lines),
            ";".join(names),
            payload_hash,
        ]
    )


def acs3_string_to_sign(canonical_request: str, algorithm: str = ACS3_ALGORITHM) -> str:
    return f"{algorithm}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"


def acs3_signature(secret: str, string_to_sign: str) -> str:
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


# --- RPC V1 HMAC-SHA1 ---------------------------------------------------------------------------------


def v1_string_to_sign(method: str, params: Iterable[tuple[str, str]]) -> str:
    """`METHOD&%2F&encode(sorted k=v&...)` over every parameter except `Signature`, blanks kept."""
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in params if k != "Signature")
    canonical = "&".join(f"{k}={v}" for k, v in encoded)
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def v1_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signatures_equal(expected: str, received: str) -> bool:
    return hmac.compare_digest(expected.encode(), received.encode())
