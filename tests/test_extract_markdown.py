"""The extraction's own Markdown converter (:mod:`pipeline.tomarkdown`, over lxml) against markdownify (over the
BeautifulSoup tree of the same elements, :func:`pipeline.extract._soup_fragment`): the same Markdown, or the same
error, on generated HTML full of what the conversion reads (random nesting of headings, lists with odd ``start``s,
tables with spans and heads, links, code, ``<pre>``, quotes, definition lists, custom tags) and of what trips
converters (runs of odd white space, Markdown's special characters, non-breaking and ideographic spaces, CJK text).

Also through :func:`pipeline.extract.extract` against the BeautifulSoup extraction (``_extract_soup``, the reference
``bench/extract_check.py`` holds the extraction to on the corpus), and the fallback to markdownify for what the
converter does not reproduce.
"""

from __future__ import annotations

import random
import re

import pytest
from lxml import etree

from pipeline import tomarkdown
from pipeline.extract import _extract, _extract_soup, _soup_fragment, decode_page, extract, to_markdown

BLOCKS = ["p", "div", "section", "article", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead",
          "tbody", "tfoot", "tr", "td", "th", "caption", "figcaption", "h1", "h2", "h3", "h6", "h7", "h12", "pre",
          "hr", "br", "textarea"]
INLINES = ["span", "b", "strong", "i", "em", "del", "s", "sub", "sup", "a", "code", "kbd", "samp", "q", "img",
           "video", "source", "font", "x-note", "abbr", "small", "label"]
WORDS = ["policy", "Seller", "*bold*", "_under_", "a_b", "`tick`", "``x``", "#", "1.", "2)", "-", "--", "> q", "\\",
         "[x]", "(y)", "&", "<", "退款", "規約", "정책", "£5", "https://example.org/a_b", "/help", "x*y"]
SPACES = [" ", "  ", "\n", "\n\n", "\t", " \n ", "\r\n", "\x0c", "\xa0", "\u3000", "\u2009", ""]
ATTRS = {
    "a": [("href", ["https://example.org/x", "/help/a_b", "mailto:s@example.org", "javascript:void(0)", "#top",
                    "HTTP://EXAMPLE.ORG", "", "policy", "https://example.org/a_b"]),
          ("title", ["", "T", 'say "hi"'])],
    "ol": [("start", ["", "3", "0", "-2", "x", "٣", "五", "10"])],
    "td": [("colspan", ["", "1", "2", "0", "x", "1500"])],
    "th": [("colspan", ["2", "3"])],
    "video": [("src", ["", "v.mp4"]), ("poster", ["", "p.png"])],
    "source": [("src", ["", "s.mp4"])],
    "img": [("alt", ["", "pic"]), ("src", ["i.png"])],
}


def _text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 4)):
        parts.append(rng.choice(SPACES))
        parts.append(rng.choice(WORDS))
    parts.append(rng.choice(SPACES))
    return "".join(parts).replace("&", "&amp;").replace("<", "&lt;")


#: What a parent mostly holds (else anything): lists of items, tables of rows of cells, terms and definitions.
CHILDREN = {"ul": ["li"], "ol": ["li"], "table": ["tr", "thead", "tbody", "tfoot", "caption"], "thead": ["tr"],
            "tbody": ["tr"], "tfoot": ["tr"], "tr": ["td", "th"], "dl": ["dt", "dd"], "video": ["source"]}


def _element(rng: random.Random, depth: int, parent: str = "body") -> str:
    usual = CHILDREN.get(parent)
    name = rng.choice(usual if usual and rng.random() < 0.85 else BLOCKS if rng.random() < 0.55 else INLINES)
    attrs = {a: rng.choice(values) for a, values in ATTRS.get(name, []) if rng.random() < 0.8}
    if name in ("br", "hr", "img", "source"):
        return f"<{name}{_attributes(attrs)}>" + _text(rng)
    inner = [_text(rng)]
    if name == "a" and attrs.get("href") and rng.random() < 0.3:
        inner = [rng.choice(SPACES), attrs["href"]]  # a link whose text is its address
    for _ in range(rng.randint(0, 4 if usual else 3) if depth < 5 else 0):
        inner.append(_element(rng, depth + 1, name))
        inner.append(_text(rng) if rng.random() < 0.5 else rng.choice(SPACES))
    return f"<{name}{_attributes(attrs)}>{''.join(inner)}</{name}>" + (_text(rng) if rng.random() < 0.5 else "")


def _attributes(attrs: dict) -> str:
    return "".join(f' {name}="{value}"' for name, value in attrs.items())


def _page(rng: random.Random) -> str:
    body = "".join(_element(rng, 0) + _text(rng) for _ in range(rng.randint(1, 4)))
    return f"<html><head><title>t</title></head><body>{body}</body></html>"


def _parsed(html: str):
    parser = etree.HTMLParser(huge_tree=True)
    parser.feed(html)
    return parser.close()


def _outcome(fn):
    try:
        return "ok", fn()
    except (ValueError, tomarkdown.Unsupported) as exc:  # int("½") in markdownify, say: the same error both ways
        return "error", type(exc).__name__


def _unreadable(value) -> bool:
    """An ``<ol start>`` numeral markdownify raises on (numeric to Python, no integer to ``int``: "五", "½")."""
    if not value or not str(value).isnumeric():
        return False
    try:
        int(value)
    except ValueError:
        return True
    return False


def _readable(elements):
    """The elements without the ``start``s markdownify raises on: the converter counts such a list from 1, as
    markdownify counts a list with no ``start`` (the one place it differs from markdownify on purpose)."""
    for el in elements:
        for ol in el.iter("ol"):
            if _unreadable(ol.get("start")):
                del ol.attrib["start"]
    return elements


def _readable_html(page: bytes) -> bytes:
    """:func:`_readable` for a page's HTML."""
    text = page.decode("utf-8")
    return re.sub(r' start="([^"]*)"', lambda m: "" if _unreadable(m.group(1)) else m.group(), text).encode("utf-8")


def _selections(root, rng: random.Random):
    """The body; its children (several elements, one per line); a random set of elements, none inside another."""
    body = next(root.iter("body"))
    yield [body]
    if len(body):
        yield list(body)
    everything = [el for el in body.iter() if el is not body]
    if everything:
        chosen = set(rng.sample(everything, min(len(everything), rng.randint(1, 4))))
        yield [el for el in everything if el in chosen and not any(a in chosen for a in el.iterancestors())]


@pytest.mark.parametrize("seed", range(3))
def test_the_converter_writes_what_markdownify_writes(seed):
    rng = random.Random(seed)
    compared = 0
    for n in range(160):
        html = _page(rng)
        for elements in _selections(_parsed(html), rng):
            mine = _outcome(lambda: tomarkdown.convert(elements))
            theirs = _outcome(lambda: to_markdown(_soup_fragment(_readable(elements))))
            assert mine == theirs, f"page {n} of seed {seed}, {[e.tag for e in elements]}:\n{html}"
            compared += 1
    assert compared > 350


#: Cases the generator reaches rarely: (HTML of the body, CSS selector of the elements converted).
CASES = [
    ("<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>", "tbody"),
    ("<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>", "tbody, thead"),
    ("<p>x</p><table><thead><tr><th>h</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>", "p, tbody"),
    ("<table><tbody><tr><td>1</td></tr></tbody><tbody><tr><td>2</td></tr></tbody></table>", "table"),
    ("<table><tr><td>a</td></tr>\n<tr><td>b</td></tr></table><table><tr><th>c</th></tr></table>", "tr"),
    ("<ol start='2'><li>a</li><li>b</li></ol><ol><li>c</li></ol>", "li"),
    ("<ol start='五'><li>a</li></ol>", "ol"),
    ("<ul><li>a<ol><li>b</li><li>c<ul><li>d</li></ul></li></ol> tail</li></ul><p>x</p>", "ul"),
    ("<p>a <a href='https://x.org/a_b'>https://x.org/a_b</a> <a href='/a' title='t \"q\"'> b </a></p>", "p"),
    ("<pre>\n  keep  *this*\n\n <b>b</b>\n</pre><textarea>\x0c</textarea>", "pre, textarea"),
]


@pytest.mark.parametrize("html, selector", CASES)
def test_cases_the_generator_seldom_makes(html, selector):
    from cssselect import HTMLTranslator

    root = _parsed(f"<html><body>{html}</body></html>")
    chosen = root.xpath(HTMLTranslator().css_to_xpath(selector))
    elements = [el for el in chosen if not any(a in chosen for a in el.iterancestors())]
    mine = _outcome(lambda: tomarkdown.convert(elements))
    assert mine == _outcome(lambda: to_markdown(_soup_fragment(_readable(elements))))


def test_the_extraction_is_the_beautifulsoup_extraction():
    """Whole pages through ``extract`` (selection, removals, the converter) against the BeautifulSoup extraction."""
    rng = random.Random(19)
    declarations = [(("body",), ()), (("p, li",), ()), (("td, h2",), ("b",)), (("div",), ("ul > li:nth-child(2)",))]
    for n in range(240):
        body = _page(rng).encode("utf-8")
        select, remove = rng.choice(declarations)
        mine = _outcome(lambda: _essentials(_extract(body, "text/html; charset=utf-8", select, remove)))
        reference = _outcome(lambda: _essentials(_extract_soup(decode_page(_readable_html(body), "text/html"),
                                                               select, remove)))
        assert mine == reference, f"page {n}, {select} -{remove}:\n{body.decode()}"


def _essentials(extracted):
    return extracted.markdown, extracted.title, extracted.selector


def test_what_it_does_not_reproduce_goes_to_markdownify():
    """A fragment nested deeper than MAX_DEPTH: the converter refuses it, the extraction still gives markdownify's
    text. A tag whose name reaches something of markdownify's converter that converts no tag (``fn-cache``: its
    ``convert_fn_cache``) is an element with no conversion of its own, as markdownify treats it."""
    deep = "<div>" * (tomarkdown.MAX_DEPTH + 5) + "deep *text*" + "</div>" * (tomarkdown.MAX_DEPTH + 5)
    html = f"<html><body><main>{deep}</main></body></html>"
    with pytest.raises(tomarkdown.Unsupported):
        tomarkdown.convert(list(_parsed(html).iter("main")))
    for inner in ("<p>one <fn-cache>two</fn-cache> three</p>", deep):
        page = f"<html><body><main>{inner}</main></body></html>".encode("utf-8")
        got = extract(page, "text/html", ("main",)).markdown
        assert got == _extract_soup(decode_page(page, "text/html"), ("main",)).markdown
        assert "one two three" in got or "deep \\*text\\*" in got


@pytest.mark.parametrize("inner, text", [
    ("<p>Returns are accepted <soup>within 30 days</soup> of delivery.</p>",
     "Returns are accepted within 30 days of delivery."),
    ("<ol start='五'><li>申诉须在7个自然日内提交</li><li>逾期不予受理</li></ol>", "1. 申诉须在7个自然日内提交\n2. 逾期不予受理"),
    ("<ol start='½'><li>first</li></ol><ol start='3'><li>third</li></ol>", "1. first\n\n3. third"),
])
def test_hostile_markup_markdownify_fails_on_still_converts(inner, text):
    """markdownify raises on ``<soup>`` (its entry point's name) and on an ``<ol start>`` numeral that is no integer
    ("五", "½"): one such page stopped every build at its record. The converter gives the page's text: an unknown
    element's content, a list counted from 1 as a browser counts it."""
    page = f"<html><body><main>{inner}</main></body></html>".encode("utf-8")
    with pytest.raises((TypeError, ValueError)):
        _extract_soup(decode_page(page, "text/html"), ("main",))
    assert extract(page, "text/html; charset=utf-8", ("main",)).markdown.strip() == text


def test_an_unforeseen_failure_is_an_extraction_error(monkeypatch):
    """Whatever a page makes the conversion raise becomes an ExtractionError naming it (a failed check for that
    fetch), never an exception that stops the build at the same record on every run."""
    from pipeline.extract import ExtractionError

    def broken(elements):
        raise KeyError("no such thing")

    monkeypatch.setattr(tomarkdown, "convert", broken)
    page = b"<html><body><main><p>A policy sentence.</p></main></body></html>"
    with pytest.raises(ExtractionError, match="could not be converted .KeyError"):
        extract(page, "text/html; charset=utf-8", ("main",))
