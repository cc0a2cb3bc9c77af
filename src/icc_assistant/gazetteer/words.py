"""How common a word is in a language: wordfreq's lists, folded as the gazetteer folds names.

A place name found in a question may be an ordinary word of the question's language (Korean
위해 "for" is also a name of Weihai, English "Roma" is a people, German "Essen" is food). Word
frequencies tell which names collide with common words: wordfreq's "small" lists hold every
word of a language used at least once in a million words (Zipf 3 and above), from Wikipedia,
subtitles, news, books and the web, in 42 languages, keyed by the gazetteer's folding, so
"münchen" and "Munchen" meet.

Nearly every word looked up is one of the gazetteer's names, so per language the names that
are words of it are kept apart (a few thousand, in the user's cache directory: 5 ms to read
instead of 0.1-0.5 s for a whole list); a whole list is read only for another word (an Arabic
word compared with a city's consonants, a Greek word read in Latin letters).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from icc_assistant.gazetteer.names import fold
from icc_assistant.gazetteer.places import MAJOR_POPULATION, place_table

# Our language codes -> wordfreq's where they differ: Norwegian Bokmål, and the languages of
# the former Serbo-Croatian, which wordfreq lists together.
_WORDFREQ_CODES = {"no": "nb", "hr": "sh", "sr": "sh", "bs": "sh"}


Entry = tuple[float, str] | list[float | str]  # frequency per word of text, the spelling


@lru_cache(maxsize=48)
def _frequencies(code: str) -> dict[str, Entry]:
    """Folded word -> (frequency, the word as the language spells it), the most frequent where
    several words fold alike; empty for a language wordfreq does not list."""
    return dict(_folded(code))


@lru_cache(maxsize=48)
def _name_frequencies(code: str) -> dict[str, Entry]:
    """The entries of `_frequencies(code)` whose word is one of the gazetteer's names, read
    from the user's cache directory when it holds them."""
    names = place_table(MAJOR_POPULATION).by_key
    path = Path.home() / ".cache" / "icc-assistant" / f"name-words-{code}-{_stamp()}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, dict):
            return cached
    except (OSError, ValueError):
        pass
    found = {key: entry for key, entry in _frequencies(code).items() if key in names}
    try:  # a cache that cannot be written is no error
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
        ) as handle:
            json.dump(found, handle, ensure_ascii=False)
        os.replace(handle.name, path)
    except OSError:
        pass
    return found


def _entry(word: str, language: str) -> Entry | None:
    code = _WORDFREQ_CODES.get(language, language)
    key = fold(word)
    if key in place_table(MAJOR_POPULATION).by_key:
        return _name_frequencies(code).get(key)
    return _frequencies(code).get(key)


def warm_up(languages: list[str]) -> None:
    """Read the name words of these languages now rather than at their first question."""
    for language in languages:
        _name_frequencies(_WORDFREQ_CODES.get(language, language))


def _stamp() -> str:
    return f"{_version()}-{len(place_table(MAJOR_POPULATION).by_key)}"


def _version() -> str:
    try:
        return metadata.version("wordfreq")
    except metadata.PackageNotFoundError:
        return "unknown"


def _folded(code: str) -> dict[str, tuple[float, str]]:
    from wordfreq import available_languages, get_frequency_dict  # 0.3 s to import

    if code not in available_languages("small"):
        return {}
    found: dict[str, tuple[float, str]] = {}
    for word, frequency in get_frequency_dict(code, "small").items():
        key = fold(word)
        if key and frequency > found.get(key, (0.0, ""))[0]:
            found[key] = (frequency, word)
    return found


def word_zipf(word: str, language: str) -> float:
    """The Zipf frequency of `word` in `language` (log10 of uses per billion words: 3 is once
    in a million, 6 once in a thousand); 0 when the language's list does not hold it."""
    entry = _entry(word, language)
    frequency = float(entry[0]) if entry else 0.0
    return math.log10(frequency * 1e9) if frequency > 0 else 0.0


def spelled(word: str, language: str) -> str:
    """`word` as `language` most often spells it ("turen" -> "türen" in German), or as given."""
    entry = _entry(word, language)
    return str(entry[1]) if entry else word
