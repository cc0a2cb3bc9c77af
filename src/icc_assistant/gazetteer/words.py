"""How common a word is in a language: wordfreq's lists, folded as the gazetteer folds names.

A place name found in a question may be an ordinary word of the question's language (Korean
위해 "for" is also a name of Weihai, English "Roma" is a people, German "Essen" is food). Word
frequencies tell which names collide with common words: wordfreq's "small" lists hold every
word of a language used at least once in a million words (Zipf 3 and above), from Wikipedia,
subtitles, news, books and the web, in 42 languages. They are read lazily, one language at a
time (0.05 to 0.2 s and a few MB each), and keyed by the gazetteer's folding, so "münchen" and
"Munchen" meet.
"""

from __future__ import annotations

import math
from functools import lru_cache

from icc_assistant.gazetteer.names import fold

# Our language codes -> wordfreq's where they differ: Norwegian Bokmål, and the languages of
# the former Serbo-Croatian, which wordfreq lists together.
_WORDFREQ_CODES = {"no": "nb", "hr": "sh", "sr": "sh", "bs": "sh"}


@lru_cache(maxsize=48)
def _frequencies(language: str) -> dict[str, tuple[float, str]]:
    """Folded word -> (frequency per word of text, the word as the language spells it), the
    most frequent where several words fold alike; empty for a language wordfreq does not list."""
    from wordfreq import available_languages, get_frequency_dict  # 0.3 s to import

    code = _WORDFREQ_CODES.get(language, language)
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
    frequency = _frequencies(language).get(fold(word), (0.0, ""))[0]
    return math.log10(frequency * 1e9) if frequency > 0 else 0.0


def spelled(word: str, language: str) -> str:
    """`word` as `language` most often spells it ("turen" -> "türen" in German), or as given."""
    return _frequencies(language).get(fold(word), (0.0, word))[1]
