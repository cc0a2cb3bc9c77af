"""Several writers on one index (issue 30): uploads, ingests and syncs in other processes or on
other machines, on a `chroma run` server. A writer is stopped at an exact point of its protocol
by a real proxy in front of Chroma that holds one request (tests/fakes/pausing_proxy.py)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fakes.pausing_proxy import PausingProxy, upserting
from icc_assistant.documents import ParsedDocument
from icc_assistant.embeddings import Embedder, create_embedder
from icc_assistant.index import ChunkCatalog, IndexStore
from icc_assistant.ingest import load_document
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
