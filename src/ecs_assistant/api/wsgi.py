"""WSGI entry point for uWSGI: ``module = ecs_assistant.api.wsgi:application``.

Settings are read and validated here, so a bad ``ECS_ASSISTANT_*`` value stops uWSGI at start with a
message naming the variable. No thread and no connection is started at import (uWSGI forks afterwards).
"""

from __future__ import annotations

from ecs_assistant.api.app import create_app
from ecs_assistant.settings import Settings

application = create_app(Settings.from_env())
