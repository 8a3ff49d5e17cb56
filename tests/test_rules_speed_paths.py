"""The rule-value reading's fast paths give what their plain forms give (issue 19: build CPU per new document).

Each test compares a fast path of :mod:`pipeline.rules` with the plain computation it stands for, on hand-picked
texts and, when it is there, on the shared corpus's sections (read in place; skipped otherwise). The whole engine's
invariant is ``bench/rules_digest.py`` printing the same digest before and after a change.
"""

from __future__ import annotations

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
        assert again == first[:-1] == list(rules._read_section.__wrapped__(markdown, rules.base_language(language)))


def test_the_remembered_reading_is_the_languages():
    """The same text in two languages is two readings ("jours" is a unit in French only)."""
    french = SECTIONS[1][0]
    assert rules.extract(french, "fr") and rules.extract(french, "en") == []
    assert rules.extract(french, "en") == [] and rules.extract(french, "fr")
