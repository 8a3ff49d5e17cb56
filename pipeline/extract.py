"""Extract: raw page bytes plus a declaration's selectors → clean Markdown.

A pure function: ``extract(body, content_type, document)``. It decodes the
bytes (HTTP charset, BOM, ``<meta charset>``, then detection: GBK and
Shift_JIS pages are common on marketplaces), drops scripts and styles,
removes the declared ``remove`` selectors, keeps what the ``select``
selectors match, and converts that to Markdown. When nothing usable is left
it raises :class:`ExtractionError` with a reason that names the selector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString
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


def decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode page bytes: HTTP charset, BOM, <meta charset>, then auto-detection."""
    encoding, text = html_to_unicode(content_type or "", body)
    return text, encoding


def is_html(content_type: str | None, body: bytes) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return True
    if not ct:
        return body[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))
    return False


WHITESPACE_RE = re.compile(r"\s+")


def collapse_whitespace(root) -> None:
    """Collapse runs of white space in text nodes to one space, as a browser renders them.

    Re-wrapping a paragraph in the page source is not a change of the policy.
    Text inside ``<pre>`` keeps its white space.
    """
    for node in root.find_all(string=True):
        if isinstance(node, Comment) or node.find_parent("pre") is not None:
            continue
        collapsed = WHITESPACE_RE.sub(" ", str(node))
        if collapsed != str(node):
            node.replace_with(NavigableString(collapsed))


def to_markdown(html_fragment: str) -> str:
    return _Converter(heading_style="ATX", bullets="-", strip=["img"], escape_misc=False).convert(html_fragment)


def extract(body: bytes, content_type: str | None, select=(), remove=()) -> Extracted:
    """Extract the policy text of a page.

    :param body: the page bytes as fetched
    :param content_type: the HTTP Content-Type header, if any
    :param select: CSS selectors of the policy content (all matches, in page order)
    :param remove: CSS selectors of noise inside it (widgets, banners)
    :raises ExtractionError: empty body, unsupported content, selector matched nothing
    """
    if not body or not body.strip():
        raise ExtractionError("empty response body")
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
    collapse_whitespace(soup)
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
        root = soup.body or soup
        fragment = str(root)
    markdown = normalize_text(to_markdown(fragment))
    if not re.search(r"\w", markdown):
        what = f"selector {', '.join(select)!r} matched only empty content" if select else "page has no text"
        raise ExtractionError(what)
    return Extracted(markdown, title, encoding)
