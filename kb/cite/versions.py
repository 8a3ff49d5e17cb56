"""What the cite check reads from the KB: documents, versions (keyed on demand), sections, checks, changes."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from kb.cite.citation import permalink, section_labels
from pipeline.timeutil import iso
from kb.cite.keytext import KeyText, key_text
from pipeline.sqlrows import rows as _rows


def _conn(db) -> sqlite3.Connection:
    """Accept a ``sqlite3.Connection`` or a ``sqlite_utils.Database``."""
    return getattr(db, "conn", db)


class _Versions:
    """Versions of one document, loaded and keyed on demand."""

    def __init__(self, conn, doc_id):
        self.conn, self.doc_id = conn, doc_id
        self._rows: dict[int, dict] = {}
        self._keys: dict[int, KeyText] = {}

    def get(self, seq) -> dict | None:
        if seq not in self._rows:
            rows = _rows(self.conn, "select * from versions where document_id = ? and seq = ?", [self.doc_id, seq])
            self._rows[seq] = rows[0] if rows else None
        return self._rows[seq]

    def key(self, seq) -> KeyText:
        if seq not in self._keys:
            self._keys[seq] = key_text(self.get(seq)["text_markdown"])
        return self._keys[seq]

    def at(self, when: datetime) -> dict | None:
        rows = _rows(self.conn, "select seq from versions where document_id = ? and observed_at <= ? "
                                "order by seq desc limit 1", [self.doc_id, iso(when)])
        return self.get(rows[0]["seq"]) if rows else None


def section_spans(conn, version: dict) -> list[tuple[dict, int, int]]:
    """The sections of a version with their spans in its text: ``[(row, start, end)]``, in order.

    From the ``sections`` table (each section is found in the text by its
    first characters; it runs to the next one); a version without sections
    rows is split on the fly with :func:`pipeline.sections.split_sections`.
    """
    text = version["text_markdown"] or ""
    rows = _rows(conn, "select key, heading, level, ordinal, text_markdown from sections where version_id = ? "
                       "order by ordinal", [version["id"]])
    if not rows:
        from pipeline.sections import split_sections

        rows = [{"key": s.key, "heading": s.heading, "level": s.level, "ordinal": s.ordinal,
                 "text_markdown": s.text} for s in split_sections(text)]
    found, cursor = [], 0
    for row in rows:
        probe = (row["text_markdown"] or "").strip()[:120]
        at = text.find(probe, cursor) if probe else -1
        if at < 0:
            continue
        found.append((row, at))
        cursor = at + 1
    return [(row, at, found[i + 1][1] if i + 1 < len(found) else len(text)) for i, (row, at) in enumerate(found)]


def section_at(conn, version: dict, raw_pos: int) -> dict | None:
    """The section of a version that holds a raw offset."""
    best = None
    for row, start, _ in section_spans(conn, version):
        if start <= raw_pos:
            best = row
        else:
            break
    return best


def _documents(conn, platform=None, url=None, ids=None) -> dict[str, dict]:
    where, params = [], []
    if ids is not None:
        if not ids:
            return {}
        where.append(f"d.id in ({','.join('?' * len(ids))})")
        params += list(ids)
    if platform:
        where.append("d.platform_id = ?")
        params.append(platform)
    if url:
        where.append("(d.url = ? or rtrim(d.url, '/') = rtrim(?, '/') or d.id = ?)")
        params += [url, url, url]
    sql = ("select d.*, p.name as platform_name, p.name_zh as platform_name_zh from documents d "
           "join platforms p on p.id = d.platform_id" + (" where " + " and ".join(where) if where else ""))
    return {r["id"]: r for r in _rows(conn, sql, params)}


def _last_success(conn, doc: dict) -> str | None:
    """The latest check that told us the truth about the page (a gone answer counts)."""
    row = conn.execute("select max(checked_at) from checks where document_id = ? and outcome != 'failed'",
                       [doc["id"]]).fetchone()
    return (row[0] if row else None) or doc.get("last_success")


def _last_seen(conn, version_id: str) -> str | None:
    row = conn.execute("select max(checked_at) from checks where version_id = ?", [version_id]).fetchone()
    return row[0] if row and row[0] else None


def _change_into(conn, version_id: str) -> dict | None:
    rows = _rows(conn, "select * from changes where to_version_id = ?", [version_id])
    return rows[0] if rows else None


def _effective(conn, version: dict) -> tuple[str | None, str | None]:
    """The version's effective date and where it comes from (``stated`` in the text, or the change record)."""
    if version.get("effective_date"):
        return version["effective_date"], "stated"
    change = _change_into(conn, version["id"])
    if change and change.get("effective_date"):
        return change["effective_date"], change.get("effective_date_source") or "detected"
    return None, None


def _version_info(conn, doc, version, raw_pos, base_url, now) -> dict:
    section = section_at(conn, version, raw_pos)
    label, _, _ = section_labels(section)
    eff, eff_source = _effective(conn, version)
    return {
        "version_id": version["id"], "version_seq": version["seq"], "observed_at": version["observed_at"],
        "version_date": (version["observed_at"] or "")[:10], "last_updated": version.get("last_updated"),
        "effective_date": eff, "effective_date_source": eff_source,
        "effective_in_future": bool(eff and eff_source == "stated" and eff > now.date().isoformat()),
        "section": label, "section_key": section["key"] if section else None,
        "section_heading": section["heading"] if section else None,
        "permalink": permalink(version["document_id"], version["seq"], base_url),
        "last_seen": _last_seen(conn, version["id"]),
        "_section": section,
    }
