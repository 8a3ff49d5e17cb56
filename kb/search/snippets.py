"""Plain text of a section for the index and for snippets; snippets with ``<mark>``; the folded "same
wording" form."""

from __future__ import annotations

import html
import re
import unicodedata

from kb.search.parse import CJK_CHAR, Term
from pipeline.fold import fold
from pipeline.text import link_text, plain_text


def index_text(markdown: str) -> str:
    """What the index holds of a section, and what snippets are cut from: its plain text
    (:func:`pipeline.text.plain_text`), white space collapsed."""
    return plain_text(markdown, collapse_space=True)


def indexed_text(markdown: str) -> str:
    """What the index holds of a section: its :func:`index_text`, folded (:func:`pipeline.fold.fold`), so
    that a query in Traditional Chinese finds Simplified text and back (queries are folded the same way)."""
    return fold(index_text(markdown))


def _term_pattern(term: Term) -> str:
    escaped = re.escape(fold(term.text))
    if term.short and not CJK_CHAR.search(term.text):
        return rf"(?<!\w){escaped}(?!\w)"  # short words match whole words, as the word index does
    return escaped


def snippet(markdown: str, terms: list[Term], width: int = 160) -> str:
    """A window of the text around the first match, HTML-escaped, with ``<mark>`` around every match.

    The only markup in the result is ``<mark>``: the text itself is escaped,
    so a snippet is safe to put in a page as it is.

    :param markdown: the section text
    :param terms: the parsed query
    :param width: about how many characters to show
    """
    text = index_text(markdown)
    folded = fold(text)  # one character for one: a match in the folded text is the same span of the text
    patterns = [_term_pattern(t) for t in terms]
    matcher = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None
    first = matcher.search(folded) if matcher else None
    start = 0
    if first:
        start = max(0, first.start() - width // 3)
        # do not cut a word of an alphabetic script in two
        if start and not CJK_CHAR.match(text[start]):
            space = text.rfind(" ", 0, start)
            start = space + 1 if space != -1 and start - space < 20 else start
    end = min(len(text), start + width)
    window = text[start:end]
    out, pos = [], 0
    for m in matcher.finditer(folded, start, end) if matcher else ():
        out.append(html.escape(window[pos:m.start() - start]))
        out.append(f"<mark>{html.escape(window[m.start() - start:m.end() - start])}</mark>")
        pos = m.end() - start
    out.append(html.escape(window[pos:]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def normalized(text: str) -> str:
    """Text with case, width, white space and punctuation folded away (for "cosmetic only" checks)."""
    text = unicodedata.normalize("NFKC", link_text(text)).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))
