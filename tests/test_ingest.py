"""Ingest through its public interface: the shipped seeds and hostile or unusual files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from fakes import hostile_files
from icc_assistant import gazetteer
from icc_assistant.documents import ParsedDocument
from icc_assistant.errors import (
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    UnreadableDocumentError,
    UnsupportedDocumentError,
)
from icc_assistant.ingest import collect_paths, load_document

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"
REPORT = "ansan-icc-index-analysis-2020.md"
MEDIA = "ansan-media-and-social-media-intercultural-literacy.txt"

CHROME = (
    "Diminuer la taille",
    "Augmenter la taille",
    "Imprimer",
    "Reset Filter",
    "Social media",
    "Template for collection",
)
BACK_LABELS = ("Επιστροφή", "Geri ", "Atrás", "Retour")
SIDEBAR = re.compile(
    r"Roma\s+Security, Justice and Safety|Australia\s+Austria\s+Belgium|2015\s+2016\s+2017"
)


@pytest.fixture(scope="module")
def seeds() -> dict[str, ParsedDocument]:
    files, errors = collect_paths([CORPUS])
    assert errors == []
    return {doc_id: load_document(path, doc_id=doc_id) for path, doc_id in files}


def test_corpus_notes_are_not_ingested(seeds: dict[str, ParsedDocument]) -> None:
    """The provenance note and the sidecars are skipped; the five seeds are collected, each
    with the public address its sidecar gives."""
    documents = [
        p.name for p in CORPUS.iterdir() if not p.name.endswith((".md.meta.json", ".txt.meta.json"))
    ]
    assert sorted(seeds) == sorted(name for name in documents if name.startswith("ansan"))
    assert all(
        doc.meta.url and doc.meta.url.startswith("https://www.coe.int/") for doc in seeds.values()
    )


def test_no_chunk_holds_chrome_sidebar_or_back_labels(seeds: dict[str, ParsedDocument]) -> None:
    """Cleaning removed site chrome, the filter sidebar and back labels from every chunk."""
    for doc in seeds.values():
        for chunk in doc.chunks:
            assert not any(c in chunk.text for c in CHROME), chunk.text[:200]
            assert not any(chunk.text.startswith(b) for b in BACK_LABELS)
            assert not SIDEBAR.search(chunk.text), chunk.chunk_id


def test_programme_introduction_is_not_part_of_practices(seeds: dict[str, ParsedDocument]) -> None:
    """The introduction repeated on every good-practice page is in none of their chunks."""
    for doc in seeds.values():
        if doc.meta.doc_type == "good_practice":
            assert all("aims at building its policies" not in c.text for c in doc.chunks)


@pytest.mark.parametrize(
    ("doc_id", "doc_type", "title"),
    [
        ("ansan-2020-new-good-practices-news.txt", "news", "New good practices from Ansan"),
        (MEDIA, "good_practice", "Media and social media intercultural literacy"),
        ("ansan-education-support-centres.txt", "good_practice", "Education support centers"),
        ("ansan-democratic-citizenship.txt", "good_practice", "Democratic citizenship in Ansan"),
        (REPORT, "index_report", "ANSAN CITY ICC INDEX ANALYSIS 2020"),
    ],
)
def test_seed_metadata(
    seeds: dict[str, ParsedDocument], doc_id: str, doc_type: str, title: str
) -> None:
    """Each seed is about Ansan, South Korea, 2020, with its type and a clean title."""
    meta = seeds[doc_id].meta
    assert (meta.city, meta.country, meta.year) == ("Ansan", "South Korea", 2020)
    assert meta.doc_type == doc_type
    assert meta.title.startswith(title)
    assert meta.language == "en"
    assert len(meta.content_hash) == 64


def _figures_of(doc: ParsedDocument, indicator: str) -> list[tuple[float, float | None]]:
    return [(f.value, f.sample_value) for f in doc.figures if f.indicator == indicator]


def test_report_sections_keep_their_path_and_scores(seeds: dict[str, ParsedDocument]) -> None:
    """Education chunks carry the nested section path, and the 95 / 68 scores are read (as
    candidates: their meaning is weighed at indexing) from the sentence stating them."""
    education = [c for c in seeds[REPORT].chunks if c.section.endswith("> EDUCATION")]
    assert education
    assert all(c.section == "THE CITY THROUGH AN INTERCULTURAL LENS > EDUCATION" for c in education)
    assert (95, 68) in _figures_of(seeds[REPORT], "education")
    figure = next(f for f in seeds[REPORT].figures if f.sample_value == 68 and f.value == 95)
    assert "95" in figure.quote and "68" in figure.quote


def test_a_chapter_heading_set_in_bold_opens_its_section(
    seeds: dict[str, ParsedDocument],
) -> None:
    """The seed report sets INTERNATIONAL OUTLOOK in bold, not as a heading: its text and its
    score 92 belong to that chapter, not to the LANGUAGE chapter before it."""
    outlook = [c for c in seeds[REPORT].chunks if c.section.startswith("INTERNATIONAL OUTLOOK")]
    assert any("international outlook is 92" in c.text for c in outlook)
    assert (92, 68) in _figures_of(seeds[REPORT], "international_outlook")
    assert (92, 68) not in _figures_of(seeds[REPORT], "language")
    language = [c for c in seeds[REPORT].chunks if c.section.startswith("LANGUAGE")]
    assert language and not any("outlook" in c.text.lower() for c in language)


@pytest.mark.parametrize("toc", [True, False])
def test_bold_lines_are_headings_only_when_they_look_like_one(tmp_path: Path, toc: bool) -> None:
    """A bold line on its own is a heading when the table of contents lists it (or, without
    one, when it is short upper-case text); bold words in a paragraph are not."""
    contents = "INTRODUCTION.....3\nMETHODOLOGY.....4\nMEDIA AND COMMUNICATION.....5\n\n"
    contents = contents if toc else ""
    report = tmp_path / "bergen-icc-index-analysis.md"
    report.write_text(
        "# BERGEN ICC INDEX ANALYSIS 2019\n\n" + contents + "## INTRODUCTION\n\n"
        "Bergen joined the network in 2019.\n\n**Note well**\n\nThe data come from 2018.\n\n"
        "## METHODOLOGY\n\nA questionnaire of 86 questions.\n\n"
        "**MEDIA AND COMMUNICATION**\n\nBergen's score in the field of media and "
        "communication is 70.\n\n## OVERALL CONCLUSIONS\n\nBergen does well.\n",
        encoding="utf-8",
    )
    chunks = load_document(report).chunks
    media = [c for c in chunks if c.section == "MEDIA AND COMMUNICATION"]
    assert media and "score" in media[0].text
    doc = load_document(report)
    assert [(f.indicator, f.value) for f in doc.figures] == [("media_communication", 70)]
    assert any(c.section == "INTRODUCTION" and "2018" in c.text for c in chunks)


def test_recommendations_carry_the_other_cities(seeds: dict[str, ParsedDocument]) -> None:
    """Auckland's RIMU sits in a recommendation chunk that names Auckland, not Ansan."""
    rimu = [c for c in seeds[REPORT].chunks if "RIMU" in c.text]
    assert rimu and all(c.is_recommendation for c in rimu)
    assert all("Auckland" in c.mentioned_cities and "Ansan" not in c.mentioned_cities for c in rimu)
    assert seeds[REPORT].chunks[0].is_recommendation is False


def test_report_junk_is_gone(seeds: dict[str, ParsedDocument]) -> None:
    """No dot-leader table of contents, link placeholders or HTML tags survive."""
    for chunk in seeds[REPORT].chunks:
        assert "....." not in chunk.text
        assert "](#)" not in chunk.text
        assert not re.search(r"</?(p|b|a)\b", chunk.text)


def test_chunks_fit_the_embedder(seeds: dict[str, ParsedDocument]) -> None:
    """Every chunk stays well under e5's 512 tokens (~1,300 characters at most)."""
    assert all(0 < len(c.text) <= 1300 for doc in seeds.values() for c in doc.chunks)


def test_chunk_ids_are_version_specific(seeds: dict[str, ParsedDocument]) -> None:
    """Chunk ids name the document and its content hash, so versions never collide."""
    doc = seeds[MEDIA]
    assert doc.chunks[0].chunk_id == f"{MEDIA}#{doc.meta.content_hash[:12]}:0"


def test_html_page_is_cleaned_like_scraped_text() -> None:
    """An HTML page loses scripts, navigation, chrome and sidebar, and keeps its content."""
    doc = load_document(DATA / "good-practice-page.html")
    assert doc.meta.title == "Anti-rumour agents in Barcelona"
    assert (doc.meta.city, doc.meta.country, doc.meta.year) == ("Barcelona", "Spain", 2016)
    assert doc.meta.doc_type == "good_practice"
    text = " ".join(c.text for c in doc.chunks)
    assert "1,000 members" in text
    for junk in ("tracking", "Accueil", "Imprimer", "Follow us", "aims at building", "Portugal"):
        assert junk not in text


def make_text_pdf(path: Path, lines: list[str]) -> Path:
    """Write a minimal valid one-page PDF whose text layer holds `lines`."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    path.write_bytes(hostile_files.pdf("\n".join(ops).encode("latin-1"), compress=False))
    return path


def test_pdf_report_text_layer_is_read_with_headings(tmp_path: Path) -> None:
    """A PDF's text becomes sections from its upper-case heading lines."""
    pdf = make_text_pdf(
        tmp_path / "bergen-index.pdf",
        [
            "BERGEN ICC INDEX ANALYSIS 2019",
            "",
            "MEDIATION AND CONFLICT RESOLUTION",
            "Bergen runs a municipal mediation service for neighbourhood disputes.",
            "The service works in twelve languages with trained mediators.",
        ],
    )
    doc = load_document(pdf)
    assert doc.meta.city == "Bergen"
    assert any(
        c.section == "MEDIATION AND CONFLICT RESOLUTION" and "twelve languages" in c.text
        for c in doc.chunks
    )


def test_sidecar_overrides_metadata(tmp_path: Path) -> None:
    """`<file>.meta.json` supplies the URL and overrides the inferred year."""
    page = tmp_path / "page.txt"
    page.write_text((CORPUS / MEDIA).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "page.txt.meta.json").write_text(
        json.dumps({"url": "https://example.org/practice", "year": 2021}), encoding="utf-8"
    )
    meta = load_document(page).meta
    assert (meta.url, meta.year, meta.city) == ("https://example.org/practice", 2021, "Ansan")


def test_front_matter_overrides_metadata(tmp_path: Path) -> None:
    """YAML-style front matter sets fields and is not part of the text."""
    page = tmp_path / "note.md"
    page.write_text(
        "---\ncity: Bilbao\ndoc_type: other\n---\nA short note about anti-rumour "
        "work with neighbourhood associations and schools.\n",
        encoding="utf-8",
    )
    doc = load_document(page)
    assert (doc.meta.city, doc.meta.country, doc.meta.doc_type) == ("Bilbao", "Spain", "other")
    assert "city:" not in doc.chunks[0].text


def test_sidecar_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    """A typo in a sidecar is an error naming the field, not silently ignored."""
    page = tmp_path / "page.txt"
    page.write_text("Some practice text about schools and languages in a city.", encoding="utf-8")
    (tmp_path / "page.meta.json").write_text('{"yaer": 2020}', encoding="utf-8")
    with pytest.raises(UnreadableDocumentError, match="yaer"):
        load_document(page)


def encrypted_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def blank_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


@pytest.mark.parametrize(
    ("name", "content", "error", "words"),
    [
        ("missing.txt", None, UnreadableDocumentError, "does not exist"),
        ("slides.pptx", b"PK\x03\x04", UnsupportedDocumentError, "unsupported"),
        ("empty.txt", b"", EmptyDocumentError, "empty"),
        ("junk.txt", bytes(range(256)) * 4, UnreadableDocumentError, "binary"),
        ("latin1.txt", "Café à Genève".encode("latin-1") * 5, UnreadableDocumentError, "UTF-8"),
        ("only-chrome.txt", b"Imprimer la page\nReset Filter\n", EmptyDocumentError, "no readable"),
        ("broken.pdf", b"%PDF-1.4 garbage", UnreadableDocumentError, "PDF"),
    ],
)
def test_bad_input_gets_a_clear_error(
    tmp_path: Path, name: str, content: bytes | None, error: type[DocumentError], words: str
) -> None:
    """Each kind of bad file raises its own error, naming the file and the problem."""
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=words) as caught:
        load_document(path)
    assert name in str(caught.value)


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    """An encrypted PDF says so."""
    with pytest.raises(UnreadableDocumentError, match="encrypted"):
        load_document(encrypted_pdf(tmp_path / "locked.pdf"))


def test_pdf_without_text_layer_asks_for_ocr(tmp_path: Path) -> None:
    """A scanned (text-less) PDF tells the user to run OCR."""
    with pytest.raises(UnreadableDocumentError, match="OCR"):
        load_document(blank_pdf(tmp_path / "scan.pdf"))


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    """A file over the size limit names the limit's variable."""
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(DocumentTooLargeError, match="ICC_MAX_FILE_BYTES"):
        load_document(path, max_bytes=1000)


def test_collect_paths_reports_missing_and_unsupported(tmp_path: Path) -> None:
    """Unusable paths become errors beside the usable files, never exceptions."""
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    (tmp_path / "b.docx").write_bytes(b"x")
    files, errors = collect_paths([tmp_path, tmp_path / "gone.md"])
    assert [doc_id for _, doc_id in files] == ["a.txt"]
    assert sorted(type(e).__name__ for e in errors) == ["DocumentError", "UnsupportedDocumentError"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.text(alphabet=st.characters(), max_size=3000).map(
            lambda t: t.encode("utf-8", "surrogatepass")
        ),
        st.text(alphabet="\u200b\u200f\u202e\u061c abc\n<>#|", max_size=5000).map(str.encode),
        st.integers(1, 200_000).map(lambda n: b"A" * n),
        st.integers(1, 400).map(lambda n: ("<div>" * n + "deep" + "</div>" * n).encode()),
    )
)
def test_random_input_never_crashes(tmp_path: Path, data: bytes) -> None:
    """Random bytes, giant lines, deep HTML, zero-width and RTL marks: an error or clean chunks."""
    for suffix in (".txt", ".html", ".md", ".pdf"):
        path = tmp_path / f"sample{suffix}"
        path.write_bytes(data)
        try:
            doc = load_document(path)
        except DocumentError:
            continue
        assert all(c.text.strip() for c in doc.chunks)


PDF_LINES = ["BERGEN ICC INDEX ANALYSIS 2019", "", "MEDIATION", "Bergen mediates disputes."] * 8


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.floats(0.0, 1.0), flip=st.integers(0, 255), where=st.floats(0.0, 1.0))
def test_truncated_or_damaged_pdf_never_crashes(
    tmp_path: Path, cut: float, flip: int, where: float
) -> None:
    """A valid PDF cut short anywhere, or with one byte changed, is an error or clean text."""
    whole = make_text_pdf(tmp_path / "whole.pdf", PDF_LINES).read_bytes()
    damaged = bytearray(whole[: int(len(whole) * cut)])
    if damaged:
        damaged[int((len(damaged) - 1) * where)] = flip
    path = tmp_path / "damaged.pdf"
    path.write_bytes(bytes(damaged))
    try:
        doc = load_document(path)
    except DocumentError as exc:
        assert "damaged.pdf" in str(exc)
        return
    assert doc.chunks and all(c.text.strip() for c in doc.chunks)


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("안산시는 외국인 주민을", "Ansan"),
        ("Барселона и другие города", "Barcelona"),
        ("στο Ανσάν", "Ansan"),
        ("Ansan'daki yabancılar", "Ansan"),
        ("ANSAN CITY's score", "Ansan"),
        ("Ansan에서 가장", "Ansan"),
        ("我在Ansan工作", "Ansan"),
    ],
)
def test_gazetteer_finds_cities_in_any_script(text: str, city: str) -> None:
    """City names in Hangul, Cyrillic, Greek, with suffixes, in capitals or written in Latin
    letters inside text in another script resolve."""
    assert gazetteer.find_cities(text) == [city]


def test_gazetteer_ignores_common_words() -> None:
    """Lower-case words that look like names are not cities."""
    assert gazetteer.find_cities("add salt to the porto wine in bern sauce") == []
    assert gazetteer.find_cities("Ansanville and Ansan2") == []


def test_gazetteer_resolves_country_aliases() -> None:
    """Countries written in other languages resolve to their English name."""
    assert gazetteer.canonical_country("Südkorea") == "South Korea"
    assert gazetteer.canonical_country("Polska") == "Poland"
    assert gazetteer.country_of("Bergen") == "Norway"


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("Seit wann gibt es in Krakau eine Beratungsstelle?", "Kraków"),
        ("Kiedy rada miasta Winnica przyjęła strategię?", "Vinnytsia"),
        ("el centro de acogida de Hamburgo", "Hamburg"),
        ("als serveis municipals de Gènova", "Genoa"),
        ("навчальний візит до Вроцлава", "Wrocław"),
        ("марокканский город Танжер", "Tangier"),
        ("Stavangerben működik", "Stavanger"),
        ("メキシコシティの移民", "Mexico City"),
        ("科英布拉的活动", "Coimbra"),
    ],
)
def test_gazetteer_knows_cities_as_users_write_them(text: str, city: str) -> None:
    """Exonyms and inflected forms from GeoNames' alternate names resolve to the city."""
    assert gazetteer.find_cities(text) == [city]


@pytest.mark.parametrize(
    "text",
    [
        "Có bao nhiêu người Koryo-saram sống ở đó?",  # part of a hyphenated word
        "Projetos na América Latina",  # part of a longer proper noun
        "the Arabic translation",  # a word, not an inflected city name
        "ベルリン・ノイケルンの母親",  # "ノイケルン" does not hold "ケルン" (Köln)
    ],
)
def test_gazetteer_does_not_see_cities_in_words(text: str) -> None:
    """Words that only contain or resemble a city's name are not that city."""
    assert "Köln" not in gazetteer.find_cities(text)
    assert gazetteer.find_cities(text) in ([], ["Berlin"])


def test_page_facts_line_gives_city_country_and_year(tmp_path: Path) -> None:
    """A "Country | City | Year" line under a glued back label sets the page's metadata, not
    the filter sidebar's lists of every country."""
    page = tmp_path / "page.txt"
    page.write_text(
        "Diminuir texto | Aumentar texto | Imprimir\n\n"
        "VoltarAmadora Empreende: ideias de negócio\n"
        "Portugal | Amadora | desde 2008\n\n"
        "Objetivo: apoiar jovens empreendedores do concelho com formação e mentoria.\n\n"
        "País: Alemanha | Austrália | Canadá | Espanha | França | Irlanda | Itália | México\n",
        encoding="utf-8",
    )
    doc = load_document(page)
    assert doc.meta.title == "Amadora Empreende: ideias de negócio"
    assert (doc.meta.city, doc.meta.country, doc.meta.year) == ("Amadora", "Portugal", 2008)
    assert doc.meta.doc_type == "good_practice"
    assert not any("Austrália" in c.text for c in doc.chunks)


def test_sidebar_lists_and_trailing_links_go_in_any_language(tmp_path: Path) -> None:
    """A filter list under a heading in Greek, and "read more" links at the end of the page,
    leave no trace in the chunks: they are recognised by their shape, not their words."""
    page = tmp_path / "page.html"
    names = ("Αντιρατσισμός", "Γλώσσα", "Εκπαίδευση", "Κουλτούρα", "Νεολαία", "Συμμετοχή", "ΜΜΕ")
    topics = "".join(f"<li>{t}</li>" for t in names)
    page.write_text(
        "<html><body><h1>Πίσω Το Κέντρο Ένταξης των Ιωαννίνων</h1>"
        "<p>Ιωάννινα, Ελλάδα | 2017</p>"
        "<p>Το κέντρο υποδέχεται πρόσφυγες και μετανάστες και τους ενημερώνει για τις "
        "υπηρεσίες του δήμου σε επτά γλώσσες.</p>"
        "<p>Διαβάστε περισσότερα »</p>"
        f"<h3>Φίλτρα καλών πρακτικών</h3><ul>{topics}</ul></body></html>",
        encoding="utf-8",
    )
    doc = load_document(page)
    text = " ".join(c.text for c in doc.chunks)
    assert "επτά γλώσσες" in text
    for trace in ("Νεολαία", "Φίλτρα", "περισσότερα"):
        assert trace not in text
