"""The answer without a model: the most relevant sentences of the top passages, cited.

Sentences are chosen without embedding anything at answer time: a passage's rank and score say
which passages matter, its focus (the part of the chunk, among those embedded at ingest, that
retrieval found closest to the question) says where in it to quote, and the words a sentence
shares with the question break ties. At most two sentences a passage, grouped by the city that
runs the practice and the document, framed by short sentences in the user's language. Quotes
stay in their original language.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from icc_assistant import gazetteer
from icc_assistant.answer.citations import citations_for
from icc_assistant.answer.messages import message
from icc_assistant.answer.types import (
    AnswerDoneEvent,
    AnswerEvent,
    AnswerRequest,
    SearchQuery,
    TokenEvent,
)
from icc_assistant.documents import Answer, Passage, RetrievalResult, Turn
from icc_assistant.index.catalog import MAX_DISCUSSED
from icc_assistant.index.views import windows
from icc_assistant.ingest.chunking import split_sentences
from icc_assistant.language import detect_language
from icc_assistant.retrieve.candidates import about_cities
from icc_assistant.tokens import keyword_tokens

MAX_SENTENCES = 5
MAX_PER_PASSAGE = 2
FOCUS_BONUS = 1.0  # a sentence in the passage's focus comes first
WORDS_BONUS = 0.5  # times the share of the question's keywords a sentence holds
POSITION_COST = 0.01  # per sentence before it in its passage
# A relevance this close above the gate's threshold is weak evidence: the answer is "partial".
PARTIAL_MARGIN = 0.01
# Passages whose score is this far below the best one's are not quoted: a second city's page
# that merely resembles the question does not belong in the answer.
RELEVANCE_BAND = 0.04


@dataclass(frozen=True)
class _Sentence:
    passage: int  # index into the passages, 0-based
    position: int
    text: str
    score: float = 0.0


def answer_language(request: AnswerRequest) -> str:
    """The language to answer in: forced, else the question's."""
    return request.language or detect_language(request.question)


def condense_without_model(request: AnswerRequest) -> SearchQuery:
    """A follow-up carries the previous user question along, so the search keeps its subject."""
    language = detect_language(request.question)
    earlier = [t.content for t in request.history if t.role == "user"]
    text = f"{earlier[-1]} {request.question}" if earlier else request.question
    return SearchQuery(text=text, english=None, language=language)


def no_evidence_answer(language: str, retrieval: RetrievalResult) -> Answer:
    """ "Not covered", with the nearest cities and topics that are."""
    parts = [message(language, "no_evidence")]
    items = _covered_items(retrieval.nearest)
    if items:
        # The items (names, English topic labels) go on list lines of their own, so the
        # sentences stay wholly in the user's language.
        lead = message(language, "nearest", items="").rstrip(" .。:")
        parts.append(f"{lead}:\n" + "\n".join(f"- {item}" for item in items))
    return Answer(
        answer_id=uuid.uuid4().hex,
        text="\n\n".join(parts),
        language=language,
        status="no_evidence",
    )


def _covered_items(passages: Sequence[Passage]) -> list[str]:
    items: list[str] = []
    for passage in passages:
        doc = passage.document
        topics = ", ".join(doc.topics[:3])
        item = f"{doc.city or doc.title} ({topics})" if topics else (doc.city or doc.title)
        if item not in items:
            items.append(item)
    return items[:3]


class ExtractiveAnswerer:
    """Answers by quoting the most relevant sentences; the embedded default."""

    name = "extractive"
    uses_model = False

    def condense(self, request: AnswerRequest) -> SearchQuery:
        return condense_without_model(request)

    def check_ready(self) -> str:
        return "extractive mode"

    def write_answer(
        self, request: AnswerRequest, retrieval: RetrievalResult, notice: str | None = None
    ) -> Answer:
        """Quote, group and frame; `notice` explains why no model wrote the answer."""
        language = answer_language(request)
        if retrieval.status == "no_evidence" or not retrieval.passages:
            return no_evidence_answer(language, retrieval)
        passages = about_named_cities(retrieval)
        chosen = choose_sentences(request.question, passages)
        weak = is_weak(retrieval)
        groups = _layout(language, chosen, passages)
        text = self._compose(language, groups, chosen, passages, weak=weak, notice=notice)
        return Answer(
            answer_id=uuid.uuid4().hex,
            text=text,
            language=language,
            status="partial" if weak else "answered",
            citations=citations_for(text, _cited_passages(groups, passages)),
            notice=notice,
        )

    async def stream_answer(
        self, request: AnswerRequest, retrieval: RetrievalResult
    ) -> AsyncIterator[AnswerEvent]:
        answer = await asyncio.to_thread(self.write_answer, request, retrieval)
        for piece in re.findall(r"\S+\s*|\s+", answer.text):
            yield TokenEvent(text=piece)
        yield AnswerDoneEvent(answer=answer)

    # -- writing ---------------------------------------------------------------------------------

    def _compose(
        self,
        language: str,
        groups: OrderedDict[str, list[_Sentence]],
        chosen: list[_Sentence],
        passages: Sequence[Passage],
        *,
        weak: bool,
        notice: str | None,
    ) -> str:
        numbers = _numbers(groups)
        lines = [message(language, "intro"), ""]
        for heading, sentences in groups.items():
            lines.append(heading)
            lines.extend(f'- "{_one_line(s.text)}" [{numbers[s.passage]}]' for s in sentences)
            lines.append("")
        footer = []
        if weak:
            footer.append(message(language, "partial"))
        if any(passages[s.passage].document.language != language for s in chosen):
            footer.append(message(language, "original_language"))
        if notice:
            footer.append(notice)
        lines.extend(f"_{line}_" for line in footer)
        return "\n".join(lines).strip()


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


def choose_sentences(question: str, passages: Sequence[Passage]) -> list[_Sentence]:
    """The sentences to quote: the best of each passage in the order retrieval ranked them,
    then the second best of each, up to MAX_SENTENCES. A sentence's score within its passage:
    FOCUS_BONUS in the passage's focus, plus the share of the question's keywords it holds,
    minus a little for each sentence before it."""
    wanted = set(keyword_tokens(question))
    best_score = max((p.score for p in passages), default=0.0)
    ranked = [
        sorted(
            (
                _Sentence(index, position, text, _score(text, focused, position, wanted))
                for position, (text, focused) in enumerate(_sentences(passage))
            ),
            key=lambda c: c.score,
            reverse=True,
        )[:MAX_PER_PASSAGE]
        for index, passage in enumerate(passages)
        if passage.score >= best_score - RELEVANCE_BAND
    ]
    rounds = (best[turn] for turn in range(MAX_PER_PASSAGE) for best in ranked if turn < len(best))
    return list(rounds)[:MAX_SENTENCES]


def _sentences(passage: Passage) -> list[tuple[str, bool]]:
    """The passage's sentences worth quoting, each with whether it lies in its focus."""
    parts = windows(passage.chunk.text)
    focus = passage.focus if passage.focus is not None and passage.focus < len(parts) else None
    found = []
    for number, part in enumerate(parts):
        for sentence in split_sentences(part):
            if len(sentence) >= 25:
                found.append((sentence[:500], number == focus))
    return found


def _score(sentence: str, focused: bool, position: int, wanted: set[str]) -> float:
    shared = len(wanted & _sentence_tokens(sentence)) / len(wanted) if wanted else 0.0
    return FOCUS_BONUS * focused + WORDS_BONUS * shared - POSITION_COST * position


@lru_cache(maxsize=8192)  # sentences of the corpus recur across questions; at most 500 chars
def _sentence_tokens(sentence: str) -> frozenset[str]:
    return frozenset(keyword_tokens(sentence))


def _one_line(text: str) -> str:
    """A quote on one line: a sentence running over a heading or a list stays one item."""
    return " ".join(text.replace("#", " ").split())


def _layout(
    language: str, chosen: list[_Sentence], passages: Sequence[Passage]
) -> OrderedDict[str, list[_Sentence]]:
    """Sentences grouped under their heading, groups by relevance, sentences in text order."""
    groups: OrderedDict[str, list[_Sentence]] = OrderedDict()
    for sentence in chosen:
        heading = _heading(language, passages[sentence.passage], sentence.text)
        groups.setdefault(heading, []).append(sentence)
    for sentences in groups.values():
        sentences.sort(key=lambda s: (s.passage, s.position))
    return groups


def _numbers(groups: OrderedDict[str, list[_Sentence]]) -> dict[int, int]:
    """Citation number of each passage, in order of first appearance in the answer."""
    numbers: dict[int, int] = {}
    for sentences in groups.values():
        for sentence in sentences:
            numbers.setdefault(sentence.passage, len(numbers) + 1)
    return numbers


def _cited_passages(
    groups: OrderedDict[str, list[_Sentence]], passages: Sequence[Passage]
) -> list[Passage]:
    """Passages reordered so that passage number n is the one cited as [n]."""
    numbers = _numbers(groups)
    return [passages[index] for index, _ in sorted(numbers.items(), key=lambda kv: kv[1])]


def _heading(language: str, passage: Passage, sentence: str) -> str:
    """The group a quoted sentence goes under: the city running the practice, the document."""
    doc = passage.document
    title = f"*{doc.title}*" + (f" ({doc.year})" if doc.year else "")
    elsewhere = practising_cities(passage, sentence)
    if elsewhere and doc.city:
        label = message(language, "recommendation", cities=", ".join(elsewhere), city=doc.city)
        return f"**{label}** — {title}"
    return f"**{doc.city or doc.title}** — {title}"


def practising_cities(passage: Passage, sentence: str) -> list[str]:
    """The other cities whose practice a quoted sentence describes, if any.

    In a report's recommendation, the other cities the sentence names ("Ansan may learn from
    Auckland's Research and Monitoring Unit"); a sentence naming none continues the last one
    named before it in the passage ("... Kirklees held a festival. WOVEN celebrates..."), or,
    with none before it, belongs to all the cities the recommendation names. Elsewhere, a
    sentence naming other cities and not the document's own describes theirs (a page comparing
    itself with another city's model). A sentence listing more than MAX_DISCUSSED cities
    describes no one's practice."""
    chunk, own = passage.chunk, passage.document.city
    others = set(chunk.mentioned_cities)
    if not others:
        return []  # the chunk names no other city: whatever the sentence says is the page's own
    named = gazetteer.find_cities(sentence, known=tuple(others | ({own} if own else set())))
    elsewhere = [city for city in named if city in others]
    if len(elsewhere) > MAX_DISCUSSED:
        return []  # a list of cities ("pilot cities: Lublin, Lyon, Oslo, ..."), no practice
    if not chunk.is_recommendation:
        names_own = own is not None and any(gazetteer.same_city(own, c) for c in named)
        return [] if names_own else elsewhere
    if elsewhere or not others:
        return elsewhere
    before = chunk.text[: max(0, chunk.text.find(sentence))]
    earlier = [c for c in gazetteer.find_cities(before, known=tuple(others)) if c in others]
    return earlier[-1:] or sorted(others)


def history_text(history: Sequence[Turn]) -> str:
    """A conversation as plain lines for prompts."""
    return "\n".join(f"{turn.role}: {turn.content}" for turn in history) or "(none)"
