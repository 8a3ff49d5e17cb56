"""lxml elements → Markdown, the Markdown markdownify gives with policykb's options, without a BeautifulSoup tree.

The extraction (:mod:`pipeline.extract`) selects a page's policy elements in an lxml tree; markdownify converts only a
BeautifulSoup tree, and building that tree and walking it the way markdownify does cost two thirds of the extraction
(``bench/extract_check.py``, profile of ``policykb rebuild``). :func:`convert` walks the lxml elements themselves and
emits what :class:`markdownify.MarkdownConverter` (1.2.x, with :data:`OPTIONS` and ``<a>`` keeping the text of a link
that is not ``http(s):``, ``/`` or ``mailto:``) emits for the BeautifulSoup tree :func:`pipeline.extract._feed` builds
of the same elements, one per line: the same rules, ported one for one (markdownify's source is the specification;
its helpers ``chomp`` and ``strip_pre`` and its patterns are used as they are), over the same tree:

* text as BeautifulSoup holds it: a white-space-only string (ASCII white space) becomes one newline or one space,
  except inside ``<pre>`` or ``<textarea>``;
* the selected elements are children of one document, with a newline string between two of them (their tails and
  their page around them are not read): an ``<li>`` selected on its own is a ``-`` item, a ``<tr>`` the first row;
* element names are dispatched as markdownify dispatches them (lower-cased, ``convert_<name>`` with ``:``, ``-``,
  ``[`` and ``]`` as ``_``; ``h<digits>`` a heading; ``img`` stripped).

Where markdownify raises, this converts, on purpose (one hostile page stopped every build at its record): a
``<soup>`` element (the name of markdownify's entry point) is an element with no conversion of its own (its content,
as for an unknown tag), and an ``<ol start>`` numeral ``int`` cannot read ("五", "½") counts the list from 1, as a
browser does (:func:`_list_start`).

What it does not reproduce raises :class:`Unsupported`, and the caller converts that fragment with markdownify
instead: an element name whose markdownify method is not one ported here (a future markdownify's new tags), a node
that is not an element (lxml comments and processing instructions, which the extraction has cut out), and elements
nested deeper than :data:`MAX_DEPTH` (so a page deep enough to exhaust the stack fails the way markdownify's recursion
fails).

``tests/test_extract_markdown.py`` compares the two on generated HTML; ``bench/extract_check.py`` on the corpus pages.
"""

from __future__ import annotations

import re

from markdownify import (MarkdownConverter, chomp, re_all_whitespace, re_backtick_runs, re_html_heading,
                         re_make_convert_fn_name, strip_pre)

#: markdownify's options this converter reproduces (:func:`pipeline.extract._converter` converts with them too).
OPTIONS = {"heading_style": "ATX", "bullets": "-", "strip": ["img"], "escape_misc": False, "wrap": True,
           "wrap_width": None}
#: Deeper nesting than this (elements below the fragment's document) is left to markdownify.
MAX_DEPTH = 150
#: Element names whose meaning is kept (after that, a new name is worked out at each use).
MAX_NAMES = 10_000
#: ``<a href>`` starts that make a link; any other link (``javascript:``, ``data:``, a fragment) keeps its text only.
LINK_STARTS = ("http://", "https://", "/", "mailto:")

# what an element adds to the context (markdownify's ``parent_tags``) of what it holds
_PRE, _NOFORMAT, _INLINE, _LI, _KEEP = 1, 2, 4, 8, 16
#: markdownify's ``should_remove_whitespace_inside`` names (besides headings).
_BLOCK = frozenset({"p", "blockquote", "article", "div", "section", "ol", "ul", "li", "dl", "dt", "dd", "table",
                    "thead", "tbody", "tfoot", "tr", "td", "th"})
#: BeautifulSoup's ASCII white space (what it folds) and the tags inside which it does not fold it.
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
_KEEP_SPACES = ("pre", "textarea")
#: markdownify's ``re_all_whitespace`` (runs of ASCII white space, each made one space) matching only the runs that
#: are not already one space: the same result, without rewriting every space between two words.
_WHITE_SPACE = re.compile(r"[\t\r\n][\t \r\n]*| [\t \r\n]+")
_ws = _WHITE_SPACE.sub
assert re_all_whitespace.pattern == r"[\t \r\n]+", "markdownify's white space changed: see _WHITE_SPACE"


class Unsupported(Exception):
    """The fragment holds something :func:`convert` does not reproduce: convert it with markdownify."""


class _Document:
    """The fragment's document: the parent of the selected elements (markdownify's ``[document]``)."""

    tag = "[document]"

    def __init__(self, elements):
        self.elements = elements

    def get(self, name, default=None):
        return default

    def iter(self, *tags):
        for el in self.elements:
            yield from el.iter(*tags)


class _Name:
    """What an element name means to the conversion (computed once per name)."""

    __slots__ = ("handler", "adds", "inside", "outside")

    def __init__(self, handler, adds: int, inside: bool, outside: bool):
        self.handler, self.adds, self.inside, self.outside = handler, adds, inside, outside


def convert(elements) -> str:
    """The Markdown of ``elements`` (lxml elements, in page order, none inside another), as
    ``pipeline.extract.to_markdown`` gives it for the BeautifulSoup fragment holding them.

    :raises Unsupported: the fragment needs markdownify (see the module's docstring)
    """
    return _Converter(elements).document()


def _inline_markup(markup: str):
    """markdownify's ``abstract_inline_conversion`` (``<b>``, ``<em>``, ``<del>``, ``<sub>``...)."""

    def convert_inline(self, el, text, flags, parent, items, i, li_before):
        if flags & _NOFORMAT:
            return text
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        return prefix + markup + text + markup + suffix

    return convert_inline


class _Converter:
    """One conversion: the fragment's elements and the per-name table."""

    def __init__(self, elements):
        self.elements = list(elements)
        self.top = set(self.elements)
        self.doc = _Document(self.elements)

    def document(self) -> str:
        items = []
        for n, el in enumerate(self.elements):
            if el.tag.__class__ is not str:
                raise Unsupported(f"a {el.tag!r} node")
            if n:
                items.append("\n")
            items.append(el)
        text = self.children(self.doc, items, _names("[document]"), 0, 0)
        return text.strip("\n")  # markdownify's strip_document="strip"

    def element(self, el, flags, depth, parent, items, i, li_before) -> str:
        """markdownify's ``process_tag`` of ``el`` (``flags``: its ``parent_tags``)."""
        name = el.tag
        if depth > MAX_DEPTH:
            raise Unsupported("nested too deeply")
        info = _names(name)
        inner = flags | info.adds
        text = el.text
        if not len(el):  # no child (most elements: a page's paragraphs): its one string, as children() converts it
            text = _only_string(_folded(text, inner), info.inside, inner) if text else ""
        else:
            own = [_folded(text, inner)] if text else []
            for child in el:
                if child.tag.__class__ is not str:
                    raise Unsupported(f"a {child.tag!r} node")
                own.append(child)
                tail = child.tail
                if tail:
                    own.append(_folded(tail, inner))
            text = self.children(el, own, info, inner, depth)
        handler = info.handler
        if handler is None:
            return text
        return handler(self, el, text, flags, parent, items, i, li_before)

    def children(self, node, items, info, inner, depth) -> str:
        """The converted content of ``node``: markdownify's handling of its children (white space next to blocks
        dropped, strings collapsed and escaped, newlines between children collapsed to at most two)."""
        strings = []
        last = len(items) - 1
        inside = info.inside
        li_before = 0
        for i, item in enumerate(items):
            if item.__class__ is not str:
                s = self.element(item, inner, depth + 1, node, items, i, li_before)
                if item.tag == "li":
                    li_before += 1
                if s:
                    strings.append(s)
                continue
            prev = items[i - 1] if i else None
            nxt = items[i + 1] if i < last else None
            prev_out = prev is not None and prev.__class__ is not str and _names(prev.tag).outside
            next_out = nxt is not None and nxt.__class__ is not str and _names(nxt.tag).outside
            if not item.strip() and (inside and (prev is None or nxt is None) or prev_out or next_out):
                continue  # white space at a block's edge or next to a block
            text = item if inner & _PRE else _ws(" ", item)
            if not inner & _NOFORMAT:
                text = text.replace("*", r"\*").replace("_", r"\_")
            if prev_out or (inside and prev is None):
                text = text.lstrip(" \t\r\n")
            if next_out or (inside and nxt is None):
                text = text.rstrip()
            if text:
                strings.append(text)
        if inner & _PRE:
            return "".join(strings)  # inside <pre> newlines do not collapse
        return strings[0] if len(strings) == 1 else _collapse(strings)

    # -- markdownify's convert_<tag> functions, with this signature: (el, text, flags, parent, items, i, li_before)

    def convert_a(self, el, text, flags, *_):
        href = el.get("href") or ""
        if not href.lower().startswith(LINK_STARTS):
            return text
        if flags & _NOFORMAT:
            return text
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        title = el.get("title")
        if text.replace(r"\_", "_") == href and not title:  # autolinks
            return "<%s>" % href
        title_part = ' "%s"' % title.replace('"', r"\"") if title else ""
        return "%s[%s](%s%s)%s" % (prefix, text, href, title_part, suffix)

    def convert_blockquote(self, el, text, flags, *_):
        text = (text or "").strip(" \t\r\n")
        if flags & _INLINE:
            return " " + text + " "
        if not text:
            return "\n"
        return "\n" + "\n".join("> " + line if line else ">" for line in text.split("\n")) + "\n\n"

    def convert_br(self, el, text, flags, *_):
        if flags & _INLINE:
            return text + " " if text else " "
        return "  \n" + text

    def convert_code(self, el, text, flags, *_):
        if flags & _NOFORMAT:
            return text
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        ticks = max((len(run) for run in re_backtick_runs.findall(text)), default=0)
        delimiter = "`" * (ticks + 1)
        if ticks > 0:
            text = " " + text + " "
        return prefix + delimiter + text + delimiter + suffix

    def convert_div(self, el, text, flags, *_):
        if flags & _INLINE:
            return " " + text.strip() + " "
        text = text.strip()
        return "\n\n%s\n\n" % text if text else ""

    def convert_dd(self, el, text, flags, *_):
        text = (text or "").strip()
        if flags & _INLINE:
            return " " + text + " "
        if not text:
            return "\n"
        text = "\n".join("    " + line if line else "" for line in text.split("\n"))
        return ":" + text[1:] + "\n"

    def convert_dt(self, el, text, flags, *_):
        text = _ws(" ", (text or "").strip())
        if flags & _INLINE:
            return " " + text + " "
        if not text:
            return "\n"
        return "\n\n%s\n" % text

    def convert_heading(self, el, text, flags, *_):
        if flags & _INLINE:
            return text
        n = max(1, min(6, int(re_html_heading.match(el.tag.lower()).group(1))))
        return "\n\n%s %s\n\n" % ("#" * n, _ws(" ", text.strip()))

    def convert_hr(self, el, text, flags, *_):
        return "\n\n---\n\n"

    def convert_video(self, el, text, flags, *_):
        if flags & _INLINE:  # keep_inline_images_in is empty: no parent keeps it
            return text
        src = el.get("src") or ""
        if not src:
            source = next((s for s in el.iter("source") if s is not el and s.get("src") is not None), None)
            if source is not None:
                src = source.get("src") or ""
        poster = el.get("poster") or ""
        if src and poster:
            return "[![%s](%s)](%s)" % (text, poster, src)
        if src:
            return "[%s](%s)" % (text, src)
        if poster:
            return "![%s](%s)" % (text, poster)
        return text

    def convert_list(self, el, text, flags, parent, items, i, li_before):
        after = next((x for x in items[i + 1:] if x.__class__ is not str or x.strip()), None)
        before_paragraph = after is not None and (after.__class__ is str or after.tag not in ("ul", "ol"))
        if flags & _LI:
            return "\n" + text.rstrip()
        return "\n\n" + text + ("\n" if before_paragraph else "")

    def convert_li(self, el, text, flags, parent, items, i, li_before):
        text = (text or "").strip()
        if not text:
            return "\n"
        if parent.tag == "ol":
            start = _list_start(parent.get("start"))
            bullet = "%s. " % (start + li_before)
        else:
            bullet = OPTIONS["bullets"] + " "  # one bullet for every depth
        indent = " " * len(bullet)
        text = "\n".join(indent + line if line else "" for line in text.split("\n"))
        return bullet + text[len(bullet):] + "\n"

    def convert_p(self, el, text, flags, *_):
        if flags & _INLINE:
            return " " + text.strip(" \t\r\n") + " "
        text = text.strip(" \t\r\n")  # wrap=True with no width: no refilling
        return "\n\n%s\n\n" % text if text else ""

    def convert_pre(self, el, text, flags, *_):
        if not text:
            return ""
        return "\n\n```\n%s\n```\n\n" % strip_pre(text)

    def convert_q(self, el, text, flags, *_):
        return '"' + text + '"'

    def convert_script(self, el, text, flags, *_):
        return ""

    def convert_table(self, el, text, flags, *_):
        return "\n\n" + text.strip() + "\n\n"

    def convert_caption(self, el, text, flags, *_):
        return text.strip() + "\n\n"

    def convert_figcaption(self, el, text, flags, *_):
        return "\n\n" + text.strip() + "\n\n"

    def convert_td(self, el, text, flags, *_):
        return " " + text.strip().replace("\n", " ") + " |" * _colspan(el)

    def convert_tr(self, el, text, flags, parent, items, i, li_before):
        cells = [c for c in el.iter("td", "th") if c is not el]
        first = not any(x.__class__ is not str for x in items[:i])
        parent_name = parent.tag
        head = all(c.tag == "th" for c in cells) or (
            parent_name == "thead" and sum(1 for t in parent.iter("tr") if t is not parent) == 1)
        missing = first and (parent_name != "tbody" or not self.has_thead(self.parent_of(parent)))
        width = sum(_colspan(c) for c in cells)
        overline = underline = ""
        if head and first:
            underline = "| " + " | ".join(["---"] * width) + " |" + "\n"
        elif missing or (first and (parent_name == "table" or (parent_name == "tbody"
                                                               and self.previous_element(parent) is None))):
            overline = "| " + " | ".join([""] * width) + " |" + "\n"
            overline += "| " + " | ".join(["---"] * width) + " |" + "\n"
        return overline + "|" + text + "\n" + underline

    def convert_document(self, el, text, flags, *_):
        return text.strip("\n")

    # -- the fragment's tree as BeautifulSoup would have it

    def parent_of(self, el):
        return self.doc if el in self.top else el.getparent()

    def previous_element(self, el):
        if el is self.doc:
            return None
        if el in self.top:
            n = self.elements.index(el)
            return self.elements[n - 1] if n else None
        return el.getprevious()

    @staticmethod
    def has_thead(node) -> bool:
        return any(t is not node for t in node.iter("thead"))


def _colspan(cell) -> int:
    colspan = cell.get("colspan")
    if colspan is not None and colspan.isdigit():
        return max(1, min(1000, int(colspan)))
    return 1


def _folded(text: str, flags: int) -> str:
    """A string as BeautifulSoup's tree holds it (``endData``): white space only, one newline or one space."""
    if not flags & _KEEP and not text.strip(_ASCII_SPACES):
        return "\n" if "\n" in text else " "
    return text


def _only_string(item: str, inside: bool, inner: int) -> str:
    """What :meth:`_Converter.children` gives for a node whose one child is the string ``item`` (no element before or
    after it; ``inside``: white space at the node's edges is dropped; ``inner``: the node's context)."""
    if inside and not item.strip():
        return ""
    text = item if inner & _PRE else _ws(" ", item)
    if not inner & _NOFORMAT:
        text = text.replace("*", r"\*").replace("_", r"\_")
    if inside:
        text = text.lstrip(" \t\r\n").rstrip()
    return text


def _collapse(strings: list) -> str:
    """markdownify's join of a node's converted children: where one child ends with newlines and the next starts with
    some, they collapse to the larger count, at most two (a child that is only newlines ends with none)."""
    out = []
    trail = 0  # the newlines ending the previous child, the last item of ``out`` when not 0
    for s in strings:
        content = s.lstrip("\n") if s[0] == "\n" else s
        lead = len(s) - len(content)
        if lead:
            if trail:
                out[-1] = "\n" * min(2, max(trail, lead))
            else:
                out.append(s[:lead])
        if content[-1:] == "\n":
            stripped = content.rstrip("\n")
            out.append(stripped)
            out.append(content[len(stripped):])
            trail = len(content) - len(stripped)
        else:
            out.append(content)
            trail = 0
    return "".join(out)


def _list_start(value) -> int:
    """An ``<ol start>`` as markdownify reads it (a numeric string, else 1), except a numeral ``int`` cannot read
    ("五", "½", numeric to Python but no integer): markdownify raises ``ValueError`` and the page would not convert;
    here the list counts from 1, as a browser numbers it."""
    if value and str(value).isnumeric():
        try:
            return int(value)
        except ValueError:
            pass
    return 1


#: markdownify's entry point, which the tag name ``soup`` reaches (markdownify raises TypeError on ``<soup>``, so a
#: hostile page stopped a build): here an element with no conversion of its own (its content), as markdownify treats
#: an unknown tag and a browser shows it. Other names that reach an attribute that is no function (``<fn-cache>``,
#: its cache) are unknown tags to markdownify and here alike (:func:`_handler`).
_ENTRY_POINT = "convert_soup"

#: markdownify's conversion functions and the ones here that do what they do.
_PORTED = {
    "convert_a": "convert_a", "convert_b": "b", "convert_strong": "b", "convert_em": "em", "convert_i": "em",
    "convert_del": "del", "convert_s": "del", "convert_sub": "sub", "convert_sup": "sup",
    "convert_blockquote": "convert_blockquote", "convert_br": "convert_br", "convert_code": "convert_code",
    "convert_kbd": "convert_code", "convert_samp": "convert_code", "convert_div": "convert_div",
    "convert_article": "convert_div", "convert_section": "convert_div", "convert_dl": "convert_div",
    "convert_dd": "convert_dd", "convert_dt": "convert_dt", "convert_hr": "convert_hr",
    "convert_video": "convert_video", "convert_list": "convert_list", "convert_ul": "convert_list",
    "convert_ol": "convert_list", "convert_li": "convert_li", "convert_p": "convert_p", "convert_pre": "convert_pre",
    "convert_q": "convert_q", "convert_script": "convert_script", "convert_style": "convert_script",
    "convert_table": "convert_table", "convert_caption": "convert_caption", "convert_figcaption": "convert_figcaption",
    "convert_td": "convert_td", "convert_th": "convert_td", "convert_tr": "convert_tr",
    "convert__document_": "convert_document",
}
_INLINE_MARKUP = {"b": 2 * "*", "em": "*", "del": "~~", "sub": "", "sup": ""}  # strong_em_symbol "*", no sub/sup
_NAMES: dict[str, _Name] = {}


def _reference():
    """markdownify's converter with :data:`OPTIONS` (its methods say which names are which tags)."""
    return MarkdownConverter(**OPTIONS)


def _handler(name: str):
    """The conversion function of an element name, found the way markdownify's ``get_conv_fn`` finds it."""
    lower = name.lower()
    if lower in OPTIONS["strip"]:
        return None
    method = "convert_%s" % re_make_convert_fn_name.sub("_", lower)
    if method == "convert_a":
        return _Converter.convert_a  # policykb's own <a> (pipeline.extract._Converter)
    found = getattr(_REFERENCE, method, None)
    if method == _ENTRY_POINT or not callable(found):
        found = None
    if found is not None:
        ported = _PORTED.get(method)
        if ported is None:  # a method not ported here (a newer markdownify's tag), or no conversion at all
            raise Unsupported(f"<{name}> (markdownify's {method})")
        if ported in _INLINE_MARKUP:
            return _inline_markup(_INLINE_MARKUP[ported])
        return getattr(_Converter, ported)
    if re_html_heading.match(lower):
        return _Converter.convert_heading
    return None


def _names(name: str) -> _Name:
    info = _NAMES.get(name)
    if info is None:
        heading = re_html_heading.match(name) is not None
        inside = heading or name in _BLOCK
        adds = ((_PRE if name == "pre" else 0) | (_NOFORMAT if name in ("pre", "code", "kbd", "samp", "_noformat") else 0)
                | (_INLINE if heading or name in ("td", "th", "_inline") else 0) | (_LI if name == "li" else 0)
                | (_KEEP if name in _KEEP_SPACES else 0))
        info = _Name(_handler(name), adds, inside, inside or name == "pre")
        if len(_NAMES) < MAX_NAMES:  # a hostile page's made-up tag names do not grow the table for ever
            _NAMES[name] = info
    return info


def _check_options():
    """The options this module reproduces are the reference's (a markdownify default that changed would show)."""
    options = _REFERENCE.options
    expected = {"autolinks": True, "code_language": "", "code_language_callback": None, "convert": None,
                "default_title": False, "escape_asterisks": True, "escape_underscores": True,
                "keep_inline_images_in": [], "newline_style": "spaces", "strip_document": "strip",
                "strip_pre": "strip", "strong_em_symbol": "*", "sub_symbol": "", "sup_symbol": "",
                "table_infer_header": False, **OPTIONS}
    differ = {k: options.get(k) for k, v in expected.items() if options.get(k) != v}
    if differ:
        raise RuntimeError(f"markdownify's options are not the ones pipeline.tomarkdown reproduces: {differ}")


_REFERENCE = _reference()
_check_options()
