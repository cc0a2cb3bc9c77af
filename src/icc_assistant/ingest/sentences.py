"""Chunk text -> the sentences worth quoting: whole, clean prose, nothing else.

Segmentation is ICU's sentence BreakIterator with the document's language and ICU's
abbreviation suppressions ("e.g.", "2007 r."): compared on both development corpora with
sentencex, pySBD, Bling Fire and the regular expression used before, it was the only one that
both split sentences written without a space after the full stop (Chinese, Japanese) and before
a score mark ("… plans. ✗ The city …"), and never split after an abbreviation. It is reached
through icu4py, whose wheels carry ICU itself, so installing needs no compiler nor libicu-dev
(PyICU, used before, builds from source); `bench/segmenter.py` compares the two.

What is kept is prose a reader can be shown as a quote: a score mark or an ALL-CAPS heading
glued in front of a sentence is taken off; bracketed reference numbers ("strong [3].") are
removed, so that a document's own text can never look like one of the answer's citations; and a
sentence is left out when it is not prose at all: a table row, a heading, a question, a
navigation or source line with an address, a piece that starts in lower case or does not end as
a sentence ends, or one too short or too long to quote whole.
"""

from __future__ import annotations

import re

from icu4py.breakers import SentenceBreaker

MIN_WORDS = 5  # in scripts that separate words with spaces
MIN_CHARS = 10  # in scripts that do not (Chinese, Japanese)
TABLE_MIN_WORDS = 3  # a table row's label and value ("Aggregate index: 67%.")
MAX_CHARS = 600  # a longer sentence is not quoted: a quote is always whole

_MARKS = "✗✓✔✘✕☐☑☒"
_REFERENCE = re.compile(r"\s*\[\d{1,3}\]")
_LINK = re.compile(r"\[([^\]\n]{1,200})\]\([^)\s]{0,300}\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_BULLET = re.compile(r"^(?:[-*•◦▪–—]+|\d{1,2}[.)])\s+")
_ADDRESS = re.compile(r"https?://|www\.|\S+@\S+\.\w", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!。！…]['\"”’»)\]」』]*$")
_QUESTION_END = re.compile(r"[?？]['\"”’»)\]」』]*$")
_WORD = re.compile(r"[^\W\d_]+")
_ABBREVIATION = re.compile(r"(?:^|[\s(])[^\W\d_A-Z]{1,2}\.$")
_NUMBERED_END = re.compile(r"\s\d{1,3}\.$")  # a table of contents' "Public space 8."
_NUMBERED_END_VALUE = re.compile(r"\s(\d{1,3})\.$")
TOC_ENTRY_WORDS = 6  # at most, in such an entry: "The score for participation is 45." is prose
_INLINE_BULLET = re.compile(r"(?<=[.!?:;。！？])\s+[-•–]\s+(?=\S)")
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
_SPACELESS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _locale(language: str) -> str:
    """The language's ICU locale, with abbreviation suppressions where ICU has them."""
    return f"{language or 'en'}@ss=standard"


def segment(text: str, language: str = "en") -> list[str]:
    """The sentences of one paragraph, as ICU splits them for the language. A split after a
    one- or two-letter lower-case abbreviation ("W 2024 r. Centrum", "ca. 30") or before a
    lower-case letter is undone: ICU has no abbreviation list for most languages."""
    found: list[str] = []
    # A breaker per paragraph: ICU's iterators hold their text, so none is shared by threads.
    for raw in SentenceBreaker(text, _locale(language)):
        piece = raw.strip()
        if not piece:
            continue
        if found and (_ABBREVIATION.search(found[-1]) or piece[:1].islower()):
            found[-1] = f"{found[-1]} {piece}"
        else:
            found.append(piece)
    return found


def _without_prefix(sentence: str) -> str:
    """The sentence without a bullet, or a heading and score mark glued in front of it
    ("BUSINESS AND LABOUR ✓ Ansan City runs …")."""
    sentence = _BULLET.sub("", sentence)
    last = max(sentence.rfind(mark, 0, 80) for mark in _MARKS)
    if last >= 0 and not any(c.islower() for c in sentence[:last]):
        sentence = sentence[last + 1 :]
    return sentence.strip()


def _caps_run(sentence: str) -> bool:
    """Three ALL-CAPS words in a row: a heading, not prose."""
    run = 0
    for word in _WORD.findall(sentence):
        run = run + 1 if len(word) > 1 and word.isupper() else 0
        if run >= 3:
            return True
    return False


def _long_enough(sentence: str, min_words: int) -> bool:
    if _SPACELESS.search(sentence):
        return len(sentence) >= MIN_CHARS
    return len(_WORD.findall(sentence)) >= min_words


def quotable(sentence: str, min_words: int = MIN_WORDS) -> str | None:
    """The sentence cleaned for quoting, or None when it is not prose."""
    text = _LINK.sub(r"\1", sentence)
    text = _EMPHASIS.sub("", _REFERENCE.sub("", text))
    text = _without_prefix(" ".join(text.replace("#", " ").split()))
    if not text or len(text) > MAX_CHARS:
        return None
    if any(mark in text for mark in _MARKS) or "|" in text or _ADDRESS.search(text):
        return None
    if _QUESTION_END.search(text) or not _SENTENCE_END.search(text):
        return None
    if _NUMBERED_END.search(text) and len(_WORD.findall(text)) <= TOC_ENTRY_WORDS:
        return None
    first = text.lstrip("\"'“„«‘(¿¡")[:1]
    if not first or first.islower() or _caps_run(text):
        return None
    return text if _long_enough(text, min_words) else None


def table_fact(row: str, header: bool) -> str | None:
    """A two-cell table row stated as `label: value.` ("Aggregate index: 67%."), or None: a
    header, a row of more cells or one that is not a label and a short value."""
    if header or not row.strip().startswith("|"):
        return None
    cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
    if len(cells) != 2 or not all(cells) or len(cells[1]) > 40:
        return None
    label, value = (" ".join(cell.split()) for cell in cells)
    if not any(ch.isalpha() for ch in label):
        return None
    return f"{label}: {value.rstrip('.')}."


def _without_list_numbers(pieces: list[str]) -> list[str]:
    """The pieces of a line but those ending in the next item's number of a numbered list run
    into one line ("1. Commitment 2. Intercultural lens 3. Mediation ..." splits after each
    number): two pieces ending in consecutive numbers."""
    ends = [int(m.group(1)) if (m := _NUMBERED_END_VALUE.search(p)) else None for p in pieces]
    numbered = {n for n in ends if n is not None}
    return [
        piece
        for piece, end in zip(pieces, ends, strict=True)
        if end is None or not ({end - 1, end + 1} & numbered)
    ]


def prose_sentences(text: str, language: str = "en") -> tuple[str, ...]:
    """The quotable sentences of a chunk's text, in order, each once; a two-cell table row
    counts as one (table_fact)."""
    found: dict[str, None] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        fact = table_fact(line, header=bool(_TABLE_RULE.match(following)))
        if fact:
            candidates = [(fact, TABLE_MIN_WORDS)]
        else:
            parts = _INLINE_BULLET.split(line)
            pieces = _without_list_numbers([p for part in parts for p in segment(part, language)])
            candidates = [(p, MIN_WORDS) for p in pieces]
        for piece, min_words in candidates:
            cleaned = quotable(piece, min_words)
            if cleaned:
                found.setdefault(cleaned, None)
    return tuple(found)
