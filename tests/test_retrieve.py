"""Retrieval through its public interface, on a real index of the shipped corpus."""

from __future__ import annotations

import pytest

from icc_assistant import gazetteer
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
            "Πόσα παιδιά μεταναστών πηγαίνουν σε δημοτικά σχολεία στο Ανσάν;",
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


def test_off_topic_question_naming_a_covered_city_has_no_evidence(retriever: Retriever) -> None:
    """Naming Ansan does not make a question about train fares answerable: the gate judges the
    question without the city's name."""
    result = retriever.search("Сколько стоит билет на поезд из Ансана в Сеул?", k=5)
    assert result.cities == ("Ansan",)
    assert result.status == "no_evidence"
    assert result.gate is not None and result.gate.reason in ("below_threshold", "off_topic")


@pytest.mark.parametrize(
    "question",
    [
        "What is the weather in Ansan tomorrow?",
        "Give me a recipe for kimchi.",
        "내일 안산 날씨는 어때요?",
        "¿Qué tiempo hará mañana en Ansan?",
    ],
)
def test_everyday_question_is_not_covered_with_or_without_the_city(
    retriever: Retriever, question: str
) -> None:
    """Off-topic questions are refused whatever their language and whether or not they name
    the city the material covers."""
    result = retriever.search(question, k=5)
    assert result.status == "no_evidence"
    assert result.gate is not None and result.gate.reason in ("below_threshold", "off_topic")


def test_question_nearer_to_an_off_topic_probe_than_to_any_passage_is_refused(
    retriever: Retriever,
) -> None:
    """The report's geography comes close enough to "the weather in Ansan" to pass the floor;
    the question is still nearer to an off-topic probe than to any passage."""
    result = retriever.search("What is the weather in Ansan tomorrow?", k=5)
    assert result.gate is not None and result.gate.reason == "off_topic"
    assert result.gate.score is not None and result.gate.off_topic is not None
    assert result.gate.score >= result.gate.threshold
    assert result.gate.score < result.gate.off_topic


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("안산시는 이주민을 위해 무엇을 하나요?", "Weihai"),  # 위해: "for"
        ("How do cities support Roma inclusion?", "Rome"),  # the people
        ("Sinti und Roma: welche Städte fördern ihre Teilhabe?", "Rome"),
        ("Wie fördern Städte das gemeinsame Essen von Nachbarn?", "Essen"),  # food
        ("Або як міста залучають мігрантів до ухвалення рішень?", "Turku"),  # "or"
        ("Kabul edilen göçmenler için şehirler ne yapıyor?", "Kabul"),  # "accepted"
        ("青年移民如何融入城市生活？", "Qingnian"),  # "young people"
    ],
)
def test_common_word_is_not_taken_for_a_city(
    retriever: Retriever, question: str, word: str
) -> None:
    """A word of the question's language that is also some city's name does not make the
    question one about that city (no "not covered: <city>", no city boost, no gap)."""
    result = retriever.search(question, k=5)
    assert word not in result.cities and word not in result.uncovered
    assert result.gate is not None and result.gate.reason != "uncovered_city"


@pytest.mark.parametrize(
    ("question", "city"),
    [
        ("안산시는 다문화 가족을 어떻게 지원하나요?", "Ansan"),
        ("Was tut Wien für Zuwanderer?", "Vienna"),
        ("Cosa fa Roma per i migranti?", "Rome"),
        ("Como é que Lisboa apoia os imigrantes?", "Lisbon"),
        ("Τι κάνει η Αθήνα για τους μετανάστες;", "Athens"),
    ],
)
def test_city_names_that_are_also_words_still_name_cities(
    retriever: Retriever, question: str, city: str
) -> None:
    """Where a name is used as one (capitalised mid-sentence, the city's own name in the
    language, a member city's name meaning the place), it stays a city."""
    assert city in retriever.search(question, k=5).cities


def test_a_self_standing_question_is_searched_alone(retriever: Retriever) -> None:
    """After an anti-rumour question, a question about Ansan's migrant children is searched on
    its own: no anti-rumour passage comes first."""
    result = retriever.search(
        "What does Ansan do for migrant children?",
        context="How do cities run campaigns against rumours?",
    )
    assert result.status == "found" and not result.history_used
    assert "rumour" not in result.passages[0].chunk.text.casefold()
    assert result.query == "What does Ansan do for migrant children?"


def test_a_follow_up_is_searched_with_the_earlier_question(retriever: Retriever) -> None:
    """A question that cannot stand on its own keeps the earlier question's subject."""
    result = retriever.search(
        "And what about their schools?", context="What does Ansan do for migrant children?"
    )
    assert result.status == "found" and result.history_used
    assert result.cities == ("Ansan",)
    assert "school" in " ".join(p.chunk.text for p in result.passages[:2]).casefold()


def test_covered_and_uncovered_cities_answer_for_the_covered_one(retriever: Retriever) -> None:
    """Naming Lisbon beside Ansan no longer refuses the question: Ansan's passages answer it,
    and Lisbon is reported as not covered."""
    result = retriever.search("How does Ansan support migrant children compared with Lisbon?")
    assert result.status == "found"
    assert result.cities == ("Ansan", "Lisbon") and result.uncovered == ("Lisbon",)
    assert all(p.document.city == "Ansan" for p in result.passages)


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
    with pytest.raises(InvalidFilterError, match="Nowhereville"):
        retriever.search("education", filters=Filters(city="Nowhereville"))


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
    assert result.gate is not None and result.gate.reason == "uncovered_city"


def test_gate_explains_its_decision(retriever: Retriever) -> None:
    """A found result carries the relevance judged, the corpus' threshold and the reason."""
    result = retriever.search("How do cities run campaigns against rumours?")
    assert result.status == "found"
    assert result.gate is not None and result.gate.reason == "relevant"
    assert result.gate.score is not None and result.gate.score >= result.gate.threshold > 0


def test_one_language_corpus_has_no_language_bias(indexed_settings: Settings) -> None:
    """The shipped corpus is all English: there is no head start of a language to take off,
    and the gate's threshold was measured on the off-topic probes."""
    stats = IndexStore.open(indexed_settings, create_embedder(indexed_settings)).stats()
    assert stats.calibration["language_bias"] == 0.0
    assert stats.calibration["probes"] > 20 and 0 < stats.calibration["gate_threshold"] < 1


@pytest.fixture(scope="module")
def multilingual(multilingual_settings: Settings) -> Retriever:
    embedder = create_embedder(multilingual_settings)
    store = IndexStore.open(multilingual_settings, embedder)
    return Retriever(store, embedder, multilingual_settings)


@pytest.mark.parametrize(
    ("question", "source"),
    [
        (
            "Seit wann gibt es in Krakau eine Beratungsstelle für Ausländer, und wer betreibt sie?",
            "krakow-punkt-informacyjny-pl.txt",
        ),
        ("Jak często odbywają się kawiarnie językowe w Hamburgu?", "hamburg-sprachcafe-de.txt"),
        (
            "Combien de conseils le point d'information de Cracovie a-t-il donnés en 2022 ?",
            "krakow-punkt-informacyjny-pl.txt",
        ),
    ],
)
def test_question_finds_the_page_in_another_language_first(
    multilingual: Retriever, question: str, source: str
) -> None:
    """A German question about the Polish page ranks it above the German page, a Polish
    question about the German page ranks it above the Polish one: the question's language
    gives no head start, and the city named as the user writes it ("Krakau", "Hamburgu",
    "Cracovie") leads to the page about it."""
    result = multilingual.search(question, k=5)
    assert result.status == "found"
    assert result.passages[0].document.source == source


def test_multilingual_corpus_measures_its_language_bias(multilingual_settings: Settings) -> None:
    """With pages in three languages the catalog measures a positive language bias."""
    store = IndexStore.open(multilingual_settings, create_embedder(multilingual_settings))
    assert store.stats().calibration["language_bias"] > 0.0


def test_city_named_only_in_a_list_is_not_covered(multilingual: Retriever) -> None:
    """Poznań appears only in a list of cities on the Kraków page: a question about it gets
    no_evidence rather than Kraków's figures."""
    result = multilingual.search("Ile porad udzielił punkt informacyjny w Poznaniu w 2022 roku?")
    assert result.cities == ("Poznań",)
    assert result.status == "no_evidence"
    assert result.gate is not None and result.gate.reason == "uncovered_city"


def test_city_a_recommendation_describes_is_covered(multilingual: Retriever) -> None:
    """Botkyrka has no page, but a report recommends its practice: that is covered, and the
    passage is marked as a recommendation naming Botkyrka."""
    result = multilingual.search(
        "What does the Subtopia creative hub in Botkyrka offer young people?"
    )
    assert result.status == "found"
    first = result.passages[0]
    assert first.chunk.is_recommendation and "Botkyrka" in first.chunk.mentioned_cities
    assert first.document.city == "Setúbal"


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


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Combien de langues les interprètes traduisent-ils aux séances d'accueil ?", "fr"),
        ("How many newcomers attend the welcome sessions in Neuchâtel each year?", "en"),
        ("Wie oft finden die Begrüßungsveranstaltungen in Neuenburg statt?", None),
    ],
)
def test_one_language_version_of_a_page(
    multilingual: Retriever, question: str, language: str | None
) -> None:
    """A page in English and French (one variant_key) takes one place, not two, and in the
    question's language when it has a version in it."""
    result = multilingual.search(question, k=5)
    versions = {p.document.source for p in result.passages if "neuchatel" in p.document.source}
    assert len(versions) == 1
    if language is not None:
        assert versions == {f"neuchatel-welcome-sessions-{language}.txt"}
