"""ICU's sentence segmentation through icu4py (used) against PyICU (used before): same splits?

Loads every document of corpus/ and ../shared/eval/multilingual/corpus (when present), splits
each line of each chunk with `ingest.sentences.segment` (icu4py) and with the same function over
PyICU's BreakIterator, and prints the lines whose sentences differ, the chunks whose quotable
sentences differ, and the time of each (median of three warm passes). PyICU is not a dependency
any more: install it into the venv to compare (`pip install PyICU`, which compiles against
libicu-dev with pkg-config and a C++ compiler).

    python bench/segmenter.py [PATHS...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from icc_assistant.ingest import collect_paths, load_document
from icc_assistant.ingest import sentences as sentences_module

ROOT = Path(__file__).resolve().parents[1]
CORPORA = (ROOT / "corpus", ROOT.parent / "shared" / "eval" / "multilingual" / "corpus")
Segmenter = Callable[[str, str], list[str]]


def pyicu_segment() -> Segmenter:
    """`segment` with PyICU's BreakIterator in place of icu4py's SentenceBreaker."""
    import icu  # PyICU, not a dependency: see the module docstring

    iterators: dict[str, icu.BreakIterator] = {}

    def segment(text: str, language: str = "en") -> list[str]:
        if language not in iterators:
            locale = icu.Locale(sentences_module._locale(language))
            iterators[language] = icu.BreakIterator.createSentenceInstance(locale)
        unicode, iterator = icu.UnicodeString(text), iterators[language]
        iterator.setText(unicode)
        pieces, start = [], 0
        for end in iterator:
            pieces.append(str(unicode[start:end]))
            start = end
        return _join(pieces)

    return segment


def _join(pieces: list[str]) -> list[str]:
    """The same repair of ICU's splits as `segment` (abbreviations, lower-case starts)."""
    found: list[str] = []
    for raw in pieces:
        piece = raw.strip()
        if not piece:
            continue
        if found and (sentences_module._ABBREVIATION.search(found[-1]) or piece[:1].islower()):
            found[-1] = f"{found[-1]} {piece}"
        else:
            found.append(piece)
    return found


def warm_ms(segment: Segmenter, lines: list[tuple[str, str]]) -> float:
    """Median of three passes over every line, in milliseconds."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for line, language in lines:
            segment(line, language)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="default: both development corpora")
    args = parser.parse_args()
    files, _ = collect_paths(args.paths or [c for c in CORPORA if c.is_dir()])
    documents = [load_document(path, doc_id=doc_id) for path, doc_id in files]
    lines = [
        (line, doc.meta.language or "en")
        for doc in documents
        for chunk in doc.chunks
        for line in chunk.text.splitlines()
    ]
    ours = sentences_module.segment
    try:
        theirs = pyicu_segment()
    except ImportError:
        sys.exit("PyICU is not installed: `pip install PyICU` to compare with it.")
    differing = [(line, lang) for line, lang in lines if ours(line, lang) != theirs(line, lang)]
    for line, language in differing:
        print(f"[{language}] icu4py {ours(line, language)}\n     PyICU  {theirs(line, language)}")
    sentences_module.segment = theirs  # the quotable sentences as PyICU would have made them
    before = [load_document(path, doc_id=doc_id) for path, doc_id in files]
    sentences_module.segment = ours
    pairs = [
        (a, b)
        for x, y in zip(documents, before, strict=True)
        for a, b in zip(x.chunks, y.chunks, strict=True)
    ]
    changed = sum(1 for a, b in pairs if a.sentences != b.sentences)
    count = sum(len(ours(line, lang)) for line, lang in lines)
    print(
        f"{len(documents)} documents, {len(lines)} lines, {count} sentences: "
        f"{len(differing)} lines split differently, {changed} of {len(pairs)} chunks with "
        f"other quotable sentences"
    )
    print(f"icu4py {warm_ms(ours, lines):.1f} ms, PyICU {warm_ms(theirs, lines):.1f} ms (warm)")


if __name__ == "__main__":
    main()
