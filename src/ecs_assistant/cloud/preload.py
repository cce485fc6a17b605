"""Import the SDK's modules before uWSGI forks, so no worker pays for an import on its first lookup.

uWSGI loads the app once in the master and forks the workers (no ``lazy-apps``); whatever is imported
then is shared copy-on-write by every worker, including one respawned after ``max-requests``. Anything
first imported on a request path is instead paid by each fresh worker on its first lookup, under load.
The SDK modules the lookup path needs are imported here explicitly, so the guarantee does not hang on
which module happens to import what at the top; plus ``_strptime``, which the standard library imports
lazily on the first ``time.strptime`` (parsing the STS expiry) and which then builds a locale regex.

Import and pure computation only: no client, no credentials, no thread, no socket (pre-fork safety).
"""

from __future__ import annotations

import importlib
import time

#: Modules a lookup touches: the ECS client and models, the OpenAPI core, the credentials library,
#: the HTTP runtime underneath them, and the stdlib's lazily imported strptime implementation.
SDK_MODULES: tuple[str, ...] = (
    "alibabacloud_ecs20140526.client",
    "alibabacloud_ecs20140526.models",
    "alibabacloud_tea_openapi.client",
    "alibabacloud_tea_openapi.exceptions",
    "alibabacloud_tea_openapi.utils_models",
    "alibabacloud_credentials.client",
    "alibabacloud_credentials.models",
    "darabonba.core",
    "darabonba.runtime",
    "Tea.exceptions",
    "requests",
    "_strptime",
)

#: The STS ``Expiration`` format (see credentials.py); parsing one builds strptime's regex cache.
_STS_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def preload_sdk() -> None:
    """Import :data:`SDK_MODULES` and warm ``time.strptime``; cheap when already done."""
    for name in SDK_MODULES:
        importlib.import_module(name)
    time.strptime("2000-01-01T00:00:00Z", _STS_TIME_FORMAT)


__all__ = ["SDK_MODULES", "preload_sdk"]
