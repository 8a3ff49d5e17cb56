"""The cite check's shortcuts for long texts (issue 19: a check on a KB of long real pages spent its time keying
whole versions and searching every candidate wording for every term) give what the plain definitions give:

- a long text keyed a paragraph at a time, from cached paragraphs (``kb.cite.keytext._pieces_key``), is the
  KeyText of the whole text keyed at once (``_whole_key``): the same key, normalized text, runs and raw
  offsets, on the demo KB's versions, the corpus's and texts made to break the paragraph boundaries
  (combining marks, final sigma, Hangul jamo and NFD text at a boundary, characters whose NFKC form is
  longer, links whose title runs over a blank line, offsets that only cancel out over the whole text);
- the candidate versions of a quote, their words and pairs counted with versions dropping out early
  (``kb.cite.candidates._check_pool``), are those of every term looked for in every wording of every version.
"""

import glob
import random
import re
import sqlite3
from pathlib import Path

import pytest

import kb.cite.candidates as candidates
import kb.cite.keytext as keytext
from kb.cite import quote_shingles, quote_tokens
from pipeline.fold import spellings

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def same_keytext(text):
    """Assert that keying ``text`` by paragraphs gives the whole-text KeyText, maps included."""
    whole, pieces = keytext._whole_key(text), keytext.key_text(text)
    assert pieces.key == whole.key
    assert pieces.normalized == whole.normalized
    rng = random.Random(len(text))
    probes = [(0, 1), (len(whole.key) - 1, len(whole.key))] + [
        tuple(sorted(rng.sample(range(len(whole.key) + 1), 2))) for _ in range(30)] if len(whole.key) > 2 else []
    for ks, ke in probes:
        if ke > ks:
            assert pieces.raw_span(ks, ke) == whole.raw_span(ks, ke), (ks, ke)
    if whole.runs is not None:
        if pieces.segments is not None:  # looked up a paragraph at a time above; whole, the same runs
            pieces._flatten()
        assert (pieces.key_starts, pieces.runs) == (whole.key_starts, whole.runs)
    return whole


FRAGMENTS = [
    "The seller must ship within 3 days. ", "Refunds are issued to the original payment method.",
    "\n", "\n\n", "\n\n\n", "  ", "## 4.1 Returns\n\n", "- item one\n- item two\n",
    "café ", "cafe\u0301 ", "\n\n\u0301accent at a paragraph's start", "\u1100\n\n\u1161", "\u1100\u1161",
    "ΟΔΥΣΣΕΥΣ\n\nΣοφία ", "ΑΣ\n\n", "İstanbul ", "ﬁnal ", "Ⅳ ", "™ ", "… ", "½ ", "㎏ ", "\u2026\u2026",
    "申訴規則 ", "裏面 ", "２４時間 ", "，", "“quoted” ", "x\u0301 ", "\u0915\u093c ", "\u0b47\u0b3e ",
    "[the policy](https://example.com/p?a=(1)) ", "[t](https://example.com \"title\") ",
    "<span class=\"a\">tag</span> ", "<b\n>",
    "a_b __init__ ", "O'Neil ", "3.1. ", "Nr. 5 ", "e\u0301e\u0301e\u0301…",
]
#: links that may run over a blank line (the text is then keyed whole)
OPEN_LINKS = ["[open](https://example.com \"a title\n\nthat runs over a blank line\") after ",
              "[open](https://example.com\n\n\"title\") ", "[x](http://y \n\n"]


def test_key_text_by_paragraphs_equals_the_whole_text_on_made_texts():
    rng = random.Random(19)
    paths = set()
    for n in range(300):
        parts, size = [], rng.randrange(keytext.PIECES_FROM, 4 * keytext.PIECES_FROM)
        fragments = FRAGMENTS + (OPEN_LINKS if n % 5 == 0 else [])
        if n % 3 == 0:  # texts that hold no "™"-like character: keyed offset for offset
            fragments = [f for f in fragments if len(keytext._whole_key(f).raw) == len(keytext._normalized(f))]
        while sum(map(len, parts)) < size:
            parts.append(rng.choice(fragments))
        text = "".join(parts)
        whole = same_keytext(text)
        paths.add("words" if whole.runs is not None else "offsets")
        paths.add("by paragraphs" if keytext._pieces_key(text) is not None else "whole")
        same_keytext(text)  # again, from the cached paragraphs
    assert paths == {"words", "offsets", "by paragraphs", "whole"}  # every way of keying was exercised


def test_the_paragraph_cache_counts_what_it_holds():
    """The cache of keyed paragraphs is bounded by the weight it counts: paragraphs with a link or a tag (cached under
    their raw text, masked to another) and keyed word by word ("ﬁ", "İ") count their words' runs when they get
    them, so the count is the weight of what the cache holds and eviction keeps it under the budget."""
    rng = random.Random(7)
    words = ["seller", "ﬁnal", "İstanbul", "refund", "[policy](https://example.com/p)", "<b>days</b>", "within"]
    for n in range(60):
        paragraphs = [" ".join(rng.choice(words) + str(rng.randrange(10 ** 6)) for _ in range(40)) for _ in range(40)]
        text = "\n\n".join(paragraphs)
        key = keytext.key_text(text)
        key.raw_span(0, min(5, len(key.key)))  # a span: the word-by-word runs are made
    pieces = keytext._PIECES.values()
    assert keytext._PIECES.size == sum(keytext._weight(piece) for piece in pieces)
    assert any(piece._slow for piece in pieces if piece.masked != piece.raw)


def test_key_text_cancelling_offsets_and_open_links():
    """Paragraphs whose normalization changes their length only cancel out over the whole text (one "…" grows by
    two, two NFD letters shrink by one each); a link title over a blank line keys the text whole."""
    filler = "Sellers must answer within two days.\n\n" * 120
    for text in (filler + "wait… then\n\ncafe\u0301 and cre\u0301me\n\n" + filler,
                 filler + "[a](http://x \"one\n\ntwo\") end\n\n" + filler,
                 filler + "ΑΣ\n\nΣ\u0301x ™\n\n" + filler):
        same_keytext(text)


def test_key_text_by_paragraphs_on_the_demo_kb(demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    texts = [t for (t,) in conn.execute("select text_markdown from versions")]
    assert texts
    for text in texts:
        same_keytext(text * max(1, keytext.PIECES_FROM // max(1, len(text)) + 1))


@pytest.mark.skipif(not (CORPUS / "versions").is_dir(), reason="no ../shared/corpus/versions here")
def test_key_text_by_paragraphs_on_the_corpus():
    files = sorted(glob.glob(str(CORPUS / "versions/*/*/*.md")))[::4]
    long_ones = 0
    for f in files:
        text = Path(f).read_text(encoding="utf-8")
        long_ones += len(text) >= keytext.PIECES_FROM
        same_keytext(text)
    assert long_ones > 10


def plain_check_pool(conn, pool, tokens, shingles):
    """The candidates as defined: every term looked for in every section of every version, lower-cased."""
    scored = []
    for vrow in pool:
        (version_id, doc_id, seq) = conn.execute("select id, document_id, seq from versions where rowid = ?",
                                                 [vrow]).fetchone()
        texts = [(t or "").lower() for (t,) in conn.execute("select text_markdown from sections where version_id = ?",
                                                              [version_id])]
        has = [any(form in t for t in texts for form in spellings(term)) for term in tokens + shingles]
        scored.append((doc_id, seq, sum(has[:len(tokens)]), sum(has[len(tokens):])))
    top = max(s[2] for s in scored)
    need = len(tokens) if top == len(tokens) else max(1, len(tokens) - max(1, len(tokens) // 4))
    need_pairs = max(0, len(shingles) - max(4, len(shingles) // 3))
    out = {}
    for doc_id, seq, words, pairs in scored:
        if words >= need and pairs >= need_pairs:
            out.setdefault(doc_id, {})[seq] = (words, pairs)
    return out


def test_candidate_ranks_with_early_drop_out_equal_every_term_in_every_wording(demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    pool = [r for (r,) in conn.execute("select rowid from versions order by rowid desc")]
    sections = [t for (t,) in conn.execute("select text_markdown from sections where length(text_markdown) > 60 "
                                           "order by rowid")]
    rng = random.Random(7)
    quotes = []
    for text in rng.sample(sections, min(40, len(sections))):
        sentence = rng.choice([s for s in re.split(r"(?<=[.!?。])\s+", text) if len(s) > 20] or [text[:200]])
        words = sentence.split()
        quotes.append(sentence)
        if len(words) > 6:  # damaged: a word dropped, a word changed
            quotes.append(" ".join(words[:3] + words[4:]))
            quotes.append(" ".join(words[:-2] + ["zqxwords"] + words[-1:]))
    quotes += ["the seller shall pay the fees within thirty days of the invoice", "退货 申請 規則 卖家 必须"]
    kinds = set()
    for quote in quotes:
        tokens, shingles = quote_tokens(quote), quote_shingles(quote)
        if not tokens:
            continue
        candidates._LOWER.clear()
        expected = plain_check_pool(conn, pool, tokens, shingles)
        assert candidates._check_pool(conn, pool, None, tokens, shingles) == expected, quote
        assert candidates._check_pool(conn, pool, None, tokens, shingles) == expected, quote  # cached wordings
        kinds.add(bool(expected))
    assert kinds == {True, False}


def test_a_quote_of_common_words_is_found_where_they_stand_together(demo_kb, monkeypatch):
    """A quote whose every word and word pair is common (here: every word, ``PROBE_LIMIT`` 1) is looked for in the
    wordings that hold its words together, not in the newest versions that merely have them somewhere: with a
    pool of two versions (``MAX_CANDIDATES``, standing for the few hundred of a KB of 100,000 versions), every
    sentence of the demo's current sections is answered as with the default limits (before, the two newest
    versions with the words were the pool, and two of them were answered otherwise: "Policy warnings do not
    lower your Account Health Rating on their own, ..." among them)."""
    from kb.cite import cite

    conn = sqlite3.connect(demo_kb / "policykb.db")
    rows = conn.execute("select s.text_markdown from sections s join documents d on d.id = s.document_id "
                        "and s.version_id = d.current_version_id where length(s.text_markdown) > 80 "
                        "order by s.rowid").fetchall()
    quotes = [s.strip() for (text,) in rows for s in re.split(r"(?<=[.!?。])\s+", text)
              if 40 <= len(s.strip()) <= 300 and not s.lstrip().startswith(("#", "|", "-"))]
    assert len(quotes) >= 50

    def answers(quote):
        return [(a["status"], a["document"], a.get("section_key"), a.get("version_seq")) for a in cite(conn, quote)]

    expected = {q: answers(q) for q in quotes}
    monkeypatch.setattr(candidates, "PROBE_LIMIT", 1)
    monkeypatch.setattr(candidates, "MAX_CANDIDATES", 2)
    assert [q for q in quotes if answers(q) != expected[q]] == []
