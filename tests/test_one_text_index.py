"""One full-text index serves search and the cite check (issue 19): ``versions_fts`` is gone, and the cite
check's candidates come from search's ``search_trigram``, where each distinct wording of a section is indexed
once and stands for every version that has it."""

from __future__ import annotations

import re
import shutil
import sqlite3

from kb.cite import candidate_versions, cite


def _copy(demo_kb, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_kb, data)
    from kb.db import open_db

    open_db(data).close()  # migrated, as every command opens it
    return sqlite3.connect(data / "policykb.db")


def test_the_cite_index_of_whole_versions_is_dropped(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    names = {r[0] for r in conn.execute("select name from sqlite_master")}
    assert not {n for n in names if n.startswith("versions_fts")}
    assert not {"versions_ai", "versions_ad", "versions_au"} & names
    # a version's text can still be written (no trigger left pointing at the dropped index)
    with conn:
        conn.execute("update versions set text_markdown = text_markdown || ' ' where rowid = "
                     "(select min(rowid) from versions)")


def _shared_wording(conn):
    """A section wording of a current version kept unchanged from an earlier one, and the seqs that have it."""
    for document_id, key, content_hash, text in conn.execute("""
            select s.document_id, s.key, s.content_hash, min(s.text_markdown) from sections s
            join documents d on d.id = s.document_id
            group by s.document_id, s.key, s.content_hash
            having count(*) >= 2 and max(s.version_id = d.current_version_id) = 1 order by 1, 2"""):
        sentence = next((m.group() for m in re.finditer(r"[A-Z][^.\n#|*]{50,160}\.", text or "")), None)
        if sentence:
            seqs = {r[0] for r in conn.execute("""
                select v.seq from sections s join versions v on v.id = s.version_id
                where s.document_id = ? and s.key = ? and s.content_hash = ?""", [document_id, key, content_hash])}
            return document_id, sentence, seqs
    return None


def test_a_wording_indexed_once_finds_every_version_that_has_it(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    found = _shared_wording(conn)
    assert found, "the demo KB has a section unchanged across versions"
    document_id, sentence, seqs = found
    indexed = conn.execute("select count(*) from search_sections i join sections s on s.rowid = i.rowid "
                           "where s.document_id = ? and s.text_markdown like ?",
                           [document_id, f"%{sentence}%"]).fetchone()[0]
    assert indexed == 1  # the wording is in the index once
    candidates = candidate_versions(conn, sentence)
    assert seqs <= set(candidates.get(document_id, {})), (sentence, seqs, candidates)
    answers = cite(conn, sentence)
    assert answers[0]["status"] == "current" and answers[0]["document"] == document_id


def test_a_word_in_no_wording_finds_nothing(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    assert candidate_versions(conn, "Quokka zebra crossings are marsupial territory everywhere") == {}
