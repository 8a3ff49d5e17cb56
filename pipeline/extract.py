"""Extract: raw page bytes plus a declaration's selectors → clean Markdown.

A pure function: ``extract(body, content_type, document)``. It decodes the
bytes (HTTP charset, BOM, ``<meta charset>``, then detection: GBK and
Shift_JIS pages are common on marketplaces), drops scripts and styles,
removes the declared ``remove`` selectors, keeps what the ``select``
selectors match, and converts that to Markdown. When nothing usable is left
it raises :class:`ExtractionError` with a reason that names the selector.

An HTML page is parsed once, with lxml (:class:`Page`): the removals and the
selection (cssselect) happen in that tree, and the chosen elements are
converted to Markdown in that tree too (:mod:`pipeline.tomarkdown`: markdownify's
rules with this module's options, ported to lxml; a fragment holding a tag or a
depth it does not reproduce goes to markdownify, on a BeautifulSoup tree built
from the chosen elements only). Before converting, the page's fingerprint
(:meth:`Page.fingerprint`: what the conversion reads) is taken;
``extract(..., unless=fingerprint)`` of a page with that fingerprint converts
nothing (a per-request token changed, the text did not). Measured with
``bench/extract_check.py``: the same Markdown as the BeautifulSoup, soupsieve and
markdownify extraction on every corpus page checked (which is kept for the
selectors cssselect cannot translate: :func:`_extract_soup`), in a seventh of
its CPU (854 extractions: 31.7 s with markdownify converting the lxml selection,
11.0 s with :mod:`pipeline.tomarkdown`, against 77-78 s for the BeautifulSoup
extraction). A rebuild of 600 synthetic versions (``bench/scale.py``'s histories,
one process) took 17 % less CPU, median of three: 109.8 s before, 91.6 s after,
and built the same KB (``bench/kb_compare.py``).

Policy PDFs (``application/pdf``, or a body starting ``%PDF-``) are text
extracted with pdfminer.six: measured with ``bench/pdf_extract.py`` on a
real policy page printed to PDF, pypdf was about 3x faster (161 ms vs 485 ms
for 20 pages) with the same word recall (1.000), but kept no paragraph
breaks (0 vs 59), and paragraphs are what sections and diffs are made of.
Selectors do not apply to a PDF; a PDF without extractable text (a scan)
is an :class:`ExtractionError`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

from bs4 import BeautifulSoup, Comment
from markdownify import MarkdownConverter
from w3lib.encoding import html_to_unicode

from pipeline.normalize import normalize_text
from pipeline.tomarkdown import LINK_STARTS, OPTIONS
from pipeline.text import CJK_WIDE, HANGUL, IDEOGRAPHS

logger = logging.getLogger(__name__)

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
    guessed: bool = False  # the charset was detected, not declared (see :func:`decode_page`)
    #: the declared selector that matched (one of the alternatives of ``select``); None: no selector applied
    selector: str | None = None
    #: :meth:`Page.fingerprint` of the page (None: not an HTML page read with selectors, or read another way)
    fingerprint: str | None = None
    #: the page had the fingerprint ``extract(..., unless=)`` named: nothing was converted, ``markdown`` is empty
    same_page: bool = False


class _Converter(MarkdownConverter):
    """Markdown as policy text: ATX headings, '-' bullets, no images."""

    def convert_img(self, el, text, *args, **kwargs):
        alt = el.attrs.get("alt") or ""
        return alt

    def convert_a(self, el, text, *args, **kwargs):
        href = el.get("href") or ""
        if not href.lower().startswith(LINK_STARTS):
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


def _decodes(body: bytes, encoding: str | None) -> bool:
    """Whether ``body`` is valid in ``encoding`` (strictly, every byte)."""
    if not encoding:
        return False
    try:
        body.decode(encoding)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


@dataclass
class Decoded:
    text: str
    encoding: str
    #: the charset is a guess: nothing declared one that fits the bytes (no BOM, no HTTP or <meta> charset
    #: that decodes them), and they are not UTF-8; a guess is trusted only if its text looks like text
    guessed: bool


def decode_page(body: bytes, content_type: str | None) -> Decoded:
    """Decode page bytes: BOM, HTTP charset, ``<meta charset>``, then detection.

    GB2312/GBK are read as GB18030, Big5 as Big5-HKSCS and Shift_JIS as cp932
    (their supersets, as browsers do). A declared charset that cannot decode
    the bytes is wrong, whatever it decodes them to with replacements (EUC-JP
    bytes read as Shift_JIS give plausible-looking mojibake, not U+FFFD): then
    the other declaration wins if it decodes them, else detection, else the
    declared charset with replacement characters if detection does no better.
    """
    from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

    encoding, text = html_to_unicode(content_type or "", body, auto_detect_fun=_detect)
    in_header, in_page = http_content_type_encoding(content_type or ""), html_body_declared_encoding(body)
    in_page = resolve_encoding(in_page) if in_page else None
    if in_header and in_page and in_header != in_page and encoding == in_header and _decodes(body, in_page) \
            and ("\ufffd" in text or _oddness(text, in_header) > _oddness(body.decode(in_page), in_page)):
        # the two declarations disagree and the page's own one reads as text (EUC-JP bytes sent as Shift_JIS
        # decode, as cp932, to half-width katakana): browsers follow the header, a reader would not
        return Decoded(body.decode(in_page), in_page, guessed=False)
    if "\ufffd" not in text or _decodes(body, encoding):
        declared = read_bom(body)[0] or in_header or in_page
        if declared and encoding in MOJIBAKE_PRONE:
            better = _better_than_declared(body, text, encoding)
            if better is not None:
                return better
        return Decoded(text, encoding, guessed=not declared and encoding not in ("utf-8", "utf8"))
    for other in (in_header, in_page):
        if other and other != encoding and _decodes(body, other):
            return Decoded(body.decode(other), other, guessed=False)
    bad = text.count("\ufffd")
    detected = _detect(body)
    if detected and detected != encoding:
        try:
            better = body.decode(detected, errors="replace")
        except LookupError:
            better = None
        if better is not None and (better.count("\ufffd") < bad and bad > MAX_REPLACEMENT_SHARE * max(1, len(text))
                                   or "\ufffd" not in better):
            return Decoded(better, detected, guessed=True)
    return Decoded(text, encoding, guessed=False)


#: Declared charsets that decode other CJK encodings' bytes without an error, into mojibake (EUC-JP bytes read
#: as cp932 give half-width katakana and private-use characters, every byte "valid").
MOJIBAKE_PRONE = {"cp932", "shift_jis", "gb18030", "gbk", "big5", "big5hkscs", "euc_jp", "euc-jp", "euc_kr", "euc-kr"}


def _odd_share(text: str, encoding: str) -> float:
    visible = sum(1 for ch in text if not ch.isspace())
    return _oddness(text, encoding) / max(1, visible)


def _better_than_declared(body: bytes, text: str, encoding: str) -> Decoded | None:
    """When the declared CJK charset reads the bytes as mojibake and detection reads them as text: the
    detected reading (marked guessed, so :func:`_check_text` judges it again). None keeps the declared one."""
    odd = _odd_share(text, encoding)
    if odd <= MAX_ODD_SHARE_GUESSED:
        return None
    detected = _detect(body)
    if not detected or detected == encoding or not _decodes(body, detected):
        return None
    other = body.decode(detected)
    if _odd_share(other, detected) * 4 < odd:
        return Decoded(other, detected, guessed=True)
    return None


def decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    """:func:`decode_page` as ``(text, encoding)``."""
    decoded = decode_page(body, content_type)
    return decoded.text, decoded.encoding


def is_pdf(content_type: str | None, body: bytes) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    return ct in ("application/pdf", "application/x-pdf") or body[:1024].lstrip().startswith(b"%PDF-")


PAGE_NUMBER_RE = re.compile(r"^\s*(?:(?:page|seite|página|第)\s*)?\d{1,4}(?:\s*(?:/|of|von|de|页)\s*\d{1,4})?\s*页?\s*$",
                            re.IGNORECASE)
# Was U+3400-9FFF in one span, which also took in the Yijing hexagram symbols (U+4DC0-4DFF), signs rather than
# writing: the named blocks leave them out (a PDF line ending in ䷀ is now joined with a space).
CJK_RE = re.compile(f"[{CJK_WIDE}]")


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


def _converter() -> _Converter:
    return _Converter(**OPTIONS)


def to_markdown(html_fragment) -> str:
    """HTML → Markdown. White space in text collapses to one space, as a browser renders
    it (``wrap=True`` with no width): re-wrapping a paragraph in the page source is
    not a change of the policy. ``<pre>`` keeps its white space.

    :param html_fragment: HTML text, or a parsed fragment (a ``BeautifulSoup`` holding the elements
        to convert, which saves serializing and parsing them again)
    """
    if isinstance(html_fragment, str):
        return _converter().convert(html_fragment)
    return _converter().convert_soup(html_fragment)


def _fragment(elements) -> BeautifulSoup:
    """A document holding ``elements`` (taken out of their page), one per line, as markdownify would
    parse their HTML: converting it gives what converting their serialization gives."""
    fragment = BeautifulSoup("", "html.parser")
    for n, el in enumerate(elements):
        if n:
            fragment.append("\n")
        fragment.append(el.extract())
    return fragment


#: Characters no policy text is made of: U+FFFD (bytes that did not decode) and control characters.
GARBAGE_RE = re.compile(r"[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: More garbage than this share of the extracted text means binary content, not a page.
MAX_GARBAGE_SHARE = 0.01


#: In a text whose charset was guessed, characters a wrong guess makes and real text rarely has: Latin-1
#: and cp1252 signs (not « » ° § © ® · £ ¥ € ¿ ¡ º ª), half-width katakana, private-use characters.
ODD_RE = re.compile(r"[\ue000-\uf8ff\u00a4\u00a6\u00a8\u00ac\u00af\u00b1-\u00b6\u00b8-\u00b9\u00bc-\u00be"
                    r"\u00d7\u00f7\u0192\u02c6\u02dc\u2020\u2021\u2030\u2039\u203a\uff61-\uff9f]")
#: A lower-case letter followed by a capital inside a word ("šIéh", "ÖÂlH"): rare in text, common in a wrong guess.
CASE_FLIP_RE = re.compile(r"(?<=[^\W\d_])(?<![A-Z])(?=[A-ZÀ-ÖØ-Þ])")
IDEOGRAPH_RE = re.compile(f"[{IDEOGRAPHS}{HANGUL}]")
HANGUL_RE = re.compile(f"[{HANGUL}]")
#: The frequently used ideographs of each family of guessable charsets (its level-1 set; a text in that
#: charset is almost all made of them, random bytes are not): charset to check with, and its lead bytes.
COMMON_IDEOGRAPHS = {"gb18030": ("gb2312", 0xB0, 0xD7), "big5hkscs": ("big5", 0xA4, 0xC6),
                     "big5": ("big5", 0xA4, 0xC6), "cp932": ("euc_jp", 0xB0, 0xCF),
                     "euc_jp": ("euc_jp", 0xB0, 0xCF), "euc_kr": ("euc_kr", 0xB0, 0xC8)}
#: A guessed charset is trusted only if under this share of its text is odd (see ODD_RE).
MAX_ODD_SHARE_GUESSED = 0.03


def _uncommon_ideographs(text: str, encoding: str) -> int:
    """How many ideographs (and Hangul syllables) of ``text`` are outside ``encoding``'s level-1 set."""
    family = COMMON_IDEOGRAPHS.get(encoding.replace("-", "_").lower())
    ideographs = Counter(IDEOGRAPH_RE.findall(text))  # a page repeats a few thousand characters: judge each once
    if family is None:
        return sum(ideographs.values())
    return sum(n for ch, n in ideographs.items() if not _common_ideograph(ch, family))


def _common_ideograph(ch: str, family: tuple) -> bool:
    try:
        lead = ch.encode(family[0])[0]
    except UnicodeEncodeError:
        return False
    return family[1] <= lead <= family[2] or bool(HANGUL_RE.match(ch))


def _oddness(text: str, encoding: str) -> int:
    """How many characters of ``text`` a wrong charset guess would explain (see ODD_RE)."""
    return len(ODD_RE.findall(text)) + len(CASE_FLIP_RE.findall(text)) + _uncommon_ideographs(text, encoding)


def _check_text(extracted: Extracted) -> Extracted:
    """Refuse text that is largely undecodable bytes (a binary body served as text/html), and text of a
    guessed charset that does not look like text (random bytes decode to something in any 8-bit charset)."""
    text = extracted.markdown
    bad = len(GARBAGE_RE.findall(text))
    if bad and bad > MAX_GARBAGE_SHARE * len(text):
        raise ExtractionError(f"the page text is largely undecodable bytes ({bad} of {len(text)} characters): "
                              "binary content, not a policy")
    if extracted.guessed:
        visible = sum(1 for ch in text if not ch.isspace())
        odd = _oddness(text, extracted.encoding)
        if bad or odd > MAX_ODD_SHARE_GUESSED * visible:
            raise ExtractionError(
                f"the page's bytes are not in the charset it declares, and read as {extracted.encoding} (a guess) "
                f"they are not text ({odd} of {visible} characters are control, private-use or unusual ones): "
                "binary or damaged content")
    return extracted


def extract(body: bytes, content_type: str | None, select=(), remove=(), unless: str | None = None) -> Extracted:
    """Extract the policy text of a page.

    :param body: the page bytes as fetched
    :param content_type: the HTTP Content-Type header, if any
    :param select: alternative CSS selectors of the policy content, tried in order (see :func:`_select_first`)
    :param remove: CSS selectors of noise inside it (widgets, banners)
    :param unless: a page fingerprint (:attr:`Extracted.fingerprint` of an earlier page): when this page has the
        same one, nothing is converted and the result says ``same_page`` (the earlier page's extraction holds)
    :raises ExtractionError: empty body, unsupported content, selectors matched nothing (layout changed),
        binary content, a page nested too deeply to convert
    """
    try:
        extracted = _extract(body, content_type, select, remove, unless)
        return extracted if extracted.same_page else _check_text(extracted)
    except RecursionError:
        # markdownify converts element by element, recursively: thousands of nested elements exhaust the stack
        raise ExtractionError("the page is nested too deeply to convert (thousands of nested elements)") from None
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - a page no rule here foresaw must not stop every build at its record
        logger.exception("a page could not be converted")
        raise ExtractionError(f"the page could not be converted ({type(exc).__name__}: {exc}): a policykb bug; "
                              "please report it with the page (its WARC record) / 页面无法转换：这是 policykb 的缺陷，"
                              "请附上该页面（其 WARC 记录）报告") from exc


def _extract(body: bytes, content_type: str | None, select=(), remove=(), unless=None) -> Extracted:
    if not body or not body.strip():
        raise ExtractionError("empty response body")
    if is_pdf(content_type, body):
        return Extracted(pdf_to_markdown(body), None, "pdf")
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct == "text/plain":
        decoded = decode_page(body, content_type)
        markdown = normalize_text(decoded.text)
        if not markdown:
            raise ExtractionError("plain-text page has no text")
        return Extracted(markdown, None, decoded.encoding, decoded.guessed)
    if not is_html(content_type, body):
        raise ExtractionError(f"unsupported content type {ct or 'unknown'!r}")
    decoded = decode_page(body, content_type)
    page = parse_page(decoded, select, remove)
    if page is None:  # a selector lxml's CSS translator cannot read: the whole page through BeautifulSoup
        return _extract_soup(decoded, select, remove)
    fingerprint = page.fingerprint()
    if fingerprint is not None and fingerprint == unless:
        return Extracted("", page.title, decoded.encoding, decoded.guessed, fingerprint=fingerprint, same_page=True)
    try:
        if select:
            extracted = page.extract()
            extracted.fingerprint = fingerprint
            return extracted
        from pipeline.maincontent import main_content  # no selector: main content, not menus (issue 4)

        found = main_content(decoded.text)
        if found and re.search(r"\w", found):
            return Extracted(normalize_text(found), page.title, decoded.encoding, decoded.guessed)
        return page.extract_body()
    except ExtractionError:
        raise
    except ValueError:  # lxml will not hand over a string with control characters (binary content)
        return _extract_soup(decoded, select, remove)


def _extract_soup(decoded: Decoded, select=(), remove=()) -> Extracted:
    """The extraction through BeautifulSoup and soupsieve, for selectors that :func:`_css` cannot translate
    (soupsieve's own extensions such as ``:-soup-contains``); :class:`Page` gives the same Markdown otherwise."""
    text, encoding = decoded.text, decoded.encoding
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
        return _select_first(soup, select, title, encoding, decoded.guessed)
    from pipeline.maincontent import main_content  # no selector: main content, not menus (issue 4)

    found = main_content(text)
    if found and re.search(r"\w", found):
        return Extracted(normalize_text(found), title, encoding, decoded.guessed)
    root = soup.body or soup
    fragment = _fragment([root]) if root is not soup else soup
    markdown = normalize_text(to_markdown(fragment))
    if not re.search(r"\w", markdown):
        raise ExtractionError("page has no text")
    return Extracted(markdown, title, encoding, decoded.guessed)


#: The attributes markdownify (and :class:`_Converter`, :mod:`pipeline.tomarkdown`) read: links, images, media, list
#: starts, table spans.
#: The page fingerprint (:meth:`Page.fingerprint`) covers these and no other, so a per-request token in any other
#: attribute does not change it.
CONVERTED_ATTRIBUTES = frozenset({"href", "title", "alt", "src", "poster", "start", "colspan"})
#: Bump when :class:`Page`, the converter or the fingerprint's form changes what a fingerprint stands for.
FINGERPRINT_VERSION = "page-2"


@lru_cache(maxsize=256)
def _css(selector: str):
    """A CSS selector compiled to an XPath over lxml's HTML tree (cssselect, HTML rules: names case-insensitive);
    None when cssselect cannot translate it (soupsieve's own extensions)."""
    from cssselect import HTMLTranslator
    from cssselect.parser import SelectorError
    from cssselect.xpath import ExpressionError
    from lxml import etree

    try:
        return etree.XPath(HTMLTranslator().css_to_xpath(selector))
    except (SelectorError, ExpressionError, etree.XPathError):
        return None


def _cut_out(node) -> None:
    """Remove ``node`` (an element or comment) from its tree, its tail text joined to the text before it.

    BeautifulSoup kept the strings on either side of a removed node apart; joined, markdownify converts them the
    same (``bench/extract_check.py``: no difference on the corpus pages), and a comment or script that comes and
    goes (a per-request token) then leaves no trace in the page's fingerprint."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    if tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


def _outermost(parts: list) -> list:
    """``parts`` (in page order) without those nested inside another part."""
    if len(parts) < 2:
        return parts
    chosen = set(parts)
    return [el for el in parts if not any(a in chosen for a in el.iterancestors())]


def _feed(soup, el) -> None:
    """Build ``el`` (lxml) into ``soup`` through the calls BeautifulSoup's lxml tree builder makes, so the tree
    (white-space-only strings folded as it folds them) is the one it would have built."""
    soup.handle_starttag(el.tag, None, None, dict(el.attrib))
    if el.text:
        soup.handle_data(el.text)
    for child in el:
        _feed(soup, child)
        if child.tail:
            soup.handle_data(child.tail)
    soup.handle_endtag(el.tag)


#: What BeautifulSoup counts as white space when it folds a white-space-only string (``BeautifulSoup.ASCII_SPACES``).
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
#: Where it does not fold them (``HTMLTreeBuilder.preserve_whitespace_tags``).
_KEEP_SPACES = ("pre", "textarea")


def _folded(text, keep: bool) -> str:
    """A string as the tree :func:`_feed` builds holds it: white-space only, it is one newline (if it had one) or one
    space, outside ``pre`` and ``textarea`` (BeautifulSoup's ``endData``)."""
    if text and not keep and not text.strip(_ASCII_SPACES):
        return "\n" if "\n" in text else " "
    return text or ""


def _fingerprint_of(el, out: list, keep: bool = False) -> None:
    """What :meth:`Page.fingerprint` hashes of ``el``: its tag, converted attributes, strings as :func:`_folded` folds
    them (written out here: this runs for every element of a page) and children."""
    out.append("<" + el.tag)
    if el.attrib:  # (most elements have none: nothing to read, nothing that could raise)
        attrib = dict(el.attrib)  # as :func:`_feed` reads them (this raises where it would: see Page.fingerprint)
        for name in sorted(CONVERTED_ATTRIBUTES.intersection(attrib)):
            out.append(f"@{name}={attrib[name]}")
    if not keep and el.tag in _KEEP_SPACES:
        keep = True
    text = el.text
    out.append(("\n" if "\n" in text else " ") if text and not keep and not text.strip(_ASCII_SPACES) else text or "")
    if len(el):
        for child in el:
            _fingerprint_of(child, out, keep)
            tail = child.tail
            out.append(("\n" if "\n" in tail else " ") if tail and not keep and not tail.strip(_ASCII_SPACES)
                       else tail or "")
    out.append(">")


@lru_cache(maxsize=1)
def _fast_tag():
    """BeautifulSoup's ``Tag`` whose ``find_parent(name)`` (with a tag name only) walks up the parents comparing
    names: markdownify asks every tag whether it is inside a ``<pre>``, and BeautifulSoup's general search builds a
    filter object per call (a tenth of the conversion's time). The same answer; any other search is BeautifulSoup's."""
    from bs4 import Tag

    class FastTag(Tag):
        def find_parent(self, name=None, attrs=None, **kwargs):
            if not isinstance(name, str) or attrs or kwargs:
                return super().find_parent(name, attrs, **kwargs)
            parent = self.parent
            while parent is not None:
                if parent.name == name or (parent.prefix and f"{parent.prefix}:{parent.name}" == name):
                    return parent
                parent = parent.parent
            return None

    return FastTag


class Page:
    """One HTML page parsed once with lxml: scripts, comments and the ``remove`` selectors cut out, the ``select``
    alternatives matched (cssselect), their text converted to Markdown in the same tree (:mod:`pipeline.tomarkdown`;
    markdownify on a BeautifulSoup tree of the chosen elements for what it does not reproduce). :meth:`fingerprint`
    says, without converting anything, whether two pages give the same extraction."""

    def __init__(self, decoded: Decoded, root, select, remove):
        self.decoded, self.root, self.select = decoded, root, tuple(select)
        title = next(root.iter("title"), None)
        self.title = " ".join(s.strip() for s in title.itertext() if s.strip()) if title is not None else None
        for node in [el for el in root.iter(*ALWAYS_REMOVE)]:
            _cut_out(node)
        for selector in remove:
            for node in _css(selector)(root):
                _cut_out(node)
        for node in [c for c in root.iter(etree_comment(), etree_pi())]:
            _cut_out(node)
        self.matches = [(selector, _outermost(_css(selector)(root))) for selector in self.select]

    def fingerprint(self) -> str | None:
        """A hash of everything the extraction reads: the title, the charset, and for each ``select`` alternative
        the elements it matched (tags, text, the :data:`CONVERTED_ATTRIBUTES`). Two
        pages with the same fingerprint give the same :class:`Extracted` (or the same error). None without a
        selector: the main-content fallback reads the whole page."""
        if not self.select:
            return None
        out = [FINGERPRINT_VERSION, self.decoded.encoding, str(self.decoded.guessed), repr(self.title)]
        try:
            for selector, parts in self.matches:
                out.append("\x01" + selector)
                for el in parts:
                    out.append("\x02")
                    _fingerprint_of(el, out)
        except (ValueError, RecursionError):  # strings lxml will not hand over, or too deep: no fingerprint, and
            return None                       # (read the same way) the conversion would fall back or fail too
        return hashlib.sha256("\x00".join(out).encode("utf-8", "surrogatepass")).hexdigest()

    def _markdown(self, elements) -> str:
        from pipeline import tomarkdown

        try:
            return normalize_text(tomarkdown.convert(elements))
        except tomarkdown.Unsupported:  # a tag or a depth it does not reproduce: markdownify converts this fragment
            return normalize_text(to_markdown(_soup_fragment(elements)))

    def extract(self) -> Extracted:
        """The text of the first ``select`` alternative that matches an element with text (see
        :func:`_select_first`, the same rules)."""
        d = self.decoded
        empty = []
        for selector, parts in self.matches:
            if not parts:
                continue
            markdown = self._markdown(parts)
            if re.search(r"\w", markdown):
                return Extracted(markdown, self.title, d.encoding, d.guessed, selector=selector)
            empty.append(selector)
        _no_match(self.select, empty)

    def extract_body(self) -> Extracted:
        """The whole ``<body>`` (the fallback when main-content extraction finds nothing)."""
        body = next(self.root.iter("body"), None)
        markdown = self._markdown([body if body is not None else self.root])
        if not re.search(r"\w", markdown):
            raise ExtractionError("page has no text")
        return Extracted(markdown, self.title, self.decoded.encoding, self.decoded.guessed)


def _soup_fragment(elements):
    """The BeautifulSoup fragment of ``elements`` (lxml) that markdownify converts: as :func:`_fragment` would make
    of them, one per line."""
    from bs4 import BeautifulSoup, Tag

    fragment = BeautifulSoup("", "html.parser", element_classes={Tag: _fast_tag()})
    for n, el in enumerate(elements):
        if n:
            fragment.handle_data("\n")
            fragment.endData()
        _feed(fragment, el)
    fragment.endData()
    return fragment


def etree_comment():
    from lxml import etree

    return etree.Comment


def etree_pi():
    from lxml import etree

    return etree.ProcessingInstruction


def parse_page(decoded: Decoded, select=(), remove=()) -> Page | None:
    """The page parsed for :class:`Page`, or None when it must go through :func:`_extract_soup` instead (a
    selector cssselect cannot translate, a text lxml refuses)."""
    from lxml import etree

    if any(_css(s) is None for s in (*select, *remove)):
        return None
    parser = etree.HTMLParser(huge_tree=True)  # no depth cap at 255 (a deep page is an error, not a cut text)
    try:
        parser.feed(decoded.text)  # fed as BeautifulSoup's lxml builder feeds it (libxml2's push parser)
        root = parser.close()
    except (etree.LxmlError, ValueError):
        return None
    if root is None:
        return None
    try:
        return Page(decoded, root, select, remove)
    except ValueError:  # lxml refuses to set a text holding control characters (binary content): cut nothing here
        return None


def _no_match(select, empty):
    if empty:
        raise ExtractionError(f"selector {_quoted(empty)} matched only empty content")
    if len(select) == 1:
        raise ExtractionError(f"{LAYOUT_CHANGED}: selector {select[0]!r} matched nothing")
    raise ExtractionError(f"{LAYOUT_CHANGED}: none of the selectors {_quoted(select)} (tried in order) matched; "
                          "each matched nothing")


#: The start of the reason of a check whose declared selectors all matched nothing (the alert and
#: ``policykb sources try`` look for it).
LAYOUT_CHANGED = "layout changed"


def _quoted(selectors) -> str:
    return ", ".join(repr(s) for s in selectors)


def _in_page_order(soup, parts) -> list:
    """``parts`` in page order, without those nested inside another part."""
    chosen = [el for el in parts if not any(other is not el and el in other.descendants for other in parts)]
    chosen_ids = {id(c) for c in chosen}
    return [el for el in soup.find_all(True) if id(el) in chosen_ids]


def _select_first(soup, select, title, encoding, guessed) -> Extracted:
    """The text of the first of the ``select`` alternatives that matches an element with text.

    Each alternative is one CSS selector (a comma in it takes several parts of the page: all its
    matches, in page order, matches nested in another match dropped). An alternative that matches
    only empty elements (an app shell before its scripts ran) gives way to the next one. When none
    matches anything the layout changed: the reason names every selector tried; there is no fallback
    to another extraction, which would hide the change.
    """
    empty = []
    for selector in select:
        parts = soup.select(selector)
        if not parts:
            continue
        # keep page order, and drop matches nested inside another match
        ordered = parts if len(parts) == 1 else _in_page_order(soup, parts)
        markdown = normalize_text(to_markdown(_fragment(ordered)))
        if re.search(r"\w", markdown):
            return Extracted(markdown, title, encoding, guessed, selector=selector)
        empty.append(selector)
    _no_match(select, empty)
