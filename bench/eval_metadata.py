"""What ingest says of each document, against hand labels: type, topics, city, year, language,
and every figure of the Index reports.

One index holds the shipped corpus (`corpus/`), the multilingual development pages
(../shared/eval/multilingual/corpus) and five Index-report excerpts written for evaluation
(bench/labels/unseen). Labels: the multilingual MANIFEST.tsv for city, country, year, type and
language; bench/labels/metadata.tsv for what the corpora lack (everything for corpus/, ICC topics
for all); bench/labels/scores.tsv for the figures, written from the documents.

Measures, per set and per document language:
- type, city (the same place, any spelling), year and language: share right;
- topics: top-1 (the first topic is among the labelled ones) and F1 of the topic set;
- Index figures: recall (labelled figures stored with that indicator and value), precision
  (stored figures that are labelled), strict (unit, "out of" and the sample's value right too),
  and recall by kind (aggregate, indicator, rank, sample_size).

    python bench/eval_metadata.py [--data-dir DIR] [--misses]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from icc_assistant import gazetteer
from icc_assistant.documents import DocumentMeta, ScoreRow
from icc_assistant.embeddings import create_embedder
from icc_assistant.index import IndexStore
from icc_assistant.ingest import collect_paths, load_files
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "labels"
MULTILINGUAL = ROOT.parent / "shared" / "eval" / "multilingual" / "corpus"
CORPORA = {
    "seeds": ROOT / "corpus",
    "multilingual": MULTILINGUAL,
    "unseen": LABELS / "unseen",
}


@dataclass(frozen=True)
class Truth:
    """What a document is, by hand."""

    set: str
    file: str
    city: str
    year: int | None
    doc_type: str
    language: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """A labelled figure of an Index report."""

    set: str
    file: str
    year: int | None
    indicator: str
    value: float
    unit: str
    out_of: int | None
    sample: float | None
    kind: str


def _rows(path: Path) -> list[list[str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = list(csv.reader((line for line in lines if not line.startswith("#")), delimiter="\t"))
    return rows[1:]


def _number(text: str) -> int | None:
    return int(text) if text.strip() else None


def truths() -> list[Truth]:
    """Every labelled document, the manifest's fields where the labels leave them blank."""
    manifest = {
        r["file"]: r
        for r in csv.DictReader(
            (MULTILINGUAL / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"
        )
    }
    found = []
    for set_name, file, city, _, year, doc_type, lang, topics in _rows(LABELS / "metadata.tsv"):
        given = manifest.get(file, {})
        found.append(
            Truth(
                set=set_name,
                file=file,
                city=city or given.get("city", ""),
                year=_number(year or given.get("year", "")),
                doc_type=doc_type or given.get("doc_type", ""),
                language=lang or given.get("lang", ""),
                topics=tuple(t for t in topics.split(";") if t),
            )
        )
    return found


def figures() -> list[Figure]:
    return [
        Figure(s, f, _number(y), ind, float(v), u, _number(o), float(smp) if smp else None, k)
        for s, f, _, y, ind, v, u, o, smp, k, _ in _rows(LABELS / "scores.tsv")
    ]


def build_index(data_dir: Path) -> IndexStore:
    settings = Settings(data_dir=data_dir, llm_base_url=None)
    store = IndexStore.open(settings, create_embedder(settings))
    files, _ = collect_paths(list(CORPORA.values()))  # notes such as MANIFEST.tsv are not documents
    report = store.sync(load_files(files))
    failed = [f.source for f in report.files if f.status == "failed"]
    if failed:
        raise SystemExit(f"not ingested: {failed}")
    return store


def _same_city(label: str, found: str | None) -> bool:
    if not found:
        return False
    return label.casefold() == found.casefold() or gazetteer.same_city(label, found)


def _f1(found: Sequence[str], wanted: Sequence[str]) -> float:
    hits = len(set(found) & set(wanted))
    if not hits:
        return 0.0
    precision, recall = hits / len(found), hits / len(wanted)
    return 2 * precision * recall / (precision + recall)


def document_scores(truth: Truth, doc: DocumentMeta) -> dict[str, float | None]:
    scores: dict[str, float | None] = {
        "type": float(doc.doc_type == truth.doc_type),
        "city": float(_same_city(truth.city, doc.city)),
        "year": float(doc.year == truth.year),
        "language": float(doc.language.split("-")[0] in (truth.language, _macro(truth.language))),
        "topic@1": None,
        "topics_f1": None,
    }
    if truth.topics:
        scores["topic@1"] = float(bool(doc.topics) and doc.topics[0] in truth.topics)
        scores["topics_f1"] = _f1(doc.topics, truth.topics)
    return scores


def _macro(code: str) -> str:
    """Norwegian is labelled `no`; the detector says `nb`."""
    return {"no": "nb"}.get(code, code)


def matches(figure: Figure, row: ScoreRow) -> bool:
    return (
        row.doc_id == figure.file
        and row.indicator == figure.indicator
        and (row.value == figure.value)
    )


def strictly(figure: Figure, row: ScoreRow) -> bool:
    unit_ok = row.unit == figure.unit
    return unit_ok and row.out_of == figure.out_of and row.sample_value == figure.sample


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    parser.add_argument("--misses", action="store_true", help="List what was got wrong.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = build_index(args.data_dir or Path(tmp) / "index")
        catalog = store.catalog
        report_documents(truths(), catalog.documents, args.misses)
        report_figures(figures(), list(catalog.scores), args.misses)
    return 0


def report_documents(
    labelled: list[Truth], documents: dict[str, DocumentMeta], misses: bool
) -> None:
    groups: dict[str, list[dict[str, float | None]]] = defaultdict(list)
    for truth in labelled:
        doc = documents.get(truth.file)
        if doc is None:
            print(f"not indexed: {truth.file}")
            continue
        scores = document_scores(truth, doc)
        for key in (f"{truth.set}:{truth.language}", f"{truth.set}:ALL", "ALL"):
            groups[key].append(scores)
        if misses and any(v is not None and v < 1 for k, v in scores.items() if k != "topics_f1"):
            print(
                f"  {truth.set}/{truth.file}: type {doc.doc_type} (want {truth.doc_type}), "
                f"city {doc.city} ({truth.city}), year {doc.year} ({truth.year}), "
                f"topics {list(doc.topics)} (want {list(truth.topics)})"
            )
    columns = ("type", "city", "year", "language", "topic@1", "topics_f1")
    print("\n## documents")
    print(f"{'':16}{'n':>5}" + "".join(f"{c:>11}" for c in columns))
    for key in sorted(groups, key=lambda k: (k != "ALL", not k.endswith(":ALL"), k)):
        rows = groups[key]
        cells = []
        for column in columns:
            values = [v for r in rows if (v := r[column]) is not None]
            cells.append(f"{statistics.fmean(values):>11.3f}" if values else f"{'-':>11}")
        print(f"{key:16}{len(rows):>5}" + "".join(cells))


def report_figures(labelled: list[Figure], stored: list[ScoreRow], misses: bool) -> None:
    print("\n## Index figures")
    header = ("labelled", "stored", "recall", "precision", "strict", "year")
    print(f"{'':16}" + "".join(f"{c:>11}" for c in header))
    for set_name in ("seeds", "multilingual", "unseen", "ALL"):
        wanted = [f for f in labelled if set_name in ("ALL", f.set)]
        files = {f.file for f in wanted} | {t.file for t in truths() if set_name in ("ALL", t.set)}
        rows = [r for r in stored if r.doc_id in files]
        found = [f for f in wanted if any(matches(f, r) for r in rows)]
        strict = [f for f in wanted if any(matches(f, r) and strictly(f, r) for r in rows)]
        dated = [f for f in wanted if any(matches(f, r) and r.year == f.year for r in rows)]
        right = [r for r in rows if any(matches(f, r) for f in wanted)]
        recall = len(found) / len(wanted) if wanted else float("nan")
        precision = len(right) / len(rows) if rows else float("nan")
        print(
            f"{set_name:16}{len(wanted):>11}{len(rows):>11}{recall:>11.3f}{precision:>11.3f}"
            f"{len(strict) / max(1, len(wanted)):>11.3f}{len(dated) / max(1, len(wanted)):>11.3f}"
        )
    print("\nrecall by kind (all sets):")
    for kind in ("aggregate", "indicator", "rank", "sample_size"):
        wanted = [f for f in labelled if f.kind == kind]
        found = [f for f in wanted if any(matches(f, r) for r in stored)]
        print(f"  {kind:12} {len(found)}/{len(wanted)}")
    if misses:
        for f in labelled:
            if not any(matches(f, r) for r in stored):
                print(f"  missed  {f.file}: {f.indicator} {f.value:g} ({f.kind})")
        for r in stored:
            if not any(matches(f, r) for f in labelled):
                print(f"  extra   {r.doc_id}: {r.indicator} {r.value:g} {r.unit} <- {r.quote[:90]}")
            elif not any(matches(f, r) and strictly(f, r) for f in labelled):
                print(f"  partial {r.doc_id}: {r.indicator} {r.value:g} {r.unit} /{r.out_of} "
                      f"sample {r.sample_value}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
