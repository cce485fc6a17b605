"""Fixtures: the service (real APIFlask app, real SDK, real credentials flow) against the emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from ecs_assistant.api import create_app
from ecs_assistant.cloud.ecs import InstanceDirectory
from ecs_assistant.settings import Settings

REGIONS = ("cn-hangzhou", "cn-beijing", "cn-shanghai")


@dataclass
class Service:
    client: FlaskClient
    directory: InstanceDirectory
    settings: Settings

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)


def emulator_settings(emulator: Any, **overrides: Any) -> Settings:
    """Settings pointing at the emulator: its OpenAPI endpoint over http and node 0's metadata service."""
    base = Settings(
        regions=REGIONS,
        endpoint=emulator.endpoint,
        protocol="http",
        metadata_url=emulator.metadata_urls[0],
        node_name="it-node",
        access_log=False,
        retry_base_delay=0.02,
        retry_max_delay=0.2,
        read_timeout=2.0,
        request_deadline=5.0,
    )
    return base.replace(**overrides)


@pytest.fixture
def make_service(emulator: Any) -> Iterator[Callable[..., Service]]:
    made: list[Service] = []

    def make(**overrides: Any) -> Service:
        settings = emulator_settings(emulator, **overrides)
        app = create_app(settings)
        service = Service(app.test_client(), app.extensions["ecs_assistant.directory"], settings)
        made.append(service)
        return service

    yield make
    for service in made:
        service.directory.close()


def describe_calls(emulator: Any) -> int:
    return int(emulator.control.requests_log()["by_action"].get("DescribeInstances", 0))
