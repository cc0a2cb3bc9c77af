"""Typed data shared by every stage: documents, chunks, passages, citations, answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from icc_assistant.fragments import is_pdf, quote_link

DocType = Literal["good_practice", "index_report", "news", "other"]
DOC_TYPES: tuple[DocType, ...] = ("good_practice", "index_report", "news", "other")

ScoreUnit = Literal["percent", "points", "rank"]
FigureSource = Literal["table", "sentence"]

AnswerStatus = Literal["answered", "partial", "no_evidence"]
RetrievalStatus = Literal["found", "no_evidence"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DocumentMeta(_Frozen):
    """What we know about one source document."""

    doc_id: str = Field(description="Stable id: the source path relative to the corpus.")
    title: str
    city: str | None = None
    country: str | None = None
    year: int | None = None
    doc_type: DocType = "other"
    topics: tuple[str, ...] = ()
    language: str = Field("en", description="ISO 639-1 code of the document's language.")
    source: str = Field(description="File name (or, for a synced page, URL) it came from.")
    url: str | None = None
    content_hash: str = Field(description="sha256 of the raw bytes and the sidecar metadata.")
    variant_key: str | None = Field(
        None,
        description="Documents sharing it are language versions of one page (a synced page's"
        " host and path without the language prefix); None: a document of its own.",
    )
    fetched_at: datetime | None = Field(
        None, description="When `sync` fetched this version (UTC); None for files."
    )
    etag: str | None = Field(None, description="ETag the web server sent with this version.")
    last_modified: str | None = Field(
        None, description="Last-Modified the web server sent with this version."
    )


class Chunk(_Frozen):
    """A retrievable piece of one document, with its place in the document's structure."""

    chunk_id: str
    doc_id: str
    ordinal: int = Field(description="Position of the chunk within its document, from 0.")
    text: str = Field(description="Clean text shown to users and quoted in citations.")
    section: str = Field("", description='Heading path, e.g. "LENS > EDUCATION".')
    is_recommendation: bool = Field(
        False, description="Describes practices suggested to the city, often other cities'."
    )
    mentioned_cities: tuple[str, ...] = Field(
        (), description="Cities other than the document's own that the chunk names."
    )
    views: int = Field(0, description="Parts of the chunk embedded on their own as well.")
    sentences: tuple[str, ...] = Field(
        (),
        description="The chunk's quotable sentences, cleaned (ingest/sentences.py): what an"
        " answer without a model quotes. With two or more, each is embedded on its own too.",
    )


class FigureRead(_Frozen):
    """A figure ingest read in a document by its form (ingest/scores.py), before its meaning
    is checked: a table row's, or a quotable sentence's."""

    chunk: int = Field(description="Ordinal of the chunk it was read in.")
    sentence: int | None = Field(
        None, description="Its position in the chunk's sentences; None for a table row."
    )
    label: str = Field("", description="The row's label or the section's heading, as written.")
    indicator: str | None = Field(
        None, description="The ICC indicator its label names by a published name; None: by meaning."
    )
    value: float
    unit: ScoreUnit
    out_of: int | None = None
    sample_value: float | None = None
    ordinal: bool = Field(False, description="A rank written as an ordinal (23rd, 58e, 14°).")
    anchored: bool = Field(
        True,
        description="A sentence's figure that says whose it is: it names the city, compares"
        " with the sample or ranks among a number of cities (a table row always does).",
    )
    quote: str = Field(description="The table row or sentence it was read from.")


class DocumentSignals(_Frozen):
    """What a document's form says of its type, whatever its language (ingest/describe.py)."""

    report: bool = Field(False, description="Laid out as a report: a PDF, or Markdown sections.")
    event_date: bool = Field(
        False, description="Its metadata line gives a day (an event's date: news)."
    )
    practice_line: bool = Field(
        False,
        description="Its metadata line gives a year, a span or a start, not a day (a practice).",
    )
    given: tuple[str, ...] = Field(
        (), description="Fields a sidecar, front matter or fetch set: never inferred again."
    )


class ScoreRow(_Frozen):
    """One figure of a city's ICC Index results, with the row or sentence stating it."""

    city: str | None
    country: str | None = None
    year: int | None = Field(None, description="The report's year.")
    indicator: str = Field(description="ICC indicator id (data/indicators.json).")
    label: str = Field("", description="What the report calls it, in its language.")
    language: str = Field(description="The report's language.")
    value: float
    unit: ScoreUnit = Field(
        description="percent (stated with %), points (a score out of 100) or rank (a place)."
    )
    out_of: int | None = Field(
        None, description="100 for a score out of 100; for a rank, how many cities were ranked."
    )
    sample_value: float | None = Field(None, description="The city sample's score beside it.")
    doc_id: str
    chunk_id: str
    section: str = ""
    title: str
    url: str | None = None
    quote: str = Field(description="The table row or sentence the figure was read from.")


class ParsedDocument(_Frozen):
    """One loaded, cleaned and chunked document, ready to index."""

    meta: DocumentMeta
    text: str = Field(description="The whole cleaned text.")
    chunks: tuple[Chunk, ...]
    figures: tuple[FigureRead, ...] = Field(
        (), description="Figures read by their form; ingest/describe.py keeps the Index results."
    )
    signals: DocumentSignals = Field(default_factory=DocumentSignals)
    scores: tuple[ScoreRow, ...] = Field(
        (), description="The city's Index results, once described (ingest/describe.py)."
    )
    described: bool = Field(
        False, description="Whether type, topics and scores were decided from the vectors."
    )


class Passage(_Frozen):
    """A chunk returned by retrieval, with its document and the score that ranked it."""

    chunk: Chunk
    document: DocumentMeta
    score: float = Field(
        description="Relevance in [0, 1] as retrieval ranked it; higher is better."
    )
    context: str = Field(description="Chunk text, widened with neighbours when short.")
    focus: int | None = Field(
        None,
        description="Which part of the chunk (its views: consecutive sentences of about 500"
        " characters) matched the question best; None when the chunk is one part.",
    )
    sentence_scores: tuple[float, ...] = Field(
        (),
        description="Cosine of each of the chunk's sentences to the question (the best over"
        " the vectors searched), with the passage's ranking corrections; a chunk with one"
        " sentence scores it by the whole chunk.",
    )


class Citation(_Frozen):
    """A numbered source of an answer."""

    number: int
    doc_id: str
    chunk_id: str
    title: str
    city: str | None = None
    country: str | None = None
    year: int | None = None
    doc_type: DocType = "other"
    section: str = ""
    url: str | None = None
    source: str
    quote: str = Field(description="The passage text the claim rests on.")
    language: str = Field("en", description="Language of the quoted passage.")


class EvidenceItem(_Frozen):
    """One quoted sentence of an answer, whole, in its document's language."""

    text: str = Field(description="The sentence, as the document states it.")
    language: str = Field(description="ISO 639-1 code of the sentence's language.")
    citation: int = Field(description="The [n] it is cited as in the answer text.")
    chunk_id: str = Field(description="The passage it was taken from.")
    cities: tuple[str, ...] = Field(
        (),
        description="Other cities than the document's whose practice the sentence describes"
        " (it names them); empty when it is about the document's own city.",
    )


class EvidenceGroup(_Frozen):
    """The sentences an answer quotes from one document, with what a reader needs to open it."""

    citation: int = Field(description="The [n] the document is cited as.")
    doc_id: str
    title: str
    city: str | None = None
    country: str | None = None
    year: int | None = None
    doc_type: DocType = "other"
    url: str | None = None
    language: str = Field("en", description="The document's language.")
    items: tuple[EvidenceItem, ...] = ()

    def quoted_url(self) -> str | None:
        """The document's URL opened at the sentences quoted (a text fragment; see
        fragments.py), or None when it has no public address."""
        if not self.url:
            return None
        pdf = is_pdf(self.url, self.doc_id)
        return quote_link(self.url, [item.text for item in self.items], pdf=pdf)


class ApprovedMark(_Frozen):
    """The approved answer (the secretariat's reviewed reply) an answer serves."""

    id: str = Field(description="The approved answer's id (GET /api/admin/answers/{id}).")
    approved_at: date = Field(description="The day the secretariat approved it.")


class ApprovedMatch(ApprovedMark):
    """An approved answer a question asked for, found instead of passages."""

    score: float = Field(description="The question's similarity to its nearest wording.")


class Answer(_Frozen):
    """A grounded answer with numbered citations."""

    answer_id: str
    text: str = Field(description="Markdown; [n] markers refer to `citations`.")
    language: str = Field(description="ISO 639-1 code of the answer's language.")
    status: AnswerStatus
    citations: tuple[Citation, ...] = ()
    evidence: tuple[EvidenceGroup, ...] = Field(
        (),
        description="The quoted sentences, by document (answers without a model), or the"
        " sentences of the cited passages offered to the model.",
    )
    scores: tuple[ScoreRow, ...] = Field(
        (),
        description="The Index results the answer's table opens with (a question about cities'"
        " scores or ranks), each with the sentence or table row it was read from.",
    )
    model: str | None = Field(None, description="Model that wrote the text; None: extractive.")
    usage: dict[str, int] | None = Field(
        None,
        description="Tokens the model reported (prompt_tokens, completion_tokens,"
        " total_tokens); None when no model wrote the answer or it reported none.",
    )
    notice: str | None = Field(None, description="E.g. why the extractive fallback was used.")
    history_used: bool = Field(
        False,
        description="Whether the earlier conversation was searched with the question (a"
        " follow-up that cannot stand on its own); false when the question was searched alone.",
    )
    uncovered: tuple[str, ...] = Field(
        (),
        description="Cities the question names that no document is about (an answer about the"
        " others says so).",
    )
    approved: ApprovedMark | None = Field(
        None,
        description="Set when the answer is the ICC secretariat's reviewed reply to the"
        " question (an approved answer); null otherwise.",
    )


class Turn(_Frozen):
    """One earlier message of a conversation."""

    role: Literal["user", "assistant"]
    content: str


class Filters(_Frozen):
    """Explicit restrictions a caller puts on retrieval; None means "any"."""

    city: str | None = None
    country: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    doc_type: DocType | None = None
    topic: str | None = None
    language: str | None = None

    def is_empty(self) -> bool:
        """True when no field restricts anything."""
        return all(value is None for value in self.model_dump().values())


GateReason = Literal["relevant", "below_threshold", "off_topic", "uncovered_city", "nothing_found"]


class Gate(_Frozen):
    """How the evidence gate decided whether the material answers a question."""

    score: float | None = Field(
        None,
        description="Relevance judged: the best passage's dense similarity to the question,"
        " measured without the city names in it.",
    )
    threshold: float = Field(
        description="Relevance needed, calibrated on the corpus when the index was built."
    )
    off_topic: float | None = Field(
        None,
        description="The question's similarity to the nearest off-topic probe question; the"
        " best passage may not trail it by more than a small slack.",
    )
    reason: GateReason
    message: str = Field(description="The decision in words.")


class RetrievalResult(_Frozen):
    """What retrieval found for one question."""

    query: str = Field(description="The text that was searched.")
    language: str = Field(description="Detected language of the question.")
    status: RetrievalStatus
    passages: tuple[Passage, ...] = ()
    cities: tuple[str, ...] = Field((), description="Cities recognised in the question.")
    uncovered: tuple[str, ...] = Field((), description="Of those, the cities no document is about.")
    history_used: bool = Field(
        False, description="Whether the earlier question was searched with this one."
    )
    filters: Filters = Field(default_factory=Filters)
    gate: Gate | None = Field(None, description="Why the status is what it is.")
    nearest: tuple[Passage, ...] = Field(
        (), description="Best candidates below the evidence gate, to say what IS covered."
    )
    approved: ApprovedMatch | None = Field(
        None,
        description="The approved answer the question asks for; then nothing was retrieved.",
    )
    # The vectors the search made of the question, and of what it asks without the cities it
    # names (the question's own when it names none), kept in the process so that what follows
    # the search embeds nothing again.
    _vectors: Any = PrivateAttr(default=(None, None))

    def with_vectors(self, question: Any, subject: Any) -> RetrievalResult:
        """This result, carrying the vectors of the question and of its subject."""
        self._vectors = (question, subject)
        return self

    @property
    def question_vector(self) -> Any:
        """The query vector of the searched text, when the search computed it."""
        return self._vectors[0]

    @property
    def subject(self) -> Any:
        """The vector of the question without its cities, when the search computed it."""
        return self._vectors[1]
