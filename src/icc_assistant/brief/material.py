"""The state of the material a note drew on: the index's size, its last change, the last sync."""

from __future__ import annotations

from datetime import UTC, datetime

from icc_assistant.assistant import Assistant
from icc_assistant.brief.model import MaterialState
from icc_assistant.index.catalog import POINTER
from icc_assistant.sync import list_runs


def material_state(assistant: Assistant) -> MaterialState:
    """Documents and chunks indexed, when the index's content last changed (the catalog is
    rewritten whenever the set of committed documents changes) and the newest sync run."""
    stats = assistant.store.stats()
    pointer = assistant.settings.data_dir / "keyword" / POINTER
    try:
        last_ingest: datetime | None = datetime.fromtimestamp(pointer.stat().st_mtime, UTC)
    except OSError:
        last_ingest = None
    runs = list_runs(assistant.settings, limit=1)
    newest = runs[0] if runs else None
    return MaterialState(
        documents=stats.documents,
        chunks=stats.chunks,
        last_ingest=last_ingest,
        last_sync=(newest.finished_at or newest.started_at) if newest else None,
        last_sync_status=newest.status if newest else None,
    )
