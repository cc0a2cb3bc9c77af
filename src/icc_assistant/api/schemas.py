"""Request and response models of the HTTP API (separate from the domain types)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from icc_assistant.documents import DocType, Filters, ScoreRow, Turn

# Hard ceilings that protect the parser; the configured (smaller) limits are checked after.
_MAX_TEXT = 100_000
_MAX_TURNS = 1_000
# System messages of an OpenAI-style request (not history: they are not answered): at most this
# many, so that the schema can state how many messages a request may hold in all.
MOST_SYSTEM_MESSAGES = 4


class FiltersIn(BaseModel):
    """Restrict the material an answer draws on."""

    model_config = ConfigDict(extra="forbid")

    city: str | None = Field(None, max_length=100, examples=["Ansan"])
    country: str | None = Field(None, max_length=100, examples=["South Korea"])
    year_from: int | None = Field(None, ge=1900, le=2100)
    year_to: int | None = Field(None, ge=1900, le=2100)
    doc_type: DocType | None = None
    topic: str | None = Field(None, max_length=100, examples=["Education"])
    language: str | None = Field(None, pattern=r"^[a-z]{2}$")

    def to_domain(self) -> Filters:
        return Filters(**self.model_dump())


class TurnIn(BaseModel):
    """An earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=_MAX_TEXT)

    def to_domain(self) -> Turn:
        return Turn(role=self.role, content=self.content)


class ChatRequest(BaseModel):
    """A question, with optional history, filters and answer language."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "Comment les villes organisent-elles des campagnes anti-rumeurs ?"},
                {
                    "question": "How many elementary schools are there?",
                    "history": [{"role": "user", "content": "What does Ansan do for schools?"}],
                    "filters": {"city": "Ansan"},
                },
            ]
        },
    )

    question: str = Field(max_length=_MAX_TEXT)
    history: list[TurnIn] = Field(default_factory=list, max_length=_MAX_TURNS)
    filters: FiltersIn | None = None
    language: str | None = Field(
        None, pattern=r"^[a-z]{2}$", description="Force the answer language."
    )
    language_hint: str | None = Field(
        None,
        max_length=35,
        description="The caller's language, e.g. its interface's: the answer language when the"
        " question is too short to tell its own (before Accept-Language).",
        examples=["en"],
    )


class BriefRequest(BaseModel):
    """An enquiry to turn into a briefing note, and the format to deliver it in."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": "Comment les villes mènent-elles des campagnes anti-rumeurs ?",
                    "format": "docx",
                }
            ]
        },
    )

    question: str = Field(max_length=_MAX_TEXT)
    filters: FiltersIn | None = None
    language: str | None = Field(
        None, pattern=r"^[a-z]{2}$", description="Force the note's language."
    )
    language_hint: str | None = Field(
        None,
        max_length=35,
        description="The caller's language: the note's when the question is too short to tell.",
    )
    format: Literal["md", "html", "docx", "json"] = Field(
        "md", description="md, html, docx (a file to download) or json (the note's structure)."
    )

    def as_chat(self) -> ChatRequest:
        """The same enquiry as a chat question (no history)."""
        return ChatRequest(
            question=self.question,
            filters=self.filters,
            language=self.language,
            language_hint=self.language_hint,
        )


class FeedbackIn(BaseModel):
    """A rating of one answer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "answer_id": "f658c3eb7322b0ceebd0bfb79c8cb3bd.9VTKdf6YyEvrKFQkVWCRcp7lFdk",
                    "rating": "down",
                    "reason": "Cites the wrong city",
                }
            ]
        },
    )

    answer_id: str = Field(
        min_length=1,
        max_length=100,
        description="The `answer_id` of the answer rated, as the chat, stream, /v1 or MCP gave it.",
    )
    rating: Literal["up", "down"]
    reason: str | None = Field(None, max_length=2000)
    question: str | None = Field(
        None,
        max_length=4000,
        description="The question answered; its text is kept only with ICC_GAPS_KEEP_TEXT,"
        " scrubbed of e-mail addresses and phone numbers.",
    )


class FeedbackOut(BaseModel):
    """The stored rating's id."""

    id: int


class FacetCount(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    """What the material can be filtered by, with counts of documents."""

    cities: list[FacetCount]
    countries: list[FacetCount]
    topics: list[FacetCount]
    years: list[FacetCount]
    doc_types: list[FacetCount]
    languages: list[FacetCount]


class ScoreList(BaseModel):
    """ICC Index results, each with the document, chunk and quote it was read from."""

    rows: list[ScoreRow]


class OpenAIMessage(BaseModel):
    """A chat message in OpenAI's format (content may be text parts)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if isinstance(p, dict))
        return self.content or ""


class OpenAIChatRequest(BaseModel):
    """The subset of OpenAI's chat completion request this service honours."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": "icc-assistant",
                    "stream": False,
                    "messages": [{"role": "user", "content": "How do cities fight rumours?"}],
                }
            ]
        },
    )

    model: str = Field(max_length=200)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=_MAX_TURNS)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1, le=100_000)
    max_completion_tokens: int | None = Field(None, ge=1, le=100_000)

    @property
    def token_limit(self) -> int | None:
        """The most the model may write: `max_completion_tokens`, or the older `max_tokens`."""
        return self.max_completion_tokens or self.max_tokens


class ErrorBody(BaseModel):
    type: str
    message: str
    request_id: str | None = None


class ErrorResponse(BaseModel):
    """The one shape of every error."""

    error: ErrorBody


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting errors in the common shape."""
    return {code: {"model": ErrorResponse} for code in codes}


# What any chat, search or library route may answer besides success.
ERRORS = error_responses(401, 413, 422, 429, 503)
