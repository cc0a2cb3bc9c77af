"""Settings, keyword tokens and language detection: the pieces every stage shares."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from icc_assistant.language import detect_language, language_from_hints
from icc_assistant.settings import Settings
from icc_assistant.tokens import keyword_tokens


def test_comma_separated_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """ICC_ADMIN_KEYS="a, b" becomes two keys."""
    monkeypatch.setenv("ICC_ADMIN_KEYS", "a, b")
    assert Settings().admin_keys == ["a", "b"]


def test_blank_model_url_means_extractive_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty ICC_LLM_BASE_URL (as in many .env files) leaves the model unconfigured."""
    monkeypatch.setenv("ICC_LLM_BASE_URL", "  ")
    assert Settings().has_model is False


def test_bad_model_url_names_the_variable() -> None:
    """A URL without a scheme is refused with the variable's name."""
    with pytest.raises(ValidationError, match="ICC_LLM_BASE_URL"):
        Settings(llm_base_url="localhost:8080/v1")


def test_numbers_match_across_group_separators() -> None:
    """ "20,000" and "20 000" give the same keyword token."""
    assert "20000" in keyword_tokens("20,000 copies")
    assert "20000" in keyword_tokens("20 000 exemplaires")


def test_word_forms_share_a_prefix_token() -> None:
    """Plural and singular meet on the same token, accents folded."""
    assert keyword_tokens("campaigns") == keyword_tokens("campaign")
    assert keyword_tokens("Zürich") == keyword_tokens("Zurich")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("oraz dla przez miasto", ["miasto"]),
        ("och för att staden", ["staden"]),
        ("het voor met stad", ["stad"]),
        ("ve için bu şehir", ["sehir"]),
        ("και για στο πόλη", ["πολη"]),
        ("для этого как школа", ["школа"]),
        ("og som til byen", ["byen"]),
        ("The city and its schools", ["city", "school"]),
    ],
)
def test_function_words_of_every_detected_language_are_dropped(text: str, kept: list[str]) -> None:
    """Stop words come from stopwordsiso for each language the product detects (Polish,
    Swedish, Turkish, Greek, Russian, Norwegian... not only the five a hand list covered)."""
    assert keyword_tokens(text) == kept


def test_cjk_text_becomes_bigrams() -> None:
    """Hangul runs are split into overlapping bigrams."""
    assert keyword_tokens("안산시") == ["안산", "산시"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Comment les villes luttent-elles contre les rumeurs ?", "fr"),
        ("안산시는 외국인 주민을 위한 신문을 발행하나요?", "ko"),
        ("Πόσα παιδιά μεταναστών πηγαίνουν σε δημοτικά σχολεία στο Ανσάν;", "el"),
        ("Якими мовами працює центр для іноземців в Ансані?", "uk"),
        ("كم عدد النساء في مجلس المقيمين الأجانب في أنسان؟", "ar"),
        ("安山市如何开展反谣言活动？", "zh"),
        ("איך ערים מנהלות קמפיינים נגד שמועות?", "he"),
        ("What does the Greek word πόλη mean in the Ansan report?", "en"),
        ("Что такое RIMU в Окленде?", "ru"),
    ],
)
def test_language_of_a_question(text: str, code: str) -> None:
    """Questions in seven scripts get their ISO 639-1 code; a word in another script does not
    decide the language of a sentence."""
    assert detect_language(text) == code


def test_text_without_letters_gets_the_default() -> None:
    """Digits and punctuation alone fall back to the default language."""
    assert detect_language("42 ?!", default="fr") == "fr"


@pytest.mark.parametrize(
    ("question", "hints", "language"),
    [
        ("anti-rumour", ["en"], "en"),  # lingua alone says French
        ("intercultural mediation", [None, "en-GB", "fr"], "en"),
        ("What is RIMU?", ["de"], "de"),  # three words, but lingua cannot tell
        ("anti-rumour", ["xx", "pt-BR"], "pt"),
        ("Comment les villes luttent-elles contre les rumeurs ?", ["en"], None),
        ("안산 신문", ["en"], None),  # the script says Korean
        ("anti-rumour", [None], None),
    ],
)
def test_a_callers_language_counts_only_when_the_question_is_too_short(
    question: str, hints: list[str | None], language: str | None
) -> None:
    """The first supported hint is the answer language for a question of under three words or
    of no detectable language, never for one that says its language or whose script does."""
    assert language_from_hints(question, hints) == language
