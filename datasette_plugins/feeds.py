"""Atom feeds (RFC 4287) of what happened to the tracked documents, built with feedgen.

One entry per event, newest first: a **substantive change** (the sections it touched, a short redline, the
effective date labelled *stated*, *announced* (stated, and later than the change) or *detected*), a **new
document** (its first version), a **gone document** (the page answers 404/410) and a **removed document**
(its declaration no longer lists it: ``undeclared_documents``). Titles are English and
Chinese.

What makes them good feeds:

* ``atom:author`` on the feed (``feed_author`` in the plugin config, default "policykb");
* ids that are this deployment's own: the permalinks of the entries' pages under the deployment's public URL
  (``public_url`` in the plugin config: ``plugins: policykb: public_url: https://kb.example.org``), so two
  deployments never mint the same id. Without it, the URL the request came to is used (set it: ids must not
  change when the server is reached under another name);
* ``updated`` is the newest entry's time, so it moves only when an event is added (an empty feed says
  1970-01-01, never the time of the last crawl);
* ``ETag`` (of the bytes) and ``Last-Modified`` (``updated``), and a conditional GET that matches gets 304.

Our own routes rather than a datasette-atom canned query: a feed for one document is often empty, and
datasette-atom 0.9 fails on an empty result (``max()`` of no rows); it also cannot make the absolute links
to our pages that feed readers need. feedgen writes and escapes the XML; every text from the KB (which comes
from scraped pages) is escaped before it goes into an entry's HTML.
"""

from __future__ import annotations

import email.utils
import hashlib
import sqlite3
from html import escape

from feedgen.feed import FeedGenerator

from pipeline.timeutil import parse_when
from kb.labels import LABELS, bilingual, quantity
from kb.read import section_redlines

#: An empty feed's ``updated``: a fixed time, so that it does not move while nothing happens.
EPOCH = "1970-01-01T00:00:00Z"
#: At most this many entries per feed.
LIMIT = 50
#: How long a short redline may get (characters of changed text shown per change).
REDLINE_CHARS = 400


def diff_path(change: dict) -> str:
    return f"/-/policykb/diff/{change['document_id']}/{change['from_seq']}..{change['to_seq']}"


def short_redline(ops) -> str:
    """HTML of a short redline (``[(op, text)]``, :func:`kb.read.section_redlines`) as ``<del>``/``<ins>``."""
    return "".join(escape(text) if op == 0 else f"<{'ins' if op > 0 else 'del'}>{escape(text)}</{'ins' if op > 0 else 'del'}>"
                   for op, text in ops).strip(" ¶")


def _bilingual(row: dict, en: str, zh: str) -> str:
    return row[en] + (f" · {row[zh]}" if row.get(zh) and row[zh] != row[en] else "")


def _scope(alias: str, platform: str | None, document: str | None) -> tuple[str, list]:
    if document:
        return f"{alias}.id = ?", [document]
    if platform:
        return f"{alias}.platform_id = ?", [platform]
    return "1 = 1", []


def feed_events(conn, platform: str | None = None, document: str | None = None, limit: int = LIMIT,
                concept: str | None = None) -> list[dict]:
    """The feed's events in scope, newest first: ``{"kind": "change"|"new"|"gone"|"removed", "at": ISO, ...}``.

    :param concept: only the substantive changes that touch this glossary concept (``change_concepts``)
    """
    from kb import read
    from pipeline.sqlrows import rows

    events = [{**c, "class": c["kind"], "kind": "change", "at": c["detected_at"]}
              for c in read.substantive_changes(conn, platform=platform, document=document, limit=limit,
                                                concept=concept)]
    if concept:
        return events
    where, params = _scope("d", platform, document)
    names = ("d.id as document_id, d.title, d.title_zh, d.url, p.name as platform_name, "
             "p.name_zh as platform_name_zh")
    events += [{**row, "kind": "new", "at": row["observed_at"]} for row in rows(conn, f"""
            select {names}, v.observed_at, v.effective_date, 'stated' as effective_date_source, v.seq,
                   (select count(*) from sections s where s.version_id = v.id) as sections
            from versions v join documents d on d.id = v.document_id join platforms p on p.id = d.platform_id
            where v.seq = 1 and {where} order by v.observed_at desc limit ?""", [*params, limit])]
    events += [{**row, "kind": "gone", "at": row["gone_since"]} for row in rows(conn, f"""
            select {names}, d.gone_since, d.last_failure_reason
            from documents d join platforms p on p.id = d.platform_id
            where d.state = 'gone' and d.gone_since is not null and {where}
            order by d.gone_since desc limit ?""", [*params, limit])]
    try:
        events += [{**row, "kind": "removed", "at": row["undeclared_at"]} for row in rows(conn, f"""
                select {names}, u.undeclared_at from undeclared_documents u
                join documents d on d.id = u.document_id join platforms p on p.id = d.platform_id
                where {where} order by u.undeclared_at desc limit ?""", [*params, limit])]
    except sqlite3.OperationalError:  # a KB from before the table (opened read-only, not migrated)
        pass
    zh = dict(tuple(r) for r in conn.execute("select name, name_zh from platforms"))
    for event in events:
        event.setdefault("platform_name_zh", zh.get(event["platform_name"]))
    events.sort(key=lambda e: (e["at"] or "", e["kind"]), reverse=True)
    return events[:limit]


def _entry_title(event: dict) -> str:
    # Chinese first (跨境通 · Kuajingtong): the readers are Chinese sellers' consultants first
    platform = _bilingual({"a": event.get("platform_name_zh") or event["platform_name"], "b": event["platform_name"]},
                          "a", "b")
    name = _bilingual(event, "title", "title_zh")
    if event["kind"] == "change":
        return f"[{platform}] {name}: changed 变更 #{event['from_seq']} → #{event['to_seq']}"
    if event["kind"] == "new":
        return f"[{platform}] {name}: new document 新文档"
    if event["kind"] == "removed":
        return f"[{platform}] {name}: no longer tracked 已停止跟踪"
    return f"[{platform}] {name}: page gone 页面已删除"


def _entry_path(event: dict) -> str:
    if event["kind"] == "change":
        return diff_path(event)
    if event["kind"] == "new":
        return f"/-/policykb/doc/{event['document_id']}/v/1"
    return f"/-/policykb/doc/{event['document_id']}"


def _entry_id(event: dict, ident) -> str:
    if event["kind"] == "gone":  # a page can go, come back and go again: one entry per time it went
        return ident(f"/-/policykb/doc/{event['document_id']}") + f"#gone-{event['gone_since']}"
    if event["kind"] == "removed":
        return ident(f"/-/policykb/doc/{event['document_id']}") + f"#removed-{event['undeclared_at']}"
    return ident(_entry_path(event))


def _effective_html(event: dict) -> str:
    """The effective date, labelled as the time model labels it (:data:`kb.timemodel.DATE_LABELS`): stated,
    announced, or (a detection date is never called effective) none stated, with when it was detected."""
    from kb.timemodel import DATE_LABELS, effective_label

    label = effective_label(event.get("effective_date"), event.get("effective_date_source"),
                            event.get("detected_at") or event.get("observed_at"))
    if not label:
        return ""
    if label == "detected":
        return ("<p>No effective date stated 页面未注明生效日期 · "
                f"{' '.join(DATE_LABELS['detected'])}: {escape(event['effective_date'][:10])}</p>")
    only = (f" — for “{escape(event['effective_section'])}” only 仅适用于该条款; each section's own date is on the"
            " redline 各条款的生效日期见对比页") if event.get("effective_section") else ""
    return f"<p>{escape(' '.join(DATE_LABELS[label]))}: {escape(event['effective_date'])}{only}</p>"


def _entry_content(event: dict, sections: list[dict], absolute) -> str:
    link = f'<p><a href="{escape(absolute(_entry_path(event)))}">'
    if event["kind"] == "removed":
        return (f"<p>Taken out of its platform's declaration; no longer checked since "
                f"{escape(event['undeclared_at'][:10])}. Its versions stay on record. "
                f"自 {escape(event['undeclared_at'][:10])} 起不再跟踪，历史版本仍保留。</p>" + link + "Document 文档</a></p>")
    if event["kind"] == "gone":
        reason = event.get("last_failure_reason") or "HTTP 404"
        return (f"<p>The page answers {escape(reason)} since {escape(event['gone_since'][:10])}; its last version "
                f"stays on record. 页面自 {escape(event['gone_since'][:10])} 起无法访问，最后版本仍保留。</p>"
                + link + "Document 文档</a></p>")
    if event["kind"] == "new":
        return (f"<p>First version observed {escape(event['observed_at'][:10])} 首次收录, "
                f"{int(event.get('sections') or 0)} sections 节.</p>" + _effective_html(event)
                + link + "Read 阅读</a></p>")
    items = []
    for s in sections:
        if s.get("status") == "value":  # a changed deadline or threshold: listed first (change_sections)
            items.append(f"<li><b>{escape(s['key'])}</b> (value changed 数值变更): {escape(s['old'])} → "
                         f"{escape(s['new'])}</li>")
            continue
        heading = escape(s.get("heading") or s.get("key") or "")
        key = {"modified": "changed"}.get(s.get("status"), s.get("status") or "")
        status = bilingual(key, "en") if key in LABELS else escape(key)
        redline = short_redline(s.get("redline") or []) if s.get("status") == "modified" else ""
        items.append(f"<li><b>{heading}</b> ({status})" + (f"<br/>{redline}" if redline else "") + "</li>")
    listed = f"<ul>{''.join(items)}</ul>" if items else ""
    return (f"<p>Substantive change detected {escape(event['detected_at'][:10])} 检测到实质性变更 · "
            f"+{int(event.get('chars_added') or 0)} / −{int(event.get('chars_removed') or 0)} characters 字符; "
            f"sections 涉及条款:</p>{listed}" + _effective_html(event) + link + "Full redline 完整对比</a></p>")


def change_sections(conn, change_ids) -> dict[str, list[dict]]:
    """What each change did, in order: first the deadlines and thresholds it changed (``status`` ``value``:
    ``key``, ``old``, ``new``), then the sections it touched (substantively): heading, key, status, redline (:func:`kb.read.section_redlines`)."""
    out: dict[str, list[dict]] = {}
    if not change_ids:
        return out
    marks = ", ".join("?" * len(change_ids))
    try:
        for row in conn.execute(f"""select change_id, section_key, old_value, old_unit, new_value, new_unit,
                                           old_window, new_window from rule_value_changes
                                    where change_id in ({marks}) order by change_id, section_key, ordinal""", list(change_ids)):
            old, new = quantity(row[2], row[3], "en"), quantity(row[4], row[5], "en")
            if row[6] != row[7]:
                old, new = f"{old} ({row[6] or '-'})", f"{new} ({row[7] or '-'})"
            out.setdefault(row[0], []).append({"key": row[1], "status": "value", "old": old, "new": new})
    except sqlite3.OperationalError:  # a KB from before the rule values (opened read-only, not migrated)
        pass
    redlines = section_redlines(conn, list(change_ids), REDLINE_CHARS)
    for row in conn.execute(f"""select change_id, key, heading, status, id from change_sections
                                where change_id in ({marks}) and (kind is null or kind = 'substantive')
                                order by rowid""", list(change_ids)):
        out.setdefault(row[0], []).append({"key": row[1], "heading": row[2], "status": row[3],
                                           "redline": redlines.get(row[4], [])})
    return out


def atom_feed(events: list[dict], sections: dict, absolute, ident, self_path: str, title: str,
              author: dict | None = None) -> tuple[bytes, str]:
    """An Atom document with one entry per event; returns ``(bytes, updated)``.

    :param events: from :func:`feed_events`
    :param sections: from :func:`change_sections`
    :param absolute: ``absolute(path) -> URL``: links (feed readers need absolute links)
    :param ident: ``ident(path) -> IRI``: ids, under the deployment's public URL
    :param self_path: the feed's own path (its id and ``rel="self"`` link)
    :param title: the feed title
    :param author: ``{"name": ..., "uri"/"email": ...}`` (default: policykb at the public URL)
    """
    fg = _generator(absolute, ident, self_path, title, author)
    updated = max((e["at"] for e in events if e["at"]), default=None) or EPOCH
    fg.updated(updated)
    for event in reversed(events):  # feedgen prepends: add oldest first so the newest comes first
        entry = fg.add_entry()
        entry.id(_entry_id(event, ident))
        entry.title(_entry_title(event))
        entry.link(href=absolute(_entry_path(event)), rel="alternate", type="text/html")
        entry.updated(event["at"])
        entry.published(event["at"])
        entry.content(_entry_content(event, sections.get(event.get("id"), []) if event["kind"] == "change" else [],
                                     absolute), type="html")
    return fg.atom_str(pretty=True), updated


def _generator(absolute, ident, self_path: str, title: str, author: dict | None) -> FeedGenerator:
    """A feed's head: id, title, author, self and alternate links, generator (every feed of ours has them)."""
    fg = FeedGenerator()
    fg.id(ident(self_path))
    fg.title(title)
    fg.subtitle(title)
    fg.author(author or {"name": "policykb", "uri": ident("/-/policykb")})
    fg.link(href=absolute(self_path), rel="self", type="application/atom+xml")
    fg.link(href=absolute("/-/policykb"), rel="alternate", type="text/html")
    fg.generator("policykb")
    return fg


def briefs_atom(briefs: list[dict], lang: str, absolute, ident, self_path: str, title: str,
                author: dict | None = None) -> tuple[bytes, str]:
    """An Atom document of weekly briefs (:func:`kb.brief.brief` of each week, newest first): one entry per
    week, its content the brief's sanitized HTML (:func:`kb.brief.html_fragment`), its id the brief page of that
    week, ``updated`` the week's latest change (so an entry moves only when its week gains one)."""
    from urllib.parse import urlencode

    from kb.brief import html_fragment
    from kb.labels import label

    fg = _generator(absolute, ident, self_path, title, author)
    updated = max((b["latest"] for b in briefs if b["latest"]), default=None) or EPOCH
    fg.updated(updated)
    for b in reversed(briefs):  # feedgen prepends: oldest first
        path = "/-/policykb/brief?" + urlencode({"since": b["since"], "until": b["until"], "hl": lang})
        entry = fg.add_entry()
        entry.id(ident(path))
        entry.title(f"{label('brief_title', lang)} {b['since']} – {b['until']}")
        entry.link(href=absolute(path), rel="alternate", type="text/html")
        entry.updated(b["latest"] or EPOCH)
        entry.content(html_fragment(b, lang), type="html")
    return fg.atom_str(pretty=True), updated


def validators(body: bytes, updated: str) -> dict:
    """``ETag`` (of the bytes) and ``Last-Modified`` (the feed's ``updated``) response headers."""
    return {"ETag": '"' + hashlib.sha1(body).hexdigest() + '"',
            "Last-Modified": email.utils.format_datetime(parse_when(updated), usegmt=True)}
