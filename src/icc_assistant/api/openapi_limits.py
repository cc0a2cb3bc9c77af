"""The OpenAPI schema states the limits this service applies, taken from its settings.

The request models keep high ceilings that only protect the parser (100,000 characters, 1,000
turns); the configured limits (ICC_MAX_QUESTION_CHARS, ICC_MAX_HISTORY_TURNS,
ICC_MAX_HISTORY_CHARS) are checked after parsing. A schema that showed the ceilings told callers
(and tools that generate clients or tests from it) that a 100,000-character question would do.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from icc_assistant.api.schemas import MOST_SYSTEM_MESSAGES
from icc_assistant.settings import Settings


def advertise_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """`schema` with the question, history and message limits of `settings`."""
    models = schema.get("components", {}).get("schemas", {})

    def limit(model: str, field: str, key: str, value: int, why: str) -> None:
        prop = models.get(model, {}).get("properties", {}).get(field)
        if prop is not None:
            prop[key] = value
            prop["description"] = why

    question = settings.max_question_chars
    limit("ChatRequest", "question", "maxLength", question, f"At most {question} characters.")
    limit("BriefRequest", "question", "maxLength", question, f"At most {question} characters.")
    turns, chars = settings.max_history_turns, settings.max_history_chars
    limit(
        "ChatRequest", "history", "maxItems", turns,
        f"Earlier turns, oldest first: at most {turns}, of {chars} characters in all.",
    )  # fmt: skip
    limit("TurnIn", "content", "maxLength", chars, f"At most {chars} characters in all turns.")
    limit(
        "OpenAIChatRequest", "messages", "maxItems", turns + 1 + MOST_SYSTEM_MESSAGES,
        f"The last user message is the question (at most {question} characters); the user and"
        f" assistant messages before it are the history (at most {turns}, {chars} characters).",
    )  # fmt: skip
    return schema


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` (and so /openapi.json, /docs) state the configured limits."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = advertise_limits(generate(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
