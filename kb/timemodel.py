"""The time model: what each date in the KB is, which one applies to a section, and what was known when.

Every date the KB shows is one of these (:data:`DATE_LABELS`), and every page, feed,
citation and JSON field says which:

==========================  ==================================================================
``first_seen``              when the KB first observed a version (``versions.observed_at``)
``last_seen``               the latest check that still found that version
``last_success``            the latest check that got a definite answer from the site (the page,
                            or a 404/410 saying it is gone); a failed or held check is not one
``stated_last_updated``     a "last updated" date the page states about itself
``stated_effective``        an effective date the page states, on or before the day it was seen
``announced``               an effective date the page states that was in the future when seen
``detected``                when the KB saw a change (a substitute, never an effective date)
``gone_since``              when a check first found the page taken down (已下线)
==========================  ==================================================================

**Effective dates per section.** A dated statement applies to the section it stands in, to
that section's sub-sections, and, when it stands outside any section (the text before the
first heading, or the title heading above every section), to the whole document. It never
applies to a sibling: "Starting August 1, 2026 ..." in §3.4 says nothing about §3.2.
The nearest statement wins (own section, then parent, ..., then document).
:func:`section_time` gives a section's effective date in a version and its *wording since*:
the first version with its current wording (unchanged by any substantive change since) and the
effective date that applied then.

**As of.** :func:`known_by` cuts what the KB knew at a moment: versions first seen by then,
checks made by then. Before a document's first check it is ``not_tracked``; after its last
check the KB cannot say (``not_checked``, "not checked since ...").

**In force** (``in_force``) is separate from "on the page": ``yes`` (on the page and its stated
effective date has passed, or none is stated), ``announced`` (on the page, effective later),
``no`` (not on the page then), ``unknown`` (the KB did not check the page then).
"""

from __future__ import annotations

import os
import re

from pipeline import timeutil
from pipeline.sqlrows import rows as _rows

DATE_LABELS = {
    "first_seen": ("first seen", "首次发现"),
    "last_seen": ("last seen", "最后一次见到"),
    "last_success": ("last successful check", "最近一次成功核实"),
    "stated_last_updated": ("stated last updated", "页面注明更新日期"),
    "stated_effective": ("stated effective", "页面注明生效"),
    "announced": ("announced effective", "已公告、尚未生效"),
    "detected": ("change detected (not a stated date)", "检测到变更（非页面注明日期）"),
    "gone_since": ("taken down since", "已下线自"),
}

IN_FORCE = ("yes", "no", "announced", "unknown")

#: The last successful check of document ``d`` (SQL): the latest check that got a definite answer from the
#: site, a 404/410 "gone" included. ``documents.last_success`` keeps the last check that found the page.
LAST_SUCCESS_SQL = ("(select max(lsc.checked_at) from checks lsc where lsc.document_id = d.id"
                    " and lsc.outcome != 'failed')")


def last_success(conn, document_id: str) -> str | None:
    """The document's last successful check (:data:`LAST_SUCCESS_SQL`), the one date every page, command
    and citation shows as such."""
    return conn.execute(f"select {LAST_SUCCESS_SQL} from (select ? as id) d", [document_id]).fetchone()[0]


_LOCAL_SUFFIX_RE = re.compile(r"^(.+?)(?:\.\d+|\([^()]+\))$")

def is_document_wide(section: dict | None) -> bool:
    """A statement standing here applies to the whole document: outside any section, in the text before the
    first heading, or in the title heading (the first section, at level 1, above all others)."""
    if section is None:
        return True
    return section["key"] == "_preamble" or (section.get("ordinal") == 0 and section.get("level") == 1)


def ancestors(sections: list[dict], key: str) -> list[str]:
    """The keys of the sections that enclose ``key``, nearest first (by the key's own numbering, ``3.2`` in
    ``3``, ``第4条(1)`` in ``第4条``, else by heading level: the nearest earlier section of a lower level)."""
    by_key = {s["key"]: s for s in sections}
    out, current = [], by_key.get(key)
    seen = {key}
    while current is not None:
        parent = None
        m = _LOCAL_SUFFIX_RE.match(current["key"].split("~")[0])
        if m and m.group(1) in by_key and m.group(1) not in seen:
            parent = by_key[m.group(1)]
        else:
            for s in sections:
                if s["ordinal"] >= current["ordinal"]:
                    break
                if (s.get("level") or 9) < (current.get("level") or 9) and s["key"] not in seen:
                    parent = s
        if parent is None:
            break
        out.append(parent["key"])
        seen.add(parent["key"])
        current = parent
    return out


def _sections(conn, version_id: str) -> list[dict]:
    return _rows(conn, "select key, heading, level, ordinal, changed_version_id from sections where version_id = ?"
                       " order by ordinal", [version_id])


def applicable_statements(conn, version: dict, key: str | None, kind: str = "effective",
                          sections: list[dict] | None = None) -> list[dict]:
    """The dated statements of ``kind`` in a version that apply to section ``key`` (None: the document as a
    whole), each with its ``scope`` (``section``, ``parent``, ``document``), nearest scope first, newest first."""
    sections = _sections(conn, version["id"]) if sections is None else sections
    by_key = {s["key"]: s for s in sections}
    chain = ancestors(sections, key) if key in by_key else []
    rank = {"section": 0, "parent": 1, "document": 2}
    out: list[dict] = []
    for st in _rows(conn, "select kind, date, evidence, line, section_key, announced from dated_statements"
                          " where version_id = ? and kind = ?", [version["id"], kind]):
        sk = st["section_key"]
        home = by_key.get(sk)
        if sk is None or sk == "_preamble" or (home is not None and is_document_wide(home)):
            scope = "document"
        elif key is not None and sk == key:
            scope = "section"
        elif key is not None and sk in chain:
            scope = "parent"
        else:
            continue  # a sibling's (or, for the document as a whole, one section's) statement
        out.append({**st, "scope": scope})
    return sorted(out, key=lambda s: (rank[s["scope"]], _descending(s["date"])))


def _descending(date: str | None) -> tuple:
    return tuple(-ord(c) for c in (date or ""))


def stated_in(conn, version_id: str, date: str, kind: str = "effective") -> dict | None:
    """Where a version states ``date``: ``{"section_key", "heading", "document_wide"}`` of the first statement
    of ``kind`` with that date, or None when the version does not state it."""
    found = _rows(conn, "select section_key from dated_statements where version_id = ? and kind = ? and date = ?"
                        " order by line limit 1", [version_id, kind, date])
    if not found:
        return None
    sections = {s["key"]: s for s in _sections(conn, version_id)}
    home = sections.get(found[0]["section_key"])
    return {"section_key": found[0]["section_key"], "heading": home["heading"] if home else None,
            "document_wide": is_document_wide(home)}


def effective_label(date: str | None, source: str | None, observed: str | None) -> str | None:
    """``stated_effective``, ``announced`` (stated, later than the day the version was first seen), ``detected``."""
    if not date:
        return None
    if source == "stated":
        return "announced" if observed and date > observed[:10] else "stated_effective"
    return "detected" if source == "detected" else source


def section_effective(conn, version: dict, key: str | None, sections: list[dict] | None = None) -> dict:
    """The effective date that applies to section ``key`` of a version: the nearest stated one, with its scope and
    evidence; else, when the version changed that section, the detection date (``detected``); else none."""
    found = applicable_statements(conn, version, key, "effective", sections)
    if found:
        st = found[0]
        return {"date": st["date"], "source": "stated", "scope": st["scope"], "evidence": st["evidence"],
                "label": effective_label(st["date"], "stated", version.get("observed_at"))}
    change = _rows(conn, "select detected_at from changes where to_version_id = ?", [version["id"]])
    sections = _sections(conn, version["id"]) if sections is None else sections
    row = next((s for s in sections if s["key"] == key), None)
    changed_here = change and (row is None or row.get("changed_version_id") in (None, version["id"]))
    if changed_here:
        day = (change[0]["detected_at"] or "")[:10]
        return {"date": day, "source": "detected", "scope": None, "evidence": None, "label": "detected"}
    return {"date": None, "source": None, "scope": None, "evidence": None, "label": None}


def change_effective_date(statements, touched, newest: str | None, previous: str | None) -> str | None:
    """The effective date a change states, the one rule (the build stores it in ``changes.effective_date``):
    the first effective date stated in a section the change added or modified and not the previous version's,
    else the new version's newest stated date when it is new; else None (the change's date is its detection).

    :param statements: ``(section key, date)`` of the new version's effective-date statements, in line order
    :param touched: the keys of the sections the change added or modified
    :param newest: the new version's newest stated effective date; ``previous``: the previous version's
    """
    own = next((day for key, day in statements if key in touched and day != previous), None)
    return own or (newest if newest and newest != previous else None)


def stated_by_change(key: str | None, day: str | None, touched, newest: str | None, previous: str | None) -> bool:
    """Did the change state (or alter) this effective-date statement of its new version? The same rule as
    :func:`change_effective_date`: never an old line the page kept unchanged."""
    return bool(day) and day != previous and (key in touched or day == newest)


def change_section_effective(conn, change: dict, key: str | None, sections: list[dict] | None = None) -> dict:
    """The effective date of section ``key`` (None: the document as a whole) as changed by ``change`` (a
    ``changes`` row): the nearest stated date that applies to it *and* that the change stated or altered
    (:func:`stated_by_change`); else the change's detection day, labelled ``detected``."""
    versions = {r["id"]: r for r in _rows(conn, "select id, observed_at, effective_date from versions where id in (?, ?)",
                                          [change["from_version_id"], change["to_version_id"]])}
    new, old = versions[change["to_version_id"]], versions.get(change["from_version_id"]) or {}
    touched = {r[0] for r in conn.execute("select key from change_sections where change_id = ?"
                                          " and status in ('added', 'modified')", [change["id"]])}
    for st in applicable_statements(conn, new, key, "effective", sections):
        if stated_by_change(st["section_key"], st["date"], touched, new["effective_date"], old.get("effective_date")):
            return {"date": st["date"], "source": "stated", "scope": st["scope"], "evidence": st["evidence"],
                    "label": effective_label(st["date"], "stated", new["observed_at"])}
    return {"date": (change["detected_at"] or "")[:10], "source": "detected", "scope": None, "evidence": None,
            "label": "detected"}


def wording_since(conn, version: dict, key: str | None, sections: list[dict] | None = None) -> dict:
    """The first version with the section's current wording (no substantive change to it since): a version row."""
    if key is None:
        return version
    sections = _sections(conn, version["id"]) if sections is None else sections
    row = next((s for s in sections if s["key"] == key), None)
    since_id = row.get("changed_version_id") if row else None
    if not since_id or since_id == version["id"]:
        return version
    found = _rows(conn, "select * from versions where id = ?", [since_id])
    return found[0] if found else version


def section_time(conn, version: dict, key: str | None) -> dict:
    """Everything the time model says about one section of one version (``key`` None: the document as a whole).

    ``effective_*``: the date that applies to the section in this version (:func:`section_effective`);
    ``wording_since``: the first version with the section's current wording and the effective date that
    applied then; ``wording_unchanged``: true when that is an earlier version.
    """
    sections = _sections(conn, version["id"])
    eff = section_effective(conn, version, key, sections)
    since = wording_since(conn, version, key, sections)
    since_eff = eff if since["id"] == version["id"] else section_effective(conn, since, key, _sections(conn, since["id"]))
    return {
        "effective_date": eff["date"], "effective_date_source": eff["source"], "effective_date_scope": eff["scope"],
        "effective_date_label": eff["label"], "effective_evidence": eff["evidence"],
        "wording_since": {"version_id": since["id"], "version_seq": since["seq"],
                          "version_date": (since["observed_at"] or "")[:10], "observed_at": since["observed_at"],
                          "effective_date": since_eff["date"], "effective_date_source": since_eff["source"],
                          "effective_date_label": since_eff["label"]},
        "wording_unchanged": since["seq"] < version["seq"],
    }


def in_force(on_page: bool | None, effective_date: str | None, effective_source: str | None, day: str) -> str:
    """``yes`` / ``no`` / ``announced`` / ``unknown`` for wording on (or not on) the page on ``day`` (YYYY-MM-DD)."""
    if on_page is None:
        return "unknown"
    if not on_page:
        return "no"
    if effective_source == "stated" and effective_date and effective_date > day[:10]:
        return "announced"
    return "yes"


# --- stale: one definition, per document, from its own schedule ---------------------------------


def _has_table(conn, name: str) -> bool:
    return conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [name]).fetchone() is not None


def interval_of(conn, document_id: str) -> float:
    """Seconds between two checks of a document: its schedule's interval, else the default (24 h)."""
    if _has_table(conn, "schedule"):
        row = conn.execute("select interval_s from schedule where document_id = ?", [document_id]).fetchone()
        if row and row[0]:
            return float(row[0])
    return timeutil.DEFAULT_INTERVAL


def clock(conn, platform_id: str | None, now=None) -> float:
    """The moment (epoch seconds) to judge staleness against: ``now`` when given; else, for a demo platform
    (crawled through the replay server, whose clock is the demo's dates) the latest check in the KB; else
    the real time (or ``$POLICYKB_NOW``)."""
    if now is not None:
        return now if isinstance(now, (int, float)) else timeutil.parse_when(now).timestamp()
    if os.environ.get("POLICYKB_NOW"):
        return timeutil.parse_when(os.environ["POLICYKB_NOW"]).timestamp()
    if platform_id is not None:
        demo = conn.execute("select demo from platforms where id = ?", [platform_id]).fetchone()
        if demo and demo[0]:
            latest = conn.execute("select max(checked_at) from checks").fetchone()[0]
            if latest:
                return timeutil.parse_iso(latest)
    return timeutil.epoch_now()


def staleness(conn, document: dict, now=None, interval: float | None = None) -> dict:
    """Is a document stale? The one rule (:func:`pipeline.timeutil.is_stale`) with its own interval.

    :param document: a ``documents`` row (``id``, ``platform_id``, ``last_success``)
    :param now: the moment to judge against (see :func:`clock`)
    :param interval: override the document's interval (seconds)
    :returns: ``stale``, ``last_success``, ``interval_s``, ``stale_after_s``, ``clock`` (ISO), ``explanation``
    """
    interval = interval or interval_of(conn, document["id"])
    at = clock(conn, document.get("platform_id"), now)
    return {"stale": timeutil.is_stale(document.get("last_success"), at, interval),
            "last_success": document.get("last_success"), "interval_s": interval,
            "stale_after_s": timeutil.stale_after(interval), "clock": timeutil.iso(at),
            "explanation": timeutil.STALE_EXPLANATION}
