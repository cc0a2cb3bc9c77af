"""Documents that expand past their size, hostile metadata: refused at upload, over real HTTP,
with 413 or 422 and a message naming the limit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fakes.hostile_files import NESTING, nested_html, pdf, pdf_bomb, text_lines
from fixtures import live_server
from fixtures.live_server import Serve

ADMIN = "adm-5b2f9c7e41d8"


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "request_id"}
    return error


def upload(url: str, name: str, data: bytes) -> httpx.Response:
    """POST /api/documents as the admin."""
    return live_server.upload(url, ADMIN, name, data, "application/octet-stream")


@pytest.fixture
def admin_url(serve: Serve) -> str:
    """A server that takes uploads, with small text limits for the tests."""
    return serve(
        admin_keys=[ADMIN], rate_limit_per_minute=1000, max_document_chars=30_000, max_pdf_pages=3
    )


def test_a_pdf_compression_bomb_is_413(serve: Serve) -> None:
    """Seven kilobytes of PDF that expand to a megabyte of text are refused, quickly, with 413."""
    url = serve(admin_keys=[ADMIN], rate_limit_per_minute=1000)
    bomb = pdf_bomb(1_000_000)
    assert len(bomb) < 10_000
    error = error_of(upload(url, "bomb.pdf", bomb), 413)
    assert "ICC_MAX_PDF_EXPANSION" in error["message"] and "bomb.pdf" in error["message"]


def test_pdf_pages_and_text_are_bounded(admin_url: str) -> None:
    """A PDF over ICC_MAX_PDF_PAGES, or whose text is over ICC_MAX_DOCUMENT_CHARS, is a 413."""
    page = text_lines(["Ansan opened a centre where migrant pupils learn Korean."] * 50)
    error = error_of(upload(admin_url, "long.pdf", pdf(page, pages=4)), 413)
    assert "ICC_MAX_PDF_PAGES" in error["message"]
    wordy = text_lines(["Ansan opened a centre where migrant pupils learn Korean. " * 2] * 300)
    error = error_of(upload(admin_url, "wordy.pdf", pdf(wordy, compress=False)), 413)
    assert "ICC_MAX_DOCUMENT_CHARS" in error["message"]


def test_an_ordinary_pdf_still_ingests(serve: Serve) -> None:
    """A small PDF with a text layer is added as before."""
    url = serve(own_index=True, admin_keys=[ADMIN], rate_limit_per_minute=1000)
    lines = ["Bergen runs a free cycling school where newcomer women learn to ride."] * 30
    result = upload(url, "bergen.pdf", pdf(text_lines(lines), pages=2))
    assert result.status_code == 200 and result.json()["status"] == "added", result.text


def test_markdown_and_html_text_are_bounded(admin_url: str) -> None:
    """Markdown, or an HTML page's text, over ICC_MAX_DOCUMENT_CHARS is a 413."""
    report = "# Report\n\n" + "## Section\n\nAnsan supports migrant pupils in school.\n\n" * 900
    assert (
        "ICC_MAX_DOCUMENT_CHARS"
        in error_of(upload(admin_url, "r.md", report.encode()), 413)["message"]
    )
    page = "<html><body>" + "<p>Ansan supports migrant pupils in school.</p>" * 900 + "</body>"
    error_of(upload(admin_url, "p.html", page.encode()), 413)


def test_deeply_nested_html_is_refused_quickly(admin_url: str) -> None:
    """Markup nested thousands deep (quadratic for the parser) is a 422 within the timeout."""
    response = httpx.post(
        f"{admin_url}/api/documents",
        files={"file": ("deep.html", nested_html(60_000), "text/html")},
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=20,
    )
    assert "deep" in error_of(response, 422)["message"]


@pytest.mark.parametrize("style", [s for s in NESTING if s != "blockquote"])
def test_nesting_a_tag_count_misses_is_refused_too(admin_url: str, style: str) -> None:
    """`<div/>`, `<div title="<">`, end tags that close nothing and HTML inside SVG's
    foreignObject nest as deep as the parser says, and are refused before it sees them (422)."""
    response = upload(admin_url, "deep.html", nested_html(40_000, style))
    assert "nests its markup" in error_of(response, 422)["message"]


def test_flat_markup_the_parser_closes_itself_is_accepted(serve: Serve) -> None:
    """Thousands of self-closed SVG shapes, unclosed paragraphs, list items and options, and
    tags written inside a script, are no nesting: the page is ingested."""
    url = serve(own_index=True, admin_keys=[ADMIN], rate_limit_per_minute=1000)
    shapes = '<svg viewBox="0 0 9 9">' + '<path d="M0 0h1"/>' * 3000 + "</svg>"
    options = "<select>" + "<option>Ansan" * 3000 + "</select>"
    items = "<ul>" + "<li><p>Ansan supports migrant pupils." * 1500 + "</ul>"
    script = "<script>const t = '" + "<div>" * 3000 + "';</script>"
    page = f"<html><body><h1>Ansan</h1>{shapes}{options}{items}{script}</body></html>"
    response = upload(url, "flat.html", page.encode())
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("front_matter", "field"),
    [
        ("url: javascript:alert(document.domain)", "url"),
        ("url: data:text/html,<script>alert(1)</script>", "url"),
        ("url: /relative/page", "url"),
        ('title: <img src=x onerror="alert(1)">', "title"),
        ("city: <script>alert(1)</script>Ansan", "city"),
    ],
)
def test_hostile_metadata_is_422(admin_url: str, front_matter: str, field: str) -> None:
    """Front matter with a non-http(s) URL or HTML in title or city is refused, naming the field."""
    text = f"---\n{front_matter}\n---\nBack A page\n\n2020\n\nAnsan supports migrant pupils."
    error = error_of(upload(admin_url, "hostile.txt", text.encode()), 422)
    assert field in error["message"]
