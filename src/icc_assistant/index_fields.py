"""The fields of the ICC Index, recognised in questions in any language (data/fields.json).

Every ICC Index report is written in the same chapters: education, neighbourhoods, participation,
media and communication and so on. A question that names one ("참여 분야에서 몇 점", "medios de
comunicación") is most likely about that chapter of a report, all the more when it asks for a
score ("몇 점", "Punktzahl"). Each field
lists the English headings reports use for it and cues per language: regular expressions over
lower-cased text, matched at a word start in alphabetic scripts and anywhere in scripts without
spaces or with attached particles (Hangul, CJK, Arabic). Score cues are listed the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_WORD_SCRIPT = re.compile(r"^[a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")


@dataclass(frozen=True)
class IndexField:
    """One chapter of the ICC Index."""

    name: str
    headings: re.Pattern[str]
    cues: re.Pattern[str]


def _cue_regex(cue: str) -> str:
    """The cue, matched at a word start in alphabetic scripts. The check follows the cue's
    first letter (every cue starts with one) so that the engine can skip ahead to it."""
    if not _WORD_SCRIPT.match(cue):
        return f"(?:{cue})"
    return rf"(?:{cue[0]}(?<!\w.){cue[1:]})"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        resources.files("icc_assistant").joinpath("data/fields.json").read_text("utf-8")
    )
    return raw


def _cues_regex(cues_by_language: dict[str, list[str]]) -> re.Pattern[str]:
    cues = [cue for language_cues in cues_by_language.values() for cue in language_cues]
    return re.compile("|".join(_cue_regex(c) for c in cues))


@lru_cache(maxsize=1)
def _fields() -> tuple[IndexField, ...]:
    fields = []
    for entry in _data()["fields"]:
        headings = "|".join(re.escape(h) for h in entry["headings"])
        fields.append(
            IndexField(
                name=entry["name"],
                headings=re.compile(rf"(?<!\w)(?:{headings})s?(?!\w)"),
                cues=_cues_regex(entry["cues"]),
            )
        )
    return tuple(fields)


@lru_cache(maxsize=1)
def _score_cues() -> re.Pattern[str]:
    return _cues_regex(_data()["score_cues"])


def find_fields(text: str) -> tuple[str, ...]:
    """Names of the Index fields a question names, in the order of the data file."""
    lowered = text.lower()
    return tuple(f.name for f in _fields() if f.cues.search(lowered))


def asks_score(text: str) -> bool:
    """Whether a question asks for a score ("몇 점", "Punktzahl", "puntuación")."""
    return bool(_score_cues().search(text.lower()))


@lru_cache(maxsize=4096)
def section_fields(section: str) -> frozenset[str]:
    """Index fields a report section belongs to, from its heading path ("LENS > EDUCATION")."""
    lowered = section.lower()
    return frozenset(f.name for f in _fields() if f.headings.search(lowered))
