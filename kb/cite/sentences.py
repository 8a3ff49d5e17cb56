"""Where a sentence ends: the cite check's one rule for a period, with Moses' non-breaking prefixes.

A period followed by white space ends a sentence unless (the rules of the Moses sentence splitter, whose
per-language lists of non-breaking prefixes ``sentence-splitter`` ships and :func:`prefixes` reads):

* the word before it is a non-breaking prefix of the document's language ("Inc.", "sog.", "bspw.", "z.B.");
* it is a numeric-only prefix ("Nr.", "Art.", "No.") and a number follows;
* it closes an upper-case acronym ("U.S.A.");
* or it closes a number and a lower-case word follows: an ordinal in running text ("az ÁSZF 8. pontja",
  "am 8. august"), not the end of a sentence.

``sentence-splitter`` itself is not called: it splits whole lines (about 600 ms for a 100 KB policy page) and
collapses white space, where the check needs raw offsets in a few milliseconds (``bench/cite_speed.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

#: the word before a period, Moses' way: letters, digits, dots and hyphens, then closing punctuation
_PREFIX_RE = re.compile(r"([\w.\-]*)([\"')\]%\u00bb\u2019\u201d]*)$")
_ACRONYM_RE = re.compile(r"\.[^\W\d_a-z]+$")  # "U.S.A" (the final period is the one being judged)
_NUMBER_RE = re.compile(r"\d[\d.]*")
#: opening punctuation and Markdown emphasis that may stand before the next sentence's first letter
_OPENING = "\"'([*_\u00ab\u201c\u201e\u2018\u00bf\u00a1"
DEFAULT, NUMERIC_ONLY = 1, 2


@lru_cache(maxsize=64)
def prefixes(lang: str | None) -> dict[str, int]:
    """The non-breaking prefixes of a language (``de``, ``pt-BR``): ``{prefix: DEFAULT | NUMERIC_ONLY}``,
    English's for a language without a list."""
    import sentence_splitter

    folder = Path(sentence_splitter.__file__).parent / "non_breaking_prefixes"
    code = re.split(r"[-_]", (lang or "en").lower())[0]
    path = folder / f"{code}.txt"
    if not path.is_file():
        path = folder / "en.txt"
    out: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            out[word] = NUMERIC_ONLY if "#NUMERIC_ONLY#" in line else DEFAULT
    return out


def next_visible(text: str, i: int) -> str:
    """The character after ``text[i]`` past spaces and opening quotes or brackets ("" at the end)."""
    k = i + 1
    while k < len(text) and text[k] in " \t\u00a0":
        k += 1
    while k < len(text) and text[k] in _OPENING:
        k += 1
    return text[k] if k < len(text) else ""


def period_ends_sentence(text: str, i: int, lang: str | None = "en") -> bool:
    """Whether the period at ``text[i]`` (followed by white space or the end) ends a sentence (see the module)."""
    nxt = next_visible(text, i)
    if not nxt or nxt in "\r\n":
        return True
    j = i
    while j > 0 and not text[j - 1].isspace():
        j -= 1
    word = text[j:i].lstrip(_OPENING)
    m = _PREFIX_RE.fullmatch(word)
    if not m or not m.group(1) or m.group(2):
        return True
    prefix = m.group(1)
    kind = prefixes(lang).get(prefix)
    if kind == DEFAULT:
        return False
    if kind == NUMERIC_ONLY and nxt.isdigit():
        return False
    if _ACRONYM_RE.search(prefix):
        return False
    if _NUMBER_RE.fullmatch(prefix) and nxt.islower():
        return False
    return True


#: candidate sentence ends within a line: ``.!?;`` (and ``:`` where asked) before white space, CJK ends
_ENDS_RE = re.compile(r"[.!?;](?=\s)|[。！？；]")
_ENDS_COLON_RE = re.compile(r"[.!?;:](?=\s)|[。！？；：]")


def line_sentences(line: str, lang: str | None = "en", colons: bool = False) -> list[tuple[int, int]]:
    """The sentences of one line as ``(start, end)`` offsets (white space between them left out); ``colons``:
    a colon before white space ends one too."""
    out, start = [], 0
    for m in (_ENDS_COLON_RE if colons else _ENDS_RE).finditer(line):
        if m.group() == "." and not period_ends_sentence(line, m.start(), lang):
            continue
        out.append((start, m.end()))
        start = m.end()
        while start < len(line) and line[start].isspace():
            start += 1
    if start < len(line):
        out.append((start, len(line)))
    return [(s, e) for s, e in out if e > s]
