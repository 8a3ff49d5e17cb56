"""The Atom feeds, read by feedparser (the feed library most readers use) through the real Datasette.

RFC 4287's MUSTs (feed: author, id, title, updated; entry: id, title, updated, a link), ids that belong to the
deployment, ``updated`` that moves only with content, conditional GET answered 304, and entries for new, gone
and changed documents that say what changed and where its effective date comes from.
"""

from __future__ import annotations

import sqlite3

import feedparser
import pytest
import yaml
from datasette.app import Datasette

from conftest import ROOT, rows

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
PUBLIC = "https://kb.example.org/team-a"


def _datasette(data, public_url=None):
    metadata = dict(METADATA)
    if public_url:
        metadata["plugins"] = {**metadata.get("plugins", {}), "policykb": {"public_url": public_url}}
    return Datasette([str(data / "policykb.db")], metadata=metadata)


def _feeds(data):
    paths = ["/-/policykb/feed.atom"]
    paths += [f"/-/policykb/feed/{r['id']}.atom" for r in rows(data / "policykb.db", "select id from platforms")]
    paths += [f"/-/policykb/feed/{r['id']}.atom" for r in rows(data / "policykb.db", "select id from documents")]
    return paths


def assert_rfc4287(parsed, where):
    """feedparser finds no error, and every element RFC 4287 says MUST be there is."""
    assert not parsed.bozo, (where, parsed.get("bozo_exception"))
    assert parsed.version == "atom10", where
    feed = parsed.feed
    for name in ("id", "title", "updated"):
        assert feed.get(name), (where, name)
    # atom:author on the feed (then entries inherit it) or on every entry
    assert feed.get("author_detail", {}).get("name") or all(e.get("author") for e in parsed.entries), where
    assert any(link.get("rel") == "self" for link in feed.get("links", [])), where
    for entry in parsed.entries:
        for name in ("id", "title", "updated"):
            assert entry.get(name), (where, entry.get("id"), name)
        # no atom:content with a src, so an alternate link is a MUST; we always give one
        assert any(link.get("rel") == "alternate" for link in entry.get("links", [])), (where, entry.get("id"))


@pytest.mark.asyncio
async def test_every_feed_passes_rfc_4287_and_ids_are_the_deployments_own(demo_kb):
    ds = _datasette(demo_kb, PUBLIC)
    other = _datasette(demo_kb, "https://kb.other.example")
    ids = set()
    for path in _feeds(demo_kb):
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        parsed = feedparser.parse(response.content)
        assert_rfc4287(parsed, path)
        assert parsed.feed.id == PUBLIC + path
        entry_ids = [e.id for e in parsed.entries]
        assert all(i.startswith(PUBLIC + "/-/policykb/") for i in entry_ids), path
        assert len(entry_ids) == len(set(entry_ids)), path
        ids |= set(entry_ids)
        again = feedparser.parse((await other.client.get(path)).content)
        assert not {e.id for e in again.entries} & set(entry_ids), "two deployments minted the same ids"
    # the entries: every substantive change, every document's first version, every gone page
    db = demo_kb / "policykb.db"
    changes = rows(db, "select count(*) as n from changes where kind = 'substantive'")[0]["n"]
    documents = rows(db, "select count(*) as n from documents where versions_count > 0")[0]["n"]
    gone = rows(db, "select count(*) as n from documents where state = 'gone'")[0]["n"]
    all_entries = feedparser.parse((await ds.client.get("/-/policykb/feed.atom")).content).entries
    assert len(all_entries) == changes + documents + gone and gone >= 1


@pytest.mark.asyncio
async def test_entries_name_the_sections_changed_with_a_redline_and_label_the_effective_date(demo_kb):
    ds = _datasette(demo_kb)
    parsed = feedparser.parse((await ds.client.get("/-/policykb/feed/kuajing/appeals.atom")).content)
    (change,) = [e for e in parsed.entries if "/diff/" in e.link]
    html = change.content[0].value
    sections = rows(demo_kb / "policykb.db", "select cs.heading, cs.status from change_sections cs join changes c"
                    " on c.id = cs.change_id where c.document_id = 'kuajing/appeals' and c.kind = 'substantive'")
    assert sections and all(s["heading"] in html for s in sections)
    assert "<del>" in html and "<ins>" in html  # the short redline
    (stated,) = rows(demo_kb / "policykb.db", "select effective_date, detected_at from changes"
                     " where document_id = 'kuajing/appeals' and kind = 'substantive'")
    assert stated["effective_date"] in html
    label = "announced" if stated["effective_date"] > stated["detected_at"][:10] else "stated"
    assert label in html
    assert "账户" in "".join(e.title for e in feedparser.parse(
        (await ds.client.get("/-/policykb/feed/demomart.atom")).content).entries)  # titles in both languages
    gone = feedparser.parse((await ds.client.get("/-/policykb/feed/demomart/prohibited-products.atom")).content)
    assert any("gone" in e.title and "404" in e.content[0].value for e in gone.entries)


@pytest.mark.asyncio
async def test_a_conditional_get_of_an_unchanged_feed_gets_304_and_updated_moves_only_with_content(demo_copy):
    ds = _datasette(demo_copy)
    path = "/-/policykb/feed/kuajing.atom"
    first = await ds.client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert (await ds.client.get(path, headers={"If-None-Match": etag})).status_code == 304
    assert (await ds.client.get(path, headers={"If-Modified-Since": modified})).status_code == 304
    assert (await ds.client.get(path, headers={"If-None-Match": '"other"'})).status_code == 200
    # feedparser's own conditional GET goes the same way
    assert feedparser.parse(first.content, etag=etag).feed.updated
    # a new check that changed nothing: same bytes, same validators
    db = sqlite3.connect(demo_copy / "policykb.db")
    db.execute("update documents set last_checked = '2027-01-01T00:00:00Z'")
    db.execute("insert into checks (document_id, checked_at, outcome) values ('kuajing/appeals',"
               " '2027-01-01T00:00:00Z', 'unchanged')")
    db.commit()
    ds = _datasette(demo_copy)
    same = await ds.client.get(path, headers={"If-None-Match": etag})
    assert same.status_code == 304
    # a page going is content: the feed changes, its updated moves
    db.execute("update documents set state = 'gone', gone_since = '2027-01-02T00:00:00Z'"
               " where id = 'kuajing/violations'")
    db.commit()
    db.close()
    ds = _datasette(demo_copy)
    changed = await ds.client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert feedparser.parse(changed.content).feed.updated.startswith("2027-01-02")


@pytest.mark.asyncio
async def test_a_document_taken_out_of_its_declaration_gets_a_removed_entry_and_back_in_loses_it(demo_copy,
                                                                                                 tmp_path):
    import shutil

    from conftest import DEMO_SOURCES, policykb

    sources = tmp_path / "sources"
    shutil.copytree(DEMO_SOURCES, sources)
    text = (sources / "kuajing.yml").read_text(encoding="utf-8")
    import yaml as _yaml

    declaration = _yaml.safe_load(text)
    declaration["documents"] = [d for d in declaration["documents"] if d["id"] != "violations"]
    (sources / "kuajing.yml").write_text(_yaml.safe_dump(declaration, allow_unicode=True), encoding="utf-8")
    policykb("build", "--data", demo_copy, "--sources", sources)
    assert rows(demo_copy / "policykb.db", "select document_id from undeclared_documents") == [
        {"document_id": "kuajing/violations"}]
    parsed = feedparser.parse((await _datasette(demo_copy).client.get("/-/policykb/feed/kuajing.atom")).content)
    assert_rfc4287(parsed, "kuajing after removal")
    removed = [e for e in parsed.entries if "no longer tracked" in e.title]
    assert len(removed) == 1 and "商家违规处理规则" in removed[0].title and parsed.entries[0] is removed[0]
    # a rebuild keeps it (not derived from the WARCs); declared again, the entry goes
    policykb("rebuild", "--data", demo_copy, "--sources", sources)
    assert len(rows(demo_copy / "policykb.db", "select * from undeclared_documents")) == 1
    policykb("build", "--data", demo_copy, "--sources", DEMO_SOURCES)
    assert rows(demo_copy / "policykb.db", "select * from undeclared_documents") == []
    again = feedparser.parse((await _datasette(demo_copy).client.get("/-/policykb/feed/kuajing.atom")).content)
    assert not [e for e in again.entries if "no longer tracked" in e.title]
