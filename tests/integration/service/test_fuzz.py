"""schemathesis against /openapi.json: whatever it sends (valid and invalid input), never a 5xx from us.

The app runs in-process over WSGI with the real SDK and the emulator behind it, so generated instance IDs,
regions and filters travel all the way upstream when they pass validation. 502/503/504 would be upstream
failures, which the emulator does not inject here, so any 5xx at all fails the test.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from ecs_assistant.api import create_app

from .conftest import emulator_settings


def check_operation(operation: Any, mode: GenerationMode, examples: int) -> int:
    seen = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        nonlocal seen
        seen += 1
        response = case.call()
        assert response.status_code < 500, (case.path, case.query, response.status_code, response.text[:300])
        if response.status_code >= 400:
            error = response.json()["error"]
            assert set(error) == {"code", "message", "requestId"}, error

    run()
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors(emulator: Any, mode: GenerationMode) -> None:
    app = create_app(emulator_settings(emulator, request_deadline=3.0))
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    total = 0
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            total += check_operation(operation, mode, examples=60)
        except Exception as exc:  # an operation with no negative space cannot generate invalid cases
            if mode is GenerationMode.NEGATIVE and "Unsatisfiable" in type(exc).__name__:
                continue
            raise
    assert operations >= 7
    print(f"schemathesis {mode.value}: {operations} operations, {total} cases")
    assert total >= operations
