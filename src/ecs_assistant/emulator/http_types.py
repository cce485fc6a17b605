"""Transport-neutral request and response values shared by the OpenAPI, metadata and control handlers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Request:
    method: str
    path: str
    target: str  # the request target as received (origin-form or absolute-form)
    query: list[tuple[str, str]]  # blank values kept, '+' decoded as space
    headers: dict[str, list[str]]  # lower-case name -> every value, in order
    body: bytes = b""
    form: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[-1] if values else None


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json;charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    #: Close the socket without answering (fault injection).
    drop_connection: bool = False
