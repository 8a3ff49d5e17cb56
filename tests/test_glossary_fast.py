"""The glossary matcher's and evidence step's shortcuts give what their plain definitions give.

Each oracle below is the plain definition written out in the test (every token read with ``finditer``, every term
searched in every section, every word of a text visited): the fast code must agree with it on case-sensitive
terms, CJK, Thai, mixed scripts, terms at section edges, and on texts hypothesis makes up.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary import evidence
from glossary.evidence import Document, Section
from glossary.match import _TOKEN_RE, TokenIndex, _token_norm, plain_text, term_tokens, tokenize

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "versions"

TEXTS = [
    ("en", "Policy Warning: the ODR process. An odr request, a Policy warning and ODR again. ODR"),
    ("en", "ODR at the start; policies, policy and POLICY at the end: Policy"),
    ("en", "Seller Central and seller central; the Amazon Seller Central team. \"Buy Box\" and “Buy Box”."),
    ("en", "1. Account Health Rating\n2) Account Health\n- Account Health Rating Page\n# Heading Text Here"),
    ("zh", "二次申诉和申诉材料：提交申诉。申诉"),
    ("ja", "アカウント停止の申し立て。アカウント"),
    ("th", "นโยบายการคืนสินค้า นโยบาย ร้านค้า"),
    ("en", "Mixed 申诉 text with Thai นโยบาย and café, naïve Straße; ＡＢＣ full-width and ＯＤＲ"),
    ("de", "Die Richtlinie und die Richtlinien; Verkäuferkonto, VERKÄUFERKONTO"),
    ("en", ""),
    ("en", "   ...  —  !!! "),
]
TERMS = [("en", "ODR", True), ("en", "odr", False), ("en", "policy warning", False), ("en", "Policy", True),
         ("en", "seller central", False), ("en", "Seller Central", True), ("en", "account health rating", False),
         ("en", "account health", False), ("en", "buy box", False), ("zh", "申诉", False), ("zh", "申诉材料", False),
         ("ja", "アカウント", False), ("th", "นโยบาย", False), ("en", "申诉", False), ("en", "café", False),
         ("en", "ABC", True), ("de", "Richtlinie", False), ("de", "Verkäuferkonto", True), ("en", "", False),
         ("en", "ODR process", True), ("en", "at the end", False)]


def plain_tokens(text, language, case_sensitive=False):
    """Every token read with finditer and normalized one by one (the definition of :func:`tokenize`)."""
    return [(_token_norm(m.group(), language, case_sensitive), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def plain_find(tokens, seq):
    """Every position tried in turn, without overlaps (the definition of :meth:`TokenIndex.find`)."""
    norms, found, last_end = [t for t, _, _ in tokens], [], -1
    for i in range(len(norms)):
        if seq and i >= last_end and tuple(norms[i:i + len(seq)]) == seq:
            found.append((i, i + len(seq)))
            last_end = i + len(seq)
    return found


def check_index(text, language, case_sensitive, seqs):
    tokens = plain_tokens(text, language, case_sensitive)
    assert tokenize(text, language, case_sensitive) == tokens
    index = TokenIndex(text, language, case_sensitive)
    assert index.norms == [t for t, _, _ in tokens]
    assert index.tokens == tokens
    positions = {}
    for i, (norm, _, _) in enumerate(tokens):
        positions.setdefault(norm, []).append(i)
    for seq in seqs:
        expected = plain_find(tokens, seq)
        assert index.find(seq) == expected, seq
        if seq:
            assert index.find(seq, index.positions_of({seq[0]}).get(seq[0], [])) == expected, seq
        for a, b in expected:
            assert index.span(a, b) == (tokens[a][1], tokens[b - 1][2])
    assert index.positions_of(set(positions)) == positions
    for norm in positions:  # more look-ups than the list.index scans it keeps, so both ways are read
        assert index.occurrences(norm) == positions[norm]
    assert index.occurrences("\x01absent") == []
    assert index.positions == positions


def ngrams(text, language, case_sensitive):
    norms = [t for t, _, _ in plain_tokens(text, language, case_sensitive)]
    return {tuple(norms[i:i + n]) for n in (1, 2, 3) for i in range(len(norms) - n + 1)}


@pytest.mark.parametrize("language,text", TEXTS)
@pytest.mark.parametrize("case_sensitive", [False, True])
def test_token_index_matches_its_plain_definition(language, text, case_sensitive):
    seqs = ngrams(text, language, case_sensitive) | {
        term_tokens(term, language, cs) for _, term, cs in TERMS} | {(), ("\x01absent",)}
    check_index(text, language, case_sensitive, seqs)


def test_term_tokens_are_the_tokens_of_the_term():
    for language, term, cs in TERMS:
        assert term_tokens(term, language, cs) == tuple(t for t, _, _ in plain_tokens(term, language, cs))
    # the case rule tells ODR from odr, and a memoized answer is not shared between the two rules
    assert term_tokens("ODR", "en", True) != term_tokens("odr", "en", True)
    assert term_tokens("ODR", "en", False) == term_tokens("odr", "en", False)


SCRIPT_TEXT = st.text(alphabet=st.sampled_from(list("aAbBoOdDrR éÉ.,:;-'\n\t\"“”12申诉材料นโยบายアカウ")), max_size=80)


@settings(max_examples=150, deadline=None)
@given(SCRIPT_TEXT, st.sampled_from(["en", "zh", "th", "de"]), st.booleans())
def test_token_index_matches_on_made_up_texts(text, language, case_sensitive):
    check_index(text, language, case_sensitive, ngrams(text, language, case_sensitive) | {("\x01absent",)})


# --- evidence: many terms at once, section by section ----------------------------------------------------------

def documents(texts):
    """Documents of several sections each; the sections are cut from the texts so that terms sit at their edges."""
    docs = []
    for n, (language, text) in enumerate(texts):
        cut = [0, len(text) // 3, len(text) // 2, len(text)]
        sections = [Section(f"v{n}#s{i}", f"s{i}", f"H{i}", text[a:b]) for i, (a, b) in enumerate(zip(cut, cut[1:]))]
        sections.append(Section(f"v{n}#whole", "whole", "", text))
        docs.append(Document(f"doc-{n}", "p", f"title {n}", language, f"v{n}", sections))
    return docs


def term_rows():
    return [{"id": f"t{i}", "language": language, "term": term, "case_sensitive": int(cs)}
            for i, (language, term, cs) in enumerate(TERMS)]


def test_evidence_of_many_terms_matches_each_term_searched_alone():
    docs = documents(TEXTS + [("en", "Policy"), ("en", "ODR"), ("zh", "申诉"), ("th", "นโยบาย")])
    terms = term_rows()
    plain = list(itertools.chain.from_iterable(evidence._term_evidence(t, docs) for t in terms))
    assert plain, "the fixture has evidence"
    assert evidence._terms_evidence(terms, docs) == plain
    assert {r["term_id"] for r in plain} >= {"t0", "t3", "t9", "t12", "t14", "t16", "t17"}


@settings(max_examples=60, deadline=None)
@given(st.lists(SCRIPT_TEXT, min_size=1, max_size=4), st.sampled_from(["en", "zh", "th"]))
def test_evidence_matches_on_made_up_texts(texts, language):
    docs = documents([(language, t) for t in texts])
    terms = [{"id": f"t{i}", "language": language, "term": term, "case_sensitive": int(cs)}
             for i, (term, cs) in enumerate(itertools.product(["odr", "ODR", "a b", "申诉", "นโยบาย", "aa"], [0, 1]))]
    plain = list(itertools.chain.from_iterable(evidence._term_evidence(t, docs) for t in terms))
    assert evidence._terms_evidence(terms, docs) == plain


# --- candidates: capitalized runs and phrase counts ------------------------------------------------------------

RUN_TEXTS = [t for language, t in TEXTS if language == "en"] + [
    "Open the Account Health page. Then Account Health shows the Order Defect Rate of Your Account.",
    "x" * 70 + " Seller Fulfilled Prime",  # a capital word more than 64 characters in
    " " * 80 + "Seller Fulfilled Prime",  # only spaces in the 64 characters before it
    "12. Fulfillment by Amazon and the Terms of Service of Amazon Pay",
    "See the A-to-Z Guarantee, the Buy Box and the ODR. Ⅻ Roman Numerals",
] + [f"a 2){' ' * k}Seller Central" for k in range(55, 70)]  # a list number at the 64-character window's edge


@pytest.mark.parametrize("text", RUN_TEXTS)
def test_capitalized_runs_match_their_plain_definition(text):
    assert list(evidence._capitalized_runs(text)) == list(capitalized_runs_plain(text))
    assert list(evidence._capitalized_runs(text, min_words=2)) == [
        (run, initial) for run, initial in capitalized_runs_plain(text) if len(run) >= 2]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAbBsStT of and the.\n-#1)'’Ⅻ")), max_size=120))
def test_capitalized_runs_match_on_made_up_texts(text):
    assert list(evidence._capitalized_runs(text)) == list(capitalized_runs_plain(text))
    assert list(evidence._capitalized_runs(text, min_words=2)) == [
        (run, initial) for run, initial in capitalized_runs_plain(text) if len(run) >= 2]


def capitalized_runs_plain(text: str):
    """The plain definition of :func:`glossary.evidence._capitalized_runs`: every word read in turn."""
    tokens = list(evidence._EN_WORD_RE.finditer(text))
    i = 0
    while i < len(tokens):
        word = tokens[i].group()
        if not word[0].isupper():
            i += 1
            continue
        start = tokens[i].start()
        window = max(0, start - 64)
        before = text[window:start].rstrip(" \t")
        if not before and window:
            before = text[:start].rstrip(" \t")
            window = 0
        numbered = evidence._NUMBERED_RE.search(before)
        initial = not before or before[-1] in evidence._INITIAL_BEFORE or bool(
            numbered and (numbered.start() > 0 or window == 0))
        run, j = [word], i + 1
        while j < len(tokens):
            w = tokens[j].group()
            if w[0].isupper() and w[0].isalpha():
                run.append(w)
            elif w.lower() in evidence._CONNECTORS and j + 1 < len(tokens) and tokens[j + 1].group()[0].isupper():
                run.append(w)
            else:
                break
            j += 1
        yield run, initial
        i = j


def count_phrases_plain(docs, phrases):
    """The plain definition of :func:`glossary.evidence._count_phrases`: each phrase searched in each section."""
    tally = {key: [0, 0, ""] for key in phrases}
    for language, seq in phrases:
        entry = tally[(language, seq)]
        for d in docs:
            if d.language != language:
                continue
            in_doc = 0
            for s in d.sections:
                hits = s.index(language).find(seq)
                in_doc += len(hits)
                if hits and not entry[2]:
                    entry[2] = s.index(language).snippet(*hits[0], width=50)
            entry[0] += in_doc
            entry[1] += bool(in_doc)
    return {key: tuple(value) for key, value in tally.items()}


def phrases_of(docs):
    found = set()
    for d in docs:
        for s in d.sections:
            norms = s.index(d.language).norms
            found |= {(d.language, tuple(norms[i:i + n])) for n in (1, 2, 3) for i in range(len(norms) - n + 1)}
    return sorted(found)


def test_phrase_counts_match_each_phrase_searched_alone():
    docs = documents(TEXTS + [("en", "Seller Central Seller Central seller"), ("zh", "申诉申诉")])
    phrases = phrases_of(docs) + [("en", ("\x01absent",)), ("en", ("seller", "\x01absent"))]
    assert evidence._count_phrases(docs, phrases) == count_phrases_plain(docs, phrases)
    plain = count_phrases_plain(docs, phrases)
    assert evidence._count_phrases(docs, phrases, snippets_from=2) == {
        key: (n, documents, snippet if n >= 2 else "") for key, (n, documents, snippet) in plain.items()}


@settings(max_examples=60, deadline=None)
@given(st.lists(SCRIPT_TEXT, min_size=1, max_size=4), st.sampled_from(["en", "zh", "th"]))
def test_phrase_counts_match_on_made_up_texts(texts, language):
    docs = documents([(language, t) for t in texts])
    phrases = phrases_of(docs)
    assert evidence._count_phrases(docs, phrases) == count_phrases_plain(docs, phrases)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus (../shared/corpus) is not here")
def test_shortcuts_match_on_real_pages():
    files = sorted(CORPUS.rglob("*.md"))[:6]
    if not files:
        pytest.skip("no Markdown versions in the shared corpus")
    texts = [("en", plain_text(f.read_text(encoding="utf-8"))[:20000]) for f in files]
    docs = documents(texts)
    terms = term_rows()
    plain = list(itertools.chain.from_iterable(evidence._term_evidence(t, docs) for t in terms))
    assert evidence._terms_evidence(terms, docs) == plain
    phrases = phrases_of(docs[:2])
    assert evidence._count_phrases(docs, phrases) == count_phrases_plain(docs, phrases)
    for _, text in texts:
        assert list(evidence._capitalized_runs(text)) == list(capitalized_runs_plain(text))
        check_index(text[:5000], "en", True, ngrams(text[:2000], "en", True))


@pytest.mark.parametrize("language", ["en", "de", "zh"])
def test_token_norms_are_each_tokens_own_norm_whatever_was_seen_before(language, monkeypatch):
    from glossary import match

    monkeypatch.setattr(match, "_NORMS", {})
    for case_sensitive in (False, True):
        for text in ["Sellers sell; the SELLER sold", "Sellers sell; the seller sells new words 申诉申诉", "", "x x x"]:
            raws = match.Tokens(text).raws
            assert match._norms(raws, language, case_sensitive) == [
                match._token_norm(raw, language, case_sensitive) for raw in raws]
