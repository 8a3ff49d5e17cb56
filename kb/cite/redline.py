"""Word diffs of passages: what replaced a passage in a later version, and redlines.

Every diff here is :mod:`pipeline.diff`'s (the project's one diff engine).
"""

from __future__ import annotations

from rapidfuzz import fuzz

from kb.cite.keytext import KeyText
from kb.cite.locate import Match
from pipeline.diff import diff_ops, word_diff_minimal


def replacement_span(old: KeyText, new: KeyText, match: Match, fine: bool = True,
                     evidence: dict | None = None) -> tuple[int, int]:
    """The raw span of ``new`` that replaced a match in ``old``.

    Only a window around the match is diffed: 40 key characters at some
    distance before and after it (300, then 3,000) are found again in the new
    text, and the text between these anchors is diffed (a whole document can
    take a second to diff when much of it was rewritten). Without anchors, the
    stretch of the new text most like the match's neighbourhood (rapidfuzz) is
    diffed instead.

    :param evidence: a dict that gets ``aligned``: True when the span is the match's position in a diff
        between unchanged anchors, False when it is only the most similar stretch
    """
    if evidence is not None:
        evidence["aligned"] = True
    anchor = 40
    for distance in (300, 3000):
        ls, rs = max(0, match.start - distance), min(len(old.key), match.end + distance)
        if ls == 0:
            old_lo, new_lo, at = 0, 0, 0
        else:
            left = old.key[max(0, ls - anchor):ls]
            at = new.key.find(left)
            if len(left) < anchor or at < 0:
                continue
            old_lo, new_lo = old.raw_end(ls), new.raw_end(at + len(left))
            at += len(left)
        if rs == len(old.key):
            old_hi, new_hi = len(old.raw), len(new.raw)
        else:
            right = old.key[rs:rs + anchor]
            to = new.key.find(right, at)
            if len(right) < anchor or to < 0:
                continue
            old_hi, new_hi = old.raw_start(rs), new.raw_start(to)
        if old_lo <= match.raw_start and match.raw_end <= old_hi and new_lo <= new_hi:
            break
    else:
        # No anchors: the neighbourhood was rewritten. Its most similar stretch of the new text stands in.
        if evidence is not None:
            evidence["aligned"] = False
        ls, rs = max(0, match.start - 300), min(len(old.key), match.end + 300)
        found = fuzz.partial_ratio_alignment(old.key[ls:rs], new.key, score_cutoff=50)
        if found is None:
            return 0, 0
        old_lo, old_hi = old.raw_start(ls), old.raw_end(rs)
        new_lo, new_hi = new.raw_start(found.dest_start), new.raw_end(max(found.dest_start + 1, found.dest_end))
    a, b = map_span(word_diff(old.raw[old_lo:old_hi], new.raw[new_lo:new_hi]),
                    match.raw_start - old_lo, match.raw_end - old_lo, fine=fine)
    return new_lo + a, new_lo + b


def _map_pos(ops, p: int, is_end: bool, fine: bool = False) -> int:
    """Where offset ``p`` of the old text lands in the new one (see :func:`map_span`)."""
    o = n = 0
    i = 0
    while i < len(ops):
        op, text = ops[i]
        size = len(text)
        if op == 0:
            if p < o + size or (is_end and p == o + size):
                return n + (p - o)
            o += size
            n += size
        elif op == -1:
            ins = ops[i + 1][1] if i + 1 < len(ops) and ops[i + 1][0] == 1 else ""
            if p < o + size or (is_end and p == o + size):
                if ins and not fine:  # inside a replaced block: map within it, word by word, without cleanup
                    return n + _map_pos(word_diff(text, ins, cleanup=False), p - o, is_end, fine=True)
                return n + len(ins) if is_end else n
            o += size
            if ins:
                n += len(ins)
                i += 1
        else:
            n += size
        i += 1
    return n


def map_span(ops, start: int, end: int, fine: bool = True) -> tuple[int, int]:
    """Map a span of the old text through a diff (``[(op, text)]``) to the span of the new text that replaced it.

    Within a replaced block (a deletion and the insertion after it), the
    offsets are mapped again through a word diff of the two without cleanup,
    so a sentence maps onto its successor and not onto the whole block
    (``fine=False``: onto the whole block).
    """
    new_start = _map_pos(ops, start, False, fine=not fine)
    return new_start, max(new_start, _map_pos(ops, end, True, fine=not fine))


def word_diff(old: str, new: str, cleanup: bool = True) -> list[tuple[int, str]]:
    """Diff two texts word by word: ``[(op, text)]``, op -1 delete, 0 equal, 1 insert.

    With ``cleanup`` (the default) this is :func:`pipeline.diff.diff_ops`, the
    KB's own diff: anchored on unchanged lines, words as units, semantic
    cleanup, so a redline reads as replaced words and phrases. Without, it is
    :func:`pipeline.diff.word_diff_minimal`: each word one unit, the minimal
    diff kept; it maps a passage onto the one that replaced it word for word
    (see :func:`map_span`).
    """
    if cleanup:
        return diff_ops(old or "", new or "", display=True)
    return word_diff_minimal(old or "", new or "")


def redline_ops(old: str, new: str) -> list[dict]:
    """Word-level redline of two passages: ``[{"op": "=" | "-" | "+", "text": ...}]``."""
    return [{"op": {0: "=", -1: "-", 1: "+"}[op], "text": t} for op, t in word_diff(old, new)]


def redline_text(ops: list[dict]) -> str:
    """A redline as plain text: ``[-deleted-]{+inserted+}``."""
    return "".join(o["text"] if o["op"] == "=" else (f"[-{o['text']}-]" if o["op"] == "-" else f"{{+{o['text']}+}}")
                   for o in ops)
