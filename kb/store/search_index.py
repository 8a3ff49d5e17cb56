"""Writes of the search index: its tables and triggers, and keeping it up to date with ``sections``.

The layout and the reasons for it are described in :mod:`kb.search`.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass

from kb.search.meta import CURRENT_TOKEN, document_meta
from kb.search.parse import segment
from kb.search.snippets import indexed_text
from pipeline.sqlrows import SECTION_SPAN_COLUMNS, fill_section_texts
from pipeline.text import UNSPACED
from pipeline.timeutil import now_iso

TRIGGER_NAMES = ("search_sections_deleted", "search_sections_updated")
_UNSPACED_CHAR = re.compile(f"[{UNSPACED}]")


def in_trigram_index(plain: str) -> bool:
    """Whether a wording's indexed text goes into ``search_trigram``: only when it has a character of a script
    written without spaces (Chinese, Japanese, Korean, Thai...). Every term that index serves has one (a term
    of a spaced script goes to ``search_short``, :attr:`kb.search.parse.Term.index`), so no other wording could
    match it; most policy text is in spaced scripts, and a trigram index is two to three times the text it
    indexes (measured in UTF-8 bytes, with a wording's filter tokens: 2.8x on the English wordings of the
    N = 100 KB of ``bench/scale.py``, 2.1x on Chinese clauses of the shared corpus's terms pages:
    ``bench/trigram_ratio.py``)."""
    return bool(_UNSPACED_CHAR.search(plain))


#: Bumped when the layout of the search tables changes: an older index is dropped and rebuilt.
SCHEMA_VERSION = 7  # 4: the index text is pipeline.text.plain_text (list bullets and quote marks dropped);
#                     5: folded by pipeline.fold (繁體 and 简体, full-width and ASCII index alike), and
#                     words stemmed (Porter) in search_short, which serves every term of a spaced script;
#                     6: search_trigram holds only the wordings with a character of a script written without
#                     spaces (the only ones its terms can match), issue 19
#                     7: search_wordings keeps a wording's rowid and own filter tokens only; search_sections
#                     is a view that reads the rest from the section and its document (issue 19)


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the search tables and the triggers on the sections' stored rows (idempotent; no commit): on
    ``section_spans`` (migration 0800 on), or on the table ``sections`` of a KB that older migrations are
    still bringing up to date.

    Tables of an older layout of the index are dropped first (then :func:`sync`
    re-indexes everything).
    """
    try:
        version = conn.execute("select schema_version from search_state where id = 1").fetchone()
    except sqlite3.OperationalError:
        version = None
    exists = conn.execute("select 1 from sqlite_master where name = 'search_sections'").fetchone()
    if exists and (version is None or version[0] != SCHEMA_VERSION):
        for name in TRIGGER_NAMES:
            conn.execute(f"drop trigger if exists {name}")
        for name in ("search_sections", "search_trigram", "search_short", "search_wordings", "search_removed",
                     "search_state", "search_documents"):
            kind = conn.execute("select type from sqlite_master where name = ?", [name]).fetchone()
            if kind:
                conn.execute(f"drop {kind[0]} {name}")
    spans = _spans(conn)
    # the view is made again each time: it reads the sections' stored rows, a table that migration 0800 replaced
    conn.execute("drop view if exists search_sections")
    for statement in SCHEMA + (SPAN_TRIGGERS if spans else TABLE_TRIGGERS):
        conn.execute(statement.replace("{sections}", "section_spans" if spans else "sections"))


def _spans(conn) -> bool:
    """Whether the sections' rows are in ``section_spans`` (migration 0800 on), not yet in the table ``sections``."""
    return conn.execute("select 1 from sqlite_master where name = 'section_spans' and type = 'table'").fetchone() \
        is not None


SCHEMA = [
    # A wording's document, key and content hash are its section's (same rowid): stored once, there; the
    # document's filter tokens once per document (search_documents). Layout 6 stored them all per wording,
    # with a unique index on the three: about 2 MiB of the 23.6 MiB KB of bench/storage.py.
    """create table if not exists search_wordings (
        rowid integer primary key,          -- = sections.rowid of the first section with this wording
        meta text not null,                 -- its own filter tokens (see OWN_META_SQL)
        pending integer not null default 0  -- 1 until its text is in both indexes
    )""",
    "create index if not exists search_wordings_pending on search_wordings (rowid) where pending = 1",
    # on sections: is a wording in the current version, is it indexed? (index probes, no table row read)
    "create index if not exists sections_search_wording on {sections} (document_id, key, content_hash, version_id)",
    "create virtual table if not exists search_trigram using fts5(text, meta, content='', tokenize='trigram')",
    "create virtual table if not exists search_short "
    "using fts5(text, meta, content='', prefix='1', tokenize='porter unicode61')",
    """create table if not exists search_documents (
        document_id text primary key,
        meta text,                          -- the document's filter tokens when its wordings were indexed
        current_version_id text             -- and its current version then
    )""",
    """create table if not exists search_removed (
        id integer primary key,
        section_rowid integer not null,
        document_id text, key text, content_hash text,
        text text,                          -- the old text, when it was indexed (to forget it)
        readd integer not null default 0    -- 1 for an update: look at the row again
    )""",
    """create table if not exists search_state (
        id integer primary key check (id = 1),
        max_rowid integer not null,         -- highest sections.rowid looked at
        sections integer not null,          -- rows of sections accounted for
        schema_version integer,
        first_month text, last_month text,  -- range of version dates (YYYYMM), for date filters
        synced_at text
    )""",
    # what the cite check and Datasette read: a wording's section keys and every filter token indexed with it
    """create view if not exists search_sections as
    select w.rowid as rowid, s.document_id, s.key, s.content_hash, m.meta || ' ' || w.meta as meta, w.pending
    from search_wordings w join {sections} s on s.rowid = w.rowid
    left join search_documents m on m.document_id = s.document_id""",
    # a delete of its rows (the table's, before layout 7: bench/cite_unindexed.py empties the index so) is theirs
    """create trigger if not exists search_sections_delete instead of delete on search_sections
    begin
        delete from search_wordings where rowid = old.rowid;
    end""",
]


def _triggers(table: str, updated_columns: str, old_text: str) -> list[str]:
    """The triggers that queue a section's deletion or update for :func:`sync`, on ``table`` (its old text is
    ``old_text``, in SQL over ``old``)."""
    return [
        f"""create trigger if not exists {TRIGGER_NAMES[0]} after delete on {table}
    begin
        insert into search_removed (section_rowid, document_id, key, content_hash, text, readd)
        select old.rowid, old.document_id, old.key, old.content_hash,
               case when exists (select 1 from search_wordings where rowid = old.rowid)
                    then {old_text} end, 0;
    end""",
        f"""create trigger if not exists {TRIGGER_NAMES[1]}
    after update of {updated_columns} on {table}
    begin
        insert into search_removed (section_rowid, document_id, key, content_hash, text, readd)
        select old.rowid, old.document_id, old.key, old.content_hash, {old_text}, 1
        where exists (select 1 from search_wordings where rowid = old.rowid);
        insert into search_removed (section_rowid, readd)
        select new.rowid, 1 where not exists (select 1 from search_wordings where rowid = old.rowid);
    end""",
    ]


#: On the table ``sections`` (before migration 0800), and on ``section_spans``, where a slice's old text is read
#: from its version.
TABLE_TRIGGERS = _triggers("sections", "text_markdown, key, document_id, content_hash", "old.text_markdown")
SPAN_TRIGGERS = _triggers(
    "section_spans", "text_markdown, start, length, key, document_id, content_hash",
    "coalesce(old.text_markdown, (select cast(substr(cast(v.text_markdown as blob), old.start + 1, old.length) "
    "as text) from versions v where v.id = old.version_id))")


#: A wording's own filter tokens, in SQL over ``sections s``, ``versions v`` and ``documents d``: the month it
#: was first seen as :func:`_tag` makes it (``mz`` + hex of ``YYYYMM`` + ``z``), and :data:`CURRENT_TOKEN` while
#: the current version has it. Indexed with its document's (``search_documents.meta``) before them, one space
#: between (:func:`_full_meta`).
OWN_META_SQL = f"""('mz' || lower(hex(replace(substr(coalesce(v.observed_at, ''), 1, 7), '-', ''))) || 'z'
    || case when exists (select 1 from sections c where c.document_id = s.document_id and c.key = s.key
                         and c.content_hash = s.content_hash and c.version_id = d.current_version_id)
       then ' {CURRENT_TOKEN}' else '' end)"""


def _full_meta(document_meta: str | None, own: str) -> str | None:
    """The filter tokens indexed with a wording: its document's, then its own (``NULL`` without a document,
    as SQL's ``||`` gives)."""
    return None if document_meta is None else f"{document_meta} {own}"


def _functions(conn):
    conn.create_function("policykb_document_meta", 3, document_meta, deterministic=True)


def _refresh_documents(conn):
    """Record every document's filter tokens (what the wordings indexed next will carry)."""
    conn.execute("insert or replace into search_documents (document_id, meta, current_version_id) "
                 "select id, policykb_document_meta(id, doc_type, locale), current_version_id from documents")


@dataclass
class SyncStats:
    added: int = 0
    removed: int = 0
    rebuilt: bool = False
    seconds: float = 0.0


def _index(conn, rowids_sql: str, params=(), progress=None, known: dict | None = None) -> int:
    """Index the wordings of the sections selected by ``rowids_sql`` that are not indexed yet.

    A wording is indexed at its first section (lowest rowid) of the selection, unless a section with the same
    wording (document, key, content hash) is indexed already.
    The documents' filter tokens come from ``search_documents`` (:func:`_refresh_documents`).

    :param known: ``{rowid: (indexed text, segmented text)}`` of wordings this sync forgot only to index them
        again under new filter tokens (:func:`_forget_changed_meta`): their texts are not folded twice
    """
    known = {} if known is None else known
    sections = "section_spans" if _spans(conn) else "sections"
    conn.execute("create temp table if not exists search_batch (rowid integer primary key)")
    conn.execute("delete from temp.search_batch")
    conn.execute(f"insert into temp.search_batch (rowid) {rowids_sql}", params)
    same = "c.document_id = s.document_id and c.key = s.key and c.content_hash = s.content_hash"
    conn.execute(f"""
        insert into search_wordings (rowid, meta, pending)
        select s.rowid, {OWN_META_SQL}, 1
        from {sections} s left join versions v on v.id = s.version_id left join documents d on d.id = s.document_id
        where s.rowid in (select rowid from temp.search_batch) and s.content_hash is not null
          and not exists (select 1 from {sections} c join search_wordings w on w.rowid = c.rowid where {same})
          and not exists (select 1 from {sections} c where {same} and c.rowid < s.rowid
                          and c.rowid in (select rowid from temp.search_batch))
        order by s.rowid
    """)
    conn.execute("delete from temp.search_batch")
    # the texts from their spans, each version's text read once (the view would read it for every section)
    pending = conn.cursor().execute(
        f"select w.rowid, m.meta as document_meta, w.meta, {SECTION_SPAN_COLUMNS} from search_wordings w "
        "join section_spans s on s.rowid = w.rowid left join search_documents m on m.document_id = s.document_id "
        "where w.pending = 1 order by s.version_id" if sections == "section_spans" else
        "select w.rowid, m.meta as document_meta, w.meta, null as span_version, null as span_start, "
        "null as span_length, s.text_markdown from search_wordings w join sections s on s.rowid = w.rowid "
        "left join search_documents m on m.document_id = s.document_id where w.pending = 1")
    names = [d[0] for d in pending.description]
    done = 0
    while True:
        chunk = fill_section_texts(conn, [dict(zip(names, r)) for r in pending.fetchmany(20_000)])
        if not chunk:
            break
        # in rowid order: FTS5 writes out what it holds in memory whenever a rowid is lower than the last one it was
        # given (the texts come in version order, for fill_section_texts), and merges the many small segments that
        # makes (half of the index's CPU on the KB of bench/build_steps.py); the same rows either way
        texts = []
        for r in chunk:
            plain, short = known.pop(r["rowid"], (None, None))
            if plain is None:
                plain = indexed_text(r["text_markdown"])
            texts.append((r["rowid"], plain, short, _full_meta(r["document_meta"], r["meta"])))
        texts.sort(key=lambda t: t[0])
        conn.executemany("insert into search_trigram (rowid, text, meta) values (?, ?, ?)",
                         [(rowid, plain, meta) for rowid, plain, _, meta in texts if in_trigram_index(plain)])
        conn.executemany("insert into search_short (rowid, text, meta) values (?, ?, ?)",
                         [(rowid, segment(plain) if short is None else short, meta)
                          for rowid, plain, short, meta in texts])
        done += len(chunk)
        if progress and done // 100_000 != (done - len(chunk)) // 100_000:
            progress("both", done)
    return conn.execute("update search_wordings set pending = 0 where pending = 1").rowcount


def _forget(conn, rowid: int, text: str, meta: str) -> tuple[str, str]:
    """Remove a wording from both indexes (a contentless index needs the very text it indexed); the indexed and
    segmented texts it was indexed with."""
    plain = indexed_text(text)
    short = segment(plain)
    if in_trigram_index(plain):  # a contentless index must not be told to forget what it never had
        conn.execute("insert into search_trigram (search_trigram, rowid, text, meta) values ('delete', ?, ?, ?)",
                     [rowid, plain, meta])
    conn.execute("insert into search_short (search_short, rowid, text, meta) values ('delete', ?, ?, ?)",
                 [rowid, short, meta])
    conn.execute("delete from search_wordings where rowid = ?", [rowid])
    return plain, short


def _record_state(conn, top, total):
    first, last = conn.execute("select min(observed_at), max(observed_at) from versions").fetchone()
    month = lambda value: (value or "")[:7].replace("-", "") or None  # noqa: E731
    conn.execute("""insert or replace into search_state
        (id, max_rowid, sections, schema_version, first_month, last_month, synced_at)
        values (1, ?, ?, ?, ?, ?, ?)""",
                 [top, total, SCHEMA_VERSION, month(first), month(last), now_iso()])


def reindex(conn: sqlite3.Connection, progress=None) -> SyncStats:
    """Drop and rebuild both indexes from ``sections`` (also re-creates the triggers).

    :param progress: optional ``progress(stage, rows_done)``, called every 100,000 rows
    """
    started = time.monotonic()
    _functions(conn)
    conn.execute("savepoint search_reindex")
    try:
        create_schema(conn)
        conn.execute("insert into search_trigram (search_trigram) values ('delete-all')")
        conn.execute("insert into search_short (search_short) values ('delete-all')")
        conn.execute("delete from search_wordings")
        conn.execute("delete from search_removed")
        conn.execute("delete from search_documents")
        _refresh_documents(conn)
        added = _index(conn, "select rowid from sections", progress=progress)
        total, top = conn.execute("select count(*), coalesce(max(rowid), 0) from sections").fetchone()
        _record_state(conn, top, total)
        conn.execute("release search_reindex")
    except BaseException:
        conn.execute("rollback to search_reindex")
        conn.execute("release search_reindex")
        raise
    return SyncStats(added=added, rebuilt=True, seconds=time.monotonic() - started)


def sync(conn: sqlite3.Connection, progress=None) -> SyncStats:
    """Bring the search indexes up to date with ``sections``; cheap when nothing changed.

    Applies the queued deletions and updates, re-indexes the wordings of
    documents whose type or locale changed, indexes new rows, and re-indexes
    everything when the counts show a change the triggers could not see.

    :param conn: a read-write connection to the KB
    :param progress: optional ``progress(stage, rows_done)`` for long runs
    """
    started = time.monotonic()
    _functions(conn)
    create_schema(conn)
    state = conn.execute("select max_rowid, sections from search_state where id = 1").fetchone()
    triggers = conn.execute(
        f"select count(*) from sqlite_master where type = 'trigger' and name in ({', '.join('?' * len(TRIGGER_NAMES))})",
        TRIGGER_NAMES).fetchone()[0]
    if state is None or triggers != len(TRIGGER_NAMES):
        return reindex(conn, progress)
    max_rowid, accounted = state
    removed_rows = conn.execute(
        "select id, section_rowid, document_id, key, content_hash, text, readd from search_removed order by id"
    ).fetchall()
    deleted = sum(1 for r in removed_rows if not r[6] and r[1] <= max_rowid)
    total, new_rows, top = conn.execute(
        "select count(*), count(*) filter (where rowid > ?), coalesce(max(rowid), 0) from sections",
        [max_rowid]).fetchone()
    if total != accounted - deleted + new_rows:
        return reindex(conn, progress)
    stats = SyncStats()
    conn.execute("savepoint search_sync")
    try:
        readd = _apply_removed(conn, removed_rows, stats)
        conn.execute("delete from search_removed")
        known: dict = {}
        readd |= _forget_changed_meta(conn, known)
        if readd:
            marks = ", ".join(str(int(r)) for r in sorted(readd))
            stats.added += _index(conn, f"select rowid from sections where rowid in ({marks})", known=known)
        if new_rows:
            stats.added += _index(conn, "select rowid from sections where rowid > ?", [max_rowid], progress)
        _record_state(conn, max(top, max_rowid), total)
        conn.execute("release search_sync")
    except BaseException:
        conn.execute("rollback to search_sync")
        conn.execute("release search_sync")
        raise
    stats.seconds = time.monotonic() - started
    return stats


def _apply_removed(conn, removed_rows, stats: SyncStats) -> set[int]:
    """Forget the wordings of the deleted and updated sections the triggers queued; the rowids to index again."""
    readd = set()
    for _, rowid, document_id, key, content_hash, text, again in removed_rows:
        # the section may be gone: its document (as the trigger saw it) gives the document's tokens
        indexed = conn.execute("select (select meta from search_documents where document_id = ?), meta "
                               "from search_wordings where rowid = ?", [document_id, rowid]).fetchone()
        if text is not None and indexed:
            _forget(conn, rowid, text, _full_meta(*indexed))
            stats.removed += 1
            # another section with the same wording (a later version) now stands for it
            other = conn.execute(
                "select rowid from sections where document_id = ? and key = ? and content_hash = ? "
                "order by rowid limit 1", [document_id, key, content_hash]).fetchone()
            if other:
                readd.add(other[0])
        if again:
            readd.add(rowid)
    return readd


def _forget_changed_meta(conn, known: dict) -> set[int]:
    """Forget the wordings whose filter tokens changed; the rowids to index again with the new ones, their texts
    as indexed put in ``known`` (``{rowid: (indexed text, segmented text)}``: the same section, the same text).

    A document with a new current version, type or locale: its wordings whose filter tokens changed
    (current or not any more, ...) are indexed again. Their old tokens are their document's as recorded
    before this refresh, then their own.
    """
    changed = dict(conn.execute("""
        select d.id, i.meta from documents d join search_documents i on i.document_id = d.id
        where i.meta is not policykb_document_meta(d.id, d.doc_type, d.locale)
           or i.current_version_id is not d.current_version_id"""))
    _refresh_documents(conn)
    readd = set()
    spans = _spans(conn)
    for document_id, old_document_meta in changed.items():
        # only the tokens first; the texts (from their spans, each version's text read once) of those that changed
        stale = [r for r in conn.execute(f"""
                select w.rowid, w.meta, {OWN_META_SQL} as fresh, m.meta as document_meta, {SECTION_SPAN_COLUMNS if spans
                else "null as span_version, null as span_start, null as span_length, s.text_markdown"}
                from search_wordings w
                join {"section_spans" if spans else "sections"} s on s.rowid = w.rowid
                left join versions v on v.id = s.version_id left join documents d on d.id = s.document_id
                left join search_documents m on m.document_id = s.document_id
                where s.document_id = ?""", [document_id]).fetchall()
                 if _full_meta(r[3], r[2]) != _full_meta(old_document_meta, r[1])]
        rows = fill_section_texts(conn, [dict(zip(("rowid", "meta", "fresh", "document_meta", "span_version",
                                                   "span_start", "span_length", "text_markdown"), r))
                                         for r in stale])
        for r in rows:
            known[r["rowid"]] = _forget(conn, r["rowid"], r["text_markdown"], _full_meta(old_document_meta, r["meta"]))
            readd.add(r["rowid"])
    return readd
