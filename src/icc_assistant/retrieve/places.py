"""Which of the places a question names it means: a place name that is also a common word of
the question's language counts only where the text shows it is used as a name.

The gazetteer finds every word that some city is called somewhere (data from GeoNames), so
ordinary words collide with names: Korean 위해 ("for") is a name of Weihai, Ukrainian "або"
("or") one of Turku, English "Roma" (the people) one of Rome, German "Essen" (food) and
Portuguese "Natal" (Christmas) are cities' own names. A mention is taken as a place when:

1. the token is no common word of the language (wordfreq: under WORD_ZIPF, once in a million
   words), as most city names in questions are; else
2. not when the language calls the place by another of its names, clearly more often
   (OTHER_NAME_LEAD), and that name, as the language spells it, means the place (within
   OTHER_NAME_SIMILARITY, as in 6. below: German "Rom" and "Rome, Italy" 0.92, but "Türen",
   doors, and "Turin, Italy" 0.88): English and German write "Rome"/"Rom", so their "Roma" is
   the people;
3. yes when it is capitalised where the language writes common words in small letters (a
   cased script, not at the start of a sentence, in a language that does not capitalise every
   noun): a proper noun;
4. yes for a city the indexed documents are about (the corpus' own cities stay recognised in
   every script); otherwise, where case tells nothing (a caseless script, German nouns, the
   first word of a sentence):
5. the place's own name ("Essen", "Reading") only for an ICC member city: a common word that
   is also the name of a city outside the programme is read as the word;
6. another of its names: for an ICC member, when it is no very common word (under
   MEMBER_WORD_ZIPF: German "Krakau", Korean 리스본); else only when it means the place: the
   token alone lies within
   NAME_SIMILARITY of "<city>, <country>" for the embedder (Wien and "Vienna, Austria": 0.94,
   리스본 and "Lisbon, Portugal": 0.83; 위해 and "Weihai, China": 0.80, Або and "Turku,
   Finland": 0.79); for a city outside the programme, within OTHER_CITY_SIMILARITY (서울 and
   "Seoul, South Korea": 0.89, but "Sinti", a people, and "Xindi, China": 0.88).

Thresholds were set on bench/trust_probes.jsonl and the development questions' cities.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection

import numpy as np

from icc_assistant import gazetteer
from icc_assistant.embeddings import Embedder
from icc_assistant.gazetteer import Mention, word_zipf

WORD_ZIPF = 3.0
OTHER_NAME_LEAD = 0.5
NAME_SIMILARITY = 0.82
OTHER_CITY_SIMILARITY = 0.90
OTHER_NAME_SIMILARITY = 0.90
COMMONER_BAR = 0.01
MEMBER_WORD_ZIPF = 4.0
# Languages whose spelling capitalises every noun: there a capital letter says nothing.
NOUN_CAPITALISING = frozenset({"de", "lb"})
_VECTORS_KEPT = 4096  # tokens and places whose vectors are remembered


class PlaceReader:
    """Decides which mentions of a text mean places; remembers the embedder's verdicts."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, text: str, language: str, known: Collection[str]) -> list[Mention]:
        """The mentions of `text` (in `language`) that mean places, in order."""
        return [m for m in gazetteer.mentions(text, known=known) if self.means(m, language, known)]

    def cities(self, text: str, language: str, known: Collection[str]) -> list[str]:
        """The cities `text` means, each once, in order of first mention."""
        return list(dict.fromkeys(m.city for m in self.read(text, language, known)))

    def means(self, mention: Mention, language: str, known: Collection[str]) -> bool:
        """Whether the text uses the mention's token as the name of its city."""
        frequency = word_zipf(mention.token, language)
        if frequency < WORD_ZIPF:
            return True
        if self._named_otherwise(mention, language, frequency):
            return False
        if mention.cased and not mention.initial and language not in NOUN_CAPITALISING:
            return True
        if any(gazetteer.same_city(mention.city, city) for city in known):
            return True
        if mention.own_name:
            return mention.trusted
        if mention.trusted and frequency < MEMBER_WORD_ZIPF:
            return True  # a member's other name that is no very common word: "Krakau", 리스본
        return self._means_place(
            mention.token, mention.city, member=mention.trusted, frequency=frequency
        )

    def _named_otherwise(self, mention: Mention, language: str, frequency: float) -> bool:
        """Whether the language calls the place by another of its names, clearly more often
        than by this token (which then means something else: a people, a word)."""
        token = gazetteer.fold(mention.token)
        others = sorted(
            (
                (word_zipf(name, language), name)
                for name in gazetteer.names_of(mention.city)
                if name != token
            ),
            reverse=True,
        )
        return any(
            self._similarity(_capitalised(gazetteer.spelled(name, language)), mention.city)
            >= OTHER_NAME_SIMILARITY
            for zipf, name in others
            if zipf >= frequency + OTHER_NAME_LEAD
        )

    def _means_place(self, token: str, city: str, *, member: bool, frequency: float) -> bool:
        """Whether the token alone means the place; the more common a word it is, the closer
        it must come (COMMONER_BAR per Zipf point above WORD_ZIPF)."""
        bar = NAME_SIMILARITY if member else OTHER_CITY_SIMILARITY
        bar += COMMONER_BAR * max(0.0, frequency - WORD_ZIPF)
        return self._similarity(token, city) >= bar

    def _similarity(self, token: str, city: str) -> float:
        """Cosine of the token alone to "<city>, <country>", both embedded as queries (in one
        call when neither is remembered; each vector kept for later questions)."""
        country = gazetteer.country_of(city)
        place = f"{city}, {country}" if country else city
        wanted = [text for text in (token, place) if self._vector(text) is None]
        if wanted:
            for text, vector in zip(wanted, self._embedder.embed_queries(wanted), strict=True):
                self._remember(text, vector)
        first, second = self._vector(token), self._vector(place)
        assert first is not None and second is not None
        return float(np.dot(first, second))

    def _vector(self, text: str) -> np.ndarray | None:
        with self._lock:
            found = self._vectors.get(text)
            if found is not None:
                self._vectors.move_to_end(text)
            return found

    def _remember(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > _VECTORS_KEPT:
                self._vectors.popitem(last=False)


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]
