"""The rules engine's shortcuts give what their plain definitions give.

Each oracle is the plain form written out here or the library call the shortcut stands for: ``plain_text(line,
collapse_space=True)`` for :func:`pipeline.rules._plain_line`, ``_WRAPPED.fullmatch`` for ``_wrapped``, the
unguarded ``_SENTENCE_END`` for the guarded one, and the word-splitting of :func:`pipeline.rules._split_run_on`
scored with wordfreq's own ``zipf_frequency``. They must agree on hand-picked edge cases, on texts hypothesis makes
up, and on the shared corpus's lines when it is there.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import rules
from pipeline.text import plain_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "versions"

LINES = [
    "", " ", "plain words only", "  spaced   out\twords  ", "# Heading", "#NotAHeading", " # spaced heading",
    "| a | b |", "|---|---|", "---", "- bullet", "-not a bullet", "+ plus", "> quote", ">quote", "  > quote",
    ":---:", "a [link](https://x.y/z) here", "![img](a.png)", "**bold** and __under__ and `code`", "seller_id",
    "a * b", "x_y_z", "1. Numbered item", "2) Other", "\\- escaped dash", "Within 3 business days.",
    "Le délai est de 14 jours.", "申诉须在7个工作日内提交。", "ข้อความ ภาษาไทย", "a\u3000b", "\u3000# heading",
    "tab\tseparated\tvalues", "ends with dash -", "e.g. the U.S. and Co. KG", "a|b", "50% off", "x" * 70,
]
ALPHABET = list("ab Z.,;:!?-–…#|>*+_`[]()!1 \t\u3000。！？\u2028") + ["\n"]


def corpus_lines(step: int = 60, limit: int = 3000) -> list[str]:
    if not CORPUS.is_dir():
        return []
    out: list[str] = []
    for path in sorted(CORPUS.rglob("*.md"))[::step]:
        out += path.read_text(encoding="utf-8").splitlines()[:limit]
    return out


def test_plain_line_is_plain_text():
    for line in LINES + corpus_lines():
        for s in (line, line.strip()):
            assert rules._plain_line(s) == plain_text(s, collapse_space=True), s


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=40).filter(lambda s: "\n" not in s))
def test_plain_line_made_up(line):
    assert rules._plain_line(line) == plain_text(line, collapse_space=True)


def test_wrapped_is_the_pattern():
    cases = LINES + corpus_lines() + [
        "x" * 59 + "a", "x" * 60 + "a", "x" * 60 + ".", "x" * 59 + ".....", "x" * 60 + ".....", "x" * 60 + "......",
        "x" * 60 + "…", "x" * 60 + "……", "x" * 59 + "……", "x" * 61 + "–", "x" * 61 + "-", "x" * 61 + ",",
        "x" * 61 + "é", "x" * 61 + "字", "x" * 61 + "1", "x" * 61 + "_", "x" * 61 + ")", "x" * 61 + " ",
        "x" * 30 + "\n" + "y" * 40 + "a", "x" * 61 + "\u2028" + "a",
    ]
    for line in cases:
        for s in (line, line.strip()):
            assert rules._wrapped(s) == bool(rules._WRAPPED.fullmatch(s)), repr(s)


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=55, max_value=70), st.text(alphabet=st.sampled_from(list("a.…,-–) 字\n")), max_size=8))
def test_wrapped_made_up(length, end):
    line = "w" * length + end
    assert rules._wrapped(line) == bool(rules._WRAPPED.fullmatch(line))


def ends(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def test_guarded_sentence_ends_are_the_plain_ones():
    cases = LINES + [
        "One. Two! Three? Four。五！六？ seven.Eight and Section 5. Next", "a\n\nb\n", "。\n", "end.\nNext",
        "presso il corriere.L'utente", "z. B. das", "(See below.) “Quoted.” ¿Qué? ¡Sí!", "",
    ] + [plain_text(s, collapse_space=True) for s in corpus_lines()]
    for text in cases:
        assert ends(rules._SENTENCE_END_GUARDED, text) == ends(rules._SENTENCE_END, text), text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(list("aZé. !?。！？\n(“À'") + ["ab", "Ab", "abc.", "Abc"]), max_size=30).map("".join))
def test_guarded_sentence_ends_made_up(text):
    assert ends(rules._SENTENCE_END_GUARDED, text) == ends(rules._SENTENCE_END, text)


def plain_split_run_on(text: str, language: str) -> str:
    """The definition, written out: every word of four letters or more not in the word list is cut where both halves
    are common words, the cut whose rarer half is the most common; scored by wordfreq itself."""
    from wordfreq import zipf_frequency

    def half_ok(word):
        if len(word) >= 3:
            return zipf_frequency(word, language) >= rules.ZIPF_WORD
        return (len(word) == 2 or word.lower() in "aeoyàèéò") and zipf_frequency(word, language) >= rules.ZIPF_SHORT

    def split(m):
        word = m.group()
        if zipf_frequency(word, language) > 0:
            return word
        scored = [(min(zipf_frequency(word[:i], language), zipf_frequency(word[i:], language)), i)
                  for i in range(1, len(word)) if half_ok(word[:i]) and half_ok(word[i:])]
        if not scored:
            return word
        i = max(scored)[1]
        return f"{word[:i]} {word[i:]}"

    letters = rules._LETTERS
    text = re.sub(rf"(?<=[{letters}]{{3}})(?=\d)|(?<=\d)(?=[{letters}]{{3}})", " ", text)
    return re.sub(rf"[{letters}]{{4,}}", split, text)


@pytest.mark.parametrize("language, text", [
    ("it", "entro il terminedi 3 giornilavorativi, superiorea quanto previsto nelcaso di reso; almeno15 giorni"),
    ("it", "lavorativisuccessivi alla consegna, 30giorni dalla ricezione; terminedi terminedi"),
    ("fr", "dans undélai de quinzejours ouvrés à compterde la livraison"),
    ("es", "en elplazo de treintadías naturales desdela recepción"),
    ("en", "withinthirty days ofthe delivery date; returnwindow closes"),
    ("pt", "noprazo de catorzedias úteis após areceção"),
])
def test_split_run_on_is_its_definition(language, text):
    text = unicodedata.normalize("NFKC", text)
    expected = plain_split_run_on(text, language)
    assert rules._split_run_on(text, language) == expected
    assert rules._split_run_on(text, language) == expected  # again, from the memo


def plain_digits(sentence: str, language: str) -> str:
    """:func:`pipeline.rules.digits` written out: every step applied to every sentence, its patterns compiled here."""
    from text_to_num import alpha2digit

    text = re.sub(r"\\(?=[\s\W])", "", unicodedata.normalize("NFKC", sentence))
    if language in rules.SPLIT_LANGUAGES:
        text = plain_split_run_on(text, language)
    try:
        text = alpha2digit(text, language)
    except (ValueError, IndexError):
        pass
    data = rules.keyword_data()["languages"][language]
    units = "|".join(unicodedata.normalize("NFKC", e) for e in data["units"].values())
    for n, expr in (data.get("small") or {}).items():
        expr = unicodedata.normalize("NFKC", expr)
        text = re.sub(rf"(?<![\w]){expr}(?=\s*(?:{units}|\(\s*{n}\s*\)))", str(n), text, flags=re.I | re.U)
    percent = rules._PERCENT_WORDS
    twice = rf"(?<![\d.,])(\d+(?:[.,]\d+)?)((?:\s*(?:{percent}))?)\s*\(\s*\1\s*(?:%|％)?\s*\)(?!\d)"
    return re.sub(twice, r"\1\2", text, flags=re.I)


@pytest.mark.parametrize("language, sentence", [
    ("en", "You must respond within thirty (30) days, or one (1) business day for urgent ones; two days at most."),
    ("en", "Ship within two business days and keep a 98% (98 %) rate; no bracket here in seven days"),
    ("en", "Orders shipped within3 days; almeno15 nothing, 30days later\\ and 5 （5） days"),
    ("it", "entro quindici (15) giorni lavorativi, ovvero un giorno; terminedi 3 giornilavorativi"),
    ("es", "en un plazo de dos (2) días hábiles o quince días naturales"),
    ("fr", "dans un délai de quinze jours ouvrés (15) et deux jours"),
    ("de", "innerhalb von vierzehn (14) Tagen, spätestens zwei Werktage"),
    ("nl", "binnen veertien (14) dagen of één werkdag"),
    ("pt", "no prazo de catorze (14) dias úteis, um dia"),
])
def test_digits_is_its_definition(language, sentence):
    assert rules.digits.__wrapped__(sentence, language) == plain_digits(sentence, language)


def test_numbers_apart_is_the_pattern():
    cases = LINES + ["almeno15 giorni", "30giorni", "entro30giorni", "ab1cd", "abc1", "1abc", "x1abc2def", "١٢abc",
                     "abc١٢", "12345", "abcd", "abc 12 def", "éèà3ùûü", "ǅab1", "a1b2c3", "30days within thirtydays"]
    cases += corpus_lines()
    for text in cases:
        assert rules._numbers_apart(text) == rules._NUMBER_RUN_ON.sub(" ", text), text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(list("abcé1٢9 .-字") + ["abc", "12"]), max_size=30).map("".join))
def test_numbers_apart_made_up(text):
    assert rules._numbers_apart(text) == rules._NUMBER_RUN_ON.sub(" ", text)
