"""The search query itself: filters, the FTS plan, and the SQL that returns the hits, newest first."""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass, field

from kb.search.meta import CURRENT_TOKEN, _tag
from kb.search.parse import Term, parse_query
from kb.search.snippets import snippet


@dataclass
class Filters:
    """What a search may be narrowed to; every field is optional.

    ``since``/``until`` (``YYYY-MM-DD``) bound the version date of the hit (when
    its wording was first seen); with ``until`` the search shows what the KB knew at the end of that
    day: ``current`` (and ``current_only``) mean current then, not today.
    ``locale`` matches a prefix (``zh`` → ``zh-CN``).
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
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _current_sql(filters: Filters) -> str:
    """"The hit's wording is current": in the document's current version; with ``until``, in the version that
    was current at the end of that day (what the KB knew then), on a page not taken down by then."""
    if not (filters.until and _DAY_RE.match(filters.until)):
        return CURRENT_SQL
    then = (f"(select x.id from versions x where x.document_id = s.document_id and x.observed_at < "
            f"date('{filters.until}', '+1 day') order by x.seq desc limit 1)")
    return (f"((d.gone_since is null or d.gone_since >= date('{filters.until}', '+1 day')) and "
            + CURRENT_SQL.replace("d.current_version_id", then) + ")")


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
    if filters.current_only and not filters.until:  # the index knows what is current today, not then
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


def _sql_filters(filters: Filters) -> tuple[list[str], list]:
    """The filters as SQL conditions on ``d`` (documents), ``v`` (versions), ``s`` (sections), and their
    parameters."""
    where, params = [], []
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
        where.append(_current_sql(filters))
    return where, params


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
    where, params = _sql_filters(filters)
    where, params = [f"{driver} match ?", *where], [match, *params]
    sql = f"""
        select f.rowid, s.document_id, s.key, s.heading, s.text_markdown, s.version_id, v.seq, v.observed_at,
               d.platform_id, p.name as platform_name, d.title, d.doc_type, d.locale, {_current_sql(filters)}
               as is_current
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
    result.hits = [_hit(row, terms, as_of=bool(filters.until)) for row in rows[:limit]]
    result.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return result


def _hit(row, terms: list[Term], as_of: bool = False) -> dict:
    """One hit of :func:`search` from a row of its SQL (``as_of``: a search ``until`` a date links each hit
    to its version, since "current then" need not be current today)."""
    (rowid, document_id, key, heading, text, version_id, seq, observed_at, platform, platform_name, title,
     doc_type, locale, is_current) = row
    url = f"/-/policykb/doc/{document_id}" + ("" if is_current and not as_of else f"/v/{seq}")
    return {
        "platform": platform, "document": document_id, "title": title, "section": heading or key,
        "section_key": key, "snippet": snippet(text, terms), "version": seq, "version_date": observed_at,
        "current": bool(is_current), "url": f"{url}#{section_anchor(key)}", "doc_type": doc_type,
        "locale": locale, "platform_name": platform_name,
    }


def section_anchor(key: str) -> str:
    """The HTML id of a section on our pages: ``s-`` + its key, white space as ``-``."""
    return "s-" + re.sub(r"\s+", "-", key or "_")
