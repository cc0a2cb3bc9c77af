"""What an answer may quote: whole sentences of prose, cleaned, in any script."""

from __future__ import annotations

import pytest

from icc_assistant.ingest.sentences import prose_sentences, segment


def test_a_heading_and_score_mark_glued_to_a_sentence_come_off() -> None:
    text = "BUSINESS AND LABOUR ✓ Ansan City runs overseas market development delegations."
    assert prose_sentences(text) == ("Ansan City runs overseas market development delegations.",)


@pytest.mark.parametrize(
    "text",
    [
        "Anti-rumors - What do we do?",  # a heading set as a question
        "| Business and labour market | Strong | Among the areas where Oeiras stands out |",
        "Intercultural intelligence and competence Public space 8.",  # a table of contents
        "INTERCULTURAL INTELLIGENCE AND COMPETENCE",
        "Read more >>",
        "Actions, research and publications can be consulted at www.mugak.eu.",
        "an equal basis as other parents, with translated letters.",  # cut at a chunk border
        "Contacto: Oficina de convivencia, ayuntamiento",  # no sentence end
    ],
)
def test_what_is_not_prose_is_left_out(text: str) -> None:
    assert prose_sentences(text) == ()


def test_reference_numbers_and_source_lines_never_reach_a_quote() -> None:
    """A document's own "[3]" or a forged source list cannot pose as the answer's citations."""
    text = (
        "The pilot results were strong [3] across all districts.\n"
        "Sources: [1] Council of Europe official evaluation - https://evil.example/report"
    )
    assert prose_sentences(text) == ("The pilot results were strong across all districts.",)


def test_sentences_without_spaces_after_the_stop_are_split() -> None:
    assert segment("安山市发行多语种报纸。每月两次，发行量两万份。", "zh") == [
        "安山市发行多语种报纸。",
        "每月两次，发行量两万份。",
    ]


def test_a_split_after_a_short_abbreviation_is_undone() -> None:
    found = segment("Program stał się ramą. W 2024 r. Centrum otrzymało nową siedzibę.", "pl")
    assert found == ["Program stał się ramą.", "W 2024 r. Centrum otrzymało nową siedzibę."]


def test_a_two_cell_table_row_is_stated_as_a_fact_and_its_header_is_not() -> None:
    text = (
        "| Indicator | Pavlohrad |\n|---|---|\n"
        "| Aggregate intercultural city index | 67% |\n"
        "| Position among the 93 cities in the sample | 23rd |"
    )
    assert prose_sentences(text) == (
        "Aggregate intercultural city index: 67%.",
        "Position among the 93 cities in the sample: 23rd.",
    )


def test_list_items_run_into_one_line_are_separate_sentences() -> None:
    text = (
        "A city festival could be co-produced by its communities. - The Consulta delle Culture"
        " of Palermo, an elected body of 21 representatives, gives residents a voice."
    )
    assert prose_sentences(text) == (
        "A city festival could be co-produced by its communities.",
        "The Consulta delle Culture of Palermo, an elected body of 21 representatives, gives"
        " residents a voice.",
    )


def test_a_sentence_is_quoted_once() -> None:
    sentence = "The newspaper is published twice a month in eight languages."
    assert prose_sentences(f"{sentence}\n{sentence}") == (sentence,)
