"""Rows as dicts: the one helper that every reader of the KB (kb, glossary) uses over a DB-API connection.

It lives here, with the other shared helpers, because ``glossary`` reads the KB too and may not import ``kb``.
"""

from __future__ import annotations


def rows(conn, sql: str, params=()) -> list[dict]:
    """Run ``sql`` on ``conn`` and return every row as a ``{column: value}`` dict."""
    cur = conn.execute(sql, params)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
