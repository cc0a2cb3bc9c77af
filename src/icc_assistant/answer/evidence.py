"""Sentence-level evidence: which sentences of the retrieved passages an answer quotes.

Every candidate is a whole, clean sentence stored with its chunk at ingest (ingest/sentences.py),
scored by the cosine of its own vector to the question's (Passage.sentence_scores), so the
ranking needs no embedding at answer time and works across scripts. Relevance comes first: a
sentence scores its cosine, less how far its passage trails the best one; then diversity: a
sentence saying what an earlier one said (most of its words, within a passage or across pages)
is passed over, one document gives at most MAX_PER_DOCUMENT sentences, and the quotes stop at
MAX_ITEMS or QUOTE_BUDGET characters. Chosen sentences are grouped by document, groups and items
in order of relevance, each document cited by one number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from icc_assistant import gazetteer
from icc_assistant.documents import Citation, EvidenceGroup, EvidenceItem, Passage
from icc_assistant.index.catalog import MAX_DISCUSSED

MAX_ITEMS = 6
MAX_PER_DOCUMENT = 5
QUOTE_BUDGET = 1300  # characters of quoted sentences in one answer
SCORE_BAND = 0.05  # sentences scoring this far below the best one are not quoted
TRAIL_WEIGHT = 1.0  # per unit its passage's score trails the best passage's
SPECIFIC_BONUS = 0.01  # for a sentence stating a figure or a date
# Passages whose score is this far below the best one's are not quoted: a second city's page
# that merely resembles the question does not belong in the answer.
RELEVANCE_BAND = 0.03
RANK_COST = 0.002  # per place a passage stands below the first
SAME_WORDS = 0.7  # of a sentence's words found in another: it says the same thing
OFFERED_PER_PASSAGE = 3  # sentences of a cited passage shown beside a model's answer

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Quote:
    """A sentence that may be quoted: where it is, and how relevant it is."""

    passage: int  # index into the passages
    position: int  # index into the passage's chunk.sentences
    text: str
    score: float


def candidates(passages: Sequence[Passage]) -> list[Quote]:
    """Every sentence of the passages within RELEVANCE_BAND of the best, most relevant first."""
    best = max((p.score for p in passages), default=0.0)
    found: list[Quote] = []
    for index, passage in enumerate(passages):
        if passage.score < best - RELEVANCE_BAND:
            continue
        trail = TRAIL_WEIGHT * (best - passage.score) + RANK_COST * index
        scores = passage.sentence_scores or (passage.score,) * len(passage.chunk.sentences)
        found.extend(
            Quote(index, position, text, score - trail + SPECIFIC_BONUS * _specific(text))
            for position, (text, score) in enumerate(
                zip(passage.chunk.sentences, scores, strict=False)
            )
        )
    return sorted(found, key=lambda q: (-q.score, q.passage, q.position))


def _specific(text: str) -> bool:
    """Whether a sentence states a figure or a date: the kind of fact a question asks for."""
    return any(ch.isdigit() for ch in text)


def choose(
    passages: Sequence[Passage],
    *,
    per_city: int | None = None,
    max_items: int = MAX_ITEMS,
    budget: int = QUOTE_BUDGET,
    already: Sequence[str] = (),
) -> list[Quote]:
    """The sentences to quote: relevance first, then no repeats (of each other or of the
    `already` quoted texts), a cap per document (and with `per_city`, per city: a note listing
    which cities did something gives each city its place) and for the whole answer."""
    chosen: list[Quote] = []
    per_document: dict[str, int] = {}
    per_place: dict[str, int] = {}
    length = 0
    for quote in candidates(passages):
        document = passages[quote.passage].document
        place = document.city or document.doc_id
        if chosen and quote.score < chosen[0].score - SCORE_BAND:
            break
        if per_document.get(document.doc_id, 0) >= MAX_PER_DOCUMENT:
            continue
        if per_city is not None and per_place.get(place, 0) >= per_city:
            continue
        if chosen and length + len(quote.text) > budget:
            continue
        if any(_repeats(quote, earlier, passages) for earlier in chosen):
            continue
        if any(covers(text, quote.text) or covers(quote.text, text) for text in already):
            continue
        chosen.append(quote)
        per_document[document.doc_id] = per_document.get(document.doc_id, 0) + 1
        per_place[place] = per_place.get(place, 0) + 1
        length += len(quote.text)
        if len(chosen) == max_items:
            break
    return chosen


def _repeats(quote: Quote, earlier: Quote, passages: Sequence[Passage]) -> bool:
    """Whether `quote` says what an `earlier` one does: most of its words are there (or, for
    quotes from different documents, whose order in the answer may differ, either way)."""
    if passages[quote.passage].document.doc_id == passages[earlier.passage].document.doc_id:
        return covers(earlier.text, quote.text)
    return covers(earlier.text, quote.text) or covers(quote.text, earlier.text)


@lru_cache(maxsize=8192)  # corpus sentences recur across questions
def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def covers(first: str, second: str) -> bool:
    """Whether `first` holds most (SAME_WORDS) of the words of `second`."""
    a, b = _words(first), _words(second)
    if not b:
        return True
    return len(a & b) >= SAME_WORDS * len(b)


def group(passages: Sequence[Passage], chosen: Sequence[Quote]) -> tuple[EvidenceGroup, ...]:
    """The chosen sentences by document, documents numbered in the order retrieval ranked
    them (the first passage of each that is quoted)."""
    groups: dict[str, list[Quote]] = {}
    for quote in chosen:
        groups.setdefault(passages[quote.passage].document.doc_id, []).append(quote)
    ordered = sorted(groups.values(), key=lambda quotes: min(q.passage for q in quotes))
    return tuple(
        _evidence(number, passages, quotes) for number, quotes in enumerate(ordered, start=1)
    )


def offered_evidence(
    citations: Sequence[Citation], passages: Sequence[Passage]
) -> tuple[EvidenceGroup, ...]:
    """For a model's answer: per cited passage, its OFFERED_PER_PASSAGE most relevant
    sentences in text order, under the passage's citation number."""
    found: list[EvidenceGroup] = []
    for citation in citations:
        index = citation.number - 1
        sentences = passages[index].chunk.sentences
        scores = passages[index].sentence_scores
        best = sorted(range(len(sentences)), key=lambda i: -scores[i] if scores else i)
        quotes = [Quote(index, i, sentences[i], 0.0) for i in sorted(best[:OFFERED_PER_PASSAGE])]
        if quotes:
            found.append(_evidence(citation.number, passages, quotes))
    return tuple(found)


def _evidence(number: int, passages: Sequence[Passage], quotes: Sequence[Quote]) -> EvidenceGroup:
    """One document's quoted sentences, cited as `number`."""
    doc = passages[quotes[0].passage].document
    items = tuple(
        EvidenceItem(
            text=q.text,
            language=doc.language,
            citation=number,
            chunk_id=passages[q.passage].chunk.chunk_id,
            cities=tuple(credited_cities(passages[q.passage], q.text)),
        )
        for q in quotes
    )
    return EvidenceGroup(
        citation=number,
        doc_id=doc.doc_id,
        title=doc.title,
        city=doc.city,
        country=doc.country,
        year=doc.year,
        doc_type=doc.doc_type,
        url=doc.url,
        language=doc.language,
        items=items,
    )


def credited_cities(passage: Passage, sentence: str) -> list[str]:
    """The other cities whose practice a quoted sentence describes.

    In a report's recommendation, every other city the sentence names ("Ansan may learn from
    Auckland's Research and Monitoring Unit"), or, for a sentence naming none, those of the
    sentence it continues: the last one of its paragraph that names a city ("Bradford (UK) has
    a school linking network. [...] the city supports teachers..." is Bradford's). Elsewhere,
    the other cities a sentence names when it does not name the document's own (a page
    comparing itself with another city's model); a sentence naming no city there is the
    page's own. One listing more than MAX_DISCUSSED cities describes no one's practice."""
    chunk, own = passage.chunk, passage.document.city
    others = set(chunk.mentioned_cities)
    if not others:
        return []  # the chunk names no other city: whatever the sentence says is the page's own
    known = tuple(others | ({own} if own else set()))
    named = gazetteer.find_cities(sentence, known=known)
    if not named and chunk.is_recommendation:
        named = _continued_cities(chunk.text, sentence, known)
    elsewhere = [city for city in named if city in others]
    if len(elsewhere) > MAX_DISCUSSED:
        return []  # a list of cities ("pilot cities: Lublin, Lyon, Oslo, ..."), no practice
    if not chunk.is_recommendation:
        names_own = own is not None and any(gazetteer.same_city(own, c) for c in named)
        return [] if names_own else elsewhere
    return elsewhere


_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)")


def _continued_cities(text: str, sentence: str, known: Sequence[str]) -> list[str]:
    """The cities of the last sentence before `sentence`, in its paragraph of `text`, that
    names any: the subject a sentence naming none carries on with."""
    position = text.find(sentence)
    if position <= 0:
        return []
    paragraph = text[text.rfind("\n\n", 0, position) + 1 : position]
    found = gazetteer.mentions(paragraph, known=known)
    if not found:
        return []
    last = found[-1]
    ends = [m.end() for m in _SENTENCE_END.finditer(paragraph, 0, last.start)]
    start = ends[-1] if ends else 0
    stop = next((m.end() for m in _SENTENCE_END.finditer(paragraph, last.end)), len(paragraph))
    return gazetteer.find_cities(paragraph[start:stop], known=known)
