"""Blocks -> Chunks: paragraphs packed per section, scores and recommendations attached."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import groupby

from icc_assistant import gazetteer
from icc_assistant.documents import Chunk
from icc_assistant.ingest.sentences import prose_sentences, segment
from icc_assistant.ingest.structure import RECOMMENDATION_HEADING, Block

MAX_CHARS = 1000
MIN_CHARS = 200
_SCORE = re.compile(
    r"(?:score in the field of [\w\s'-]{2,60}? is (?:an? )?(?:\w+ )?|achieved a rate of )"
    r"(\d{1,3})\b",
    re.IGNORECASE,
)
_SAMPLE = re.compile(
    r"city sample(?:'s)?(?: result| achievement rate)? of (\d{1,3})\b", re.IGNORECASE
)


def _pieces(paragraph: str, max_chars: int, language: str) -> list[str]:
    """A paragraph, or windows of its sentences with one sentence of overlap when too long
    (a single sentence longer than max_chars is cut)."""
    if len(paragraph) <= max_chars:
        return [paragraph]
    sentences = segment(paragraph, language)
    windows: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join([*current, sentence])) > max_chars:
            windows.append(" ".join(current))
            current = current[-1:] if len(current[-1]) < max_chars // 3 else []
        current.append(sentence)
    if current:
        windows.append(" ".join(current))
    return [w[i : i + max_chars] for w in windows for i in range(0, len(w), max_chars)]


def pack(paragraphs: Sequence[str], max_chars: int = MAX_CHARS, language: str = "en") -> list[str]:
    """Greedily pack paragraphs into texts of at most max_chars; tiny tails join the last."""
    packed: list[str] = []
    current = ""
    for piece in (p for para in paragraphs for p in _pieces(para, max_chars, language)):
        if current and len(current) + len(piece) + 2 > max_chars:
            packed.append(current)
            current = piece
        else:
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        if packed and len(current) < MIN_CHARS and len(packed[-1]) + len(current) < max_chars * 1.3:
            packed[-1] = f"{packed[-1]}\n\n{current}"
        else:
            packed.append(current)
    return packed


def _score_key(path: tuple[str, ...]) -> tuple[str, ...]:
    """The section a path's scores belong to (a Suggestions sub-heading shares its parent's)."""
    while path and RECOMMENDATION_HEADING.match(path[-1]):
        path = path[:-1]
    return path


def section_scores(blocks: Sequence[Block]) -> dict[tuple[str, ...], tuple[int | None, int | None]]:
    """Index score and city-sample score stated in each section."""
    scores: dict[tuple[str, ...], tuple[int | None, int | None]] = {}
    for key, group in groupby(blocks, key=lambda b: _score_key(b.path)):
        text = " ".join(b.text for b in group)
        score, sample = _SCORE.search(text), _SAMPLE.search(text)
        previous = scores.get(key, (None, None))
        scores[key] = (
            int(score.group(1)) if score else previous[0],
            int(sample.group(1)) if sample else previous[1],
        )
    return scores


def is_recommendation(path: tuple[str, ...]) -> bool:
    """True under a Suggestions/Recommendations heading."""
    return any(RECOMMENDATION_HEADING.match(name) for name in path)


def make_chunks(
    blocks: Sequence[Block],
    *,
    doc_id: str,
    content_hash: str,
    city: str | None,
    language: str = "en",
) -> tuple[Chunk, ...]:
    """Chunks of a document, in order, with section path, scores, mentioned cities and
    quotable sentences."""
    scores = section_scores(blocks)
    chunks: list[Chunk] = []
    for path, group in groupby(blocks, key=lambda b: b.path):
        score, sample = scores.get(_score_key(path), (None, None))
        for text in pack([b.text for b in group], language=language):
            named = gazetteer.find_cities(text, known=(city,) if city else ())
            others = tuple(c for c in named if not (city and gazetteer.same_city(c, city)))
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}#{content_hash[:12]}:{len(chunks)}",
                    doc_id=doc_id,
                    ordinal=len(chunks),
                    text=text,
                    section=" > ".join(path),
                    is_recommendation=is_recommendation(path),
                    mentioned_cities=others,
                    score=score,
                    sample_score=sample,
                    sentences=prose_sentences(text, language),
                )
            )
    return tuple(chunks)
