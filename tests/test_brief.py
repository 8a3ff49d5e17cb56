"""The policy brief (``policykb brief``) on the demo KB: exactly the substantive changes EXPECTED.yml names, with
their sections and effective dates, in Chinese and English; nothing cosmetic listed; the Chinese brief shows no
English label and no stored value; text from the pages stays inert in the HTML."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from kb.brief import markdown, md_text, render, section_name
from kb.cite.dates import zh_date
from kb.cli import cli
from kb.labels import LABELS
from kb.timemodel import DATE_LABELS
from test_home import stored_values_shown


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def brief_of(demo_kb, expected, *extra):
    args = ["brief", "--data", demo_kb, "--since", expected["dates"][0], "--until", expected["dates"][-1], *extra]
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def expected_changes(expected) -> dict[tuple[str, str], dict]:
    """(document, version date) → what EXPECTED.yml says of that change (the versions after the first)."""
    out = {}
    for doc, e in expected["documents"].items():
        for day in e["versions"][1:]:
            out[(doc, day)] = {
                "sections": (e.get("sections_changed", {}).get(day, []) + e.get("sections_added", {}).get(day, [])),
                "effective": e.get("effective", {}).get(day)}
    return out


def listed(data) -> dict[tuple[str, str], dict]:
    return {(d["id"], c["detected_at"][:10]): c for p in data["groups"] for d in p["documents"] for c in d["changes"]}


def named(section: dict, name: str) -> bool:
    return name in (section["key"], section["heading"]) or (section["heading"] or "").startswith(name)


def test_brief_lists_exactly_the_expected_changes_with_their_sections_and_effective_dates(demo_kb, expected):
    data = brief_of(demo_kb, expected)
    want, got = expected_changes(expected), listed(data)
    assert set(got) == set(want)
    for (doc, day), e in want.items():
        sections = got[(doc, day)]["sections"]
        for name in e["sections"]:
            assert any(named(s, name) for s in sections), (doc, name, [s["key"] for s in sections])
        dates = {(s["effective"]["date"], s["effective"]["label"]) for s in sections}
        if e["effective"]:  # stated: announced when later than the day it was seen
            label = "announced" if e["effective"] > day else "stated_effective"
            assert (e["effective"], label) in dates, (doc, dates)
        else:  # nothing stated: the day the change was detected, never called effective
            assert dates == {(day, "detected")}, (doc, dates)


def test_nothing_cosmetic_is_listed_only_counted(demo_kb, expected):
    data = brief_of(demo_kb, expected)
    conn = sqlite3.connect(demo_kb / "policykb.db")
    others = dict(conn.execute("select kind, count(*) from changes where kind != 'substantive' group by kind"))
    noise = {doc for doc, e in expected["documents"].items() if e.get("noise_only")}
    assert noise and not noise & {d for d, _ in listed(data)}
    assert data["not_listed"] == others
    assert data["listed"] == len(expected_changes(expected))


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_markdown_brief_names_each_change_its_sections_and_dates_in_its_language(demo_kb, expected, lang):
    data = brief_of(demo_kb, expected)
    result = run("brief", "--data", demo_kb, "--since", expected["dates"][0], "--until", expected["dates"][-1],
                 "--lang", lang)
    assert result.exit_code == 0, result.output
    text = result.output
    day = zh_date if lang == "zh" else (lambda d: d)
    blocks = re.split(r"(?m)^#### ", text)
    for (doc, when), change in listed(data).items():
        block = next(b for b in blocks if f"/-/policykb/diff/{doc}/{change['from_seq']}..{change['to_seq']}" in b)
        assert day(when) in block
        for s in change["sections"]:
            assert md_text(section_name(s)) in block
            if s["effective"]["label"]:
                assert DATE_LABELS[s["effective"]["label"]][lang == "zh"] in block
                assert day(s["effective"]["date"]) in block
    for p in data["groups"]:
        for d in p["documents"]:
            title = (d["title_zh"] or d["title"]) if lang == "zh" else d["title"]
            assert f"### {title}" in text


def from_pages(data) -> list[str]:
    """What the brief quotes from the pages (titles, headings, keys, redlines, URLs): not ours to translate."""
    out = []
    for p in data["groups"]:
        for d in p["documents"]:
            out += [d["title"] or "", d["title_zh"] or "", d["url"]]
            for c in d["changes"]:
                out += list(c["links"].values())
                for s in c["sections"]:
                    out += [section_name(s), s["key"]] + [t for _, t in s["redline"]]
    return sorted({x for x in out if x}, key=len, reverse=True)


def english_labels(text: str) -> list[str]:
    """Our English words (labels, date labels) in a text; a label's template is checked part by part."""
    words = [en for en, zh in LABELS.values() if en != zh] + [en for en, _ in DATE_LABELS.values()]
    parts = {part.strip() for en in words for part in re.split(r"\{\w+\}", en)}
    return sorted(p for p in parts if len(p) > 3 and re.search(r"[A-Za-z]{3}", p) and p in text)


def test_chinese_brief_shows_no_english_label_or_stored_value(demo_kb, expected):
    data = brief_of(demo_kb, expected)
    text = markdown(data, "zh")
    for quoted in from_pages(data):  # both the raw and the escaped form
        text = text.replace(md_text(quoted), " ").replace(md_text(quoted, strip=False), " ").replace(quoted, " ")
    assert english_labels(text) == []
    assert english_labels(markdown(data, "en"))  # the check can fail: the English brief has them
    assert stored_values_shown(render(data, "html", "zh")) == []


def test_html_brief_keeps_text_from_pages_inert():
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))'
    data = {"since": "2026-01-01", "until": "2026-01-08", "platforms": [], "concept": None, "listed": 1,
            "not_listed": {}, "groups": [{"id": "p", "name": hostile, "name_zh": None, "documents": [{
                "id": "p/d", "title": hostile, "title_zh": None, "url": "javascript:alert(4)", "changes": [{
                    "id": "c", "detected_at": "2026-01-02T00:00:00Z", "from_seq": 1, "to_seq": 2,
                    "effective": {"date": None, "label": None}, "concepts": [],
                    "links": {"from": "/a", "to": "/b", "diff": "/c", "original": "javascript:alert(4)"},
                    "sections": [{"key": "1", "heading": hostile, "status": "modified", "concepts": [],
                                  "effective": {"date": None, "label": None},
                                  "redline": [[0, hostile], [-1, hostile], [1, hostile]]}]}]}]}]}
    page = render(data, "html", "en").lower()
    assert "<script" not in page and "<img" not in page and 'href="javascript' not in page
    assert "<ins>" in page and "<del>" in page


def test_bad_options_are_one_line_and_exit_2(demo_kb):
    for args in (["--platform", "nosuch"], ["--since", "2026-07-01", "--until", "2026-01-01"],
                 ["--concept", "nosuch-concept"], ["--lang", "fr"]):
        result = run("brief", "--data", demo_kb, *args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.asyncio
async def test_the_web_brief_is_the_same_brief_printable_and_in_chinese(demo_kb, expected):
    from test_feeds import _datasette

    ds = _datasette(demo_kb)
    since, until = expected["dates"][0], expected["dates"][-1]
    asked = await ds.client.get(f"/-/policykb/brief?since={since}&until={until}&lang=zh")
    assert asked.status_code == 302  # ?lang= becomes the pages' own ?hl=
    page = (await ds.client.get(asked.headers["location"])).text
    data = brief_of(demo_kb, expected)
    for (doc, when), change in listed(data).items():
        assert f"/-/policykb/diff/{doc}/{change['from_seq']}..{change['to_seq']}" in page
        assert zh_date(when) in page
    assert "@media print" in page and 'method="post"' not in page.lower()
    assert stored_values_shown(page) == []
    brief_part = page.split('<div class="pkb-brief">', 1)[1]
    # links and redlines are the pages' words (an English policy says "appeal"), not labels of ours
    brief_part = re.sub(r'href="[^"]*"', "", brief_part)
    brief_part = re.sub(r"<(ins|del)>.*?</\1>", " ", brief_part, flags=re.S)
    for quoted in from_pages(data):
        brief_part = brief_part.replace(md_text(quoted), " ").replace(quoted, " ")
    brief_part = re.sub(r"<[^>]*>", " ", brief_part)  # the words a reader sees: a closing </section> is not one
    assert english_labels(brief_part) == []
    english = (await ds.client.get(f"/-/policykb/brief?since={since}&until={until}&hl=en")).text
    assert english_labels(english.split('<div class="pkb-brief">', 1)[1])
    assert (await ds.client.get("/-/policykb/brief?platform=nosuch")).status_code == 404


@pytest.mark.asyncio
async def test_the_weekly_briefs_feed_has_one_entry_per_week_with_a_change(demo_kb, expected):
    import feedparser
    from datetime import date, timedelta

    from test_feeds import _datasette

    ds = _datasette(demo_kb, "https://kb.example.org")
    parsed = feedparser.parse((await ds.client.get("/-/policykb/briefs.atom")).text)
    assert not parsed.bozo
    weeks = {}
    for doc, day in expected_changes(expected):
        monday = date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
        weeks.setdefault(monday.isoformat(), []).append(doc)
    assert len(parsed.entries) == len(weeks)
    for entry in parsed.entries:
        monday = re.search(r"since=(\d{4}-\d\d-\d\d)", entry.id).group(1)
        assert entry.id.startswith("https://kb.example.org/-/policykb/brief?")
        body = entry.content[0].value
        assert all(f"/-/policykb/diff/{doc}/" in body for doc in weeks[monday])
        assert "<script" not in body


def test_the_readme_sample_is_what_the_command_writes(demo_kb):
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"\(`policykb brief --data data ([^`]+)`, as generated\)", readme.replace("\n", " "))
    assert command, "README names the command of its sample"
    sample = re.search(r"````markdown\n(# 政策简报.*?)````", readme, re.S).group(1)
    result = run("brief", "--data", demo_kb, *command.group(1).split())
    assert result.exit_code == 0, result.output
    assert result.output == sample


@pytest.fixture(scope="module")
def noisy_kb(tmp_path_factory, expected):
    """The demo, then two more crawls of penalty-points: 2026-08-01 only the case of a heading changed
    (cosmetic), 2026-09-01 the page of 2026-01-15 again (a flip-flop)."""
    import shutil

    import kbfactory

    site = tmp_path_factory.mktemp("noisy") / "site"
    shutil.copytree(kbfactory.DEMO_SITE, site)
    folder = site / "seller.shoptide.example" / "university" / "penalty-points"
    latest = (folder / "2026-07-01.html").read_text(encoding="utf-8")
    assert "<h3>3.2 Severe violations</h3>" in latest
    (folder / "2026-08-01.html").write_text(latest.replace("<h3>3.2 Severe violations</h3>",
                                                           "<h3>3.2 Severe Violations</h3>"), encoding="utf-8")
    shutil.copy(folder / "2026-01-15.html", folder / "2026-09-01.html")
    data = tmp_path_factory.mktemp("noisy") / "data"
    return kbfactory.build_kb(data, expected["dates"] + ["2026-08-01", "2026-09-01"], kbfactory.DEMO_SOURCES, site)


def test_cosmetic_changes_and_flip_flops_are_counted_not_listed(noisy_kb):
    conn = sqlite3.connect(noisy_kb / "policykb.db")
    kinds = dict(conn.execute("select kind, count(*) from changes where detected_at >= '2026-07-15' group by kind"))
    assert kinds == {"cosmetic": 1, "flip_flop": 1}, kinds  # what the classifier made of the two crawls
    result = run("brief", "--data", noisy_kb, "--since", "2026-07-15", "--until", "2026-09-30", "--format", "json")
    data = json.loads(result.output)
    assert data["groups"] == [] and data["listed"] == 0 and data["not_listed"] == kinds
    for lang in ("zh", "en"):
        text = markdown(data, lang)
        assert "penalty-points" not in text
        for kind, n in kinds.items():
            assert f"{LABELS[kind][lang == 'zh']}{'：' if lang == 'zh' else ': '}{n}" in text


def test_changed_deadlines_and_thresholds_come_first_in_both_languages(demo_kb, expected):
    """The demo's value changes (late shipment 4 % → 3 %, IP takedown 2 个工作日 → 24 小时) are listed in their
    change, before its sections, with the units in the brief's language."""
    data = brief_of(demo_kb, expected)
    values = [(v["old_value"], v["old_unit"], v["new_value"], v["new_unit"])
              for c in listed(data).values() for v in c["values"]]
    assert (4, "percent", 3, "percent") in values
    assert (2, "business_day", 24, "hour") in values
    zh, en = markdown(data, "zh"), markdown(data, "en")
    assert "4 % → **3 %**" in zh and "2 个工作日 → **24 小时**" in zh
    assert "2 business days → **24 hours**" in en
    for text in (zh, en):
        for change in text.split("#### ")[1:]:
            if "→ **" in change:  # the values of a change stand before its sections
                assert change.index("→ **") < change.index("涉及条款" if text is zh else "Sections touched")


@pytest.fixture(scope="module")
def kept_date_kb(tmp_path_factory):
    """kuajing/violations keeps its old "生效日期：2025年11月1日" line while 2026-08-01 rewords 第七条."""
    import shutil

    import kbfactory

    site = tmp_path_factory.mktemp("kept") / "site"
    shutil.copytree(kbfactory.DEMO_SITE, site)
    folder = site / "seller.kuajingtong.example" / "rules" / "violations"
    page = (folder / "2026-01-15.html").read_text(encoding="utf-8")
    assert "生效日期：2025年11月1日" in page and "一般违规每次扣1分至6分" in page
    (folder / "2026-08-01.html").write_text(page.replace("一般违规每次扣1分至6分", "一般违规每次扣2分至6分"),
                                            encoding="utf-8")
    data = tmp_path_factory.mktemp("kept") / "data"
    return kbfactory.build_kb(data, ["2026-07-01", "2026-08-01"], kbfactory.DEMO_SOURCES, site)


def test_an_old_effective_line_the_page_kept_is_not_the_changes_date(kept_date_kb):
    result = run("brief", "--data", kept_date_kb, "--since", "2026-07-15", "--until", "2026-08-31", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (change,) = [c for p in data["groups"] for d in p["documents"] if d["id"] == "kuajing/violations"
                 for c in d["changes"]]
    assert any(named(s, "第七条") for s in change["sections"]), change["sections"]
    for effective in [change["effective"]] + [s["effective"] for s in change["sections"]]:
        assert (effective["date"], effective["label"]) == ("2026-08-01", "detected"), effective
    for lang in ("zh", "en"):
        text = markdown(data, lang)
        assert zh_date("2025-11-01") not in text and "2025-11-01" not in text
        header = next(line for line in text.splitlines() if line.startswith("#### "))
        assert DATE_LABELS["detected"][lang == "zh"] in header  # the change's own date, labelled as what it is


def test_redlines_are_the_words_a_reader_sees(demo_kb, expected):
    data = brief_of(demo_kb, expected)
    shown = [t for s in (s for c in listed(data).values() for s in c["sections"]) for _, t in s["redline"]]
    assert shown
    assert not [t for t in shown if "##" in t or "**" in t or "](" in t]  # Markdown marks are not wording
    text = render(data, "md", "zh")
    assert "\\#" not in text and "\\*" not in text


def test_a_brief_for_one_concept_says_its_uncounted_changes_are_of_any_concept(demo_kb, expected):
    from kb.labels import label

    args = ["brief", "--data", demo_kb, "--since", expected["dates"][0], "--until", expected["dates"][-1]]
    one = run(*args, "--concept", "penalty-points")
    assert one.exit_code == 0, one.output
    assert label("brief_not_listed_any", "zh") in one.output
    assert label("brief_not_listed_any", "zh") not in run(*args).output


def test_redlines_follow_a_renamed_or_renumbered_section(tmp_path):
    """A section the change renamed or renumbered is compared with its own earlier text (its old key), not with
    whatever section had its new key before, nor shown as wholly inserted."""
    import shutil

    import kbfactory

    site = tmp_path / "site"
    shutil.copytree(kbfactory.DEMO_SITE, site)
    health = site / "sellercentral.demomart.example/help/account-health"
    page = (health / "2026-04-01.html").read_text(encoding="utf-8")
    renamed = page.replace("<h3>Valid tracking rate</h3>", "<h3>Tracking number validity</h3>").replace(
        "you must maintain a valid tracking rate above 95%", "you must maintain a valid tracking rate above 97%")
    assert renamed != page
    (health / "2026-08-01.html").write_text(renamed, encoding="utf-8")
    appeals = site / "seller.kuajingtong.example/rules/appeals"
    page = (appeals / "2026-04-01.html").read_text(encoding="utf-8")
    names = [f"第{n}条" for n in "一二三四五六七八九十"]
    for i in range(len(names) - 2, 1, -1):  # 第三条 … become 第四条 …, then a new 第三条 goes in
        page = page.replace(f"<strong>{names[i]}</strong>", f"<strong>{names[i + 1]}</strong>")
    page = page.replace('<p class="clause"><strong>第四条</strong>',
                        '<p class="clause"><strong>第三条</strong>【申诉渠道】商家只能通过卖家中心的申诉入口提交申诉。</p>\n'
                        '<p class="clause"><strong>第四条</strong>', 1)
    (appeals / "2026-08-01.html").write_text(page, encoding="utf-8")
    data = kbfactory.build_kb(tmp_path / "data", ["2026-07-01", "2026-08-01"], kbfactory.DEMO_SOURCES, site)
    result = run("brief", "--data", data, "--since", "2026-07-15", "--until", "2026-08-31", "--format", "json")
    assert result.exit_code == 0, result.output
    sections = {d["id"]: [s for c in d["changes"] for s in c["sections"]]
                for p in json.loads(result.output)["groups"] for d in p["documents"]}
    ops = [tuple(op) for s in sections["demomart/account-health"] for op in s["redline"]]
    assert (-1, "95") in ops and (1, "97") in ops, sections["demomart/account-health"]
    deleted = "".join(t for s in sections["kuajing/appeals"] for op, t in s["redline"] if op == -1)
    assert "7个自然日" not in deleted, sections["kuajing/appeals"]  # the renumbered articles kept their words
