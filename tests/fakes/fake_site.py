"""A fake ICC website: two real HTTP servers on loopback (the site, and a document host).

It reproduces the public structure `icc-assistant sync` meets on the real site:
- pages under language prefixes (`/en/web/interculturalcities/...`, `/fr/...`), most good
  practices in English and French, each detail page with Purpose / Stimulus / Process / Results,
  the city and year line, the programme introduction and the filter sidebar;
- a paginated good-practice list (`good-practice?delta=10&start=2`) with sort and filter links;
- Index reports as PDFs on the second server, linked from a results page and news items;
- traps on every page: language switch (`/c/portal/update_language?...&redirect=...`), login,
  print and share links, tracking parameters; a page disallowed by robots.txt, which also sets a
  Crawl-delay; a redirect chain (301 then 302); a page answering 500 before it answers 200; a
  page slower than the client's timeout; a PDF over the size limit, a file of another type;
- ETag and Last-Modified validators honoured with 304 (PDFs carry only Last-Modified), and a
  per-request token in every page, as Liferay prints one.

Tests change it between runs (`change`, `touch`, `remove`) and read what it served
(`requests`, `trap_requests`, `robots_violations`). Every request is recorded.

    PYTHONPATH=tests python -m fakes.fake_site --practices 90 # prints its URLs; serves until killed
"""

from __future__ import annotations

import argparse
import hashlib
import html
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fakes.hostile_files import pdf_file

ROOT = "/web/interculturalcities"
PRIVATE = f"{ROOT}/private"
LIST_SIZE = 10
BASE_TIME = 1_700_000_000  # Last-Modified of every resource before it changes

CITIES = (
    ("Ansan", "South Korea"), ("Barcelona", "Spain"), ("Bilbao", "Spain"), ("Bergen", "Norway"),
    ("Oslo", "Norway"), ("Lisbon", "Portugal"), ("Dublin", "Ireland"), ("Montreal", "Canada"),
    ("Botkyrka", "Sweden"), ("Geneva", "Switzerland"), ("Auckland", "New Zealand"),
    ("Strasbourg", "France"), ("Porto", "Portugal"), ("Bradford", "United Kingdom"),
)  # fmt: skip
TOPICS = (
    ("an anti-rumour network of trained volunteers", "un réseau anti-rumeurs de bénévoles formés"),
    ("language cafés where newcomers practise with residents",
     "des cafés linguistiques où les nouveaux arrivants pratiquent avec les habitants"),
    ("a welcome desk for refugees at the town hall",
     "un guichet d'accueil pour les réfugiés à l'hôtel de ville"),
    ("intercultural mediation in public housing estates",
     "la médiation interculturelle dans les logements sociaux"),
    ("a multilingual newspaper for migrant residents",
     "un journal multilingue pour les résidents migrants"),
    ("a council of foreign residents advising the mayor",
     "un conseil des résidents étrangers qui conseille le maire"),
    ("school support centres for pupils of migrant background",
     "des centres de soutien scolaire pour les élèves issus de l'immigration"),
    ("a festival of neighbourhood cultures in public squares",
     "un festival des cultures de quartier sur les places publiques"),
    ("training for police officers on diversity and bias",
     "une formation des policiers à la diversité et aux préjugés"),
    ("mentoring for migrant entrepreneurs opening a business",
     "un parrainage des entrepreneurs migrants qui ouvrent une entreprise"),
    ("interfaith dialogue evenings in community centres",
     "des soirées de dialogue interreligieux dans les centres sociaux"),
    ("a public library lending books in thirty languages",
     "une bibliothèque publique qui prête des livres en trente langues"),
)  # fmt: skip
SIDEBAR = {
    "en": ("Topic", ("Anti-rumour", "Education", "Housing and urban planning", "Refugees",
                     "Multilingualism", "Neighbourhood"),
           "Countries", ("Canada", "France", "Norway", "Portugal", "Spain", "Sweden"),
           "Year", ("2018", "2019", "2020", "2021", "2022")),
    "fr": ("Thème", ("Anti-rumeurs", "Éducation", "Logement", "Réfugiés", "Multilinguisme",
                     "Quartier"),
           "Pays", ("Canada", "France", "Norvège", "Portugal", "Espagne", "Suède"),
           "Année", ("2018", "2019", "2020", "2021", "2022")),
}  # fmt: skip
INTRO = (
    "The Intercultural city aims at building its policies and identity on the explicit "
    "acknowledgement that diversity can be a resource for the development of the society."
)


@dataclass
class Practice:
    """One good practice, in English and possibly French; `revision` changes its text."""

    number: int
    city: str
    country: str
    year: int
    topic: int
    languages: tuple[str, ...]
    revision: int = 0
    touched: int = 0
    gone: bool = False

    @property
    def slug(self) -> str:
        return f"practice-{self.number}-{self.city.lower()}"

    @property
    def asset(self) -> str:
        return f"ap{self.number:04d}"

    def path(self, lang: str) -> str:
        return f"/{lang}{ROOT}/good-pratice/-/asset_publisher/{self.asset}/content/{self.slug}"


@dataclass
class Hit:
    """One request the site served: when it arrived and when its answer was sent."""

    server: str
    path: str
    query: str
    headers: dict[str, str]
    status: int
    started: float
    ended: float

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def conditional(self) -> bool:
        return "if-none-match" in self.headers or "if-modified-since" in self.headers


@dataclass
class SiteState:
    """What the site holds, how it misbehaves, and what it served."""

    practices: list[Practice]
    crawl_delay: float = 0.0
    robots_status: int = 200
    flaky_failures: int = 1
    flaky_status: int = 500
    retry_after: str | None = None
    slow_seconds: float = 3.0
    requests: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    flaky_served: int = 0
    docs_url: str = ""
    news_revision: int = 0


def make_site(practices: int, *, french_every: int = 3) -> SiteState:
    """A site with `practices` good practices; all but every `french_every`-th in French too."""
    made = [
        Practice(
            number=n,
            city=CITIES[n % len(CITIES)][0],
            country=CITIES[n % len(CITIES)][1],
            year=2016 + n % 7,
            topic=n % len(TOPICS),
            languages=("en",) if n % french_every == french_every - 1 else ("en", "fr"),
        )
        for n in range(practices)
    ]
    return SiteState(practices=made)


# -- pages ---------------------------------------------------------------------------------------


def _page(lang: str, title: str, path: str, body: str, extra_head: str = "") -> str:
    """The site's chrome around `body`: navigation, traps, a per-request token."""
    other = "fr" if lang == "en" else "en"
    switch = quote(path, safe="")
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><title>{html.escape(title)} - Intercultural Cities</title>
<script>Liferay.authToken = '{uuid.uuid4().hex}';</script>{extra_head}</head>
<body>
<header><nav><ul>
<li><a href="/{lang}{ROOT}">Intercultural Cities</a></li>
<li><a href="/{lang}{ROOT}/good-practice">Good practices</a></li>
<li><a href="/{lang}{ROOT}/results">Results</a></li>
<li><a href="/c/portal/update_language?p_l_id=10&amp;redirect={switch}&amp;languageId={other}_FR">{other}</a></li>
<li><a href="/c/portal/login?p_l_id=10&amp;redirect={switch}">Sign in</a></li>
</ul></nav></header>
<main>{body}
<ul class="tools">
<li><a href="{path}?p_p_state=pop_up&amp;p_p_mode=print">Print the page</a></li>
<li><a href="/{lang}{ROOT}/share?url={switch}">Share</a></li>
<li><a href="https://twitter.com/intent/tweet?url={switch}">Tweet</a></li>
</ul></main>
<footer><p>Social media</p><p>Follow us</p>
<p><a href="/{lang}{ROOT}?utm_source=footer&amp;utm_medium=web">Home</a></p></footer>
</body></html>"""  # noqa: E501


def _detail_text(p: Practice, lang: str) -> list[tuple[str, str]]:
    topic = TOPICS[p.topic][0 if lang == "en" else 1]
    volunteers = 40 + 7 * p.number + 3 * p.revision
    later = p.year + 2 + p.revision
    if lang == "en":
        return [
            (
                "Purpose",
                f"{p.city} set up {topic} to help residents of every origin meet, "
                f"understand one another and take part in the life of the city.",
            ),
            (
                "Stimulus",
                f"A survey of {p.year} showed that many newcomers in {p.city} felt "
                f"isolated and that rumours about migrants spread in {p.country}.",
            ),
            (
                "Process",
                f"The city council worked with {volunteers} volunteers and local "
                f"associations; sessions ran every week in libraries, schools and sports clubs.",
            ),
            (
                "Results",
                f"By {later} the programme reached {volunteers * 12} residents of "
                f"{p.city}, and an evaluation found fewer complaints and more mixed friendships.",
            ),
        ]
    return [
        ("Objectif", f"{p.city} a mis en place {topic} pour que les habitants de toutes "
         f"origines se rencontrent, se comprennent et participent à la vie de la ville."),
        ("Déclencheur", f"Une enquête de {p.year} a montré que beaucoup de nouveaux arrivants "
         f"à {p.city} se sentaient isolés et que des rumeurs sur les migrants circulaient."),
        ("Processus", f"La municipalité a travaillé avec {volunteers} bénévoles et des "
         f"associations locales ; des séances avaient lieu chaque semaine dans les "
         f"bibliothèques, les écoles et les clubs sportifs."),
        ("Résultats", f"En {later}, le programme avait touché {volunteers * 12} habitants de "
         f"{p.city}, et une évaluation a relevé moins de plaintes et plus d'amitiés mixtes."),
    ]  # fmt: skip


def detail_page(p: Practice, lang: str) -> str:
    """A good-practice page in the site's layout."""
    back = "Back" if lang == "en" else "Retour"
    title = f"{TOPICS[p.topic][0 if lang == 'en' else 1].capitalize()} in {p.city}"
    sections = "".join(
        f"<h4>{name}</h4><p>{html.escape(text)}</p>" for name, text in _detail_text(p, lang)
    )
    heads = [("Topic", "Thème"), ("Countries", "Pays"), ("Year", "Année")]
    side = SIDEBAR[lang]
    sidebar = "".join(
        f"<p>{side[2 * i]}</p><ul>"
        + "".join(
            f'<li><a href="/{lang}{ROOT}/good-practice?p_r_p_categoryId={100 + i * 10 + j}">'
            f"{html.escape(v)}</a></li>"
            for j, v in enumerate(side[2 * i + 1])
        )
        + "</ul>"
        for i, _ in enumerate(heads)
    )
    alternates = "".join(
        f'\n<link rel="alternate" hreflang="{other}" href="{p.path(other)}">'
        for other in p.languages
        if other != lang
    )
    body = f"""
<div class="intro"><p>{INTRO}</p><p>Template for collection of Good practices &gt;&gt;</p></div>
<p><a class="back" href="/{lang}{ROOT}/good-practice">{back}</a></p>
<h1>{html.escape(title)}</h1>
<p>{p.year}</p>
<p>{p.city} ({p.country})</p>
{sections}
<aside class="filters">{sidebar}</aside>"""
    return _page(lang, title, p.path(lang), body, alternates)


def list_page(state: SiteState, lang: str, start: int) -> str | None:
    """Page `start` (from 1) of the good-practice list, or None past the end."""
    items = [p for p in state.practices if lang in p.languages and not p.gone]
    pages = max(1, -(-len(items) // LIST_SIZE))
    if not 1 <= start <= pages:
        return None
    shown = items[(start - 1) * LIST_SIZE : start * LIST_SIZE]
    base = f"/{lang}{ROOT}/good-practice"
    links = "".join(
        f'<li><a href="{p.path(lang)}?inheritRedirect=false&amp;redirect={quote(base)}">'
        f"{html.escape(p.city)} {p.year}</a></li>"
        for p in shown
    )
    paging = "".join(
        f'<a href="{base}?delta={LIST_SIZE}&amp;start={n}">{n}</a> ' for n in range(1, pages + 1)
    )
    sorting = (
        f'<a href="{base}?delta={LIST_SIZE}&amp;start={start}&amp;orderByCol=title'
        f'&amp;orderByType=asc">A-Z</a> <a href="{base}?delta={LIST_SIZE}&amp;start={start}'
        f'&amp;orderByCol=modifiedDate&amp;orderByType=desc">Newest</a> '
        f'<a href="{base}?p_r_p_categoryId=101&amp;delta={LIST_SIZE}&amp;start={start}">'
        "Education only</a>"
    )
    title = "Good practices" if lang == "en" else "Bonnes pratiques"
    body = f"<h1>{title}</h1><ul>{links}</ul><p>{paging}</p><p>{sorting}</p>"
    return _page(lang, title, base, body)


def news_text(number: int, revision: int = 0) -> str:
    return (
        f"The Intercultural Cities network published the Index analysis of Ansan, its report "
        f"number {number}. The report scores the city's policies in education, public space "
        f"and participation, and recommends {3 + revision} new measures for the coming year."
    )


def news_page(state: SiteState, number: int) -> str:
    """A news item linking an Index report on the document host."""
    title = f"Index report {number} published"
    body = (
        f"<p>Back</p><h1>{title}</h1><p>30 July {2019 + number}</p>"
        f"<p>{news_text(number, state.news_revision if number == 0 else 0)}</p>"
        f'<p><a href="{state.docs_url}/report-{number:02d}">Read the report (PDF)</a></p>'
    )
    return _page("en", title, f"/en{ROOT}/-/news-{number}", body)


def home_page(state: SiteState, lang: str) -> str:
    """The programme's home: lists, results, news, and the odd pages."""
    links = [
        (f"/{lang}{ROOT}/good-practice?delta={LIST_SIZE}&start=1", "Good practices"),
        (f"/{lang}{ROOT}/results", "Results"),
        (f"/{lang}{PRIVATE}/internal-notes", "Internal notes"),
    ]
    if lang == "en":
        links += [
            (f"/en{ROOT}/-/news-0", "News"),
            (f"/en{ROOT}/-/news-1", "More news"),
            (f"/en{ROOT}/old-news", "Archived news"),
            (f"/en{ROOT}/-/flaky-news", "Flaky news"),
            (f"/en{ROOT}/-/slow-news", "Slow news"),
            (f"/{lang}{ROOT}/logo.png", "Logo"),
        ]
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return _page(lang, "Intercultural Cities", f"/{lang}{ROOT}", f"<h1>ICC</h1><ul>{items}</ul>")


def results_page(state: SiteState, lang: str) -> str:
    docs = state.docs_url
    items = (
        f'<li><a href="{docs}/report-00">Index report 0</a></li>'
        f'<li><a href="{docs}/report-01">Index report 1</a></li>'
        f'<li><a href="{docs}/huge-report">Complete annex</a></li>'
        f'<li><a href="{docs}/download?id=7">Spreadsheet of scores</a></li>'
    )
    return _page(lang, "Results", f"/{lang}{ROOT}/results", f"<h1>Results</h1><ul>{items}</ul>")


def article_page(title: str, text: str, path: str) -> str:
    return _page("en", title, path, f"<p>Back</p><h1>{title}</h1><p>2021</p><p>{text}</p>")


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Helvetica, ASCII)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 10 Tf 13 TL 40 800 Td " + " ".join(f"({escape(s)}) ' " for s in lines)
    content += " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects)


def report_pdf(number: int) -> bytes:
    city, country = CITIES[number % len(CITIES)]
    lines = [
        f"{city.upper()}: INTERCULTURAL CITY INDEX ANALYSIS {2019 + number}",
        "",
        "EDUCATION",
        f"{city} reached 72 points in education, above the city sample of 58 points.",
        f"Schools in {city} teach the languages of migrant families after class.",
        "",
        "PUBLIC SPACE",
        f"The city of {city} ({country}) designs squares and parks with residents of all",
        "origins, and funds festivals that bring neighbourhoods together every summer.",
    ]
    return make_pdf(lines)


# -- the server ----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    state: SiteState
    server_name_: str
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        started = time.monotonic()
        parts = urlsplit(self.path)
        route = self._site if self.server_name_ == "site" else self._docs
        try:
            status = route(parts.path.rstrip("/") or "/", parse_qs(parts.query))
        except (BrokenPipeError, ConnectionResetError):
            status = 499
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.state.lock:
            self.state.requests.append(
                Hit(
                    self.server_name_,
                    parts.path,
                    parts.query,
                    headers,
                    status,
                    started,
                    time.monotonic(),
                )
            )

    # routes return the status they sent

    def _site(self, path: str, query: dict[str, list[str]]) -> int:
        state = self.state
        if path == "/robots.txt" and state.robots_status != 200:
            return self._send(state.robots_status, b"unavailable", "text/plain")
        if path == "/robots.txt":
            robots = (
                f"User-agent: *\nDisallow: /en{PRIVATE}\nDisallow: /fr{PRIVATE}\n"
                f"Crawl-delay: {state.crawl_delay:g}\n"
            )
            return self._send(200, robots.encode(), "text/plain")
        for lang in ("en", "fr"):
            if path == f"/{lang}{ROOT}":
                return self._html(home_page(state, lang), f"home-{lang}")
            if path == f"/{lang}{ROOT}/good-practice":
                start = int(query.get("start", ["1"])[0])
                page = list_page(state, lang, start)
                return self._html(page, f"list-{lang}-{start}") if page else self._missing()
            if path == f"/{lang}{ROOT}/results":
                return self._html(results_page(state, lang), f"results-{lang}")
            for p in state.practices:
                if path == p.path(lang) and lang in p.languages and not p.gone:
                    version = f"{p.number}-{lang}-{p.revision}-{p.touched}"
                    return self._html(detail_page(p, lang), version, p.revision + p.touched)
        return self._english_pages(path)

    def _english_pages(self, path: str) -> int:
        state = self.state
        for number in (0, 1):
            if path == f"/en{ROOT}/-/news-{number}":
                revision = state.news_revision if number == 0 else 0
                return self._html(news_page(state, number), f"news-{number}-{revision}", revision)
        if path == f"/en{ROOT}/old-news":
            return self._redirect(301, f"/en{ROOT}/moved-news")
        if path == f"/en{ROOT}/moved-news":
            return self._redirect(302, f"/en{ROOT}/-/archived-news")
        if path == f"/en{ROOT}/-/archived-news":
            text = (
                "Archived news: Bergen opened a mediation service for neighbours in 2015. "
                "Trained mediators who speak twelve languages help residents settle disputes "
                "about noise, rubbish and shared courtyards before they reach the police."
            )
            return self._html(article_page("Mediation in Bergen", text, path), "archived")
        if path == f"/en{ROOT}/-/flaky-news":
            with state.lock:
                state.flaky_served += 1
                failing = state.flaky_served <= state.flaky_failures
            if failing:
                status = state.flaky_status
                return self._send(status, b"Try again later", "text/plain", retry=state.retry_after)
            text = (
                "Flaky news: Oslo trains librarians to welcome newcomers in twelve languages. "
                "Each library branch runs a weekly reading circle where parents and children "
                "read picture books in their home language and in Norwegian."
            )
            return self._html(article_page("Librarians in Oslo", text, path), "flaky")
        if path == f"/en{ROOT}/-/slow-news":
            time.sleep(state.slow_seconds)
            text = (
                "Slow news: Lisbon opens a migrant support office in every district. The offices "
                "help with residence papers, school enrolment and job search, in Portuguese, "
                "English, Hindi and Mandarin, five days a week."
            )
            return self._html(article_page("Support offices in Lisbon", text, path), "slow")
        if PRIVATE in path:
            return self._html(article_page("Private", "Internal notes.", path), "private")
        return self._missing()

    def _docs(self, path: str, query: dict[str, list[str]]) -> int:
        if path.startswith("/report-"):
            number = int(path.removeprefix("/report-"))
            return self._pdf(report_pdf(number))
        if path == "/huge-report":
            filler = b"%PDF-1.4\n" + b"0" * 5000
            return self._send(200, filler, "application/pdf", declared=50_000_000)
        if path == "/download":
            return self._send(200, b"a,b\n1,2\n", "application/vnd.ms-excel")
        return self._missing()

    # -- responses -------------------------------------------------------------------------------

    def _html(self, page: str, version: str, age: int = 0) -> int:
        """A page with validators derived from its version (not from the per-request token)."""
        etag = '"' + hashlib.sha1(version.encode()).hexdigest()[:16] + '"'
        modified = formatdate(BASE_TIME + 86_400 * age, usegmt=True)
        if self._not_modified(etag, modified):
            return self._send(304, b"", None, etag=etag, modified=modified)
        data = page.encode()
        return self._send(200, data, "text/html; charset=utf-8", etag=etag, modified=modified)

    def _pdf(self, data: bytes) -> int:
        modified = formatdate(BASE_TIME, usegmt=True)
        if self._not_modified(None, modified):
            return self._send(304, b"", None, modified=modified)
        return self._send(200, data, "application/pdf", modified=modified)

    def _not_modified(self, etag: str | None, modified: str) -> bool:
        sent_etag = self.headers.get("If-None-Match")
        if sent_etag is not None:
            return etag is not None and sent_etag == etag
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    def _redirect(self, status: int, location: str) -> int:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return status

    def _missing(self) -> int:
        return self._send(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")

    def _send(
        self,
        status: int,
        payload: bytes,
        content_type: str | None,
        *,
        etag: str | None = None,
        modified: str | None = None,
        declared: int | None = None,
        retry: str | None = None,
    ) -> int:
        self.send_response(status)
        if retry is not None:
            self.send_header("Retry-After", retry)
        if content_type:
            self.send_header("Content-Type", content_type)
        if etag:
            self.send_header("ETag", etag)
        if modified:
            self.send_header("Last-Modified", modified)
        self.send_header("Content-Length", str(declared or len(payload)))
        if declared:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)
        return status


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client closing its connection early (a timeout, a refused download) is normal."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeSite:
    """The site and its document host, each a ThreadingHTTPServer on a free loopback port."""

    def __init__(self, state: SiteState, host: str = "127.0.0.1") -> None:
        self.state = state
        self._servers = []
        for name in ("site", "docs"):
            handler = type("Handler", (_Handler,), {"state": state, "server_name_": name})
            self._servers.append(_Server((host, 0), handler))
        self.state.docs_url = self.docs_url
        self._threads = [
            threading.Thread(target=s.serve_forever, daemon=True) for s in self._servers
        ]

    def _url(self, index: int) -> str:
        host, port = self._servers[index].server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """Base URL of the site (no trailing slash)."""
        return self._url(0)

    @property
    def docs_url(self) -> str:
        """Base URL of the document host."""
        return self._url(1)

    def start(self) -> FakeSite:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    # -- what tests use --------------------------------------------------------------------------

    def home(self, lang: str = "en") -> str:
        return f"{self.url}/{lang}{ROOT}"

    def allow(self) -> list[str]:
        """The prefixes a sync of this site should stay within."""
        return [f"{self.url}/en{ROOT}", f"{self.url}/fr{ROOT}", f"{self.docs_url}/"]

    def practice_url(self, number: int, lang: str = "en") -> str:
        return self.url + self.state.practices[number].path(lang)

    def change(self, number: int) -> None:
        """Edit a practice's text (its pages get new validators)."""
        self.state.practices[number].revision += 1

    def touch(self, number: int) -> None:
        """New validators for a practice's pages, same text."""
        self.state.practices[number].touched += 1

    def remove(self, number: int) -> None:
        """Take a practice down: its pages answer 404 and the lists drop it."""
        self.state.practices[number].gone = True

    def clear(self) -> None:
        """Forget the recorded requests."""
        with self.state.lock:
            self.state.requests.clear()

    def requests(self) -> list[Hit]:
        with self.state.lock:
            return list(self.state.requests)

    def trap_requests(self) -> list[Hit]:
        """Requests no polite crawler of this site should have sent."""
        markers = ("orderbycol", "orderbytype", "p_r_p_", "p_p_state", "languageid", "utm_",
                   "redirect=")  # fmt: skip
        return [
            h
            for h in self.requests()
            if h.path.startswith("/c/portal/")
            or h.path.rstrip("/").rsplit("/", 1)[-1] in ("share", "login", "print", "logo.png")
            or any(m in h.query.lower() for m in markers)
        ]

    def robots_violations(self) -> list[Hit]:
        return [h for h in self.requests() if h.server == "site" and PRIVATE in h.path]


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake ICC website")
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--crawl-delay", type=float, default=0.0)
    args = parser.parse_args()
    state = make_site(args.practices)
    state.crawl_delay = args.crawl_delay
    site = FakeSite(state).start()
    print(site.url, site.docs_url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
