"""Full-text search over sections, in Chinese and in English.

Two FTS5 indexes over the distinct wordings of every section, current or not:

- ``search_trigram`` (FTS5 ``trigram`` tokenizer): any substring of three
  characters or more, in any script (``知识产权``, ``counterfeit``, ``3.2``).
- ``search_short`` (FTS5 ``unicode61`` with a one-character prefix index)
  over a segmented copy of the text, where every run of Chinese, Japanese or
  Korean characters becomes its overlapping bigrams plus its last character.
  A two-character term (``申诉``, ``侵权``) is then one token, and a
  one-character term (``税``) a prefix query. Words of alphabetic scripts stay
  words, so a short term such as ``EU`` matches the word. A phrase of several
  words without CJK (``"plan of action"``) is served here too, as whole
  words, and so is every term of a query that mixes short and long terms.

A trigram index alone matches nothing shorter than three characters, and on
SQLite 3.40 a ``LIKE '%申诉%'`` on a trigram table silently returns no rows;
an ``instr()`` scan of the content table is correct but grows with the KB
(about 0.2 s per 300,000 sections for a term with no hit). ``bench/search.py``
measures the choice on a million sections.

Both indexes are contentless (``content=''``): the text is in ``sections``;
what is indexed is its plain text (:func:`plain_text`: link targets and
Markdown marks dropped, white space collapsed), so a phrase matches across a
line break or bold marks, and a URL in a link does not match a word.
Each distinct wording of a section (document, key, content hash) is indexed
once, at its first version; a hit says whether the current version still has
that wording. :func:`sync` keeps the indexes up to date after every build;
SQL triggers on ``sections`` queue deleted and updated rows (with their old
text, which a contentless index needs to forget them), and any change the
triggers cannot see (a table rebuilt, rows replaced) is caught by counting
and answered by re-indexing everything.

A second column, ``meta``, holds filter tokens (platform, document, type,
locale, month first seen, and whether the current version has the wording),
so that FTS5 itself narrows a filtered search; the SQL re-checks every filter.

Results come newest wording first (FTS5 walks the index by descending rowid
and stops at the page size), so a query for a character found in half the KB
costs no more than one found in ten sections; relevance ranking (``bm25``)
would have to score every match first.
"""

from __future__ import annotations

import html
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass, field

#: Scripts written without spaces between words: Hiragana, Katakana, CJK
#: ideographs (with extension A and compatibility ideographs), Hangul syllables.
CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
CJK_CHAR = re.compile(f"[{CJK_CLASS}]")
QUERY_TERM = re.compile(r'"([^"]+)"|(\S+)')
#: A term shorter than this goes to the short-term index.
TRIGRAM_MIN = 3
TRIGGER_NAMES = ("search_sections_deleted", "search_sections_updated")
#: Bumped when the layout of the search tables changes: an older index is dropped and rebuilt.
SCHEMA_VERSION = 3


def segment(text: str) -> str:
    """The text as the short-term index sees it: CJK runs as bigrams plus their last character.

    ``"申诉规则 EU"`` → ``" 申诉 诉规 规则 则  EU"``. Everything else is left to
    the ``unicode61`` tokenizer (words, numbers).

    :param text: a section's Markdown
    """

    def split(m):
        run = m.group(0)
        return " " + " ".join(run[i:i + 2] for i in range(len(run) - 1)) + " " + run[-1] + " "

    return CJK_RUN.sub(split, text or "")


@dataclass
class Term:
    """One term of a query: ``text`` as typed (a word, or a phrase given in double quotes)."""

    text: str

    @property
    def short(self) -> bool:
        """Fewer than three characters: the trigram index cannot serve it."""
        return len(self.text) < TRIGRAM_MIN

    @property
    def index(self) -> str:
        """``trigram`` for a term of 3+ characters with CJK, or one word of 3+ characters (any substring
        matches); ``short`` for a short term and for a phrase of several words without CJK (whole words:
        a trigram phrase of common words makes FTS5 verify positions in most rows)."""
        if self.short:
            return "short"
        if not CJK_CHAR.search(self.text) and re.search(r"\s", self.text):
            return "short"
        return "trigram"

    def fts_trigram(self) -> str:
        """This term for the trigram index: a phrase that matches any substring."""
        return '"' + self.text.replace('"', '""') + '"'

    def fts_short(self) -> str:
        """This term for the segmented index, as a phrase of its tokens.

        A CJK run is its bigrams, plus its last character when other text
        follows it in the term (the index has that unigram at the end of every
        run); a lone CJK character at the end of the term is a prefix (it
        starts a bigram or ends a run). Other text is whole words for
        unicode61 (a prefix query on words, without a prefix index for them,
        merges every word that starts so: too slow on a large KB).
        """
        pieces = re.findall(f"[{CJK_CLASS}]+|[^{CJK_CLASS}]+", self.text)
        parts, prefix = [], False
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            if CJK_CHAR.match(piece):
                tokens = [piece[j:j + 2] for j in range(len(piece) - 1)]
                if len(piece) == 1 or not last:
                    tokens.append(piece[-1])
                parts.extend(tokens)
                prefix = last and len(piece) == 1
            else:
                parts.append(piece.replace('"', '""'))
                prefix = False
        return '"' + " ".join(parts) + '"' + (" *" if prefix else "")

    def fts(self) -> str:
        """This term for the index that serves it (:attr:`index`)."""
        return self.fts_trigram() if self.index == "trigram" else self.fts_short()


def parse_query(query: str) -> list[Term]:
    """Split a query into terms: whitespace separates terms, ``"double quotes"`` keep a phrase.

    Terms without a letter or digit are dropped when shorter than three
    characters (the word index has nothing to match them with).

    :param query: the query as typed
    """
    terms = []
    for quoted, bare in QUERY_TERM.findall(query or ""):
        text = (quoted or bare).strip()
        if not text:
            continue
        term = Term(text)
        if term.short and not re.search(r"\w", text):
            continue
        terms.append(term)
    return terms


# --- keeping the indexes up to date -------------------------------------------------


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the search tables and the triggers on ``sections`` (idempotent; no commit).

    Tables of an older layout of the index are dropped first (then :func:`sync`
    re-indexes everything).
    """
    try:
        version = conn.execute("select schema_version from search_state where id = 1").fetchone()
    except sqlite3.OperationalError:
        version = None
    exists = conn.execute("select 1 from sqlite_master where name = 'search_sections'").fetchone()
    if exists and (version is None or version[0] != SCHEMA_VERSION):
        for name in ("search_trigram", "search_short", "search_sections", "search_removed", "search_state",
                     "search_documents"):
            conn.execute(f"drop table if exists {name}")
        for name in TRIGGER_NAMES:
            conn.execute(f"drop trigger if exists {name}")
    for statement in SCHEMA:
        conn.execute(statement)


SCHEMA = [
    """create table if not exists search_sections (
        rowid integer primary key,          -- = sections.rowid of the first section with this wording
        document_id text not null,
        key text not null,
        content_hash text not null,
        meta text,                          -- the filter tokens indexed with it (see META_SQL)
        pending integer not null default 0  -- 1 until its text is in both indexes
    )""",
    "create index if not exists search_sections_pending on search_sections (rowid) where pending = 1",
    "create unique index if not exists search_sections_wording on search_sections (document_id, key, content_hash)",
    # on sections: is a wording in the current version? (one index probe per hit, no table row read)
    "create index if not exists sections_search_wording on sections (document_id, key, content_hash, version_id)",
    "create virtual table if not exists search_trigram using fts5(text, meta, content='', tokenize='trigram')",
    "create virtual table if not exists search_short "
    "using fts5(text, meta, content='', prefix='1', tokenize='unicode61')",
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
    f"""create trigger if not exists {TRIGGER_NAMES[0]} after delete on sections
    begin
        insert into search_removed (section_rowid, document_id, key, content_hash, text, readd)
        select old.rowid, old.document_id, old.key, old.content_hash,
               case when exists (select 1 from search_sections where rowid = old.rowid)
                    then old.text_markdown end, 0;
    end""",
    f"""create trigger if not exists {TRIGGER_NAMES[1]}
    after update of text_markdown, key, document_id, content_hash on sections
    begin
        insert into search_removed (section_rowid, document_id, key, content_hash, text, readd)
        select old.rowid, old.document_id, old.key, old.content_hash, old.text_markdown, 1
        where exists (select 1 from search_sections where rowid = old.rowid);
        insert into search_removed (section_rowid, readd)
        select new.rowid, 1 where not exists (select 1 from search_sections where rowid = old.rowid);
    end""",
]


def _tag(kind: str, value: str) -> str:
    """A filter token: ``kind`` + ``z`` + hex of the lower-cased value + ``z`` (one token for unicode61,
    and for trigram a substring found only there)."""
    return f"{kind}z{(value or '').lower().encode('utf-8').hex()}z"


def document_meta(document_id: str, doc_type: str | None, locale: str | None) -> str:
    """The filter tokens of a document: its platform, id, type and locale (and the locale's language)."""
    tokens = [_tag("p", document_id.split("/", 1)[0]), _tag("d", document_id), _tag("t", doc_type or "")]
    if locale:
        tokens += [_tag("l", locale), _tag("l", locale.split("-", 1)[0])]
    return " ".join(tokens)


#: The token of a wording that the current version has (``_tag("c", "1")``).
CURRENT_TOKEN = "cz31z"
#: The filter tokens indexed with a wording, in SQL over ``sections s``, ``versions v``, ``documents d`` and
#: ``search_documents m``: its document's (``m.meta``), the month it was first seen as :func:`_tag` makes it
#: (``mz`` + hex of ``YYYYMM`` + ``z``), and :data:`CURRENT_TOKEN` while the current version has it.
META_SQL = f"""(m.meta || ' mz' || lower(hex(replace(substr(coalesce(v.observed_at, ''), 1, 7), '-', ''))) || 'z'
    || case when exists (select 1 from sections c where c.document_id = s.document_id and c.key = s.key
                         and c.content_hash = s.content_hash and c.version_id = d.current_version_id)
       then ' {CURRENT_TOKEN}' else '' end)"""


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


def _index(conn, rowids_sql: str, params=(), progress=None) -> int:
    """Index the wordings of the sections selected by ``rowids_sql`` that are not indexed yet.

    A wording is indexed at its first section (lowest rowid); the unique index
    on ``search_sections`` makes later sections with the same wording no-ops.
    The documents' filter tokens come from ``search_documents`` (:func:`_refresh_documents`).
    """
    conn.execute(f"""
        insert or ignore into search_sections (rowid, document_id, key, content_hash, meta, pending)
        select s.rowid, s.document_id, s.key, s.content_hash, {META_SQL}, 1
        from sections s left join versions v on v.id = s.version_id
        left join documents d on d.id = s.document_id left join search_documents m on m.document_id = s.document_id
        where s.rowid in ({rowids_sql}) and s.content_hash is not null order by s.rowid
    """, params)
    pending = conn.cursor().execute(
        "select i.rowid, s.text_markdown, i.meta from search_sections i join sections s on s.rowid = i.rowid "
        "where i.pending = 1")
    done = 0
    while True:
        chunk = pending.fetchmany(20_000)
        if not chunk:
            break
        plain = [(rowid, plain_text(text), meta) for rowid, text, meta in chunk]
        conn.executemany("insert into search_trigram (rowid, text, meta) values (?, ?, ?)", plain)
        conn.executemany("insert into search_short (rowid, text, meta) values (?, ?, ?)",
                         [(rowid, segment(text), meta) for rowid, text, meta in plain])
        done += len(chunk)
        if progress and done // 100_000 != (done - len(chunk)) // 100_000:
            progress("both", done)
    return conn.execute("update search_sections set pending = 0 where pending = 1").rowcount


def _forget(conn, rowid: int, text: str, meta: str) -> None:
    """Remove a wording from both indexes (a contentless index needs the very text it indexed)."""
    plain = plain_text(text)
    conn.execute("insert into search_trigram (search_trigram, rowid, text, meta) values ('delete', ?, ?, ?)",
                 [rowid, plain, meta])
    conn.execute("insert into search_short (search_short, rowid, text, meta) values ('delete', ?, ?, ?)",
                 [rowid, segment(plain), meta])
    conn.execute("delete from search_sections where rowid = ?", [rowid])


def _record_state(conn, top, total):
    first, last = conn.execute("select min(observed_at), max(observed_at) from versions").fetchone()
    month = lambda value: (value or "")[:7].replace("-", "") or None  # noqa: E731
    conn.execute("""insert or replace into search_state
        (id, max_rowid, sections, schema_version, first_month, last_month, synced_at)
        values (1, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))""",
                 [top, total, SCHEMA_VERSION, month(first), month(last)])


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
        conn.execute("delete from search_sections")
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
        readd = set()
        for _, rowid, document_id, key, content_hash, text, again in removed_rows:
            indexed = conn.execute("select meta from search_sections where rowid = ?", [rowid]).fetchone()
            if text is not None and indexed:
                _forget(conn, rowid, text, indexed[0])
                stats.removed += 1
                # another section with the same wording (a later version) now stands for it
                other = conn.execute(
                    "select rowid from sections where document_id = ? and key = ? and content_hash = ? "
                    "order by rowid limit 1", [document_id, key, content_hash]).fetchone()
                if other:
                    readd.add(other[0])
            if again:
                readd.add(rowid)
        conn.execute("delete from search_removed")
        # a document with a new current version, type or locale: its wordings whose filter tokens
        # changed (current or not any more, ...) are indexed again with the new ones
        changed = [r[0] for r in conn.execute("""
            select d.id from documents d join search_documents i on i.document_id = d.id
            where i.meta is not policykb_document_meta(d.id, d.doc_type, d.locale)
               or i.current_version_id is not d.current_version_id""")]
        _refresh_documents(conn)
        for document_id in changed:
            for rowid, text, meta, fresh in conn.execute(f"""
                    select i.rowid, s.text_markdown, i.meta, {META_SQL} from search_sections i
                    join sections s on s.rowid = i.rowid left join versions v on v.id = s.version_id
                    left join documents d on d.id = s.document_id
                    left join search_documents m on m.document_id = s.document_id
                    where i.document_id = ?""", [document_id]).fetchall():
                if fresh != meta:
                    _forget(conn, rowid, text, meta)
                    readd.add(rowid)
        if readd:
            marks = ", ".join(str(int(r)) for r in sorted(readd))
            stats.added += _index(conn, f"select rowid from sections where rowid in ({marks})")
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


# --- searching ----------------------------------------------------------------------


@dataclass
class Filters:
    """What a search may be narrowed to; every field is optional.

    ``since``/``until`` (``YYYY-MM-DD``) bound the version date of the hit (when
    its wording was first seen); ``locale`` matches a prefix (``zh`` → ``zh-CN``).
    """

    platform: str | None = None
    doc_type: str | None = None
    locale: str | None = None
    since: str | None = None
    until: str | None = None
    current_only: bool = False
    document: str | None = None


@dataclass
class SearchResult:
    query: str
    hits: list = field(default_factory=list)
    more: bool = False
    method: str = ""
    took_ms: float = 0.0
    error: str | None = None


CURRENT_SQL = """(s.version_id = d.current_version_id or exists (
    select 1 from sections c where c.document_id = s.document_id and c.key = s.key
    and c.version_id = d.current_version_id and c.content_hash = s.content_hash))"""
#: A date filter spanning at most this many months is also given to FTS5 (as an OR of month tokens).
MAX_FILTER_MONTHS = 36


def _months(lo: str, hi: str) -> list[str]:
    y, m = int(lo[:4]), int(lo[4:6])
    out = []
    while f"{y:04d}{m:02d}" <= hi:
        out.append(f"{y:04d}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _meta_filter(conn, filters: Filters) -> str | None:
    """The filters FTS5 can apply itself, as a query on the ``meta`` column (the SQL re-checks them all)."""
    tokens = []
    if filters.platform:
        tokens.append(f'"{_tag("p", filters.platform)}"')
    if filters.document:
        tokens.append(f'"{_tag("d", filters.document)}"')
    if filters.doc_type:
        tokens.append(f'"{_tag("t", filters.doc_type)}"')
    if filters.locale:
        tokens.append(f'"{_tag("l", filters.locale)}"')
    if filters.current_only:
        tokens.append(f'"{CURRENT_TOKEN}"')
    if filters.since or filters.until:
        first, last = conn.execute("select first_month, last_month from search_state where id = 1").fetchone()
        lo = max(filter(None, [(filters.since or "")[:7].replace("-", ""), first]), default=None)
        hi = min(filter(None, [(filters.until or "")[:7].replace("-", ""), last]), default=None)
        if lo and hi:
            months = _months(lo, hi)
            if not months:
                tokens.append(f'"{_tag("m", "none")}"')
            elif len(months) <= MAX_FILTER_MONTHS:
                tokens.append("(" + " OR ".join(f'"{_tag("m", m)}"' for m in months) + ")")
    return " AND ".join(tokens) if tokens else None


def _plan(terms: list[Term]) -> tuple[str, str]:
    """The FTS table and MATCH expression (on the ``text`` column) for a query.

    All terms served by the trigram index: that index. Otherwise the
    segmented index for every term, so that FTS5 intersects the terms'
    doclists itself (a join of two indexes would test each match of one
    against the other, slow when they rarely meet).
    """
    if all(t.index == "trigram" for t in terms):
        return "search_trigram", " AND ".join(t.fts_trigram() for t in terms)
    return "search_short", " AND ".join(t.fts_short() for t in terms)


def search(conn: sqlite3.Connection, query: str, filters: Filters | None = None, limit: int = 20,
           offset: int = 0) -> SearchResult:
    """Search the distinct wordings of all sections, newest first.

    Each hit is a dict: ``platform``, ``document`` (id), ``title``, ``section``
    (heading, else key), ``section_key``, ``snippet`` (HTML: escaped text with
    ``<mark>`` around matches), ``version`` (seq), ``version_date``,
    ``current`` (the current version still has this wording), ``url`` (our
    page: the current document, or the version that has the wording), plus
    ``doc_type``, ``locale``, ``platform_name``.

    :param conn: a connection to the KB (read-only is enough)
    :param query: terms separated by spaces (all must match), ``"a phrase"``
    :param filters: :class:`Filters`
    :param limit: hits per page (at most 200)
    :param offset: hits to skip
    """
    started = time.perf_counter()
    filters = filters or Filters()
    limit = max(1, min(int(limit), 200))
    offset = max(0, int(offset))
    terms = parse_query(query)
    result = SearchResult(query=query)
    if not terms:
        result.error = "empty query" if not (query or "").strip() else "no searchable term in the query"
        return result
    try:
        driver, expr = _plan(terms)
        meta = _meta_filter(conn, filters)
    except (sqlite3.OperationalError, TypeError):
        result.error = "the KB has no search index yet: run `policykb build`"
        return result
    result.method = "trigram" if driver == "search_trigram" else "short"
    match = f"text : ({expr})" + (f" AND meta : ({meta})" if meta else "")
    where, params = [f"{driver} match ?"], [match]
    if filters.platform:
        where.append("d.platform_id = ?")
        params.append(filters.platform)
    if filters.document:
        where.append("d.id = ?")
        params.append(filters.document)
    if filters.doc_type:
        where.append("d.doc_type = ?")
        params.append(filters.doc_type)
    if filters.locale:
        where.append("(lower(d.locale) = lower(?) or lower(d.locale) like lower(?) escape '\\')")
        params += [filters.locale, filters.locale.replace("%", "\\%").replace("_", "\\_") + "-%"]
    if filters.since:
        where.append("v.observed_at >= ?")
        params.append(filters.since)
    if filters.until:
        where.append("v.observed_at < date(?, '+1 day')")
        params.append(filters.until)
    if filters.current_only:
        where.append(CURRENT_SQL)
    sql = f"""
        select f.rowid, s.document_id, s.key, s.heading, s.text_markdown, s.version_id, v.seq, v.observed_at,
               d.platform_id, p.name as platform_name, d.title, d.doc_type, d.locale, {CURRENT_SQL} as is_current
        from {driver} f
        join sections s on s.rowid = f.rowid
        join versions v on v.id = s.version_id
        join documents d on d.id = s.document_id
        join platforms p on p.id = d.platform_id
        where {' and '.join(where)}
        order by f.rowid desc limit ? offset ?
    """
    rows = conn.execute(sql, [*params, limit + 1, offset]).fetchall()
    result.more = len(rows) > limit
    for (rowid, document_id, key, heading, text, version_id, seq, observed_at, platform, platform_name, title,
         doc_type, locale, is_current) in rows[:limit]:
        url = f"/-/policykb/doc/{document_id}" + ("" if is_current else f"/v/{seq}")
        result.hits.append({
            "platform": platform, "document": document_id, "title": title, "section": heading or key,
            "section_key": key, "snippet": snippet(text, terms), "version": seq, "version_date": observed_at,
            "current": bool(is_current), "url": f"{url}#{section_anchor(key)}", "doc_type": doc_type,
            "locale": locale, "platform_name": platform_name,
        })
    result.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return result


def section_anchor(key: str) -> str:
    """The HTML id of a section on our pages: ``s-`` + its key, white space as ``-``."""
    return "s-" + re.sub(r"\s+", "-", key or "_")


# --- snippets -----------------------------------------------------------------------

MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MD_MARKS = re.compile(r"(^|\n)\s{0,3}(#{1,6}\s+|[-*+]\s+|>\s?)|\*\*|__|`")


def plain_text(markdown: str) -> str:
    """Markdown → plain text for the index and snippets: link text kept, link targets, emphasis and heading
    marks dropped, white space collapsed."""
    text = markdown or ""
    if "](" in text:
        text = MD_LINK.sub(r"\1", text)
    if "#" in text or "*" in text or "_" in text or "`" in text or ">" in text or "- " in text or "+ " in text:
        text = MD_MARKS.sub(lambda m: m.group(1) or "", text)
    return " ".join(text.split())


def _term_pattern(term: Term) -> str:
    escaped = re.escape(term.text)
    if term.short and not CJK_CHAR.search(term.text):
        return rf"(?<!\w){escaped}(?!\w)"  # short words match whole words, as the word index does
    return escaped


def snippet(markdown: str, terms: list[Term], width: int = 160) -> str:
    """A window of the text around the first match, HTML-escaped, with ``<mark>`` around every match.

    The only markup in the result is ``<mark>``: the text itself is escaped,
    so a snippet is safe to put in a page as it is.

    :param markdown: the section text
    :param terms: the parsed query
    :param width: about how many characters to show
    """
    text = plain_text(markdown)
    patterns = [_term_pattern(t) for t in terms]
    matcher = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None
    first = matcher.search(text) if matcher else None
    start = 0
    if first:
        start = max(0, first.start() - width // 3)
        # do not cut a word of an alphabetic script in two
        if start and not CJK_CHAR.match(text[start]):
            space = text.rfind(" ", 0, start)
            start = space + 1 if space != -1 and start - space < 20 else start
    end = min(len(text), start + width)
    window = text[start:end]
    out, pos = [], 0
    for m in matcher.finditer(window) if matcher else ():
        out.append(html.escape(window[pos:m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(html.escape(window[pos:]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def normalized(text: str) -> str:
    """Text with case, width, white space and punctuation folded away (for "cosmetic only" checks)."""
    text = unicodedata.normalize("NFKC", MD_LINK.sub(r"\1", text or "")).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))
