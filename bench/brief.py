"""How long a briefing note takes, and how big its DOCX is.

Builds the French anti-rumour note ("Comment les villes mènent-elles des campagnes
anti-rumeurs ?") over corpus/ plus ../shared/eval/multilingual/corpus, five times each as
Markdown and as DOCX, without a model and with the fake OpenAI-compatible model of tests/fakes
(so the time is the note's own, not a real model's), and prints the median of each and the size
of the DOCX. The first note of each configuration and format is timed apart: it pays for the
question's embedding (cached after) and, the very first, for loading the catalog and models.

    python bench/brief.py [--data-dir DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes.fake_openai import FakeOpenAIServer  # noqa: E402
from icc_assistant.answer import AnswerRequest  # noqa: E402
from icc_assistant.assistant import Assistant  # noqa: E402
from icc_assistant.brief import build_brief, render_brief  # noqa: E402
from icc_assistant.embeddings import create_embedder  # noqa: E402
from icc_assistant.index import IndexStore  # noqa: E402
from icc_assistant.ingest import collect_paths, load_files  # noqa: E402
from icc_assistant.settings import Settings  # noqa: E402

QUESTION = "Comment les villes mènent-elles des campagnes anti-rumeurs ?"
CORPORA = (ROOT / "corpus", ROOT.parent / "shared" / "eval" / "multilingual" / "corpus")


def build_index(data_dir: Path) -> None:
    """Ingest the corpora under data_dir (unchanged files are skipped)."""
    settings = Settings(data_dir=data_dir, llm_base_url=None)
    store = IndexStore.open(settings, create_embedder(settings))
    files, _ = collect_paths([c for c in CORPORA if c.is_dir()])  # MANIFEST.tsv is no document
    store.sync(load_files(files))


def measure(assistant: Assistant, fmt: str, runs: int) -> tuple[float, float, int]:
    """Seconds for the first note (cold: the question's embedding is not cached yet), the
    median of the next `runs`, and the size of the last one."""
    request = AnswerRequest(question=QUESTION)
    start = time.perf_counter()
    render_brief(build_brief(assistant, request), fmt)
    first = time.perf_counter() - start
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        size = len(render_brief(build_brief(assistant, request), fmt))
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="An index to use (built if missing).")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        build_index(data_dir)
        fake = FakeOpenAIServer().start()
        try:
            configurations = {
                "without a model": Settings(data_dir=data_dir, llm_base_url=None),
                "with the fake model": Settings(
                    data_dir=data_dir,
                    llm_base_url=fake.url,
                    llm_model="fake-model",
                    llm_max_retries=0,
                ),  # fmt: skip
            }
            print(
                f"{'configuration':<22} {'format':<6} {'first s':>8} {'median s':>9} {'bytes':>8}"
            )
            for name, settings in configurations.items():
                assistant = Assistant.open(settings)
                for fmt in ("md", "docx"):
                    first, median, size = measure(assistant, fmt, args.runs)
                    print(f"{name:<22} {fmt:<6} {first:>8.3f} {median:>9.3f} {size:>8}")
        finally:
            fake.stop()


if __name__ == "__main__":
    main()
