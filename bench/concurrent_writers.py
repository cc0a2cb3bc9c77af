"""Several writers at once on one index: documents lost (goal 0) and what the write lock costs.

Beside `icc-assistant serve --workers 2` on a `chroma run` server, sharing one data directory,
--uploaders threads each POST --uploads documents (/api/documents), --ingests
`icc-assistant ingest` processes each ingest --files files, and one `icc-assistant sync` crawls
the fake ICC site (tests/fakes/fake_site.py, --practices good practices). With --kill, one more
ingest is killed with SIGKILL as soon as it has committed a document, then run again, as an
operator would. Then every document must be listed with its chunks (/api/sources, and Chroma's
records counted against the document's record), readable (/api/documents/{id}) and found by
its own words (/api/search).

The same writers then run one after another on a fresh index: documents/s without contention,
against documents/s all at once. Both runs share the machine with whatever else runs on it:
the load average is printed.

    python bench/concurrent_writers.py [--uploaders 4] [--uploads 6] [--ingests 2] [--files 8]
                                       [--practices 8] [--kill]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.fake_site import FakeSite, make_site  # noqa: E402
from fixtures.chroma_server import ChromaProcess, free_port  # noqa: E402
from fixtures.cli_server import clean_environment  # noqa: E402
from icc_assistant.embeddings import create_embedder  # noqa: E402
from icc_assistant.index import IndexStore  # noqa: E402
from icc_assistant.settings import Settings  # noqa: E402

APP = Path(sys.executable).parent / "icc-assistant"
ADMIN = "bench-admin-key"
CITIES = ("Bergen", "Bilbao", "Oslo", "Lisbon", "Dublin", "Porto", "Geneva", "Tampere")
TOPICS = (
    "a language café where newcomers practise with residents",
    "an anti-rumour network of trained volunteers",
    "a welcome desk for refugees at the town hall",
    "intercultural mediation in public housing estates",
    "a festival where residents of many origins cook together",
    "a council of foreign residents advising the mayor",
)
SYLLABLES = ("ka", "lo", "mi", "ven", "tor", "sa", "ru", "bel", "do", "fin", "ga", "zu")


@dataclass(frozen=True)
class Page:
    """One document a writer adds: its file name, text, and the words that must find it."""

    name: str
    text: str
    words: str


@dataclass
class Workload:
    uploads: list[list[Page]]
    ingests: list[list[Page]]
    victim: list[Page]

    def pages(self) -> list[Page]:
        return [p for group in (*self.uploads, *self.ingests, self.victim) for p in group]


@dataclass
class Deployment:
    """A Chroma server, a data directory and `serve --workers 2` over them."""

    url: str
    env: dict[str, str]
    settings: Settings
    chroma: ChromaProcess
    service: subprocess.Popen[bytes]
    logs: Path


@dataclass
class Run:
    """What one way of running the writers measured."""

    seconds: float = 0.0
    documents: int = 0
    synced: int = 0
    upload_seconds: list[float] = field(default_factory=list)
    waits: int = 0
    lost: list[str] = field(default_factory=list)


def made_up_name(rng: random.Random) -> str:
    """A project name no other document has: what a search for this document alone matches."""
    return "".join(rng.choice(SYLLABLES) for _ in range(4)).capitalize()


def make_workload(args: argparse.Namespace, seed: int) -> Workload:
    rng = random.Random(seed)

    def page(label: str) -> Page:
        city, topic, name = rng.choice(CITIES), rng.choice(TOPICS), made_up_name(rng)
        text = (
            f"Back Project {name} in {city}\n\n2020\n\n{city} started Project {name}, {topic}. "
            f"Project {name} meets every week in the district library and reports to the "
            "city council each year."
        )
        return Page(f"{label}-{name.lower()}.txt", text, f"Project {name} in {city}")

    uploads = [[page(f"up{i}") for _ in range(args.uploads)] for i in range(args.uploaders)]
    ingests = [[page(f"in{m}") for _ in range(args.files)] for m in range(args.ingests)]
    victim = [page("killed") for _ in range(args.files)] if args.kill else []
    return Workload(uploads, ingests, victim)


# -- the deployment -------------------------------------------------------------------------------


def start_deployment(root: Path) -> Deployment:
    chroma = ChromaProcess(root / "chroma").start()
    port = free_port()
    env = clean_environment(
        ICC_DATA_DIR=str(root / "data"), ICC_CHROMA_HOST="127.0.0.1",
        ICC_CHROMA_PORT=str(chroma.port), ICC_ADMIN_KEYS=ADMIN, ICC_PORT=str(port),
        ICC_RATE_LIMIT_PER_MINUTE="100000", ICC_LOG_LEVEL="INFO",
        ICC_SYNC_CONTACT="bench@example.org", ICC_SYNC_PRIVATE_HOSTS="127.0.0.1",
    )  # fmt: skip
    logs = root / "logs"
    logs.mkdir()
    run_cli(env, logs / "first-ingest.log", "ingest", str(ROOT / "corpus"))  # an index to serve
    with (logs / "service.log").open("wb") as out:
        service = subprocess.Popen(
            [str(APP), "serve", "--workers", "2"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _ready(url), "the service answered /ready", service)
    settings = Settings(data_dir=root / "reader", chroma_host="127.0.0.1", chroma_port=chroma.port)
    return Deployment(url, env, settings, chroma, service, logs)


def stop_deployment(deployment: Deployment) -> None:
    deployment.service.terminate()
    deployment.service.wait(timeout=60)
    deployment.chroma.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(
    condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + 600
    while not condition():
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"stopped before {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting until {what}")
        time.sleep(0.2)


def run_cli(env: dict[str, str], log: Path, *args: str) -> None:
    process = start_cli(env, log, *args)
    if process.wait() != 0:
        raise RuntimeError(f"icc-assistant {args[0]} failed:\n{log.read_text(errors='replace')}")


def start_cli(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(APP), *args], env=env, stdout=out, stderr=subprocess.STDOUT)


# -- the writers ----------------------------------------------------------------------------------


def write_folder(root: Path, pages: list[Page]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for page in pages:
        (root / page.name).write_text(page.text, encoding="utf-8")
    return root


def upload_all(url: str, pages: list[Page]) -> list[float]:
    """POST each page in turn; the seconds each took."""
    took = []
    with httpx.Client(timeout=600, headers={"Authorization": f"Bearer {ADMIN}"}) as client:
        for page in pages:
            started = time.perf_counter()
            answer = client.post(
                f"{url}/api/documents",
                files={"file": (page.name, page.text.encode(), "text/plain")},
            )
            if answer.status_code != 200:
                raise RuntimeError(f"upload of {page.name}: {answer.status_code} {answer.text}")
            took.append(time.perf_counter() - started)
    return took


def sync_args(site: FakeSite) -> list[str]:
    allow = [arg for prefix in site.allow() for arg in ("--allow", prefix)]
    return ["sync", site.home("en"), site.home("fr"), *allow, "--delay", "0", "--json"]


def kill_after_first_commit(
    deployment: Deployment, folder: Path, pages: list[Page], log: Path
) -> None:
    """Start an ingest, SIGKILL it once one of its documents is committed, run it again."""
    victim = start_cli(deployment.env, log, "ingest", str(folder))
    reader = IndexStore.open(deployment.settings, create_embedder(deployment.settings))
    names = {p.name for p in pages}
    wait_until(lambda: bool(names & set(reader.chroma.active())), "the victim committed", victim)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    print(f"  killed an ingest after {len(names & set(reader.chroma.active()))} of its"
          f" {len(names)} documents were committed; running it again")  # fmt: skip
    run_cli(deployment.env, log, "ingest", str(folder))


def all_at_once(deployment: Deployment, work: Workload, site: FakeSite, root: Path) -> Run:
    """Every writer at the same time."""
    run = Run()
    logs = deployment.logs
    folders = [write_folder(root / f"ingest{m}", pages) for m, pages in enumerate(work.ingests)]
    started = time.perf_counter()
    with ThreadPoolExecutor(len(work.uploads) + 1) as pool:
        uploads = [pool.submit(upload_all, deployment.url, pages) for pages in work.uploads]
        if work.victim:
            folder = write_folder(root / "victim", work.victim)
            killed = pool.submit(
                kill_after_first_commit, deployment, folder, work.victim, logs / "victim.log"
            )
        ingests = [
            start_cli(deployment.env, logs / f"ingest{m}.log", "ingest", str(folder))
            for m, folder in enumerate(folders)
        ]
        syncing = start_cli(deployment.env, logs / "sync.log", *sync_args(site))
        for process in (*ingests, syncing):
            if process.wait() != 0:
                raise RuntimeError(f"a writer failed: see {logs}")
        for future in uploads:
            run.upload_seconds.extend(future.result())
        if work.victim:
            killed.result()
    run.seconds = time.perf_counter() - started
    return run


def one_after_another(deployment: Deployment, work: Workload, site: FakeSite, root: Path) -> Run:
    """The same writers, each alone."""
    run = Run()
    logs = deployment.logs
    started = time.perf_counter()
    for pages in work.uploads:
        run.upload_seconds.extend(upload_all(deployment.url, pages))
    for m, pages in enumerate([*work.ingests, work.victim]):
        if pages:
            folder = write_folder(root / f"ingest{m}", pages)
            run_cli(deployment.env, logs / f"ingest{m}.log", "ingest", str(folder))
    run_cli(deployment.env, logs / "sync.log", *sync_args(site))
    run.seconds = time.perf_counter() - started
    return run


# -- the checks -----------------------------------------------------------------------------------


def lost_documents(deployment: Deployment, pages: list[Page], site_docs: int) -> list[str]:
    """The documents that are not listed with their chunks, readable and found by their words;
    and a shortfall of the sync's documents."""
    listed = {
        d["doc_id"]: d["chunks"]
        for d in httpx.get(f"{deployment.url}/api/sources", timeout=120).json()["documents"]
    }
    stored = stored_chunks(deployment.settings)
    lost = [
        f"{p.name}: {why}"
        for p in pages
        if (why := problem(deployment.url, p.name, p.words, listed, stored))
    ]
    synced = [d for d in listed if d.startswith("http")]
    if len(synced) < site_docs:
        lost.append(f"sync: {len(synced)} of {site_docs} documents listed")
    for doc_id in synced:
        meta = httpx.get(document_url(deployment.url, doc_id), timeout=60)
        title = meta.json()["document"]["title"] if meta.status_code == 200 else ""
        if why := problem(deployment.url, doc_id, title, listed, stored):
            lost.append(f"{doc_id}: {why}")
    return lost


def stored_chunks(settings: Settings) -> dict[str, tuple[int, int]]:
    """doc_id -> (chunks its record counts, chunk records Chroma holds of that version)."""
    store = IndexStore.open(settings, create_embedder(settings))
    held: dict[str, int] = {}
    active = store.chroma.active()
    for _, _, meta in store.chroma.records(store.chroma.chunks, texts=False):
        doc_id = str(meta.get("doc_id"))
        if doc_id in active and meta.get("doc_hash") == active[doc_id][0]:
            held[doc_id] = held.get(doc_id, 0) + 1
    return {doc_id: (count or 0, held.get(doc_id, 0)) for doc_id, (_, _, count) in active.items()}


def document_url(url: str, doc_id: str) -> str:
    return f"{url}/api/documents/{quote(doc_id, safe='')}"


def problem(
    url: str, doc_id: str, words: str, listed: dict[str, int], stored: dict[str, tuple[int, int]]
) -> str:
    """Why the document is not whole ("" when it is)."""
    if doc_id not in listed:
        return "not listed"
    counted, held = stored.get(doc_id, (0, 0))
    if not listed[doc_id] or held != counted:
        return f"{held} of {counted} chunks stored"
    read = httpx.get(document_url(url, doc_id), timeout=60)
    if read.status_code != 200 or not read.json()["text"]:
        return f"not readable ({read.status_code})"
    found = httpx.get(f"{url}/api/search", params={"q": words, "k": 8}, timeout=120).json()
    ids = {p["document"]["doc_id"] for p in (*found["passages"], *found.get("nearest", []))}
    return "" if doc_id in ids else f"not found by {words!r}"


def lock_waits(logs: Path) -> int:
    """How many times a writer logged that it waited for another."""
    text = "".join(p.read_text(errors="replace") for p in logs.glob("*.log"))
    return text.count("waiting for another writer")


def synced_documents(log: Path) -> int:
    """Documents the sync added, from its --json summary."""
    text = log.read_text(errors="replace")
    summary = json.loads(text[text.index("{") :])
    return int(summary["counts"]["added"]) + int(summary["counts"]["unchanged"])


# -- the bench ------------------------------------------------------------------------------------


def measure(
    label: str,
    how: Callable[[Deployment, Workload, FakeSite, Path], Run],
    work: Workload,
    practices: int,
) -> Run:
    site_state = make_site(practices)
    site_state.slow_seconds, site_state.flaky_failures = 0.0, 0
    site = FakeSite(site_state).start()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        deployment = start_deployment(root)
        try:
            print(f"\n## {label}  (load average {os.getloadavg()[0]:.1f} at the start)")
            run = how(deployment, work, site, root)
            run.synced = synced_documents(deployment.logs / "sync.log")
            run.documents = len(work.pages()) + run.synced
            run.waits = lock_waits(deployment.logs)
            run.lost = lost_documents(deployment, work.pages(), run.synced)
        finally:
            stop_deployment(deployment)
            site.stop()
    report(run)
    return run


def report(run: Run) -> None:
    uploads = sorted(run.upload_seconds)
    print(f"documents written:   {run.documents}  ({len(uploads)} uploaded, {run.synced} synced,"
          f" {run.documents - len(uploads) - run.synced} ingested)")  # fmt: skip
    print(f"wall time:           {run.seconds:8.1f} s")
    print(f"documents/s:         {run.documents / run.seconds:8.2f}")
    print(f"upload p50 / p95:    {statistics.median(uploads):8.2f} s / "
          f"{uploads[int(0.95 * (len(uploads) - 1))]:.2f} s")  # fmt: skip
    print(f"lock waits logged:   {run.waits}")
    print(f"documents lost:      {len(run.lost)}")
    for line in run.lost:
        print(f"  {line}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploaders", type=int, default=4, help="threads POSTing documents")
    parser.add_argument("--uploads", type=int, default=6, help="documents per uploader")
    parser.add_argument("--ingests", type=int, default=2, help="`icc-assistant ingest` processes")
    parser.add_argument("--files", type=int, default=8, help="files per ingest")
    parser.add_argument("--practices", type=int, default=8, help="good practices on the fake site")
    parser.add_argument("--kill", action="store_true", help="SIGKILL one more ingest midway")
    parser.add_argument("--seed", type=int, default=30)
    parser.add_argument("--skip-sequential", action="store_true", help="only all at once")
    args = parser.parse_args(argv)
    work = make_workload(args, args.seed)
    together = measure("all writers at once", all_at_once, work, args.practices)
    if not args.skip_sequential:
        alone = measure("the same writers one after another", one_after_another, work,
                        args.practices)  # fmt: skip
        ratio = (together.documents / together.seconds) / (alone.documents / alone.seconds)
        print(f"\nall at once: {ratio:.2f} times the documents/s of one writer at a time")
    return 1 if together.lost else 0


if __name__ == "__main__":
    sys.exit(main())
