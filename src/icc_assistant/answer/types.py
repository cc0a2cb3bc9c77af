"""What the answer stage takes and gives."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from icc_assistant.documents import Answer, RetrievalResult, Turn


class AnswerRequest(BaseModel):
    """A question, the conversation before it, and optionally a forced answer language."""

    model_config = ConfigDict(frozen=True)

    question: str
    history: tuple[Turn, ...] = ()
    language: str | None = None
    max_tokens: int | None = None  # the most a model may write; no bound on quotes


class SearchQuery(BaseModel):
    """What to search for: a standalone query, an English one if known, the user's language.

    A model condensing a conversation decides whether the question needed the conversation
    (`history_used`); without a model, `context` carries the earlier question and retrieval
    decides (retrieve/retriever.py)."""

    text: str
    english: str | None = None
    language: str
    context: str | None = None  # the earlier user question, when retrieval is to decide
    history_used: bool = False  # the model folded the conversation into `text`


class TokenEvent(BaseModel):
    """A piece of the answer text, as it is written."""

    kind: Literal["token"] = "token"
    text: str


class AnswerDoneEvent(BaseModel):
    """The final answer; its text is the concatenation of the tokens sent before it."""

    kind: Literal["done"] = "done"
    answer: Answer


AnswerEvent = TokenEvent | AnswerDoneEvent


def events_of(answer: Answer) -> Iterator[AnswerEvent]:
    """A finished answer as a stream: its text a line at a time, then the answer. A line, not a
    word: the text is all there already, and each event costs a JSON encoding, an SSE frame
    and a socket write (about 170 a word at a time for a typical answer, 20 a line)."""
    for piece in re.findall(r"[^\n]*\n|[^\n]+", answer.text):
        yield TokenEvent(text=piece)
    yield AnswerDoneEvent(answer=answer)


class Answerer(Protocol):
    """Writes grounded, cited answers: extractively, or with a chat model."""

    name: str
    uses_model: bool

    def condense(self, request: AnswerRequest) -> SearchQuery:
        """A standalone search query from the question and its history."""
        ...

    def write_answer(self, request: AnswerRequest, retrieval: RetrievalResult) -> Answer:
        """The complete answer."""
        ...

    def stream_answer(
        self, request: AnswerRequest, retrieval: RetrievalResult
    ) -> AsyncIterator[AnswerEvent]:
        """Tokens as they come, then one AnswerDoneEvent."""
        ...

    def check_ready(self) -> str:
        """ "extractive mode" or "model reachable"; raises ModelUnavailableError."""
        ...

    def translate(self, text: str, language: str) -> str | None:
        """`text` (an approved answer) in `language`, changed in nothing else; None without a
        model or when the model failed."""
        ...
