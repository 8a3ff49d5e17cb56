"""The KB read API: plain functions over a ``sqlite3.Connection``.

Used by the Datasette plugins (through ``db.execute_fn``) and by the CLI, so a
page and a command answer from the same queries. Nothing here writes.

Change classes: ``changes.kind`` says whether a change is ``substantive``
(or cosmetic, a flip-flop, a re-extraction); feeds, counts, charts and "last
changed" count substantive changes only (:data:`SUBSTANTIVE`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from kb import timemodel
from kb.timemodel import LAST_SUCCESS_SQL
from pipeline.timeutil import STALE_FACTOR, iso
from pipeline.sqlrows import rows as _rows
from pipeline.sqlrows import version_section_texts

SUBSTANTIVE = "substantive"


def _columns(conn, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"pragma table_info([{table}])")}


def reference_time(as_of: str | None = None) -> datetime:
    """The moment "now" means on a page: the real time, or the end of the day ``as_of`` (YYYY-MM-DD)."""
    if as_of:
        day = datetime.strptime(as_of[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc)
        return day + timedelta(days=1) - timedelta(seconds=1)
    return datetime.now(timezone.utc)


_AS_OF_DOCUMENT = """
    select d.id, d.platform_id, p.name as platform_name, p.name_zh as platform_name_zh, d.title, d.title_zh,
           d.title_en, d.doc_type, d.locale, d.url,
           (select min(c.checked_at) from checks c where c.document_id = d.id and c.checked_at <= :cut) as first_seen,
           (select max(c.checked_at) from checks c where c.document_id = d.id and c.checked_at <= :cut) as last_checked,
           (select max(c.checked_at) from checks c where c.document_id = d.id and c.checked_at <= :cut
               and c.outcome != 'failed') as last_success,
           (select c.outcome from checks c where c.document_id = d.id and c.checked_at <= :cut
               order by c.checked_at desc, c.id desc limit 1) as last_outcome,
           (select c.reason from checks c where c.document_id = d.id and c.checked_at <= :cut
               order by c.checked_at desc, c.id desc limit 1) as last_reason,
           case when d.gone_since <= :cut then d.gone_since end as gone_since,
           (select count(*) from versions v where v.document_id = d.id and v.observed_at <= :cut) as versions_count,
           (select count(*) from changes c where c.document_id = d.id and c.detected_at <= :cut) as changes_count,
           (select count(*) from changes c where c.document_id = d.id and c.kind = 'substantive'
               and c.detected_at <= :cut) as substantive_count,
           (select max(c.detected_at) from changes c where c.document_id = d.id and c.kind = 'substantive'
               and c.detected_at <= :cut) as last_substantive,
           (select count(*) from checks c where c.document_id = d.id and c.checked_at <= :cut
               and c.outcome in ('failed', 'gone') and c.checked_at > coalesce((select max(s.checked_at) from checks s
               where s.document_id = d.id and s.checked_at <= :cut
               and s.outcome in ('new_version', 'unchanged', 'not_modified')), '')) as consecutive_failures
    from documents d join platforms p on p.id = d.platform_id
"""


def _state_then(row: dict) -> str:
    if not row["last_checked"]:
        return "not_tracked"
    if row["gone_since"]:
        return "gone"
    return "failing" if row["last_outcome"] == "failed" else "ok"


def documents_as_of(conn, as_of: str) -> list[dict]:
    """Every document as the KB knew it at the end of the day ``as_of`` (YYYY-MM-DD, or an ISO time): the
    checks, versions and changes recorded by then; ``state`` is ``not_tracked`` before its first check."""
    cut = as_of if "T" in as_of else as_of[:10] + "T23:59:59Z"
    out = _rows(conn, _AS_OF_DOCUMENT + " order by d.platform_id, d.id", {"cut": cut})
    for row in out:
        row["state"] = _state_then(row)
        row["last_failure_reason"] = row.pop("last_reason") if row["state"] in ("failing", "gone") else None
        row.pop("last_outcome")
        row["last_changed"] = row["last_substantive"]
    return out


def list_documents(conn, as_of: str | None = None) -> list[dict]:
    """Every document with its platform, state and counts, by platform (``as_of``: as known then)."""
    if as_of:
        return documents_as_of(conn, as_of)
    return _rows(conn, f"""
        select d.id, d.platform_id, p.name as platform_name, p.name_zh as platform_name_zh, d.title, d.title_zh,
               d.title_en, d.doc_type, d.locale, d.url, d.state, d.first_seen, d.last_checked,
               {LAST_SUCCESS_SQL} as last_success,
               d.last_failure_reason, d.gone_since, d.versions_count, d.last_changed, d.consecutive_failures,
               (select count(*) from changes c where c.document_id = d.id) as changes_count,
               (select count(*) from changes c where c.document_id = d.id and c.kind = 'substantive')
                   as substantive_count,
               (select max(c.detected_at) from changes c where c.document_id = d.id and c.kind = 'substantive')
                   as last_substantive
        from documents d join platforms p on p.id = d.platform_id
        order by d.platform_id, d.id
    """)


def list_platforms(conn) -> list[dict]:
    return _rows(conn, "select id, name, name_zh, homepage from platforms order by id")


def get_document(conn, document_id: str) -> dict | None:
    """One document with its current version, versions, changes (with kinds) and recent checks.

    :param document_id: ``platform/document``
    """
    docs = _rows(conn, f"""
        select d.*, {LAST_SUCCESS_SQL} as last_success, p.name as platform_name, p.name_zh as platform_name_zh
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
        select v.id, v.seq, v.observed_at, v.chars, v.last_updated, v.effective_date, v.content_hash,
               (select max(k.checked_at) from checks k where k.document_id = v.document_id and k.version_id = v.id)
                   as last_seen,
               c.kind as change_kind, c.chars_added, c.chars_removed
        from versions v left join changes c on c.to_version_id = v.id
        where v.document_id = ? order by v.seq desc
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
    last = _rows(conn, """
        select checked_at, outcome, status_code, reason from checks where document_id = ?
        order by checked_at desc, id desc limit 1
    """, [document_id])
    doc["last_check"] = last[0] if last else None
    return doc


def get_version(conn, document_id: str, seq: int) -> dict | None:
    """One version of a document by its number (1, 2, ...)."""
    rows = _rows(conn, "select * from versions where document_id = ? and seq = ?", [document_id, seq])
    return rows[0] if rows else None


def version_sections(conn, version: dict) -> list[dict]:
    """The sections of a version in order: ``key``, ``heading``, ``level``, ``ordinal``, ``text_markdown``,
    ``content_hash``; split from the text when the KB holds none for it."""
    rows = [{"key": r["key"], "heading": r["heading"], "level": r["level"], "ordinal": r["ordinal"],
             "text_markdown": r["text_markdown"], "content_hash": r["content_hash"]}
            for r in version_section_texts(conn, version["id"], "s.key, s.heading, s.level, s.ordinal, s.content_hash")]
    if rows or not version.get("text_markdown"):
        return rows
    from pipeline.sections import split_sections

    return [{"key": s.key, "heading": s.heading, "level": s.level, "ordinal": s.ordinal, "text_markdown": s.text,
             "content_hash": s.content_hash} for s in split_sections(version["text_markdown"])]


def section_last_changed(conn, document_id: str, upto_seq: int | None = None) -> dict[str, dict]:
    """For each section key of a version, when it last changed substantively.

    A section "changes" at a version when its text differs from the previous
    version's (or it is new there); a change whose class is not substantive
    does not count. Returns ``{key: {"date", "seq", "since_first": bool}}``,
    where ``since_first`` means unchanged since the document's first version.

    :param document_id: ``platform/document``
    :param upto_seq: the version to describe (default: the latest)
    """
    versions = _rows(conn, """
        select v.id, v.seq, v.observed_at, c.kind from versions v left join changes c on c.to_version_id = v.id
        where v.document_id = ? order by v.seq
    """, [document_id])
    if upto_seq is not None:
        versions = [v for v in versions if v["seq"] <= upto_seq]
    if not versions:
        return {}
    hashes: dict[str, dict[str, str]] = {v["id"]: {} for v in versions}
    for row in conn.execute("select version_id, key, content_hash from sections where document_id = ?",
                            [document_id]):
        if row[0] in hashes:
            hashes[row[0]][row[1]] = row[2]
    result = {}
    last = versions[-1]
    for key, current_hash in hashes[last["id"]].items():
        changed = None
        for i in range(len(versions) - 1, 0, -1):
            v, prev = versions[i], versions[i - 1]
            if hashes[prev["id"]].get(key) == hashes[v["id"]].get(key):
                continue
            if (v["kind"] or SUBSTANTIVE) == SUBSTANTIVE:
                changed = v
                break
        if changed is None:
            first = next((v for v in versions if key in hashes[v["id"]]), versions[0])
            result[key] = {"date": first["observed_at"], "seq": first["seq"], "since_first": first is versions[0]}
        else:
            result[key] = {"date": changed["observed_at"], "seq": changed["seq"], "since_first": False}
    return result


def changes_between(conn, document_id: str, from_seq: int, to_seq: int) -> list[dict]:
    """The recorded changes that lead from version ``from_seq`` to ``to_seq`` (either order), with their kinds."""
    lo, hi = sorted((from_seq, to_seq))
    return _rows(conn, """
        select c.id, c.kind, c.detected_at, c.effective_date, c.effective_date_source, t.seq as to_seq
        from changes c join versions t on t.id = c.to_version_id
        where c.document_id = ? and t.seq > ? and t.seq <= ? order by t.seq
    """, [document_id, lo, hi])


def substantive_changes(conn, platform: str | None = None, document: str | None = None, limit: int = 50,
                        kinds=(SUBSTANTIVE,), until: str | None = None, concept: str | None = None) -> list[dict]:
    """The latest changes of the given kinds (substantive by default), newest first, with their version numbers.

    :param platform: only this platform
    :param document: only this document (``platform/document``)
    :param limit: at most this many
    :param until: only changes detected by then (ISO time): what the KB knew at that moment
    :param concept: only changes that touch this glossary concept (``change_concepts.in_change``)
    """
    where, params = [f"c.kind in ({', '.join('?' * len(kinds))})"], list(kinds)
    if platform:
        where.append("d.platform_id = ?")
        params.append(platform)
    if until:
        where.append("c.detected_at <= ?")
        params.append(until)
    if document:
        where.append("c.document_id = ?")
        params.append(document)
    if concept:
        where.append("c.id in (select cc.change_id from change_concepts cc where cc.concept_id = ? and cc.in_change = 1)")
        params.append(concept)
    out = _rows(conn, f"""
        select c.id, c.document_id, d.platform_id, p.name as platform_name, d.title, d.title_zh, c.kind,
               c.detected_at, c.effective_date, c.effective_date_source, c.chars_added, c.chars_removed,
               f.seq as from_seq, t.seq as to_seq, c.to_version_id
        from changes c join documents d on d.id = c.document_id join platforms p on p.id = d.platform_id
        join versions f on f.id = c.from_version_id join versions t on t.id = c.to_version_id
        where {' and '.join(where)}
        order by c.detected_at desc, c.id desc limit ?
    """, [*params, limit])
    for row in out:  # a stated date may apply to one section only (kb.timemodel): say which
        where_stated = (timemodel.stated_in(conn, row["to_version_id"], row["effective_date"])
                        if row["effective_date_source"] == "stated" and row["effective_date"] else None)
        row["effective_section"] = (where_stated["heading"] or where_stated["section_key"]
                                    if where_stated and not where_stated["document_wide"] else None)
    return out


def upcoming_effective_dates(conn, today: str, platform: str | None = None, known_by: str | None = None) -> list[dict]:
    """Effective dates after ``today`` stated by the version current at ``known_by`` (default: the current
    version), soonest first: only dates the KB had seen by then (``first_seen``: the version's observed time).

    :param today: ``YYYY-MM-DD``
    :param known_by: ISO time: what the KB knew then (an as-of view)
    """
    where, params = ["v.effective_date > ?"], [today[:10]]
    if platform:
        where.append("d.platform_id = ?")
        params.append(platform)
    if known_by:
        where.append("v.id = (select x.id from versions x where x.document_id = d.id and x.observed_at <= ?"
                     " order by x.seq desc limit 1)")
        params.append(known_by)
        where.append("(d.gone_since is null or d.gone_since > ?)")
        params.append(known_by)
    else:
        where.append("v.id = d.current_version_id and d.state != 'gone'")
    out = _rows(conn, f"""
        select d.id as document_id, d.platform_id, d.title, d.title_zh, v.id as version_id, v.seq, v.effective_date,
               v.effective_evidence, v.observed_at, v.observed_at as first_seen, 'announced' as label
        from documents d join versions v on v.document_id = d.id
        where {' and '.join(where)}
        order by v.effective_date, d.id
    """, params)
    for row in out:  # a date stated in one section is announced for that section only (kb.timemodel)
        where_stated = timemodel.stated_in(conn, row["version_id"], row["effective_date"])
        row["effective_section"] = (where_stated["heading"] or where_stated["section_key"]
                                    if where_stated and not where_stated["document_wide"] else None)
    return out


def attention_documents(conn, now: datetime | None = None, platform: str | None = None,
                        stale_hours: float | None = None, as_of: str | None = None) -> list[dict]:
    """Documents whose latest check failed, that are gone (taken down), or stale.

    Stale is the one rule (:func:`kb.timemodel.staleness`): no successful check for twice the document's own
    check interval (``stale_hours`` overrides that age), judged against ``now`` (default: the clock; the KB's
    latest check for a demo platform). ``as_of``: as the KB knew it at the end of that day.
    """
    docs = documents_as_of(conn, as_of) if as_of else list_documents(conn)
    interval = stale_hours * 3600 / STALE_FACTOR if stale_hours else None
    out = []
    for d in docs:
        if platform and d["platform_id"] != platform or d["state"] == "not_tracked":
            continue
        judged = timemodel.staleness(conn, d, now, interval)
        if d["state"] in ("failing", "gone") or judged["stale"]:
            row = {k: d.get(k) for k in ("id", "platform_id", "title", "title_zh", "state", "last_checked",
                                         "last_success", "last_failure_reason", "consecutive_failures", "gone_since")}
            row["problem"] = d["state"] if d["state"] in ("failing", "gone") else "stale"
            row["stale_after_hours"] = round(judged["stale_after_s"] / 3600, 1)
            out.append(row)
    return out


def changes_per_month(conn, platform: str | None = None, kinds=(SUBSTANTIVE,), until: str | None = None) -> list[dict]:
    """Counts of changes (substantive by default) per platform per month: ``platform_id``, ``month``, ``n``
    (``until``: detected by then)."""
    where, params = [f"c.kind in ({', '.join('?' * len(kinds))})"], list(kinds)
    if platform:
        where.append("d.platform_id = ?")
        params.append(platform)
    if until:
        where.append("c.detected_at <= ?")
        params.append(until)
    return _rows(conn, f"""
        select d.platform_id, substr(c.detected_at, 1, 7) as month, count(*) as n
        from changes c join documents d on d.id = c.document_id
        where {' and '.join(where)} group by 1, 2 order by 1, 2
    """, params)


def platform_overview(conn, now: datetime | None = None, platform: str | None = None, recent: int = 5,
                      stale_hours: float | None = None, as_of: str | None = None) -> list[dict]:
    """Per platform: documents tracked (by state), recent substantive changes, upcoming effective dates,
    documents needing attention (failing, gone or stale).

    :param now: the moment to judge staleness against (default: the clock, see :func:`kb.timemodel.clock`)
    :param platform: only this platform
    :param recent: how many recent changes per platform
    :param as_of: ``YYYY-MM-DD``: only what the KB knew at the end of that day (changes detected by then,
        the state from the checks made by then, upcoming dates first seen by then)
    """
    cut = as_of[:10] + "T23:59:59Z" if as_of else None
    if as_of and now is None:
        now = reference_time(as_of)
    platforms = _rows(conn, "select id, name, name_zh, homepage from platforms"
                      + (" where id = ?" if platform else "") + " order by id", [platform] if platform else [])
    states = {}
    for d in (documents_as_of(conn, as_of) if as_of else list_documents(conn)):
        states.setdefault(d["platform_id"], {}).setdefault(d["state"], 0)
        states[d["platform_id"]][d["state"]] += 1
    today = iso(now)[:10] if now else iso(datetime.now(timezone.utc))[:10]
    upcoming = upcoming_effective_dates(conn, today, platform, known_by=cut)
    attention = attention_documents(conn, now, platform, stale_hours, as_of)
    for p in platforms:
        p["states"] = states.get(p["id"], {})
        p["documents"] = sum(n for s, n in p["states"].items() if s != "not_tracked")
        p["recent_changes"] = substantive_changes(conn, platform=p["id"], limit=recent, until=cut)
        p["upcoming"] = [u for u in upcoming if u["platform_id"] == p["id"]]
        p["attention"] = [a for a in attention if a["platform_id"] == p["id"]]
    return platforms


def latest_check(conn, as_of: str | None = None) -> str | None:
    """The time of the latest check in the KB (made by the end of the day ``as_of``)."""
    if as_of:
        return conn.execute("select max(checked_at) from checks where checked_at <= ?",
                            [as_of[:10] + "T23:59:59Z"]).fetchone()[0]
    return conn.execute("select max(checked_at) from checks").fetchone()[0]


def section_redlines(conn, change_ids, limit: int = 400) -> dict[str, list[tuple[int, str]]]:
    """``change_sections.id → short redline`` for each section a change touched substantively: the section's
    text in the earlier version (under its old key, when the change renamed or renumbered it; none for an
    added section) against its text in the later one (none for a removed section), as a reader sees it (no
    Markdown marks, :func:`pipeline.text.plain_text`), diffed for display (:func:`pipeline.diff.text_excerpt`:
    Chinese by words, context cut at word boundaries). The feeds and the brief show the same redline."""
    from pipeline.diff import text_excerpt
    from pipeline.text import plain_text

    if not change_ids:
        return {}
    marks = ", ".join("?" * len(change_ids))
    out = {}
    for r in _rows(conn, f"""
            select cs.id,
                   case when cs.status = 'added' then null else
                       (select s.text_markdown from sections s where s.version_id = c.from_version_id
                           and s.key = coalesce(cs.old_key, cs.key)) end as old,
                   case when cs.status = 'removed' then null else
                       (select s.text_markdown from sections s where s.version_id = c.to_version_id
                           and s.key = cs.key) end as new
            from change_sections cs join changes c on c.id = cs.change_id
            where cs.change_id in ({marks}) and (cs.kind is null or cs.kind = 'substantive')""", list(change_ids)):
        out[r["id"]] = text_excerpt(plain_text(r["old"] or "", collapse_space=True),
                                    plain_text(r["new"] or "", collapse_space=True), limit)
    return out
