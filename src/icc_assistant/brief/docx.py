"""Blocks -> a Word document (python-docx), links as real hyperlinks."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from icc_assistant.brief.blocks import Block, Run
from icc_assistant.brief.html import RTL

_STYLE = {"item": "List Bullet", "quote": "Quote"}
_LEVEL = {"title": 0, "heading": 1, "subheading": 2}
LINK_COLOUR = "0B57D0"
# Characters XML 1.0 cannot hold (lxml refuses them): C0 controls but tab, line feed and
# carriage return, lone surrogates, U+FFFE and U+FFFF. An enquiry or a title may carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _add_link(paragraph: Paragraph, run: Run) -> None:
    """A w:hyperlink to run.url around one underlined, coloured run (python-docx has no API
    for external links, so the element is built as the OOXML schema has it)."""
    assert run.url is not None
    relation = paragraph.part.relate_to(run.url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), relation)
    element = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), LINK_COLOUR)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.extend([colour, underline])
    if run.bold:
        properties.insert(0, OxmlElement("w:b"))
    element.append(properties)
    text = OxmlElement("w:t")
    text.text = _xml_text(run.text)
    text.set(qn("xml:space"), "preserve")
    element.append(text)
    hyperlink.append(element)
    paragraph._p.append(hyperlink)


def _fill(paragraph: Paragraph, runs: Sequence[Run]) -> None:
    for run in runs:
        if run.url:
            _add_link(paragraph, run)
            continue
        added = paragraph.add_run(_xml_text(run.text))
        added.bold = run.bold or None
        added.italic = run.italic or None


def _add_table(document: DocxDocument, block: Block, rtl: bool) -> None:
    """A Word table: its caption as a paragraph above, a bold header row repeated on each
    page, the columns laid out right to left in a right-to-left note."""
    caption = document.add_paragraph(style="Caption")
    _fill(caption, block.runs)
    head, *rows = block.cells
    table = document.add_table(rows=1 + len(rows), cols=len(head))
    table.style = "Table Grid"
    if rtl:
        table._tbl.tblPr.append(OxmlElement("w:bidiVisual"))
    for r, values in enumerate(block.cells):
        for c, value in enumerate(values):
            paragraph = table.cell(r, c).paragraphs[0]
            run = paragraph.add_run(_xml_text(value))
            run.bold = r == 0 or None
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))


def render_docx(blocks: Sequence[Block], language: str, title: str) -> bytes:
    """The document's bytes; its core properties name its title and language."""
    document = Document()
    document.core_properties.title = _xml_text(title)
    document.core_properties.language = language
    for block in blocks:
        if block.kind == "table":
            _add_table(document, block, language in RTL)
            continue
        if block.kind in _LEVEL:
            paragraph = document.add_heading(level=_LEVEL[block.kind])
        else:
            paragraph = document.add_paragraph(style=_STYLE.get(block.kind))
        if language in RTL and not block.language:  # quotes keep their own direction
            paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
        _fill(paragraph, block.runs)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
