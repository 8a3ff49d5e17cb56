"""Which library extracts policy PDFs: pypdf or pdfminer.six? Prints figures.

Makes PDFs the way platforms publish them (a policy web page printed to PDF by
Debian's headless Chromium): the real amazon.com privacy notice from
``../shared/corpus/html/`` (long, English) and the fixture PDF of
``replay/sites/platforms`` (Chinese). For each library it prints the median
extraction time over 5 runs, the word recall against the page's own text
(share of the page's words that come out of the PDF), and whether paragraphs
survive (blank lines in the output).

Run: .venv/bin/python bench/pdf_extract.py
"""

from __future__ import annotations

import io
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "html" / "amazon" / "privacy-notice"
FIXTURE = next((ROOT / "replay" / "sites" / "platforms").rglob("*.pdf"), None)
WORD_RE = re.compile(r"[\w]+|[\u4e00-\u9fff]")


def words(text):
    return Counter(w.lower() for w in WORD_RE.findall(text))


def recall(reference, got):
    ref, out = words(reference), words(got)
    return sum(min(n, out[w]) for w, n in ref.items()) / max(1, sum(ref.values()))


def with_pypdf(body):
    import pypdf

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def with_pdfminer(body):
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(body))


def print_to_pdf(html_path, out):
    subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", str(html_path)], check=True, capture_output=True, timeout=120)
    return Path(out).read_bytes()


def main():
    import logging

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    from bs4 import BeautifulSoup

    cases = []
    tmp = Path(tempfile.mkdtemp())
    if CORPUS.is_dir() and shutil.which("chromium"):
        page = sorted(CORPUS.glob("*.html"))[-1]
        soup = BeautifulSoup(page.read_bytes(), "lxml")
        content = soup.select_one(".help-service-content")
        html = tmp / "notice.html"
        html.write_text(f"<html><meta charset=utf-8><body>{content}</body></html>", encoding="utf-8")
        cases.append(("amazon privacy notice (corpus, printed)", print_to_pdf(html, tmp / "notice.pdf"),
                      content.get_text(" ")))
    else:
        print("skipping the corpus PDF: needs ../shared/corpus and chromium", file=sys.stderr)
    if FIXTURE:
        body = FIXTURE.read_bytes()
        cases.append((f"fixture {FIXTURE.name}", body, with_pdfminer(body)))  # reference: its own text
    for name, body, reference in cases:
        print(f"{name}: {len(body) / 1024:.0f} KB")
        for label, fn in (("pypdf", with_pypdf), ("pdfminer.six", with_pdfminer)):
            times, text = [], ""
            for _ in range(5):
                start = time.perf_counter()
                text = fn(body)
                times.append(time.perf_counter() - start)
            paragraphs = text.count("\n\n")
            print(f"  {label:<13} median {statistics.median(times) * 1000:7.1f} ms   word recall "
                  f"{recall(reference, text):.3f}   blank-line paragraph breaks {paragraphs}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
