"""The assistant as a Model Context Protocol server: tools and document resources, served
over Streamable HTTP inside the FastAPI app (/mcp) or over stdio (`icc-assistant mcp`)."""

from icc_assistant.api.mcp.http import mount_mcp
from icc_assistant.api.mcp.server import ICCServer
from icc_assistant.api.mcp.stdio import run_stdio

__all__ = ["ICCServer", "mount_mcp", "run_stdio"]
