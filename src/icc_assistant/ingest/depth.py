"""How deeply a page's markup nests, measured before any HTML parser meets it.

The parser's time grows with the square of the nesting depth (40,000 nested elements take it
seconds), so a page nested over MAX_HTML_DEPTH elements is refused first. Counting tags with a
regular expression is not enough: `<div/>` opens a div (the slash means nothing on an HTML
element), `<div title="<">` is one tag, and an end tag that closes nothing is ignored. So the
depth is the height of the stack of open elements, kept as the HTML standard's tokenizer and
tree builder keep it, as far as depth is concerned:

- a tag ends at the first `>` outside a quoted attribute value; comments end at `-->` or
  `--!>` (`<!-->` at once), other `<!...>` and `<?...>` at the first `>`;
- the text of script, style, textarea, title, xmp, iframe, noembed and noframes runs to their
  own end tag;
- in SVG and MathML a `/>` closes the element at once, except for the HTML tags that end
  foreign content (`<div>`, `<p>`, `<b>`...), and except inside foreignObject, desc, title
  (SVG), annotation-xml with an HTML encoding and mi, mo, mn, ms, mtext (MathML), which hold HTML;
- an end tag closes the innermost open element of its name, and all opened inside it, unless
  an element that bounds its scope comes first (then, like one matching nothing, it is ignored);
- void elements, and those the parser closes itself when the next one starts (p, li, dt, dd,
  option, table rows and cells...), are not counted, nor is a heading or a link opened
  directly inside another.

Invariant: wherever this model and the parser could part, it keeps an element open that the
parser may have closed, never the reverse, so it measures at least the parser's depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Void elements, and elements whose end tag may be left out (the parser closes them itself).
UNNESTED = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup",
     "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "html", "head", "body",
     "keygen", "basefont", "bgsound", "frame")
)  # fmt: skip
# Elements whose text runs to their own end tag (RAWTEXT, RCDATA, script data).
_RAW_TEXT = frozenset(
    ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")
)
# "Has an element in scope": its boundaries, with those of list item and button scope.
_SCOPE = frozenset(
    ("applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "mi",
     "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc", "title", "ol", "ul",
     "button")
)  # fmt: skip
# The special category: an end tag of another name does not reach past one of these.
_SPECIAL = _SCOPE | frozenset(
    ("address", "article", "aside", "blockquote", "center", "details", "dir", "div", "dl",
     "fieldset", "figcaption", "figure", "footer", "form", "frameset", "h1", "h2", "h3", "h4",
     "h5", "h6", "header", "hgroup", "iframe", "listing", "main", "menu", "nav", "noembed",
     "noframes", "noscript", "plaintext", "pre", "script", "search", "section", "select",
     "style", "summary", "textarea", "xmp")
)  # fmt: skip
# Start tags that end SVG or MathML content (and `font` with color, face or size).
_BREAKOUT = frozenset(
    ("b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
     "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing",
     "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong",
     "strike", "sub", "sup", "table", "tt", "u", "ul", "var")
)  # fmt: skip
_HTML_INSIDE = {"svg": frozenset(("foreignobject", "desc", "title")),
                "math": frozenset(("mi", "mo", "mn", "ms", "mtext"))}  # fmt: skip
_HTML_ENCODINGS = frozenset(("text/html", "application/xhtml+xml"))
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_UNNESTABLE = frozenset(("a", "nobr", "button", "form")) | _HEADINGS

_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r />]*)")
_SEPARATOR = re.compile(r"[\t\n\f\r /]*")
_ATTRIBUTE = re.compile(
    r"""([^\t\n\f\r />][^\t\n\f\r /=>]*)"""
    r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*("[^"]*"?|'[^']*'?|[^\t\n\f\r >]*))?"""
)
_COMMENT_END = re.compile(r"--!?>")
# The only attributes that change the depth: `<font color>` ends foreign content, and
# `<annotation-xml encoding="text/html">` holds HTML.
_ATTRIBUTES_READ = frozenset(("font", "annotation-xml"))


@dataclass(frozen=True)
class _Open:
    """An open element: its name, namespace, and where the nearest scope boundary and
    special element lie in the stack (itself included), so an end tag is judged in O(1)."""

    name: str
    space: str  # html, svg or math
    holds_html: bool  # an integration point: its children are parsed as HTML
    scope_at: int
    special_at: int


@dataclass(frozen=True)
class _Tag:
    name: str
    end: bool
    self_closing: bool
    attributes: dict[str, str]
    stop: int  # index after the tag's `>`


def markup_depth(html: str, limit: int) -> int:
    """The deepest the stack of open elements grows, counting stopped once past `limit`."""
    stack = _Stack()
    position = 0
    while stack.deepest <= limit:
        position = html.find("<", position)
        if position < 0:
            break
        tag = _read_tag(html, position)
        if tag is None:
            position = _skip_markup_declaration(html, position)
            continue
        position = tag.stop
        if tag.end:
            stack.close(tag.name)
        elif stack.open(tag) and tag.name in _RAW_TEXT:
            position = _end_of_raw_text(html, position, tag.name)
    return stack.deepest


class _Stack:
    """The stack of open elements, as far as its height goes."""

    def __init__(self) -> None:
        self._open: list[_Open] = []
        self._where: dict[str, list[int]] = {}
        self.deepest = 0

    def open(self, tag: _Tag) -> bool:
        """Take a start tag; True when its text is raw (it was read as HTML's)."""
        current = self._open[-1] if self._open else None
        if current is not None and current.space != "html" and not current.holds_html:
            if current.name == "annotation-xml" and tag.name == "svg":
                return self._open_html(tag)
            if not _ends_foreign_content(tag):
                if not tag.self_closing:
                    self._push(tag, current.space)
                return False
            while self._open and self._open[-1].space != "html" and not self._open[-1].holds_html:
                self._pop()
        return self._open_html(tag)

    def _open_html(self, tag: _Tag) -> bool:
        name = tag.name
        if name in ("svg", "math"):
            if not tag.self_closing:
                self._push(tag, name)
            return False
        if name in UNNESTED:
            return False
        top = self._open[-1].name if self._open else ""
        if (name in _UNNESTABLE and top == name) or (name in _HEADINGS and top in _HEADINGS):
            self._pop()  # <h2> in an open <h3>, <a> in an open <a>: the first one closes
        self._push(tag, "html")
        return True

    def close(self, name: str) -> None:
        """Take an end tag: close the innermost `name` unless a boundary comes first."""
        where = self._where.get(name)
        if not where or not self._open:
            return
        match = where[-1]
        top = self._open[-1]
        boundary = top.scope_at if name in _SPECIAL else top.special_at
        if boundary > match:
            return
        while len(self._open) > match:
            self._pop()

    def _push(self, tag: _Tag, space: str) -> None:
        index = len(self._open)
        below = self._open[-1] if self._open else None
        holds_html = tag.name in _HTML_INSIDE.get(space, ()) or (
            space == "math"
            and tag.name == "annotation-xml"
            and tag.attributes.get("encoding", "").lower() in _HTML_ENCODINGS
        )
        scope_at = index if tag.name in _SCOPE else below.scope_at if below else -1
        special_at = index if tag.name in _SPECIAL else below.special_at if below else -1
        self._open.append(_Open(tag.name, space, holds_html, scope_at, special_at))
        self._where.setdefault(tag.name, []).append(index)
        self.deepest = max(self.deepest, len(self._open))

    def _pop(self) -> None:
        element = self._open.pop()
        self._where[element.name].pop()


def _ends_foreign_content(tag: _Tag) -> bool:
    if tag.name == "font":
        return any(a in tag.attributes for a in ("color", "face", "size"))
    return tag.name in _BREAKOUT


def _read_tag(html: str, position: int) -> _Tag | None:
    """The start or end tag at `position` (a `<`), or None when none starts there."""
    opened = _TAG_OPEN.match(html, position)
    if opened is None:
        return None
    name = opened.group(2).lower()
    attributes: dict[str, str] = {}
    index = opened.end()
    while True:
        separator = _SEPARATOR.match(html, index)
        assert separator is not None  # it matches the empty string
        index = separator.end()
        if index >= len(html):  # the page ends inside the tag: the parser drops it
            return _Tag("", True, False, {}, len(html))
        if html[index] == ">":
            closing = separator.group().endswith("/")
            return _Tag(name, bool(opened.group(1)), closing, attributes, index + 1)
        attribute = _ATTRIBUTE.match(html, index)
        assert attribute is not None  # the separator left a character that starts one
        if name in _ATTRIBUTES_READ:
            value = (attribute.group(2) or "").strip("\"'")
            attributes.setdefault(attribute.group(1).lower(), value)
        index = attribute.end()


def _skip_markup_declaration(html: str, position: int) -> int:
    """Where reading goes on after the `<` at `position` that opens no tag: past a comment,
    a `<!...>` or `<?...>`, or past the `<` alone (it is text)."""
    if html.startswith("<!--", position):
        start = position + 4
        if html.startswith(">", start) or html.startswith("->", start):
            return html.index(">", start) + 1
        closed = _COMMENT_END.search(html, start)
        return closed.end() if closed else len(html)
    if html.startswith(("<!", "<?", "</"), position):
        end = html.find(">", position + 2)
        return end + 1 if end >= 0 else len(html)
    return position + 1


def _end_of_raw_text(html: str, position: int, name: str) -> int:
    """Where the raw text of a `name` element opened at `position` ends: at its end tag."""
    end = _end_tag(name).search(html, position)
    return end.start() if end else len(html)


@lru_cache(maxsize=len(_RAW_TEXT))
def _end_tag(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE)
