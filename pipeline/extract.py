"""Extract: raw page bytes plus a declaration's selectors → clean Markdown.

A pure function: ``extract(body, content_type, document)``. It decodes the
bytes (HTTP charset, BOM, ``<meta charset>``, then detection: GBK and
Shift_JIS pages are common on marketplaces), drops scripts and styles,
removes the declared ``remove`` selectors, keeps what the ``select``
selectors match, and converts that to Markdown. When nothing usable is left
it raises :class:`ExtractionError` with a reason that names the selector.

Policy PDFs (``application/pdf``, or a body starting ``%PDF-``) are text
extracted with pdfminer.six: measured with ``bench/pdf_extract.py`` on a
real policy page printed to PDF, pypdf was about 3x faster (161 ms vs 485 ms
for 20 pages) with the same word recall (1.000), but kept no paragraph
breaks (0 vs 59), and paragraphs are what sections and diffs are made of.
Selectors do not apply to a PDF; a PDF without extractable text (a scan)
is an :class:`ExtractionError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

from bs4 import BeautifulSoup, Comment
from markdownify import MarkdownConverter
from w3lib.encoding import html_to_unicode

from pipeline.normalize import normalize_text

ALWAYS_REMOVE = ["script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas"]


class ExtractionError(ValueError):
    """The page gave no policy text; ``reason`` says why, for the failed check."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass
class Extracted:
    markdown: str
    title: str | None
    encoding: str


class _Converter(MarkdownConverter):
    """Markdown as policy text: ATX headings, '-' bullets, no images."""

    def convert_img(self, el, text, *args, **kwargs):
        alt = el.attrs.get("alt") or ""
        return alt

    def convert_a(self, el, text, *args, **kwargs):
        href = el.get("href") or ""
        if not href.lower().startswith(("http://", "https://", "/", "mailto:")):
            return text  # javascript:, data: and fragment links carry no policy meaning
        return super().convert_a(el, text, *args, **kwargs)


#: Encodings that detection may choose, besides what a page declares: the
#: ones marketplaces in China, Taiwan, Hong Kong, Japan and Korea still serve.
DETECTABLE = ["utf_8", "gb18030", "big5", "big5hkscs", "cp932", "euc_jp", "euc_kr", "cp1252"]
#: More replacement characters than this share of the text means the declared
#: charset is wrong (a "charset=utf-8" header on GBK bytes happens).
MAX_REPLACEMENT_SHARE = 0.002


def _detect(body: bytes) -> str | None:
    """The encoding of undeclared bytes: UTF-8 if they decode strictly, else charset-normalizer's pick."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body, cp_isolation=DETECTABLE).best()
    return best.encoding if best else None


def decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode page bytes: BOM, HTTP charset, ``<meta charset>``, then detection.

    GB2312/GBK are read as GB18030, Big5 as Big5-HKSCS and Shift_JIS as cp932
    (their supersets, as browsers do). When the declared charset is plainly
    wrong (many undecodable bytes) and detection finds a better one, that wins.

    :returns: ``(text, encoding)``
    """
    encoding, text = html_to_unicode(content_type or "", body, auto_detect_fun=_detect)
    bad = text.count("\ufffd")
    if bad and bad > MAX_REPLACEMENT_SHARE * max(1, len(text)):
        detected = _detect(body)
        if detected:
            try:
                better = body.decode(detected, errors="replace")
            except LookupError:
                better = None
            if better is not None and better.count("\ufffd") < bad:
                return better, detected
    return text, encoding


def is_pdf(content_type: str | None, body: bytes) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    return ct in ("application/pdf", "application/x-pdf") or body[:1024].lstrip().startswith(b"%PDF-")


PAGE_NUMBER_RE = re.compile(r"^\s*(?:(?:page|seite|página|第)\s*)?\d{1,4}(?:\s*(?:/|of|von|de|页)\s*\d{1,4})?\s*页?\s*$",
                            re.IGNORECASE)
CJK_RE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def pdf_to_markdown(body: bytes) -> str:
    """The text of a PDF as Markdown paragraphs (pdfminer.six).

    Lines wrapped inside a paragraph are joined (with no space between two
    CJK characters), and lines that are only a page number are dropped.

    :raises ExtractionError: unreadable, encrypted or text-less PDF
    """
    import logging

    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font warnings on every page
    try:
        raw = extract_text(BytesIO(body))
    except PDFPasswordIncorrect:
        raise ExtractionError("PDF is encrypted with a password") from None
    except PDFSyntaxError as exc:
        raise ExtractionError(f"PDF could not be parsed ({exc})") from None
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        raise ExtractionError(f"PDF could not be read ({exc.__class__.__name__}: {exc})") from None
    paragraphs = []
    for block in re.split(r"\n\s*\n|\f", raw):
        lines = [line.strip() for line in block.split("\n") if line.strip() and not PAGE_NUMBER_RE.match(line)]
        if not lines:
            continue
        text = lines[0]
        for line in lines[1:]:
            joiner = "" if CJK_RE.match(text[-1]) and CJK_RE.match(line[0]) else " "
            text += joiner + line
        paragraphs.append(text)
    markdown = normalize_text("\n\n".join(paragraphs))
    if not re.search(r"\w", markdown):
        raise ExtractionError("PDF has no extractable text (a scanned image?)")
    return markdown


def is_html(content_type: str | None, body: bytes) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return True
    if not ct:
        return body[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))
    return False


def to_markdown(html_fragment: str) -> str:
    """HTML → Markdown. White space in text collapses to one space, as a browser renders
    it (``wrap=True`` with no width): re-wrapping a paragraph in the page source is
    not a change of the policy. ``<pre>`` keeps its white space."""
    return _Converter(heading_style="ATX", bullets="-", strip=["img"], escape_misc=False, wrap=True,
                      wrap_width=None).convert(html_fragment)


#: Characters no policy text is made of: U+FFFD (bytes that did not decode) and control characters.
GARBAGE_RE = re.compile(r"[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: More garbage than this share of the extracted text means binary content, not a page.
MAX_GARBAGE_SHARE = 0.01


def _check_text(extracted: Extracted) -> Extracted:
    """Refuse text that is largely undecodable bytes (a binary body served as text/html)."""
    text = extracted.markdown
    bad = len(GARBAGE_RE.findall(text))
    if bad > 3 and bad > MAX_GARBAGE_SHARE * len(text):
        raise ExtractionError(f"the page text is largely undecodable bytes ({bad} of {len(text)} characters): "
                              "binary content, not a policy")
    return extracted


def extract(body: bytes, content_type: str | None, select=(), remove=()) -> Extracted:
    """Extract the policy text of a page.

    :param body: the page bytes as fetched
    :param content_type: the HTTP Content-Type header, if any
    :param select: CSS selectors of the policy content (all matches, in page order)
    :param remove: CSS selectors of noise inside it (widgets, banners)
    :raises ExtractionError: empty body, unsupported content, selector matched nothing,
        binary content, a page nested too deeply to convert
    """
    try:
        return _check_text(_extract(body, content_type, select, remove))
    except RecursionError:
        # markdownify converts element by element, recursively: thousands of nested elements exhaust the stack
        raise ExtractionError("the page is nested too deeply to convert (thousands of nested elements)") from None


def _extract(body: bytes, content_type: str | None, select=(), remove=()) -> Extracted:
    if not body or not body.strip():
        raise ExtractionError("empty response body")
    if is_pdf(content_type, body):
        return Extracted(pdf_to_markdown(body), None, "pdf")
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct == "text/plain":
        text, encoding = decode(body, content_type)
        markdown = normalize_text(text)
        if not markdown:
            raise ExtractionError("plain-text page has no text")
        return Extracted(markdown, None, encoding)
    if not is_html(content_type, body):
        raise ExtractionError(f"unsupported content type {ct or 'unknown'!r}")
    text, encoding = decode(body, content_type)
    soup = BeautifulSoup(text, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for el in soup.select(", ".join(ALWAYS_REMOVE)):
        el.decompose()
    for selector in remove:
        for el in soup.select(selector):
            el.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    if select:
        parts = []
        for selector in select:
            parts.extend(soup.select(selector))
        if not parts:
            raise ExtractionError(f"selector {', '.join(select)!r} matched nothing")
        # keep page order, and drop matches nested inside another match
        chosen = [el for el in parts if not any(other is not el and el in other.descendants for other in parts)]
        chosen_ids = {id(c) for c in chosen}
        ordered = [el for el in soup.find_all(True) if id(el) in chosen_ids]
        fragment = "\n".join(str(el) for el in ordered)
    else:
        from pipeline.maincontent import main_content  # no selector: main content, not menus (issue 4)

        found = main_content(text)
        if found and re.search(r"\w", found):
            return Extracted(normalize_text(found), title, encoding)
        root = soup.body or soup
        fragment = str(root)
    markdown = normalize_text(to_markdown(fragment))
    if not re.search(r"\w", markdown):
        what = f"selector {', '.join(select)!r} matched only empty content" if select else "page has no text"
        raise ExtractionError(what)
    return Extracted(markdown, title, encoding)
