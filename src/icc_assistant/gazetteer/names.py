"""Place names in running text, in any script: folding, words and the spans that match.

Names are compared folded: case-folded, accents dropped from Latin, Greek and Cyrillic letters,
and words joined by single spaces, so "Castelló de la Plana", "CASTELLO DE LA PLANA" and
"Castelló-de-la-Plana" meet. Text is cut into words, and a word where its script changes
("Ansan에서", "在Ansan"). A name is found as a run of words (a proper noun: capitalised in scripts
with case), as the stem of an inflected word ("Krakowie", "Вроцлава", "Stavangerben"), as the
head of a word carrying particles ("스타방에르에서"), behind one Arabic proclitic letter, or
anywhere inside a run of Han characters, which do not separate words ("在科英布拉举办"); a
katakana word is a name only whole ("ノイケルン" does not hold "ケルン"). A Greek or Cyrillic word
that matches no name is tried once more transliterated to Latin letters ("Ανσάν" -> "Ansan"),
since GeoNames lists few Greek and Cyrillic forms of small cities.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from unidecode import unidecode

MAX_WORDS = 5  # "Santa Maria da Feira", "Jerez de la Frontera"
MAX_UNSPACED = 10  # characters of a name in Han or kana
MAX_SUFFIX = 3  # letters an inflection may add ("Krakow" + "ie", "Stavanger" + "ben")
MIN_STEM = 5  # letters a stem keeps; six when three are cut

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_JOINERS = frozenset(" -‐‑–'’.·・/")  # what may sit between two words of one name
_SENTENCE_MARKS = frozenset(".!?:;\n¿¡")
_ARABIC_PROCLITICS = "وبلف"


def script_of(ch: str) -> str:
    """The script class of a letter: "cased" (Latin, Greek, Cyrillic), "unspaced" (Han),
    "katakana", "hangul", "arabic" or "other"; "" for anything but a letter."""
    if not ch.isalpha():
        return ""
    code = ord(ch)
    if code < 0x0530:
        return "cased"
    if 0x30A0 <= code <= 0x30FF:
        return "katakana"
    if 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF:
        return "unspaced"
    if 0xAC00 <= code <= 0xD7AF:
        return "hangul"
    if 0x0600 <= code <= 0x06FF:
        return "arabic"
    return "other"


def alphabet(text: str) -> str:
    """ "greek", "cyrillic" or "latin" for a text whose first letter is in one of them, else
    its script class (script_of)."""
    first = next((ch for ch in text if ch.isalpha()), "")
    code = ord(first) if first else 0
    if 0x0370 <= code <= 0x03FF or 0x1F00 <= code <= 0x1FFF:
        return "greek"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    return "latin" if code and code < 0x0370 else script_of(first)


def name_script(name: str) -> str:
    """The script class of a name: that of its first letter."""
    return next((script_of(ch) for ch in name if ch.isalpha()), "")


@lru_cache(maxsize=65_536)  # city names and question words, folded again and again
def fold(text: str) -> str:
    """Case-folded, accent-free (in Latin, Greek, Cyrillic) text with words single-spaced."""
    if text.isascii():
        return " ".join(_WORD.findall(text.lower()))
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", text):
        if not unicodedata.combining(ch):
            base = ch
        elif script_of(base) == "cased":
            continue  # an accent on a Latin, Greek or Cyrillic letter
        kept.append(ch)
    joined = unicodedata.normalize("NFC", "".join(kept)).casefold()
    return " ".join(_WORD.findall(joined))


@dataclass(frozen=True)
class Span:
    """A stretch of text whose folded form is a known name."""

    start: int
    end: int
    key: str
    exact: bool  # False for a stem or head cut out of a longer word
    transliterated: bool = False  # found only once a Greek or Cyrillic word was in Latin letters


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    text: str
    folded: str
    script: str

    @property
    def latin(self) -> str | None:
        """The word transliterated to Latin letters, for a Greek or Cyrillic word."""
        if self.script != "cased" or self.text.isascii() or ord(self.text[0]) < 0x0370:
            return None
        return fold(unidecode(self.text))


def _split_scripts(start: int, text: str) -> Iterator[tuple[int, str, str]]:
    """A word cut where its letters change script; digits stay with their letters."""
    begin, current = 0, ""
    for offset, ch in enumerate(text):
        script = script_of(ch)
        if script and current and script != current:
            yield start + begin, text[begin:offset], current
            begin = offset
        current = script or current
    yield start + begin, text[begin:], current


@lru_cache(maxsize=256)  # a question is read by several matchers in a row
def _words(text: str) -> tuple[_Word, ...]:
    return tuple(
        _Word(start, start + len(piece), piece, fold(piece), script)
        for match in _WORD.finditer(text)
        for start, piece, script in _split_scripts(match.start(), match.group(0))
    )


def _is_proper(word: str, all_caps_text: bool) -> bool:
    """Capitalised, and not a short acronym ("ICC", "NGO") unless the whole text is in
    capitals, as report headings are."""
    if not word[0].isupper():
        return False
    return all_caps_text or len(word) < 2 or not word.isupper() or len(word) > 3


def _mostly_capitals(text: str) -> bool:
    letters = [ch for ch in text if script_of(ch) == "cased"]
    return bool(letters) and sum(ch.isupper() for ch in letters) > 0.8 * len(letters)


class NameMatcher:
    """Finds the spans of a text that are one of a fixed set of folded names."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = frozenset(keys)
        self._first_words = frozenset(key.split(" ", 1)[0] for key in self._keys)
        self._stems = frozenset(k for k in self._keys if " " not in k and len(k) >= MIN_STEM)

    def spans(self, text: str) -> list[Span]:
        """Matching spans, the longest at each place, not overlapping, in text order."""
        words = _words(text)
        all_caps = _mostly_capitals(text)
        found: list[Span] = []
        for i, word in enumerate(words):
            if found and word.start < found[-1].end:
                continue
            found.extend(self._match_at(text, words, i, all_caps))
        return found

    def _match_at(self, text: str, words: Sequence[_Word], i: int, all_caps: bool) -> list[Span]:
        word = words[i]
        if word.script == "unspaced":
            return self._inside_unspaced(word)
        if word.script == "cased" and not _is_proper(word.text, all_caps):
            return []
        phrase = self._phrase(text, words, i) if word.folded in self._first_words else None
        span = phrase or self._inflected(word, word.folded)
        if span is None and word.latin:
            found = self._inflected(word, word.latin)
            span = replace(found, transliterated=True) if found else None
        return [span] if span else []

    def _phrase(self, text: str, words: Sequence[_Word], i: int) -> Span | None:
        """The longest run of up to MAX_WORDS words from word i that is a name."""
        last = i
        while last + 1 < len(words) and last + 1 - i < MAX_WORDS:
            gap = text[words[last].end : words[last + 1].start]
            if not gap or len(gap) > 2 or any(ch not in _JOINERS for ch in gap):
                break
            last += 1
        for end in range(last, i - 1, -1):
            key = " ".join(w.folded for w in words[i : end + 1])
            if key in self._keys:
                return Span(words[i].start, words[end].end, key, True)
        return None

    def _inflected(self, word: _Word, folded: str) -> Span | None:
        """A name in one word: the word whole (or `folded`, its transliteration), its stem
        before an inflection (cased scripts), its head before particles (Hangul), or what
        follows one proclitic letter (Arabic)."""
        text = word.text
        if folded in self._keys:
            return Span(word.start, word.end, folded, folded == word.folded)
        if word.script == "cased":
            for cut in range(1, MAX_SUFFIX + 1):
                stem = folded[:-cut]
                if len(stem) < MIN_STEM + (cut == MAX_SUFFIX) or not text[-cut:].isalpha():
                    continue
                if stem in self._stems:
                    end = word.end - cut if folded is word.folded else word.end
                    return Span(word.start, end, stem, False)
        elif word.script == "hangul":
            for length in range(len(text) - 1, 1, -1):
                if folded[:length] in self._keys:
                    return Span(word.start, word.start + length, folded[:length], False)
        elif word.script == "arabic" and text[0] in _ARABIC_PROCLITICS and folded[1:] in self._keys:
            return Span(word.start + 1, word.end, folded[1:], False)
        return None

    def _inside_unspaced(self, word: _Word) -> list[Span]:
        """The names inside a run of Han or kana, the longest at each place."""
        text, found, start = word.folded, [], 0
        while start < len(text):
            for length in range(min(MAX_UNSPACED, len(text) - start), 1, -1):
                key = text[start : start + length]
                if key in self._keys:
                    found.append(Span(word.start + start, word.start + start + length, key, True))
                    start += length - 1
                    break
            start += 1
        return found
