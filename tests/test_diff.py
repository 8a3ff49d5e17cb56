"""Short redlines for readers (:func:`pipeline.diff.text_excerpt`): the feeds' and the brief's; the stored patch text."""

import pytest


def test_short_redline_shows_whole_words_and_context_that_starts_and_ends_on_a_word():
    from pipeline.diff import HUNK_BREAK, text_excerpt

    filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 3
    ops = text_excerpt("Sellers must respond within 24 hours to every buyer message. " + filler + "Rate under 4%.",
                       "Sellers must reply within 48 hours to every buyer message. " + filler + "Rate under 3%.")
    assert (-1, "respond") in ops and (1, "reply") in ops and (-1, "24") in ops and (1, "48") in ops
    assert (0, HUNK_BREAK) in ops  # the far-apart changes are two hunks, the filler between them cut
    words = set(("Sellers must respond within 24 hours to every buyer message. " + filler).split())
    for op, text in ops:
        if op == 0 and text != HUNK_BREAK:
            for piece in text.strip("…").split():
                assert piece in words or piece in ("under", "Rate", "%."), piece  # no word cut in two
    zh = text_excerpt("卖家须通过短信通知买家，并在7个自然日内处理。", "卖家须通过站内信通知买家，并在5个自然日内处理。")
    assert (-1, "短信") in zh and (1, "站内信") in zh and (-1, "7") in zh and (1, "5") in zh


def test_short_redline_is_cut_at_its_limit():
    from pipeline.diff import text_excerpt

    ops = text_excerpt("", "x" * 1000, limit=100)
    assert sum(len(t) for op, t in ops if op) <= 101 and ops[0][1].endswith("…")


PAIRS = [("a b c", "a x c"), ("", "abc"), ("abc", ""), ("卖家可在30天内提出申诉。", "卖家可在15天内提出申诉，并提交视频材料。"),
         ("x " * 500 + "end", "x " * 200 + "y " + "x " * 299 + "END"), ("same\n" * 40 + "a", "same\n" * 40 + "b"),
         ("100% of fees [link](https://x.test/a?b=1&c=2#d) ~ {x} | é\tz\n" * 3,
          "90% of fees [link](https://x.test/a?b=3&c=2#d) ~ {y} | è\tz\n" * 3 + "`tail` \\ ^"),
         ("ab" * 30 + "Z" + "ab" * 30, "ab" * 30 + "Y" + "ab" * 31), ("\n\n\n", "\n\n"), ("😀 a", "😀 b"),
         # a context pattern found across the join of the new text's start and the old text's rest (a fuzzed pair)
         ("%-x y卖b\n家  b-éa家a+béx yx ysame\nx y家é%#%卖家x y+aébb~b\nbaaaa-@@+家%\nx y-@a +\na卖ébsame\n-x yba same\nbbb@same\n",
          "%-x y卖b\n家  b-éa家aa+éx yx ysa-me\nx y家é%#%卖家x +aébb~b\nbaaaa-@@+家%\nx y-@a\na卖ébsame\n-x yba same\nbbb@same\n")]


@pytest.mark.parametrize("old,new", PAIRS)
def test_patch_text_is_diff_match_patchs_patch_text(old, new):
    from diff_match_patch import diff_match_patch

    from pipeline.diff import diff_ops, patch_text

    dmp = diff_match_patch()
    ops = diff_ops(old, new)
    assert patch_text(old, new, ops) == dmp.patch_toText(dmp.patch_make(old, ops))


def test_a_memo_of_block_diffs_gives_the_diffs_without_it():
    from pipeline.diff import diff

    old = "\n\n".join(f"Clause {i}. Sellers ship order type {i} within {i % 5 + 1} days." for i in range(40))
    new = old.replace("within 3 days", "within 4 business days").replace("type 7 ", "class 7 ")
    memo = {}
    parts = [(old[:200], new[:200]), (old, new), (old[-300:], new[-300:]), (old, new)]
    for a, b in parts:
        assert diff(a, b, memo=memo) == diff(a, b)
    assert memo


def test_texts_of_more_distinct_lines_and_words_than_codes_below_the_surrogate_range_diff_whole():
    """Each distinct line (then word) of a diff is one code point, skipping the surrogates from the 55,296th on:
    a text with more distinct lines than that, and a changed line with more distinct words, come back whole, and
    the C++ and the Python diff-match-patch give the same diff of them."""
    from pipeline.diff import diff_ops

    lines = "\n".join(f"line {i} of the page" for i in range(60_000))
    words = " ".join("".join(chr(97 + i // 26 ** k % 26) for k in range(4)) for i in range(60_000))  # aaaa baaa ...
    pairs = [(lines, lines.replace("line 7 of", "line seven of").replace("line 59999 of", "line 59,999 of")),
             ("Intro\n" + words + "\nEnd", "Intro\n" + words.replace(" qtkd ", " changed ") + "\nEnd")]
    for old, new in pairs:
        ops = diff_ops(old, new)
        assert "".join(t for op, t in ops if op != 1) == old and "".join(t for op, t in ops if op != -1) == new
        assert ops == diff_ops(old, new, use_fast=False)
    assert (-1, "qtkd") in diff_ops(*pairs[1]) and (1, "changed") in diff_ops(*pairs[1])
