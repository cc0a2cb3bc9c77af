"""Does a DOCX reader other than python-docx open a briefing note? LibreOffice converts it.

Builds the French anti-rumour note over corpus/ and tests/data/multilingual, writes it as DOCX,
converts it to PDF with LibreOffice (`soffice --headless --convert-to pdf`), reads the PDF's text
with pdftotext and checks the French headings and the enquiry are there. Prints what it found
and how long the conversion took; exits 1 if a heading is missing.

This was a test until issue 32: it needs Debian's libreoffice-writer-nogui and poppler-utils
(some 300 MB that nothing else needs) and a conversion of up to a minute on a loaded machine,
to check a third-party program; the suite reads every note back with python-docx instead.

    apt-get install -y --no-install-recommends libreoffice-writer-nogui poppler-utils
    python bench/brief_libreoffice.py
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from icc_assistant.answer import AnswerRequest
from icc_assistant.assistant import Assistant
from icc_assistant.brief import build_brief, render_brief
from icc_assistant.embeddings import create_embedder
from icc_assistant.index import IndexStore
from icc_assistant.ingest import collect_paths, load_files
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPORA = (ROOT / "corpus", ROOT / "tests" / "data" / "multilingual")
QUESTION = "Comment les villes mènent-elles des campagnes anti-rumeurs ?"
FRENCH_HEADINGS = (
    "Note d'information",
    "Pratiques par ville",
    "Recommandations de l'ICC applicables",
    "Sources",
    "État de la documentation",
)


def french_note(data_dir: Path) -> bytes:
    """The French anti-rumour note as DOCX, over both corpora indexed in data_dir."""
    settings = Settings(data_dir=data_dir, llm_base_url=None)
    store = IndexStore.open(settings, create_embedder(settings))
    files, _ = collect_paths(list(CORPORA))
    store.sync(load_files(files))
    note = build_brief(Assistant.open(settings), AnswerRequest(question=QUESTION))
    return render_brief(note, "docx")


def pdf_text(docx: Path) -> str:
    """The text LibreOffice prints of the DOCX, through a PDF."""
    profile = f"-env:UserInstallation=file://{docx.parent}/lo"
    convert = ["soffice", "--headless", profile, "--convert-to", "pdf", "--outdir"]
    subprocess.run([*convert, str(docx.parent), str(docx)], capture_output=True, check=True)
    pdf = docx.with_suffix(".pdf")
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, help="an index to reuse (default: a temporary one)"
    )
    args = parser.parse_args()
    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        sys.exit("needs soffice and pdftotext: see the apt-get line in this script's docstring")
    with tempfile.TemporaryDirectory() as work:
        docx = Path(work) / "note.docx"
        docx.write_bytes(french_note(args.data_dir or Path(work) / "data"))
        start = time.perf_counter()
        text = pdf_text(docx).replace("’", "'")
        seconds = time.perf_counter() - start
    missing = [h for h in FRENCH_HEADINGS if h not in text] + (
        [] if QUESTION in text else ["the enquiry"]
    )
    print(f"LibreOffice converted the note in {seconds:.1f} s; missing: {missing or 'nothing'}")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
