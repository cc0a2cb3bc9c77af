"""Keep the index in step with a website: a polite, incremental, resumable crawl.

from icc_assistant.sync import SyncJob, SyncOptions
summary = SyncJob(settings, store, SyncOptions(urls=(...,), max_pages=500, delay=1.0)).run()

Modules: urls (scope, traps, one spelling per page), robots (robots.txt through Protego),
fetcher (polite HTTP), links (a page's links and whether it is a list), state (SQLite memory
between runs), job (the run). The index is reached only through IndexStore.batch().
"""

from icc_assistant.sync.job import SyncJob, SyncProgress, list_runs, user_agent
from icc_assistant.sync.models import SyncCounts, SyncIssue, SyncOptions, SyncSummary

__all__ = [
    "SyncCounts",
    "SyncIssue",
    "SyncJob",
    "SyncOptions",
    "SyncProgress",
    "SyncSummary",
    "list_runs",
    "user_agent",
]
