"""The answer without a model: the most relevant sentences of the top passages, cited.

Sentences are chosen by embedding similarity to the question (plus the passage's own score),
at most two per passage, then grouped by the city that runs the practice and the document,
and framed by short sentences in the user's language. Quotes stay in their original language.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import numpy as np

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
from icc_assistant.embeddings import Embedder
from icc_assistant.ingest.chunking import split_sentences
from icc_assistant.language import detect_language

SENTENCES_PER_PASSAGE = 6
MAX_CANDIDATES = 36
MAX_SENTENCES = 5
MAX_PER_PASSAGE = 2
# Below this question-sentence similarity the best evidence is weak: the answer is "partial".
PARTIAL_BELOW = 0.80
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class _Sentence:
    passage: int  # index into the passages, 0-based
    position: int
    text: str


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

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

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
        passages = retrieval.passages
        chosen, best = self._choose(request.question, passages)
        text = self._compose(language, chosen, passages, weak=best < PARTIAL_BELOW, notice=notice)
        return Answer(
            answer_id=uuid.uuid4().hex,
            text=text,
            language=language,
            status="partial" if best < PARTIAL_BELOW else "answered",
            citations=citations_for(text, _cited_passages(language, chosen, passages)),
            notice=notice,
        )

    async def stream_answer(
        self, request: AnswerRequest, retrieval: RetrievalResult
    ) -> AsyncIterator[AnswerEvent]:
        answer = await asyncio.to_thread(self.write_answer, request, retrieval)
        for piece in re.findall(r"\S+\s*|\s+", answer.text):
            yield TokenEvent(text=piece)
        yield AnswerDoneEvent(answer=answer)

    # -- choosing sentences ----------------------------------------------------------------------

    def _candidates(self, passages: Sequence[Passage]) -> list[_Sentence]:
        found = []
        for index, passage in enumerate(passages):
            sentences = [s for s in split_sentences(passage.chunk.text) if len(s) >= 25]
            for position, sentence in enumerate(sentences[:SENTENCES_PER_PASSAGE]):
                found.append(_Sentence(index, position, sentence[:500]))
        found.sort(key=lambda s: (s.position, s.passage))  # round-robin over passages
        return found[:MAX_CANDIDATES]

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self._embedder.embed_passages(missing), strict=True):
                self._cache[text] = vector
                if len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        return np.vstack([self._cache[t] for t in texts])

    def _choose(self, question: str, passages: Sequence[Passage]) -> tuple[list[_Sentence], float]:
        """The best sentences (and the best one's similarity), at most two per passage."""
        candidates = self._candidates(passages)
        if not candidates:
            return [], 0.0
        similarity = self._vectors([c.text for c in candidates]) @ self._embedder.embed_query(
            question
        )
        scores = similarity + 0.5 * np.array([passages[c.passage].score for c in candidates])
        chosen: list[_Sentence] = []
        per_passage: dict[int, int] = {}
        for i in np.argsort(-scores):
            cand = candidates[int(i)]
            if per_passage.get(cand.passage, 0) >= MAX_PER_PASSAGE:
                continue
            chosen.append(cand)
            per_passage[cand.passage] = per_passage.get(cand.passage, 0) + 1
            if len(chosen) == MAX_SENTENCES:
                break
        return chosen, float(similarity.max())

    # -- writing ---------------------------------------------------------------------------------

    def _compose(
        self,
        language: str,
        chosen: list[_Sentence],
        passages: Sequence[Passage],
        *,
        weak: bool,
        notice: str | None,
    ) -> str:
        groups = _layout(language, chosen, passages)
        numbers = _numbers(groups)
        lines = [message(language, "intro"), ""]
        for heading, sentences in groups.items():
            lines.append(heading)
            lines.extend(f'- "{s.text}" [{numbers[s.passage]}]' for s in sentences)
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
    language: str, chosen: list[_Sentence], passages: Sequence[Passage]
) -> list[Passage]:
    """Passages reordered so that passage number n is the one cited as [n]."""
    numbers = _numbers(_layout(language, chosen, passages))
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
    itself with another city's model)."""
    chunk, own = passage.chunk, passage.document.city
    others = set(chunk.mentioned_cities)
    named = gazetteer.find_cities(sentence, known=tuple(others | ({own} if own else set())))
    elsewhere = [city for city in named if city in others]
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
