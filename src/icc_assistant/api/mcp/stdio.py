"""`icc-assistant mcp`: the MCP server over stdio, for clients that launch a command.

stdout carries the protocol, so logs go to stderr. There is no key to check: the caller is
the local user who started the process and could read the data directory anyway.
"""

from __future__ import annotations

import sys

import structlog

from icc_assistant import language
from icc_assistant.api.logging import configure_logging
from icc_assistant.api.mcp.server import ICCServer, admit_anyone
from icc_assistant.assistant import Assistant
from icc_assistant.settings import Settings


def run_stdio(settings: Settings) -> None:
    """Open the index, then answer MCP messages on stdin/stdout until stdin closes."""
    configure_logging(settings)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    assistant = Assistant.open(settings)
    language.warm_up()
    ICCServer(settings, lambda: assistant, admit_anyone).run("stdio")
