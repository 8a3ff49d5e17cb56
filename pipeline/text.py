"""Text helpers shared by every stage: the Unicode blocks of the scripts we treat specially, and Markdown → plain text.

Scripts are named by their Unicode blocks, each written once here as a
regular-expression range (``"\\u3040-\\u30ff"``) so that a character class is
built by naming blocks, never by copying code points::

    re.compile(f"[{KANA}{IDEOGRAPHS}]")

The groups below are the ones the stages need; each says who uses it.
"""

from __future__ import annotations

import re

# --- Unicode blocks (regex ranges) -------------------------------------------------

THAI = "\u0e00-\u0e7f"
LAO = "\u0e80-\u0eff"
KHMER = "\u1780-\u17ff"
HANGUL_JAMO = "\u1100-\u11ff"  # conjoining jamo (old-style Korean text)
CJK_PUNCTUATION = "\u3000-\u303f"  # CJK Symbols and Punctuation: 、。「」 and the ideographic space
KANA = "\u3040-\u30ff"  # Hiragana and Katakana
CJK_EXT_A = "\u3400-\u4dbf"  # CJK Unified Ideographs Extension A
CJK_UNIFIED = "\u4e00-\u9fff"  # CJK Unified Ideographs
HANGUL = "\uac00-\ud7af"  # Hangul Syllables
CJK_COMPATIBILITY = "\uf900-\ufaff"  # CJK Compatibility Ideographs
FULL_WIDTH = "\uff00-\uffef"  # Halfwidth and Fullwidth Forms: ，！（）Ａ１ and half-width katakana

# --- groups ------------------------------------------------------------------------

#: Han ideographs (Chinese characters, Japanese kanji, Korean hanja).
IDEOGRAPHS = CJK_EXT_A + CJK_UNIFIED + CJK_COMPATIBILITY
#: The letters of Chinese, Japanese and Korean: kana, ideographs, Hangul syllables. A word diff and the
#: search index cut these one character per token (a CJK text has no spaces between words).
CJK = KANA + IDEOGRAPHS + HANGUL
#: Scripts written without spaces between words: CJK plus Thai, Lao and Khmer (the glossary's
#: substring languages).
UNSPACED = THAI + LAO + KHMER + CJK
#: Where a line break inside a Chinese or Japanese paragraph needs no space when lines are joined:
#: kana, ideographs, CJK punctuation and full-width forms. Not Hangul: Korean puts spaces between words.
CJK_WIDE = CJK_PUNCTUATION + KANA + IDEOGRAPHS + FULL_WIDTH

CJK_RE = re.compile(f"[{CJK}]")


def is_cjk(ch: str) -> bool:
    """``ch`` is a Chinese, Japanese or Korean letter (kana, ideograph or Hangul syllable)."""
    return bool(CJK_RE.match(ch))


# --- Markdown → plain text -----------------------------------------------------------

#: A link or image: its text is kept, its target (with nested parentheses and a title) dropped.
_MD_LINK_RE = re.compile(r"!?\[([^\[\]]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_HEADING_RE = re.compile(r"^#{1,6}[ \t]+", re.M)
_MD_TABLE_RULE_RE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.M)
#: a list bullet or a quote mark at the start of a line
_MD_LINE_MARK_RE = re.compile(r"^[ \t]{0,3}(?:[-*+][ \t]+|>[ \t]?)", re.M)
#: emphasis and code marks: ** __ ` and a single * or _ that is not inside a word (seller_id keeps its _).
#: The lookahead only says what every alternative starts with; it lets the search skip to the next mark
#: (3× faster on a long page, the same matches)
_MD_NOISE_RE = re.compile(r"(?=[*_`])(?:\*\*+|__+|`+|(?<!\w)[*_]|[*_](?!\w))")


#: Bumped whenever :func:`plain_text`'s output changes, so that what was derived from it (the glossary's
#: evidence and drift) is recomputed by the next build. 2: list bullets and quote marks are dropped.
PLAIN_TEXT_VERSION = 2


def link_text(markdown: str) -> str:
    """Markdown links and images replaced by their text (``[Appeals](/help/appeals)`` → ``Appeals``)."""
    return _MD_LINK_RE.sub(r"\1", markdown or "")


def plain_text(markdown: str, collapse_space: bool = False, keep_links: bool = False) -> str:
    """Markdown → the words a reader sees: link targets, heading marks, list bullets, quote marks, table
    rules and emphasis removed. The glossary's evidence, section headings, the search index and the cite
    check's wording all read text through this one function.

    Without ``collapse_space`` the result keeps the text's lines and spaces, so that
    offsets into it (the glossary's evidence) stay meaningful line by line.

    :param collapse_space: also collapse every run of white space (line breaks included) to one space
    :param keep_links: keep links as Markdown links (``[text](target)``, untouched by the rest), for a page
        that renders them as links after sanitizing; images are still reduced to their text
    """
    links: list[str] = []
    if keep_links:
        def hold(m):
            if m.group(0).startswith("!"):
                return m.group(1)
            links.append("[" + _MD_NOISE_RE.sub("", m.group(1)) + "]" + m.group(0)[len(m.group(1)) + 2:])
            return f"\x00{len(links) - 1}\x00"
        text = _MD_LINK_RE.sub(hold, markdown or "")
    else:
        text = markdown or ""
        if "](" in text:
            text = link_text(text)
    # each pattern is run only on a text holding what every one of its matches holds (most sections have no
    # heading mark, table or list): the same text, without each line start tested (the plain form is
    # tests/test_build_speed_paths.py's)
    if "#" in text:
        text = _MD_HEADING_RE.sub("", text)
    if "---" in text:
        text = _MD_TABLE_RULE_RE.sub("", text)
    if "-" in text or "*" in text or "+" in text or ">" in text:
        text = _MD_LINE_MARK_RE.sub("", text)
    if "*" in text or "_" in text or "`" in text:
        text = _MD_NOISE_RE.sub("", text)
    if links:
        text = re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)
    return " ".join(text.split()) if collapse_space else text


class TranslateTable(dict):
    """A ``str.translate`` table that remembers the characters it leaves alone (mapped to themselves).

    ``str.translate`` looks every character up; a character missing from a plain dict raises ``KeyError``
    inside it, which costs far more than a hit (normalizing a long non-English page spent most of its time
    there). Filling misses with the character itself gives the same output, at the price of a hit.
    """

    def __missing__(self, code):
        self[code] = code
        return code
