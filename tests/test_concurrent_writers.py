"""Several writers on one index (issue 30): uploads, ingests and syncs in other processes or on
other machines, on a `chroma run` server. A writer is stopped at an exact point of its protocol
by a real proxy in front of Chroma that holds one request (tests/fakes/pausing_proxy.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chromadb
import pytest

from fakes.pausing_proxy import PausingProxy, upserting
from fixtures.cli_server import clean_environment, start_serve
from fixtures.live_server import upload
from icc_assistant.documents import ParsedDocument
from icc_assistant.embeddings import Embedder, create_embedder
from icc_assistant.index import ChunkCatalog, IndexStore
from icc_assistant.ingest import collect_paths, load_document, load_files
from icc_assistant.settings import Settings

pytestmark = pytest.mark.server

PAGE = (
    "Back {title} in {city}\n\n2019\n\n{city} {text} The city council reports on it every "
    "year to its residents."
)
Writer = Callable[..., Settings]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return create_embedder(Settings())


@pytest.fixture
def writer(tmp_path: Path, chroma_server: tuple[str, int]) -> Writer:
    """Settings of one writer of a fresh index on the Chroma server: its own data directory
    (`machine`), the server's port or a proxy's."""
    collection = f"w{uuid.uuid4().hex[:10]}"

    def settings(machine: str = "one", port: int | None = None) -> Settings:
        host, server_port = chroma_server
        return Settings(
            data_dir=tmp_path / machine, collection=collection, chroma_host=host,
            chroma_port=port or server_port,
        )  # fmt: skip

    return settings


@pytest.fixture
def proxies() -> Iterator[list[PausingProxy]]:
    started: list[PausingProxy] = []
    yield started
    for proxy in started:
        proxy.stop()


def document(tmp_path: Path, city: str, text: str, title: str = "Practice") -> ParsedDocument:
    """A parsed page about `city` saying `text`."""
    path = tmp_path / f"{city.lower()}.txt"
    path.write_text(PAGE.format(title=title, city=city, text=text), encoding="utf-8")
    return load_document(path)


def refreshed(reader: IndexStore) -> ChunkCatalog:
    """The reader's catalog after a refresh (which reloads if another process published)."""
    reader.refresh()
    return reader.catalog


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Poll until `condition()` holds; fail naming `what` at the deadline."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def test_a_reader_reloads_after_a_publish_that_raced_another(
    writer: Writer, embedder: Embedder, proxies: list[PausingProxy], tmp_path: Path
) -> None:
    """A writer whose publish is held up while two others publish, then lands, does not make
    a reader miss the next publish: every publish gives a generation never seen before."""
    store = IndexStore.open(writer(), embedder)
    store.add_document(document(tmp_path, "Bergen", "runs a mediation service."))
    proxy = PausingProxy(writer().chroma_port, hold=upserting(["__index__"])).start()
    proxies.append(proxy)
    slow = IndexStore.open(writer("slow", port=proxy.port), embedder)
    held = threading.Thread(
        target=slow.add_document, args=(document(tmp_path, "Patras", "opened a library."),)
    )
    held.start()
    assert proxy.paused.wait(120), "the slow writer never published"
    store.add_document(document(tmp_path, "Turin", "trains mediators."))
    store.add_document(document(tmp_path, "Lyon", "holds a festival."))
    reader = IndexStore.open(writer("reader"), embedder)
    assert {"patras.txt", "turin.txt", "lyon.txt"} <= set(reader.catalog.documents)
    proxy.release()
    held.join(timeout=120)
    store.add_document(document(tmp_path, "Oslo", "opened a welcome desk."))
    wait_for(lambda: "oslo.txt" in refreshed(reader).documents, "the reader saw the last publish")


def test_a_reader_follows_a_rebuild_by_another_process(
    writer: Writer, embedder: Embedder, tmp_path: Path
) -> None:
    """After another process's `ingest --rebuild`, a reader that had loaded the old index
    serves the new one (it reopens the recreated collections and reloads)."""
    store = IndexStore.open(writer(), embedder)
    store.add_document(document(tmp_path, "Bergen", "runs a mediation service."))
    reader = IndexStore.open(writer("reader"), embedder)
    assert set(reader.catalog.documents) == {"bergen.txt"}
    rebuilt = IndexStore.open(writer(), embedder, allow_rebuild=True)
    rebuilt.sync([], rebuild=True)
    rebuilt.add_document(document(tmp_path, "Oslo", "opened a welcome desk."))
    wait_for(lambda: set(refreshed(reader).documents) == {"oslo.txt"}, "the reader followed")
    hits = reader.query_dense(embedder.embed_query("welcome desk for newcomers"), 1)
    assert [reader.catalog.chunks[h.chunk_id].doc_id for h in hits] == ["oslo.txt"]


# -- writers deleting each other's records (finding 1) ------------------------------------------

APP = Path(sys.executable).parent / "icc-assistant"


def cli_environment(settings: Settings) -> dict[str, str]:
    """The environment of a CLI or service process for these settings."""
    return clean_environment(
        ICC_DATA_DIR=str(settings.data_dir), ICC_COLLECTION=settings.collection,
        ICC_CHROMA_HOST=str(settings.chroma_host), ICC_CHROMA_PORT=str(settings.chroma_port),
        ICC_ADMIN_KEYS="admin-key", ICC_LOG_LEVEL="INFO",
    )  # fmt: skip


def start_ingest(settings: Settings, corpus: Path, log: Path) -> subprocess.Popen[bytes]:
    """`icc-assistant ingest corpus` in its own process, its output in `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(APP), "ingest", str(corpus)], env=cli_environment(settings),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def finish(process: subprocess.Popen[bytes], log: Path) -> str:
    """Wait for the process; its output, which must end in success."""
    assert process.wait(timeout=300) == 0, log.read_text(errors="replace")
    return log.read_text(errors="replace")


def corpus_of(root: Path, city: str, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{city.lower()}.txt").write_text(
        PAGE.format(title="Practice", city=city, text=text), encoding="utf-8"
    )
    return root


def assert_whole(settings: Settings, embedder: Embedder, doc_id: str, words: str) -> None:
    """The document is committed with every chunk its record counts, and a search for its own
    words finds it first."""
    store = IndexStore.open(settings, embedder)
    count = store.chroma.active()[doc_id].chunks
    found = store.catalog.doc_chunks.get(doc_id, [])
    hits = store.query_dense(embedder.embed_query(words), 1)
    best = store.catalog.chunks[hits[0].chunk_id].doc_id if hits else None
    assert found and len(found) == count, f"{doc_id}: {len(found)} of {count} chunks stored"
    assert best == doc_id, f"{words!r} finds {best}, not {doc_id}"


def test_a_writer_elsewhere_keeps_the_records_another_is_committing(
    writer: Writer, embedder: Embedder, proxies: list[PausingProxy], tmp_path: Path
) -> None:
    """An ingest on another machine (its own data directory) that publishes while this one
    is about to commit a document leaves that document's records alone: it is committed whole."""
    proxy = PausingProxy(writer().chroma_port, hold=upserting(["patras.txt"])).start()
    proxies.append(proxy)
    first = corpus_of(tmp_path / "a", "Patras", "opened a library for newcomers.")
    second = corpus_of(tmp_path / "b", "Oslo", "opened a welcome desk.")
    paused = start_ingest(writer("one", port=proxy.port), first, tmp_path / "one.log")
    assert proxy.paused.wait(120), (tmp_path / "one.log").read_text(errors="replace")
    finish(start_ingest(writer("two"), second, tmp_path / "two.log"), tmp_path / "two.log")
    proxy.release()
    finish(paused, tmp_path / "one.log")
    assert_whole(writer("reader"), embedder, "patras.txt", "library for newcomers")
    assert_whole(writer("reader"), embedder, "oslo.txt", "welcome desk")


def test_an_upload_and_an_ingest_on_one_data_directory_take_turns(
    writer: Writer, embedder: Embedder, proxies: list[PausingProxy], tmp_path: Path
) -> None:
    """An ingest that starts while the service is committing an upload waits for it (and says
    so), then both documents are whole; sending the upload again answers `unchanged`."""
    proxy = PausingProxy(writer().chroma_port, hold=upserting(["patras.txt"])).start()
    proxies.append(proxy)
    service = start_serve(cli_environment(writer(port=proxy.port)), tmp_path / "serve.log")
    try:
        page = PAGE.format(title="Practice", city="Patras", text="opened a library for newcomers.")
        uploading = ThreadPoolExecutor(1).submit(
            upload, service.url, "admin-key", "patras.txt", page.encode()
        )
        assert proxy.paused.wait(120), service.output()
        log = tmp_path / "ingest.log"
        ingest = start_ingest(
            writer(), corpus_of(tmp_path / "b", "Oslo", "opened a welcome desk."), log
        )
        waiting = "waiting for another writer"
        wait_for(lambda: ingest.poll() is not None or waiting in log.read_text(),
                 "the ingest waited or finished", seconds=120)  # fmt: skip
        proxy.release()
        assert uploading.result(timeout=120).json()["status"] == "added"
        output = finish(ingest, log)
        assert_whole(writer("reader"), embedder, "patras.txt", "library for newcomers")
        assert_whole(writer("reader"), embedder, "oslo.txt", "welcome desk")
        again = upload(service.url, "admin-key", "patras.txt", page.encode())
        assert again.json()["status"] == "unchanged"
        assert waiting in output
    finally:
        service.stop()


def test_a_document_whose_records_were_lost_is_written_again(
    writer: Writer, embedder: Embedder, tmp_path: Path
) -> None:
    """Ingesting a file again does not answer `unchanged` for a committed document whose chunks
    are gone (as the race above left them): it writes them again, and the document is whole."""
    corpus = corpus_of(tmp_path / "corpus", "Patras", "opened a library for newcomers.")
    store = IndexStore.open(writer(), embedder)
    assert statuses(store, corpus) == {"patras.txt": "added"}
    host, port = writer().chroma_host, writer().chroma_port
    chunks = chromadb.HttpClient(host=host, port=port).get_collection(
        f"{writer().collection}_chunks"
    )
    chunks.delete(where={"doc_id": "patras.txt"})
    assert statuses(store, corpus) == {"patras.txt": "updated"}
    assert_whole(writer("reader"), embedder, "patras.txt", "library for newcomers")
    assert statuses(store, corpus) == {"patras.txt": "unchanged"}


def test_abandoned_records_go_a_killed_writers_at_once_others_when_old(
    writer: Writer, embedder: Embedder, proxies: list[PausingProxy], tmp_path: Path
) -> None:
    """The records of a writer of this data directory killed before its commit are removed by
    the next writer there; another machine's uncommitted records stay until they are old."""
    proxy = PausingProxy(writer().chroma_port, hold=upserting(["patras.txt"])).start()
    proxies.append(proxy)
    killed = start_ingest(
        writer(port=proxy.port),
        corpus_of(tmp_path / "a", "Patras", "opened a library for newcomers."),
        tmp_path / "killed.log",
    )
    assert proxy.paused.wait(120), (tmp_path / "killed.log").read_text(errors="replace")
    killed.kill()
    killed.wait()
    proxy.drop()
    host, port = writer().chroma_host, writer().chroma_port
    chunks = chromadb.HttpClient(host=host, port=port).get_collection(
        f"{writer().collection}_chunks"
    )
    now = int(time.time())
    chunks.upsert(
        ids=["fresh.txt#0:0", "stale.txt#0:0"],
        embeddings=[[0.1] * embedder.dimension] * 2,
        documents=["a page another machine is committing", "a page nobody committed"],
        metadatas=[
            {"doc_id": "fresh.txt", "doc_hash": "f", "writer": "elsewhere", "written_at": now},
            {
                "doc_id": "stale.txt",
                "doc_hash": "s",
                "writer": "elsewhere",
                "written_at": now - 7200,
            },
        ],
    )
    log = tmp_path / "next.log"
    finish(
        start_ingest(writer(), corpus_of(tmp_path / "b", "Oslo", "opened a welcome desk."), log),
        log,
    )
    left = {str(meta["doc_id"]) for meta in chunks.get(include=["metadatas"])["metadatas"] or []}
    assert left == {"oslo.txt", "fresh.txt"}


def statuses(store: IndexStore, corpus: Path) -> dict[str, str]:
    """Ingest the folder; each file's status."""
    files, _ = collect_paths([corpus])
    return {r.doc_id: r.status for r in store.sync(load_files(files)).files}
