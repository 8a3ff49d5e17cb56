"""Plain text of a section for the index and for snippets; snippets with ``<mark>``; the folded "same
wording" form."""

from __future__ import annotations

import html
import re
import unicodedata

from kb.search.parse import CJK_CHAR, Term

MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MD_MARKS = re.compile(r"(^|\n)\s{0,3}(#{1,6}\s+|[-*+]\s+|>\s?)|\*\*|__|`")


def plain_text(markdown: str) -> str:
    """Markdown → plain text for the index and snippets: link text kept, link targets, emphasis and heading
    marks dropped, white space collapsed."""
    text = markdown or ""
    if "](" in text:
        text = MD_LINK.sub(r"\1", text)
    if "#" in text or "*" in text or "_" in text or "`" in text or ">" in text or "- " in text or "+ " in text:
        text = MD_MARKS.sub(lambda m: m.group(1) or "", text)
    return " ".join(text.split())


def _term_pattern(term: Term) -> str:
    escaped = re.escape(term.text)
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
    text = plain_text(markdown)
    patterns = [_term_pattern(t) for t in terms]
    matcher = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None
    first = matcher.search(text) if matcher else None
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
    for m in matcher.finditer(window) if matcher else ():
        out.append(html.escape(window[pos:m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(html.escape(window[pos:]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def normalized(text: str) -> str:
    """Text with case, width, white space and punctuation folded away (for "cosmetic only" checks)."""
    text = unicodedata.normalize("NFKC", MD_LINK.sub(r"\1", text or "")).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))
