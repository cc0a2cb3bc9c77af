"""Approved answers: the secretariat's reviewed replies to recurring questions, served first.

`ApprovedAnswers` keeps them in the data directory (`store.py`, SQLite, several workers),
embeds each one's wordings once when it is written, and tells which one a question asks for
from the question's own vector (`matching.py`); `exchange.py` exports and imports them as JSON
and CSV; `reply.py` turns a match into a cited answer in the user's language.
"""

from icc_assistant.approved.exchange import ApprovedImport, from_csv, from_json, to_csv, to_json
from icc_assistant.approved.matching import Match
from icc_assistant.approved.model import ApprovedAnswer, ApprovedDraft, Source
from icc_assistant.approved.service import ApprovedAnswers
from icc_assistant.approved.store import ApprovedStore

__all__ = [
    "ApprovedAnswer",
    "ApprovedAnswers",
    "ApprovedDraft",
    "ApprovedImport",
    "ApprovedStore",
    "Match",
    "Source",
    "from_csv",
    "from_json",
    "to_csv",
    "to_json",
]
