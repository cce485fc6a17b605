"""The service's own errors, and the one place where Alibaba SDK exceptions are translated into them.

Each error carries a stable code and an HTTP status so the API can render it without knowing where it
came from; messages are written for people and never contain credentials or tokens.
"""

from __future__ import annotations

import re

from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from darabonba.exceptions import UnretryableException as DaraUnretryableException
from Tea.exceptions import UnretryableException as TeaUnretryableException


class ServiceError(Exception):
    """Base of every error the API renders; ``code`` and ``status`` are part of the public contract."""

    code = "InternalError"
    status = 500
    retryable = False

    def __init__(
        self, message: str, *, retry_after: float | None = None, upstream_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.upstream_code = upstream_code


class InvalidRequest(ServiceError):
    """Bad input; raised by the API layer and by the directory for unknown regions."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class InstanceNotFound(ServiceError):
    code = "InstanceNotFound"
    status = 404


class CredentialsUnavailable(ServiceError):
    """No usable credentials: metadata service unreachable, no role attached, or keys missing."""

    code = "CredentialsUnavailable"
    status = 503
    retryable = True


class UpstreamPermissionDenied(ServiceError):
    """The node's identity may not call DescribeInstances (found by the DryRun probe or a 403)."""

    code = "UpstreamPermissionDenied"
    status = 503


class UpstreamThrottled(ServiceError):
    code = "UpstreamThrottled"
    status = 503
    retryable = True


class UpstreamUnavailable(ServiceError):
    code = "UpstreamUnavailable"
    status = 503
    retryable = True


class UpstreamTimeout(ServiceError):
    code = "UpstreamTimeout"
    status = 504
    retryable = True


class UpstreamError(ServiceError):
    """Alibaba Cloud answered with an error the service cannot act on (bad keys, signature, ...)."""

    code = "UpstreamError"
    status = 502


_PERMISSION_CODES = re.compile(r"^(Forbidden(\..*)?|NoPermission(\..*)?|InvalidUser\.Unauthorized)$")
_AUTH_CODES = re.compile(
    r"^(InvalidAccessKeyId.*|InvalidAccessKeySecret|SignatureDoesNotMatch|IncompleteSignature"
    r"|InvalidSecurityToken.*|MissingSecurityToken|InvalidTimeStamp.*|SignatureNonceUsed)$"
)
_TRANSIENT_CODES = {"ServiceUnavailable", "InternalError", "UnknownError", "ServiceUnavailableTemporary"}

#: Wait suggested to callers (Retry-After) when Alibaba Cloud gave none; ``retry_after`` on an error is
#: set only from Alibaba's own ``x-acs-retry-after`` so the retry loop can tell the two apart.
DEFAULT_RETRY_AFTER = 2.0


def _sdk_text(exc: BaseException) -> str:
    inner = getattr(exc, "inner_exception", None)
    return f"{type(inner).__name__ if inner else ''} {getattr(inner, 'message', '') or inner or exc}"


def translate(exc: BaseException) -> ServiceError:
    """Map one exception raised by an SDK call to a ServiceError (already-translated errors pass through)."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, TeaUnretryableException | DaraUnretryableException):
        inner = getattr(exc, "inner_exception", None)
        if isinstance(inner, ServiceError):
            return inner
        text = _sdk_text(exc).lower()
        if "timed out" in text or "timeout" in text:
            return UpstreamTimeout("Alibaba Cloud did not answer in time.")
        if "parse" in text and "json" in text:
            return UpstreamUnavailable("Alibaba Cloud answered with a non-JSON error page.")
        return UpstreamUnavailable("Alibaba Cloud could not be reached.")
    if isinstance(exc, AlibabaCloudException):
        code = str(getattr(exc, "code", "") or "")
        status = int(getattr(exc, "status_code", 0) or 0)
        retry_after_ms = getattr(exc, "retry_after", None)
        retry_after = (
            retry_after_ms / 1000.0
            if isinstance(retry_after_ms, int | float) and retry_after_ms > 0
            else None
        )
        if isinstance(exc, ThrottlingException) or code.startswith("Throttling") or status == 429:
            return UpstreamThrottled(
                f"Alibaba Cloud is throttling requests ({code or status}).",
                retry_after=retry_after,
                upstream_code=code,
            )
        if code in _TRANSIENT_CODES or status >= 500:
            return UpstreamUnavailable(
                f"Alibaba Cloud is temporarily unavailable ({code or status}).",
                retry_after=retry_after,
                upstream_code=code,
            )
        if _PERMISSION_CODES.match(code):
            return UpstreamPermissionDenied(
                f"This node's RAM role is not allowed to call DescribeInstances ({code}).", upstream_code=code
            )
        if _AUTH_CODES.match(code):
            return UpstreamError(
                f"Alibaba Cloud rejected this node's credentials ({code}).", upstream_code=code
            )
        return UpstreamError(f"Alibaba Cloud returned an error ({code or status}).", upstream_code=code)
    return UpstreamError(f"Unexpected error calling Alibaba Cloud ({type(exc).__name__}).")


def is_retryable(error: ServiceError) -> bool:
    """Throttling, ServiceUnavailable, InternalError, 5xx, timeouts and connection failures are retried."""
    return error.retryable and not isinstance(error, CredentialsUnavailable)


__all__ = [
    "DEFAULT_RETRY_AFTER",
    "CredentialsUnavailable",
    "InstanceNotFound",
    "InvalidRequest",
    "ServiceError",
    "UpstreamError",
    "UpstreamPermissionDenied",
    "UpstreamThrottled",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "is_retryable",
    "translate",
]
