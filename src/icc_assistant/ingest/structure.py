"""Clean text -> sections: blocks of paragraphs, each with its heading path."""

from __future__ import annotations

import re
from dataclasses import dataclass

from icc_assistant.ingest.cleaning import (
    is_boilerplate,
    is_chart_label,
    is_chrome,
    normalise_heading,
    paragraphs_of,
    parse_toc,
    strip_emphasis,
    strip_markup,
)

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BOLD_LINE = re.compile(r"^(\*\*|__)(?P<text>[^*_\s][^*_]{1,78}?)\1$")
_RULE = re.compile(r"^\s*([-*_=]\s*){3,}$")
_PAGE_NUMBER = re.compile(r"^\s*(page\s*)?\d{1,3}(\s*/\s*\d{1,3})?\s*$", re.IGNORECASE)
# "Recommendations" and "Suggestions" in the languages Index reports are written in, after an
# optional section number ("4. Recommandations").
_ADVICE = (
    r"suggestions?|recommendations?|recommandations?|propositions?|empfehlungen|vorschläge|"
    r"recomendaciones|sugerencias|raccomandazioni|suggerimenti|recomendações|sugestões|"
    r"aanbevelingen|rekommendationer|anbefalinger|zalecenia|rekomendacje|рекомендації|"
    r"рекомендации|пропозиції|предложения|συστάσεις|προτάσεις|öneriler|tavsiyeler"
)
RECOMMENDATION_HEADING = re.compile(
    rf"^(?:\d+(?:\.\d+)*\.?\s+)?({_ADVICE})(\s+(and|et|und|y|e|i|и|і|και|ve)\s+({_ADVICE}))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Block:
    """A paragraph and the heading path it sits under."""

    path: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Structured:
    """A report's title, front matter paragraphs (cover) and body blocks."""

    title: str
    front: tuple[str, ...]
    blocks: tuple[Block, ...]


def promote_pdf_headings(text: str) -> str:
    """Mark short upper-case lines of PDF text as headings; drop page numbers and form feeds."""
    out: list[str] = []
    for line in text.replace("\f", "\n").split("\n"):
        stripped = line.strip()
        if _PAGE_NUMBER.match(stripped):
            continue
        letters = [c for c in stripped if c.isalpha()]
        if (
            3 <= len(stripped) <= 70
            and letters
            and stripped.isupper()
            and not stripped.endswith(".")
        ):
            # The first upper-case line, before any body text, is the title.
            marks = "#" if not any(o.strip() for o in out) else "##"
            out.extend(["", f"{marks} {stripped}", ""])
        else:
            out.append(line)
    return "\n".join(out)


def _prepare(text: str) -> list[str]:
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = strip_markup(raw).replace("\t", " ").replace("\u00a0", " ")
        if _RULE.match(line) or is_chrome(line) or is_chart_label(line):
            line = ""
        lines.append(line.rstrip())
    return lines


class _Outline:
    """Tracks the heading path while walking a report."""

    def __init__(self, toc: dict[str, int]) -> None:
        self.toc = toc
        self.path: list[tuple[int, str]] = []

    def level_of(self, heading: str, marks: int) -> int:
        key = normalise_heading(heading)
        toc_level = self._toc_level(key)
        stripped = heading.strip()
        if (
            RECOMMENDATION_HEADING.match(stripped)
            and not stripped[:1].isdigit()  # "4. Recommendations" is a chapter of its own
            and not (toc_level == 1 and heading.isupper())
        ):
            return (self.path[-1][0] + 1) if self.path else 1
        if toc_level is not None:
            return toc_level
        if self.toc:
            return 1 if heading.isupper() else 2
        return max(1, marks - 1)

    def is_heading(self, text: str) -> bool:
        """Whether a line set in bold on its own is a heading: a table-of-contents entry, or
        short upper-case text when the report has no table of contents. Reports converted
        from PDF often set a chapter heading in bold instead of marking it as one."""
        if self.toc:
            return self._toc_level(normalise_heading(text)) is not None
        return text.isupper() and len(text) <= 70

    def _toc_level(self, key: str) -> int | None:
        if key in self.toc:
            return self.toc[key]
        for entry, level in self.toc.items():
            if key.startswith(entry + " ") or entry.startswith(key + " "):
                return level
        return None

    def enter(self, heading: str, marks: int) -> None:
        level = self.level_of(heading, marks)
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.path.append((level, heading))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.path)


def structure_report(text: str) -> Structured:
    """Split a Markdown (or promoted PDF) report into titled blocks by heading."""
    toc, lines = parse_toc(_prepare(text))
    outline = _Outline(toc)
    title_parts: list[str] = []
    front: list[str] = []
    blocks: list[Block] = []
    pending: list[str] = []
    seen_section = False

    def flush() -> None:
        for paragraph in paragraphs_of(pending):
            paragraph = strip_emphasis(paragraph)
            if not paragraph or is_boilerplate(paragraph):
                continue
            if seen_section:
                blocks.append(Block(outline.names, paragraph))
            else:
                front.append(paragraph)
        pending.clear()

    for line in lines:
        stripped = line.strip()
        if match := _HEADING.match(stripped):
            heading, marks = strip_emphasis(match.group(2)).strip(" #"), len(match.group(1))
        elif (
            (bold := _BOLD_LINE.match(stripped))
            and seen_section
            and outline.is_heading(bold.group("text").strip())
        ):
            heading, marks = bold.group("text").strip(), 2
        else:
            pending.append(line)
            continue
        if not heading:
            continue
        flush()
        if marks == 1 and not seen_section:
            title_parts.append(heading)
            continue
        seen_section = True
        outline.enter(heading, marks)
    flush()
    title = " ".join(title_parts) or (front[0] if front else "")
    if not blocks and front:  # no headings at all: the whole text is one section
        blocks = [Block((), p) for p in front]
        front = []
    return Structured(title=title, front=tuple(front), blocks=tuple(blocks))
