"""Retrieval through its public interface, on a real index of the shipped corpus."""

from __future__ import annotations

import pytest

from icc_assistant import gazetteer, index_fields
from icc_assistant.documents import Filters
from icc_assistant.embeddings import create_embedder
from icc_assistant.errors import InvalidFilterError, InvalidQuestionError
from icc_assistant.index import IndexStore
from icc_assistant.retrieve import Retriever
from icc_assistant.settings import Settings


@pytest.fixture(scope="module")
def retriever(indexed_settings: Settings) -> Retriever:
    embedder = create_embedder(indexed_settings)
    return Retriever(IndexStore.open(indexed_settings, embedder), embedder, indexed_settings)


def sources(result_passages: tuple) -> list[str]:  # type: ignore[type-arg]
    return [p.document.source for p in result_passages]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "안산시는 외국인 주민을 위한 신문을 발행하나요? 얼마나 자주 발행하나요?",
            {
                "ansan-media-and-social-media-intercultural-literacy.txt",
                "ansan-icc-index-analysis-2020.md",
            },
        ),
        (
            "Πόσοι μαθητές δημοτικού στο Ανσάν δεν έχουν κορεατική υπηκοότητα;",
            {"ansan-education-support-centres.txt", "ansan-icc-index-analysis-2020.md"},
        ),
        (
            "¿Pueden los residentes extranjeros presentarse como candidatos en las elecciones"
            " locales de Ansan?",
            {"ansan-democratic-citizenship.txt", "ansan-icc-index-analysis-2020.md"},
        ),
    ],
)
def test_cross_lingual_question_finds_english_passages(
    retriever: Retriever, question: str, expected: set[str]
) -> None:
    """A question in Korean, Greek or Spanish ranks an expected English document in the top 2."""
    result = retriever.search(question, k=5)
    assert result.status == "found"
    assert set(sources(result.passages)[:2]) & expected


def test_cross_lingual_question_brings_the_fact(retriever: Retriever) -> None:
    """The Korean newspaper question finds the passage holding "twice a month" and "20,000"."""
    result = retriever.search(
        "안산시는 외국인 주민을 위한 신문을 얼마나 자주, 몇 부나 발행하나요?", k=5
    )
    text = " ".join(p.chunk.text for p in result.passages)
    assert "twice a month" in text and "20,000" in text


@pytest.mark.parametrize(
    "question", ["안산시의 교육 정책은?", "Τι κάνει το Ανσάν για την εκπαίδευση;"]
)
def test_city_named_in_another_script_is_recognised(retriever: Retriever, question: str) -> None:
    """Ansan written in Hangul or Greek resolves to the canonical city."""
    assert retriever.search(question).cities == ("Ansan",)


@pytest.mark.parametrize(
    ("question", "chapter"),
    [
        ("Τι βαθμολογία πήρε το Ανσάν στον δημόσιο χώρο;", "PUBLIC SPACE"),
        ("Jaki wynik uzyskało Ansan w dziedzinie interakcji?", "INTERACTION"),
        ("Wie schneidet Ansan im Bereich Nachbarschaften ab?", "NEIGHBOURHOODS"),
        ("Quelle est la note d'Ansan pour les services publics ?", "PUBLIC SERVICES"),
    ],
)
def test_index_field_named_in_another_language_ranks_its_chapter_first(
    retriever: Retriever, question: str, chapter: str
) -> None:
    """A question naming an ICC Index field (in Greek, Polish, German, French) gets a passage
    from that chapter of the report first."""
    result = retriever.search(question, k=5)
    assert result.status == "found"
    assert chapter in result.passages[0].chunk.section


def test_field_named_with_a_covered_city_passes_the_gate(retriever: Retriever) -> None:
    """A Greek question on Ansan's public-space score is answered from that chapter even though
    its topic alone falls below the gate."""
    result = retriever.search("Τι βαθμολογία πήρε το Ανσάν στον δημόσιο χώρο;", k=5)
    assert result.fields == ("Public space",)
    assert result.relevance is not None and result.relevance < retriever.config.min_similarity
    assert result.status == "found"


@pytest.mark.parametrize(
    ("question", "stated"),
    [
        ("安山市在国际视野方面的得分是多少？", "international outlook is 92"),
        ("안산시의 참여 분야 점수는?", "participation is 45"),
        ("Який бал отримав Ансан у сфері участі?", "participation is 45"),
    ],
)
def test_score_question_finds_where_the_report_states_the_score(
    retriever: Retriever, question: str, stated: str
) -> None:
    """A question on a city's score in an Index chapter (Chinese, Korean, Ukrainian) gets the
    passage where the city's report states that score among the first three."""
    result = retriever.search(question, k=5)
    assert result.status == "found"
    assert any(stated in p.chunk.text for p in result.passages[:3])


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("안산시는 참여 분야에서 몇 점을 받았나요?", True),
        ("Welche Punktzahl hat Ansan in der Bildung?", True),
        ("¿Qué puntuación obtuvo Ansan?", True),
        ("Какой балл получил Ансан?", True),
        ("How does Ansan support migrant children at school?", False),
        ("Which cities does the report point to as examples?", False),
    ],
)
def test_score_questions_are_recognised_in_any_language(text: str, asks: bool) -> None:
    """Score cues match in Hangul, Latin and Cyrillic text, not "point to"."""
    assert index_fields.asks_score(text) is asks


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("안산시는 참여 분야에서 몇 점을 받았나요?", ("Participation",)),
        ("Что делает город для посредничества?", ("Mediation and conflict resolution",)),
        ("Quali sono le politiche linguistiche?", ("Language",)),
        ("How do cities use the media and social networks?", ("Media and communication",)),
        ("What is the recipe for a chocolate cake?", ()),
    ],
)
def test_index_fields_are_recognised_in_any_language(text: str, fields: tuple[str, ...]) -> None:
    """Field cues match in Hangul, Cyrillic and Latin text, and not in unrelated questions."""
    assert index_fields.find_fields(text) == fields


def test_report_sections_map_to_their_fields() -> None:
    """A heading path names its field; "MEDIATION" is not "MEDIA"."""
    assert index_fields.section_fields("LENS > PUBLIC SERVICES > Suggestions") == {
        "Public services"
    }
    assert index_fields.section_fields("MEDIATION AND CONFLICT RESOLUTION") == {
        "Mediation and conflict resolution"
    }
    assert index_fields.section_fields("OVERALL CONCLUSIONS") == frozenset()


def test_off_topic_question_naming_a_covered_city_has_no_evidence(retriever: Retriever) -> None:
    """Naming Ansan does not make a question about train fares answerable: the gate judges the
    question without the city's name."""
    result = retriever.search("Сколько стоит билет на поезд из Ансана в Сеул?", k=5)
    assert result.cities == ("Ansan",)
    assert result.status == "no_evidence"
    assert max(p.score for p in result.nearest) >= retriever.config.min_similarity


def test_city_names_are_taken_out_of_a_question_in_any_script() -> None:
    """The gate's view of a question: the city names gone, particles and other words kept."""
    assert gazetteer.without_cities("Ansan에서 가장 큰 공원은?") == "에서 가장 큰 공원은?"
    assert gazetteer.without_cities("Schools in Ansan and Barcelona") == "Schools in and"


def test_specific_question_draws_on_more_than_one_document(retriever: Retriever) -> None:
    """Even a question about one city keeps a quarter of the passages for other documents."""
    result = retriever.search("What does Ansan do about discrimination in the media?", k=4)
    assert len({p.chunk.doc_id for p in result.passages}) > 1


def test_doc_type_filter_restricts_results(retriever: Retriever) -> None:
    """A doc_type filter returns only documents of that type."""
    result = retriever.search("education support", filters=Filters(doc_type="good_practice"))
    assert result.passages
    assert {p.document.doc_type for p in result.passages} == {"good_practice"}


def test_filter_matching_nothing_is_an_explicit_empty_result(retriever: Retriever) -> None:
    """A known city with no documents gives no passages and `no_evidence`, not an error."""
    result = retriever.search("anti-rumour strategy", filters=Filters(city="Barcelona"))
    assert result.status == "no_evidence"
    assert result.passages == ()


def test_unknown_filter_value_is_a_clear_error(retriever: Retriever) -> None:
    """An unknown city filter names the bad value."""
    with pytest.raises(InvalidFilterError, match="Atlantis"):
        retriever.search("education", filters=Filters(city="Atlantis"))


def test_inverted_year_range_is_refused(retriever: Retriever) -> None:
    """year_from after year_to is an error, not an empty result."""
    with pytest.raises(InvalidFilterError, match="year_from"):
        retriever.search("education", filters=Filters(year_from=2022, year_to=2019))


def test_general_question_draws_on_several_documents(retriever: Retriever) -> None:
    """A "how do cities ..." question does not return one document five times."""
    result = retriever.search("How do cities support schools with many migrant pupils?", k=5)
    assert len({p.chunk.doc_id for p in result.passages}) > 1


def test_acronym_is_found_by_the_keyword_leg(retriever: Retriever) -> None:
    """An acronym only one passage contains ranks that passage first."""
    result = retriever.search("What does RIMU do?", k=5)
    assert "RIMU" in result.passages[0].chunk.text


def test_off_topic_question_has_no_evidence(retriever: Retriever) -> None:
    """A football question is recognised as not covered, with the nearest material kept."""
    result = retriever.search("Who won the football world cup final and what was the score?")
    assert result.status == "no_evidence"
    assert result.passages == ()
    assert result.nearest


def test_question_about_an_uncovered_city_has_no_evidence(retriever: Retriever) -> None:
    """A question about a city the material never mentions is not answered from Ansan's."""
    result = retriever.search("What budget does Lisbon give its intercultural mediation?")
    assert result.status == "no_evidence"


@pytest.mark.parametrize("question", ["", "   \n"])
def test_empty_question_is_refused(retriever: Retriever, question: str) -> None:
    """An empty or blank question is a clear error."""
    with pytest.raises(InvalidQuestionError, match="empty"):
        retriever.search(question)


def test_overlong_question_is_refused(retriever: Retriever) -> None:
    """A question over the length limit names the limit."""
    with pytest.raises(InvalidQuestionError, match="limit"):
        retriever.search("why " * 1000)


def test_short_passages_carry_neighbouring_context(retriever: Retriever) -> None:
    """A short chunk's context adds its neighbours; a long chunk's context is its text."""
    result = retriever.search("Ansan Multicultural Citizens Awards Together Day", k=30)
    for passage in result.passages:
        if len(passage.chunk.text) < 350:
            assert len(passage.context) > len(passage.chunk.text)
        else:
            assert passage.context == passage.chunk.text
    assert any(len(p.chunk.text) < 350 for p in result.passages)
