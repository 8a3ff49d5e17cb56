"""Sections stored as spans of their version's text (migration 0800, issue 19): the view ``sections`` reads
as the split of each version's text, the text is not stored twice, and writes through the view land."""

from __future__ import annotations

import sqlite3

from conftest import rows

from pipeline.sections import split_sections
from pipeline.sqlrows import fill_section_texts, version_section_texts


def test_the_view_gives_each_version_its_split_and_stores_no_second_copy(demo_kb):
    db = demo_kb / "policykb.db"
    versions = rows(db, "select id, text_markdown, observed_at from versions order by id")
    assert versions
    for v in versions:
        viewed = rows(db, "select id, key, heading, level, text_markdown, content_hash, changed_version_id, changed_at "
                          "from sections where version_id = ? order by ordinal", [v["id"]])
        split = split_sections(v["text_markdown"])
        assert [(s["key"], s["heading"], s["level"], s["text_markdown"], s["content_hash"]) for s in viewed] == \
            [(s.key, s.heading, s.level, s.text, s.content_hash) for s in split]
        assert all(s["id"] == f"{v['id']}#{s['key']}" and s["changed_version_id"] and s["changed_at"] for s in viewed)
        conn = sqlite3.connect(db)
        try:
            assert [(r["key"], r["text_markdown"]) for r in version_section_texts(conn, v["id"])] == \
                [(s.key, s.text) for s in split]
        finally:
            conn.close()
    stored = rows(db, "select count(*) as n, count(text_markdown) as texts, count(start) as spans, "
                      "count(id) as ids from section_spans")[0]
    assert stored["n"] > 0 and stored["spans"] + stored["texts"] == stored["n"]
    assert stored["texts"] <= stored["n"] // 50 and stored["ids"] == 0


def test_writes_through_the_view_land_in_section_spans(demo_copy):
    conn = sqlite3.connect(demo_copy / "policykb.db")
    conn.row_factory = sqlite3.Row
    version_id, text = conn.execute("select id, text_markdown from versions order by id limit 1").fetchone()
    piece = text[10:60]
    conn.execute("insert into sections (id, version_id, document_id, key, heading, level, ordinal, text_markdown, "
                 "content_hash, changed_version_id) select ?, id, document_id, 'zz', 'Z', 1, 999, ?, 'h', ? "
                 "from versions where id = ?", [f"{version_id}#zz", piece, version_id, version_id])
    conn.execute("insert into sections (id, version_id, document_id, key, heading, level, ordinal, text_markdown, "
                 "content_hash) select 'own-id', id, document_id, 'zy', 'Y', 1, 998, 'not in the text', 'h2' "
                 "from versions where id = ?", [version_id])
    spans = {r["key"]: dict(r) for r in conn.execute(
        "select key, id, text_markdown, start, length, changed_version_id, changed_at from section_spans "
        "where key in ('zz', 'zy')")}
    assert spans["zz"]["text_markdown"] is None and spans["zz"]["start"] is not None and spans["zz"]["id"] is None
    assert spans["zz"]["changed_version_id"] is None  # its own version: not stored
    assert spans["zy"]["text_markdown"] == "not in the text" and spans["zy"]["start"] is None
    assert spans["zy"]["id"] == "own-id" and spans["zy"]["changed_version_id"] == ""  # a null, stored as ''
    viewed = {r["key"]: dict(r) for r in conn.execute(
        "select key, id, text_markdown, changed_version_id from sections where key in ('zz', 'zy')")}
    assert viewed["zz"] == {"key": "zz", "id": f"{version_id}#zz", "text_markdown": piece,
                            "changed_version_id": version_id}
    assert viewed["zy"] == {"key": "zy", "id": "own-id", "text_markdown": "not in the text", "changed_version_id": None}
    conn.execute("update sections set text_markdown = 'reworded' where key = 'zz'")
    reworded = conn.execute("select text_markdown, start from section_spans where key = 'zz'").fetchone()
    assert tuple(reworded) == ("reworded", None)
    assert fill_section_texts(conn, [dict(r) for r in conn.execute(
        "select s.version_id as span_version, s.start as span_start, s.length as span_length, s.text_markdown "
        "from section_spans s where key = 'zz'")]) == [{"text_markdown": "reworded"}]
    conn.execute("delete from sections where key in ('zz', 'zy')")
    assert conn.execute("select count(*) from section_spans where key in ('zz', 'zy')").fetchone()[0] == 0
    conn.close()
