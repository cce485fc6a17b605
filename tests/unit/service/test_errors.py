"""SDK exceptions become the service's stable error codes."""

from __future__ import annotations

from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from darabonba.exceptions import RetryError
from Tea.exceptions import UnretryableException

from ecs_assistant.cloud.errors import CredentialsUnavailable, is_retryable, translate


def client_error(code: str, status: int = 400) -> ClientException:
    return ClientException(status_code=status, code=code, message=f"code: {status}, x request id: R", data={})


def test_throttling_with_retry_after_header() -> None:
    error = translate(
        ThrottlingException(status_code=400, code="Throttling.User", message="m", retry_after=1500)
    )
    assert error.code == "UpstreamThrottled" and error.status == 503
    assert error.retry_after == 1.5
    assert is_retryable(error)


def test_throttling_codes_without_header() -> None:
    error = translate(client_error("Throttling"))
    assert error.code == "UpstreamThrottled" and error.retry_after is None and is_retryable(error)


def test_server_errors_are_unavailable_and_retryable() -> None:
    for code, status in (("ServiceUnavailable", 503), ("InternalError", 500), ("InternalError", 400)):
        error = translate(ServerException(status_code=status, code=code, message="m", data={}))
        assert error.code == "UpstreamUnavailable" and is_retryable(error), code


def test_permission_and_auth_errors_are_not_retried() -> None:
    denied = translate(client_error("Forbidden.RAM", 403))
    assert denied.code == "UpstreamPermissionDenied" and not is_retryable(denied)
    bad_key = translate(client_error("InvalidAccessKeyId.NotFound", 404))
    assert bad_key.code == "UpstreamError" and bad_key.status == 502 and not is_retryable(bad_key)
    expired = translate(client_error("InvalidSecurityToken.Expired"))
    assert expired.code == "UpstreamError"


def test_network_failures() -> None:
    timeout = translate(
        UnretryableException(None, RetryError("HTTPConnectionPool: Read timed out. (read timeout=1)"))
    )
    assert timeout.code == "UpstreamTimeout" and timeout.status == 504 and is_retryable(timeout)
    refused = translate(UnretryableException(None, RetryError("Connection refused")))
    assert refused.code == "UpstreamUnavailable" and is_retryable(refused)
    html = translate(UnretryableException(None, RuntimeError("Failed to parse the value as json format")))
    assert html.code == "UpstreamUnavailable"


def test_credentials_error_inside_sdk_is_unwrapped_and_not_retried() -> None:
    inner = CredentialsUnavailable("No RAM role is attached to this instance.")
    error = translate(UnretryableException(None, inner))
    assert error is inner
    assert not is_retryable(error)


def test_messages_do_not_leak_upstream_text() -> None:
    error = translate(client_error("SignatureDoesNotMatch"))
    assert "string to sign" not in error.message
