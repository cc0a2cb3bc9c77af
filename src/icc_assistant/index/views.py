"""Views and sentences: parts of a chunk embedded on their own beside the whole chunk.

Views are the halves (about 500 characters) of a chunk. A fact stated in one sentence of a
1,000-character chunk is diluted in the chunk's vector; the vector of the half holding it is
closer to a question about it. Dense retrieval scores a chunk by both
(RetrievalConfig.view_weight). Measured on the dev set, on top of the hybrid retriever: fact
recall@3 0.82 -> 0.93, hit@1 0.93 -> 0.96.

Sentences are the chunk's quotable sentences (Chunk.sentences), each embedded once at ingest so
that an answer can rank what it quotes by each sentence's cosine to the question's vector
(Passage.sentence_scores): no embedding at answer time, and a ranking that works whatever the
scripts of question and passage. Used as views in retrieval instead, they measured worse on the
multilingual set (hit@5 0.875 -> 0.839), so retrieval keeps the halves.
"""

from __future__ import annotations

from icc_assistant.documents import Chunk, DocumentMeta
from icc_assistant.embeddings import embedding_text
from icc_assistant.ingest.sentences import segment

VIEW_CHARS = 500


def view_texts(meta: DocumentMeta, chunk: Chunk) -> list[str]:
    """What is embedded for each view of the chunk; none when the chunk is one view already."""
    pieces = windows(chunk.text)
    if len(pieces) < 2:
        return []
    return [embedding_text(meta, chunk.model_copy(update={"text": piece})) for piece in pieces]


def sentence_texts(meta: DocumentMeta, chunk: Chunk) -> list[str]:
    """What is embedded for each of the chunk's sentences (after the document's title and
    section, as for the chunk); none when it has fewer than two: the chunk's own vector then
    stands for its one sentence."""
    if len(chunk.sentences) < 2:
        return []
    return [embedding_text(meta, chunk.model_copy(update={"text": s})) for s in chunk.sentences]


def windows(text: str) -> list[str]:
    """Consecutive sentences packed greedily into pieces of about VIEW_CHARS characters."""
    sentences = [s for line in text.splitlines() for s in segment(line)]
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        if current and len(current) + len(sentence) + 1 > VIEW_CHARS:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces
