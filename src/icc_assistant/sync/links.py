"""An HTML page's links, what its robots meta tag allows, whether it is a list of links, and a
hash of its text (what decides whether it needs parsing again)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from icc_assistant.ingest import CHUNKER_VERSION, PARSER_REVISION
from icc_assistant.ingest.loaders import check_html_depth, html_to_text

# Site chrome around the content: its text says nothing about what kind of page this is.
_CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "form", "aside", "svg")
# Query parameters that page through a list.
_PAGING = re.compile(r"^(?:_\w+_)?(?:start|delta|cur|page|offset)$", re.IGNORECASE)
HUB_LINK_SHARE = 0.5
HUB_MIN_PROSE = 200


@dataclass(frozen=True)
class PageLinks:
    """Links of one page (absolute, as written) and what to do with the page."""

    links: tuple[str, ...]
    index: bool = True
    follow: bool = True
    is_hub: bool = False


@dataclass(frozen=True)
class PageRead:
    """A page's links and the hash of its text."""

    links: PageLinks
    text_hash: str


def read_page(html: str, url: str) -> PageRead:
    """The page's links and text hash; markup nested too deep is refused first, before any
    parser meets it (UnreadableDocumentError). Run it with a time budget."""
    check_html_depth(html, url)
    return PageRead(read_links(html, url), text_hash(html.encode("utf-8"), ".html"))


def text_hash(body: bytes, suffix: str) -> str:
    """A page's text (its bytes for a PDF), with the parser's version: equal hashes need no
    new parse."""
    text = html_to_text(body.decode("utf-8")).encode() if suffix == ".html" else body
    version = f"{CHUNKER_VERSION}.{PARSER_REVISION}".encode()
    return hashlib.sha256(text + b"\0" + version).hexdigest()


def read_links(html: str, url: str) -> PageLinks:
    """The page's links, its robots meta directives, and whether it is a hub: a list page
    (paged by its URL, mostly links, or with little text outside them) that is followed but
    not indexed."""
    tree = HTMLParser(html)
    directives = _robots_meta(tree)
    base_node = tree.css_first("base[href]")
    base = urljoin(url, base_node.attributes.get("href") or "") if base_node else url
    links = []
    if "nofollow" not in directives and "none" not in directives:
        links = [urljoin(base, href) for href in _hrefs(tree)]
    return PageLinks(
        links=tuple(dict.fromkeys(links)),
        index="noindex" not in directives and "none" not in directives,
        follow="nofollow" not in directives and "none" not in directives,
        is_hub=_pages_a_list(url) or _mostly_links(tree),
    )


def _robots_meta(tree: HTMLParser) -> set[str]:
    found: set[str] = set()
    for node in tree.css("meta[name]"):
        if (node.attributes.get("name") or "").lower() in ("robots", "icc-assistant"):
            content = (node.attributes.get("content") or "").lower()
            found.update(part.strip() for part in content.split(","))
    return found


def _hrefs(tree: HTMLParser) -> list[str]:
    hrefs = []
    for node in tree.css("a[href], area[href], link[rel][href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        if node.tag == "link" and "alternate" not in rel:
            continue  # stylesheets, icons; alternates are the page in other languages
        if "nofollow" in rel:
            continue
        href = (node.attributes.get("href") or "").strip()
        if href and not href.startswith("#"):
            hrefs.append(href)
    return hrefs


def _pages_a_list(url: str) -> bool:
    return any(_PAGING.match(name) for name, _ in parse_qsl(urlsplit(url).query))


def _mostly_links(tree: HTMLParser) -> bool:
    body = tree.body
    if body is None:
        return True
    for tag in _CHROME_TAGS:
        for node in body.css(tag):
            node.decompose()
    text = len(" ".join(body.text(separator=" ").split()))
    linked = sum(len(" ".join(a.text(separator=" ").split())) for a in body.css("a"))
    return text - linked < HUB_MIN_PROSE or linked >= HUB_LINK_SHARE * max(text, 1)
