"""Short redlines for readers (:func:`pipeline.diff.text_excerpt`): the feeds' and the brief's."""



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
