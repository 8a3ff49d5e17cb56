"""Search in Chinese and English over the real demo KB: short Chinese terms, filters, current wording,
the command line, and keeping the index in step with the sections table."""

import json
import re
import sqlite3

import pytest

from conftest import policykb, rows
from kb.search import Filters, parse_query, search, segment, snippet
from kb.store.search_index import sync

# 1- and 2-character Chinese terms (where a trigram index alone finds nothing), longer ones, English.
TERMS = ["申诉", "侵权", "诉", "权", "违规", "知识产权", "2个工作日", "counterfeit", "Account Warning", "appeal",
         "late shipment rate", "rate", "late"]


def kb(data):
    return data / "policykb.db"


@pytest.fixture
def conn(demo_kb):
    c = sqlite3.connect(f"file:{kb(demo_kb)}?mode=ro", uri=True)
    yield c
    c.close()


def _stems(text):
    import snowballstemmer

    porter = snowballstemmer.stemmer("porter")
    return " " + " ".join(porter.stemWords(re.findall(r"[^\W\u3040-\u30ff\u4e00-\u9fff]+", text.lower()))) + " "


def expected_wordings(db_path, term):
    """Distinct wordings (document, key, first version) that hold ``term``, by brute force: a Chinese term
    anywhere, English words as whole words with the same Porter stems ("appeal" holds "appeals").

    Link targets are not searched (a URL is not wording), so they are dropped here too.
    """
    words = not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", term)
    first = {}
    for r in rows(db_path, """select s.document_id, s.key, s.content_hash, s.text_markdown, v.seq
                              from sections s join versions v on v.id = s.version_id order by v.seq"""):
        text = re.sub(r"\]\([^)]*\)", "]", r["text_markdown"])
        if (_stems(term) in _stems(text)) if words else (term.lower() in text.lower()):
            first.setdefault((r["document_id"], r["key"], r["content_hash"]), r["seq"])
    return {(doc, key, seq) for (doc, key, _), seq in first.items()}


@pytest.mark.parametrize("term", TERMS)
def test_every_wording_that_contains_the_term_is_found_and_no_other(conn, demo_kb, term):
    query = f'"{term}"' if " " in term else term
    result = search(conn, query, limit=200)
    assert result.error is None and not result.more
    got = {(h["document"], h["section_key"], h["version"]) for h in result.hits}
    want = expected_wordings(kb(demo_kb), term)
    assert want, f"the demo KB should contain {term!r}"
    assert got == want


def test_two_character_chinese_term_finds_the_appeals_rules(conn):
    hits = search(conn, "申诉").hits
    assert {"kuajing/appeals", "kuajing/violations"} <= {h["document"] for h in hits}
    assert all("<mark>申诉</mark>" in h["snippet"] for h in hits)


def test_removed_wording_is_found_and_marked_superseded(conn, expected):
    checked = 0
    for doc, spec in expected["documents"].items():
        for phrases in (spec.get("changes") or {}).values():
            for phrase in phrases["removed"]:
                hits = [h for h in search(conn, f'"{phrase}"', Filters(document=doc)).hits]
                assert hits and not any(h["current"] for h in hits), (doc, phrase)
                assert all("/v/" in h["url"] for h in hits)
                checked += 1
            for phrase in phrases["added"]:
                hits = search(conn, f'"{phrase}"', Filters(document=doc)).hits
                assert hits and all(h["current"] for h in hits), (doc, phrase)
                checked += 1
    assert checked >= 10


def test_filters(conn):
    everything = search(conn, "appeal", limit=200).hits
    assert {"demomart", "shoptide"} <= {h["platform"] for h in everything}
    shoptide = search(conn, "appeal", Filters(platform="shoptide"), limit=200).hits
    assert shoptide and all(h["platform"] == "shoptide" for h in shoptide) and len(shoptide) < len(everything)
    english = search(conn, "appeal", Filters(locale="en"), limit=200).hits
    assert english and all(h["locale"].startswith("en") for h in english)
    typed = search(conn, "appeal", Filters(doc_type="appeals"), limit=200).hits
    assert typed and all(h["doc_type"] == "appeals" for h in typed)
    assert len(typed) < len(search(conn, "appeal", limit=200).hits)
    current = search(conn, "Policy Warning", Filters(current_only=True), limit=200).hits
    assert all(h["current"] for h in current)
    assert len(current) < len(search(conn, "Policy Warning", limit=200).hits)
    late = search(conn, "申诉", Filters(since="2026-03-01"), limit=200).hits
    early = search(conn, "申诉", Filters(until="2026-02-01"), limit=200).hits
    assert late and early
    assert all(h["version_date"] >= "2026-03-01" for h in late)
    assert all(h["version_date"] < "2026-02-02" for h in early)
    assert len(late) + len(early) == len(search(conn, "申诉", limit=200).hits)


def test_all_terms_must_match_and_pages_continue(conn):
    both = search(conn, "申诉 视频", limit=200).hits
    assert both and all("申诉" in h["snippet"] and "视频" in h["snippet"] for h in both)
    assert len(both) < len(search(conn, "申诉", limit=200).hits)
    first = search(conn, "诉", limit=3)
    second = search(conn, "诉", limit=3, offset=3)
    assert first.more and len(first.hits) == 3
    assert not {h["url"] for h in first.hits} & {h["url"] for h in second.hits}


def test_english_matches_whole_words_not_inside_them(conn):
    """"late" is not in "calculated", nor "rate" in "related"; "rate" finds "rates" and "Rate" (stemmed)."""
    for query in ("late", "rate", '"late shipment rate"'):
        hits = search(conn, query, limit=200).hits
        assert hits
        for h in hits:
            marked = re.findall(r"<mark>(.*?)</mark>", h["snippet"])
            assert marked, h["snippet"]
            assert not any(m.lower() in ("calculated", "related", "lated", "rated") for m in marked), marked
    assert not any(re.search(r"calcu<mark>|<mark>\w*</mark>d\b", h["snippet"])
                   for h in search(conn, '"late shipment rate"', limit=200).hits)
    words = {m.lower() for h in search(conn, "rate", limit=200).hits for m in re.findall(r"<mark>(.*?)</mark>", h["snippet"])}
    assert "rates" in words or "rate" in words


def test_mixed_long_and_short_terms(conn):
    hits = search(conn, "申诉 500MB").hits
    assert [h["section_key"] for h in hits] == ["第9条"]
    assert "<mark>申诉</mark>" in hits[0]["snippet"] and "<mark>500MB</mark>" in hits[0]["snippet"]


@pytest.mark.parametrize("term", ["知识产权", "2个工作日", "申诉材料", "第三条"])
def test_segmented_index_agrees_with_the_trigram_index_on_long_terms(conn, term):
    """Mixed queries run on the segmented index alone: for long terms it must find what trigram finds."""
    from kb.search import Term

    def rowids(table, expr):
        return {r[0] for r in conn.execute(f"select rowid from {table} where {table} match ?", [expr])}

    want = rowids("search_trigram", Term(term).fts_trigram())
    assert want and rowids("search_short", Term(term).fts_short()) == want


def test_the_trigram_index_holds_only_wordings_with_unspaced_script(conn):
    """Only the wordings a trigram term can match are in ``search_trigram`` (its terms are in scripts written
    without spaces); words of spaced scripts are found through the segmented index."""
    from pipeline.text import UNSPACED

    texts = dict(conn.execute("select i.rowid, s.text_markdown from search_sections i "
                              "join sections s on s.rowid = i.rowid"))
    in_trigram = {r for (r,) in conn.execute("select rowid from search_trigram")}
    unspaced = {r for r, t in texts.items() if re.search(f"[{UNSPACED}]", t or "")}
    assert unspaced and in_trigram == unspaced and len(texts) > len(unspaced)
    assert search(conn, "counterfeit").hits and search(conn, '"Account Warning"').hits


def test_empty_and_unsearchable_queries_say_so(conn):
    assert search(conn, "   ").error == "empty query"
    assert search(conn, "%").error
    assert search(conn, "zzqqxx").hits == []


def test_segment_and_query_terms():
    assert segment("申诉规则 EU").split() == ["申诉", "诉规", "规则", "则", "EU"]
    assert [t.fts() for t in parse_query('申诉 诉 counterfeit "plan of action" EU')] == [
        '"申诉"', '"诉" *', '"counterfeit"', '"plan of action"', '"eu"']  # terms are folded (pipeline.fold)


def test_snippet_is_escaped_and_marks_matches():
    text = "**第四条** <script>alert(1)</script> 商家可以提出申诉 & <b>appeal</b>"
    out = snippet(text, parse_query("申诉 appeal"))
    assert "<script" not in out and "<b>" not in out and "&lt;script&gt;" in out
    assert "<mark>申诉</mark>" in out and "<mark>appeal</mark>" in out and "**" not in out


def test_cli_json_has_exactly_the_documented_keys(demo_kb):
    out = json.loads(policykb("search", "申诉", "--platform", "kuajing", "--json", "--data", demo_kb).stdout)
    assert set(out) == {"query", "hits"} and out["query"] == "申诉"
    assert out["hits"]
    for hit in out["hits"]:
        assert list(hit) == ["platform", "document", "section", "snippet", "version_date", "current", "url"]
        assert hit["platform"] == "kuajing" and isinstance(hit["current"], bool)
        assert hit["url"].startswith("/-/policykb/doc/kuajing/")


def test_cli_text_output_and_errors(demo_kb):
    out = policykb("search", "counterfeit", "--data", demo_kb).stdout
    assert "[counterfeit]" in out.lower() and "hit(s)" in out
    bad = policykb("search", "x", "--since", "yesterday", "--data", demo_kb, check=False)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_index_follows_deleted_updated_and_replaced_sections(demo_copy):
    db = sqlite3.connect(kb(demo_copy))
    assert search(db, "2个工作日").hits
    # delete the only section with that wording: it is forgotten
    db.execute("delete from sections where text_markdown like '%2个工作日%'")
    stats = sync(db)
    assert stats.removed == 1 and not stats.rebuilt
    assert search(db, "2个工作日").hits == []
    # reword a section in place: the old wording goes, the new one is found
    db.execute("update sections set text_markdown = replace(text_markdown, '申诉时限', '复核时限'), "
               "content_hash = 'reworded' where key = '第3条' and document_id = 'kuajing/appeals'")
    sync(db)
    assert search(db, "复核时限").hits and not search(db, '"申诉时限"').hits
    # the first version's section goes: the wording is still found, now at the later version
    def versions_of(key):
        hits = search(db, '"Pre-fulfillment cancel rate"', Filters(document="demomart/account-health"), limit=200).hits
        return [h["version"] for h in hits if h["section_key"] == key]

    assert versions_of("pre-fulfillment-cancel-rate") == [1]
    first_id = db.execute("select id from versions where document_id = 'demomart/account-health' and seq = 1"
                          ).fetchone()[0]
    db.execute("delete from sections where version_id = ? and key = 'pre-fulfillment-cancel-rate'", [first_id])
    sync(db)
    assert versions_of("pre-fulfillment-cancel-rate") == [2]
    # a change the triggers cannot see (the table rebuilt): counted, and answered by a full re-index
    schema = db.execute("select sql from sqlite_master where name = 'section_spans'").fetchone()[0]
    db.execute("pragma legacy_alter_table = on")  # the view sections keeps naming section_spans
    db.execute("alter table section_spans rename to spans_old")
    db.execute(schema)
    columns = ", ".join(r[1] for r in db.execute("pragma table_info(spans_old)") if r[1] != "rowid")
    db.execute(f"insert into section_spans ({columns}) select {columns} from spans_old order by rowid")  # renumbered
    db.execute("drop table spans_old")
    db.execute("insert into sections (id, version_id, document_id, key, heading, level, ordinal, text_markdown, "
               "content_hash) values ('x#new', (select current_version_id from documents where id = 'kuajing/appeals'),"
               " 'kuajing/appeals', 'new', '', 1, 99, '一段新增的鳄鱼条款', 'h-new')")
    stats = sync(db)
    assert stats.rebuilt
    assert [h["section_key"] for h in search(db, "鳄鱼").hits] == ["new"]
    assert search(db, "复核时限").hits
    db.commit()
    db.close()


def test_build_keeps_the_index_in_step(demo_kb):
    """After `policykb build` nothing is pending: every section's wording is indexed."""
    pending = rows(kb(demo_kb), "select count(*) as n from search_sections where pending = 1")[0]["n"]
    wordings = rows(kb(demo_kb), "select count(*) as n from (select distinct document_id, key, content_hash "
                                 "from sections)")[0]["n"]
    indexed = rows(kb(demo_kb), "select count(*) as n from search_sections")[0]["n"]
    assert pending == 0 and indexed == wordings


def test_current_only_follows_a_new_current_version(demo_copy, expected):
    """The "current" filter is in the index: a build that changes a document's current version re-tags it."""
    spec = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]
    old, new = f'"{spec["removed"][0]}"', f'"{spec["added"][0]}"'
    db = sqlite3.connect(kb(demo_copy))
    only_current = Filters(document="demomart/account-health", current_only=True)
    assert not search(db, old, only_current).hits and search(db, new, only_current).hits
    db.execute("update documents set current_version_id = (select id from versions where "
               "document_id = 'demomart/account-health' and seq = 1) where id = 'demomart/account-health'")
    sync(db)
    assert [h["current"] for h in search(db, old, only_current).hits] == [True]
    assert not search(db, new, only_current).hits
    assert [h["current"] for h in search(db, new).hits] == [False]
    db.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("value", ["2026-02-30", "yesterday", "2026-13-01", "2026-01-01T25:00:00Z"])
async def test_a_bad_since_or_until_is_refused_like_the_command_line_refuses_it(demo_kb, value):
    """``?since=`` / ``?until=`` take the dates ``policykb search --since`` takes: a bad one is a 400 saying so,
    never silently a search without the filter (or with an impossible date)."""
    from datasette.app import Datasette

    from conftest import policykb

    ds = Datasette([str(demo_kb / "policykb.db")])
    for name in ("since", "until"):
        got = await ds.client.get(f"/-/policykb/search.json?q=appeal&{name}={value}")
        assert got.status_code == 400 and "is not a date" in got.json()["error"], (name, value)
        page = await ds.client.get(f"/-/policykb/search?q=appeal&{name}={value}")
        assert page.status_code == 400 and "YYYY-MM-DD" in page.text
        cli = policykb("search", "appeal", f"--{name}", value, "--data", demo_kb, check=False)
        assert cli.returncode == 2 and len(cli.stderr.strip().splitlines()) == 1 and "is not a date" in cli.stderr
    ok = await ds.client.get("/-/policykb/search.json?q=appeal&since=2026-01-01&until=2026-12-31")
    assert ok.status_code == 200


def _vocabulary(db):
    """Every term of both indexes with its counts (fts5vocab): what a contentless index holds."""
    out = {}
    for table in ("search_short", "search_trigram"):
        db.execute(f"create virtual table if not exists temp.vocab_{table} using fts5vocab(main, {table}, 'col')")
        out[table] = db.execute(f"select term, col, doc, cnt from temp.vocab_{table} order by term, col").fetchall()
    return out


def test_synced_index_holds_what_a_rebuilt_one_holds(demo_copy):
    """A wording forgotten with other filter tokens than it was indexed with would leave stale terms in the
    contentless indexes: after deletes, a new type and locale and a new current version, the synced index
    holds exactly the terms, per column, that a full re-index does."""
    from kb.store.search_index import reindex

    db = sqlite3.connect(kb(demo_copy))
    db.execute("delete from sections where text_markdown like '%2个工作日%'")
    sync(db)
    db.execute("update documents set doc_type = 'renamed-type', locale = 'en-GB' where id = 'demomart/account-health'")
    db.execute("update documents set current_version_id = (select id from versions where "
               "document_id = 'demomart/account-health' and seq = 1) where id = 'demomart/account-health'")
    stats = sync(db)
    assert stats.added and not stats.rebuilt
    assert search(db, "rate", Filters(doc_type="renamed-type", locale="en-GB")).hits
    synced = _vocabulary(db)
    reindex(db)
    assert _vocabulary(db) == synced
    db.close()
