"""What the cite check reads from the KB: documents, versions (keyed on demand), sections, checks, changes."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from kb import timemodel
from kb.cite.cache import WeightedCache
from kb.cite.citation import permalink, section_labels
from pipeline.timeutil import iso
from kb.cite.keytext import KeyText, key_text
from pipeline.sqlrows import rows as _rows
from pipeline.sqlrows import version_section_texts


def _conn(db) -> sqlite3.Connection:
    """Accept a ``sqlite3.Connection`` or a ``sqlite_utils.Database``."""
    return getattr(db, "conn", db)


#: the key forms of the versions read last, for a process that answers many quotes (the web page, ``citations
#: check``, ``bench/``): a version's key form costs 5 to 50 ms for a long policy page (``bench/scale.py``), and
#: the quotes of one client or one session keep coming back to the same documents. Bounded by the characters
#: held (a key form holds about three times its text; a text keyed word by word more).
_KEYED = WeightedCache(12_000_000, lambda keyed: _weight(keyed))


def keyed_version(version: dict) -> KeyText:
    """:func:`kb.cite.keytext.key_text` of a version's text, kept for the next quotes. Cached by the version's
    id *and* its text, so a KB rebuilt or migrated in place never gets another text's offsets. Thread-safe
    (Datasette answers in a pool of threads); two threads may key the same text at once, and one copy stays."""
    text = version["text_markdown"] or ""
    ident = (version["id"], len(text), hash(text))
    hit = _KEYED.get(ident)
    if hit is not None:
        return hit
    return _KEYED.put(ident, key_text(text))


def _weight(keyed: KeyText) -> int:
    return len(keyed.raw) * (8 if keyed.runs is not None or keyed.segments is not None else 1)


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
            self._keys[seq] = keyed_version(self.get(seq))
        return self._keys[seq]

    def at(self, when: datetime) -> dict | None:
        rows = _rows(self.conn, "select seq from versions where document_id = ? and observed_at <= ? "
                                "order by seq desc limit 1", [self.doc_id, iso(when)])
        return self.get(rows[0]["seq"]) if rows else None


#: the sections found in the versions read last (:func:`section_spans`), for the next quotes: every answer names
#: its section, and the quotes of one session keep coming back to the same versions (on the scale bench's KB a
#: version's sections cost 5 to 10 ms to read and find). Keyed by the version's id and text and by its sections
#: rows (their rowids and content hashes, read from an index): sections stored again, or a KB rebuilt, never get
#: another's spans. A row changed in place keeping its rowid and wording (a key or heading renamed by a migration
#: that another process runs) is seen after this process restarts, as new code is. Bounded by the characters of
#: the texts.
_SPANS = WeightedCache(8_000_000, lambda entry: entry[0])


def section_spans(conn, version: dict) -> list[tuple[dict, int, int]]:
    """The sections of a version with their spans in its text: ``[(row, start, end)]``, in order.

    From the ``sections`` table (each section is found in the text by its
    first characters; it runs to the next one); a version without sections
    rows is split on the fly with :func:`pipeline.sections.split_sections`.
    Kept for the next quotes (:data:`_SPANS`); the rows are shared: read them, never change them.
    """
    text = version["text_markdown"] or ""
    stored = tuple(conn.execute("select rowid, content_hash from section_spans where version_id = ?",
                                [version["id"]]).fetchall())
    ident = (version["id"], len(text), hash(text), hash(stored))
    hit = _SPANS.get(ident)
    if hit is not None:
        return hit[1]
    return _SPANS.put(ident, (len(text), _find_spans(conn, version, text)))[1]


def _find_spans(conn, version: dict, text: str) -> list[tuple[dict, int, int]]:
    rows = version_section_texts(conn, version["id"], "s.key, s.heading, s.level, s.ordinal")
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
    if url:  # the id, or the URL with or without its trailing slash (an indexed look-up, not a scan)
        base = url.rstrip("/")
        where.append("(d.id = ? or d.url in (?, ?, ?))")
        params += [url, url, base, base + "/"]
    sql = ("select d.*, p.name as platform_name, p.name_zh as platform_name_zh from documents d "
           "join platforms p on p.id = d.platform_id" + (" where " + " and ".join(where) if where else ""))
    return {r["id"]: r for r in _rows(conn, sql, params)}


def _last_success(conn, doc: dict) -> str | None:
    """The document's last successful check (:func:`kb.timemodel.last_success`: a 404/410 "gone" counts),
    the same date every page and command shows."""
    return timemodel.last_success(conn, doc["id"])


def _last_seen(conn, version_id: str) -> str | None:
    row = conn.execute("select max(checked_at) from checks where document_id = (select document_id from versions"
                       " where id = ?) and version_id = ?", [version_id, version_id]).fetchone()
    return row[0] if row and row[0] else None


def _change_into(conn, version_id: str) -> dict | None:
    rows = _rows(conn, "select * from changes where to_version_id = ?", [version_id])
    return rows[0] if rows else None


def _version_info(conn, doc, version, raw_pos, base_url, now) -> dict:
    """What a citation says about one place in a version: its section, and the dates of the time model
    (:mod:`kb.timemodel`): the effective date that applies to that section (never a sibling's), the
    first version with the section's current wording, the version's own stated dates, last seen."""
    section = section_at(conn, version, raw_pos)
    label, _, _ = section_labels(section)
    key = section["key"] if section and not timemodel.is_document_wide(section) else None
    times = timemodel.section_time(conn, version, key)
    eff, eff_source = times["effective_date"], times["effective_date_source"]
    today = now.date().isoformat()
    for block in (times, times["wording_since"]):  # announced = still in the future at the reference time
        if block["effective_date_source"] == "stated":
            block["effective_date_label"] = "announced" if block["effective_date"] > today else "stated_effective"
    return {
        "version_id": version["id"], "version_seq": version["seq"], "observed_at": version["observed_at"],
        "version_date": (version["observed_at"] or "")[:10], "last_updated": version.get("last_updated"),
        "version_effective_date": version.get("effective_date"),
        "effective_in_future": bool(eff and eff_source == "stated" and eff > now.date().isoformat()),
        **times,
        "section": label, "section_key": section["key"] if section else None,
        "section_heading": section["heading"] if section else None,
        "permalink": permalink(version["document_id"], version["seq"], base_url),
        "last_seen": _last_seen(conn, version["id"]),
        "_section": section,
    }
