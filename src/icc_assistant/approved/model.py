"""What an approved answer is: the secretariat's reviewed reply to a recurring question.

A draft is what an admin writes (the question and its variants, the Markdown answer, its
language, its sources, who approved it and when, an optional review-by date, whether it is
active); an `ApprovedAnswer` is a draft as stored, with its id. Every check that does not need
the index happens here, so a bad draft is refused before anything is written.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from icc_assistant.gaps.scrub import EMAIL

MAX_QUESTION_CHARS = 2000
MAX_VARIANTS = 30
MAX_ANSWER_CHARS = 20_000
MAX_SOURCES = 20
MARKER = re.compile(r"\[(\d{1,3})\]")


class Source(BaseModel):
    """A document of the index (`doc_id`) and/or a public web page (`url`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_id: str | None = Field(None, min_length=1, max_length=1000, examples=["ansan.md"])
    url: str | None = Field(
        None, max_length=2000, pattern=r"^https?://[^\s]+$", examples=["https://www.coe.int/"]
    )
    title: str | None = Field(None, min_length=1, max_length=300)

    @model_validator(mode="after")
    def _names_something(self) -> Self:
        if self.doc_id is None and self.url is None:
            raise ValueError("a source needs a doc_id (a document of the index) or a url")
        return self


class ApprovedDraft(BaseModel):
    """An approved answer as an admin writes it."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": "How does a city join the Intercultural Cities programme?",
                    "variants": ["How can our city become a member of the ICC network?"],
                    "answer": "The mayor writes to the ICC secretariat [1].",
                    "language": "en",
                    "sources": [{"url": "https://www.coe.int/en/web/interculturalcities"}],
                    "approved_by": "ICC secretariat",
                    "review_by": "2027-01-31",
                }
            ]
        },
    )

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    variants: tuple[str, ...] = Field(
        (), max_length=MAX_VARIANTS, description="Other wordings of the question, any language."
    )
    answer: str = Field(
        min_length=1,
        max_length=MAX_ANSWER_CHARS,
        description="Markdown; [n] cites the n-th source (the sources are cited at the end"
        " when the text cites none).",
    )
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code of the answer.")
    sources: tuple[Source, ...] = Field((), max_length=MAX_SOURCES)
    approved_by: str = Field(
        min_length=1,
        max_length=100,
        description="Who approved it, as a label ('ICC secretariat', 'Education team'), not a"
        " person's name or address.",
    )
    approved_at: date | None = Field(None, description="The day it was approved; default: today.")
    review_by: date | None = Field(
        None, description="When it should be checked again; past it, it is flagged."
    )
    active: bool = Field(True, description="Served to users; false: retired.")

    @field_validator("question", "answer", "approved_by")
    @classmethod
    def _has_words(cls, value: str) -> str:
        text = value.strip()
        if not any(ch.isalnum() for ch in text):
            raise ValueError("needs words")
        return text

    @field_validator("variants")
    @classmethod
    def _variants(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        kept = [" ".join(v.split()) for v in values]
        for text in kept:
            if not any(ch.isalnum() for ch in text) or len(text) > MAX_QUESTION_CHARS:
                raise ValueError(
                    f"each variant needs words and at most {MAX_QUESTION_CHARS} characters"
                )
        return tuple(dict.fromkeys(kept))

    @field_validator("approved_by")
    @classmethod
    def _a_label(cls, value: str) -> str:
        if EMAIL.search(value):
            raise ValueError("is a label such as 'ICC secretariat', not a person's e-mail address")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        cited = {int(n) for n in MARKER.findall(self.answer)}
        beyond = sorted(n for n in cited if not 1 <= n <= len(self.sources))
        if beyond:
            raise ValueError(
                f"the answer cites [{beyond[0]}] but lists {len(self.sources)} source(s)"
            )
        if self.review_by and self.approved_at and self.review_by < self.approved_at:
            raise ValueError("review_by is before approved_at")
        return self

    @property
    def questions(self) -> tuple[str, ...]:
        """The question, then its variants: every wording a user's question is compared with."""
        return (self.question, *(v for v in self.variants if v != self.question))


class ApprovedAnswer(ApprovedDraft):
    """An approved answer as stored."""

    id: str = Field(description="Stable id, the same after an export and an import.")
    approved_at: date
    updated_at: str = Field(description="When it was last written, ISO 8601 UTC.")

    def is_overdue(self, today: date) -> bool:
        """True when its review-by date has passed: still served, flagged to the secretariat."""
        return self.review_by is not None and self.review_by < today
