"""Types, topics and Index results decided at indexing from meaning, in any language, and the
Index results kept in step with the documents they were read from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fakes.counting_embedder import CountingEmbedder
from icc_assistant.documents import ScoreRow
from icc_assistant.index import IndexStore
from icc_assistant.ingest import collect_paths, load_files
from icc_assistant.settings import Settings

DATA = Path(__file__).resolve().parent / "data"
REPORTS = DATA / "index-reports"
PAGES = [DATA / "good-practice-page.html", DATA / "multilingual" / "hamburg-sprachcafe-de.txt"]


@pytest.fixture(scope="module")
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three Index reports (French prose, a Spanish text table, a Dutch Markdown table) and
    two practice pages (English HTML, German text)."""
    root = tmp_path_factory.mktemp("corpus")
    for path in [*REPORTS.iterdir(), *PAGES]:
        shutil.copy(path, root / path.name)
    return root


@pytest.fixture(scope="module")
def store(
    corpus: Path, embedder: CountingEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> IndexStore:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), corpus_dir=corpus)
    store = IndexStore.open(settings, embedder)
    files, errors = collect_paths([corpus])
    assert not errors
    store.sync(load_files(files))
    return store


def rows_of(store: IndexStore, doc_id: str) -> dict[str, ScoreRow]:
    rows = [row for row in store.catalog.scores if row.doc_id == doc_id]
    assert len({row.indicator for row in rows}) == len(rows), "one value per indicator"
    return {row.indicator: row for row in rows}


@pytest.mark.parametrize(
    ("doc_id", "doc_type"),
    [
        ("strasbourg-rapport-indice-2022-fr.md", "index_report"),
        ("tarragona-indice-ciudades-2021-es.txt", "index_report"),
        ("haarlem-icc-index-2020-nl.md", "index_report"),
        ("good-practice-page.html", "good_practice"),
    ],
)
def test_type_is_decided_in_any_language(store: IndexStore, doc_id: str, doc_type: str) -> None:
    """Index reports in French, Spanish and Dutch are typed as such, a practice as one."""
    assert store.catalog.documents[doc_id].doc_type == doc_type


def test_topics_come_from_meaning(store: IndexStore) -> None:
    """The Barcelona anti-rumour page is about anti-rumour work, not the sidebar's Roma."""
    topics = store.catalog.documents["good-practice-page.html"].topics
    assert "Anti-rumour" in topics and "Roma" not in topics


def test_a_german_page_gets_topics(store: IndexStore) -> None:
    """A page in German gets ICC topics from its meaning (no cue list matched German)."""
    topics = store.catalog.documents["hamburg-sprachcafe-de.txt"].topics
    assert topics and len(topics) <= 4


def test_prose_results_are_read_with_their_sentence(store: IndexStore) -> None:
    """The French report's aggregate, rank and indicator scores are stored with the sentence
    stating each, the sample's value beside the city's."""
    rows = rows_of(store, "strasbourg-rapport-indice-2022-fr.md")
    aggregate, rank = rows["aggregate"], rows["rank"]
    assert (aggregate.value, aggregate.unit, aggregate.sample_value) == (64, "percent", 62)
    assert (rank.value, rank.unit, rank.out_of) == (41, "rank", 152)
    assert (rows["education"].value, rows["education"].sample_value) == (71, 59)
    assert (rows["public_space"].value, rows["public_space"].sample_value) == (48, 63)
    for row in rows.values():
        assert f"{row.value:g}" in row.quote and row.city == "Strasbourg" and row.year == 2022


def test_a_count_under_a_heading_is_no_result(store: IndexStore) -> None:
    """ "plus de 80 nationalités" under the Education heading is not stored as its score."""
    rows = rows_of(store, "strasbourg-rapport-indice-2022-fr.md")
    assert all(row.value != 80 for row in rows.values())


@pytest.mark.parametrize(
    ("doc_id", "expected"),
    [
        (
            "tarragona-indice-ciudades-2021-es.txt",
            {"commitment": (77, 69), "education": (66, 61), "mediation": (83, 62)},
        ),
        (
            "haarlem-icc-index-2020-nl.md",
            {"education": (74, 60), "neighbourhoods": (58, 61), "language": (49, 47)},
        ),
    ],
)
def test_table_labels_in_other_languages_name_their_indicator(
    store: IndexStore, doc_id: str, expected: dict[str, tuple[int, int]]
) -> None:
    """Rows labelled in Spanish or Dutch are tied to the ICC indicator they name, by meaning,
    with the city's column and the sample's, each row quoted."""
    rows = rows_of(store, doc_id)
    for indicator, (value, sample) in expected.items():
        assert (rows[indicator].value, rows[indicator].sample_value) == (value, sample)
        assert rows[indicator].quote.split()[0] != ""
    assert not any(r.unit == "rank" for r in rows.values())


def test_practice_pages_have_no_results(store: IndexStore) -> None:
    """A practice page's figures ("1,000 members") are no Index results."""
    docs = {"good-practice-page.html", "hamburg-sprachcafe-de.txt"}
    assert not [row for row in store.catalog.scores if row.doc_id in docs]


def test_results_follow_their_document(embedder: CountingEmbedder, tmp_path: Path) -> None:
    """Results are stored with their report, kept on an unchanged re-ingest without embedding,
    and removed with it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORTS / "haarlem-icc-index-2020-nl.md", corpus)
    store = IndexStore.open(Settings(data_dir=tmp_path / "data", corpus_dir=corpus), embedder)
    files, _ = collect_paths([corpus])
    store.sync(load_files(files))
    assert store.stats().scores == 4
    before = embedder.embedded
    store.sync(load_files(files))
    assert embedder.embedded == before and store.stats().scores == 4
    assert store.delete_document("haarlem-icc-index-2020-nl.md")
    assert store.stats().scores == 0 and store.catalog.scores == ()
