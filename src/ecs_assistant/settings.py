"""Every setting of the lookup service, in one typed table, read from ``ECS_ASSISTANT_*`` variables.

The table (:data:`SETTINGS`) is the single source of truth: :class:`Settings` is built from it, the
README section is generated from it (:func:`render_markdown_table`), and a test keeps both in step.
Values are validated when the service starts, and every problem is reported at once, naming the
variable, so a typo in a deployment template fails loudly instead of at the first request.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "ECS_ASSISTANT_"

_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """One or more settings are invalid; the message lists each one with its variable name."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  - {problem}" for problem in problems))


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the settings table."""

    name: str
    type: str  # "str", "int", "float", "bool", "list" or "choice"
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    secret: bool = False
    check: Callable[[Any], str | None] | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    def default_text(self) -> str:
        if self.type == "list":
            return ",".join(self.default)
        if self.type == "bool":
            return "true" if self.default else "false"
        return str(self.default)


def _check_regions(value: tuple[str, ...]) -> str | None:
    if not value:
        return "at least one region is required"
    bad = [region for region in value if not _REGION.fullmatch(region)]
    return f"not a region ID: {', '.join(bad)}" if bad else None


_HINT_PREFIX = re.compile(r"^[0-9a-z]{1,16}$")


def parse_region_hints(items: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """``("bp1=cn-hangzhou", ...)`` as {prefix: region}, plus one problem text per bad item."""
    hints: dict[str, str] = {}
    problems: list[str] = []
    for item in items:
        prefix, sep, region = (part.strip() for part in item.partition("="))
        if not sep or not _HINT_PREFIX.fullmatch(prefix) or not _REGION.fullmatch(region):
            problems.append(f"{item!r} is not prefix=region (e.g. bp1=cn-hangzhou)")
        elif hints.get(prefix, region) != region:
            problems.append(f"prefix {prefix!r} is mapped to both {hints[prefix]} and {region}")
        else:
            hints[prefix] = region
    return hints, problems


def _check_region_hints(value: tuple[str, ...]) -> str | None:
    problems = parse_region_hints(value)[1]
    return "; ".join(problems) if problems else None


def _check_endpoint(value: str) -> str | None:
    if value and not _HOST_PORT.fullmatch(value):
        return "expected host[:port] without a scheme, e.g. 127.0.0.1:18000"
    return None


def _check_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected an http(s) URL such as http://100.100.100.200"
    return None


def _check_role(value: str) -> str | None:
    if value and not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", value):
        return "not a RAM role name"
    return None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "regions",
        "list",
        ("cn-hangzhou",),
        "Comma-separated region IDs to serve; the first is the default "
        "for listing. Lookups without a region try the remembered or hinted region first, "
        "then search the others concurrently.",
        check=_check_regions,
    ),
    Setting(
        "region_hints",
        "list",
        ("bp1=cn-hangzhou", "2ze=cn-beijing", "uf6=cn-shanghai", "wz9=cn-shenzhen"),
        "Comma-separated prefix=region pairs: an instance ID whose characters after `i-` start with "
        "the prefix is looked for first in that region (when configured), and only if absent there in "
        "the others. An observed, undocumented ID pattern: a wrong hint costs one extra call, never a "
        "wrong answer. Empty: search every configured region at once.",
        check=_check_region_hints,
    ),
    Setting(
        "endpoint",
        "str",
        "",
        "ECS OpenAPI host[:port] used for every region (e.g. the emulator's "
        "127.0.0.1:18000). Empty: the SDK's regional endpoint.",
        check=_check_endpoint,
    ),
    Setting("protocol", "choice", "https", "Scheme for ECS OpenAPI calls.", choices=("https", "http")),
    Setting(
        "use_vpc_endpoint",
        "bool",
        False,
        "Use the VPC endpoint ecs-vpc.{region}.aliyuncs.com (ignored when ECS_ASSISTANT_ENDPOINT is set).",
    ),
    Setting(
        "connect_timeout",
        "float",
        3.0,
        "Seconds to wait for a connection to the ECS OpenAPI.",
        minimum=0.05,
        maximum=60,
    ),
    Setting(
        "read_timeout", "float", 5.0, "Seconds to wait for one ECS OpenAPI answer.", minimum=0.05, maximum=120
    ),
    Setting(
        "request_deadline",
        "float",
        10.0,
        "Total seconds one lookup may spend upstream, retries included.",
        minimum=0.1,
        maximum=300,
    ),
    Setting(
        "max_attempts",
        "int",
        4,
        "Attempts per upstream call (1 = no retry) for throttling, "
        "ServiceUnavailable, InternalError and timeouts.",
        minimum=1,
        maximum=10,
    ),
    Setting(
        "retry_base_delay",
        "float",
        0.2,
        "First retry backoff in seconds; doubles per attempt, with full "
        "jitter. x-acs-retry-after overrides it.",
        minimum=0,
        maximum=30,
    ),
    Setting("retry_max_delay", "float", 2.0, "Upper bound of one backoff in seconds.", minimum=0, maximum=60),
    Setting(
        "credentials",
        "choice",
        "ram_role",
        "Where credentials come from: ram_role (the node's RAM role via "
        "the metadata service), default_chain (alibabacloud-credentials: env, profiles, OIDC, ...), "
        "access_key (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET and optional ALIBABA_CLOUD_SECURITY_TOKEN).",
        choices=("ram_role", "default_chain", "access_key"),
    ),
    Setting(
        "metadata_url",
        "str",
        "http://100.100.100.200",
        "Base URL of the instance metadata service (ram_role mode).",
        check=_check_url,
    ),
    Setting(
        "role_name",
        "str",
        "",
        "RAM role name; empty: discovered from the metadata service.",
        check=_check_role,
    ),
    Setting("metadata_timeout", "float", 1.0, "Seconds per metadata request.", minimum=0.05, maximum=30),
    Setting(
        "imds_v1_fallback",
        "bool",
        False,
        "Fall back to token-less (IMDSv1) metadata reads when no IMDSv2 token can be obtained.",
    ),
    Setting(
        "credentials_refresh_margin",
        "float",
        600.0,
        "Refresh STS credentials this many seconds before they expire (at most a fifth of their lifetime).",
        minimum=1,
        maximum=21600,
    ),
    Setting(
        "cache_ttl",
        "float",
        10.0,
        "Seconds a looked-up instance is served from the cache.",
        minimum=0,
        maximum=86400,
    ),
    Setting(
        "negative_cache_ttl",
        "float",
        3.0,
        "Seconds a not-found answer is remembered.",
        minimum=0,
        maximum=3600,
    ),
    Setting(
        "stale_ttl",
        "float",
        3600.0,
        "Seconds an expired entry may still be served, marked STALE, while Alibaba Cloud fails.",
        minimum=0,
        maximum=604800,
    ),
    Setting(
        "cache_max_entries",
        "int",
        10000,
        "Most instances kept in each worker's cache.",
        minimum=1,
        maximum=10_000_000,
    ),
    Setting(
        "permission_check_ttl",
        "float",
        60.0,
        "Seconds a DryRun permission probe result is reused.",
        minimum=0,
        maximum=86400,
    ),
    Setting("node_name", "str", "", "Name sent in X-Served-By; empty: the host name."),
    Setting("log_level", "choice", "INFO", "Log level.", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    Setting("access_log", "bool", True, "Write one JSON access-log line per request to stderr."),
    Setting(
        "api_keys",
        "list",
        (),
        "Comma-separated API keys; when set, /api and /ecs routes need "
        "X-API-Key or Authorization: Bearer <key>. Empty: no authentication.",
        secret=True,
    ),
    Setting(
        "cors_origins",
        "list",
        (),
        "Comma-separated origins allowed by CORS (* for any); empty: no CORS headers.",
    ),
    Setting(
        "trusted_proxies",
        "int",
        0,
        "Number of reverse proxies in front (nginx = 1) whose X-Forwarded-* headers are trusted.",
        minimum=0,
        maximum=5,
    ),
    Setting("host", "str", "127.0.0.1", "Listen address of `ecs-assistant serve`."),
    Setting("port", "int", 8000, "Listen port of `ecs-assistant serve`.", minimum=1, maximum=65535),
)


_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _default(name: str) -> Any:
    """A field's default, taken from the table so the dataclass cannot drift from it."""
    return _BY_NAME[name].default


@dataclass(frozen=True, slots=True)
class Settings:
    """Validated settings; build with :meth:`from_env`, adjust in tests with :meth:`replace`."""

    regions: tuple[str, ...] = _default("regions")
    region_hints: tuple[str, ...] = _default("region_hints")
    endpoint: str = _default("endpoint")
    protocol: str = _default("protocol")
    use_vpc_endpoint: bool = _default("use_vpc_endpoint")
    connect_timeout: float = _default("connect_timeout")
    read_timeout: float = _default("read_timeout")
    request_deadline: float = _default("request_deadline")
    max_attempts: int = _default("max_attempts")
    retry_base_delay: float = _default("retry_base_delay")
    retry_max_delay: float = _default("retry_max_delay")
    credentials: str = _default("credentials")
    metadata_url: str = _default("metadata_url")
    role_name: str = _default("role_name")
    metadata_timeout: float = _default("metadata_timeout")
    imds_v1_fallback: bool = _default("imds_v1_fallback")
    credentials_refresh_margin: float = _default("credentials_refresh_margin")
    cache_ttl: float = _default("cache_ttl")
    negative_cache_ttl: float = _default("negative_cache_ttl")
    stale_ttl: float = _default("stale_ttl")
    cache_max_entries: int = _default("cache_max_entries")
    permission_check_ttl: float = _default("permission_check_ttl")
    node_name: str = _default("node_name")
    log_level: str = _default("log_level")
    access_log: bool = _default("access_log")
    api_keys: tuple[str, ...] = _default("api_keys")
    cors_origins: tuple[str, ...] = _default("cors_origins")
    trusted_proxies: int = _default("trusted_proxies")
    host: str = _default("host")
    port: int = _default("port")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every ``ECS_ASSISTANT_*`` variable; raise SettingsError listing all problems."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for setting in SETTINGS:
            raw = env.get(setting.env)
            if raw is None:
                values[setting.name] = setting.default
                continue
            try:
                values[setting.name] = _parse(setting, raw)
            except ValueError as exc:
                shown = "<redacted>" if setting.secret else repr(raw)
                problems.append(f"{setting.env}={shown}: {exc}")
        if problems:
            raise SettingsError(problems)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed, validated like the environment."""
        updated = dataclasses.replace(self, **changes)
        problems = [
            f"{setting.env}: {problem}"
            for setting in SETTINGS
            if (problem := _validate(setting, getattr(updated, setting.name)))
        ]
        if problems:
            raise SettingsError(problems)
        return updated

    @property
    def served_by(self) -> str:
        """The node name for X-Served-By."""
        return self.node_name or socket.gethostname()

    @property
    def default_region(self) -> str:
        return self.regions[0]

    def public_view(self) -> dict[str, Any]:
        """All values with secrets redacted, for `ecs-assistant settings --values`."""
        view: dict[str, Any] = {}
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            if setting.secret and value:
                value = "<redacted>"
            elif isinstance(value, tuple):
                value = list(value)
            view[setting.env] = value
        return view


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """``ECS_ASSISTANT_*`` variables that name no setting: likely typos, reported as warnings."""
    env = os.environ if environ is None else environ
    known = {setting.env for setting in SETTINGS}
    return sorted(name for name in env if name.startswith(ENV_PREFIX) and name not in known)


def _parse(setting: Setting, raw: str) -> Any:
    text = raw.strip()
    value: Any
    if setting.type == "bool":
        if text.lower() in _TRUE:
            value = True
        elif text.lower() in _FALSE:
            value = False
        else:
            raise ValueError("expected true or false")
    elif setting.type == "int":
        try:
            value = int(text)
        except ValueError:
            raise ValueError("expected a whole number") from None
    elif setting.type == "float":
        try:
            value = float(text)
        except ValueError:
            raise ValueError("expected a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
    elif setting.type == "list":
        value = tuple(item.strip() for item in text.split(",") if item.strip())
    elif setting.type == "choice":
        match = next((choice for choice in setting.choices if choice.lower() == text.lower()), None)
        if match is None:
            raise ValueError(f"expected one of {', '.join(setting.choices)}")
        value = match
    else:
        value = text
    problem = _validate(setting, value)
    if problem:
        raise ValueError(problem)
    return value


def _validate(setting: Setting, value: Any) -> str | None:
    if setting.type in ("int", "float") and isinstance(value, int | float):
        if setting.minimum is not None and value < setting.minimum:
            return f"must be at least {setting.minimum:g}"
        if setting.maximum is not None and value > setting.maximum:
            return f"must be at most {setting.maximum:g}"
    if setting.type == "choice" and value not in setting.choices:
        return f"expected one of {', '.join(setting.choices)}"
    if setting.check is not None:
        return setting.check(value)
    return None


def render_markdown_table() -> str:
    """The README's settings table, generated from :data:`SETTINGS`."""
    lines = ["| Variable | Type | Default | Description |", "|---|---|---|---|"]
    for setting in SETTINGS:
        kind = " \\| ".join(setting.choices) if setting.type == "choice" else setting.type
        default = setting.default_text()
        shown_default = f"`{default}`" if default else "(empty)"
        description = setting.help.replace("|", "\\|")
        lines.append(f"| `{setting.env}` | {kind} | {shown_default} | {description} |")
    return "\n".join(lines) + "\n"


__all__ = [
    "ENV_PREFIX",
    "SETTINGS",
    "Setting",
    "Settings",
    "SettingsError",
    "parse_region_hints",
    "render_markdown_table",
    "unknown_variables",
]
