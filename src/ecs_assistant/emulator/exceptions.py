"""Alibaba Cloud error codes as exception classes, rendered into the wire body in one place.

Each class carries the HTTP status and the message the real service sends (reference §4.2, §3.4, §3.5).
Handlers raise them; `render_error` turns any of them into the JSON body both SDK generations parse.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar


class AlibabaError(Exception):
    """Base: an OpenAPI error answer. Subclasses fix `code`, `status` and the default message."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "The request processing has failed due to some unknown error."

    def __init__(self, message: str | None = None, *, extra: dict[str, Any] | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.extra = extra or {}
        super().__init__(f"{self.code}: {self.message}")

    @property
    def http_status(self) -> int:
        return self.status

    @property
    def error_code(self) -> str:
        return self.code


class CustomError(AlibabaError):
    """An error with a code and status chosen at run time (fault rules with codes not listed here)."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self._code = code
        self._status = status

    @property
    def http_status(self) -> int:
        return self._status

    @property
    def error_code(self) -> str:
        return self._code


# --- authentication -----------------------------------------------------------------------------------


class InvalidAccessKeyIdNotFound(AlibabaError):
    code = "InvalidAccessKeyId.NotFound"
    status = 404
    default_message = "Specified access key is not found."


class InvalidAccessKeyIdInactive(AlibabaError):
    code = "InvalidAccessKeyId.Inactive"
    status = 400
    default_message = "Specified access key is disabled."


class MissingAccessKeyId(AlibabaError):
    code = "MissingAccessKeyId"
    status = 400
    default_message = "AccessKeyId is mandatory for this action."


class SignatureDoesNotMatch(AlibabaError):
    code = "SignatureDoesNotMatch"
    status = 400
    default_message = "Specified signature is not matched with our calculation."

    def __init__(self, string_to_sign: str) -> None:
        # The legacy SDK splits the message on ':' and compares the tail with its own string to sign;
        # without the colon it crashes with IndexError (reference §4.4).
        super().__init__(f"{self.default_message} server string to sign is:{string_to_sign}")


class IncompleteSignature(AlibabaError):
    code = "IncompleteSignature"
    status = 400
    default_message = "The request signature does not conform to Aliyun standards."

    def __init__(self, detail: str) -> None:
        super().__init__(f"{self.default_message} server string to sign is:{detail}")


class InvalidTimeStampExpired(AlibabaError):
    code = "InvalidTimeStamp.Expired"
    status = 400
    default_message = "Specified time stamp or date value is expired."


class InvalidTimeStampFormat(AlibabaError):
    code = "InvalidTimeStamp.Format"
    status = 400
    default_message = "Specified time stamp or date value is not well formatted."


class SignatureNonceUsed(AlibabaError):
    code = "SignatureNonceUsed"
    status = 400
    default_message = "Specified signature nonce was used already."


class MissingSignatureNonce(AlibabaError):
    code = "MissingSignatureNonce"
    status = 400
    default_message = "SignatureNonce is mandatory for this action."


class InvalidSecurityTokenExpired(AlibabaError):
    code = "InvalidSecurityToken.Expired"
    status = 400
    default_message = "Specified SecurityToken is expired."


class InvalidSecurityTokenMalformed(AlibabaError):
    code = "InvalidSecurityToken.Malformed"
    status = 400
    default_message = "Specified SecurityToken is malformed."


class InvalidSecurityTokenMismatch(AlibabaError):
    code = "InvalidSecurityToken.MismatchWithAccessKey"
    status = 400
    default_message = "Specified SecurityToken mismatch with the AccessKey."


class MissingSecurityToken(AlibabaError):
    code = "MissingSecurityToken"
    status = 400
    default_message = "SecurityToken is mandatory for this action."


# --- routing and parameters ---------------------------------------------------------------------------


class InvalidVersion(AlibabaError):
    code = "InvalidVersion"
    status = 400
    default_message = "Specified parameter Version is not valid."


class InvalidActionNotFound(AlibabaError):
    code = "InvalidAction.NotFound"
    status = 404
    default_message = "Specified api is not found, please check your url and method"


class MissingRegionId(AlibabaError):
    code = "MissingRegionId"
    status = 400
    default_message = "RegionId is mandatory for this action."


class MissingParameter(AlibabaError):
    code = "MissingParameter"
    status = 400

    def __init__(self, name: str) -> None:
        super().__init__(
            f'The input parameter "{name}" that is mandatory for processing this request is not supplied.'
        )


class InvalidParameter(AlibabaError):
    code = "InvalidParameter"
    status = 400

    def __init__(self, name: str) -> None:
        super().__init__(f'The specified parameter "{name}" is not valid.')


class InvalidRegionIdNotFound(AlibabaError):
    code = "InvalidRegionId.NotFound"
    status = 400
    default_message = "The specified RegionId does not exist."


class InvalidStatusNotFound(AlibabaError):
    code = "InvalidStatus.NotFound"
    status = 404
    default_message = "The specified Status is not found."


class InvalidNetworkTypeNotFound(AlibabaError):
    code = "InvalidNetworkType.NotFound"
    status = 404
    default_message = "The specified InstanceNetworkType is not found."


class InvalidInstanceChargeTypeNotFound(AlibabaError):
    code = "InvalidInstanceChargeType.NotFound"
    status = 404
    default_message = "The InstanceChargeType does not exist in our records."


class InvalidTagMismatch(AlibabaError):
    code = "InvalidTag.Mismatch"
    status = 400
    default_message = "The specified Tag.n.Key and Tag.n.Value are not match."


class InvalidTagCount(AlibabaError):
    code = "InvalidTagCount"
    status = 400
    default_message = "The specified tags are beyond the permitted range."


class TooManyInstanceIds(AlibabaError):
    code = "InvalidParameter.TooManyInstanceIds"
    status = 403
    default_message = "Instance ids cannot be more than 100."


class InvalidZoneIdNotFound(AlibabaError):
    code = "InvalidZoneId.NotFound"
    status = 404
    default_message = "The ZoneId provided does not exist in our records."


class DryRunOperation(AlibabaError):
    code = "DryRunOperation"
    status = 400
    default_message = "Request validation has been passed with DryRun flag set."


# --- authorization ------------------------------------------------------------------------------------


class ForbiddenRam(AlibabaError):
    code = "Forbidden.RAM"
    status = 403
    default_message = (
        "User not authorized to operate on the specified resource, or this API doesn't support RAM."
    )


# --- capacity and server faults -----------------------------------------------------------------------


class Throttling(AlibabaError):
    code = "Throttling"
    status = 400
    default_message = "Request was denied due to request throttling."


class ThrottlingUser(AlibabaError):
    code = "Throttling.User"
    status = 400
    default_message = "Request was denied due to user flow control."


class ThrottlingApi(AlibabaError):
    code = "Throttling.Api"
    status = 400
    default_message = "Request was denied due to api flow control."


class ThrottlingResource(AlibabaError):
    code = "Throttling.Resource"
    status = 429
    default_message = "The request throttle by resource operation."


class ServiceUnavailable(AlibabaError):
    code = "ServiceUnavailable"
    status = 503
    default_message = "The request has failed due to a temporary failure of the server."


class InternalError(AlibabaError):
    code = "InternalError"
    status = 500
    default_message = "The request processing has failed due to some unknown error."


_ALL: tuple[type[AlibabaError], ...] = (
    InvalidAccessKeyIdNotFound,
    InvalidAccessKeyIdInactive,
    MissingAccessKeyId,
    InvalidTimeStampExpired,
    InvalidTimeStampFormat,
    SignatureNonceUsed,
    MissingSignatureNonce,
    InvalidSecurityTokenExpired,
    InvalidSecurityTokenMalformed,
    InvalidSecurityTokenMismatch,
    MissingSecurityToken,
    InvalidVersion,
    InvalidActionNotFound,
    MissingRegionId,
    InvalidRegionIdNotFound,
    InvalidStatusNotFound,
    InvalidNetworkTypeNotFound,
    InvalidInstanceChargeTypeNotFound,
    InvalidTagMismatch,
    InvalidTagCount,
    TooManyInstanceIds,
    InvalidZoneIdNotFound,
    DryRunOperation,
    ForbiddenRam,
    Throttling,
    ThrottlingUser,
    ThrottlingApi,
    ThrottlingResource,
    ServiceUnavailable,
    InternalError,
)

#: Known codes with their documented status and message; fault rules use it for defaults.
KNOWN_CODES: dict[str, tuple[int, str]] = {cls.code: (cls.status, cls.default_message) for cls in _ALL}
KNOWN_CODES["SignatureDoesNotMatch"] = (400, SignatureDoesNotMatch.default_message)
KNOWN_CODES["InvalidParameter"] = (400, "The specified parameter is not valid.")


def error_for_code(code: str, status: int | None = None, message: str | None = None) -> AlibabaError:
    """An error for a fault rule: documented status and message unless the rule overrides them."""
    known_status, known_message = KNOWN_CODES.get(code, (500, f"Injected fault {code}."))
    return CustomError(code, status if status is not None else known_status, message or known_message)


JSON_CONTENT_TYPE = "application/json;charset=utf-8"


def render_error(error: AlibabaError, request_id: str, host_id: str) -> tuple[int, bytes]:
    """The one place an error becomes a wire body: `{RequestId, HostId, Code, Message, Recommend}`."""
    body: dict[str, Any] = {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": error.error_code,
        "Message": error.message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.error_code}&product=Ecs",
    }
    body.update(error.extra)
    return error.http_status, json.dumps(body, ensure_ascii=False).encode()
