"""A question analysed once, before any ranking: its text, language, cities and vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from icc_assistant import gazetteer
from icc_assistant.embeddings import Embedder
from icc_assistant.errors import InvalidQuestionError
from icc_assistant.gazetteer import Mention
from icc_assistant.index import ChunkCatalog
from icc_assistant.language import detect_language
from icc_assistant.retrieve.places import PlaceReader


@dataclass(frozen=True)
class Query:
    """What retrieval needs to know about a question."""

    text: str
    language: str
    english: str | None  # the question in English, when a model wrote it
    cities: tuple[str, ...]  # cities named, as the index names them when it covers them
    uncovered: tuple[str, ...]  # named cities that no document is about
    allowed: frozenset[str] | None  # documents the filters allow; None: all
    vectors: np.ndarray  # one row per text searched: the question, then its English version
    places: tuple[Mention, ...] = ()  # where the question names its cities
    # The vector of the question without the cities it names (topic_of), when it names any.
    topic_vector: np.ndarray | None = None


def topic_of(text: str, places: Sequence[Mention]) -> str | None:
    """What a question naming cities asks about them: `text` without the places it names;
    None when it names none, or is nothing else.

    A city's name alone makes every passage about it similar to the question ("the weather in
    Ansan"), so the evidence gate judges this text instead."""
    if not places:
        return None
    pieces, position = [], 0
    for place in places:
        pieces.append(text[position : place.start])
        position = place.end
    pieces.append(text[position:])
    rest = " ".join(" ".join(pieces).split())
    return rest if any(ch.isalnum() for ch in rest) else None


def checked_question(question: str, max_chars: int) -> str:
    """The question stripped, or InvalidQuestionError when it is empty or too long."""
    text = question.strip()
    if not text:
        raise InvalidQuestionError("The question is empty: type what you want to know.")
    if not any(ch.isalnum() for ch in text):  # only emoji, punctuation or invisible marks
        raise InvalidQuestionError("The question has no words: type what you want to know.")
    if len(text) > max_chars:
        raise InvalidQuestionError(
            f"The question has {len(text)} characters; the limit is {max_chars}. Shorten it."
        )
    return text


def analyse(
    text: str,
    *,
    english: str | None,
    catalog: ChunkCatalog,
    allowed: frozenset[str] | None,
    embedder: Embedder,
    places: PlaceReader,
) -> Query:
    """Language, cities (recognised in any spelling, the corpus' own cities of any size; only
    where the question uses the name as one: retrieve/places.py) and vectors of a question."""
    language = detect_language(gazetteer.without_cities(text, known=catalog.cities))
    meant = tuple(places.read(text, language, catalog.cities))
    named = dict.fromkeys(m.city for m in meant)
    cities = tuple(_as_indexed(city, catalog.covered_cities) for city in named)
    uncovered = tuple(c for c in cities if not _covered(c, catalog.covered_cities))
    texts = [text]
    if english and english.strip() and english.strip() != text:
        texts.append(english.strip())
    topic = topic_of(text, meant)
    # One embedder call for everything the question is searched and judged by.
    vectors = embedder.embed_queries(texts if topic is None else [*texts, topic])
    return Query(
        text=text,
        language=language,
        english=texts[1] if len(texts) > 1 else None,
        cities=cities,
        uncovered=uncovered,
        allowed=allowed,
        vectors=vectors[: len(texts)],
        places=meant,
        topic_vector=None if topic is None else vectors[len(texts)],
    )


def _covered(city: str, covered: frozenset[str]) -> bool:
    return any(gazetteer.same_city(city, other) for other in covered)


def _as_indexed(city: str, covered: frozenset[str]) -> str:
    """The name the index gives a city ("Berlin" -> "Berlin-Neukölln" when that is the one
    document it has), or the name as recognised."""
    if city in covered:
        return city
    return next((c for c in sorted(covered) if gazetteer.same_city(city, c)), city)
