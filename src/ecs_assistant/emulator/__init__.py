"""A local stand-in for the Alibaba Cloud ECS OpenAPI and the ECS instance metadata service.

The official SDKs talk to it unmodified apart from the endpoint (or through it as an HTTP proxy). This
package deliberately imports nothing from the rest of `ecs_assistant`, so it could be published alone.
"""

from __future__ import annotations

__all__ = ["EmulatorServer"]


def __getattr__(name: str) -> object:
    # Lazy so that `import ecs_assistant.emulator.signature` etc. stays cheap.
    if name == "EmulatorServer":
        from ecs_assistant.emulator.server import EmulatorServer

        return EmulatorServer
    raise AttributeError(name)
