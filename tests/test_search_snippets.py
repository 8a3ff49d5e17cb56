"""Snippets cut from a stretch of a section's text (issue 19: a page of hits on long sections spent nearly all
its time making whole texts plain) are the snippets cut from the whole text: checked against the whole-text
cut on the demo KB's sections and on texts made to break the shortcuts (matches far into a long text, links
and emphasis across words and lines, phrases across line breaks, Traditional and full-width spellings)."""

import html
import random
import re
import sqlite3

import pytest

import kb.search.snippets as snippets
from kb.search import index_text, parse_query, snippet
from kb.search.parse import CJK_CHAR
from pipeline.fold import fold

ALL_CHARS = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)


def whole_text_snippet(markdown, terms, width=160):
    """The snippet as cut from the whole text: every match of every term's full pattern, case ignored."""
    text = index_text(markdown)
    folded = fold(text)
    spans = []
    for term in terms:
        for m in re.finditer(snippets._term_pattern(term), folded, re.IGNORECASE):
            if m.end() > m.start() and snippets._same_words(m.group(0), term):
                spans.append((m.start(), m.end()))
    kept = []
    for span in sorted(spans):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    start = 0
    if kept:
        start = max(0, kept[0][0] - width // 3)
        if start and not CJK_CHAR.match(text[start]):
            space = text.rfind(" ", 0, start)
            start = space + 1 if space != -1 and start - space < 20 else start
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in kept:
        if s < start or e > end:
            continue
        out += [html.escape(text[pos:s]), f"<mark>{html.escape(text[s:e])}</mark>"]
        pos = e
    out.append(html.escape(text[pos:end]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def test_ignoring_case_changes_neither_class_the_shortcut_relies_on():
    for pattern in (snippets._LETTER, r"\W"):
        assert re.findall(pattern, ALL_CHARS, re.IGNORECASE) == re.findall(pattern, ALL_CHARS)


@pytest.mark.parametrize("query", ["modificare", "k", "s", "i", "申诉", "權", "ａ", "Ǆ", "ß", "σ"])
def test_the_raw_look_finds_every_character_that_folds_to_the_term(query):
    folded_all = fold(ALL_CHARS[:0x10000 - 0x800])  # the BMP without surrogates
    pattern = snippets._raw_pattern(fold(query), bool(parse_query(query)[0].words))
    lead = fold(query) if not parse_query(query)[0].words else snippets._stem_prefix(fold(query))
    classes = pattern.pattern.split("[*_`]*")
    assert len(classes) == len(lead)
    for ch, cls in zip(lead, classes):
        matching = {ALL_CHARS[m.start()] for m in re.finditer(re.escape(ch), folded_all, re.IGNORECASE)}
        assert all(re.fullmatch(cls, c) for c in matching), ch


def test_term_matches_are_the_full_patterns():
    rng = random.Random(5)
    pieces = ["rate", "rates", "Rating", "late", "shipment", "K", "ſ", "poli", "policy", "policies", "_x_", "**",
              " ", " ", "  ", ", ", "-", "é", "申诉", "x7", "ΣΑΣ", "ας", "\u0345", "ı", "İ", "ι", "Ι", "gründe",
              "GRÜNDE", "ü"]
    terms = parse_query('rate late policy "late shipment rate" s k x7 "rates policy" ας "ΣΑΣ ιας" "rate ι" '
                        'gründe "poli ſ"')
    for _ in range(300):
        text = fold("".join(rng.choice(pieces) for _ in range(rng.randint(5, 60))))
        for term in terms:
            expected = [(m.start(), m.end()) for m in
                        re.finditer(snippets._term_pattern(term), text, re.IGNORECASE)]
            assert list(snippets._term_matches(term, text)) == expected, (term, text)


WORDS = ("late shipment rate late rate seller policy rate Seller sellers policy policies modificare rate rates rated late shipment account **bold** _under_ "
         "`code` seller_id 申诉 申訴 侵权 ＡＰＰＥＡＬ appeal appeals Gründe καλή").split()
MARKUP = ["\n", "\n\n", "\n# ", "\n- ", "\n> ", "\n|---|---|\n", " [", "](https://x.example/a)", " [link\ntext](/y)",
          " [[in](a)](b) ", ' [t](/u "a\ntitle")', "**", " ", " ", " ", ". "]


def random_markdown(rng, length):
    out = []
    while sum(map(len, out)) < length:
        out.append(rng.choice(WORDS) if rng.random() < 0.7 else rng.choice(MARKUP))
        out.append(" ")
    return "".join(out)


@pytest.mark.parametrize("chunk,before", [(16, 8), (64, 64), (2048, 512)])
def test_snippets_of_made_texts_are_the_whole_texts(monkeypatch, chunk, before):
    monkeypatch.setattr(snippets, "SNIPPET_CHUNK", chunk)
    monkeypatch.setattr(snippets, "SNIPPET_BEFORE", before)
    rng = random.Random(chunk)
    queries = ["modificare", "rate", "late shipment", "申诉", "appeal", "seller", "policy rate", "gründe", "x",
               "Ｒate", "καλη", '"late shipment"', '"rate late"', '"policy rate seller"', 'rate "seller policy"']
    for n in range(150):
        filler = random_markdown(rng, rng.choice([50, 400, 5000]))
        words = [w for w in filler.split() if w.isalpha()]
        tail = random_markdown(rng, 300)
        text = filler + " " + tail if n % 3 else filler
        for query in queries + ([" ".join(rng.sample(words, 2))] if len(words) > 2 else []):
            terms = parse_query(query)
            if terms:
                assert snippet(text, terms) == whole_text_snippet(text, terms), (query, text)


def test_snippets_of_the_demo_kb_are_the_whole_texts(demo_kb, monkeypatch):
    monkeypatch.setattr(snippets, "SNIPPET_CHUNK", 64)
    monkeypatch.setattr(snippets, "SNIPPET_BEFORE", 32)
    conn = sqlite3.connect(f"file:{demo_kb / 'policykb.db'}?mode=ro", uri=True)
    texts = [t for (t,) in conn.execute("select text_markdown from sections where text_markdown is not null")]
    conn.close()
    rng = random.Random(3)
    checked = 0
    for text in rng.sample(texts, min(120, len(texts))):
        words = re.findall(r"[^\W\d_]{3,}", text)
        cjk = re.findall(r"[\u4e00-\u9fff]{2}", text)
        for query in rng.sample(words, min(2, len(words))) + rng.sample(cjk, min(2, len(cjk))):
            terms = parse_query(query)
            assert snippet(text, terms) == whole_text_snippet(text, terms), (query, text)
            checked += 1
    assert checked > 100


def test_a_phrase_across_the_stretch_end_hides_the_words_it_holds_as_in_the_whole_text(monkeypatch):
    # the phrase's match starts in the window and ends past it (so it is not marked), and hides the match of
    # "shipment" inside it: a stretch that ended at the line break would mark that "shipment"
    monkeypatch.setattr(snippets, "SNIPPET_CHUNK", 16)
    terms = parse_query('shipment "late shipment rate late rate seller"')
    for gap in range(100, 200, 2):
        text = "shipment " + "x" * gap + " late shipment rate late rate\nseller\n" + "more words here\n" * 40
        assert snippet(text, terms) == whole_text_snippet(text, terms), gap
