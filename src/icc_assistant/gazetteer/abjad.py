"""City names written in a script without short vowels (Arabic, Hebrew), found by consonants.

GeoNames gives Arabic or Hebrew names for large cities only, so "أنسان" (Ansan) or "אנסאן"
match none. Such a word is compared with the cities a caller trusts (the corpus' own cities
and the ICC members) by its consonants in Latin letters: "أنسان" -> "nsn" <- "Ansan". Only a
word that is no common word of its language (ABJAD_COMMON: "إنسان", "human", is common) can
match, only a city whose consonants no other trusted city shares, and only one for which the
gazetteer holds no name in that script (there its own name is how the script writes it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from unidecode import unidecode

from icc_assistant.gazetteer.names import script_of
from icc_assistant.gazetteer.words import word_zipf

ABJAD_COMMON = 4.0  # Zipf: a word this common in its language is a word, not a name
MIN_CONSONANTS = 3
_VOWELS = frozenset("aeiouyw")
_PROCLITICS = "وبلف"
_LANGUAGES = {"arabic": "ar", "other": "he"}


@dataclass(frozen=True)
class AbjadSpan:
    """A word of the text whose consonants are those of a trusted city."""

    start: int
    end: int
    city: str


def consonants(text: str) -> str:
    """The consonants of `text` in Latin letters, lower case ("Ansan" and "أنسان": "nsn")."""
    latin = unidecode(text).lower()
    return "".join(ch for ch in latin if "a" <= ch <= "z" and ch not in _VOWELS)


def abjad_spans(text: str, cities: Collection[str]) -> Iterator[AbjadSpan]:
    """The Arabic- or Hebrew-script words of `text` that name one of `cities` by consonants."""
    by_consonants: dict[str, set[str]] = {}
    for city in cities:
        key = consonants(city)
        if len(key) >= MIN_CONSONANTS:
            by_consonants.setdefault(key, set()).add(city)
    position = 0
    for word in text.split():
        start = text.index(word, position)
        position = start + len(word)
        letters = "".join(ch for ch in word if ch.isalpha())
        script = script_of(letters[:1]) if letters else ""
        if script not in _LANGUAGES or script_of(letters[-1]) != script:
            continue
        offset = word.index(letters[0])
        for cut in (0, 1) if letters[0] in _PROCLITICS else (0,):
            name = letters[cut:]
            found = by_consonants.get(consonants(name), set())
            if len(found) == 1 and word_zipf(name, _LANGUAGES[script]) < ABJAD_COMMON:
                begin = start + offset + cut
                yield AbjadSpan(begin, begin + len(name), next(iter(found)))
                break
