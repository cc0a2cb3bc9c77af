"""Question -> ranked Passages over the index; reads the index, never writes it.

A question is analysed once (`query.py`: language, cities, filters, vectors), candidate passages
are gathered from the dense index, the documents about the cities named and the keyword index
(`candidates.py`), scored (`ranking.py`: dense similarity, less the head start of the question's
own language, plus a boost for the cities named and a small keyword bonus), selected
(`selection.py`: no near-duplicates, no document taking all the places) and judged by the
evidence gate (`gate.py`). The language bias and the gate's threshold come from the corpus
(index/calibration.py), not from constants fitted to a few documents.
"""

from icc_assistant.retrieve.config import RetrievalConfig
from icc_assistant.retrieve.retriever import Retriever

__all__ = ["RetrievalConfig", "Retriever"]
