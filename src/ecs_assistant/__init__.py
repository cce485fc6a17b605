"""ECS Assistant (ECS小助手): look up Alibaba Cloud ECS instances from a phone or a browser."""

__version__ = "0.1.0"
