"""The emulator's parts wired together, independent of any listener: state, faults, log, services."""

from __future__ import annotations

from pathlib import Path

from ecs_assistant.emulator.faults import FaultStore
from ecs_assistant.emulator.metadata import MetadataService
from ecs_assistant.emulator.models import State
from ecs_assistant.emulator.openapi.dispatch import OpenApiService
from ecs_assistant.emulator.request_log import RequestLog


class EmulatorCore:
    def __init__(
        self, world_path: Path | None = None, sts_lifetime: int | None = None, http_tokens: str | None = None
    ) -> None:
        self.state = State(world_path, sts_lifetime, http_tokens)
        self.faults = FaultStore()
        self.log = RequestLog()
        self.openapi = OpenApiService(self.state, self.faults, self.log)
        self.metadata = MetadataService(self.state, self.faults, self.log)

    def reset(self) -> None:
        """Reload the world; clear faults, the request log and seen nonces; default STS lifetime."""
        self.state.reset()
        self.faults.clear()
        self.log.clear()
        self.openapi.auth.nonces.clear()
