"""GET /api/scores: the ICC Index results read at ingest, filtered by city (any of its names),
indicator and year, each row citing its source. Real server on loopback, real ChromaDB."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fixtures.live_server import Serve
from icc_assistant.settings import Settings

REPORT = "ansan-icc-index-analysis-2020.md"


@pytest.fixture
def url(serve: Serve, multilingual_settings: Settings) -> str:
    """A server over corpus/ (Ansan's Index report) plus the Setúbal Index excerpt."""
    return serve(data_dir=multilingual_settings.data_dir, rate_limit_per_minute=1000)


def rows(url: str, **params: str | int) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/scores", params=params, timeout=30)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["rows"]
    return found


def test_a_citys_indicator_score_comes_with_its_sample_and_source(url: str) -> None:
    """Ansan's education score is 95 beside the sample's 68, quoted from the report."""
    [row] = rows(url, city="Ansan", indicator="education")
    assert (row["value"], row["sample_value"], row["year"]) == (95, 68, 2020)
    assert row["doc_id"] == REPORT and row["chunk_id"].startswith(REPORT)
    assert "95" in row["quote"] and "68" in row["quote"]


def test_cities_match_by_any_spelling(url: str) -> None:
    """ "Setubal" finds Setúbal's aggregate index, stated as a percentage."""
    found = rows(url, city="Setubal", indicator="aggregate")
    assert [(r["city"], r["value"], r["unit"]) for r in found] == [("Setúbal", 61, "percent")]


def test_indicators_match_by_published_name(url: str) -> None:
    """The French name of an indicator finds the same rows as its id."""
    assert rows(url, indicator="espace public") == rows(url, indicator="public_space")
    assert {r["city"] for r in rows(url, indicator="public_space")} == {"Ansan", "Setúbal"}


def test_a_documents_rows_only(url: str) -> None:
    """doc_id keeps the rows read from that report: Ansan's report gives Ansan's rows, all of
    them; a document with none (a practice page) gives none."""
    every = rows(url)
    own = rows(url, doc_id=REPORT)
    assert own and {r["doc_id"] for r in own} == {REPORT} and {r["city"] for r in own} == {"Ansan"}
    assert own == [r for r in every if r["doc_id"] == REPORT]
    assert len(own) < len(every)  # the Setúbal excerpt's rows stay out
    assert rows(url, doc_id="ansan-democratic-citizenship.txt") == []


def test_unknown_indicator_is_a_422(url: str) -> None:
    """An indicator the Index does not have is refused with the error shape, naming it."""
    response = httpx.get(f"{url}/api/scores", params={"indicator": "weather"}, timeout=30)
    assert response.status_code == 422
    assert "weather" in response.json()["error"]["message"]


def test_every_row_is_quoted_from_an_index_report(url: str) -> None:
    """No row without the words it was read from, and only Index reports have rows."""
    every = rows(url)
    sources = httpx.get(f"{url}/api/sources", timeout=30).json()["documents"]
    reports = {d["doc_id"] for d in sources if d["doc_type"] == "index_report"}
    assert every and {r["doc_id"] for r in every} <= reports
    assert all(f"{r['value']:g}" in r["quote"].replace(" ", "") for r in every)


def chat(url: str, question: str) -> dict[str, Any]:
    response = httpx.post(f"{url}/api/chat", json={"question": question}, timeout=60)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def table_rows(text: str) -> list[list[str]]:
    """The cells of the Markdown table an answer opens with (header and rule excluded)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("|"):
            break
        lines.append([cell.strip() for cell in line.strip("|").split("|")])
    return lines[2:]


def test_a_score_question_opens_with_a_table_in_its_language(url: str) -> None:
    """Asked in Spanish, Ansan's education score comes first as a table with Spanish headers,
    its rows in `scores`, then the quotes."""
    answer = chat(
        url, "¿Qué puntuación obtiene Ansan en educación en el Índice de Ciudades Interculturales?"
    )
    assert answer["text"].startswith("| Ciudad | Indicador | Valor | Muestra | Año | Fuente |")
    cells = table_rows(answer["text"])
    assert ["Ansan", "education", "95", "68", "2020"] in [row[:5] for row in cells]
    assert len(answer["scores"]) == len(cells) and answer["citations"]


def test_cities_compared_side_by_side_and_one_without_results_named(url: str) -> None:
    """Comparing two cities' Index results lists both; a named city with no Index report is
    said to have none."""
    answer = chat(
        url, "Compare the Intercultural Cities Index results of Ansan, Setúbal and Hamburg."
    )
    cities = {row[0] for row in table_rows(answer["text"])}
    assert cities == {"Ansan", "Setúbal"}
    assert "Hamburg: the material holds no Intercultural Cities Index results." in answer["text"]


def test_a_practice_question_gets_no_table(url: str) -> None:
    """A question about what a city does is answered with quotes alone."""
    answer = chat(url, "How does Hamburg help newcomers practise German?")
    assert not answer["text"].startswith("|") and answer["scores"] == []
