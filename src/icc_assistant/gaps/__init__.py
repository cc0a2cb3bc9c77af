"""What members ask that the material does not answer: a privacy-aware record of gaps.

`GapRecorder` turns no-evidence answers and thumbs-down ratings into `Gap`s, `GapStore` keeps
them (text only on opt-in, scrubbed, expired after the retention period), and `build_report` /
`to_csv` summarise them for `icc-assistant gaps` and `GET /api/admin/gaps`.
"""

from icc_assistant.gaps.recorder import GapRecorder, TopicLabels
from icc_assistant.gaps.report import (
    GapReport,
    build_report,
    check_range,
    gap_report,
    parse_day,
    to_csv,
)
from icc_assistant.gaps.scrub import scrub
from icc_assistant.gaps.store import Gap, GapStore, StoredGap

__all__ = [
    "Gap",
    "GapRecorder",
    "GapReport",
    "GapStore",
    "StoredGap",
    "TopicLabels",
    "build_report",
    "check_range",
    "gap_report",
    "parse_day",
    "scrub",
    "to_csv",
]
