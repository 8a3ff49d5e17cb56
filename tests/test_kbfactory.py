"""The in-memory demo KB (tests/kbfactory.py) equals the KB of real crawls, column for column.

``demo_kb`` is built by the factory and most tests read it; this is what
lets them: a real crawl through Scrapy and the replay server at each demo
date (``crawled_demo_kb``) and the factory give the same rows.
"""

from __future__ import annotations

import sqlite3

import pytest

import kbfactory
from conftest import DEMO_SITE, DEMO_SOURCES

#: Columns that depend on the wall clock or on the mechanics of one crawl, not on what was fetched:
#: - checks.id: an autoincrement in archive order, and Scrapy's concurrency decides the order of the
#:   records inside one crawl's WARC (the rows are compared by document and observation time instead);
#: - checks.fetched_at: the wall-clock time of the fetch (checked_at, the replay clock, is compared);
#: - checks.warc_file: named after the wall-clock time and pid of the crawl;
#: - checks.warc_offset: where the record starts in its WARC, which follows from the record order and
#:   the bytes of earlier records (their random record ids, wall-clock WARC-Date and Date headers);
#: - checks.warc_record_id: a random urn:uuid;
#: - versions.check_id: a checks.id; compared as the (document_id, checked_at) of the check it names.
#: Every other column of these tables is compared.
EXCLUDED = {
    "checks": {"id", "fetched_at", "warc_file", "warc_offset", "warc_record_id"},
    "versions": {"check_id"},
}
TABLES = ("documents", "versions", "changes", "change_sections", "sections", "dated_statements", "checks")


def table_rows(db_path, table):
    """The rows of ``table`` without the excluded columns, in a stable order."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        checks = {r["id"]: (r["document_id"], r["checked_at"]) for r in conn.execute("select * from checks")}
        out = []
        for row in conn.execute(f"select * from [{table}]"):
            row = {k: row[k] for k in row.keys() if k not in EXCLUDED.get(table, ())}
            if table == "versions":
                row["check"] = checks.get(conn.execute("select check_id from versions where id = ?",
                                                       [row["id"]]).fetchone()[0])
            out.append(row)
        return sorted(out, key=lambda r: (r.get("document_id") or "", r.get("checked_at") or "", r.get("id") or ""))
    finally:
        conn.close()


def test_fetch_sends_validators_and_gets_not_modified():
    """Unit level: the factory's fetch asks the replay answer with the spider's validators."""
    from pipeline.sources import load_sources

    doc = next(d for p in load_sources(DEMO_SOURCES) for d in p.documents if d.key == "demomart/appeals")
    first = kbfactory.fetch(DEMO_SITE, "2026-01-15", doc, None)
    assert first.status == 200 and first.observed_at == "2026-01-15T00:00:00Z" and b"help-content" in first.body
    etag = dict(first.headers)["Etag"]
    again = kbfactory.fetch(DEMO_SITE, "2026-07-01", doc, {"url": doc.url, "etag": etag, "last_modified": None})
    assert again.status == 304 and again.body == b""
    gone = next(d for p in load_sources(DEMO_SOURCES) for d in p.documents if d.key == "demomart/prohibited-products")
    assert kbfactory.fetch(DEMO_SITE, "2026-07-01", gone, None).status == 404


@pytest.mark.slow
def test_factory_kb_equals_crawled_kb(demo_kb, crawled_demo_kb):
    built, crawled = demo_kb / "policykb.db", crawled_demo_kb / "policykb.db"
    for table in TABLES:
        a, b = table_rows(built, table), table_rows(crawled, table)
        assert a, f"{table} is empty"
        assert len(a) == len(b), f"{table}: {len(a)} rows from the factory, {len(b)} from the crawls"
        for x, y in zip(a, b):
            assert x == y, f"{table} differs:\n factory {x}\n crawled {y}"
