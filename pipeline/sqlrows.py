"""Rows as dicts: the one helper that every reader of the KB (kb, glossary) uses over a DB-API connection.

It lives here, with the other shared helpers, because ``glossary`` reads the KB too and may not import ``kb``.
"""

from __future__ import annotations


def rows(conn, sql: str, params=()) -> list[dict]:
    """Run ``sql`` on ``conn`` and return every row as a ``{column: value}`` dict."""
    cur = conn.execute(sql, params)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


#: A section's id over ``section_spans s``: stored only when it is not the usual ``version_id#key``.
SECTION_ID_SQL = "coalesce(s.id, s.version_id || '#' || s.key)"

#: The columns :func:`fill_section_texts` needs, over ``section_spans s`` (the KB's sections, stored as spans of
#: their version's text: ``kb.sectiontext``).
SECTION_SPAN_COLUMNS = "s.version_id as span_version, s.start as span_start, s.length as span_length, s.text_markdown"


def fill_section_texts(conn, rows: list[dict]) -> list[dict]:
    """Give each row (selected with :data:`SECTION_SPAN_COLUMNS`) its section's ``text_markdown``, reading each
    version's text once; the span columns are removed. Returns ``rows``."""
    wanted = sorted({r["span_version"] for r in rows if r["text_markdown"] is None and r["span_start"] is not None})
    texts: dict[str, bytes] = {}
    for at in range(0, len(wanted), 500):
        chunk = wanted[at:at + 500]
        texts.update(conn.execute(f"select id, cast(text_markdown as blob) from versions "
                                  f"where id in ({','.join('?' * len(chunk))})", chunk).fetchall())
    for r in rows:
        version, start, length = r.pop("span_version"), r.pop("span_start"), r.pop("span_length")
        if r["text_markdown"] is None and start is not None and texts.get(version) is not None:
            r["text_markdown"] = texts[version][start:start + length].decode()
    return rows


def version_section_texts(conn, version_id: str, columns: str = "key") -> list[dict]:
    """The sections of one version in order, as dicts of ``columns`` (over ``section_spans s``) and
    ``text_markdown``; the version's text is read once."""
    cur = conn.execute(f"select {columns}, {SECTION_SPAN_COLUMNS} from section_spans s where s.version_id = ? "
                       "order by s.ordinal", [version_id])
    names = [d[0] for d in cur.description]
    return fill_section_texts(conn, [dict(zip(names, r)) for r in cur.fetchall()])
