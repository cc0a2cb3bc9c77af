"""Language detection for questions, documents and answers (lingua, a bounded set of languages).

Lingua with all 75 languages preloaded costs 7.5 s and 1.4 GB here, so the detector is built
lazily, once per process, over the languages ICC material and its users actually write in, in
lingua's low-accuracy (trigram) mode, with their models preloaded: 0.45 s and about 55 MB, and
every dev question still gets its right language. Loaded on demand instead, the first question in
each language would pay about 0.1 s; the service calls `warm_up()` when it starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

# The 24 official EU languages that lingua knows (it has no Maltese), the other languages the
# answer catalogue covers, and those of ICC member cities outside the EU.
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt",
    "lv", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
    "ar", "ja", "ko", "ru", "tr", "uk", "zh",
    "ca", "eu", "he", "is", "nb", "sq", "sr", "bs", "mk", "vi",
)  # fmt: skip

# Scripts that name the language outright: any Hangul or kana, or a majority of the letters in
# Han, Greek, Hebrew or Arabic script (only one supported language writes each), which spares a
# lingua call.
_SCRIPT_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
)
_MAJORITY_SCRIPTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"), "el"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
)
MIN_CONFIDENCE = 0.5
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    codes = [getattr(IsoCode639_1, code.upper()) for code in SUPPORTED_LANGUAGES]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def warm_up() -> None:
    """Load the detector now rather than on the first question."""
    _detector()


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of the text's language, or `default` when the text has too few letters."""
    return _detected(text) or default


# Below this many words lingua guesses, confidently: "intercultural mediation" reads as French
# (0.94), "anti-rumour" as French, "Integrationsrat" as Swedish.
SHORT_QUESTION_WORDS = 3


def language_from_hints(text: str, hints: Iterable[str | None]) -> str | None:
    """The caller's language for a text too short to tell its own, else None (detect it).

    `hints` are what the caller says of itself, best first: a UI's language, then
    Accept-Language's; the first supported one counts. A text counts as too short when it has
    fewer than SHORT_QUESTION_WORDS words or its language cannot be told, unless its script
    names the language (Hangul, kana, mostly Greek...)."""
    hint = next((code for code in map(_base_code, hints) if code in SUPPORTED_LANGUAGES), None)
    if hint is None or _script_language(text) is not None:
        return None
    if len(text.split()) < SHORT_QUESTION_WORDS or _detected(text) is None:
        return hint
    return None


def _base_code(tag: str | None) -> str:
    """The primary subtag of a language tag ("pt-BR" -> "pt"); Norwegian's "no" is Bokmål."""
    code = (tag or "").strip().lower().replace("_", "-").split("-")[0]
    return "nb" if code == "no" else code


def _script_language(text: str) -> str | None:
    """The language a script names outright, if the text is written in one."""
    for pattern, code in _SCRIPT_HINTS:
        if pattern.search(text):
            return code
    letters = len(_LETTERS.findall(text))
    for pattern, code in _MAJORITY_SCRIPTS:
        if letters and 2 * len(pattern.findall(text)) > letters:
            return code
    return None


@lru_cache(maxsize=1024)  # a chat asks about its question at several stages
def _detected(text: str) -> str | None:
    if len(_LETTERS.findall(text)) < 2:
        return None
    by_script = _script_language(text)
    if by_script is not None:
        return by_script
    ranked = _detector().compute_language_confidence_values(text)
    if not ranked or ranked[0].value < MIN_CONFIDENCE:
        # Too short or mixed to tell ("What is RIMU?" reads as Estonian): the caller's default.
        return None
    return str(ranked[0].language.iso_code_639_1.name.lower())
