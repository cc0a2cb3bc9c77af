"""The HTTP service."""

from icc_assistant.api.app import create_app

__all__ = ["create_app"]
