"""Enquiry -> Brief: the Assistant's answer (its summary, checked as chat checks it), the
practices of other cities and the ICC's recommendations, each quoted whole and numbered.

The answer goes through the Assistant's own path (condense, approved answers, retrieve,
answer), so a model's citations are validated exactly as in chat, an enquiry that asks for an
approved answer gets the secretariat's reviewed reply as its summary, and an enquiry nothing
answers is recorded as a gap. The note then sorts the quotable sentences by what the material
says of them, never by the question: a sentence of an Index report, or one under a
Recommendations/Suggestions heading, is ICC advice; any other is a city's practice. Practices
are also searched among good-practice pages on their own, as an answer to an enquiry tends to
rank the Index reports first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal

from icc_assistant.answer import AnswerRequest
from icc_assistant.answer.evidence import RELEVANCE_BAND, choose, group
from icc_assistant.answer.extractive import about_named_cities
from icc_assistant.assistant import Assistant
from icc_assistant.brief.material import material_state
from icc_assistant.brief.model import (
    Brief,
    BriefDocument,
    BriefQuote,
    BriefScores,
    BriefSource,
    CityPractices,
)
from icc_assistant.documents import (
    Answer,
    Citation,
    EvidenceGroup,
    Filters,
    Passage,
    RetrievalResult,
    ScoreRow,
)
from icc_assistant.retrieve.scores import latest_results

LEAD_SENTENCES = 3  # quotes the summary gives when no model writes it
# Practices: each city's best sentences, so that an enquiry asking which cities did something
# lists the cities whose pages describe it rather than several pages of one city.
PRACTICES_PER_CITY = 2
PRACTICE_ITEMS = 10
PRACTICE_BUDGET = 2600  # characters of practice quotes


def build_brief(
    assistant: Assistant,
    request: AnswerRequest,
    filters: Filters | None = None,
    now: datetime | None = None,
) -> Brief:
    """The briefing note for one enquiry."""
    retrieval = assistant.retrieve_for(request, filters)
    # The note gives the results in a section of their own (_city_scores), not as chat's table.
    answer = assistant.answer(request, retrieval, score_table=False)
    found = retrieval.passages if retrieval.status == "found" else ()
    pages = _unique([p for p in found if not is_advice(p)] + _practice_pages(assistant, retrieval))
    practice = about_named_cities(retrieval.model_copy(update={"passages": tuple(pages)}))
    # Advice is held to the answer's own bar (what a chat answer would quote of it), so an
    # Index report's recommendations on another subject stay out. Practices are chosen among
    # good-practice pages on their own: ranked beside a report written in the enquiry's
    # language, a page in another language would always trail, and listing the other
    # cities' practices is what the note is for.
    best = max((p.score for p in found), default=0.0)
    advice = [p for p in found if is_advice(p) and p.score >= best - RELEVANCE_BAND]
    sources = _Sources(answer.citations)
    by_model = answer.model is not None or answer.approved is not None
    summary = answer.text if by_model or not answer.evidence else lead_sentences(answer)
    # A sentence is quoted once in a note: the summary's key evidence is not repeated under a
    # city or a recommendation, nor a practice under the recommendations.
    quoted = [item.text for g in answer.evidence[:LEAD_SENTENCES] for item in g.items[:1]]
    quoted = [] if by_model else quoted
    chosen = choose(
        practice,
        per_city=PRACTICES_PER_CITY,
        max_items=PRACTICE_ITEMS,
        budget=PRACTICE_BUDGET,
        already=quoted,
    )
    practices = [(g, sources.document(g)) for g in group(practice, chosen)]
    quoted += [item.text for g, _ in practices for item in g.items]
    advice_quotes = choose(advice, already=quoted)
    recommendations = [sources.document(g) for g in group(advice, advice_quotes)]
    scores = _city_scores(assistant, retrieval, sources)
    return Brief(
        enquiry=request.question,
        language=answer.language,
        created=now or datetime.now(UTC),
        filters=retrieval.filters,
        status=answer.status,
        summary=summary,
        summary_by=_summary_by(answer),
        approved=answer.approved,
        model=answer.model,
        notice=answer.notice,
        scores=scores,
        practices=by_city(practices),
        recommendations=tuple(recommendations),
        sources=sources.listed(),
        material=material_state(assistant),
    )


def _city_scores(
    assistant: Assistant, retrieval: RetrievalResult, sources: _Sources
) -> tuple[BriefScores, ...]:
    """The latest Index results of each city the enquiry names that has some, each row cited
    by its report's number among the sources."""
    if not retrieval.cities:
        return ()
    rows = assistant.store.catalog.scores
    found = []
    for city in retrieval.cities:
        own = latest_results(rows, city)
        if own:
            found.append(
                BriefScores(
                    city=own[0].city or city,
                    country=own[0].country,
                    rows=tuple(own),
                    citations=tuple(sources.number_of_report(r) for r in own),
                )  # fmt: skip
            )
    return tuple(found)


def _summary_by(answer: Answer) -> Literal["model", "evidence", "approved"]:
    if answer.approved is not None:
        return "approved"
    return "model" if answer.model is not None else "evidence"


def is_advice(passage: Passage) -> bool:
    """Whether a passage is the ICC's advice: an Index report, or a Recommendations section."""
    return passage.chunk.is_recommendation or passage.document.doc_type == "index_report"


def _practice_pages(assistant: Assistant, retrieval: RetrievalResult) -> list[Passage]:
    """The good-practice pages found for the same query, unless the caller chose a type; the
    search's own evidence gate decides whether any is relevant enough."""
    if retrieval.status != "found" or retrieval.filters.doc_type is not None:
        return []
    filters = retrieval.filters.model_copy(update={"doc_type": "good_practice"})
    pages = assistant.retriever.search(
        retrieval.query, filters=filters, k=2 * assistant.settings.answer_passages
    )
    return list(pages.passages) if pages.status == "found" else []


def _unique(passages: Iterable[Passage]) -> list[Passage]:
    seen: set[str] = set()
    kept = []
    for passage in passages:
        if passage.chunk.chunk_id not in seen:
            seen.add(passage.chunk.chunk_id)
            kept.append(passage)
    return kept


def by_city(documents: Sequence[tuple[EvidenceGroup, BriefDocument]]) -> tuple[CityPractices, ...]:
    """Documents under their city, cities in order of their most relevant document."""
    cities: dict[str | None, list[BriefDocument]] = {}
    countries: dict[str | None, str | None] = {}
    for evidence, document in documents:
        cities.setdefault(evidence.city, []).append(document)
        countries.setdefault(evidence.city, evidence.country)
    return tuple(
        CityPractices(city=city, country=countries[city], documents=tuple(docs))
        for city, docs in cities.items()
    )


def lead_sentences(answer: Answer) -> str:
    """The key evidence: the first sentence quoted from each of the first documents, cited."""
    lines = []
    for evidence in answer.evidence[:LEAD_SENTENCES]:
        item = evidence.items[0]
        mark = f" ({item.language.upper()})" if item.language != answer.language else ""
        lines.append(f"- “{item.text}”{mark} [{evidence.citation}]")
    return "\n".join(lines)


class _Sources:
    """The note's numbered sources: the answer's citations, then each further document quoted,
    numbered after them; a document already cited keeps its (first) number."""

    def __init__(self, citations: Sequence[Citation]) -> None:
        self._by_number: dict[int, BriefSource] = {}
        self._by_doc: dict[str, int] = {}
        for c in citations:
            self._by_number[c.number] = BriefSource(
                number=c.number, doc_id=c.doc_id, title=c.title, city=c.city,
                country=c.country, year=c.year, doc_type=c.doc_type, url=c.url,
                language=c.language,
            )  # fmt: skip
            self._by_doc.setdefault(c.doc_id, c.number)

    def number_of(self, evidence: EvidenceGroup) -> int:
        if evidence.doc_id not in self._by_doc:
            number = max(self._by_number, default=0) + 1
            self._by_number[number] = BriefSource(
                number=number, doc_id=evidence.doc_id, title=evidence.title, city=evidence.city,
                country=evidence.country, year=evidence.year, doc_type=evidence.doc_type,
                url=evidence.url, language=evidence.language,
            )  # fmt: skip
            self._by_doc[evidence.doc_id] = number
        return self._by_doc[evidence.doc_id]

    def number_of_report(self, row: ScoreRow) -> int:
        """The number of the Index report a score row was read from."""
        if row.doc_id not in self._by_doc:
            number = max(self._by_number, default=0) + 1
            self._by_number[number] = BriefSource(
                number=number, doc_id=row.doc_id, title=row.title, city=row.city,
                country=row.country, year=row.year, doc_type="index_report", url=row.url,
                language=row.language,
            )  # fmt: skip
            self._by_doc[row.doc_id] = number
        return self._by_doc[row.doc_id]

    def document(self, evidence: EvidenceGroup) -> BriefDocument:
        number = self.number_of(evidence)
        quotes = tuple(
            BriefQuote(text=i.text, language=i.language, citation=number, cities=i.cities)
            for i in evidence.items
        )
        return BriefDocument(
            citation=number, title=evidence.title, year=evidence.year,
            url=evidence.quoted_url(), quotes=quotes,
        )  # fmt: skip

    def listed(self) -> tuple[BriefSource, ...]:
        return tuple(self._by_number[n] for n in sorted(self._by_number))
