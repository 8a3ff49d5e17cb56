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
#: - sections.rowid (named by the view since migration 0800): follows the order the records were ingested in;
#: - versions.check_id: a checks.id; compared as the (document_id, checked_at) of the check it names.
#: Every other column of these tables is compared.
EXCLUDED = {
    "checks": {"id", "fetched_at", "warc_file", "warc_offset", "warc_record_id"},
    "versions": {"check_id"},
    "sections": {"rowid"},
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


def _records_by_document(data) -> dict:
    """Each document's WARC records in archive order: type, target URI, status and the headers that say what it is."""
    from warcio.archiveiterator import ArchiveIterator

    from pipeline.archive import closed_warcs

    out = {}
    for path in closed_warcs(data):
        with open(path, "rb") as fh:
            for r in ArchiveIterator(fh):
                h = r.rec_headers
                doc = h.get_header("PolicyKB-Redirect-Of") or h.get_header("PolicyKB-Document") \
                    or h.get_header("PolicyKB-Not-Modified-Of")
                if doc is None:
                    continue
                http = r.http_headers if r.rec_type in ("response", "revisit") else None
                out.setdefault(doc, []).append((
                    r.rec_type, h.get_header("WARC-Target-URI"), h.get_header("WARC-Date"),
                    http.get_statuscode() if http else None, http.get_header("Location") if http else None,
                    http.get_header("Content-Length") if http else None, bool(h.get_header("WARC-Concurrent-To"))))
    return out


@pytest.mark.slow
def test_factory_archives_redirects_as_a_crawl_does(tmp_path):
    """A declared URL that redirects (twice, the first with a relative ``Location``; and off the declared domains):
    the factory writes the records a real crawl writes (each 3xx under its own URL before the page, the refused
    one beside the failure), and the KB rows are the same."""
    from conftest import crawl_as_of, policykb

    from sitetools import moved_site

    page = "<html><body><main id='policy'><h1>Fees</h1><p>Sellers pay a referral fee of 8%.</p></main></body></html>"
    _, sources = moved_site(tmp_path, {
        "old": ("moved\n", "Status: 301\nLocation: /help/older\n"),
        "older": ("moved again\n", "Status: 302\nLocation: https://seller.moved.example/help/new\n"),
        "new": (page, None),
        "away": ("elsewhere\n", "Status: 302\nLocation: https://signin.elsewhere.example/x\n")},
        {"fees": ("old", "fees"), "away": ("away", "other")})
    dates = ["2026-02-01", "2026-03-01"]
    crawled = tmp_path / "crawled"
    for date in dates:
        crawl_as_of(crawled, date, site=tmp_path / "site", sources=sources, extra=("-s", "DOWNLOAD_DELAY=0"))
        policykb("build", "--data", crawled)
    built = kbfactory.build_kb(tmp_path / "factory", dates, sources, tmp_path / "site")
    expected = _records_by_document(crawled)
    # the relative Location of the first hop leads to the site's /help/older, not to the replay server's
    assert [r[1] for r in expected["moved/fees"][:3]] == [f"https://seller.moved.example/help/{name}"
                                                          for name in ("old", "older", "new")]
    assert _records_by_document(built) == expected
    for table in ("documents", "versions", "checks"):
        assert table_rows(built / "policykb.db", table) == table_rows(crawled / "policykb.db", table), table
