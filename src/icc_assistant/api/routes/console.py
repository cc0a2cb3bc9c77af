"""The admin console: /admin, its stylesheet and its JavaScript modules, all from the package.

The page loads nothing from elsewhere and runs under a strict Content-Security-Policy: no
inline script or style, no eval, no frames, requests to this service only. The admin key is
typed into the page and kept in the tab's sessionStorage; the server sees it only as
`Authorization: Bearer` on the admin API, never in a cookie.

/lib/<name>.js are ES modules the console and the chat widget share; the widget imports them
from pages of other origins, so they are served to any origin (they are public code).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from icc_assistant.api.routes.widget import web_file
from icc_assistant.errors import NotFoundError
from icc_assistant.settings import Settings

router = APIRouter(tags=["console"])

CONSOLE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONSOLE_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
# The modules of web/lib/ the server hands out; any other name is a 404.
LIB_MODULES = frozenset(
    {
        "answers", "api", "chart", "console", "console-strings", "copy", "dom", "fragments",
        "i18n", "render", "sse",
    }
)  # fmt: skip


@router.get("/admin", include_in_schema=False)
async def console_page(request: Request) -> Response:
    """The console; on a service with no admin key, marked so that its sign-in page says how
    to set one (a meta element: the page runs no inline script)."""
    page = web_file("admin.html", "text/html; charset=utf-8", PAGE_HEADERS)
    settings: Settings = request.app.state.settings
    if settings.all_admin_keys:
        return page
    marked = bytes(page.body).replace(
        b"<head>", b'<head>\n<meta name="icc-admin-keys" content="none">', 1
    )
    return Response(marked, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/admin.css", include_in_schema=False)
async def console_styles() -> Response:
    return web_file("admin.css", "text/css; charset=utf-8", {"X-Content-Type-Options": "nosniff"})


@router.get("/icon.svg", include_in_schema=False)
async def console_icon() -> Response:
    return web_file("icon.svg", "image/svg+xml", {"X-Content-Type-Options": "nosniff"})


@router.get("/lib/{name}.js", include_in_schema=False)
async def shared_module(name: str) -> Response:
    if name not in LIB_MODULES:
        raise NotFoundError(f"There is no module {name[:60]!r}.")
    return web_file(
        f"lib/{name}.js",
        "text/javascript; charset=utf-8",
        {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"},
    )
