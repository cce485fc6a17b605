"""Region hints: the ID-prefix table, its validation, and which regions it may point at."""

from __future__ import annotations

import pytest

from ecs_assistant.cloud.region_hints import RegionHints
from ecs_assistant.settings import Settings, SettingsError

SERVED = ("cn-hangzhou", "cn-beijing", "cn-shanghai")


def test_default_table_maps_the_observed_prefixes() -> None:
    hints = RegionHints(Settings().region_hints, SERVED)
    assert hints.region_for("i-bp1abcdefghijklmnopq") == "cn-hangzhou"
    assert hints.region_for("i-2zeabcdefghijklmnopq") == "cn-beijing"
    assert hints.region_for("i-uf6abcdefghijklmnopq") == "cn-shanghai"
    assert hints.region_for("i-zzzabcdefghijklmnopq") is None


def test_hints_for_regions_not_served_are_dropped() -> None:
    hints = RegionHints(Settings().region_hints, SERVED)
    assert hints.region_for("i-wz9abcdefghijklmnopq") is None  # cn-shenzhen is not configured
    assert not RegionHints(("wz9=cn-shenzhen",), SERVED)


def test_longest_prefix_wins() -> None:
    hints = RegionHints(("bp=cn-beijing", "bp1=cn-hangzhou"), SERVED)
    assert hints.region_for("i-bp1xxxxxxxx") == "cn-hangzhou"
    assert hints.region_for("i-bp2xxxxxxxx") == "cn-beijing"


def test_empty_table_disables_hints() -> None:
    settings = Settings.from_env({"ECS_ASSISTANT_REGION_HINTS": ""})
    assert settings.region_hints == ()
    hints = RegionHints(settings.region_hints, SERVED)
    assert not hints and hints.region_for("i-bp1abcdefghijklmnopq") is None


def test_environment_value_is_parsed() -> None:
    settings = Settings.from_env({"ECS_ASSISTANT_REGION_HINTS": " bp1=cn-beijing , uf6=cn-shanghai"})
    assert settings.region_hints == ("bp1=cn-beijing", "uf6=cn-shanghai")
    assert RegionHints(settings.region_hints, SERVED).region_for("i-bp1xxxxxxxx") == "cn-beijing"


def test_bad_tables_are_rejected_with_the_variable_and_each_problem() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {"ECS_ASSISTANT_REGION_HINTS": "bp1,UF6=cn-shanghai,2ze=Beijing,bp1=cn-north,bp1=cn-south"}
        )
    message = str(caught.value)
    assert "ECS_ASSISTANT_REGION_HINTS=" in message
    for bad in ("'bp1' is not prefix=region", "'UF6=cn-shanghai'", "'2ze=Beijing'"):
        assert bad in message
    assert "prefix 'bp1' is mapped to both cn-north and cn-south" in message
    with pytest.raises(SettingsError, match="ECS_ASSISTANT_REGION_HINTS"):
        Settings().replace(region_hints=("nonsense",))
