"""Both signature algorithms against the reference's published test vectors (reference §1.1.1, §1.3)."""

from __future__ import annotations

from ecs_assistant.emulator.openapi import signature as sig

ACS3_PARAMS = [("RegionId", "cn-hangzhou"), ("InstanceIds", '["i-bp1a2b3c4d5e6f7g8h9i"]'), ("PageSize", "10")]
ACS3_HEADERS = {
    "host": ["ecs.cn-hangzhou.aliyuncs.com"],
    "x-acs-action": ["DescribeInstances"],
    "x-acs-version": ["2014-05-26"],
    "x-acs-date": ["2024-01-02T03:04:05Z"],
    "x-acs-signature-nonce": ["0123456789abcdef0123456789abcdef"],
    "x-acs-content-sha256": [sig.EMPTY_SHA256],
}


def _acs3_canonical() -> str:
    return sig.acs3_canonical_request(
        "POST", "/", ACS3_PARAMS, ACS3_HEADERS, ACS3_HEADERS.keys(), sig.EMPTY_SHA256
    )


def test_acs3_canonical_query_matches_vector() -> None:
    assert (
        sig.acs3_canonical_query(ACS3_PARAMS)
        == "InstanceIds=%5B%22i-bp1a2b3c4d5e6f7g8h9i%22%5D&PageSize=10&RegionId=cn-hangzhou"
    )


def test_acs3_string_to_sign_and_signature_match_vector() -> None:
    string_to_sign = sig.acs3_string_to_sign(_acs3_canonical())
    assert (
        string_to_sign == "ACS3-HMAC-SHA256\n97d997c62012a4c55ca7079d9b01376e79ec1a2d2b5b153018999a1f180d9684"
    )
    assert (
        sig.acs3_signature("testsecret", string_to_sign)
        == "adf0fe86520ec2764f2488eb18feba19263818968633153821aaaaa9278c95b4"
    )


def test_acs3_canonical_request_layout_has_blank_line_after_headers() -> None:
    lines = _acs3_canonical().split("\n")
    assert lines[0] == "POST" and lines[1] == "/"
    assert lines[-3] == ""  # CanonicalHeaders ends in \n, so a blank line precedes SignedHeaders
    assert (
        lines[-2] == "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
    )


def test_acs3_repeated_header_values_are_sorted_and_joined() -> None:
    canonical = sig.acs3_canonical_request("GET", "", [], {"x-a": [" b ", "a"]}, ["X-A"], sig.EMPTY_SHA256)
    assert "x-a:a,b\n" in canonical
    assert canonical.split("\n")[1] == "/"


def test_acs3_authorization_parsing() -> None:
    parsed = sig.parse_acs3_authorization(
        "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=ab"
    )
    assert parsed == sig.Acs3Authorization("ACS3-HMAC-SHA256", "AK", ("host", "x-acs-date"), "ab")
    assert sig.parse_acs3_authorization("ACS3-HMAC-SHA256 Credential=AK") is None
    assert sig.parse_acs3_authorization("Bearer abc") is None


V1_PARAMS = [
    ("AccessKeyId", "testid"),
    ("Action", "DescribeRegions"),
    ("Format", "XML"),
    ("SignatureMethod", "HMAC-SHA1"),
    ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
    ("SignatureVersion", "1.0"),
    ("Timestamp", "2016-02-23T12:46:24Z"),
    ("Version", "2014-05-26"),
]


def test_v1_string_to_sign_and_signature_match_doc_vector() -> None:
    string_to_sign = sig.v1_string_to_sign("GET", V1_PARAMS)
    assert string_to_sign == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert sig.v1_signature("testsecret", string_to_sign) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_v1_ignores_signature_and_keeps_blank_values() -> None:
    with_blank = [*V1_PARAMS, ("SignatureType", ""), ("Signature", "whatever")]
    string_to_sign = sig.v1_string_to_sign("GET", with_blank)
    assert "SignatureType%3D%26" in string_to_sign
    assert "whatever" not in string_to_sign
    assert string_to_sign != sig.v1_string_to_sign("GET", V1_PARAMS)


def test_percent_encoding_is_rfc3986() -> None:
    assert sig.percent_encode("a b*~-_.") == "a%20b%2A~-_."
    assert sig.percent_encode("华") == "%E5%8D%8E"
    assert sig.percent_encode("/:") == "%2F%3A"


def test_signatures_equal_rejects_other_values() -> None:
    assert sig.signatures_equal("abc", "abc")
    assert not sig.signatures_equal("abc", "abd")
