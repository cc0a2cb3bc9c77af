"""The index: ChromaDB vectors plus an in-memory catalog and keyword index, kept in step."""

from icc_assistant.index.catalog import ChunkCatalog
from icc_assistant.index.commit import FileResult, SyncReport
from icc_assistant.index.keyword import KeywordIndex
from icc_assistant.index.store import IndexStats, IndexStore

__all__ = ["ChunkCatalog", "FileResult", "IndexStats", "IndexStore", "KeywordIndex", "SyncReport"]
