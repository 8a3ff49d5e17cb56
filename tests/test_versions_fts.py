"""The cite index (``versions_fts``) follows the version texts, and only them.

A version row is updated after it is inserted (its check, its rules): that must not re-index its text
(issue 19: each new version was indexed twice, and the index kept the delete markers), while a change
of the text itself must still reach the index.
"""

from __future__ import annotations

import shutil
import sqlite3


def _copy(demo_kb, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_kb, data)
    from kb.db import open_db

    open_db(data).close()  # migrated, as every command opens it
    return sqlite3.connect(data / "policykb.db")


def _segments(conn):
    return conn.execute("select count(*), sum(length(block)) from versions_fts_data").fetchone()


def _finds(conn, rowid, phrase):
    return rowid in {r for (r,) in conn.execute("select rowid from versions_fts where versions_fts match ?",
                                                [f'"{phrase}"'])}


def test_updating_other_columns_leaves_the_index_alone(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    rowid, text = conn.execute("select rowid, text_markdown from versions order by rowid limit 1").fetchone()
    before = _segments(conn)
    with conn:
        conn.execute("update versions set check_id = check_id, rules_hash = 'x' where rowid = ?", [rowid])
    assert _segments(conn) == before
    assert _finds(conn, rowid, text.split("\n")[0][:40])


def test_a_new_text_is_indexed(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    rowid = conn.execute("select rowid from versions order by rowid limit 1").fetchone()[0]
    with conn:
        conn.execute("update versions set text_markdown = 'Zebra crossings are quokka territory.' where rowid = ?",
                     [rowid])
    assert _finds(conn, rowid, "quokka territory")
    assert conn.execute("select count(*) from versions_fts where versions_fts match ?", ['"quokka"']).fetchone()[0] == 1
