"""The ICC Index results the index holds (ingest/describe.py), looked up by city, indicator,
year and document: what GET /api/scores, `icc-assistant scores` and the MCP tool `icc_scores`
return.

A city matches by any of its names (gazetteer aliases: "Lisboa" finds Lisbon's rows); an
indicator by its id or any of its published names ("education", "éducation", "rank").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from icc_assistant import gazetteer
from icc_assistant.documents import RetrievalResult, ScoreRow
from icc_assistant.embeddings import Embedder
from icc_assistant.errors import InvalidFilterError
from icc_assistant.ingest import indicators
from icc_assistant.label_vectors import fixed_vectors


def indicator_id(text: str) -> str:
    """The indicator id `text` names (an id or a published name); InvalidFilterError if none."""
    wanted = text.strip()
    if wanted in indicators.by_id():
        return wanted
    found = indicators.named(wanted, whole=True)
    if found is None:
        known = ", ".join(i.id for i in indicators.indicators())
        raise InvalidFilterError(f"Unknown indicator {text!r}; use one of: {known}.")
    return found


def find_scores(
    rows: Iterable[ScoreRow],
    *,
    city: str | None = None,
    indicator: str | None = None,
    year: int | None = None,
    doc_id: str | None = None,
) -> list[ScoreRow]:
    """The rows the filters allow (`doc_id`: those read from that document), by city, then year
    (latest first), then indicator order."""
    wanted = indicator_id(indicator) if indicator else None
    found = [
        row
        for row in rows
        if (city is None or _same_city(city, row.city))
        and (wanted is None or row.indicator == wanted)
        and (year is None or row.year == year)
        and (doc_id is None or row.doc_id == doc_id)
    ]
    order = {item.id: n for n, item in enumerate(indicators.indicators())}
    return sorted(
        found,
        key=lambda r: (r.city or "", -(r.year or 0), order.get(r.indicator, len(order)), r.doc_id),
    )


def _same_city(wanted: str, city: str | None) -> bool:
    if not city:
        return False
    return wanted.casefold() == city.casefold() or gazetteer.same_city(wanted, city)


# A question asks for Index results when its vector is nearer to the questions that do
# (data/indicators.json "questions") than to those asking about practices, events or advice,
# by this much (cosine). Measured on 10 score questions in 10 languages (bench/
# score_questions.jsonl: 0.022 to 0.133, 9 above 0.055) and the 94 practice questions of both
# evaluation sets (at most 0.052; at 0.01, a French anti-rumour question got Ansan's scores).
RESULTS_QUESTION_LEAD = 0.055
# It asks about one indicator when, less the mean of the results questions (which every such
# question shares: "score", "Index"), its vector is nearest that indicator's description by
# this much; else it is shown the aggregate and ranks.
INDICATOR_LEAD = 0.01
MAX_ROWS = 12
_HEADLINE = frozenset({"aggregate", *indicators.RANKS})


def results_asked(embedder: Embedder, question_vector: np.ndarray) -> tuple[bool, str | None]:
    """Whether a question asks for cities' Index results, by its meaning in any language, and
    the indicator it asks about, if one clearly."""
    asking, other = indicators.question_descriptions()
    results = fixed_vectors(embedder, asking, queries=True, name="results-questions")
    others = fixed_vectors(embedder, other, queries=True, name="other-questions")
    lead = float((results @ question_vector).max() - (others @ question_vector).max())
    if lead < RESULTS_QUESTION_LEAD:
        return False, None
    choices = [i for i in indicators.indicators() if i.kind == "indicator"]
    labels = fixed_vectors(embedder, [i.text for i in choices], queries=False, name="indicators")
    scores = labels @ (question_vector - results.mean(axis=0))
    first, second = np.argsort(-scores)[:2]
    clear = float(scores[first] - scores[second]) >= INDICATOR_LEAD
    return True, choices[int(first)].id if clear else None


def rows_for_question(
    rows: Sequence[ScoreRow], retrieval: RetrievalResult, indicator: str | None
) -> tuple[list[ScoreRow], list[str]]:
    """The rows answering a results question, and the cities it names that have none. Its
    cities are those it names, else the city of its best passage from an Index report; of
    each, the aggregate and ranks and the indicator asked about (when none is clearly, those
    whose rows were read from the retrieved passages; all its results when it has none of
    these)."""
    cities = list(retrieval.cities) or _report_cities(retrieval)
    passages = {p.chunk.chunk_id for p in retrieval.passages}
    wanted = {indicator} if indicator else {r.indicator for r in rows if r.chunk_id in passages}
    found: list[ScoreRow] = []
    missing: list[str] = []
    for city in cities:
        own = _latest_year(find_scores(rows, city=city))
        kept = [r for r in own if r.indicator in _HEADLINE or r.indicator in wanted]
        found.extend(kept or own)
        if not own:
            missing.append(city)
    return found[:MAX_ROWS], missing


def latest_results(rows: Sequence[ScoreRow], city: str) -> list[ScoreRow]:
    """A city's results of its latest Index report (none when it has no Index results)."""
    return _latest_year(find_scores(rows, city=city))


def _report_cities(retrieval: RetrievalResult) -> list[str]:
    for passage in retrieval.passages:
        if passage.document.doc_type == "index_report" and passage.document.city:
            return [passage.document.city]
    return []


def _latest_year(rows: list[ScoreRow]) -> list[ScoreRow]:
    years = [r.year for r in rows if r.year is not None]
    latest = max(years) if years else None
    return [r for r in rows if r.year == latest]
