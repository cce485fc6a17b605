"""``ecs-assistant doctor``: can this node look instances up, and if not, what should be fixed?

Checks, in order: metadata service reachable, IMDSv2 token issued, RAM role attached, STS credentials
issued (ram_role mode; other modes: credentials obtainable), ECS endpoint reachable, clock skew against the
endpoint's Date header, and DescribeInstances allowed (DryRun) in every configured region. Every failure
comes with a fix in plain words.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

import requests

from ecs_assistant.cloud.credentials import (
    ROLE_PATH,
    CredentialSource,
    MetadataClient,
    RamRoleCredentialsProvider,
)
from ecs_assistant.cloud.ecs import InstanceDirectory
from ecs_assistant.cloud.errors import ServiceError
from ecs_assistant.settings import Settings


@dataclass
class Check:
    name: str
    status: str  # "ok", "warn", "fail" or "skip"
    detail: str
    fix: str = ""


FIX_METADATA = (
    "Run on an ECS instance, or point ECS_ASSISTANT_METADATA_URL at the emulator's metadata URL (printed by "
    "`ecs-assistant emulator`), or use ECS_ASSISTANT_CREDENTIALS=access_key."
)
FIX_IMDSV2 = (
    "Enable hardened (IMDSv2) metadata access on the instance, or set ECS_ASSISTANT_IMDS_V1_FALLBACK=true "
    "to allow token-less reads."
)
FIX_ROLE = (
    "Attach a RAM role to this instance (ECS console: Instance > Attach/Detach RAM Role) whose policy allows "
    f"ecs:DescribeInstances. Checked {ROLE_PATH}."
)
FIX_KEYS = (
    "Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or a credentials profile, or use "
    "ECS_ASSISTANT_CREDENTIALS=ram_role on an ECS instance."
)
FIX_ENDPOINT = (
    "Check DNS, security groups and outbound rules; inside a VPC without internet access set "
    "ECS_ASSISTANT_USE_VPC_ENDPOINT=true; for the emulator set ECS_ASSISTANT_ENDPOINT and "
    "ECS_ASSISTANT_PROTOCOL=http."
)
FIX_PERMISSION = (
    "Grant the role a policy allowing ecs:DescribeInstances (e.g. system policy AliyunECSReadOnlyAccess); "
    "without it every lookup would look like 'not found'."
)
FIX_CLOCK = "Synchronise the clock (chrony/NTP): requests more than 15 minutes off are rejected."


def check_metadata(settings: Settings) -> list[Check]:
    """Metadata reachable, IMDSv2 token, role attached, STS credentials issued."""
    metadata = MetadataClient(
        settings.metadata_url,
        timeout=max(settings.metadata_timeout, 1.0),
        imds_v1_fallback=settings.imds_v1_fallback,
    )
    checks: list[Check] = []
    try:
        token_status, issued = metadata.probe_token()
    except requests.RequestException as exc:
        return [
            Check(
                "metadata reachable", "fail", f"{settings.metadata_url}: {type(exc).__name__}", FIX_METADATA
            )
        ]
    checks.append(Check("metadata reachable", "ok", f"{settings.metadata_url} answered"))
    if issued:
        checks.append(Check("IMDSv2", "ok", "a session token was issued"))
    else:
        status = "warn" if settings.imds_v1_fallback else "fail"
        checks.append(Check("IMDSv2", status, f"token request answered HTTP {token_status}", FIX_IMDSV2))
        if status == "fail":
            return checks
    provider = RamRoleCredentialsProvider(metadata, role_name=settings.role_name)
    try:
        attached = provider.discover_role()
    except ServiceError as error:
        return [*checks, Check("RAM role attached", "fail", error.message, FIX_ROLE)]
    if settings.role_name and settings.role_name != attached:
        detail = f"attached: {attached!r}; ECS_ASSISTANT_ROLE_NAME: {settings.role_name!r}"
        fix = "Set ECS_ASSISTANT_ROLE_NAME to the attached role, or leave it empty."
        return [*checks, Check("RAM role attached", "fail", detail, fix)]
    checks.append(Check("RAM role attached", "ok", attached))
    try:
        left = provider.current().remaining(time.time())
    except ServiceError as error:
        return [*checks, Check("STS credentials", "fail", error.message, FIX_ROLE)]
    checks.append(Check("STS credentials", "ok", f"issued for {attached}; expire in {left / 60:.0f} min"))
    return checks


def check_other_credentials(settings: Settings) -> list[Check]:
    skipped = Check("metadata service", "skip", f"credentials mode is {settings.credentials}")
    try:
        CredentialSource(settings).ensure()
    except ServiceError as error:
        return [skipped, Check("credentials", "fail", error.message, FIX_KEYS)]
    return [skipped, Check("credentials", "ok", f"{settings.credentials} mode")]


def endpoint_host(settings: Settings) -> str:
    region = settings.default_region
    if settings.endpoint:
        return settings.endpoint
    return f"ecs-vpc.{region}.aliyuncs.com" if settings.use_vpc_endpoint else f"ecs.{region}.aliyuncs.com"


def check_endpoint_and_clock(settings: Settings) -> list[Check]:
    """Any HTTP answer proves the endpoint reachable; its Date header measures our clock skew."""
    host = endpoint_host(settings)
    url = f"{settings.protocol}://{host}/"
    try:
        response = requests.get(url, timeout=(settings.connect_timeout, settings.read_timeout))
    except requests.RequestException as exc:
        return [
            Check("endpoint reachable", "fail", f"{url}: {type(exc).__name__}", FIX_ENDPOINT),
            Check("clock skew", "skip", "endpoint not reachable"),
        ]
    checks = [Check("endpoint reachable", "ok", f"{url} answered HTTP {response.status_code}")]
    date = response.headers.get("Date")
    if not date:
        return [*checks, Check("clock skew", "skip", "the endpoint sent no Date header")]
    skew = time.time() - email.utils.parsedate_to_datetime(date).timestamp()
    status = "fail" if abs(skew) > 900 else "warn" if abs(skew) > 60 else "ok"
    return [
        *checks,
        Check("clock skew", status, f"{skew:+.1f} s against {host}", FIX_CLOCK if status != "ok" else ""),
    ]


def check_permission(settings: Settings) -> list[Check]:
    """DryRun DescribeInstances in every configured region."""
    checks: list[Check] = []
    directory = InstanceDirectory(settings)
    try:
        for region in settings.regions:
            name = f"DescribeInstances allowed ({region})"
            permission = directory.check_permission(region, force=True)
            if permission.allowed:
                checks.append(Check(name, "ok", "DryRun passed"))
            elif permission.allowed is False:
                detail = f"the RAM role may not call ecs:DescribeInstances ({permission.code})"
                checks.append(Check(name, "fail", detail, FIX_PERMISSION))
            else:
                detail = f"the DryRun probe failed: {permission.code}: {permission.message}"
                checks.append(
                    Check(
                        name, "fail", detail, "See the checks above; retry when Alibaba Cloud is reachable."
                    )
                )
    finally:
        directory.close()
    return checks


def run_checks(settings: Settings) -> list[Check]:
    """Each check says what it found and, when it fails, what to do about it in plain words."""
    checks = (
        check_metadata(settings) if settings.credentials == "ram_role" else check_other_credentials(settings)
    )
    checks += check_endpoint_and_clock(settings)
    if any(check.status == "fail" for check in checks):
        return [*checks, Check("DescribeInstances allowed", "skip", "fix the failures above first")]
    return checks + check_permission(settings)


__all__ = ["Check", "run_checks"]
