"""Authenticator edge cases on hand-built requests (no network): the check order and each error code."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from ecs_assistant.emulator import exceptions as err
from ecs_assistant.emulator.http_types import Request
from ecs_assistant.emulator.models import State
from ecs_assistant.emulator.openapi.auth import Authenticator, parse_timestamp
from ecs_assistant.emulator.signed_client import acs3_headers, v1_params

KEY, SECRET = "LTAI5tEmulatorDefault0001", "EmulatorDefaultSecretNotReal0001"
QUERY = {"RegionId": "cn-hangzhou"}


@pytest.fixture(scope="module")
def state() -> State:
    return State()


def _acs3(
    headers: dict[str, str], query: dict[str, str] = QUERY, body: bytes = b""
) -> tuple[Request, dict[str, str]]:
    request = Request(
        "POST",
        "/",
        "/?" + urlencode(query),
        list(query.items()),
        {k.lower(): [v] for k, v in headers.items()},
        body,
    )
    return request, dict(query)


def _auth(state: State, request: Request, params: dict[str, str]) -> str:
    return Authenticator(state).authenticate(request, params, time.time()).name


def test_valid_acs3_and_v1_requests_identify_the_user(state: State) -> None:
    assert (
        _auth(state, *_acs3(acs3_headers("POST", "h", "DescribeInstances", QUERY, KEY, SECRET)))
        == "emulator-admin"
    )
    params = v1_params("POST", "DescribeInstances", QUERY, KEY, SECRET)
    request = Request("POST", "/", "/", list(params.items()), {"host": ["h"]})
    assert _auth(state, request, params) == "emulator-admin"


def test_raw_host_value_is_part_of_the_acs3_signature(state: State) -> None:
    headers = acs3_headers("POST", "http://127.0.0.1:1", "DescribeInstances", QUERY, KEY, SECRET)
    assert _auth(state, *_acs3(headers)) == "emulator-admin"
    headers["host"] = "127.0.0.1:1"
    with pytest.raises(err.SignatureDoesNotMatch):
        _auth(state, *_acs3(headers))


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda h: h.update({"x-acs-date": "2024-13-01"}), err.InvalidTimeStampFormat),
        (lambda h: h.pop("x-acs-signature-nonce"), err.SignatureDoesNotMatch),  # signed header now missing
        (lambda h: h.update({"Authorization": h["Authorization"].replace("SHA256", "SM3", 1)}),
         err.IncompleteSignature),
        (lambda h: h.update({"Authorization": "ACS3-HMAC-SHA256 Credential=x"}), err.IncompleteSignature),
        (lambda h: h.update({"x-acs-security-token": "CAISnotatoken"}), err.InvalidSecurityTokenMismatch),
    ],
)  # fmt: skip
def test_acs3_failures(state: State, mutate: object, error: type[err.AlibabaError]) -> None:
    headers = acs3_headers("POST", "h", "DescribeInstances", QUERY, KEY, SECRET)
    assert callable(mutate)
    mutate(headers)
    with pytest.raises(error):
        _auth(state, *_acs3(headers))


def test_content_hash_must_match_the_body(state: State) -> None:
    headers = acs3_headers("POST", "h", "DescribeInstances", QUERY, KEY, SECRET)
    with pytest.raises(err.SignatureDoesNotMatch):
        _auth(state, *_acs3(headers, body=b"RegionId=cn-beijing"))


def test_sts_key_rules(state: State) -> None:
    cred = state.sts.current(0, "EcsRamRoleTest")
    base = acs3_headers("POST", "h", "DescribeInstances", QUERY, cred.access_key_id, cred.access_key_secret)
    with pytest.raises(err.MissingSecurityToken):
        _auth(state, *_acs3(base))
    malformed = acs3_headers(
        "POST", "h", "DescribeInstances", QUERY, cred.access_key_id, cred.access_key_secret, token="CAISbogus"
    )
    with pytest.raises(err.InvalidSecurityTokenMalformed):
        _auth(state, *_acs3(malformed))
    good = acs3_headers(
        "POST",
        "h",
        "DescribeInstances",
        QUERY,
        cred.access_key_id,
        cred.access_key_secret,
        token=cred.security_token,
    )
    assert _auth(state, *_acs3(good)) == "EcsRamRoleTest"
    with pytest.raises(err.InvalidAccessKeyIdNotFound):
        _auth(
            state,
            *_acs3(acs3_headers("POST", "h", "DescribeInstances", QUERY, "STS.unknown", "s", token="t")),
        )


def test_v1_requires_hmac_sha1_and_a_nonce_that_was_not_used(state: State) -> None:
    params = v1_params("POST", "DescribeInstances", QUERY, KEY, SECRET, nonce="n-1")
    request = Request("POST", "/", "/", list(params.items()), {})
    auth = Authenticator(state)
    auth.authenticate(request, params, time.time())
    with pytest.raises(err.SignatureNonceUsed):
        auth.authenticate(request, params, time.time())
    # ... but the same nonce is fine again once the replay window has passed.
    later = time.time() + state.settings.nonce_window_seconds + 1
    with pytest.raises(err.InvalidTimeStampExpired):  # (its timestamp is now stale instead)
        auth.authenticate(request, params, later)
    bad_method = {**params, "SignatureMethod": "HMAC-SHA256"}
    with pytest.raises(err.IncompleteSignature):
        auth.authenticate(Request("POST", "/", "/", list(bad_method.items()), {}), bad_method, time.time())


def test_timestamp_parsing() -> None:
    assert parse_timestamp("2024-01-02T03:04:05Z") == 1704164645
    assert parse_timestamp("2024-01-02T03:04:05.123Z") == pytest.approx(1704164645.123)
    for bad in ("2024-01-02 03:04:05", "2024-01-02T03:04:05", "yesterday"):
        with pytest.raises(err.InvalidTimeStampFormat):
            parse_timestamp(bad)
