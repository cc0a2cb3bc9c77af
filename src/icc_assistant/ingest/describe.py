"""A parsed document's type, topics and Index results, decided from what it means in whatever
language it is written, with the vectors the index computes for its chunks and sentences anyway.

The rule: a document is compared with labelled descriptions (data/doc_types.json,
data/topics.json, data/indicators.json), embedded once per machine (label_vectors.py). Nothing
is embedded per chunk: the chunks' and sentences' own vectors are used. Only a table row's label
that is no published name of an indicator ("Bildung", "Освіта") is embedded, to name its
indicator.

- Index results: the figures ingest read by their form (ingest/scores.py) are kept when their
  meaning says so. A sentence's figure counts when the sentence is nearer to descriptions of
  Index results than to descriptions of other figures (population shares, counts, dates) by
  a margin that depends on how much its form already says: a score set beside the sample's,
  or an ordinal rank among a stated number of cities, needs the least. A table row needs no
  such check: its label names the indicator, by a published name or by meaning. One value per
  indicator: a figure named only by meaning gives way to one named by the report.
- Type: two Index results or more make an Index report, when the document is laid out as a
  report, or states a result whose form alone says so (a table row, a score beside the
  sample's, an ordinal rank among a number of cities) and means one (the Index-report
  descriptions are the nearest): a page that only counts "9 in 10 participants" is none.
  Otherwise a metadata line dated to a day makes news and one giving a year or a span a
  practice; a report laid out in sections with fewer results is an Index report only when its
  meaning leads clearly; the rest is the type whose descriptions the opening passages are
  nearest to.
- Topics: the ICC topics whose descriptions the passages are nearest to on average, within a
  band of the nearest, at most MAX_TOPICS. Each topic's cosine is taken relative to its mean
  cosine to the evidence gate's off-topic questions (data/gate_probes.json): some descriptions
  ("Roma", "Religion and Interfaith") sit near any text, and that is their baseline.

Fields a sidecar or front matter gives are never replaced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from icc_assistant.documents import DocType, DocumentMeta, FigureRead, ParsedDocument, ScoreRow
from icc_assistant.embeddings import Embedder
from icc_assistant.ingest import indicators
from icc_assistant.ingest.metadata import doc_type_descriptions, topic_names, topic_texts
from icc_assistant.ingest.scores import is_strong
from icc_assistant.label_vectors import fixed_vectors, gate_probes

# Topics: the passages' mean cosine to each topic's description. A document is about the
# topics within this much of its nearest, at most MAX_TOPICS (measured on both development
# corpora against hand labels: bench/eval_metadata.py).
TOPIC_BAND = 0.015
MAX_TOPICS = 4
OPENING_CHUNKS = 2  # the passages a page's type is judged by: what it is says itself first
INDEX_FIGURES = 2  # Index results that make an Index report
# A report without two Index results is an Index report only when the cosine of its opening
# passages to the Index-report descriptions leads every other type's by this much.
INDEX_LEAD = 0.03
# How far a sentence must be nearer to Index results than to other figures (cosine margin):
# a figure standing alone needs RESULT_ALONE; a rank among a stated number of cities written
# as a plain pair ("9 von 110", also "10 out of 19 members") RESULT_PAIR; a score set beside
# the sample's or an ordinal rank among a number of cities only RESULT_COMPARED.
RESULT_ALONE = 0.015
RESULT_PAIR = 0.005
RESULT_COMPARED = -0.01
# A label is taken for the indicator it is nearest to when that leads the next one by this
# much (cosine); a sentence (its vector less the document's mean sentence vector, whose
# differences are smaller) by SENTENCE_LEAD. Else the figure is not stored: never a guess.
LABEL_LEAD = 0.005
SENTENCE_LEAD = 0.003


@dataclass(frozen=True)
class DocumentVectors:
    """A document's vectors as the index computed them: one row per chunk (in order), and the
    sentences' of chunks with two or more, by (chunk ordinal, position)."""

    chunks: np.ndarray
    sentences: Mapping[tuple[int, int], np.ndarray]

    def sentence(self, chunk: int, position: int) -> np.ndarray:
        """A sentence's vector; a chunk's own for its only sentence."""
        found = self.sentences.get((chunk, position))
        return found if found is not None else self.chunks[chunk]

    def centre(self) -> np.ndarray:
        """The mean of the document's sentence vectors (its chunks' when it has none)."""
        rows = list(self.sentences.values())
        centre: np.ndarray = np.mean(rows, axis=0) if rows else self.chunks.mean(axis=0)
        return centre


class Describer:
    """Decides documents' types, topics and Index results from their vectors."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def describe(self, doc: ParsedDocument, vectors: DocumentVectors) -> ParsedDocument:
        """The document with its type, topics and Index results decided."""
        given = set(doc.signals.given)
        rows = self._results(doc, vectors)
        meta = doc.meta
        update: dict[str, object] = {}
        if "doc_type" not in given:
            update["doc_type"] = self._doc_type(doc, vectors, rows)
        if "topics" not in given:
            update["topics"] = self._topics(vectors)
        meta = meta.model_copy(update=update)
        index = meta.doc_type == "index_report"
        scores = tuple(_row(doc, meta, figure) for figure in rows) if index else ()
        return doc.model_copy(update={"meta": meta, "scores": scores, "described": True})

    # -- type and topics -----------------------------------------------------------------------

    def _doc_type(
        self, doc: ParsedDocument, vectors: DocumentVectors, results: list[FigureRead]
    ) -> DocType:
        signals = doc.signals
        scores = self._type_scores(vectors)
        means_index = max(scores, key=scores.__getitem__) == "index_report"
        strong = any(is_strong(f) for f in results)
        if len(results) >= INDEX_FIGURES and (signals.report or strong and means_index):
            return "index_report"
        if signals.report or results:
            best = max(scores, key=scores.__getitem__)
            others = max(v for k, v in scores.items() if k != "index_report")
            if best == "index_report" and scores[best] - others >= INDEX_LEAD:
                return "index_report"
        if signals.event_date and not signals.report:
            return "news"
        if signals.practice_line and not signals.report:
            return "good_practice"
        kept = {k: v for k, v in scores.items() if k != "index_report"}
        return max(kept, key=kept.__getitem__)

    def _type_scores(self, vectors: DocumentVectors) -> dict[DocType, float]:
        """Each type's cosine (its nearest description) to the opening passages' mean."""
        pairs = doc_type_descriptions()
        labels = fixed_vectors(
            self._embedder, [text for _, text in pairs], queries=False, name="doc-types"
        )
        opening = vectors.chunks[:OPENING_CHUNKS].mean(axis=0)
        opening = opening / max(float(np.linalg.norm(opening)), 1e-12)
        scores: dict[DocType, float] = {}
        for (name, _), value in zip(pairs, labels @ opening, strict=True):
            scores[name] = max(scores.get(name, -1.0), float(value))
        return scores

    def _topics(self, vectors: DocumentVectors) -> tuple[str, ...]:
        labels = fixed_vectors(self._embedder, topic_texts(), queries=True, name="topics")
        probes = fixed_vectors(self._embedder, gate_probes(), queries=True, name="gate-probes")
        baseline = (probes @ labels.T).mean(axis=0)
        scores = (vectors.chunks @ labels.T).mean(axis=0) - baseline
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        names = topic_names()
        return tuple(names[i] for i in order[:MAX_TOPICS] if scores[i] >= best - TOPIC_BAND)

    # -- Index results ---------------------------------------------------------------------

    def _results(self, doc: ParsedDocument, vectors: DocumentVectors) -> list[FigureRead]:
        """The figures that are the city's Index results, each with its indicator."""
        passing = self._sentences_stating_results(doc.figures, vectors)
        kept = [f for f in doc.figures if f.sentence is None or (f.chunk, f.sentence) in passing]
        return _one_per_indicator(self._named(kept, vectors))

    def _sentences_stating_results(
        self, figures: Sequence[FigureRead], vectors: DocumentVectors
    ) -> set[tuple[int, int]]:
        """(chunk, position) of the sentences whose meaning says they state Index results, each
        held to the margin its best-evidenced figure needs."""
        needed: dict[tuple[int, int], float] = {}
        for figure in figures:
            if figure.sentence is not None:
                key = (figure.chunk, figure.sentence)
                needed[key] = min(needed.get(key, RESULT_ALONE), _margin_needed(figure))
        results, others = self._result_labels()
        passing = set()
        for (chunk, position), margin in needed.items():
            vector = vectors.sentence(chunk, position)
            if float((results @ vector).max() - (others @ vector).max()) >= margin:
                passing.add((chunk, position))
        return passing

    def _result_labels(self) -> tuple[np.ndarray, np.ndarray]:
        results, others = indicators.result_descriptions()
        return (
            fixed_vectors(self._embedder, results, queries=True, name="index-results"),
            fixed_vectors(self._embedder, others, queries=True, name="other-figures"),
        )

    def _named(
        self, figures: list[FigureRead], vectors: DocumentVectors
    ) -> list[tuple[FigureRead, bool]]:
        """Each figure with its indicator (and whether the report named it), those whose
        sentence or label names none clearly left out. A sentence that says whose figure it is
        is read by its own meaning, taken relative to the document's other sentences (all of
        them share its title and section, which would pull every one to the aggregate index);
        otherwise, and for a table row, the label (the row's, or the section's heading)."""
        choices = [i for i in indicators.indicators() if i.kind != "rank"]
        labels = fixed_vectors(
            self._embedder, [i.text for i in choices], queries=False, name="indicators"
        )
        unnamed = sorted({f.label for f in figures if f.indicator is None and f.label})
        label_vectors = dict(zip(unnamed, self._embedder.embed_passages(unnamed), strict=True))
        centre = vectors.centre()
        found = []
        for figure in figures:
            indicator = figure.indicator
            by_name = indicator is not None
            if indicator is None and figure.sentence is not None and figure.anchored:
                own = vectors.sentence(figure.chunk, figure.sentence) - centre
                indicator = _nearest(labels @ own, choices, SENTENCE_LEAD)
            if indicator is None and figure.label:
                indicator = _nearest(labels @ label_vectors[figure.label], choices, LABEL_LEAD)
            if indicator is not None:
                found.append((figure.model_copy(update={"indicator": indicator}), by_name))
        return found


def _margin_needed(figure: FigureRead) -> float:
    if figure.sample_value is not None or (figure.ordinal and figure.out_of is not None):
        return RESULT_COMPARED
    if figure.unit == "rank" and figure.out_of is not None:
        return RESULT_PAIR
    return RESULT_ALONE


def _nearest(
    scores: np.ndarray, choices: Sequence[indicators.Indicator], lead: float
) -> str | None:
    order = np.argsort(-scores)
    if float(scores[order[0]] - scores[order[1]]) < lead:
        return None
    return choices[int(order[0])].id


def _one_per_indicator(named: list[tuple[FigureRead, bool]]) -> list[FigureRead]:
    """Each indicator's value once: the same value stated twice is one figure, a value whose
    form does not say it is a result gives way to one whose form does (a table row, a score
    beside the sample's), and a value named only by meaning gives way to another value the
    report names for that indicator."""
    chosen: list[tuple[FigureRead, bool]] = []
    for figure, by_name in named:
        same = [(f, n) for f, n in chosen if f.indicator == figure.indicator]
        if any(f.value == figure.value for f, _ in same):
            continue
        if any(is_strong(f) for f, _ in same) and not is_strong(figure):
            continue  # "80 nationalities" under the heading whose score was given with the sample's
        if is_strong(figure):
            chosen = [(f, n) for f, n in chosen if f.indicator != figure.indicator or is_strong(f)]
        if same and not by_name:
            continue
        if by_name:
            chosen = [(f, n) for f, n in chosen if f.indicator != figure.indicator or n]
        chosen.append((figure, by_name))
    return [figure for figure, _ in chosen]


def _row(doc: ParsedDocument, meta: DocumentMeta, figure: FigureRead) -> ScoreRow:
    chunk = doc.chunks[figure.chunk]
    assert figure.indicator is not None
    return ScoreRow(
        city=meta.city, country=meta.country, year=meta.year, indicator=figure.indicator,
        label=figure.label, language=meta.language, value=figure.value, unit=figure.unit,
        out_of=figure.out_of, sample_value=figure.sample_value, doc_id=chunk.doc_id,
        chunk_id=chunk.chunk_id, section=chunk.section, title=meta.title, url=meta.url,
        quote=figure.quote,
    )  # fmt: skip
