"""Diff two versions with diff-match-patch, at the level of words and phrases.

Two steps, each a diff-match-patch diff with no time limit
(``Diff_Timeout = 0``, so a diff never depends on how fast the machine is):

1. lines: each line is encoded as one character and the two sequences are
   diffed; unchanged lines anchor the diff, so an edit never spans an
   unchanged paragraph;
2. words: each block of changed lines is diffed again with each word (a run
   of letters or digits), each run of white space, each CJK character and
   each other character encoded as one character, followed by semantic
   cleanup, so the result reads as replaced words and phrases.

Diffing tokens instead of characters is what keeps a large rewrite fast:
the character-level diff of two real 41/48 KB versions of Reverb's terms
took 0.5-0.9 s in C++ (37 s in pure Python), the two-step diff takes a few
milliseconds (``bench/diff_speed.py``). Each step runs in the C++
implementation (``fast_diff_match_patch``) where it is installed, in the
pure-Python ``diff_match_patch`` otherwise; both give the same edits. The
stored form is diff-match-patch patch text (``patch_toText``), which either
implementation can apply; :func:`patch_text` writes that same text directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

from pipeline.text import CJK, IDEOGRAPHS

try:
    import fast_diff_match_patch as _fast
except ImportError:  # pragma: no cover - the pure implementation serves
    _fast = None

IMPLEMENTATION = "fast_diff_match_patch (C++)" if _fast else "diff_match_patch (pure Python)"
_OPS = {"=": 0, "-": -1, "+": 1}
#: A word diff's tokens: a run of letters and digits, a run of white space, or one other character (each CJK
#: letter is its own token: a CJK text has no spaces between words).
TOKEN_RE = re.compile(rf"[^\W{CJK}]+|\s+|.", re.DOTALL)
#: The same, with a run of Chinese characters kept whole, for :func:`display_tokens` to cut into words.
_DISPLAY_RE = re.compile(rf"([{IDEOGRAPHS}]{{2,}})|[^\W{CJK}]+|\s+|.", re.DOTALL)


def display_tokens(text: str) -> list[str]:
    """Tokens for a redline that a reader reads: as :data:`TOKEN_RE`, except that a run of Chinese
    characters is cut into words by jieba's segmenter (``rjieba``, the binding of jieba-rs: the same
    dictionary, about 50 times faster than the Python jieba and no start-up cost), so a redline shows
    ``[-短信-]{+站内信+}``, not ``短[-信-]``-style pieces of words. Digits are never part of a Chinese
    word here (``7个自然日`` is ``7`` + ``个`` + ...), so a changed number always shows.

    Stored diffs (:func:`diff`) keep :data:`TOKEN_RE`'s one character per token: what a change *is*
    does not depend on a dictionary; only how it is shown does.
    """
    import rjieba

    out = []
    for m in _DISPLAY_RE.finditer(text):
        if m.group(1):
            out.extend(rjieba.cut(m.group(1)))
        else:
            out.append(m.group(0))
    return out


def _dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    return dmp


@dataclass
class Diff:
    """A diff: ``ops`` are ``(op, text)`` with op -1 delete, 0 equal, 1 insert."""

    ops: list
    patch: str
    chars_added: int
    chars_removed: int


class _Codec:
    """Encodes tokens (lines or words) as single characters, skipping the surrogate range: the n-th distinct token
    (from 1, in order of first appearance) is ``chr(n)``, or ``chr(n + 0x800)`` from 0xD800 on. The code points
    matter, not only their equality: diff-match-patch's semantic cleanup looks at whether a code is a letter, a
    space or a line break."""

    def __init__(self):
        self.codes: dict[str, str] = {}
        #: the token of each code point (None at 0 and in the surrogate range), so decoding is a lookup in C; its
        #: length is the next code point
        self.by_ord: list = [None]

    def encode(self, tokens: list[str]) -> str:  # a list: read twice
        codes, by_ord = self.codes, self.by_ord
        new = [token for token in dict.fromkeys(tokens) if token not in codes]
        n = len(by_ord)
        if n + len(new) <= 0xD800:  # no code reaches the surrogate range: the codes made and stored in C
            codes.update(zip(new, map(chr, range(n, n + len(new)))))
            by_ord += new
        else:
            for token in new:
                if len(by_ord) == 0xD800:
                    by_ord += [None] * 0x800  # no code in the surrogate range
                codes[token] = chr(len(by_ord))
                by_ord.append(token)
        return "".join(map(codes.__getitem__, tokens))

    def decode(self, encoded: str) -> str:
        return "".join(map(self.by_ord.__getitem__, map(ord, encoded)))


def _raw_diff(a: str, b: str, fast: bool, semantic: bool) -> list[tuple[int, str]]:
    if fast:
        return [(_OPS[op], text) for op, text in
                _fast.diff(a, b, timelimit=0, checklines=False, cleanup="Semantic" if semantic else "No",
                           counts_only=False)]
    dmp = _dmp()
    ops = dmp.diff_main(a, b, False)
    if semantic:
        dmp.diff_cleanupSemantic(ops)
    return [tuple(op) for op in ops]


def minimal_diff(a: str, b: str, use_fast: bool | None = None) -> list[tuple[int, str]]:
    """A minimal character diff of ``a`` against ``b``: ``[(op, text)]``, op -1 delete, 0 equal, 1 insert.

    Myers' diff with no time limit and no cleanup (so every alignment is kept,
    for callers that map offsets through it or measure matching blocks).

    :param use_fast: force the C++ (True) or the pure-Python (False) implementation
    """
    return _raw_diff(a, b, bool(_fast) if use_fast is None else use_fast, semantic=False)


def word_diff_minimal(old: str, new: str, use_fast: bool | None = None) -> list[tuple[int, str]]:
    """A minimal word diff (tokens as in :func:`diff_ops`: words, white space runs, CJK characters,
    other characters), without line anchoring or cleanup: it maps a passage onto the one that replaced
    it word for word.

    :param use_fast: force the C++ (True) or the pure-Python (False) implementation
    """
    codec = _Codec()
    a, b = codec.encode(TOKEN_RE.findall(old or "")), codec.encode(TOKEN_RE.findall(new or ""))
    return [(op, codec.decode(text)) for op, text in minimal_diff(a, b, use_fast)]


#: Below this share of words in common, a changed block is a replacement, not a list of edits.
MIN_SHARED_WORDS = 0.2


def _word_diff(old: str, new: str, fast: bool, tokens=TOKEN_RE.findall) -> list[tuple[int, str]]:
    from collections import Counter

    old_tokens, new_tokens = tokens(old), tokens(new)
    if len(old_tokens) > 200 and len(new_tokens) > 200:
        # two unrelated texts (a page now in another language) are the worst case of the edit-distance
        # search (seconds for 40 KB) and a word diff of them says nothing: one replacement
        a_words = Counter(t for t in old_tokens if len(t) > 2 and t.isalpha())
        b_words = Counter(t for t in new_tokens if len(t) > 2 and t.isalpha())
        shared = sum((a_words & b_words).values()) / max(1, sum(a_words.values()), sum(b_words.values()))
        if shared < MIN_SHARED_WORDS:
            return [(-1, old), (1, new)]
    codec = _Codec()
    a, b = codec.encode(old_tokens), codec.encode(new_tokens)
    return [(op, codec.decode(text)) for op, text in _raw_diff(a, b, fast, semantic=True)]


def diff_ops(old: str, new: str, use_fast: bool | None = None, display: bool = False,
             memo: dict | None = None) -> list[tuple[int, str]]:
    """Word/phrase-level edit script from ``old`` to ``new`` (anchored on unchanged lines, semantic cleanup).

    :param use_fast: force the C++ (True) or the pure-Python (False) implementation
    :param display: Chinese cut into words (:func:`display_tokens`), for a redline shown to a reader
    :param memo: a dict kept across calls with the same ``use_fast`` and ``display``: each block of changed
        lines' word diff, by its two texts (a pure function of them), so diffing a section and then the whole
        text it stands in diffs the block they share once
    """
    tokens = display_tokens if display else TOKEN_RE.findall
    fast = bool(_fast) if use_fast is None else use_fast
    codec = _Codec()
    a = codec.encode(old.splitlines(keepends=True))
    b = codec.encode(new.splitlines(keepends=True))
    out: list[tuple[int, str]] = []
    deleted, inserted = [], []

    def flush():
        removed, added = "".join(deleted), "".join(inserted)
        if removed and added:
            if memo is None:
                out.extend(_word_diff(removed, added, fast, tokens))
            else:
                key = (removed, added)
                ops = memo.get(key)
                if ops is None:
                    ops = memo[key] = _word_diff(removed, added, fast, tokens)
                out.extend(ops)
        elif removed:
            out.append((-1, removed))
        elif added:
            out.append((1, added))
        deleted.clear()
        inserted.clear()

    for op, text in _raw_diff(a, b, fast, semantic=False):
        text = codec.decode(text)
        if op == -1:
            deleted.append(text)
        elif op == 1:
            inserted.append(text)
        else:
            flush()
            out.append((0, text))
    flush()
    merged: list[tuple[int, str]] = []
    for op, text in out:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


class _Joined:
    """``new[:k2] + old[k1:]`` without building it: the text patch_make's rolling context sees.

    diff-match-patch's ``patch_make`` rebuilds that whole string at every edit
    (quadratic: 0.15 s for 1,462 edits on 160 KB); patch_addContext needs only
    slices of it and ``find``, which this view answers from the two texts in place
    (``str.find`` with bounds: no copy of either part).
    """

    __slots__ = ("new", "k2", "old", "k1", "length")

    def __init__(self, new, k2, old, k1):
        self.new, self.k2, self.old, self.k1 = new, k2, old, k1
        self.length = k2 + len(old) - k1

    def slice(self, start, stop):
        """``joined[start:stop]`` for ``0 <= start``, ``start <= stop`` (``stop`` may pass the end)."""
        k2 = self.k2
        if stop <= k2:
            return self.new[start:stop]
        if start >= k2:
            return self.old[self.k1 + start - k2: self.k1 + stop - k2]
        return self.new[start:k2] + self.old[self.k1: self.k1 + stop - k2]

    def find(self, pattern, start=0):
        """``joined.find(pattern, start)`` for ``0 <= start``."""
        k2, n = self.k2, len(pattern)
        if start < k2:
            i = self.new.find(pattern, start, k2)
            if i >= 0:
                return i
            at = max(start, k2 - n + 1)  # an occurrence across the join starts here or later
            if at < k2:
                j = (self.new[at:k2] + self.old[self.k1: self.k1 + n - 1]).find(pattern)
                if j >= 0:
                    return at + j
            start = k2
        k = self.old.find(pattern, self.k1 + start - k2)
        return k - self.k1 + k2 if k >= 0 else -1


#: the settings of :func:`_dmp`, which applies the patches (diff-match-patch's defaults): context added in steps of Patch_Margin, a pattern grown
#: while shorter than Match_MaxBits - 2 Patch_Margin.
_MARGIN, _MAX_BITS = _dmp().Patch_Margin, _dmp().Match_MaxBits
#: What ``patch_toText`` leaves unescaped: urllib's always-safe characters and diff-match-patch's own safe list.
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_.\-~!*'();/?:@&=+$,# ]+")


def _escape(match) -> str:
    return "%" + match.group().encode("utf-8").hex("%").upper()


def _add_context(patch: list, text: _Joined) -> None:
    """diff-match-patch's ``patch_addContext`` on ``[start1, start2, length1, length2, diffs]``: the same context.

    The pattern ``text[lo:hi]`` stands at ``lo``, so it is not unique exactly when its first occurrence is
    before ``lo`` or another follows: one pass of ``find`` instead of ``find`` and ``rfind`` over the whole text;
    and a pattern grown to its limit is not looked for (diff-match-patch looks, then stops for the length).
    """
    if text.length == 0:
        return
    start1, start2, length1, length2, diffs = patch
    padding, lo, hi = 0, start2, start2 + length1
    pattern = text.slice(lo, hi)
    while (_MAX_BITS == 0 or len(pattern) < _MAX_BITS - 2 * _MARGIN) and (
            text.find(pattern) < lo or text.find(pattern, lo + 1) >= 0):
        padding += _MARGIN
        lo, hi = max(0, start2 - padding), start2 + length1 + padding
        pattern = text.slice(lo, hi)
    padding += _MARGIN
    prefix = text.slice(max(0, start2 - padding), start2)
    if prefix:
        diffs.insert(0, (0, prefix))
    suffix = text.slice(start2 + length1, start2 + length1 + padding)
    if suffix:
        diffs.append((0, suffix))
    patch[0] -= len(prefix)
    patch[1] -= len(prefix)
    patch[2] += len(prefix) + len(suffix)
    patch[3] += len(prefix) + len(suffix)


def _patches(old: str, new: str, ops) -> list[list]:
    """diff-match-patch's ``patch_make(old, ops)`` as ``[start1, start2, length1, length2, diffs]`` lists, the
    same patches, in linear time (see :class:`_Joined`)."""
    patches, patch = [], [0, 0, 0, 0, []]
    count1 = count2 = orig1 = 0  # positions in the rolling text, the new text, and the old text
    pre = (0, 0)  # the rolling text at the start of the current patch: new[:pre[0]] + old[pre[1]:]
    margin = 2 * _MARGIN
    last = len(ops) - 1
    for x, (op, text) in enumerate(ops):
        diffs = patch[4]
        if not diffs and op != 0:
            patch[0], patch[1] = count1, count2
        if op == 1:
            diffs.append((op, text))
            patch[3] += len(text)
        elif op == -1:
            patch[2] += len(text)
            diffs.append((op, text))
        elif len(text) <= margin and diffs and x != last:
            diffs.append((op, text))
            patch[2] += len(text)
            patch[3] += len(text)
        if op == 0 and len(text) >= margin and diffs:
            _add_context(patch, _Joined(new, pre[0], old, pre[1]))
            patches.append(patch)
            patch = [0, 0, 0, 0, []]
            pre = (count2, orig1)
            count1 = count2
        if op != 1:
            count1 += len(text)
            orig1 += len(text)
        if op != -1:
            count2 += len(text)
    if patch[4]:
        _add_context(patch, _Joined(new, pre[0], old, pre[1]))
        patches.append(patch)
    return patches


def _coords(start: int, length: int) -> str:
    return f"{start},0" if length == 0 else str(start + 1) if length == 1 else f"{start + 1},{length}"


def patch_text(old: str, new: str, ops) -> str:
    """``patch_toText(patch_make(old, ops))`` of diff-match-patch, the same text, built directly: its patches
    (:func:`_patches`, in linear time) written as GNU diff hunks with the body %-escaped as ``patch_toText``
    escapes it (UTF-8, upper-case hex; letters, digits and ``_.-~!*'();/?:@&=+$,#`` and space kept)."""
    out = []
    for start1, start2, length1, length2, diffs in _patches(old, new, ops):
        out.append(f"@@ -{_coords(start1, length1)} +{_coords(start2, length2)} @@\n")
        for op, data in diffs:
            out.append("+" if op == 1 else "-" if op == -1 else " ")
            out.append(_UNSAFE_RE.sub(_escape, data))
            out.append("\n")
    return "".join(out)


def diff(old: str, new: str, use_fast: bool | None = None, memo: dict | None = None) -> Diff:
    """Diff two texts; the patch text applies to ``old`` to give ``new``.

    :param old: the earlier text
    :param new: the later text
    :param use_fast: force the C++ (True) or the pure-Python (False) implementation
    :param memo: as :func:`diff_ops`' (the same ``use_fast`` in every call that shares it)
    """
    ops = diff_ops(old, new, use_fast, memo=memo)
    patch = patch_text(old, new, ops) if ops else ""
    added = sum(len(t) for op, t in ops if op == 1)
    removed = sum(len(t) for op, t in ops if op == -1)
    return Diff(ops=ops, patch=patch, chars_added=added, chars_removed=removed)


def apply_patch(old: str, patch: str) -> str:
    """Apply stored patch text to ``old``; raises ValueError if it does not apply cleanly."""
    dmp = _dmp()
    new, results = dmp.patch_apply(dmp.patch_fromText(patch), old)
    if not all(results):
        raise ValueError("patch does not apply cleanly")
    return new


#: Where a short redline's hunks join (:func:`text_excerpt`).
HUNK_BREAK = " ¶ "


_WORD_CHAR = re.compile(rf"[^\W{CJK}]")
_CJK_CHAR = re.compile(rf"[{CJK}]")
#: Where a Chinese or Japanese context may start or end when it has to be cut: after a punctuation mark.
_CJK_STOP = re.compile(r"[，。；：、！？]")


def _width(ch: str) -> int:
    """A character's width on the page: a CJK character is about two Latin letters wide."""
    return 2 if _CJK_CHAR.match(ch) else 1


def _lead(text: str, context: int) -> str:
    """The end of an unchanged run shown before a change: about ``context`` Latin letters' width, not
    starting mid-word."""
    cut, width = len(text), 0
    while cut > 0 and width + _width(text[cut - 1]) <= context:
        cut -= 1
        width += _width(text[cut])
    if cut == 0:
        return text
    if _WORD_CHAR.match(text[cut - 1]) and _WORD_CHAR.match(text[cut]):
        space = text.find(" ", cut)
        cut = space + 1 if 0 <= space < len(text) - 1 else cut
    elif _CJK_CHAR.match(text[cut - 1]) and _CJK_CHAR.match(text[cut]):
        stop = _CJK_STOP.search(text, cut)
        cut = stop.end() if stop and stop.end() < len(text) else cut
    return "…" + text[cut:]


def _tail(text: str, context: int) -> str:
    """The start of an unchanged run shown after a change: about ``context`` Latin letters' width, not
    ending mid-word."""
    cut, width = 0, 0
    while cut < len(text) and width + _width(text[cut]) <= context:
        width += _width(text[cut])
        cut += 1
    if cut == len(text):
        return text
    if _WORD_CHAR.match(text[cut - 1]) and _WORD_CHAR.match(text[cut]):
        space = text.rfind(" ", 0, cut)
        cut = space if space > 0 else cut
    elif _CJK_CHAR.match(text[cut - 1]) and _CJK_CHAR.match(text[cut]):
        stops = [m.end() for m in _CJK_STOP.finditer(text, 0, cut)]
        cut = stops[-1] if stops else cut
    return text[:cut] + "…"


def text_excerpt(old: str, new: str, limit: int = 400, context: int = 40) -> list[tuple[int, str]]:
    """A short redline of two texts for a reader: ``[(op, text)]`` (op -1 deleted, 0 context, 1 inserted), from the
    display diff (:func:`diff_ops` with ``display``: Chinese by words), each change with at most
    ``context`` characters of unchanged text either side, never cut inside a word, changes further apart
    joined by :data:`HUNK_BREAK`, at most ``limit`` characters of changed text."""
    ops = diff_ops(old or "", new or "", display=True)
    out: list[tuple[int, str]] = []
    shown = 0
    for i, (op, text) in enumerate(ops):
        if op == 0:
            first, last = i == 0, i == len(ops) - 1
            if first:
                out.append((0, _lead(text, context)))
            elif last:
                out.append((0, _tail(text, context)))
            elif sum(map(_width, text)) <= 2 * context + len(HUNK_BREAK):
                out.append((0, text))
            else:
                out += [(0, _tail(text, context)), (0, HUNK_BREAK), (0, _lead(text, context))]
            continue
        if shown >= limit:
            out.append((0, "…"))
            break
        room = limit - shown
        cut = text if len(text) <= room else text[:room] + "…"
        shown += len(cut)
        out.append((op, cut))
    return out
