"""Where a quote stands in one text: exact find, else rapidfuzz windows aligned by a minimal diff.

Also :func:`sentence_bounds`, which widens a found span to whole sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from kb.cite.keytext import CJK_RE, KeyText
from kb.cite.sentences import next_visible, period_ends_sentence
from pipeline.diff import minimal_diff

SENTENCE_END = "。！？；!?;"
#: Digits (any script, full-width included) and Chinese numerals: a number the quote does not have exactly
#: is never a "dropped word" and never a match (``7`` vs ``17``, ``五`` vs ``十五``).
NUMERAL_RE = re.compile(r"[\d〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟]")


def _numerals(text: str) -> int:
    return len(NUMERAL_RE.findall(text))


def number_clash(raw: str, raw_start: int, raw_end: int, quote_key: str) -> tuple[int, int, int]:
    """Numerals of the text that run on from a number at either end of the matched span (a quote that
    ends in ``3`` matched in ``30-day``, or starts with ``5`` in ``15个``): ``(count, start, end)``, the
    span widened over them so that a redline of it shows the whole number (count 0: the ends are clean)."""
    start, end = raw_start, raw_end
    if quote_key and NUMERAL_RE.match(quote_key[0]):
        while start > 0 and NUMERAL_RE.match(raw[start - 1]):
            start -= 1
    if quote_key and NUMERAL_RE.match(quote_key[-1]):
        while end < len(raw) and NUMERAL_RE.match(raw[end]):
            end += 1
    return (raw_start - start) + (end - raw_end), start, end


@dataclass
class Match:
    """Where a quote stands in a text: key span, errors on each side, raw span."""

    start: int
    end: int
    q_err: int  # quote characters not in the text (changed words, typos)
    gaps: int  # text characters the quote skips (dropped words)
    raw_start: int
    raw_end: int
    omitted: list = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int]:
        return (self.q_err, self.gaps)

    @property
    def exact(self) -> bool:
        return self.q_err == 0


def gap_allowance(quote_key: str) -> int:
    """Text characters a quote may skip: a dropped word or two (German words run long; Chinese ones short)."""
    mostly_cjk = len(CJK_RE.findall(quote_key)) * 2 > len(quote_key)
    return max(6 if mostly_cjk else 16, len(quote_key) // 3)


def error_allowance(quote_key: str) -> int:
    """Quote characters that may be missing from a passage for it to count as the same passage."""
    return max(2, len(quote_key) // 12)


def align(a: str, b: str) -> list[tuple[int, int, int]]:
    """Matching blocks ``(i, j, size)`` of a minimal diff of ``a`` against ``b`` (no cleanup).

    :func:`pipeline.diff.minimal_diff` (Myers, the C++ binding where installed):
    its alignments are compact, where an LCS backtrace (rapidfuzz's ``editops``)
    may match a quote's first or last letters to stray letters far away.
    """
    ops = minimal_diff(a, b)
    blocks, i, j = [], 0, 0
    for op, text in ops:
        if op == 0:
            blocks.append((i, j, len(text)))
            i += len(text)
            j += len(text)
        elif op == -1:
            i += len(text)
        else:
            j += len(text)
    return blocks


def locate(quote_key: str, kt: KeyText) -> Match | None:
    """Best place of a quote (key form) in a text, or None if nothing is close.

    An exact find first; else the window rapidfuzz's ``partial_ratio_alignment``
    likes best and, when that is not a perfect fit, windows around each place
    where the quote's first or last 16 key characters occur (the same sentence
    can stand twice in a page, once with a changed word): each is aligned by
    :func:`_align_at`, the best kept.

    :param quote_key: the quote's key form (:func:`key_form`)
    :param kt: the text's :class:`KeyText`
    """
    n = len(quote_key)
    if not n or not kt.key:
        return None
    i = kt.key.find(quote_key)
    clashing = None
    while i >= 0:
        rs, re_ = kt.raw_span(i, i + n)
        clash, cs, ce = number_clash(kt.raw, rs, re_, quote_key)
        if not clash:
            return Match(i, i + n, 0, 0, rs, re_)
        clashing = clashing or Match(i, i + n, clash, 0, cs, ce)  # a number differs: not exact
        i = kt.key.find(quote_key, i + 1)
    if clashing is not None:
        return clashing
    allow_gap, allow_err = gap_allowance(quote_key), error_allowance(quote_key)
    cutoff = max(0.0, 100.0 * (1 - (allow_err + allow_gap) / max(n, 1)) - 5)
    found = fuzz.partial_ratio_alignment(quote_key, kt.key, score_cutoff=min(cutoff, 90.0))
    best = _align_at(quote_key, kt, found.dest_start, found.dest_end) if found else None
    if best is not None and best.q_err == 0:
        return best
    starts = set()
    for anchor, shift in ((quote_key[:16], 0), (quote_key[-16:], n - 16)):
        at = kt.key.find(anchor)
        while at >= 0 and len(starts) < 8:
            starts.add(max(0, at - shift))
            at = kt.key.find(anchor, at + 1)
    for start in sorted(starts):
        m = _align_at(quote_key, kt, start, min(len(kt.key), start + n))
        if m is not None and (best is None or m.score < best.score):
            best = m
    return best


def _align_at(quote_key: str, kt: KeyText, dest_start: int, dest_end: int) -> Match | None:
    """Align a quote with the text around ``[dest_start, dest_end)`` (key offsets), within the allowances."""
    n = len(quote_key)
    allow_gap, allow_err = gap_allowance(quote_key), error_allowance(quote_key)
    w0 = max(0, dest_start - allow_gap - 4)
    w1 = min(len(kt.key), dest_end + allow_gap + 4)
    window = kt.key[w0:w1]
    blocks = align(quote_key, window)
    if not blocks:
        return None
    blocks = _realign_ends(quote_key, window, blocks, allow_gap)

    def measure(bs):
        size = sum(b[2] for b in bs)
        return n - size, (bs[-1][1] + bs[-1][2] - bs[0][1]) - size

    q_err, gaps = measure(blocks)
    # Too much skipped text: drop stray one- or two-character matches at the ends (each costs a quote error).
    while gaps > allow_gap and len(blocks) > 1:
        head_gap = blocks[1][1] - (blocks[0][1] + blocks[0][2])
        tail_gap = blocks[-1][1] - (blocks[-2][1] + blocks[-2][2])
        if blocks[0][2] <= 2 and head_gap >= tail_gap:
            blocks.pop(0)
        elif blocks[-1][2] <= 2:
            blocks.pop()
        else:
            break
        q_err, gaps = measure(blocks)
    start, end = w0 + blocks[0][1], w0 + blocks[-1][1] + blocks[-1][2]
    if q_err > allow_err or gaps > allow_gap:
        return None
    rs, re_ = kt.raw_span(start, end)
    omitted = []
    if q_err == 0:
        for a, b in zip(blocks, blocks[1:]):
            gs, ge = w0 + a[1] + a[2], w0 + b[1]
            if ge - gs >= 2:
                omitted.append(kt.raw[kt.raw_start(gs):kt.raw_end(ge)].strip())
    # A skipped numeral is a different number, not a dropped word: it counts as an error of the quote.
    skipped_numerals = sum(_numerals(window[a[1] + a[2]:b[1]]) for a, b in zip(blocks, blocks[1:]))
    clash, rs, re_ = number_clash(kt.raw, rs, re_, quote_key)
    q_err += skipped_numerals + clash
    return Match(start, end, q_err, gaps, rs, re_, omitted if q_err == 0 else [])


def _realign_ends(quote_key: str, window: str, blocks: list, allow_gap: int) -> list[tuple[int, int, int]]:
    """The matching blocks with the quote's ends aligned again, close to the passage.

    A minimal diff may match the quote's first (or last) letters to stray letters before (after) the
    passage: align the part of the quote before the first solid block again on reversed strings, and
    the part after the last one forwards, so that each is matched as close to the passage as it can.
    """
    n = len(quote_key)
    solid = [i for i, b in enumerate(blocks) if b[2] >= 3] or [max(range(len(blocks)), key=lambda i: blocks[i][2])]
    (fa, fb, _), (la, lb, ls) = blocks[solid[0]], blocks[solid[-1]]
    prefix, suffix = [], []
    if fa:
        lo = max(0, fb - fa - allow_gap)
        seg = window[lo:fb]
        prefix = sorted((fa - a - size, lo + len(seg) - b - size, size)
                        for a, b, size in align(quote_key[:fa][::-1], seg[::-1]))
    if la + ls < n:
        hi = min(len(window), lb + ls + (n - la - ls) + allow_gap)
        suffix = [(la + ls + a, lb + ls + b, size) for a, b, size in align(quote_key[la + ls:], window[lb + ls:hi])]
    return [b for b in prefix + blocks[solid[0]:solid[-1] + 1] + suffix if b[2]]


def _at_sentence_edge(text: str, period: int) -> bool:
    """Whether ``text[period]`` is a period followed by white space and then an upper-case letter: a place a
    sentence may end even where the period is an abbreviation's ("Example Payments, Inc. Sellers …")."""
    return (period >= 0 and text[period:period + 1] == "." and text[period + 1:period + 2].isspace()
            and next_visible(text, period).isupper())


def sentence_bounds(text: str, start: int, end: int, limit: int = 600, lang: str | None = "en") -> tuple[int, int]:
    """Widen a raw span to whole sentences (or the line), at most ``limit`` characters each way. A period ends a
    sentence by :func:`kb.cite.sentences.period_ends_sentence` in the document's language ``lang`` ("Inc.",
    "sog." and the ordinal of "az ÁSZF 8. pontja" do not)."""
    s = start
    while s > 0 and start - s < limit:
        ch = text[s - 1]
        if ch == "\n" or ch in SENTENCE_END or (ch == "." and s < len(text) and text[s].isspace()
                                                 and period_ends_sentence(text, s - 1, lang)):
            break
        s -= 1
    e, far = end, limit
    # a span that ends at a sentence's edge ("… Example Payments, Inc." then "Sellers …") ends there, though the
    # period is an abbreviation's: a quote is not stretched over the next sentence (its start is widened as
    # usual: "Die sog. Händlerbedingungen …" quoted from "Händlerbedingungen" is one sentence)
    if _at_sentence_edge(text, end - 1) or _at_sentence_edge(text, end):
        e, far = (end + 1 if text[end:end + 1] == "." else end), 0  # (the period itself, when the span stops before it)
    while e < len(text) and e - end < far:
        ch = text[e]
        if ch == "\n":
            break
        e += 1
        if ch in SENTENCE_END or (ch == "." and (e >= len(text) or text[e].isspace())
                                  and period_ends_sentence(text, e - 1, lang)):
            break
    while s < e and text[s] in " \t#>|*-+":
        s += 1
    while e > s and text[e - 1] in " \t|":
        e -= 1
    return s, e
