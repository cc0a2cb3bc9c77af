"""The ICC Index's indicators (data/indicators.json): ids, the names the programme publishes
them under in English and French, and a description of each by which a report's label in any
other language is matched to one (ingest/describe.py compares their vectors).

A label is matched by name when, folded (case, accents, punctuation), it is one of the names or
holds one as whole words: the longest such name wins ("business and the labour market" over
"market"). Matching by name is only a short cut for the programme's own two languages.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

IndicatorKind = Literal["aggregate", "rank", "indicator"]
RANKS = ("rank", "rank_size", "rank_diversity")


@dataclass(frozen=True)
class Indicator:
    """One figure the Index reports: its id, what kind it is, its names and what it measures."""

    id: str
    kind: IndicatorKind
    names: tuple[str, ...]  # folded, English and French
    english: str  # the first English name, as shown where a report gives no label
    description: str

    @property
    def text(self) -> str:
        """What is embedded for it: its English name and its description."""
        return f"{self.english}: {self.description}"


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    text = resources.files("icc_assistant").joinpath("data/indicators.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def result_descriptions() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Sentences describing Index results, and other figures a report states (population
    shares, counts, dates): what a sentence's meaning is weighed against."""
    raw = _raw()
    return tuple(raw["results"]), tuple(raw["not_results"])


def question_descriptions() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Questions that ask for Index results, and questions that ask about anything else:
    what a user's question is weighed against (retrieve/scores.py)."""
    questions = _raw()["questions"]
    return tuple(questions["results"]), tuple(questions["other"])


@lru_cache(maxsize=1)
def indicators() -> tuple[Indicator, ...]:
    """Every indicator, in the order the file lists them."""
    raw = _raw()
    found = []
    for item in raw["indicators"]:
        names = [n for language in ("en", "fr") for n in item["names"].get(language, [])]
        english = (item["names"].get("en") or [item["id"].replace("_", " ")])[0]
        found.append(
            Indicator(
                id=item["id"],
                kind=item["kind"],
                names=tuple(dict.fromkeys(fold(n) for n in names)),
                english=english,
                description=item["description"],
            )
        )
    return tuple(found)


@lru_cache(maxsize=1)
def by_id() -> dict[str, Indicator]:
    return {indicator.id: indicator for indicator in indicators()}


@lru_cache(maxsize=1)
def _names_longest_first() -> tuple[tuple[str, str], ...]:
    pairs = [(name, i.id) for i in indicators() for name in i.names]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def named(text: str, *, whole: bool = False) -> str | None:
    """The id of the indicator `text` names by one of its published names: the whole text
    (`whole`), or the longest name it holds as whole words."""
    folded = fold(text)
    if not folded:
        return None
    for name, indicator in _names_longest_first():
        if folded == name:
            return indicator
    if whole:
        return None
    padded = f" {folded} "
    for name, indicator in _names_longest_first():
        if f" {name} " in padded:
            return indicator
    return None


def english_name(indicator: str) -> str:
    """The indicator's English name ("public services"), or its id if unknown."""
    found = by_id().get(indicator)
    return found.english if found else indicator.replace("_", " ")
