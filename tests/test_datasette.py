"""The KB on Datasette: metadata, canned queries, our pages, feeds and sanitizing; in-process through ds.client."""

import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest
import yaml
from datasette.app import Datasette

from conftest import ROOT, rows
from datasette_plugins.charts import heatmap, timeline
from datasette_plugins.render import diff_sections, redline, redline_markdown, render_markdown

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
ATOM = "{http://www.w3.org/2005/Atom}"
FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


@pytest.fixture
def ds(demo_kb):
    return Datasette([str(demo_kb / "policykb.db")], metadata=METADATA)


def kb(data):
    return data / "policykb.db"


def changes_with_seqs(db_path, where="1=1", params=()):
    return rows(db_path, f"""
        select c.document_id, c.kind, f.seq as a, t.seq as b, d.platform_id from changes c
        join versions f on f.id = c.from_version_id join versions t on t.id = c.to_version_id
        join documents d on d.id = c.document_id where {where}""", params)


def test_metadata_describes_every_table_and_only_real_ones(demo_kb):
    described = METADATA["databases"]["policykb"]["tables"]
    master = rows(kb(demo_kb), "select name, sql from sqlite_master where type in ('table', 'view')")
    names = {r["name"] for r in master}
    virtual = {r["name"] for r in master if (r["sql"] or "").upper().startswith("CREATE VIRTUAL TABLE")}
    shadows = {v + s for v in virtual for s in FTS_SHADOWS}
    user_tables = {n for n in names - shadows if not n.startswith(("_", "sqlite_"))}
    assert set(described) == user_tables
    for table, spec in described.items():
        assert spec.get("description"), table
        columns = {r["name"] for r in rows(kb(demo_kb), f"pragma table_info([{table}])")} | {"rowid"}
        assert set(spec.get("columns", {})) <= columns, table


def test_every_column_of_the_core_and_search_tables_is_described():
    """Columns of the backbone's tables (migrations up to sections) and of search: each described.
    (Other features describe the columns they add.)"""
    import sqlite_utils

    from kb.db import apply_migrations, migrations

    apply_migrations(sqlite_utils.Database(memory=True))  # loads every migration module
    names = [m.name for m in migrations._migrations]
    fresh = sqlite_utils.Database(memory=True)
    migrations.apply(fresh, stop_before=names[names.index("m0100_sections") + 1:])
    described = METADATA["databases"]["policykb"]["tables"]
    for table in fresh.table_names() + fresh.view_names():
        if table.startswith("_") or table.startswith("versions_fts"):
            continue
        missing = set(fresh[table].columns_dict) - set(described[table].get("columns", {}))
        assert not missing, (table, sorted(missing))
    assert set(described["search_sections"]["columns"]) == {"rowid", "document_id", "key", "content_hash", "meta",
                                                             "pending"}


@pytest.mark.asyncio
async def test_canned_queries_run(ds, demo_kb):
    queries = METADATA["databases"]["policykb"]["queries"]
    for name in ("changes_last_30_days", "upcoming_effective_dates", "not_checked_48h", "documents_by_type"):
        assert name in queries
    by_type = (await ds.client.get("/policykb/documents_by_type.json?doc_type=appeals&_shape=objects")).json()
    assert {r["platform_id"] for r in by_type["rows"]} == {
        r["platform_id"] for r in rows(kb(demo_kb), "select platform_id from documents where doc_type = 'appeals'")}
    stale = (await ds.client.get("/policykb/not_checked_48h.json?_shape=objects")).json()["rows"]
    # the demo was crawled on the replay clock, months ago: every document is overdue
    assert len(stale) == rows(kb(demo_kb), "select count(*) as n from documents")[0]["n"]
    for name in queries:
        response = await ds.client.get(f"/policykb/{name}.json")
        assert response.status_code == 200, name
    page = await ds.client.get("/policykb/documents_by_type?doc_type=appeals")
    assert '<a href="/-/policykb/doc/kuajing/appeals">' in page.text


@pytest.mark.asyncio
async def test_plugin_is_registered(ds):
    plugins = (await ds.client.get("/-/plugins.json")).json()
    assert any("register_routes" in p["hooks"] and "render_cell" in p["hooks"] for p in plugins)


@pytest.mark.asyncio
async def test_overview_per_platform(ds, demo_kb, expected):
    response = await ds.client.get("/-/policykb?as_of=2026-07-01")
    assert response.status_code == 200
    for doc in expected["documents"]:
        assert f"/-/policykb/doc/{doc}" in response.text
    for change in changes_with_seqs(kb(demo_kb)):
        assert f"/-/policykb/diff/{change['document_id']}/{change['a']}..{change['b']}" in response.text
    # shoptide announces 2026-08-01 (after the as-of date); the gone page needs attention
    card = response.text.split('id="platform-shoptide"')[1].split('class="pkb-card"')[0]
    assert "2026-08-01" in card.split("Upcoming effective dates")[1].split("Failing")[0]
    demomart = response.text.split('id="platform-demomart"')[1].split('class="pkb-card"')[0]
    assert "gone" in demomart.split("Failing or stale")[1]
    assert "<svg" in response.text and "Substantive changes per platform per month" in response.text
    later = await ds.client.get("/-/policykb?as_of=2026-09-01")
    card = later.text.split('id="platform-shoptide"')[1].split('class="pkb-card"')[0]
    assert "2026-08-01" not in card.split("Upcoming effective dates")[1].split("Failing")[0]
    assert "stale" in card  # no successful check for two months by then
    platform = await ds.client.get("/-/policykb/platform/kuajing")
    assert platform.status_code == 200 and "/-/policykb/doc/kuajing/appeals" in platform.text
    assert "/-/policykb/doc/demomart/" not in platform.text.split("<h2>Documents")[1]
    assert (await ds.client.get("/-/policykb/platform/nope")).status_code == 404


@pytest.mark.asyncio
async def test_search_page_and_api(ds):
    page = await ds.client.get("/-/policykb/search?q=申诉")
    assert page.status_code == 200
    assert "<mark>申诉</mark>" in page.text and "/-/policykb/doc/kuajing/appeals" in page.text
    api = (await ds.client.get("/-/policykb/search.json?q=counterfeit&limit=5")).json()
    assert api["query"] == "counterfeit" and api["hits"] and api["method"] == "short"  # English words: the stemmed word index
    hit = api["hits"][0]
    for key in ("platform", "document", "section", "snippet", "version_date", "current", "url"):
        assert key in hit
    filtered = (await ds.client.get("/-/policykb/search.json?q=申诉&platform=demomart")).json()
    assert filtered["hits"] == []
    short = (await ds.client.get("/-/policykb/search.json?q=诉&current=1&limit=200")).json()
    assert short["method"] == "short" and short["hits"] and all(h["current"] for h in short["hits"])
    assert (await ds.client.get("/-/policykb/search.json?q=")).status_code == 400


@pytest.mark.asyncio
async def test_table_search_without_an_index_is_refused_not_answered_with_every_row(ds, demo_kb):
    """Datasette drops ?_search on a table without a full-text index and lists every row; we say so."""
    versions = len(rows(kb(demo_kb), "select id from versions"))
    assert (await ds.client.get("/policykb/versions.json?_shape=array")).json().__len__() == versions
    for path in ("/policykb/versions.json?_search=申诉", "/policykb/sections.json?_search_heading=appeal",
                 "/policykb/versions?_search=%E7%94%B3%E8%AF%89"):
        page = await ds.client.get(path)
        assert page.status_code == 400, path
        assert "no full-text index" in page.text and "/-/policykb/search" in page.text, path
    assert "q=%E7%94%B3%E8%AF%89" in (await ds.client.get("/policykb/versions.json?_search=申诉")).text
    # The other filters still work on the same table, and _searchmode alone is no search.
    assert (await ds.client.get("/policykb/versions.json?_shape=array&_searchmode=raw")).status_code == 200


@pytest.mark.asyncio
async def test_document_page_shows_dates_outline_versions_and_timeline(ds, demo_kb, expected):
    doc = "kuajing/appeals"
    response = await ds.client.get(f"/-/policykb/doc/{doc}")
    assert response.status_code == 200
    text = response.text
    current = rows(kb(demo_kb), "select v.* from documents d join versions v on v.id = d.current_version_id "
                                "where d.id = ?", [doc])[0]
    assert current["effective_date"] and current["effective_date"] in text
    assert current["effective_evidence"] in text and current["last_updated_evidence"] in text
    assert "succeeded 成功" in text
    # the outline: every current section, the one added in version 2 dated at version 2
    sections = rows(kb(demo_kb), "select key, heading from sections where version_id = ? order by ordinal",
                    [current["id"]])
    outline = text.split("pkb-outline")[1].split("</table>")[0]
    for s in sections:
        assert f'href="#s-{s["key"]}"' in outline
    added = expected["documents"][doc]["sections_added"]["2026-04-01"][0]  # 第九条
    row = next(r for r in outline.split("<tr>") if f"#s-{rows(kb(demo_kb), 'select key from sections where version_id = ? and heading like ?', [current['id'], added + '%'])[0]['key']}" in r)
    assert "2026-04-01" in row and "/-/policykb/diff/kuajing/appeals/1..2" in row
    assert "unchanged since first seen" in outline
    assert "/-/policykb/doc/kuajing/appeals/v/1" in text and "/-/policykb/diff/kuajing/appeals/1..2" in text
    assert text.count("<svg") >= 1 and "#1→#2" in text
    old = await ds.client.get(f"/-/policykb/doc/{doc}/v/1")
    assert old.status_code == 200 and "not the current wording" in old.text
    assert "商家可在申诉中上传视频材料" not in old.text and "商家可在申诉中上传视频材料" in text


@pytest.mark.asyncio
async def test_diff_page_redlines_each_changed_section(ds, expected):
    doc = "shoptide/penalty-points"
    response = await ds.client.get(f"/-/policykb/diff/{doc}/1..2")
    assert response.status_code == 200
    text = response.text
    jump = text.split('class="pkb-jump"')[1].split("</ul>")[0]
    for key in expected["documents"][doc]["sections_added"]["2026-07-01"] + \
            expected["documents"][doc]["sections_changed"]["2026-07-01"]:
        assert f'href="#s-{key}"' in jump and f'id="s-{key}"' in text
    assert 'id="s-3.4" data-status="added"' in text and 'id="s-3.2" data-status="changed"' in text
    assert 'id="s-1.1" data-status="unchanged"' in text
    assert '<ins class="pkb-ins">' in text and '<del class="pkb-del">' in text
    assert f'href="/-/policykb/diff/{doc}/1..2"' in text  # permalink
    assert f'href="/-/policykb/diff/{doc}/1..2?substantive=1"' in text  # the toggle
    redirect = await ds.client.get(f"/-/policykb/diff/{doc}?from=1&to=2")
    assert redirect.status_code == 302 and redirect.headers["location"].endswith(f"/diff/{doc}/1..2")
    assert (await ds.client.get(f"/-/policykb/diff/{doc}/1..9")).status_code == 404


@pytest.mark.asyncio
async def test_chinese_redlines_mark_whole_words(ds):
    """跨境通's IP rule went from "并通知" to "并通过站内信和短信通知": the redline marks the words
    added, not pieces of the words around them ("并通{+过站内信和短信通+}知")."""
    response = await ds.client.get("/-/policykb/diff/kuajing/ip-infringement/1..2")
    assert response.status_code == 200
    assert '并<ins class="pkb-ins">通过站内信和短信</ins>通知被投诉商家' in response.text
    assert '<ins class="pkb-ins">过站内信和短信通</ins>' not in response.text


@pytest.mark.asyncio
async def test_redlines_read_like_the_document(ds):
    """The redline renders the sections' Markdown: headings are headings, not "#"/"##" markup, and the
    insertions and deletions are marked inside them."""
    response = await ds.client.get("/-/policykb/diff/kuajing/ip-infringement/1..2")
    redline_html = response.text.split('class="pkb-redline"')[1]
    assert "# " not in redline_html.replace("&#", "")  # no Markdown heading markup shown
    assert re.search(r"<h1>知识产权侵权处理规则</h1>", redline_html)
    assert re.search(r"<h2>(<ins class=\"pkb-ins\">)?第八条 人工智能生成内容", redline_html)
    assert '<del class="pkb-del">2025年12月1</del>' in redline_html


def test_markdown_redline_marks_text_never_tags_and_stays_sanitized():
    out = redline_markdown("## 3.2 Old\n\n- one\n- two", "## 3.2 New **bold**\n\n- one\n- added <script>x()</script>\n- two")
    assert out.startswith("<h2>3.2 ")
    assert '<strong><ins class="pkb-ins">bold</ins></strong>' in out  # the mark stays inside the tag it is in
    assert '<li><ins class="pkb-ins">added ' in out and "<script" not in out
    assert "&lt;script&gt;x()&lt;/script&gt;" in out  # the page's words about a tag are text, shown escaped
    for tag in re.findall(r"<(ins|del)\b[^>]*>(.*?)</\1>", out):
        assert "<" not in tag[1], out  # only text inside a mark, so the marks nest
    assert "\ue000" not in redline_markdown("a\ue000b", "a\ue001c") and "\ue001" not in redline_markdown("x", "y\ue001")


def test_a_changed_number_in_chinese_is_always_its_own_edit():
    ops = redline("起5个自然日内提交申诉", "起7个自然日内提交申诉")
    assert ops == '起<del class="pkb-del">5</del><ins class="pkb-ins">7</ins>个自然日内提交申诉'


@pytest.mark.asyncio
async def test_only_substantive_toggle_and_feeds_follow_change_kinds(demo_copy):
    """A change classed as not substantive drops out of the feeds, the chart and the toggled diff."""
    db = sqlite3.connect(kb(demo_copy))
    db.execute("update changes set kind = 'cosmetic' where document_id = 'kuajing/appeals'")
    db.commit()
    db.close()
    ds = Datasette([str(kb(demo_copy))], metadata=METADATA)
    toggled = await ds.client.get("/-/policykb/diff/kuajing/appeals/1..2?substantive=1")
    assert "No substantive change between these versions" in toggled.text
    assert 'data-status="changed"' not in toggled.text and 'data-status="added"' not in toggled.text
    full = await ds.client.get("/-/policykb/diff/kuajing/appeals/1..2")
    assert 'data-status="added"' in full.text and "cosmetic" in full.text
    feed = ET.fromstring((await ds.client.get("/-/policykb/feed/kuajing.atom")).content)
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert any("/diff/" in link for link in links) and not any("/diff/kuajing/appeals/" in link for link in links)
    doc = await ds.client.get("/-/policykb/doc/kuajing/appeals")
    outline = doc.text.split("pkb-outline")[1].split("</table>")[0]
    first_keys = [r["key"] for r in rows(kb(demo_copy), "select s.key from sections s join versions v on v.id = "
                  "s.version_id where v.document_id = 'kuajing/appeals' and v.seq = 1")]
    for key in first_keys:  # no substantive change since version 1: all unchanged since first seen
        row = next(r for r in outline.split("<tr>") if f'href="#s-{key}"' in r)
        assert "unchanged since first seen" in row, key


@pytest.mark.asyncio
async def test_feeds_all_platform_document(ds, demo_kb):
    substantive = changes_with_seqs(kb(demo_kb), "c.kind = 'substantive'")
    for path, want in [
        ("/-/policykb/feed.atom", substantive),
        ("/-/policykb/feed/kuajing.atom", [c for c in substantive if c["platform_id"] == "kuajing"]),
        ("/-/policykb/feed/shoptide/penalty-points.atom",
         [c for c in substantive if c["document_id"] == "shoptide/penalty-points"]),
        ("/-/policykb/feed/kuajing/violations.atom", []),
    ]:
        response = await ds.client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
        feed = ET.fromstring(response.content)
        assert feed.find(f"{ATOM}title").text.startswith("policykb")
        links = sorted(e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry"))
        links = [link for link in links if "/-/policykb/diff/" in link]  # change entries (also: new, gone pages)
        assert links == sorted(f"http://localhost/-/policykb/diff/{c['document_id']}/{c['a']}..{c['b']}"
                               for c in want), path
    assert (await ds.client.get("/-/policykb/feed/nope.atom")).status_code == 404
    page = await ds.client.get("/-/policykb/doc/kuajing/appeals")
    assert 'type="application/atom+xml"' in page.text and "/-/policykb/feed/kuajing/appeals.atom" in page.text


@pytest.mark.asyncio
async def test_gone_document_shows_its_state(ds, expected):
    gone = next(d for d, s in expected["documents"].items() if s.get("gone"))
    response = await ds.client.get(f"/-/policykb/doc/{gone}")
    assert "gone" in response.text and "HTTP 404" in response.text
    # a 404 is a definite answer (the page is taken down 已下线), not a failed check
    last_check = response.text.split("Last check 最近检查")[1].split("</li>")[0]
    assert "已下线" in last_check and "failed 失败" not in last_check


@pytest.mark.asyncio
async def test_unknown_document_is_404(ds):
    assert (await ds.client.get("/-/policykb/doc/nope/nothing")).status_code == 404
    assert (await ds.client.get("/-/policykb/doc/kuajing/appeals/v/99")).status_code == 404


HOSTILE = """# Policy <script>alert(1)</script>

<img src=x onerror="alert(2)"> [click](javascript:alert(3)) [data](data:text/html,<script>alert(4)</script>)
<svg onload="alert(5)"><script>alert(6)</script></svg> <a href="https://ok.example/" onclick="alert(7)">ok</a>
<style>body{display:none}</style><iframe src="https://evil.example"></iframe> ![x](https://evil.example/t.png)
[fine](https://ok.example/)
"""


def test_render_markdown_makes_hostile_text_inert():
    import lxml.html

    out = render_markdown(HOSTILE)
    for bad in ("<script", "<svg", "<style", "<iframe", "<img"):
        assert bad not in out.lower(), bad
    tree = lxml.html.fragment_fromstring(out, create_parent="div")
    assert {el.tag for el in tree.iter()} <= {"div", "h1", "p", "a"}
    assert not [(el.tag, name) for el in tree.iter() for name in el.attrib if name.lower().startswith("on")]
    assert [a.get("href") for a in tree.iter("a") if a.get("href")] == ["https://ok.example/"]
    assert "onerror" in tree.text_content()  # the page's raw markup is shown as its text, inert


def test_redline_escapes_text():
    out = redline("a <b>bold</b> claim", "a <script>alert(1)</script> claim")
    assert "<script" not in out and "<b>" not in out and "&lt;" in out and "alert(1)" in out
    assert '<del class="pkb-del">' in out and '<ins class="pkb-ins">' in out


def test_diff_sections_aligns_by_key_and_spots_cosmetic_edits():
    def sec(key, text):
        return {"key": key, "heading": key, "text_markdown": text, "content_hash": str(hash(text))}

    old = [sec("1", "Ship within 3 days."), sec("2", "Refunds in 5 days."), sec("3", "Old rule **x**"),
           sec("4", "Same.")]
    new = [sec("1", "Ship  within 3 days!"), sec("2", "Refunds in 7 days."), sec("4", "Same."), sec("5", "New.")]
    got = [(s.key, s.status) for s in diff_sections(old, new)]
    assert got == [("1", "cosmetic"), ("2", "changed"), ("3", "removed"), ("4", "unchanged"), ("5", "added")]
    removed = next(s for s in diff_sections(old, new) if s.status == "removed")
    assert "<strong>" in removed.html  # the Markdown rendered, the marks inside its tags
    assert removed.html.startswith('<p><del class="pkb-del">Old rule </del><strong><del class="pkb-del">x</del></strong>')


def test_charts_escape_labels():
    svg = heatmap([{"platform_id": "p", "month": "2026-01", "n": 2}], [{"id": "p", "name": "<script>x</script>"}],
                  title="t")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and ">2<" in svg
    line = timeline([{"seq": 1, "observed_at": "2026-01-01T00:00:00Z"}, {"seq": 2, "observed_at": "2026-03-01T00:00:00Z"}],
                    [{"from_seq": 1, "to_seq": 2, "detected_at": "2026-03-01T00:00:00Z", "kind": "substantive"}],
                    link=lambda a, b: f"/d/{a}..{b}", title='"><script>')
    assert '<a href="/d/1..2">' in line and "<script>" not in line and line.count("<circle") == 2
