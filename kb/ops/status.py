"""Health: per platform and per document, is the tracker doing its job?

:func:`collect` answers from the KB alone (a read-only ``sqlite3`` connection
is enough), so ``policykb status``, the Datasette page ``/-/policykb/status``
and its JSON twin ``/-/policykb/status.json`` (for an external monitor) say
the same thing. The JSON is::

    {"platforms": [{"id", "name", "name_zh", "documents", "ok", "failing", "stale", "gone",
                    "last_success", "last_check", "next_check", "open_alerts", "last_run"}],
     "documents": [{"id", "platform", "state", "last_success", "last_failure_reason", "next_check",
                    "stale_after_hours"}]}

A document's state is ``gone`` (the page answers 404/410: taken down), ``failing`` (its
latest check failed), ``stale`` (no successful check for more than twice
its interval, or never: the one rule, :func:`kb.timemodel.staleness`, that the
overview and ``policykb cite`` use too), or ``ok``. ``next_check`` is the scheduler's (table
``schedule``), else the last fetch plus the interval.

The demo platforms are crawled through the replay server, whose clock is
the demo's dates, not today: for them "now" is the latest check in the KB,
so the demo KB does not read as stale. ``now=`` overrides the clock for all.
"""

from __future__ import annotations

from kb import timemodel
from pipeline.timeutil import DEFAULT_INTERVAL, is_stale, iso, parse_iso
from pipeline.sqlrows import rows as _rows

STATES = ("ok", "failing", "stale", "gone")


def _tables(conn):
    return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}


def document_state(kb_state, last_success, interval, now) -> str:
    """``gone``, ``failing``, ``stale`` or ``ok``.

    :param kb_state: ``documents.state`` (ok, failing, gone, unchecked)
    :param last_success: ISO time of the latest successful check, or None
    :param interval: seconds between checks
    :param now: epoch seconds to judge staleness against
    """
    if kb_state == "gone":
        return "gone"
    if kb_state == "failing":
        return "failing"
    if is_stale(last_success, now, interval):
        return "stale"
    return "ok"


# Long: the status page's data, one block per section of the page, in its order.
def collect(conn, now=None) -> dict:
    """The health of every platform and document.

    :param conn: a ``sqlite3.Connection`` to the KB
    :param now: epoch seconds or ISO time to judge staleness against (default: the clock,
        and for demo platforms the latest check in the KB)
    """
    if isinstance(now, str):
        now = parse_iso(now)
    tables = _tables(conn)
    if "documents" not in tables:
        return {"platforms": [], "documents": []}
    schedule = {}
    if "schedule" in tables:
        schedule = {r["document_id"]: r for r in _rows(conn, "select * from schedule")}
    platforms = _rows(conn, "select id, name, name_zh, demo from platforms order by id")
    docs = _rows(conn, f"""
        select d.id, d.platform_id, d.state, {timemodel.LAST_SUCCESS_SQL} as last_success, d.last_failure_reason,
               d.last_checked,
               (select max(fetched_at) from checks c where c.document_id = d.id) as last_fetched
        from documents d order by d.platform_id, d.id
    """)
    out_docs = []
    for d in docs:
        sched = schedule.get(d["id"], {})
        interval = sched.get("interval_s") or DEFAULT_INTERVAL
        next_check = sched.get("next_check")
        if not next_check and d["last_fetched"]:
            next_check = iso(parse_iso(d["last_fetched"]) + interval)
        judged = timemodel.staleness(conn, d, now, interval)
        state = d["state"] if d["state"] in ("gone", "failing") else ("stale" if judged["stale"] else "ok")
        out_docs.append({
            "id": d["id"], "platform": d["platform_id"], "state": state,
            "stale_after_hours": round(judged["stale_after_s"] / 3600, 1),
            "last_success": d["last_success"], "last_failure_reason": d["last_failure_reason"],
            "next_check": next_check,
        })
    open_alerts = {}
    if "alerts" in tables:
        for r in conn.execute("select platform_id, count(*) from alerts where state = 'open' group by platform_id"):
            open_alerts[r[0]] = r[1]
    last_runs = {}
    if "runs" in tables:
        for r in _rows(conn, "select id, status, platforms, started_at, finished_at from runs "
                             "order by started_at desc limit 500"):
            for platform_id in (r["platforms"] or "").split(","):
                if platform_id and platform_id not in last_runs:
                    last_runs[platform_id] = {k: r[k] for k in ("id", "status", "started_at", "finished_at")}
    out_platforms = []
    for p in platforms:
        mine = [d for d in out_docs if d["platform"] == p["id"]]
        raw = [d for d in docs if d["platform_id"] == p["id"]]
        entry = {"id": p["id"], "name": p["name"], "name_zh": p["name_zh"], "documents": len(mine)}
        entry.update({state: sum(1 for d in mine if d["state"] == state) for state in STATES})
        entry["last_success"] = max((d["last_success"] for d in mine if d["last_success"]), default=None)
        entry["last_check"] = max((d["last_checked"] for d in raw if d["last_checked"]), default=None)
        entry["next_check"] = min((d["next_check"] for d in mine if d["next_check"]), default=None)
        entry["open_alerts"] = open_alerts.get(p["id"], 0)
        entry["last_run"] = last_runs.get(p["id"])
        out_platforms.append(entry)
    return {"platforms": out_platforms, "documents": out_docs}


def render_text(status: dict) -> str:
    """``policykb status`` for a person: a line per platform, then every document that is not ok."""
    lines = []
    width = max([len(p["id"]) for p in status["platforms"]] + [8])
    lines.append(f"{'platform':<{width}}  docs  ok  failing  stale  gone  last success           next check")
    for p in status["platforms"]:
        lines.append(f"{p['id']:<{width}}  {p['documents']:>4}  {p['ok']:>2}  {p['failing']:>7}  {p['stale']:>5}"
                     f"  {p['gone']:>4}  {p['last_success'] or '-':<22}  {p['next_check'] or '-'}")
    problems = [d for d in status["documents"] if d["state"] != "ok"]
    if problems:
        lines.append("")
        lines.append("not ok:")
        for d in problems:
            reason = d["last_failure_reason"] or ("never checked" if not d["last_success"]
                                                  else f"no successful check since {d['last_success']} (stale after"
                                                       f" {d['stale_after_hours']:g} h: twice its check interval)")
            lines.append(f"  {d['state']:<8} {d['id']}: {reason}")
    else:
        lines.append("")
        lines.append("every document is ok")
    upcoming = sorted((d["next_check"], d["id"]) for d in status["documents"] if d["next_check"])
    if upcoming:
        lines.append(f"next scheduled check: {upcoming[0][0]} ({upcoming[0][1]})")
    alerts = sum(p["open_alerts"] for p in status["platforms"])
    if alerts:
        lines.append(f"open alerts: {alerts} (policykb alerts)")
    return "\n".join(lines)
