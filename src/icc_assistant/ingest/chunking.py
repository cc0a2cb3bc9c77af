"""Blocks -> Chunks: paragraphs packed per section, recommendations and other cities marked."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from icc_assistant import gazetteer
from icc_assistant.documents import Chunk
from icc_assistant.ingest.sentences import prose_sentences, segment
from icc_assistant.ingest.structure import RECOMMENDATION_HEADING, Block

MAX_CHARS = 1000
MIN_CHARS = 200


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
    """Chunks of a document, in order, with section path, mentioned cities and quotable
    sentences."""
    chunks: list[Chunk] = []
    for path, group in groupby(blocks, key=lambda b: b.path):
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
                    sentences=prose_sentences(text, language),
                )
            )
    return tuple(chunks)
