"""A guarded pattern (:func:`pipeline.fastre.guarded`) finds exactly what the plain pattern finds.

The oracle is ``re.compile(expr, flags)`` itself: for every cue of the cue file (each language's units and cues, the
subject and metric tables, the "worth reading" gate the rules build from them) the guarded pattern's matches (start,
end, groups) must be the plain one's, on the demo site's pages, on texts made of the cues' own words in every case
and with their neighbours, on texts hypothesis makes up from the cues' characters, and on the shared corpus when it
is there.
"""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import rules
from pipeline.fastre import first_characters, guarded

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "versions"
FLAGS = re.I | re.U


def _nfkc(expr: str) -> str:
    return unicodedata.normalize("NFKC", expr)


def cue_expressions() -> list[str]:
    """Every cue expression of the cue file, and what the rules make of them: the gate of a language's units, and its
    small number words before a unit."""
    data = rules.keyword_data()
    out = [_nfkc(e) for table in ("subjects", "metrics") for e in data[table].values()]
    for lang in data["languages"].values():
        out += [_nfkc(v) for v in lang.values() if isinstance(v, str)]
        out += [_nfkc(v) for v in (lang.get("units") or {}).values()]
        units = "|".join(_nfkc(v) for v in (lang.get("units") or {}).values())
        out.append(f"{units}|{_nfkc(lang['points'])}|{rules._PERCENT_WORDS}")
        out += [rf"(?<![\w]){_nfkc(expr)}(?=\s*(?:{units}|\(\s*{n}\s*\)))" for n, expr in (lang.get("small") or {}).items()]
    return out


EXPRESSIONS = cue_expressions()
COMPILED = [(re.compile(e, FLAGS), guarded(e, FLAGS)) for e in EXPRESSIONS]


def matches(pattern: re.Pattern, text: str, pos: int = 0, endpos: int | None = None) -> list[tuple]:
    endpos = len(text) if endpos is None else endpos
    return [(m.start(), m.end(), m.groups()) for m in pattern.finditer(text, pos, endpos)]


def assert_same(text: str) -> None:
    for plain, fast in COMPILED:
        assert matches(fast, text) == matches(plain, text), (plain.pattern, text[:200])
        assert bool(fast.search(text)) == bool(plain.search(text))


def demo_texts() -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace")[:8_000]
            for p in sorted((ROOT / "replay" / "sites" / "demo").rglob("*")) if p.is_file()
            and p.suffix in (".html", ".md", ".txt", ".yml")][:20]


def test_most_cues_are_guarded():
    """The speed-up is real only if the cues get a guard: all but a few do."""
    bounded = [e for e in EXPRESSIONS if first_characters(e, FLAGS)]
    assert len(bounded) >= 0.9 * len(EXPRESSIONS)


@pytest.mark.parametrize("expr, flags, expected", [
    ("(?<!cor)respon(?:d|se)", FLAGS, "[r]"),
    (r"\bpaid\b|pay", FLAGS, "[p]"),
    ("a?b|c", 0, "[abc]"),
    (r"(?:x|y)*z", 0, "[xyz]"),
    (r"[个個]?工作日", 0, "[个個工]"),
    (r"\s*-\s*\d", 0, r"[\-\s]"),  # "-" is no empty match: the digit never comes first
    ("x*", 0, None),  # matches the empty string: unbounded
    ("[^a]b", 0, None),  # a negated class
    (".b", 0, None),
    ("(?i:a)b", 0, None),  # case-insensitive inside a case-sensitive pattern
    (r"(a)\1", 0, "[a]"),
    ("(?:)", 0, None),
])
def test_first_characters(expr, flags, expected):
    assert first_characters(expr, flags) == expected


def test_case_folds_as_the_plain_pattern():
    """Kelvin sign, long s, dotted and dotless i, sharp s, full-width letters: folded as ``re`` folds them."""
    for expr in ("k|s|i", "kilo|sale|item", "straße", "ss", "[a-z]+day"):
        plain, fast = re.compile(expr, FLAGS), guarded(expr, FLAGS)
        for text in ("\u212a \u017f \u0130 \u0131 K S I", "\u212ailo \u017fale \u0130tem", "STRASSE straße Straße",
                     "ẞ ss ß", "ＫＩＬＯ Monday TODAY"):
            assert matches(fast, text) == matches(plain, text), (expr, text)


def test_demo_pages_and_cue_words():
    texts = demo_texts()
    words = sorted({w for e in EXPRESSIONS for w in re.findall(r"[^\W\d_]{2,}", e)})
    rng = random.Random(19)
    for _ in range(60):
        picked = rng.sample(words, 12)
        texts.append(" ".join(w.upper() if rng.random() < 0.3 else w.title() if rng.random() < 0.3 else w
                              for w in picked) + " 30 days, 5 %. 7个工作日内 12 points")
    for text in texts:
        assert_same(text)


def test_slices_of_a_text():
    """``finditer(text, pos, endpos)``, as :func:`pipeline.rules._clause_hits` reads a clause: the same slices."""
    text = "We will review your appeal within 3 business days; refunds are issued after the return, and notice"
    for plain, fast in COMPILED:
        for pos, endpos in ((0, len(text)), (10, 60), (21, 22), (50, len(text) - 3)):
            assert matches(fast, text, pos, endpos) == matches(plain, text, pos, endpos)


ALPHABET = sorted({c for e in EXPRESSIONS for c in re.sub(r"\\[a-zA-Z]", "", e) if c.isalpha()}
                  | set(" ,.;:-%()1234567890\n") | {"\u212a", "\u017f", "İ", "ı", "ẞ"})


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=120))
def test_made_up_texts(text):
    assert_same(text)


def test_corpus_sample():
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    files = sorted(CORPUS.rglob("*.md"))[::120]
    for path in files:
        text = unicodedata.normalize("NFKC", path.read_text(encoding="utf-8"))[:20_000]
        assert_same(text)


@pytest.mark.parametrize("expr, flags, text", [
    # CPython 3.11: a class of a cased letter beyond the BMP beside one within it does not match it under IGNORECASE
    ("\U000104b1x|ax", re.I, "\U000104b1x"),
    # a group that turns Unicode matching on under re.ASCII folds the Kelvin sign; a lookahead outside it would not
    ("(?u:k)x|ab", re.I | re.A, "\u212ax"),
])
def test_what_the_guard_cannot_bound_is_compiled_as_it_is(expr, flags, text):
    """Found by the review of the guard: each of these matched with ``re`` and not behind the guard."""
    assert first_characters(expr, flags) is None
    assert matches(guarded(expr, flags), text) == matches(re.compile(expr, flags), text) != []
