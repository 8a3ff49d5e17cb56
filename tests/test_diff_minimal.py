"""The minimal diffs of :mod:`pipeline.diff` that cite aligns and maps passages with."""

from pipeline.diff import minimal_diff, word_diff_minimal


def apply_ops(ops, side):
    return "".join(text for op, text in ops if op in (0, side))


def test_minimal_diff_keeps_every_alignment():
    ops = minimal_diff("sellersmustnotsell", "sellersmustsell")
    assert apply_ops(ops, -1) == "sellersmustnotsell" and apply_ops(ops, 1) == "sellersmustsell"
    assert ops == [(0, "sellersmust"), (-1, "not"), (0, "sell")]
    assert minimal_diff("abc", "abc", use_fast=False) == minimal_diff("abc", "abc", use_fast=True) == [(0, "abc")]


def test_word_diff_minimal_works_word_by_word():
    old, new = "Sellers must not sell 申诉规则 items.", "Sellers must sell 申诉规定 items now."
    for fast in (True, False):
        ops = word_diff_minimal(old, new, use_fast=fast)
        assert apply_ops(ops, -1) == old and apply_ops(ops, 1) == new
        assert ops == [(0, "Sellers must "), (-1, "not "), (0, "sell 申诉规"), (-1, "则"), (1, "定"), (0, " items"),
                       (1, " now"), (0, ".")]  # no semantic cleanup: each changed word on its own
