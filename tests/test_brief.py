"""Briefing notes seen from outside: POST /api/brief on a real server over the shipped corpus
plus the multilingual evaluation corpus, the DOCX read back with python-docx, Markdown and HTML
compared with the note's structure, the fake model's summary, keys and formats, and the CLI."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser

from fakes.fake_openai import FakeOpenAIServer
from fixtures.live_server import NOT_THE_INDEX, ServerThread
from icc_assistant.ingest import collect_paths
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
# Pages about other cities, in other languages, shipped with the tests (a clone has no
# ../shared/eval): enough for a note with several cities' practices.
PAGES = ROOT / "tests" / "data" / "multilingual"
SCRIPT = Path(sys.executable).parent / "icc-assistant"
QUESTION = "Comment les villes mènent-elles des campagnes anti-rumeurs ?"
CLIENT, ADMIN = "cli-4e7a91d2c0b3", "adm-9c1f5b7e2a64"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FRENCH_HEADINGS = (
    "Note d'information",
    "Pratiques par ville",
    "Recommandations de l'ICC applicables",
    "Sources",
    "État de la documentation",
)


@pytest.fixture
def serve_brief(multilingual_settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """Start the app on the session's index of corpus/ plus the multilingual pages of
    tests/data, each server on its own copy (without the feedback and gaps that other tests
    recorded in the shared one)."""
    servers: list[ServerThread] = []

    def start(**overrides: object) -> str:
        data_dir = tmp_path / f"data{len(servers)}"
        shutil.copytree(multilingual_settings.data_dir, data_dir, ignore=NOT_THE_INDEX)
        settings = multilingual_settings.model_copy(update={"data_dir": data_dir, **overrides})
        servers.append(ServerThread(settings).start())
        return servers[-1].url

    yield start
    for server in servers:
        server.stop()


def post_brief(url: str, key: str | None = None, **body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{url}/api/brief", json=body, headers=headers, timeout=180)


def quotes_of(brief: dict[str, Any]) -> set[str]:
    """Every quoted sentence of the note's structure."""
    documents = [d for city in brief["practices"] for d in city["documents"]]
    documents += brief["recommendations"]
    return {q["text"] for d in documents for q in d["quotes"]}


def urls_of(brief: dict[str, Any]) -> set[str]:
    return {s["url"] for s in brief["sources"] if s["url"]}


QUOTED = re.compile(r"“(.*)”")


def docx_content(data: bytes) -> tuple[list[str], set[str], dict[str, str]]:
    """Headings, quoted sentences and hyperlinks (url -> text) of a DOCX."""
    document = Document(io.BytesIO(data))
    headings = [
        p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    quotes = {
        m.group(1)
        for p in document.paragraphs
        if p.style.name == "Quote" and (m := QUOTED.search(p.text))
    }
    targets = {
        rel_id: rel.target_ref
        for rel_id, rel in document.part.rels.items()
        if rel.reltype == RELATIONSHIP_TYPE.HYPERLINK and rel.is_external
    }
    links = {}
    for hyperlink in document.element.body.iter(qn("w:hyperlink")):
        text = "".join(t.text or "" for t in hyperlink.iter(qn("w:t")))
        links[targets[hyperlink.get(qn("r:id"))]] = text
    return headings, quotes, links


def markdown_content(text: str) -> tuple[set[str], set[str]]:
    """Quoted sentences and link targets of the Markdown note."""
    plain = re.sub(r"\\(.)", r"\1", text)
    quotes = {
        m.group(1)
        for line in plain.splitlines()
        if line.startswith("> ") and (m := QUOTED.search(line))
    }
    return quotes, set(re.findall(r"\]\(<(https?://[^>]+)>\)", text))


def html_content(text: str) -> tuple[set[str], set[str]]:
    tree = LexborHTMLParser(text)
    quotes = {m.group(1) for node in tree.css("blockquote") if (m := QUOTED.search(node.text()))}
    return quotes, {node.attributes["href"] or "" for node in tree.css("a")}


def test_a_french_brief_opens_as_docx_and_every_format_carries_the_same_content(
    serve_brief: Any,
) -> None:
    """The DOCX has French headings and every source with a link as a real hyperlink; the
    Markdown and HTML notes quote the same sentences and link the same sources."""
    url = serve_brief()
    response = post_brief(url, question=QUESTION, format="json")
    assert response.status_code == 200, response.text
    brief = response.json()
    assert brief["language"] == "fr" and brief["summary_by"] == "evidence"
    assert (
        brief["practices"]
        and brief["recommendations"]
        and brief["material"]["documents"] == len(collect_paths([CORPUS, PAGES])[0])
    )
    numbers = {s["number"] for s in brief["sources"]}
    assert {int(n) for n in re.findall(r"\[(\d+)\]", brief["summary"])} <= numbers
    cited = {q["citation"] for d in brief["recommendations"] for q in d["quotes"]}
    assert cited <= numbers

    docx = post_brief(url, question=QUESTION, format="docx")
    assert docx.status_code == 200 and docx.headers["content-type"] == DOCX_TYPE
    assert re.fullmatch(
        r'attachment; filename="icc-brief-\d{4}-\d{2}-\d{2}\.docx"',
        docx.headers["content-disposition"],
    )
    headings, docx_quotes, links = docx_content(docx.content)
    for heading in FRENCH_HEADINGS:
        assert heading in headings, headings
    assert urls_of(brief) and urls_of(brief) <= set(links)
    for source in brief["sources"]:
        if source["url"]:
            assert links[source["url"]] == source["url"]
    assert docx_quotes == quotes_of(brief)

    md = post_brief(url, question=QUESTION, format="md")
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.headers["content-disposition"].endswith('.md"')
    md_quotes, md_links = markdown_content(md.text)
    html = post_brief(url, question=QUESTION, format="html")
    assert html.headers["content-type"].startswith("text/html")
    html_quotes, html_links = html_content(html.text)
    assert md_quotes == html_quotes == docx_quotes
    assert urls_of(brief) <= md_links and md_links == html_links == set(links)
    assert "<script" not in html.text and "http" not in html.text.split("<body>")[0]


def test_with_a_model_the_summary_is_the_models_with_citations_checked_as_in_chat(
    serve_brief: Any, fake_llm: FakeOpenAIServer
) -> None:
    """The fake model cites a passage [99] that it was not given: the note drops it, as chat
    does, and keeps the rest of the model's text and its real citations."""
    fake_llm.state.reset("unknown_cite")
    url = serve_brief(llm_base_url=fake_llm.url, llm_model="fake-model", llm_max_retries=0)
    chat = httpx.post(f"{url}/api/chat", json={"question": QUESTION}, timeout=120).json()
    brief = post_brief(url, question=QUESTION, format="json").json()
    assert brief["summary_by"] == "model" and brief["model"] == "fake-model"
    assert brief["summary"] == chat["text"]
    assert (
        "Answer in French" in brief["summary"] and "And a claim about nothing" in brief["summary"]
    )
    assert "[99]" not in brief["summary"]
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", brief["summary"])}
    assert cited and cited <= {s["number"] for s in brief["sources"]}
    assert {c["number"] for c in chat["citations"]} <= {s["number"] for s in brief["sources"]}
    md = post_brief(url, question=QUESTION, format="md").text
    assert "## Résumé" in md and "Answer in French" in md


def test_formats_and_keys(serve_brief: Any) -> None:
    """An unknown format is a 422 naming the field; a client key may ask; no key is a 401."""
    url = serve_brief(api_keys=[CLIENT], admin_keys=[ADMIN], rate_limit_per_minute=1000)
    refused = post_brief(url, question=QUESTION, format="md")
    assert refused.status_code == 401 and refused.json()["error"]["type"]
    bad = post_brief(url, CLIENT, question=QUESTION, format="pdf")
    assert bad.status_code == 422
    assert "format" in bad.json()["error"]["message"] and "docx" in bad.json()["error"]["message"]
    ok = post_brief(url, CLIENT, question="How do cities fight rumours?", format="html")
    assert ok.status_code == 200 and "<h2>ICC recommendations that apply</h2>" in ok.text
    empty = post_brief(url, CLIENT, question="  ", format="md")
    assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ICC_LLM_BASE_URL": "", "ICC_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_the_brief_command_writes_docx_to_a_file_and_refuses_it_on_stdout(
    multilingual_settings: Settings, tmp_path: Path
) -> None:
    """--format docx --out writes a readable DOCX; without --out, or with an unknown format, it
    fails with a message and a non-zero exit."""
    out = tmp_path / "note.docx"
    data_dir = multilingual_settings.data_dir
    written = run("brief", QUESTION, "--format", "docx", "--out", str(out), data_dir=data_dir)
    assert written.returncode == 0, written.stderr
    headings, quotes, _ = docx_content(out.read_bytes())
    assert "Pratiques par ville" in headings and quotes
    to_stdout = run("brief", QUESTION, "--format", "docx", data_dir=data_dir)
    assert to_stdout.returncode != 0 and "--out" in to_stdout.stderr
    unknown = run("brief", QUESTION, "--format", "pdf", data_dir=data_dir)
    assert unknown.returncode != 0 and "pdf" in unknown.stderr
    md = run(
        "brief",
        QUESTION,
        "--lang",
        "de",
        "--type",
        "good_practice",
        data_dir=data_dir,
    )
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Informationsvermerk") and "## Quellen" in md.stdout


def test_a_note_lists_several_cities_practices_and_quotes_each_sentence_once(
    multilingual_settings: Settings,
) -> None:
    """An enquiry about welcoming newcomers gets the practices of the cities whose pages
    describe one (not several sentences of one city only), each city at most twice, and no
    sentence appears twice in the note: not in the key evidence and again under a city or a
    recommendation."""
    from icc_assistant.answer import AnswerRequest
    from icc_assistant.assistant import Assistant
    from icc_assistant.brief import build_brief
    from icc_assistant.brief.build import PRACTICES_PER_CITY

    brief = build_brief(
        Assistant.open(multilingual_settings),
        AnswerRequest(question="How do cities welcome newcomers and help them learn the language?"),
    )
    cities = [group.city for group in brief.practices]
    assert len(cities) >= 2 and len(set(cities)) == len(cities)
    for group in brief.practices:
        assert sum(len(d.quotes) for d in group.documents) <= PRACTICES_PER_CITY
    quoted = re.findall(r"“(.+?)”", brief.summary) + [
        quote.text
        for document in (
            *(d for group in brief.practices for d in group.documents),
            *brief.recommendations,
        )
        for quote in document.quotes
    ]
    assert quoted and len(quoted) == len(set(quoted))


# -- issue 30: hostile text in an enquiry or a cited document -----------------------------------

ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}
EVIL = "https://evil.example"
HOSTILE_PAGE = (
    f"# Bilbao\x0b anti-rumour \ufffe agents\x01 ![pixel]({EVIL}/p.png) [click]({EVIL}/x)\n\n"
    "Bilbao trains anti-rumour agents\x07 who answer prejudice about migrants in bars, schools"
    " and sports clubs. The city has trained two hundred agents since 2014.\n"
)
HOSTILE_ENQUIRY = (
    f"How does Bilbao train anti-rumour agents?\x07\ufffe ![x]({EVIL}/q.png) [y]({EVIL})"
)


@pytest.fixture
def hostile_url(serve: Any) -> str:
    """A server whose index also holds a page titled with control characters and Markdown."""
    url: str = serve(own_index=True, admin_keys=[ADMIN], rate_limit_per_minute=1000)
    upload = httpx.post(
        f"{url}/api/documents",
        files={"file": ("bilbao.md", HOSTILE_PAGE.encode(), "text/markdown")},
        headers=ADMIN_HEADERS,
        timeout=120,
    )
    assert upload.status_code == 200 and upload.json()["status"] == "added", upload.text
    return url


def test_control_characters_do_not_break_a_word_note(hostile_url: str) -> None:
    """Control characters and U+FFFE in the enquiry and in a cited title (XML cannot hold
    them) are left out of the DOCX, which is written and opens, citing the page."""
    response = post_brief(hostile_url, question=HOSTILE_ENQUIRY, format="docx")
    assert response.status_code == 200, response.text
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "Bilbao anti-rumour  agents" in text


def test_markdown_notes_make_no_link_or_image_of_an_enquiry_or_a_title(hostile_url: str) -> None:
    """`[`, `]`, `(`, `)` and `!` in the enquiry and in titles are escaped: rendered as
    CommonMark, the note links to and loads nothing from the attacker's host."""
    response = post_brief(hostile_url, question=HOSTILE_ENQUIRY, format="md")
    assert response.status_code == 200, response.text
    assert "Bilbao" in response.text and "evil.example" in response.text
    html = MarkdownIt("commonmark").render(response.text)
    assert "<img" not in html and EVIL not in "".join(re.findall(r'href="([^"]*)"', html))


SCORES_ENQUIRY = "Quels sont les résultats d'Ansan à l'Indice des cités interculturelles ?"
FRENCH_SCORES = "Résultats de l'Indice des cités interculturelles"


def test_an_enquiry_naming_a_member_city_carries_its_index_results_in_every_format(
    serve_brief: Any,
) -> None:
    """An enquiry naming Ansan gets a section of Ansan's Index results, in French: a table of
    indicator, value, sample, year and the number of the report it cites, in Markdown, HTML
    and Word alike, and as data in JSON; an enquiry naming no city has no such section."""
    url = serve_brief(rate_limit_per_minute=1000)
    data = post_brief(url, question=SCORES_ENQUIRY, format="json").json()
    [ansan] = data["scores"]
    assert ansan["city"] == "Ansan" and len(ansan["rows"]) == len(ansan["citations"]) > 5
    report = {s["number"]: s["doc_id"] for s in data["sources"]}[ansan["citations"][0]]
    assert report == "ansan-icc-index-analysis-2020.md"
    number = f"[{ansan['citations'][0]}]"
    header = ["Indicateur", "Valeur", "Échantillon", "Année", "Source"]
    education = ["95", "68", "2020", number]

    text = post_brief(url, question=SCORES_ENQUIRY, format="md").text
    plain = re.sub(r"\\(.)", r"\1", text)
    assert f"## {FRENCH_SCORES}" in plain
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in plain.splitlines()
            if line.startswith("| ")]  # fmt: skip
    assert header in rows and any(r[1:] == education for r in rows), rows
    summary = plain.split("## ")[1]  # the table is the section's, not the summary's
    assert not any(line.startswith("|") for line in summary.splitlines())

    page = LexborHTMLParser(post_brief(url, question=SCORES_ENQUIRY, format="html").text)
    [table] = page.css("table")
    assert [th.text() for th in table.css("thead th[scope=col]")] == header
    assert FRENCH_SCORES in table.css_first("caption").text()
    cells = [[td.text() for td in tr.css("td")] for tr in table.css("tbody tr")]
    assert any(r[1:] == education for r in cells), cells

    document = Document(io.BytesIO(post_brief(url, question=SCORES_ENQUIRY, format="docx").content))
    [word] = document.tables
    grid = [[cell.text for cell in row.cells] for row in word.rows]
    assert grid[0] == header and any(r[1:] == education for r in grid[1:]), grid
    assert FRENCH_SCORES in [p.text for p in document.paragraphs if p.style.name == "Heading 1"]

    none = post_brief(url, question=QUESTION, format="json").json()
    assert none["scores"] == []
    assert FRENCH_SCORES not in post_brief(url, question=QUESTION, format="md").text
