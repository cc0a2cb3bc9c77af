"""Keyword tokens shared by the keyword index (at ingest) and the keyword leg (at query time).

The tokens are built to match across languages where words can: numbers are normalised
("20,000" and "20 000" both give "20000"), names and acronyms keep their letters, and words are
cut to a short prefix, a crude but language-neutral stand-in for stemming ("campaigns" and
"campaign" meet). Runs of CJK or Hangul characters become overlapping bigrams, since those
scripts do not separate words with spaces.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from icc_assistant.language import SUPPORTED_LANGUAGES

PREFIX_LENGTH = 6

_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_GROUP_SEPARATORS = re.compile(r"[,\u00a0\u202f ]")

# stopwordsiso has no list for Icelandic, Albanian, Serbian, Bosnian or Macedonian; Norwegian
# Bokmål is under "no".
_STOPWORD_LISTS = {"nb": "no"}


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Function words of every language the product detects (stopwordsiso's lists, folded), which
    only add noise to keyword scores. One set for all text: tokens are language-neutral."""
    import stopwordsiso  # loads every language's list: only when keywords are first made

    words: set[str] = set()
    for code in SUPPORTED_LANGUAGES:
        code = _STOPWORD_LISTS.get(code, code)
        if stopwordsiso.has_lang(code):
            words.update(_fold(word) for word in stopwordsiso.stopwords(code))
    return frozenset(words)


def _fold(word: str) -> str:
    """Lowercase and strip diacritics so "Zürich" meets "Zurich"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _number_tokens(text: str) -> list[str]:
    tokens = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        if re.fullmatch(r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+", raw):
            tokens.append(_GROUP_SEPARATORS.sub("", raw))
        else:
            tokens.append(raw.replace(",", "."))
    return tokens


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _word_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    stop = stop_words()
    for match in _WORD.finditer(text):
        word = match.group(0)
        if _CJK.fullmatch(word):
            tokens.extend(_cjk_tokens(word))
            continue
        for run in _CJK.split(word):
            folded = _fold(run)
            if len(folded) < 2 or folded in stop:
                continue
            tokens.append(folded[:PREFIX_LENGTH])
        for run in _CJK.findall(word):
            tokens.extend(_cjk_tokens(run))
    return tokens


def keyword_tokens(text: str) -> list[str]:
    """Tokens for the keyword index: folded word prefixes, normalised numbers, CJK bigrams."""
    return _word_tokens(text) + _number_tokens(text)
