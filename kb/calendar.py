"""Effective dates as an iCalendar (RFC 5545) a consultant subscribes to once, written with ``icalendar``.

One all-day event per document and effective date that a version of it stated (``dated_statements``) and that
is either **announced** (later than the day the KB first saw the version stating it: ``kb.timemodel``'s
``announced``) or a **recent** stated effective date (within :data:`RECENT_DAYS` before today by the time
model's clock). Each event names the document (both titles where both exist), the sections the date applies
to (the statement's section and those it encloses; the whole document when it stands outside every section),
the sentence that states it, the permalink of the latest version stating it and the page's own URL.

Only the current version's dates stand (a gone page's last version): a date an earlier version announced that
the current one no longer states, and that had not come when the page stopped stating it (postponed,
withdrawn), stays as ``STATUS:CANCELLED`` with the same UID, so a subscriber's calendar drops it; a date that
came while the page stated it took effect and stays as it was.

Events are stable: the UID is ``urn:policykb:effective:<document id>:<date>`` (one event per document and
date, whichever version states it); ``SEQUENCE`` counts the times the page stopped or started stating the date
again and ``DTSTAMP`` is the last of them (else when the KB first saw the date stated), so the same KB gives
the same bytes and a calendar client updates rather than duplicates an event.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone

from kb import timemodel
from kb.cite.citation import permalink
from kb.cite.dates import day_text as _day
from kb.labels import document_title, label, platform_name
from pipeline.sqlrows import rows as _rows
from pipeline.timeutil import iso, parse_when

#: A stated (not announced) effective date is in the calendar this many days after it passed.
RECENT_DAYS = 90
PRODID = "-//policykb//effective dates//EN"


def _statements(conn, platforms) -> list[dict]:
    where, params = ["ds.kind = 'effective'", "ds.date is not null"], []
    if platforms:
        where.append(f"d.platform_id in ({', '.join('?' * len(platforms))})")
        params += list(platforms)
    return _rows(conn, f"""
        select ds.document_id, ds.date, ds.section_key, ds.evidence, ds.version_id, v.seq, v.observed_at,
               s.heading, s.level, s.ordinal, d.title, d.title_zh, d.url, d.platform_id,
               p.name as platform_name, p.name_zh as platform_name_zh
        from dated_statements ds join versions v on v.id = ds.version_id
        join documents d on d.id = ds.document_id join platforms p on p.id = d.platform_id
        left join sections s on s.version_id = ds.version_id and s.key = ds.section_key
        where {' and '.join(where)} order by ds.document_id, ds.date, v.seq, ds.line""", params)


def _versions(conn, platforms) -> dict[str, list[dict]]:
    """Each document's versions in order, up to its current one (a gone page's is its last)."""
    where, params = "", []
    if platforms:
        where = f" where d.platform_id in ({', '.join('?' * len(platforms))})"
        params = list(platforms)
    out: dict[str, list[dict]] = {}
    for v in _rows(conn, f"""select v.document_id, v.id, v.seq, v.observed_at, d.current_version_id
                             from versions v join documents d on d.id = v.document_id{where}
                             order by v.document_id, v.seq""", params):
        out.setdefault(v["document_id"], []).append(v)
    current = {doc: next((v["seq"] for v in vs if v["id"] == v["current_version_id"]), vs[-1]["seq"])
               for doc, vs in out.items()}
    return {doc: [v for v in vs if v["seq"] <= current[doc]] for doc, vs in out.items()}


def _status(event: dict, versions: list[dict], stating: set[int], base_url: str) -> None:
    """Confirmed, or cancelled: the current version no longer states the date, and it had not come when the
    page stopped stating it (postponed or withdrawn; a date that came while stated took effect and stays).
    ``sequence`` counts the times the page stopped or started stating it again, ``stamp`` is the last of them."""
    flips = [v for prev, v in zip(versions, versions[1:])
             if (prev["seq"] in stating) != (v["seq"] in stating) and prev["seq"] >= min(stating)]
    dropped = flips[-1] if flips and flips[-1]["seq"] not in stating else None
    cancelled = dropped is not None and event["date"] > dropped["observed_at"][:10]
    event.update(status="cancelled" if cancelled else "confirmed", sequence=len(flips),
                 stamp=flips[-1]["observed_at"] if flips else event["first_seen"],
                 dropped_on=dropped["observed_at"] if cancelled else None,
                 dropped_permalink=permalink(event["document_id"], dropped["seq"], base_url) if cancelled else None)


def effective_events(conn, platforms=(), today: str | None = None, base_url: str = "") -> list[dict]:
    """The calendar's events, soonest first: ``{"uid", "document_id", "date", "label" (announced or
    stated_effective), "status" (``confirmed``, or ``cancelled``: an announced date the current version no
    longer states), "sequence", "stamp", "first_seen", "sections": [{key, heading}] (empty: the whole
    document), "evidence", "permalink", "url", titles and platform names}``."""
    today = today or iso(timemodel.clock(conn, platforms[0] if len(platforms) == 1 else _any_demo(conn)))[:10]
    recent = (date.fromisoformat(today) - timedelta(days=RECENT_DAYS)).isoformat()
    versions = _versions(conn, platforms)
    events: dict[tuple[str, str], dict] = {}
    stating: dict[tuple[str, str], set[int]] = {}
    for st in _statements(conn, platforms):
        key = (st["document_id"], st["date"])
        if st["seq"] > versions[st["document_id"]][-1]["seq"]:
            continue  # stated after the current version (not the page's text now)
        stating.setdefault(key, set()).add(st["seq"])
        event = events.get(key)
        if event is None:  # the first version that stated it: announced or not, and since when known
            event = events[key] = {
                "uid": f"urn:policykb:effective:{st['document_id']}:{st['date']}", "document_id": st["document_id"],
                "date": st["date"], "first_seen": st["observed_at"],
                "label": timemodel.effective_label(st["date"], "stated", st["observed_at"]),
                "title": st["title"], "title_zh": st["title_zh"], "url": st["url"], "platform_id": st["platform_id"],
                "platform_name": st["platform_name"], "platform_name_zh": st["platform_name_zh"], "seq": None}
        if event["seq"] != st["seq"]:  # a later version states it too: its sections and permalink
            event.update(seq=st["seq"], sections=[], evidence=st["evidence"],
                         permalink=permalink(st["document_id"], st["seq"], base_url))
        home = {"key": st["section_key"], "heading": st["heading"], "level": st["level"], "ordinal": st["ordinal"]}
        if st["section_key"] and st["heading"] is not None and not timemodel.is_document_wide(home):
            event["sections"].append({"key": st["section_key"], "heading": st["heading"]})
    for key, event in events.items():
        _status(event, versions[key[0]], stating[key], base_url)
    chosen = [e for e in events.values() if e["label"] == "announced" or e["date"] >= recent]
    return sorted(chosen, key=lambda e: (e["date"], e["document_id"]))


def _any_demo(conn) -> str | None:
    """A platform to read the clock for: a demo one when every platform is a demo (its clock is the KB's)."""
    demo = [r[0] for r in conn.execute("select id, demo from platforms") if r[1]]
    total = conn.execute("select count(*) from platforms").fetchone()[0]
    return demo[0] if demo and len(demo) == total else None


def _summary(e: dict, lang: str) -> str:
    return (f"[{platform_name(e, lang, 'platform_name', 'platform_name_zh')}] {document_title(e, lang, both=False)}"
            f"{'：' if lang == 'zh' else ': '}{label(_category(e), lang)}")


def _category(e: dict) -> str:
    return "cal_cancelled" if e.get("status") == "cancelled" else "cal_" + e["label"]


def _description(e: dict, lang: str) -> str:
    colon = "：" if lang == "zh" else ": "
    where = ("、" if lang == "zh" else "; ").join(
        s["heading"] if s["key"] in s["heading"] else f"{s['heading']} ({s['key']})" for s in e["sections"])
    lines = [f"{label('cal_document', lang)}{colon}{document_title(e, lang)}",
             f"{label('cal_applies', lang)}{colon}{where or label('cal_whole_document', lang)}",
             f"{timemodel.DATE_LABELS[e['label']][lang == 'zh']}{colon}{_day(e['date'], lang)}",
             f"{label('cal_first_seen', lang)}{colon}{_day(e['first_seen'], lang)}"]
    if e.get("evidence"):
        lines.append(f"{label('cal_evidence', lang)}{colon}“{e['evidence']}”")
    if e.get("dropped_on"):
        lines.append(f"{label('cal_dropped', lang)}{colon}{_day(e['dropped_on'], lang)} ({e['dropped_permalink']})")
    lines += [f"{label('brief_version', lang, n=e['seq'])}{colon}{e['permalink']}",
              f"{label('brief_original', lang)}{colon}{e['url']}"]
    return "\n".join(lines)


def ics(events: list[dict], lang: str = "zh") -> bytes:
    """The events as an iCalendar (all-day events; text as given, escaped by ``icalendar``)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", label("cal_name", lang))
    for e in events:
        day = date.fromisoformat(e["date"])
        event = Event()
        event.add("uid", e["uid"])
        event.add("dtstamp", parse_when(e["stamp"]).astimezone(timezone.utc))
        event.add("sequence", e["sequence"])
        event.add("status", "CANCELLED" if e["status"] == "cancelled" else "CONFIRMED")
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", _summary(e, lang))
        event.add("description", _description(e, lang))
        event.add("url", e["permalink"])
        event.add("categories", [label(_category(e), lang)])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()

