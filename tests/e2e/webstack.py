"""The handle the browser tests get on whichever stack is running (LocalStack or the in-process fallback)."""

from __future__ import annotations

from dataclasses import dataclass, field

import requests

from ecs_assistant.emulator.control_client import ControlClient


@dataclass
class WebStack:
    """What the browser tests need from whichever stack is running."""

    url: str
    emulator_url: str
    kind: str
    control: ControlClient = field(init=False)

    def __post_init__(self) -> None:
        self.control = ControlClient(self.emulator_url)

    def api(self, path: str, **params: str) -> requests.Response:
        """Ask the API directly (outside the browser) for the truth the page should show."""
        return requests.get(self.url + path, params=params, timeout=15)
