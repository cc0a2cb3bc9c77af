"""Question + passages -> a grounded Answer with numbered citations, with or without a model.

answerer = create_answerer(settings)
answer = answerer.write_answer(AnswerRequest(question="..."), retrieval)
"""

from __future__ import annotations

from icc_assistant.answer.extractive import ExtractiveAnswerer
from icc_assistant.answer.types import (
    AnswerDoneEvent,
    Answerer,
    AnswerEvent,
    AnswerRequest,
    SearchQuery,
    TokenEvent,
)
from icc_assistant.settings import Settings

__all__ = [
    "AnswerDoneEvent",
    "AnswerEvent",
    "AnswerRequest",
    "Answerer",
    "ExtractiveAnswerer",
    "SearchQuery",
    "TokenEvent",
    "create_answerer",
]


def create_answerer(settings: Settings) -> Answerer:
    """A model answerer when ICC_LLM_BASE_URL is set, else the extractive one."""
    if settings.has_model:
        # Imported here: openai and LangChain take about a second to import, which a CLI
        # command or a server answering without a model should not pay.
        from icc_assistant.answer.model import ModelAnswerer

        return ModelAnswerer(settings)
    return ExtractiveAnswerer()
