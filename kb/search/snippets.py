"""Plain text of a section for the index and for snippets; snippets with ``<mark>``; the folded "same
wording" form."""

from __future__ import annotations

import functools
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


def _term_matches(term: Term, folded: str):
    """Spans ``(start, end)`` of :func:`_term_pattern`'s matches in ``folded``, as ``re.finditer`` with
    ``IGNORECASE`` finds them.

    Compiling that pattern costs milliseconds (its classes of letters leave out the CJK ranges), a new one
    for every query; so a word term is matched by a cheap pattern for each stem, letters and non-word runs
    taken greedily, as the full pattern can only match (a stem starts with a word character, and unless
    :func:`_matches_a_non_word` says otherwise no non-word character matches it case ignored; ``IGNORECASE``
    changes neither class: ``tests/test_search_snippets.py``)."""
    parts = _stem_patterns(fold(term.text)) if term.words else None
    if parts is None:
        for m in _compiled(_term_pattern(term)).finditer(folded):
            yield m.start(), m.end()
        return
    pos = 0
    while True:
        found = parts[0].search(folded, pos)
        if found is None:
            return
        start = found.start()
        if start and _LETTER_RE.match(folded, start - 1):  # (?<!letter)
            pos = start + 1
            continue
        end = _LETTERS_RE.match(folded, found.end())
        end = end.end() if end else found.end()
        for part in parts[1:]:
            gap = _NON_WORD_RE.match(folded, end)
            found = part.match(folded, gap.end()) if gap else None
            if found is None:
                break
            end = _LETTERS_RE.match(folded, found.end())
            end = end.end() if end else found.end()
        else:
            yield start, end
            pos = end
            continue
        pos = start + 1


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str):
    return re.compile(pattern, re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def _stem_patterns(text: str):
    """One ``IGNORECASE`` pattern per word of a word term (folded ``text``): its stem's start
    (:func:`_stem_prefix`); ``None`` when the term has no words or a stem that is not ASCII."""
    stems = [_stem_prefix(w) for w in re.findall(r"\w+", text)]
    if not stems or any(_matches_a_non_word(stem[0]) for stem in stems[1:]):
        return None
    return [re.compile(re.escape(stem), re.IGNORECASE) for stem in stems]


@functools.lru_cache(maxsize=1024)
def _matches_a_non_word(ch: str) -> bool:
    """Whether a non-word character matches ``ch`` with ``IGNORECASE`` (``re`` has U+0345, a combining mark,
    match Greek iota): a stem after the first starting with such a character could start inside the run of
    non-word characters before it, which :func:`_term_matches` takes greedily."""
    if ord(ch) > 0xFFFF:
        return True
    return re.search(re.escape(ch), _non_word_bmp(), re.IGNORECASE) is not None


@functools.lru_cache(maxsize=1)
def _non_word_bmp() -> str:
    """Every non-word character of the Basic Multilingual Plane."""
    return "".join(re.findall(r"\W", _folded_bmp()[0]))


def _matches(folded: str, terms: list[Term], start: int = 0, end: int | None = None):
    """Spans ``(start, end)`` of the terms' matches in ``folded``, in text order, not overlapping."""
    end = len(folded) if end is None else end
    spans = []
    for term in terms:
        for s, e in _term_matches(term, folded[:end]):
            if s >= start and e > s and _same_words(folded[s:e], term):
                spans.append((s, e))
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

    Only as much of the text is made plain and folded as the window needs (:func:`_snippet_text`): a
    section of a long page can be 100 KB, and a page of hits used to spend nearly all its time on the
    whole texts (issue 19). The snippet is the same as one cut from the whole text.

    :param markdown: the section text
    :param terms: the parsed query
    :param width: about how many characters to show
    """
    text, folded, spans = _snippet_text(markdown, terms, width)
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


#: characters of Markdown made plain first by :func:`_stretch` (then twice as many each time)
SNIPPET_CHUNK = 2048
#: Markdown read before the first place a match may start (:func:`_first_possible`), for the window's left side
SNIPPET_BEFORE = 512


def _snippet_text(markdown: str, terms: list[Term], width: int) -> tuple[str, str, list]:
    """A stretch of :func:`index_text` of ``markdown``, its folded form, and the matches in it, such that the
    snippet cut from it is the one cut from the whole text.

    :func:`pipeline.text.plain_text` is links first (over the whole text: a link may span lines), then
    line by line; so the linked text can be made plain a run of whole lines at a time (:func:`_stretch`).
    The stretch starts a few lines before the first place of the linked text where a match may start
    (:func:`_first_possible`: none starts before it), if that leaves room for the window's left side, else
    at the start.
    """
    linked = link_text(markdown)
    if "](" in linked and link_text(linked) != linked:  # plain_text would not read it line by line
        text = index_text(markdown)
        folded = fold(text)
        return text, folded, _matches(folded, terms)
    patterns = [_lead_pattern(term) for term in terms]
    first = _first_possible(linked, terms)
    if first is None:  # no match anywhere: the window is the text's start
        return _stretch(linked, 0, terms, patterns, width, matchless=True)
    begin = linked.rfind("\n", 0, max(0, first - SNIPPET_BEFORE)) + 1
    if begin:
        text, folded, spans = _stretch(linked, begin, terms, patterns, width)
        # the window's left side, and the look for a space before it, are in the stretch
        if spans and spans[0][0] > width // 3 + 21:
            return text, folded, spans
    return _stretch(linked, 0, terms, patterns, width)


def _stretch(linked: str, pos: int, terms: list[Term], patterns: list, width: int, matchless: bool = False):
    """:func:`index_text` of ``linked`` (its links made text already) from ``pos`` (a line's start), folded,
    and its matches, made plain a run of whole lines at a time until the stretch goes on past the window by
    more than any match of the terms could span (:func:`_no_match_spans`); then the matches that start in
    the window are those of the whole text. White space is collapsed piece by piece (a piece ends with a
    line break: no word spans two); :func:`fold` is one character for one. ``matchless``: the text has no
    match; the stretch ends after the window."""
    texts, folds, total, looked, size = [], [], 0, 0, SNIPPET_CHUNK
    while True:
        cut = linked.find("\n", pos + size)
        size *= 2
        cut = len(linked) if cut == -1 else cut + 1
        words = plain_text(linked[pos:cut]).split()
        pos = cut
        if words:
            piece = (" " if total else "") + " ".join(words)
            texts.append(piece)
            folds.append(fold(piece))
            total += len(piece)
        if matchless and (total > width or pos >= len(linked)):
            return "".join(texts), "".join(folds), []
        if matchless:
            continue
        folded = "".join(folds)
        if pos >= len(linked):
            return "".join(texts), folded, _matches(folded, terms)
        # a cheap look at the new piece (and a bit before: a match may span the cut) before the full one
        if not any(p.search(folded, max(0, looked - 1024)) for p in patterns):
            looked = total
            continue
        looked = total
        spans = _matches(folded, terms)
        # the window ends at most ``width`` after the first match (its start moves back, never on)
        if spans and len(folded) > spans[0][0] + width and _no_match_spans(folded[spans[0][0] + width:], terms):
            return "".join(texts), folded, spans


def _lead_pattern(term: Term):
    """A pattern every match of ``term`` holds (its first stem), cheap to compile."""
    parts = _stem_patterns(fold(term.text)) if term.words else None
    return parts[0] if parts else _compiled(_term_pattern(term))


def _first_possible(linked: str, terms: list[Term]) -> int | None:
    """An offset of ``linked`` before which no match of ``terms`` starts in its plain text (``None``: no match
    anywhere): the first place where the start of a term (its first word's stem, or its text) is found
    with the characters that fold to it, allowing the emphasis marks made plain drops (``*``, ``_``, `````)
    between them. A term whose start has other characters (white space, ``_``) gives 0."""
    first = None
    for term in terms:
        pattern = _raw_pattern(fold(term.text), bool(term.words))
        if pattern is None:
            return 0
        found = pattern.search(linked)
        if found and (first is None or found.start() < first):
            first = found.start()
    return first


@functools.lru_cache(maxsize=256)
def _raw_pattern(text: str, words: bool):
    lead = text
    if words:
        found = re.findall(r"\w+", text)
        lead = _stem_prefix(found[0]) if found else text
    if not lead or any(not re.match(r"\w", ch) or ch == "_" for ch in lead):
        return None
    return re.compile("[*_`]*".join(_fold_class(ch) for ch in lead))


@functools.lru_cache(maxsize=4096)
def _fold_class(ch: str) -> str:
    """A character class of the characters whose :func:`fold` matches ``ch`` with ``IGNORECASE`` (as
    ``re`` has it: ``İ`` and ``ı`` match ``i``, ``ſ`` matches ``s``, the Kelvin sign ``k``)."""
    chars, folded = _folded_bmp()
    found = {chars[m.start()] for m in re.finditer(re.escape(ch), folded, re.IGNORECASE)}
    found |= {c for c in (ch, ch.lower(), ch.upper(), ch.swapcase()) if len(c) == 1}
    return "[" + "".join(re.escape(c) for c in sorted(found)) + "]"


@functools.lru_cache(maxsize=1)
def _folded_bmp() -> tuple[str, str]:
    """Every character of the Basic Multilingual Plane (surrogates left out), and folded."""
    chars = "".join(chr(cp) for cp in range(0x10000) if not 0xD800 <= cp < 0xE000)
    return chars, fold(chars)  # one character for one


def _no_match_spans(tail: str, terms: list[Term]) -> bool:
    """Whether no match of ``terms`` (nor the regular expression's look at the next character) can cover all
    of ``tail``: a literal term's match has its own length; a word term's is runs of letters and of non-word
    characters in turn, one letter run per word (:func:`_term_pattern`), with no CJK character in it."""
    runs = None
    for term in terms:
        text = fold(term.text)
        words = re.findall(r"\w+", text) if term.words else []
        if not words:
            if len(tail) <= len(text) + 1:
                return False
            continue
        if any(_LETTERS_RE.fullmatch(_stem_prefix(w)) is None for w in words):
            return False  # a word with a CJK character: its match can hold one
        if runs is None:
            body = tail[:-1]
            runs = 2 * len(tail) if _CJK_WORD_RE.search(body) else len(_RUN_RE.findall(body))
        if runs - 1 <= 2 * len(words) + 2:
            return False
    return True


_LETTERS_RE = re.compile(f"{_LETTER}+")
_LETTER_RE = re.compile(_LETTER)
_NON_WORD_RE = re.compile(r"\W+")
_RUN_RE = re.compile(f"{_LETTER}+|\\W+")
_CJK_WORD_RE = re.compile(f"(?=\\w)[{CJK}]")


def normalized(text: str) -> str:
    """Text with case, width, white space and punctuation folded away (for "cosmetic only" checks)."""
    text = unicodedata.normalize("NFKC", link_text(text)).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))
