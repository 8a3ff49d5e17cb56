"""The time model (issue 15) on the demo KB: effective dates per section, as-of views that know only the
past, one stale rule and one "last successful check", dates labelled as what they are.

Each test is a finding of a new user's tour of the demo KB (issue 15); the expected dates come from
``replay/sites/demo/EXPECTED.yml``.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from conftest import ROOT, rows
from kb.cli import cli
from kb.timemodel import DATE_LABELS

FRESH = "2026-07-02T00:00:00Z"  # a day after the last demo crawl


@pytest.fixture(scope="module")
def kb(demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    yield conn
    conn.close()


def _datasette(data):
    import yaml

    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    return Datasette([str(data / "policykb.db")], metadata=metadata)


def cite_json(data, quote, *args):
    result = CliRunner().invoke(cli, ["cite", "--data", str(data), "--json", *map(str, args), quote])
    assert result.exit_code in (0, 1), (result.output, result.exception)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def one(answers, document):
    found = [a for a in answers if a["document"] == document]
    assert found, [(a["status"], a["document"]) for a in answers]
    return found[0]


def clause_text(kb, document, seq, prefix):
    text = kb.execute("select text_markdown from versions where document_id = ? and seq = ?",
                      [document, seq]).fetchone()[0]
    return next(line for line in text.splitlines() if line.startswith(prefix)).split("】", 1)[1]


# --- 1. effective dates per section -----------------------------------------------------------------

def test_a_reworded_clause_does_not_get_a_sibling_clauses_effective_date(demo_kb, expected):
    spec = expected["documents"]["shoptide/penalty-points"]
    announced = spec["effective"]["2026-07-01"]  # stated in the new §3.4 only
    assert spec["sections_added"]["2026-07-01"] == ["3.4"] and spec["sections_changed"]["2026-07-01"] == ["3.2"]
    a = one(cite_json(demo_kb, "ShopTide may suspend the shop immediately", "--now", FRESH),
            "shoptide/penalty-points")
    assert a["status"] == "changed" and a["section"] == "3.2"
    assert a["change_effective_date"] != announced and a["change_effective_date_source"] == "detected"
    assert a["effective_date"] != announced and a["effective_date_source"] != "stated"
    assert announced not in a["citation"]["en"] and "8月1日" not in a["citation"]["zh"]
    # §3.4 itself carries the announced date, stated for that section
    added = spec["changes"]["2026-07-01"]["added"][0]
    b = one(cite_json(demo_kb, added, "--now", FRESH), "shoptide/penalty-points")
    assert b["section"] == "3.4" and b["effective_date"] == announced and b["effective_date_scope"] == "section"
    assert b["in_force"] == "announced"


@pytest.mark.asyncio
async def test_the_redline_page_gives_each_section_its_own_effective_date(demo_kb, expected):
    announced = expected["documents"]["shoptide/penalty-points"]["effective"]["2026-07-01"]
    page = (await _datasette(demo_kb).client.get("/-/policykb/diff/shoptide/penalty-points/1..2")).text
    s32 = page.split('data-key="3.2"')[1].split("pkb-section-diff")[0]
    s34 = page.split('data-key="3.4"')[1].split("pkb-section-diff")[0]
    assert announced not in s32 and "not stated" in s32
    assert announced in s34
    appeals = (await _datasette(demo_kb).client.get("/-/policykb/diff/kuajing/appeals/1..2")).text
    clause3 = appeals.split("第三条【申诉时限】 — ")[1].split("</summary>")[0]
    assert "unchanged" in clause3.split("(")[0] and "wording unchanged since" in clause3 and "2026-01-15" in clause3 and "2026-01-20" in clause3


def test_an_unchanged_clause_says_since_when_its_wording_is_unchanged(kb, demo_kb, expected):
    spec = expected["documents"]["kuajing/appeals"]
    first, latest = spec["versions"][0], spec["versions"][-1]
    a = one(cite_json(demo_kb, clause_text(kb, "kuajing/appeals", 2, "**第三条**"), "--now", FRESH),
            "kuajing/appeals")
    assert a["status"] == "current" and a["section"] == "第三条" and a["version_date"] == latest
    assert a["wording_unchanged"] is True
    assert a["wording_since"]["version_date"] == first
    assert a["wording_since"]["effective_date"] == spec["effective"][first]
    assert f"wording unchanged since the version of {first}, effective {spec['effective'][first]}" \
        in a["citation"]["en"]
    assert "该措辞自2026年1月15日版本起未变，该版本2026年1月20日生效" in a["citation"]["zh"]
    assert "unchanged since" in a["message"]["en"]
    text = CliRunner().invoke(cli, ["cite", "--data", str(demo_kb), "--now", FRESH,
                                    clause_text(kb, "kuajing/appeals", 2, "**第三条**")]).output
    assert f"Wording unchanged since 措辞未变自: version of {first}" in text


@pytest.mark.asyncio
async def test_the_document_page_says_wording_unchanged_since(demo_kb):
    page = (await _datasette(demo_kb).client.get("/-/policykb/doc/kuajing/appeals")).text
    outline = page.split("<h2>Outline")[1].split("<h2>")[0]
    row = next(r for r in outline.split("<tr>") if "第三条" in r)
    assert "wording unchanged since" in row and "2026-01-15" in row and "2026-01-20" in row


# --- 2. as of means as of ---------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_overview_as_of_shows_only_what_the_kb_knew_then(demo_kb):
    page = (await _datasette(demo_kb).client.get("/-/policykb?as_of=2026-04-10")).text
    cards = page.split("<h2>Substantive changes per platform")[0]
    assert "2026-07-01" not in cards  # changes detected in July are in the future
    assert "2026-06-25" not in cards and "2026-08-01" not in cards  # first seen on 2026-07-01
    demomart = page.split('id="platform-demomart"')[1].split('class="pkb-card"')[0]
    assert "gone" not in demomart  # the page disappeared in July
    table = page.split("<h2>Documents")[1]
    row = next(r for r in table.split("<tr>") if "prohibited-products" in r)
    assert "gone" not in row and "已下线" not in row


def test_cite_as_of_outside_what_the_kb_knows(demo_kb, expected):
    added = expected["documents"]["kuajing/appeals"]["changes"]["2026-04-01"]["added"][0]
    before = one(cite_json(demo_kb, added, "--now", FRESH, "--as-of", "2020-01-01"), "kuajing/appeals")
    assert before["as_of_status"] == "not_tracked" and before["as_of"]["in_force"] == "unknown"
    assert "not yet tracked" in before["message"]["en"]
    after = one(cite_json(demo_kb, added, "--now", FRESH, "--as-of", "2030-01-01"), "kuajing/appeals")
    assert after["as_of_status"] == "not_checked" and after["as_of"]["in_force"] == "unknown"
    assert f"not checked since {expected['dates'][-1]}" in after["message"]["en"]


def test_on_the_page_and_in_force_are_separate_answers(demo_kb, expected):
    spec = expected["documents"]["kuajing/appeals"]
    added = spec["changes"]["2026-04-01"]["added"][0]  # in the new 第九条, effective 2026-04-15
    a = one(cite_json(demo_kb, added, "--now", FRESH, "--as-of", "2026-04-10"), "kuajing/appeals")
    assert a["as_of_status"] == "present"
    assert a["as_of"]["in_force"] == "announced" and a["as_of"]["effective_date"] == spec["effective"]["2026-04-01"]
    later = one(cite_json(demo_kb, added, "--now", FRESH, "--as-of", "2026-04-20"), "kuajing/appeals")
    assert later["as_of_status"] == "present" and later["as_of"]["in_force"] == "yes"
    earlier = one(cite_json(demo_kb, added, "--now", FRESH, "--as-of", "2026-02-01"), "kuajing/appeals")
    assert earlier["as_of_status"] == "absent" and earlier["as_of"]["in_force"] == "no"


# --- 3. one stale rule, one last successful check ---------------------------------------------------

@pytest.mark.asyncio
async def test_status_overview_and_cite_agree_on_stale_and_last_success(demo_kb, expected):
    from kb.ops.status import collect

    conn = sqlite3.connect(demo_kb / "policykb.db")
    try:
        status = collect(conn)
    finally:
        conn.close()
    stale_in_status = {d["id"] for d in status["documents"] if d["state"] == "stale"}
    page = (await _datasette(demo_kb).client.get("/-/policykb")).text
    stale_on_overview = {d for d in expected["documents"]
                         if f'/-/policykb/doc/{d}">' in page and "pkb-problem\">stale" in
                         page.split(f'/-/policykb/doc/{d}">')[1].split("</li>")[0]}
    assert stale_in_status == stale_on_overview == set()
    phrase = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]["added"][0]
    assert one(cite_json(demo_kb, phrase), "demomart/account-health")["stale"] is False
    gone = next(d for d, s in expected["documents"].items() if s.get("gone"))
    last = {d["id"]: d["last_success"] for d in status["documents"]}[gone]
    assert last[:10] == expected["documents"][gone]["gone"]  # the 404 answer was the last successful check
    platform = next(p for p in status["platforms"] if p["id"] == gone.split("/")[0])
    assert platform["last_success"] >= last
    text = rows(demo_kb / "policykb.db", "select text_markdown from versions where document_id = ?", [gone])[0]
    sentence = next(line for line in text["text_markdown"].splitlines() if len(line.split()) > 8)
    answer = one(cite_json(demo_kb, sentence, "--now", FRESH), gone)
    assert answer["status"] == "removed" and answer["last_checked"] == last and answer["stale"] is False
    overview = page.split(f'/-/policykb/doc/{gone}">')[1].split("</li>")[0]
    # one name for the date wherever it is shown (kb.timemodel.DATE_LABELS), in the page's language first
    en, zh = DATE_LABELS["last_success"]
    assert f"{zh} {en} {last[:16]}" in overview
    doc_page = (await _datasette(demo_kb).client.get(f"/-/policykb/doc/{gone}")).text
    assert f"{zh} {en}: {last}" in doc_page
    english = (await _datasette(demo_kb).client.get(f"/-/policykb/doc/{gone}?hl=en")).text
    assert f"{en} {zh}: {last}" in english
    for variant in ("最近成功核实", "最近成功检查"):  # the words pages used before, for the same date
        assert variant not in page and variant not in doc_page


def test_cite_and_status_use_the_same_stale_age(demo_kb):
    phrase = "Sellers must keep their late shipment rate under 3%"
    three_days = "2026-07-04T00:00:00Z"  # 72 h after the last check: stale at the default 24 h interval
    assert one(cite_json(demo_kb, phrase, "--now", three_days), "demomart/account-health")["stale"] is True
    conn = sqlite3.connect(demo_kb / "policykb.db")
    try:
        from kb.ops.status import collect

        states = {d["id"]: d["state"] for d in collect(conn, now=three_days)["documents"]}
    finally:
        conn.close()
    assert states["demomart/account-health"] == "stale"


# --- 4. labels ------------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_dates_are_labelled_as_what_they_are(demo_kb, expected):
    client = _datasette(demo_kb).client
    page = (await client.get("/-/policykb?as_of=2026-07-01")).text
    demomart = page.split('id="platform-demomart"')[1].split('class="pkb-card"')[0]
    recent = demomart.split("Recent substantive changes")[1].split("Upcoming")[0]
    for item in recent.split("<li>")[1:]:
        if "effective 生效" in item:
            assert "detected" not in item or "stated" in item
    assert "detected 检测到" in recent  # DemoMart's changes state no effective date
    gone = next(d for d, s in expected["documents"].items() if s.get("gone"))
    doc = (await client.get(f"/-/policykb/doc/{gone}")).text
    assert "失效" not in doc and "已下线" in doc
    versions = doc.split("<h2>Versions")[1].split("<h2>")[0]
    assert "现行" not in versions and "当前文本" not in doc and "下线前最后" in doc


def test_search_until_shows_what_the_kb_knew_then(demo_kb):
    def hits(*args):
        result = CliRunner().invoke(cli, ["search", "--data", str(demo_kb), "--json", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["hits"]

    old = [h for h in hits("suspend the shop immediately", "--until", "2026-04-10")
           if h["document"] == "shoptide/penalty-points"]
    assert old and old[0]["current"] is True  # the wording in force on the page then
    assert old[0]["url"].startswith("/-/policykb/doc/shoptide/penalty-points/v/1")
    assert [h for h in hits("suspend the shop immediately", "--until", "2026-04-10", "--current")
            if h["document"] == "shoptide/penalty-points"]
    today = [h for h in hits("suspend the shop immediately") if h["document"] == "shoptide/penalty-points"]
    assert today and today[0]["current"] is False
    # the gone page's wording was current in April, not after it was taken down in July
    gone = hits("prohibited", "--until", "2026-04-10", "--current")
    assert any(h["document"] == "demomart/prohibited-products" for h in gone)
    assert not any(h["document"] == "demomart/prohibited-products"
                   for h in hits("prohibited", "--until", "2026-07-10", "--current"))


@pytest.mark.asyncio
async def test_a_detection_date_is_never_an_effective_date_in_feeds_or_json(demo_kb, expected):
    client = _datasette(demo_kb).client
    feed = (await client.get("/-/policykb/feed/demomart/account-health.atom")).text
    detected = expected["documents"]["demomart/account-health"]["versions"][-1]  # no effective date stated
    assert f"生效: {detected}" not in feed and "No effective date stated" in feed
    phrase = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]["added"][0]
    a = one(cite_json(demo_kb, phrase, "--now", FRESH), "demomart/account-health")
    assert a["effective_date_source"] == "detected" and a["effective_date_label"] == "detected"
    assert "effective" not in a["citation"]["en"]
    b = one(cite_json(demo_kb, expected["documents"]["shoptide/penalty-points"]["changes"]["2026-07-01"]["added"][0],
                      "--now", FRESH), "shoptide/penalty-points")
    assert b["effective_date_label"] == "announced"


@pytest.mark.asyncio
async def test_a_change_level_date_says_which_section_it_applies_to(demo_kb, expected):
    announced = expected["documents"]["shoptide/penalty-points"]["effective"]["2026-07-01"]
    client = _datasette(demo_kb).client
    page = (await client.get("/-/policykb?as_of=2026-07-01")).text
    card = page.split('id="platform-shoptide"')[1].split('class="pkb-card"')[0]
    recent = card.split("Recent substantive changes")[1].split("Upcoming")[0]
    assert announced in recent and "3.4" in recent.split(announced)[1].split("</li>")[0]
    feed = (await client.get("/-/policykb/feed/shoptide/penalty-points.atom")).text
    assert "3.4" in feed.split(announced)[1][:200]


def test_which_sections_enclose_a_section():
    from kb.timemodel import ancestors, in_force, is_document_wide

    sections = [{"key": k, "level": lv, "ordinal": i} for i, (k, lv) in enumerate([
        ("title", 1), ("3", 2), ("3.2", 3), ("3.4", 3), ("第4条", 3), ("第4条(1)", 3), ("faq", 2), ("q1", 4)])]
    assert ancestors(sections, "3.2") == ["3", "title"]
    assert "3.2" not in ancestors(sections, "3.4")  # a sibling never encloses
    assert ancestors(sections, "第4条(1)")[0] == "第4条"
    assert ancestors(sections, "q1") == ["faq", "title"]
    assert is_document_wide(sections[0]) and not is_document_wide(sections[1]) and is_document_wide(None)
    assert [in_force(True, "2026-04-15", "stated", d) for d in ("2026-04-10", "2026-04-15")] == ["announced", "yes"]
    assert in_force(False, None, None, "2026-04-10") == "no" and in_force(None, None, None, "2026-04-10") == "unknown"
    assert in_force(True, "2026-04-15", "detected", "2026-04-10") == "yes"  # a detection date never announces
