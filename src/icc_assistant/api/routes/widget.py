"""The public widget: its script, the demo page, and the tokens that let it past ICC_API_KEYS."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from icc_assistant.api.limits import Limits
from icc_assistant.api.schemas import error_responses
from icc_assistant.api.security import client_address, client_identity
from icc_assistant.api.widget_tokens import WidgetTokens
from icc_assistant.errors import NotFoundError
from icc_assistant.settings import Settings

router = APIRouter(tags=["widget"])


class WidgetTokenOut(BaseModel):
    """A token for the calling page's origin; null when the API is open (no token needed)."""

    token: str | None = Field(description="Send it as X-Widget-Token; null: send nothing.")
    expires_in: int = Field(description="Seconds before a new token is needed.")


@router.post(
    "/api/widget/token", response_model=WidgetTokenOut, responses=error_responses(403, 429)
)
async def widget_token(request: Request) -> WidgetTokenOut:
    """A short-lived token for a page whose origin is in ICC_CORS_ORIGINS (limited per address)."""
    settings: Settings = request.app.state.settings
    tokens: WidgetTokens = request.app.state.widget_tokens
    if not settings.api_keys:
        return WidgetTokenOut(token=None, expires_in=tokens.ttl)
    address = client_address(request)
    limits: Limits = request.app.state.limits
    limits.widget_tokens.check(client_identity(request))
    token = tokens.issue(request.headers.get("origin"), address)
    return WidgetTokenOut(token=token, expires_in=tokens.ttl)


def web_file(name: str, media_type: str, headers: Mapping[str, str] | None = None) -> Response:
    """A file of the package's web/ resources (the top-level web/ is their source); `name` may
    name a file of a subfolder ("lib/dom.js")."""
    resource = resources.files("icc_assistant").joinpath("web", *name.split("/"))
    if not resource.is_file():
        raise NotFoundError(f"{name} is not installed on this server.")
    return Response(
        resource.read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "no-cache", **(headers or {})},
    )


@router.get("/widget.js", include_in_schema=False)
async def widget() -> Response:
    return web_file("widget.js", "text/javascript")


@router.get("/", include_in_schema=False)
async def demo_page() -> Response:
    return web_file("index.html", "text/html")
