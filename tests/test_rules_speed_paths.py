"""The rule-value reading's fast paths give what their plain forms give (issue 19: build CPU per new document).

Each test compares a fast path of :mod:`pipeline.rules` with the plain computation it stands for, on hand-picked
texts and, when it is there, on the shared corpus's sections (read in place; skipped otherwise). The whole engine's
invariant is ``bench/rules_digest.py`` printing the same digest before and after a change.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from pipeline import rules

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "versions"

SECTIONS = [
    ("Sellers must respond within 30 days.", "en"),
    ("Le vendeur doit répondre à la réclamation dans un délai de 30 jours.", "fr"),
    ("Your late shipment rate must stay under 4% over 10-day and 30-day windows.", "en"),
    ("You can open a claim:\n\n- within 14 days of delivery;\n- within 30 days of the order.", "en"),
    ("卖家须在7个工作日内提交申诉。", "zh-Hans"),
    ("| Points | Action |\n|---|---|\n| 12 | Account suspended |", "en"),
    ("No number here at all, only words.", "en"),
    ("", "en"),
]


def corpus_sections(step: int = 40) -> list[tuple[str, str]]:
    """Every ``step``-th corpus version's sections, in its own language and in English."""
    if not CORPUS.is_dir():
        return []
    from pipeline.classify import detect_language
    from pipeline.sections import split_sections

    out = []
    for path in sorted(CORPUS.rglob("*.md"))[::step]:
        markdown = path.read_text(encoding="utf-8")
        language = detect_language(markdown)[0] or ""
        out += [(s.text, lang) for s in split_sections(markdown) for lang in dict.fromkeys((language, "en"))]
    return out


def test_a_section_read_again_gives_the_values_read_first_in_a_new_list():
    for markdown, language in SECTIONS:
        first = rules.extract(markdown, language)
        first.append("not a value")  # a caller's list is its own: the remembered values stay as read
        again = rules.extract(markdown, language)
        assert again == first[:-1] == list(rules._read_section(markdown, rules.base_language(language)))


def test_the_remembered_reading_is_the_languages():
    """The same text in two languages is two readings ("jours" is a unit in French only)."""
    french = SECTIONS[1][0]
    assert rules.extract(french, "fr") and rules.extract(french, "en") == []
    assert rules.extract(french, "en") == [] and rules.extract(french, "fr")


def test_fold_takes_what_ignorecase_takes_for_one_another_to_one_character():
    """re.I takes x for y when their lower cases (``_sre.unicode_tolower``) are one, or are in one class of its
    extra table (``re._casefix``): such characters fold alike, and each folds to one character."""
    import _sre
    from re._casefix import _EXTRA_CASES

    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    every = "".join(map(chr, points))
    folded = rules._fold(every)
    assert len(folded) == len(every)
    lowered = "".join(chr(_sre.unicode_tolower(c)) for c in points)
    assert folded == rules._fold(lowered)
    for k, others in _EXTRA_CASES.items():
        assert {rules._fold(chr(c)) for c in (k,) + others} == {rules._fold(chr(k))}
    assert rules._fold("İSTANBUL ſhip ΣΑΣ") == rules._fold("istanbul ship σας")


def _plain_clause_hits(text, table, a, b):
    """Every cue of the table over the clause, as ``_clause_hits`` was first written."""
    return tuple((m.start(), m.end(), key) for key, pattern in rules._cue_table(table)
                 for m in pattern.finditer(text, a, b))


ODD_CASES = [
    "We ſhip within 3 days.", "WE SHIP WITHIN 3 DAYS", "İADE within 14 days; REFUND İN 5 days", "ΣΑΣ appeal",
    "Die RÜCKERSTATTUNG erfolgt binnen 14 Tagen.", "卖家须在7个工作日内提交申诉", "ﬁle an appeal", "K",
    "response-time: 24h; Résiliation sous 30 jours", "",
]


def test_clause_hits_skips_only_cues_the_clause_cannot_match():
    # the sentences clauses are asked of: those worth reading, with their numbers as digits
    texts = ODD_CASES + [rules.digits(s, lang) for md, language in SECTIONS + corpus_sections(step=150)
                         if (lang := rules.base_language(language)) for s, _ in rules.sentences(md)
                         if rules._patterns(lang)["worth_reading"].search(s)]
    assert len(texts) > len(ODD_CASES) + 5
    for text in texts:
        spans = {(0, len(text)), (0, len(text) // 2), (len(text) // 3, len(text))}
        for table in ("subjects", "metrics"):
            for a, b in spans:
                assert rules._clause_hits.__wrapped__(text, table, a, b) == _plain_clause_hits(text, table, a, b), \
                    (text, table, a, b)


def test_every_cue_has_strings_to_look_for():
    """Not needed for the values, only for the speed: a cue without strings is looked for in every clause."""
    for table in ("subjects", "metrics"):
        anchors = rules._cue_anchors(table)
        assert len(anchors) == len(rules._cue_table(table)) and None not in anchors


@pytest.mark.parametrize("pattern, strings", [
    ("appeal", {"appeal"}), ("re-?consider(?:ed|ation)?", {"consider"}), ("ab(?:cdefgh)?", {"ab"}),
    ("ab(?:cdefgh)*", {"ab"}), ("ab(?:cdefgh)+", {"cdefgh"}), ("ab(?:cdefgh){0,2}", {"ab"}),
    ("(?:abc|de)fg", {"fg"}), ("(?:abc|def)g", {"abc", "def"}), ("(?<!cor)respon", {"respon"}),
    ("(?=abcdef)ab", {"ab"}), (r"\bab\b", {"ab"}), ("申诉|appeal", {"申诉", "appeal"}), ("(?-i:ABCD)e", {"e"}),
    (r"x|.*", None), (r"\w+", None), ("[ab]c?", None),
])
def test_required_strings_are_in_every_match(pattern, strings):
    from re import _parser

    try:
        found = rules._required(_parser.parse(pattern, re.I).data)
    except rules._Unbounded:
        found = None
    assert found == (None if strings is None else frozenset(strings))


def test_a_values_concept_is_remembered_per_platform_as_concept_for_gives_it():
    """``kb.rules.read_versions`` remembers each value's concept within a derive: by platform, whose glossary terms
    differ ("ODR" is another concept's term on platforms B and C), and language."""
    from glossary.match import term_tokens
    from kb import rules as kb_rules

    odr = "Keep your ODR under 1% over 60 days."
    terms = {"A": {}, "B": {"en": [("x-rate", term_tokens("ODR", "en", False), False)]},
             "C": {"en": [("x-rate", term_tokens("ODR", "en", False), False)]}, "D": {}}
    known = {"order-defect-rate", "x-rate"}
    kb_rules._set_reader(terms, known)
    read = {}
    for platform in ("A", "B", "A", "C", "D"):
        versions = [([("s1", odr), ("s2", "Nothing here.")], "en"), ([("s1", odr)], "en-US")]
        read[platform] = kb_rules.read_versions(platform, versions)
        for (sections, language), version_read in zip(versions, read[platform]):
            assert [(key, [(v, kb_rules.concept_for(v, language, terms[platform], known)) for v in
                           rules.extract(md, language)]) for key, md in sections] == version_read
    assert read["A"][0][0][1][0][1] == read["D"][0][0][1][0][1] == "order-defect-rate"
    assert read["B"][0][0][1][0][1] == read["C"][0][0][1][0][1] == "x-rate"


def _plain_split_sentences(text):
    """``_split_sentences`` as first written: every text through the sentence ends' loop."""
    out, start = [], 0
    for m in rules._SENTENCE_END_GUARDED.finditer(text):
        if m.end() == 0 or (text[m.start() - 1:m.start()] == "." and (
                rules._ABBREVIATION.search(text, max(0, m.start() - 12), m.start())
                or rules._ABBREVIATION_NEXT.match(text, m.end()))):
            continue
        out.append(text[start:m.start()])
        start = m.end()
    return out + [text[start:]]


def test_a_line_without_an_ends_character_is_one_sentence_as_the_loop_finds():
    lines = ["", "a", "No end here", "Ends. Here", "z. B. so", "问题！然后", "why? Because", "line\nbreak", "\n",
             "Section 5. The", "corriere.L'utente", "etc", "…", "a;b,c", "\u3002"]
    lines += [line for md, _ in SECTIONS + corpus_sections(step=100) for line in md.splitlines()]
    for line in lines:
        assert rules._split_sentences(line) == _plain_split_sentences(line), line


@pytest.mark.parametrize("language", sorted(rules.SPLIT_LANGUAGES))
def test_latin_words_score_as_wordfreq_scores_them(language):
    """A word of Latin letters beyond ASCII ("crème", "Straße", "ĳssel") scores as ``zipf_frequency`` scores it:
    every such word of the list's head and a sample of its tail, as written, capitalized and upper-cased, and their
    cuts."""
    from wordfreq import get_frequency_dict, top_n_list, zipf_frequency

    listed = get_frequency_dict(language, "best")
    latin = [w for w in listed if not w.isascii() and rules._LATIN_WORD_RUN.fullmatch(w)]
    head = [w for w in top_n_list(language, 5000) if not w.isascii() and rules._LATIN_WORD_RUN.fullmatch(w)]
    words = head + latin[::25] + ["crème", "Straße", "STRASSE", "ĳssel", "ǰour", "ŉest", "ÀÉÎÕÜ", "ſchön", "ǅemal"]
    pieces = {w[:i] for w in words for i in range(1, len(w) + 1)} | {w[i:] for w in words for i in range(len(w))}
    pieces |= {w.upper() for w in words} | {w.capitalize() for w in words}
    pieces = {p for p in pieces if rules._LATIN_WORD_RUN.fullmatch(p)}
    assert len(pieces) > 1000
    for piece in sorted(pieces):
        assert rules._zipf.__wrapped__(piece, language) == zipf_frequency(piece, language), (language, piece)


def test_the_remembered_sections_are_the_last_ones_read_and_no_more():
    texts = [f"Note {n}: nothing to read here." for n in range(rules.SECTION_CACHE + 10)]
    first = rules.extract(SECTIONS[0][0], "en")
    for text in texts:
        assert rules.extract(text, "en") == []
    assert len(rules._SECTIONS) == rules.SECTION_CACHE
    assert rules.extract(texts[-1], "en") == [] and len(rules._SECTIONS) == rules.SECTION_CACHE
    assert rules.extract(SECTIONS[0][0], "en") == first  # read again after it was let go


def test_threads_reading_the_same_sections_read_what_one_reads():
    from concurrent.futures import ThreadPoolExecutor

    work = (SECTIONS * 40)[::-1]
    expected = [list(rules._read_section(md, rules.base_language(lang))) if rules.base_language(lang) else []
                for md, lang in work]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda pair: rules.extract(*pair), work)) == expected


#: sections a section-level shortcut could get wrong: a unit cut by emphasis or a link's target, a unit after a line
#: break, a header counting points, a character NFKC joins to the one before it, and sections with nothing to read
GATE_CASES = [
    ("Sellers must respond within 3 da**ys**.", "en"), ("Sellers must respond within [30 da](https://x.y/z)ys.", "en"),
    ("Sellers must respond within 30\ndays of the order.", "en"), ("Respond within 30 `days`.", "en"),
    ("| Punti | Azione |\n|---|---|\n| 12 | Sospensione |", "it"), ("| Points | Action |\n|---|---|\n| 12 | x |", "en"),
    ("Répondre sous 30\u00a0jours.", "fr"), ("Antworten binnen 14 Ta\u0301gen.", "de"), ("Reply within 30 ｄａｙｓ.", "en"),
    ("Le vendeur répond sous huitaine.", "fr"), ("No number here at all, only words.", "en"), ("Nothing.", "de"),
    ("a_b*c `d` [link](https://x.y) ![img](i.png)", "en"), ("# Heading\n\n> quote\n\n- item", "es"),
]


def _worth(text, language):
    return bool(rules._patterns(language)["worth_reading"].search(unicodedata.normalize("NFKC", text)))


def test_a_section_the_gate_passes_over_has_no_sentence_or_row_to_read():
    """``_read_section`` returns nothing without reading a section whose text holds no gate string: no sentence of it
    is worth reading in its language or in English, no row in its language, and no table header counts points. And a
    sentence whose folded text holds no gate string is worth reading in neither language."""
    cases = GATE_CASES + SECTIONS + corpus_sections(step=10)
    skipped = 0
    for markdown, language in cases:
        lang = rules.base_language(language)
        if not lang:
            continue
        gate = rules._gate(lang)
        nothing = rules._section_holds_nothing(markdown, lang)
        skipped += nothing
        lines = rules._lines(markdown)
        for sentence, row, _, _ in lines:
            folded = rules._fold(unicodedata.normalize("NFKC", sentence))
            worth = _worth(sentence, lang) or _worth(sentence, "en")
            assert not (nothing and worth), (markdown, sentence)
            assert gate is None or worth <= bool(gate.search(folded)), (sentence, lang)
            if row:
                cells = rules._cells(sentence)
                assert not (nothing and (_worth(" | ".join(cells), lang) or rules._patterns(lang)["points"].search(
                    cells[0]))), (markdown, sentence)
        if nothing:
            assert rules.extract(markdown, language) == []
    assert skipped > 3


def test_the_gate_reads_what_a_plain_text_shortcut_would_miss():
    for markdown, language in GATE_CASES[:10]:
        assert not rules._section_holds_nothing(markdown, language), markdown
    assert rules.extract("Sellers must respond within [30 da](https://x.y/z)ys.", "en")[0].value == 30
    assert rules.extract("Sellers must respond within 3 da**ys**.", "en")[0].value == 3
    assert rules._section_holds_nothing("No number here at all, only words.", "en")


def test_nfkc_takes_local_characters_one_by_one():
    """``_local_characters``: a text of characters it leaves out is normalized character by character, in any order
    (the Basic Multilingual Plane's local characters, in code order, reversed and shuffled); and every canonical
    decomposition is of a character below U+30000, which its scan of composition seconds covers."""
    import random

    local = [chr(c) for c in range(0x10000) if not rules._local_characters().match(chr(c))]
    assert len(local) > 50_000 and "é" in local and "’" in local and "\u00a0" in local and "\u0301" not in local
    orders = [local, local[::-1]] + [random.Random(seed).sample(local, len(local)) for seed in range(3)]
    for order in orders:
        text = "".join(order)
        assert unicodedata.normalize("NFKC", text) == "".join(unicodedata.normalize("NFKC", c) for c in text)
    assert not [c for c in range(0x30000, 0x110000) if unicodedata.decomposition(chr(c))]
