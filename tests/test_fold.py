"""One text fold for search and the cite check (pipeline.fold): 繁體 finds 简体 and the other way round.

Through the commands a consultant runs (``policykb search`` and ``policykb cite``), on the demo KB (its
跨境通 pages are in Simplified Chinese) and on a copy of the demo site whose appeals rule is published
in Traditional Chinese.
"""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conftest import DEMO_SITE, DEMO_SOURCES
from kb.cli import cli
from pipeline.fold import fold, spellings

#: a clause of 跨境通's appeals rule as the demo page has it, and as a Taiwanese consultant would type it
SIMPLIFIED = "商家应当在收到处罚通知之日起7个自然日内提交申诉"
TRADITIONAL = "商家應當在收到處罰通知之日起7個自然日內提交申訴"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_fold_makes_both_scripts_one_and_keeps_every_offset():
    assert fold(TRADITIONAL) == fold(SIMPLIFIED) == SIMPLIFIED
    assert fold("ＡＢＣ１２３　“Late” – Shipment") == "abc123 \"late\" - shipment"
    assert fold("裡面") == fold("裏面") == fold("里面")  # Taiwan's and Hong Kong's variants too
    assert spellings("申诉") == ["申诉", "申訴"]
    assert spellings("late") == ["late"]


@given(st.text())
def test_fold_is_one_character_for_one(text):
    assert len(fold(text)) == len(text)
    assert fold(fold(text)) == fold(text)


def _hits(data, query):
    result = run("search", query, "--data", data, "--platform", "kuajing", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["hits"]


def test_search_in_traditional_finds_simplified_text(demo_kb):
    simplified = _hits(demo_kb, "申诉")
    traditional = _hits(demo_kb, "申訴")
    assert simplified, "the demo's appeals rule has 申诉"
    assert [(h["document"], h["section"]) for h in traditional] == [(h["document"], h["section"]) for h in simplified]
    # the snippet shows the page's own wording, marked where the folded query matched
    assert any("<mark>申诉</mark>" in h["snippet"] for h in traditional)


def test_cite_in_traditional_finds_the_simplified_clause(demo_kb):
    result = run("cite", TRADITIONAL, "--data", demo_kb, "--platform", "kuajing", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output.splitlines()[0])
    assert answer["status"] == "current", answer
    assert answer["document"] == "kuajing/appeals"
    assert "提交申诉" in answer["quoted_wording"]  # the page's wording, not the quote's


@pytest.fixture(scope="module")
def traditional_kb(tmp_path_factory, expected):
    """The demo KB built from a copy of the demo site whose appeals rule is written in Traditional Chinese."""
    import kbfactory

    site = tmp_path_factory.mktemp("site") / "demo"
    shutil.copytree(DEMO_SITE, site)
    words = {"应当": "應當", "处罚": "處罰", "个": "個", "内": "內", "诉": "訴", "规则": "規則", "时限": "時限"}
    for page in (site / "seller.kuajingtong.example" / "rules" / "appeals").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for simplified, traditional in words.items():
            text = text.replace(simplified, traditional)
        page.write_text(text, encoding="utf-8")
    return kbfactory.build_kb(tmp_path_factory.mktemp("trad") / "data", expected["dates"], DEMO_SOURCES, site)


def test_search_and_cite_in_simplified_find_traditional_text(traditional_kb):
    hits = _hits(traditional_kb, "申诉时限")
    assert any(h["document"] == "kuajing/appeals" and "<mark>申訴時限</mark>" in h["snippet"] for h in hits), hits
    result = run("cite", SIMPLIFIED, "--data", traditional_kb, "--platform", "kuajing", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output.splitlines()[0])
    assert answer["status"] == "current" and answer["document"] == "kuajing/appeals", answer
    assert "提交申訴" in answer["quoted_wording"]
