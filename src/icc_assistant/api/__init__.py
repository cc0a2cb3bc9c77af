"""The HTTP service.

`create_app` is imported when asked for, so that `icc_assistant.api.schemas` (the request
models the command line checks its filters with) comes without the web framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from icc_assistant.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from icc_assistant.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
