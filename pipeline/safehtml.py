"""Scraped Markdown → safe HTML: the one sanitizer (the pages, the cite page and the brief use it).

Everything scraped from a platform is hostile. Markdown is rendered to HTML and then cleaned by ``nh3``
(the Ammonia sanitizer): an allow-list of tags, no attributes but ``href``/``title`` on links and ``align``
on cells, only http(s)/mailto URLs, no images (an image would make the reader's browser call the platform).

Markdown that comes from a page holds no markup of its own (extraction turned the page's tags into Markdown):
a ``<`` left in it is the page's text, such as a rule that says "do not put <script> in a listing". So raw
HTML is not parsed there, and that text is shown, escaped, instead of being taken for a tag and dropped.
"""

from __future__ import annotations

import markdown as markdown_lib
import nh3

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "b", "i", "u",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "sup", "sub",
}


def render_markdown(text: str, extra_tags=()) -> str:
    """Markdown from a scraped page → sanitized HTML (no scripts, handlers, images, or javascript:/data: URLs).

    :param extra_tags: tags allowed besides :data:`ALLOWED_TAGS` (the brief's own ``ins``/``del``), never
        with attributes; with them, raw HTML in ``text`` is parsed (the caller has escaped the page's text)
    """
    md = markdown_lib.Markdown(extensions=["tables", "sane_lists"])
    if not extra_tags:  # the page's own "<...>" is text (Python-Markdown's documented way to turn raw HTML off)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    raw = md.convert(text or "")
    return nh3.clean(
        raw, tags=ALLOWED_TAGS | set(extra_tags), attributes={"a": {"href", "title"}, "td": {"align"}, "th": {"align"}},
        url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
    )
