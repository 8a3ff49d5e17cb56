"""The KB read API: plain functions over a ``sqlite3.Connection``.

Used by the Datasette plugins (through ``db.execute_fn``) and by the CLI, so a
page and a command answer from the same queries.
"""

from __future__ import annotations

import sqlite3


def _rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cur = conn.execute(sql, params)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def list_documents(conn) -> list[dict]:
    """Every document with its platform, state and counts, by platform."""
    return _rows(conn, """
        select d.id, d.platform_id, p.name as platform_name, d.title, d.title_zh, d.title_en, d.doc_type,
               d.locale, d.url, d.state, d.last_checked, d.last_success, d.last_failure_reason, d.gone_since,
               d.versions_count, d.last_changed,
               (select count(*) from changes c where c.document_id = d.id) as changes_count
        from documents d join platforms p on p.id = d.platform_id
        order by d.platform_id, d.id
    """)


def get_document(conn, document_id: str) -> dict | None:
    """One document with its current version, its versions, changes and recent checks."""
    docs = _rows(conn, """
        select d.*, p.name as platform_name, p.name_zh as platform_name_zh
        from documents d join platforms p on p.id = d.platform_id where d.id = ?
    """, [document_id])
    if not docs:
        return None
    doc = docs[0]
    doc["current"] = None
    if doc["current_version_id"]:
        current = _rows(conn, "select * from versions where id = ?", [doc["current_version_id"]])
        doc["current"] = current[0] if current else None
    doc["versions"] = _rows(conn, """
        select id, seq, observed_at, chars, last_updated, effective_date, content_hash
        from versions where document_id = ? order by seq desc
    """, [document_id])
    doc["changes"] = _rows(conn, """
        select c.id, c.detected_at, c.kind, c.chars_added, c.chars_removed, c.effective_date,
               c.effective_date_source, f.seq as from_seq, t.seq as to_seq
        from changes c join versions f on f.id = c.from_version_id join versions t on t.id = c.to_version_id
        where c.document_id = ? order by t.seq desc
    """, [document_id])
    doc["checks"] = _rows(conn, """
        select checked_at, outcome, status_code, reason from checks where document_id = ?
        order by checked_at desc, id desc limit 20
    """, [document_id])
    return doc


def get_version(conn, document_id: str, seq: int) -> dict | None:
    rows = _rows(conn, "select * from versions where document_id = ? and seq = ?", [document_id, seq])
    return rows[0] if rows else None
