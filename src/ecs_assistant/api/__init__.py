"""Inbound HTTP: the APIFlask app factory, routes, one error envelope, metrics and access logs."""

from ecs_assistant.api.app import create_app

__all__ = ["create_app"]
