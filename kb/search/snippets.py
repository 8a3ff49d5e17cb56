"""Plain text of a section for the index and for snippets; snippets with ``<mark>``; the folded "same
wording" form."""

from __future__ import annotations

import html
import os
import re
import unicodedata

from kb.search.parse import CJK_CHAR, Term
from pipeline.fold import fold
from pipeline.text import CJK, link_text, plain_text


def index_text(markdown: str) -> str:
    """What the index holds of a section, and what snippets are cut from: its plain text
    (:func:`pipeline.text.plain_text`), white space collapsed."""
    return plain_text(markdown, collapse_space=True)


def indexed_text(markdown: str) -> str:
    """What the index holds of a section: its :func:`index_text`, folded (:func:`pipeline.fold.fold`), so
    that a query in Traditional Chinese finds Simplified text and back (queries are folded the same way)."""
    return fold(index_text(markdown))


def _term_pattern(term: Term) -> str:
    """A regular expression over folded text for where ``term`` may match; words are checked again by
    :func:`_same_words` (the index stems them)."""
    text = fold(term.text)
    if not term.words:
        return re.escape(text)
    words = re.findall(r"\w+", text)
    if not words:
        return re.escape(text)
    # each word: from the start its stemmed forms share, to the end of the word ("poli" for "policy"); a
    # CJK character next to it ends the word too (the index cuts 7个 into 7 and 个)
    parts = [re.escape(_stem_prefix(w)) + f"{_LETTER}*" for w in words]
    return f"(?<!{_LETTER})" + r"\W+".join(parts) + f"(?!{_LETTER})"


def _stem_prefix(word: str) -> str:
    """The start that every word with ``word``'s stem has: the part shared with the stem, less its last
    letter when longer than three ("rat" for "rate": "rating" stems to "rate" too)."""
    shared = os.path.commonprefix([word, _stem(word)]) or word
    return shared[:-1] if len(shared) > 3 else shared


def _stem(word: str) -> str:
    """A word as the index's Porter stemmer has it (snowballstemmer's ``porter`` is the same algorithm)."""
    global _PORTER
    if _PORTER is None:
        import snowballstemmer

        _PORTER = snowballstemmer.stemmer("porter")
    return _PORTER.stemWord(word)


_PORTER = None
#: a letter or digit of a spaced script (not a CJK character)
_LETTER = f"[^\\W{CJK}]"


def _same_words(found: str, term: Term) -> bool:
    """A match of a word term is the term's words, stemmed ("rates" for "rate"; not "rated" for "rat")."""
    if not term.words:
        return True
    return [_stem(w) for w in re.findall(r"\w+", found)] == [_stem(w) for w in re.findall(r"\w+", fold(term.text))]


def _matches(folded: str, terms: list[Term], start: int = 0, end: int | None = None):
    """Spans ``(start, end)`` of the terms' matches in ``folded``, in text order, not overlapping."""
    end = len(folded) if end is None else end
    spans = []
    for term in terms:
        for m in re.finditer(_term_pattern(term), folded[:end], re.IGNORECASE):
            if m.start() >= start and m.end() > m.start() and _same_words(m.group(0), term):
                spans.append((m.start(), m.end()))
    spans.sort()
    out = []
    for span in spans:
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


def snippet(markdown: str, terms: list[Term], width: int = 160) -> str:
    """A window of the text around the first match, HTML-escaped, with ``<mark>`` around every match.

    The only markup in the result is ``<mark>``: the text itself is escaped,
    so a snippet is safe to put in a page as it is. Words of spaced scripts are
    marked whole, as the index matches them (stemmed); Chinese and Japanese
    anywhere.

    :param markdown: the section text
    :param terms: the parsed query
    :param width: about how many characters to show
    """
    text = index_text(markdown)
    folded = fold(text)  # one character for one: a match in the folded text is the same span of the text
    spans = _matches(folded, terms)
    start = 0
    if spans:
        start = max(0, spans[0][0] - width // 3)
        # do not cut a word of an alphabetic script in two
        if start and not CJK_CHAR.match(text[start]):
            space = text.rfind(" ", 0, start)
            start = space + 1 if space != -1 and start - space < 20 else start
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def normalized(text: str) -> str:
    """Text with case, width, white space and punctuation folded away (for "cosmetic only" checks)."""
    text = unicodedata.normalize("NFKC", link_text(text)).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))
