"""Which URLs a sync may request, and one spelling for each.

Sites built on Liferay (as the ICC site is) give every page endless spellings: tracking
parameters, re-sorted and re-filtered lists, portlet layout parameters, `redirect=` back links.
`normalise_url` collapses them, so that the frontier holds each page once; `trap_reason` names the
endpoints never to request at all (language switch, login, print, share, portlet actions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters dropped from every URL: tracking, sorting, filtering, language and back links.
_DROPPED = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl|"
    r"sort\w*|order\w*|languageid|redirect|inheritredirect|backurl|p_l_back_url|p_p_auth|"
    r"p_r_p_\w+|categoryid|categoryids|tag|tags|filter\w*|keywords|resetcur|p_p_col_\w+)$",
    re.IGNORECASE,
)
# The default value of portlet parameters that only restate a normal view.
_NORMAL_VIEW = {"p_p_lifecycle": "0", "p_p_state": "normal", "p_p_mode": "view"}
# Liferay namespaces portlet parameters: `_<portlet id>_<name>`; the name is what counts.
_PORTLET_PARAM = re.compile(r"^_\w+_(?P<name>[A-Za-z]+)$")

_TRAP_SEGMENT = re.compile(
    r"^(?:login|logout|log-in|log-out|sign-?in|sign-?out|register|print|share|sharer|"
    r"send-to-friend|email-a-friend)(?:\.\w+)?$",
    re.IGNORECASE,
)
_NOT_DOCUMENT = re.compile(
    r"\.(?:jpe?g|png|gif|svg|webp|ico|bmp|tiff?|css|js|json|xml|rss|zip|gz|tgz|rar|7z|exe|"
    r"docx?|xlsx?|pptx?|odt|ods|odp|rtf|mp[34]|m4a|wav|avi|mov|webm|ogg|woff2?|ttf|eot)$",
    re.IGNORECASE,
)
_LANGUAGE_SEGMENT = re.compile(r"^[a-z]{2}(?:[-_][a-zA-Z]{2})?$")


def normalise_url(url: str, base: str | None = None) -> str | None:
    """One spelling of the page `url` (resolved against `base`) names, or None when it is not
    a well-formed http(s) URL (no host, a port that is no number or over 65535, a broken IPv6
    address). Fragments, default ports, tracking/sort/filter parameters and portlet parameters
    restating a normal view go; the other parameters are sorted."""
    try:
        return _normalised(urljoin(base, url.strip()) if base else url.strip())
    except ValueError:  # urllib's verdict on a malformed host or port
        return None


def _normalised(joined: str) -> str | None:
    parts = urlsplit(joined)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if _kept(k, v)]
    host = parts.hostname.lower()
    if ":" in host:  # IPv6: brackets keep its colons apart from the port's
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    netloc = host if port in (None, default) else f"{host}:{port}"
    path = parts.path or "/"
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))
    return canonicalize_url(rebuilt, keep_blank_values=False)


def _kept(name: str, value: str) -> bool:
    if _NORMAL_VIEW.get(name) == value:
        return False
    match = _PORTLET_PARAM.match(name)
    bare = match.group("name") if match else name
    return not _DROPPED.match(bare)


def trap_reason(url: str) -> str | None:
    """Why a URL must never be requested (a portal action, login, print or share endpoint, a
    file that is no document), or None. Takes the URL as linked, before normalisation."""
    parts = urlsplit(url)
    path = parts.path
    if "/c/portal/" in path.lower():
        return "portal action (language switch, login)"
    if any(_TRAP_SEGMENT.match(segment) for segment in path.split("/")):
        return "login, print or share endpoint"
    params = {k.lower(): v.lower() for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    if params.get("p_p_lifecycle", "0") != "0":
        return "portlet action"
    if params.get("p_p_state") in ("pop_up", "exclusive") or params.get("p_p_mode") == "print":
        return "print view"
    if any(k in params for k in ("print", "share", "login")):
        return "login, print or share endpoint"
    if _NOT_DOCUMENT.search(path):
        return "not a page or PDF"
    return None


def language_of(url: str) -> str | None:
    """The language a URL's first path segment names (`/fr/web/...` -> `fr`), if any."""
    first = urlsplit(url).path.lstrip("/").split("/", 1)[0]
    return first[:2].lower() if _LANGUAGE_SEGMENT.match(first) else None


def variant_key(url: str) -> str:
    """What the language versions of one page share: host, path without the language prefix,
    query (`www.coe.int/web/interculturalcities/-/x` for both `/en/...` and `/fr/...`)."""
    parts = urlsplit(url)
    segments = parts.path.lstrip("/").split("/")
    if segments and _LANGUAGE_SEGMENT.match(segments[0]):
        segments = segments[1:]
    key = f"{parts.netloc}/{'/'.join(segments)}"
    return f"{key}?{parts.query}" if parts.query else key


def host_of(url: str) -> str:
    """`scheme://host[:port]`: the unit of politeness and of robots.txt."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the port made explicit; None if malformed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or {"http": 80, "https": 443}[scheme]


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass(frozen=True)
class Scope:
    """The URL prefixes a sync stays within: a URL is in scope when its scheme, host and port
    are a prefix's and its path starts with the prefix's path (`https://rm.coe.int` admits
    neither `https://rm.coe.int.attacker.example` nor `https://rm.coe.int:8443`)."""

    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, start_urls: list[str], allow: list[str]) -> Scope:
        """The given prefixes, or else each start page's folder (`.../web/icc/` for
        `.../web/icc/good-practice`)."""
        given = allow or [url[: url.rfind("/") + 1] for url in start_urls]
        prefixes = []
        for prefix in given:
            normal = normalise_url(prefix)
            if normal is not None:
                prefixes.append(normal if prefix.endswith("/") else normal.rstrip("/"))
        return cls(tuple(dict.fromkeys(prefixes)))

    def allows(self, url: str) -> bool:
        """True when the (normalised) URL lies under one of the prefixes."""
        origin = origin_of(url)
        if origin is None:
            return False
        path = _path_of(url)
        return any(
            origin_of(prefix) == origin and path.startswith(_path_of(prefix))
            for prefix in self.prefixes
        )

    def covers_origin(self, url: str) -> bool:
        """True when the URL is on the scheme, host and port of one of the prefixes (where
        robots.txt may redirect to)."""
        origin = origin_of(url)
        return origin is not None and any(origin_of(p) == origin for p in self.prefixes)
