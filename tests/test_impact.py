"""Impact by concept: ``change_concepts`` (a derived build step), the brief's and the feed's ``concept`` filter.

What a change touches is checked against EXPECTED.yml's phrases: a glossary term of the document's platform and
language that occurs in a phrase a change added or removed is a concept that change touches."""

from __future__ import annotations

import json
import re
import sqlite3

import feedparser
import pytest
from click.testing import CliRunner

from conftest import rows
from glossary.match import TokenIndex, term_tokens
from glossary.model import locale_lang
from kb.cli import cli
from kb.db import open_db
from kb.impact import refresh_change_concepts
from pipeline.text import plain_text
from test_feeds import _datasette


def touched(db_path, expected) -> dict[str, set[str]]:
    """change id → concepts whose term occurs in a phrase EXPECTED.yml says that change added or removed."""
    out = {}
    terms = rows(db_path, "select concept_id, platform, language, term, case_sensitive from glossary_terms")
    for doc, e in expected["documents"].items():
        for day, phrases in e.get("changes", {}).items():
            (change_id, locale, platform), = [tuple(r.values()) for r in rows(db_path, """
                select c.id, d.locale, d.platform_id from changes c join documents d on d.id = c.document_id
                join versions t on t.id = c.to_version_id where c.document_id = ? and t.observed_at like ?""",
                (doc, day + "%"))]
            lang = locale_lang(locale)
            for phrase in phrases["added"] + phrases["removed"]:
                for t in terms:
                    if t["language"] == lang and t["platform"] in (platform, "general") and TokenIndex(
                            phrase, lang, bool(t["case_sensitive"])).find(
                            term_tokens(t["term"], lang, bool(t["case_sensitive"]))):
                        out.setdefault(change_id, set()).add(t["concept_id"])
    return out


def test_each_change_touches_the_concepts_its_changed_phrases_name(demo_kb, expected):
    db_path = demo_kb / "policykb.db"
    want = touched(db_path, expected)
    assert want, "the demo's changed phrases name no glossary concept: the test would prove nothing"
    for change_id, concepts in want.items():
        stored = {r["concept_id"] for r in rows(db_path, "select concept_id from change_concepts"
                                                         " where change_id = ? and in_change = 1", (change_id,))}
        assert concepts <= stored, (change_id, concepts - stored)


def test_a_concept_only_sharing_a_section_with_a_changed_date_line_is_not_touched(demo_kb, expected):
    """A section whose only change is its "Last updated" line touches no concept, though it names some."""
    db_path = demo_kb / "policykb.db"
    date_only, named = [], 0
    for doc, e in expected["documents"].items():
        for day, phrases in e.get("changes", {}).items():
            changed = phrases["added"] + phrases["removed"]
            for s in rows(db_path, """select cs.change_id, cs.key, s.text_markdown from changes c
                                      join versions t on t.id = c.to_version_id
                                      join change_sections cs on cs.change_id = c.id
                                      join sections s on s.version_id = c.from_version_id and s.key = cs.key
                                      where c.document_id = ? and t.observed_at like ?""", (doc, day + "%")):
                text = plain_text(s["text_markdown"], collapse_space=True)
                inside = [p for p in changed if p in text]
                if inside and all(re.search(r"Last updated|更新日期", p) for p in inside):
                    date_only.append(s)
    assert date_only, "EXPECTED.yml has no section changed only in its date line"
    for s in date_only:
        found = rows(db_path, "select in_change from change_concepts where change_id = ? and section_key = ?",
                     (s["change_id"], s["key"]))
        named += len(found)
        assert all(r["in_change"] == 0 for r in found), s["key"]
    assert named, "these sections name no concept: the check would prove nothing"


def test_the_build_computes_only_new_changes_and_all_again_for_a_new_glossary(demo_copy):
    db = open_db(demo_copy)
    try:
        substantive = db.execute("select count(*) from changes where kind = 'substantive'").fetchone()[0]
        assert refresh_change_concepts(db) == 0  # the build did them all
        one = db.execute("select change_id from change_concepts_state limit 1").fetchone()[0]
        with db.conn:  # a change the build has not seen yet (kb/store writes the rows; the test only forgets one)
            db.conn.execute("delete from change_concepts_state where change_id = ?", [one])
        assert refresh_change_concepts(db) == 1
        with db.conn:
            state = json.loads(db.execute("select value from glossary_state where key = 'state'").fetchone()[0])
            db.conn.execute("update glossary_state set value = ? where key = 'state'",
                            [json.dumps({**state, "glossary": "another"})])
        assert refresh_change_concepts(db) == substantive
    finally:
        db.close()


def a_concept(demo_kb) -> tuple[str, set[str]]:
    """The concept touched by the most changes, not all of them, and those changes."""
    conn = sqlite3.connect(demo_kb / "policykb.db")
    total = conn.execute("select count(*) from changes where kind = 'substantive'").fetchone()[0]
    concept = conn.execute("""select concept_id from change_concepts where in_change = 1 group by 1
                              having count(distinct change_id) < ? order by count(distinct change_id) desc,
                              concept_id limit 1""", [total]).fetchone()[0]
    wanted = {r[0] for r in conn.execute(
        "select distinct change_id from change_concepts where concept_id = ? and in_change = 1", [concept])}
    conn.close()
    assert 0 < len(wanted) < total, "the filter would not be seen to filter"
    return concept, wanted


def test_the_brief_filters_by_concept(demo_kb, expected):
    concept, wanted = a_concept(demo_kb)
    result = CliRunner().invoke(cli, ["brief", "--data", str(demo_kb), "--since", expected["dates"][0],
                                      "--until", expected["dates"][-1], "--concept", concept, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    got = {c["id"] for p in data["groups"] for d in p["documents"] for c in d["changes"]}
    assert got == wanted
    assert all(concept in {x["id"] for x in c["concepts"]}
               for p in data["groups"] for d in p["documents"] for c in d["changes"])


@pytest.mark.asyncio
async def test_feed_filters_by_concept(demo_kb, expected):
    concept, wanted = a_concept(demo_kb)
    ds = _datasette(demo_kb)
    everything = feedparser.parse((await ds.client.get("/-/policykb/feed.atom")).text)
    parsed = feedparser.parse((await ds.client.get(f"/-/policykb/feed.atom?concept={concept}")).text)
    assert not parsed.bozo
    assert len(parsed.entries) == len(wanted) < len(everything.entries)
    assert parsed.feed.id != everything.feed.id
