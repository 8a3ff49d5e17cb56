"""The home page at ``/``, its language (Accept-Language, ?hl=, the remembered cookie), error pages in the
house style, and the one table of labels; in-process through Datasette's client on the demo KB."""

import re
import sqlite3
from html import unescape

import pytest
import yaml
from datasette.app import Datasette

from conftest import ROOT, policykb
from datasette_plugins import labels
from kb import read

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def ds(demo_kb):
    return Datasette([str(demo_kb / "policykb.db")], metadata=METADATA)


@pytest.fixture
def overview(demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    conn.row_factory = sqlite3.Row
    try:
        return read.platform_overview(conn)
    finally:
        conn.close()


def visible_text(page: str) -> str:
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.asyncio
async def test_home_in_chinese_links_every_entry_point_and_says_the_kb_facts(ds, overview):
    r = await ds.client.get("/", headers=ZH)
    assert r.status_code == 200
    page = r.text
    assert labels.label("about", "zh") in page and labels.label("about", "en") not in page
    for path in ("/-/policykb/search", "/-/policykb/cite", "/-/glossary", "/-/policykb/status", "/-/databases"):
        assert f'href="{path}"' in page or f'action="{path}"' in page, path
    assert 'name="q"' in page
    # recent substantive changes: the newest of every platform's, platform named in Chinese
    recent = sorted((c for p in overview for c in p["recent_changes"]), key=lambda c: c["detected_at"], reverse=True)
    assert recent, "the demo KB has substantive changes"
    names_zh = {p["id"]: p["name_zh"] or p["name"] for p in overview}
    for c in recent[:3]:
        assert f"/-/policykb/diff/{c['document_id']}/{c['from_seq']}..{c['to_seq']}" in page
        assert names_zh[c["platform_id"]] in visible_text(page)
    # health: the counts the overview's read functions give
    attention = [a for p in overview for a in p["attention"]]
    total = sum(p["documents"] for p in overview)
    counts = {k: sum(1 for a in attention if a["problem"] == k) for k in ("stale", "failing", "gone")}
    assert labels.label("health_counts", "zh", total=total, **counts) in page


@pytest.mark.asyncio
async def test_home_shows_no_stored_enumeration_or_english_platform_name_in_chinese(ds, overview):
    text = visible_text((await ds.client.get("/", headers=ZH)).text)
    for value in labels.ENUMERATIONS:
        assert not re.search(rf"\b{value}\b", text), value
    for p in overview:
        if p["name_zh"] and p["name_zh"] != p["name"]:
            home_part = text[text.index(labels.label("recent", "zh")):text.index(labels.label("overview", "zh"))]
            assert not re.search(rf"\b{re.escape(p['name'])}\b", home_part), p["name"]


@pytest.mark.asyncio
async def test_language_from_accept_language_switch_and_cookie(ds):
    en = await ds.client.get("/", headers=EN)
    assert labels.label("about", "en") in unescape(en.text) and 'href="/?hl=zh"' in en.text
    assert "set-cookie" not in en.headers  # nothing asked explicitly: nothing remembered
    switched = await ds.client.get("/?hl=zh", headers=EN)
    assert labels.label("about", "zh") in unescape(switched.text)
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith(f"{labels.COOKIE}=zh") and "Max-Age" in cookie
    remembered = await ds.client.get("/", headers=EN, cookies={labels.COOKIE: "zh"})
    assert labels.label("about", "zh") in unescape(remembered.text)
    nonsense = await ds.client.get("/", headers={"Accept-Language": "fr;q=1, en;q=0"})
    assert labels.label("about", "zh") in unescape(nonsense.text)  # none we have: Chinese first


@pytest.mark.asyncio
async def test_datasette_index_is_still_reachable(ds):
    r = await ds.client.get("/-/databases")
    assert r.status_code == 200 and 'href="/policykb"' in r.text
    assert (await ds.client.get("/.json")).status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize("path, said", [
    ("/-/policykb/doc/kuajing/nosuch", "kuajing/nosuch"),
    ("/-/policykb/doc/kuajing/appeals/v/999", "999"),
    ("/-/policykb/diff/kuajing/appeals/1..999", "999"),
    ("/-/policykb/platform/nosuch", "nosuch"),
    ("/nosuchdb", "Database not found"),
])
async def test_error_pages_in_the_house_style_in_both_languages(ds, path, said):
    for headers, first, second in ((ZH, "zh", "en"), (EN, "en", "zh")):
        r = await ds.client.get(path, headers=headers)
        assert r.status_code == 404
        assert 'class="pkb-error"' in r.text and 'class="pkb-nav"' in r.text and said in r.text
        title = re.search(r"<h1>(.*?)</h1>", r.text).group(1)
        assert title.index(labels.label("not_found", first)) < title.index(labels.label("not_found", second))


@pytest.mark.asyncio
async def test_json_errors_stay_json(ds):
    r = await ds.client.get("/nosuchdb.json")
    assert r.status_code == 404 and r.json()["ok"] is False


def test_every_label_has_both_languages_and_every_enumeration_a_label():
    for key, (en, zh) in labels.LABELS.items():
        assert en.strip() and zh.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh) or key == "switch", key
    for value in labels.ENUMERATIONS:
        assert value in labels.LABELS
        assert labels.label(value, "zh") != value and "_" not in labels.label(value, "en")


def test_every_document_type_has_a_label():
    from pipeline.sources import DOCUMENT_TYPES

    for value in DOCUMENT_TYPES:
        assert labels.document_type(value, "zh") != value and re.search(r"[\u4e00-\u9fff]", labels.document_type(value, "zh"))
    assert labels.document_type("not-a-type", "zh") == "not-a-type"


def stored_values_shown(page: str) -> list[str]:
    """Stored enumerations shown as they are stored: an element's whole text, or a value with its underscore."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    shown = [v for v in labels.ENUMERATIONS if re.search(rf">\s*(\d+\s+)?{re.escape(v)}\s*<", body)]
    return shown + [v for v in labels.ENUMERATIONS if "_" in v and v in visible_text(page)]


@pytest.mark.asyncio
async def test_no_page_shows_a_stored_enumeration_as_stored(ds, demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    doc, a, b = conn.execute("""select c.document_id, f.seq, t.seq from changes c join versions f on f.id = c.from_version_id
                                join versions t on t.id = c.to_version_id limit 1""").fetchone()
    concept = conn.execute("select id from glossary_concepts limit 1").fetchone() if conn.execute(
        "select 1 from sqlite_master where name = 'glossary_concepts'").fetchone() else None
    conn.close()
    paths = ["/", "/-/policykb", f"/-/policykb/doc/{doc}", f"/-/policykb/diff/{doc}/{a}..{b}", "/-/policykb/status",
             "/-/policykb/search?q=%E7%94%B3%E8%AF%89", "/-/glossary"]
    if concept:
        paths.append(f"/-/glossary/concept/{concept[0]}")
    for path in paths:
        r = await ds.client.get(path, headers=ZH)
        assert r.status_code == 200, path
        assert stored_values_shown(r.text) == [], path


@pytest.mark.asyncio
async def test_platform_names_in_chinese_in_search_hits_overview_and_feeds(ds, demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    named = conn.execute("select id, name, name_zh from platforms where name_zh is not null and name_zh != name").fetchall()
    conn.close()
    assert named
    zh_hits = await ds.client.get("/-/policykb/search?q=%E7%94%B3%E8%AF%89", headers=ZH)
    en_hits = await ds.client.get("/-/policykb/search?q=%E7%94%B3%E8%AF%89", headers=EN)
    hit_lines = lambda page: re.findall(r"</a></strong> · ([^·]+) ·", page)  # noqa: E731
    assert hit_lines(zh_hits.text) and hit_lines(en_hits.text)
    names_zh, names_en = {n[2] for n in named}, {n[1] for n in named}
    assert {h.strip() for h in hit_lines(zh_hits.text)} <= names_zh | {n[1] for n in named if not n[2]}
    assert {h.strip() for h in hit_lines(en_hits.text)} <= names_en
    overview = visible_text((await ds.client.get("/-/policykb", headers=ZH)).text)
    for pid, name, name_zh in named:
        assert name_zh in overview
        feed = await ds.client.get(f"/-/policykb/feed/{pid}.atom")
        title = re.search(r"<title[^>]*>(.*?)</title>", feed.text).group(1)
        assert title.index(name_zh) < title.index(name), title


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/-/policykb/search?q=x&since=2026-13-01", "/-/policykb/diff/kuajing/appeals?from=a&to=2"])
async def test_bad_requests_in_the_house_style(ds, path):
    r = await ds.client.get(path, headers=ZH)
    assert r.status_code == 400 and 'class="pkb-error"' in r.text
    title = re.search(r"<h1>(.*?)</h1>", r.text).group(1)
    assert title.index(labels.label("bad_request", "zh")) < title.index(labels.label("bad_request", "en"))


@pytest.mark.asyncio
async def test_the_top_bar_leads_home_in_the_page_language(ds):
    for headers, lang in ((ZH, "zh"), (EN, "en")):
        page = (await ds.client.get("/-/policykb/cite", headers=headers)).text
        assert f'<p class="crumbs"><a href="/">{labels.label("home", lang)}</a></p>' in page


@pytest.mark.asyncio
async def test_cite_answer_names_the_platform_in_the_page_language(ds, demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    text, name, name_zh = conn.execute("""select s.text_markdown, p.name, p.name_zh from sections s
        join documents d on d.current_version_id = s.version_id join platforms p on p.id = d.platform_id
        where p.name_zh is not null and p.name_zh != p.name and length(s.text_markdown) > 40 limit 1""").fetchone()
    conn.close()
    quote = re.sub(r"[#*_>`\[\]]", "", text).strip().splitlines()[-1][:60]
    for headers, shown, hidden in ((ZH, name_zh, name), (EN, name, name_zh)):
        page = (await ds.client.get("/-/policykb/cite", params={"q": quote}, headers=headers)).text
        badge_line = re.search(r'class="pkb-badge">.*?</p>', page, re.S).group(0)
        assert f"— {shown} ·" in badge_line and f"— {hidden} ·" not in badge_line


@pytest.mark.asyncio
async def test_glossary_concept_names_platforms_in_the_page_language(ds, demo_kb):
    from glossary import lookup as gl

    conn = sqlite3.connect(demo_kb / "policykb.db")
    conn.row_factory = sqlite3.Row
    try:
        if not gl.has_glossary(conn):
            pytest.skip("the demo KB has no glossary")
        concepts = [r[0] for r in conn.execute("select id from glossary_concepts order by id")]
        terms = [t for c in concepts for t in gl.concept(conn, c)["terms"]
                 if t.get("platform_name_zh") and t["platform_name_zh"] != t.get("platform_name")]
    finally:
        conn.close()
    assert terms, "the demo glossary has platforms with a Chinese name"
    term = terms[0]
    for headers, shown in ((ZH, term["platform_name_zh"]), (EN, term["platform_name"])):
        page = (await ds.client.get(f"/-/glossary/concept/{term['concept_id']}", headers=headers)).text
        assert f"<td>{shown}</td>" in page


# --- the findings about terms, each with its test ---------------------------------------------------


def _a_rename(demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    row = conn.execute("""select t.term, d.replaced_by, d.document_id from glossary_drift d
                          join glossary_terms t on t.id = d.term_id where d.replaced_by != '' limit 1""").fetchone()
    conn.close()
    assert row, "the demo KB records a term that a document renamed"
    return row


@pytest.mark.parametrize("which", ("new", "old"))
def test_term_look_up_follows_a_rename_both_ways_and_names_it(demo_kb, which):
    """`policykb term "Account Warning"` finds the concept of the term it replaced, and both look-ups say so."""
    old, new, document = _a_rename(demo_kb)
    out = policykb("term", new if which == "new" else old, "--data", demo_kb).stdout
    assert "no concept matches" not in out
    assert f"“{old}” → “{new}” in {document}" in out


@pytest.mark.asyncio
async def test_glossary_search_names_the_rename(ds, demo_kb):
    old, new, document = _a_rename(demo_kb)
    r = await ds.client.get("/-/glossary", params={"q": new}, headers=ZH)
    assert "更名" in r.text and f"“{old}” → “{new}”" in unescape(r.text)


def test_the_general_pseudo_platform_is_not_named_as_a_platform(demo_kb):
    """"general" holds the generic words: a flag says they are in no platform's documents, not "of All platforms
    (general)" as though it were one."""
    out = policykb("term", "--unattested", "--json", "--data", demo_kb).stdout
    general = [t for t in yaml.safe_load(out)["unattested"] if t["platform"] == "general" and t["attestation"] == "not_found"]
    assert general
    for t in general:
        assert "All platforms (general)" not in t["note"] and "of every platform" in t["note"]


@pytest.mark.asyncio
async def test_the_glossary_legend_explains_every_mark_it_uses(ds):
    r = await ds.client.get("/-/glossary", headers=ZH)
    legend = r.text.split("<h1>")[1].split('<form action="/-/glossary"')[0]
    body = r.text.split('id="matrix"')[1]
    for mark in ("⚠", "≈", "⊂", "≠", "✓", "⚑", "○"):
        if mark in body:
            assert mark in legend, mark


@pytest.mark.asyncio
async def test_glossary_matrix_fits_platforms_with_evidence_first_and_can_be_chosen(ds, demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    attested = [r[0] for r in conn.execute("""select platform from glossary_terms where attestation = 'attested'
                                              and platform != 'general' group by platform""")]
    conn.close()
    r = await ds.client.get("/-/glossary", headers=EN)
    matrix = r.text.split('class="pkb gl-matrix"')[1].split("</tr>")[0]
    header = re.findall(r"<th>(.*?)</th>", matrix)[1:]
    assert "All platforms" in header[-1]  # the generic words, no platform: last
    header = header[:-1]
    assert len(header) > len(attested) >= 1
    assert all("✓" in h for h in header[:len(attested)]) and not any("✓" in h for h in header[len(attested):])
    assert 'class="pkb-wrap-x"><table class="pkb gl-matrix"' in r.text  # scrolls in its own box
    chosen = await ds.client.get("/-/glossary", params={"p": attested[0]}, headers=EN)
    header = re.findall(r"<th>(.*?)</th>", chosen.text.split('class="pkb gl-matrix"')[1].split("</tr>")[0])
    assert len(header) == 2
