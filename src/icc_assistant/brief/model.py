"""The briefing note as data: what every format (Markdown, HTML, DOCX, JSON) is made from."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from icc_assistant.documents import AnswerStatus, ApprovedMark, DocType, Filters, ScoreRow


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BriefQuote(_Frozen):
    """A sentence quoted whole from a document, cited by its source's number."""

    text: str
    language: str = Field(description="ISO 639-1 code of the sentence's language.")
    citation: int = Field(description="The number of its source in `sources`.")
    cities: tuple[str, ...] = Field(
        (), description="Other cities than the document's whose practice the sentence describes."
    )


class BriefDocument(_Frozen):
    """One document's quoted sentences, with what a reader needs to open it."""

    citation: int
    title: str
    year: int | None = None
    url: str | None = None
    quotes: tuple[BriefQuote, ...]


class CityPractices(_Frozen):
    """The practices of one city (None: documents about no one city)."""

    city: str | None
    country: str | None = None
    documents: tuple[BriefDocument, ...]


class BriefScores(_Frozen):
    """A city named in the enquiry and its latest ICC Index results, each row citing the
    report it was read from by its source's number."""

    city: str
    country: str | None = None
    rows: tuple[ScoreRow, ...]
    citations: tuple[int, ...] = Field(description="The number in `sources` of each row's report.")


class BriefSource(_Frozen):
    """A numbered source of the note."""

    number: int
    doc_id: str
    title: str
    city: str | None = None
    country: str | None = None
    year: int | None = None
    doc_type: DocType = "other"
    url: str | None = None
    language: str = "en"


class MaterialState(_Frozen):
    """What the note drew on: the index's size and when it last changed."""

    documents: int
    chunks: int
    last_ingest: datetime | None = Field(
        None, description="When the index's content last changed (its catalog was written)."
    )
    last_sync: datetime | None = Field(None, description="When the newest sync run ended.")
    last_sync_status: str | None = None


class Brief(_Frozen):
    """A briefing note answering a member's enquiry, in the enquirer's language."""

    enquiry: str
    language: str = Field(description="ISO 639-1 code of the note's framing (and summary).")
    created: datetime
    filters: Filters = Field(default_factory=Filters)
    status: AnswerStatus = Field(description="The answer's status: answered, partial, no_evidence.")
    summary: str = Field(description="Markdown; [n] markers refer to `sources`.")
    summary_by: Literal["model", "evidence", "approved"] = Field(
        description="model: written by the configured model, its citations checked as in chat;"
        " evidence: the lead sentences of the answer without a model; approved: the ICC"
        " secretariat's reviewed answer to the enquiry (see `approved`)."
    )
    approved: ApprovedMark | None = Field(
        None, description="The approved answer the summary is, when the enquiry asks for one."
    )
    model: str | None = None
    notice: str | None = None
    scores: tuple[BriefScores, ...] = Field(
        (), description="The Index results of the member cities the enquiry names."
    )
    practices: tuple[CityPractices, ...] = ()
    recommendations: tuple[BriefDocument, ...] = Field(
        (), description="Sentences of Index reports and of Recommendations/Suggestions sections."
    )
    sources: tuple[BriefSource, ...] = ()
    material: MaterialState
