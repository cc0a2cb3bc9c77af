"""The answer without a model: the most relevant sentences of the top passages, cited.

Sentences are chosen by answer/evidence.py from those stored with each chunk at ingest, ranked
by their own vectors' cosine to the question (no embedding at answer time). They are quoted
whole, grouped by document under its city, title, year and link, one citation number per
document, and framed by short sentences in the user's language. Quotes stay in their original
language; the answer says so when any is in another one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

from icc_assistant import gazetteer
from icc_assistant.answer.citations import citation_for
from icc_assistant.answer.evidence import choose, group
from icc_assistant.answer.messages import message
from icc_assistant.answer.types import AnswerEvent, AnswerRequest, SearchQuery, events_of
from icc_assistant.documents import (
    Answer,
    Citation,
    EvidenceGroup,
    Filters,
    Passage,
    RetrievalResult,
    Turn,
)
from icc_assistant.language import detect_language
from icc_assistant.retrieve.candidates import about_cities

# A relevance this close above the gate's threshold is weak evidence: the answer is "partial".
PARTIAL_MARGIN = 0.01
NEAREST_DOCUMENTS = 3


# A question of this many words or fewer, in a conversation, is told its language together
# with the earlier question: "Et combien de centres y a-t-il ?" alone reads as Spanish.
SHORT_FOLLOW_UP_WORDS = 6


def answer_language(request: AnswerRequest) -> str:
    """The language to answer in: forced, else the question's, told without the city names
    in it (a place name is no clue: "What does Reykjavik do for refugees?" is English); a
    short question in a conversation is read with the earlier user question."""
    if request.language:
        return request.language
    text = request.question
    earlier = [t.content for t in request.history if t.role == "user"]
    if earlier and len(text.split()) <= SHORT_FOLLOW_UP_WORDS:
        text = f"{earlier[-1]}\n{text}"
    return detect_language(gazetteer.without_cities(text))


def condense_without_model(request: AnswerRequest) -> SearchQuery:
    """The question, with the previous user question as context: retrieval carries it along
    only when the question cannot stand on its own (a follow-up keeps its subject)."""
    language = answer_language(request)
    earlier = [t.content for t in request.history if t.role == "user"]
    return SearchQuery(
        text=request.question,
        english=None,
        language=language,
        context=earlier[-1] if earlier else None,
    )


def titled(retrieval: RetrievalResult, language: str) -> RetrievalResult:
    """The retrieval with every untitled document named "<type> — <city>, <year>" in
    `language`, so that sources lists and citations always show a name a reader can place."""
    if all(p.document.title for p in (*retrieval.passages, *retrieval.nearest)):
        return retrieval

    def named(passage: Passage) -> Passage:
        doc = passage.document
        if doc.title:
            return passage
        place = ", ".join(str(x) for x in (doc.city, doc.year) if x)
        kind = message(language, f"doc_type_{doc.doc_type}")
        title = f"{kind} — {place}" if place else kind
        return passage.model_copy(update={"document": doc.model_copy(update={"title": title})})

    return retrieval.model_copy(
        update={
            "passages": tuple(named(p) for p in retrieval.passages),
            "nearest": tuple(named(p) for p in retrieval.nearest),
        }
    )


def no_evidence_answer(language: str, retrieval: RetrievalResult) -> Answer:
    """ "Not covered": the nearest documents by title and link, once each, and what could help
    (leaving out a filter, asking about a city the material covers, rewording)."""
    parts = [message(language, "no_evidence")]
    nearest = _nearest_documents(retrieval.nearest)
    if nearest:
        # Titles and links go on list lines of their own, so the sentences stay wholly in the
        # user's language.
        parts.append(f"{message(language, 'nearest_documents')}\n" + "\n".join(nearest))
    parts.append(_hint(language, retrieval))
    return Answer(
        answer_id=uuid.uuid4().hex,
        text="\n\n".join(parts),
        language=language,
        status="no_evidence",
    )


def _nearest_documents(passages: Sequence[Passage]) -> list[str]:
    """List lines naming the documents of the nearest passages, once each."""
    lines: dict[str, str] = {}
    for passage in passages:
        doc = passage.document
        if doc.doc_id not in lines:
            lines[doc.doc_id] = f"- {document_line(doc.title, doc.url, doc.city, doc.year)}"
    return list(lines.values())[:NEAREST_DOCUMENTS]


def _hint(language: str, retrieval: RetrievalResult) -> str:
    """What could help: the filter to leave out, the uncovered city, what the material is
    about (for a question about something else), or rewording."""
    if retrieval.uncovered:
        return message(language, "hint_city", cities=", ".join(retrieval.uncovered))
    if not retrieval.filters.is_empty():
        return message(language, "hint_filter", filters=describe_filters(retrieval.filters))
    if retrieval.gate is not None and retrieval.gate.reason == "off_topic":
        return message(language, "hint_off_topic")
    return message(language, "hint_rewording")


def coverage_note(language: str, uncovered: Sequence[str]) -> str:
    """The sentence saying which named cities no document is about (the answer covers the
    others)."""
    return message(language, "uncovered_cities", cities=", ".join(uncovered))


def describe_filters(filters: Filters) -> str:
    """The filters in force, as `name: value` pairs."""
    return ", ".join(
        f"{name}: {value}" for name, value in filters.model_dump().items() if value is not None
    )


def document_line(title: str, url: str | None, city: str | None, year: int | None) -> str:
    """A document as one Markdown line: its title, linked when it has a public address, then
    its city and year."""
    name = " ".join(title.replace("[", "(").replace("]", ")").split())
    shown = f"[{name}]({url})" if url else f"*{name}*"
    details = ", ".join(str(x) for x in (city, year) if x)
    return f"{shown} ({details})" if details else shown


class ExtractiveAnswerer:
    """Answers by quoting the most relevant sentences; the embedded default."""

    name = "extractive"
    uses_model = False

    def condense(self, request: AnswerRequest) -> SearchQuery:
        return condense_without_model(request)

    def translate(self, text: str, language: str) -> str | None:
        """Nothing translates without a model: the approved text is given as written."""
        return None

    def check_ready(self) -> str:
        return "extractive mode"

    def write_answer(
        self, request: AnswerRequest, retrieval: RetrievalResult, notice: str | None = None
    ) -> Answer:
        """Quote, group and frame; `notice` explains why no model wrote the answer."""
        language = answer_language(request)
        retrieval = titled(retrieval, language)
        if retrieval.status == "no_evidence" or not retrieval.passages:
            return no_evidence_answer(language, retrieval)
        passages = about_named_cities(retrieval)
        groups = group(passages, choose(passages))
        if not groups:  # nothing quotable in the passages found
            return no_evidence_answer(language, retrieval.model_copy(update={"nearest": passages}))
        weak = is_weak(retrieval)
        return Answer(
            answer_id=uuid.uuid4().hex,
            text=compose(language, groups, weak=weak, notice=notice, uncovered=retrieval.uncovered),
            language=language,
            status="partial" if weak else "answered",
            citations=citations_of(groups, passages),
            evidence=groups,
            notice=notice,
        )

    async def stream_answer(
        self, request: AnswerRequest, retrieval: RetrievalResult
    ) -> AsyncIterator[AnswerEvent]:
        answer = await asyncio.to_thread(self.write_answer, request, retrieval)
        for event in events_of(answer):
            yield event


def compose(
    language: str,
    groups: Sequence[EvidenceGroup],
    *,
    weak: bool,
    notice: str | None,
    uncovered: Sequence[str] = (),
) -> str:
    """The answer's Markdown: a line in the user's language (and one naming the cities asked
    about that no document covers), then per document a heading (city, linked title, year) over
    its quoted sentences, one a line, then notes in italics."""
    lines = [message(language, "intro"), ""]
    if uncovered:
        lines[:0] = [coverage_note(language, uncovered), ""]
    for evidence in groups:
        lines.append(_heading(evidence))
        for item in evidence.items:
            credit = f"**{', '.join(item.cities)}**: " if item.cities else ""
            lines.append(f'- {credit}"{item.text}" [{item.citation}]')
        lines.append("")
    footer = []
    if weak:
        footer.append(message(language, "partial"))
    if any(item.language != language for g in groups for item in g.items):
        footer.append(message(language, "original_language"))
    if notice:
        footer.append(notice)
    lines.extend(f"_{line}_" for line in footer)
    return "\n".join(lines).strip()


def _heading(evidence: EvidenceGroup) -> str:
    place = ", ".join(x for x in (evidence.city, evidence.country) if x)
    title = document_line(evidence.title, evidence.quoted_url(), None, evidence.year)
    return f"**{place}** — {title}" if place else title


def citations_of(
    groups: Sequence[EvidenceGroup], passages: Sequence[Passage]
) -> tuple[Citation, ...]:
    """One citation per document, numbered as the groups are, quoting what the answer quotes."""
    by_chunk = {p.chunk.chunk_id: p for p in passages}
    return tuple(
        citation_for(
            g.citation,
            by_chunk[g.items[0].chunk_id],
            quote=" … ".join(item.text for item in g.items),
        )
        for g in groups
    )


def is_weak(retrieval: RetrievalResult) -> bool:
    """Evidence that only just passed the gate makes a "partial" answer."""
    gate = retrieval.gate
    return (
        gate is not None
        and gate.score is not None
        and gate.score < (gate.threshold + PARTIAL_MARGIN)
    )


def about_named_cities(retrieval: RetrievalResult) -> tuple[Passage, ...]:
    """The passages to quote: for a question naming cities, those about them (the page of the
    city, or a passage describing its practice) when there are some; else all."""
    if not retrieval.cities:
        return retrieval.passages
    about = tuple(
        p for p in retrieval.passages if about_cities(p.document, p.chunk, retrieval.cities)
    )
    return about or retrieval.passages


def history_text(history: Sequence[Turn]) -> str:
    """A conversation as plain lines for prompts."""
    return "\n".join(f"{turn.role}: {turn.content}" for turn in history) or "(none)"
