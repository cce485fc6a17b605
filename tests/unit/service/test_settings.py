"""The settings table: parsing, validation messages, and the README kept in step."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ecs_assistant.settings import SETTINGS, Settings, SettingsError, render_markdown_table, unknown_variables

README = Path(__file__).resolve().parents[3] / "README.md"


def test_table_and_dataclass_agree() -> None:
    fields = {field.name: field.default for field in dataclasses.fields(Settings)}
    assert list(fields) == [setting.name for setting in SETTINGS]
    for setting in SETTINGS:
        assert fields[setting.name] == setting.default, setting.name
        assert setting.help.strip(), setting.name


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.regions == ("cn-hangzhou",)
    assert settings.metadata_url == "http://100.100.100.200"
    assert settings.cache_ttl == 10.0


def test_values_are_parsed_and_typed() -> None:
    settings = Settings.from_env(
        {
            "ECS_ASSISTANT_REGIONS": " cn-beijing, cn-hangzhou ,",
            "ECS_ASSISTANT_ENDPOINT": "127.0.0.1:18000",
            "ECS_ASSISTANT_PROTOCOL": "HTTP",
            "ECS_ASSISTANT_CACHE_TTL": "2.5",
            "ECS_ASSISTANT_MAX_ATTEMPTS": "2",
            "ECS_ASSISTANT_USE_VPC_ENDPOINT": "yes",
            "ECS_ASSISTANT_CREDENTIALS": "access_key",
        }
    )
    assert settings.regions == ("cn-beijing", "cn-hangzhou")
    assert settings.default_region == "cn-beijing"
    assert settings.protocol == "http"
    assert settings.cache_ttl == 2.5
    assert settings.max_attempts == 2
    assert settings.use_vpc_endpoint is True
    assert settings.credentials == "access_key"


def test_every_problem_is_reported_with_its_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "ECS_ASSISTANT_REGIONS": "",
                "ECS_ASSISTANT_PORT": "eighty",
                "ECS_ASSISTANT_PROTOCOL": "ftp",
                "ECS_ASSISTANT_ENDPOINT": "http://127.0.0.1:1",
                "ECS_ASSISTANT_METADATA_URL": "100.100.100.200",
                "ECS_ASSISTANT_CACHE_TTL": "-1",
                "ECS_ASSISTANT_ACCESS_LOG": "maybe",
                "ECS_ASSISTANT_API_KEYS": "",
            }
        )
    message = str(caught.value)
    for name in ("REGIONS", "PORT", "PROTOCOL", "ENDPOINT", "METADATA_URL", "CACHE_TTL", "ACCESS_LOG"):
        assert f"ECS_ASSISTANT_{name}=" in message
    assert len(caught.value.problems) == 7
    assert "expected one of https, http" in message


def test_secret_values_are_never_echoed() -> None:
    settings = Settings.from_env({"ECS_ASSISTANT_API_KEYS": "s3cr3t-key"})
    assert settings.api_keys == ("s3cr3t-key",)
    assert "s3cr3t-key" not in str(settings.public_view())


def test_replace_validates() -> None:
    assert Settings().replace(cache_ttl=1.0).cache_ttl == 1.0
    with pytest.raises(SettingsError, match="ECS_ASSISTANT_MAX_ATTEMPTS: must be at least 1"):
        Settings().replace(max_attempts=0)


def test_unknown_variables_are_found() -> None:
    assert unknown_variables(
        {"ECS_ASSISTANT_CACHE_TL": "1", "ECS_ASSISTANT_CACHE_TTL": "1", "PATH": "/"}
    ) == ["ECS_ASSISTANT_CACHE_TL"]


def test_readme_matches_the_settings_table() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- settings:start -->", "<!-- settings:end -->"
    section = text[text.index(start) + len(start) : text.index(end)]
    assert section.strip() == render_markdown_table().strip(), (
        "regenerate with `ecs-assistant settings --markdown`"
    )
    for setting in SETTINGS:
        assert f"`{setting.env}`" in section
