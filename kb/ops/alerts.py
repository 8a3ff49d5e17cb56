"""Alerts: what needs a person, as records in the KB and, optionally, notifications.

Conditions, evaluated after every build (:func:`evaluate`):

* ``document_failing``: a document's last N checks failed (N = 3 unless
  configured; a document that is *gone* is a recorded state, not a failure);
* ``platform_down``: the latest check of every document of a platform failed
  (the help centre moved, the crawler is blocked, the site is down);
* ``selector_empty``: a document's page changed its layout: its latest check
  failed with "layout changed" (none of the declared selectors, tried in
  order, matched: the message names each one), or its selectors suddenly
  match only empty content right after a successful check. The declaration
  needs fixing; nothing falls back to another extraction meanwhile;
* ``value_changed``: a deadline, threshold or penalty-point level changed between two versions of a
  document (``rule_value_changes``: 4 % → 3 %, 2 个工作日 → 24 小时). Unlike the others it is an
  event: opened once per value change by the build that recorded it, sent with the others, and
  resolved once the KB holds a later check (the next crawl); it never opens again, and a rebuild,
  which finds the same checks, leaves it as it was. Only a change detected within
  :data:`VALUE_ALERT_DAYS` of the KB's latest check alerts, so that the first build after an upgrade,
  which reads every old version, does not send the whole history.

* ``citation_changed``, ``citation_removed``, ``citation_moved``,
  ``citation_effective``: a citation of the watch list (:mod:`kb.cite.watchlist`,
  checked again by the build just before) no longer stands as cited: its
  wording changed, it was removed, it stands in another section, or another
  effective date is stated for where it stands. Open while it is so; removing
  the citation from the watch list resolves it.

An alert is one row in ``alerts``, opened once per condition and subject
and resolved when the condition clears, so a document failing for a week is
one alert, not 28. A new alert can be sent (:func:`notify`) to any number of
Apprise URLs (a webhook, e-mail, Slack, and the bots Chinese teams use:
WeCom ``wecombot://``, DingTalk ``dingtalk://``, Feishu ``feishu://``) and/or
given to a command, which reads the alert as JSON on its standard input.
Apprise was chosen over a hand-written webhook because it speaks all of these
with one URL syntax; a plain ``http(s)://`` URL is posted to as a JSON webhook
(Apprise's ``json(s)://``: ``{"title", "message", "type", ...}``).

Configuration comes from the environment (``POLICYKB_NOTIFY``: URLs separated
by spaces or commas; ``POLICYKB_ALERT_COMMAND``; ``POLICYKB_ALERT_AFTER``: N),
or from the options of ``policykb watch`` and ``policykb alerts``, which set
the same variables.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import time
from dataclasses import dataclass

from kb.labels import quantity
from kb.store import ops as store
from pipeline.decide import SUCCESS
from pipeline.timeutil import iso, parse_iso

logger = logging.getLogger("policykb.ops.alerts")

ALERT_AFTER = 3
SELECTOR_EMPTY_RE = re.compile(r"matched nothing|matched only empty content")
LAYOUT_CHANGED_RE = re.compile(r"^layout changed\b")
KINDS = {
    "document_failing": "a document failed {n} checks in a row",
    "platform_down": "every document of a platform failed its latest check",
    "selector_empty": "a document's layout changed: none of its selectors matches",
    "value_changed": "a deadline, threshold or penalty-point level changed",
    "citation_changed": "the wording of a saved citation changed",
    "citation_removed": "the passage (or page) of a saved citation was removed",
    "citation_moved": "the wording of a saved citation now stands in another section",
    "citation_effective": "a new effective date is stated for the section of a saved citation",
}
#: a value change older than this (before the KB's latest check) is history, not news: no alert
VALUE_ALERT_DAYS = 14



@dataclass
class NotifyConfig:
    """Where new alerts go."""

    urls: tuple = ()
    command: str | None = None
    after: int = ALERT_AFTER

    @classmethod
    def from_env(cls, environ=None):
        env = os.environ if environ is None else environ
        urls = tuple(u for u in re.split(r"[\s,]+", env.get("POLICYKB_NOTIFY", "")) if u)
        try:
            after = max(1, int(env.get("POLICYKB_ALERT_AFTER", ALERT_AFTER)))
        except ValueError:
            after = ALERT_AFTER
        return cls(urls, env.get("POLICYKB_ALERT_COMMAND") or None, after)

    def export(self, environ=None):
        """Put this configuration in the environment, for the build steps that read it."""
        env = os.environ if environ is None else environ
        env["POLICYKB_NOTIFY"] = " ".join(self.urls)
        env["POLICYKB_ALERT_AFTER"] = str(self.after)
        if self.command:
            env["POLICYKB_ALERT_COMMAND"] = self.command
        else:
            env.pop("POLICYKB_ALERT_COMMAND", None)


def _latest_checks(db):
    """Per document: (latest check, the one before), as dicts."""
    rows = db.execute("""
        select id, document_id, outcome, reason, checked_at from (
            select c.*, row_number() over (partition by document_id order by id desc) as rn from checks c
        ) where rn <= 2 order by document_id, rn
    """).fetchall()
    out = {}
    for cid, doc, outcome, reason, checked_at in rows:
        out.setdefault(doc, []).append({"id": cid, "outcome": outcome, "reason": reason, "checked_at": checked_at})
    return out


def conditions(db, after=ALERT_AFTER) -> dict:
    """What is wrong now: ``{(kind, subject): alert fields}``. A pure read of the KB."""
    found = {}
    docs = {r[0]: r for r in db.execute(
        "select id, platform_id, state, consecutive_failures, last_failure_reason, last_checked from documents")}
    latest = _latest_checks(db)
    for doc_id, platform_id, state, failures, reason, last_checked in docs.values():
        if state == "failing" and (failures or 0) >= after:
            found[("document_failing", doc_id)] = {
                "platform_id": platform_id, "document_id": doc_id,
                "message": f"{doc_id}: {failures} failed checks in a row; latest: {reason}",
                "details": {"consecutive_failures": failures, "reason": reason, "last_checked": last_checked},
            }
        checks = latest.get(doc_id, [])
        reason = (checks[0]["reason"] or "") if checks and checks[0]["outcome"] == "failed" else ""
        after_success = len(checks) == 2 and checks[1]["outcome"] in SUCCESS
        if LAYOUT_CHANGED_RE.search(reason) or (SELECTOR_EMPTY_RE.search(reason) and after_success):
            before = "the check before succeeded" if after_success else "the check before did not succeed either"
            found[("selector_empty", doc_id)] = {
                "platform_id": platform_id, "document_id": doc_id,
                "message": f"{doc_id}: {reason} ({before}); the page changed its layout: fix the declaration",
                "details": {"reason": reason, "checked_at": checks[0]["checked_at"],
                            "previous_success": checks[1]["checked_at"] if after_success else None},
            }
    found.update(citation_conditions(db))
    by_platform = {}
    for doc_id, row in docs.items():
        by_platform.setdefault(row[1], []).append(doc_id)
    for platform_id, doc_ids in by_platform.items():
        outcomes = [latest[d][0] for d in doc_ids if d in latest]
        if len(outcomes) == len(doc_ids) and not any(c["outcome"] in SUCCESS for c in outcomes):
            reasons = sorted({c["reason"] or c["outcome"] for c in outcomes})
            found[("platform_down", platform_id)] = {
                "platform_id": platform_id, "document_id": None,
                "message": f"{platform_id}: the latest check of all {len(doc_ids)} documents failed: "
                           + "; ".join(reasons[:5]),
                "details": {"documents": sorted(doc_ids), "reasons": reasons},
            }
    found.update(_value_changes(db))
    return found


def _value_changes(db) -> dict:
    """Value changes that no alert has reported yet (``value_changed``: see the module's docstring)."""
    found = {}
    latest = parse_iso(db.execute("select max(checked_at) from checks").fetchone()[0])
    if latest is None:
        return found
    for row in db.execute("""
            select rc.id, rc.platform_id, rc.document_id, rc.section_key, rc.concept_id, rc.subject, rc.old_value,
                   rc.old_unit, rc.new_value, rc.new_unit, rc.old_window, rc.new_window, rc.detected_at
            from rule_value_changes rc
            where not exists (select 1 from alerts a where a.kind = 'value_changed' and a.subject = rc.id)
              and rc.detected_at >= ?
            order by rc.detected_at, rc.id""", [iso(latest - VALUE_ALERT_DAYS * 86400)]).fetchall():
        (change_id, platform_id, doc_id, section, concept, subject, old, old_unit, new, new_unit, old_window,
         new_window, detected_at) = row
        windows = f"; window {old_window or '-'} → {new_window or '-'}" if old_window != new_window else ""
        found[("value_changed", change_id)] = {
            "platform_id": platform_id, "document_id": doc_id,
            "message": f"{doc_id} §{section}: {concept or subject or 'value'} {old:g} {old_unit} → {new:g} {new_unit}"
                       f"{windows} (detected {detected_at[:10]}) (数值已变更：{quantity(old, old_unit, 'zh')} → "
                       f"{quantity(new, new_unit, 'zh')}，发现于 {detected_at[:10]})",
            "details": {"section": section, "concept": concept, "subject": subject, "old_value": old,
                        "old_unit": old_unit, "new_value": new, "new_unit": new_unit, "old_window": old_window,
                        "new_window": new_window, "detected_at": detected_at},
        }
    return found


def _citation_message(row: dict, kind: str) -> str:
    """What a citation alert says, in English then Chinese; never its label (client or case): the ``alerts``
    table is served by a public instance. :func:`notify_pending` names the label in what it sends."""
    who = f"citation {row['id']}"
    where = f"{row['document_id']}" + (f", {row['section']}" if row["section"] else "")
    when = (row["changed_at"] or "")[:10]
    now = (row["now_wording"] or "")[:300]
    return {
        "citation_changed": f"{who}: the cited wording of {where} changed on {when}; now: {now} "
                            f"(引用的条款已于 {when} 变更)",
        "citation_removed": (f"{who}: the cited wording of {where} changed on {when} into: {now}; that wording was "
                             f"removed on {row['removed_at'][:10]} (引用的条款已于 {when} 变更，变更后的措辞已于 "
                             f"{row['removed_at'][:10]} 删除)") if row.get("removed_at") else
                            (f"{who}: the cited wording of {where} was removed" + (f" on {when}" if when else "")
                             + " (引用的条款已删除)"),
        "citation_moved": f"{who}: the cited wording of {where} now stands in {row['now_section'] or 'another part'}"
                          " (引用的条款已移至其他部分)",
        "citation_effective": f"{who}: {where} now states the effective date {row['now_effective_date']}"
                              f" (cited with {row['effective_date'] or 'none stated'}) (该条款公布了新的生效日期"
                              f" {row['now_effective_date']})",
    }[kind]


def citation_conditions(db) -> dict:
    """The watch list's conditions: each saved citation whose latest check (``citations.state``) is not as it
    was cited. A pure read of the KB."""
    cur = db.execute("select id, label, platform_id, document_id, section, state, changed_at, now_section, "
                     "now_wording, effective_date, now_effective_date, answer_json from citations "
                     "where state is not null")
    names = [c[0] for c in cur.description]
    found = {}
    for row in (dict(zip(names, r)) for r in cur.fetchall()):
        answer = json.loads(row.pop("answer_json") or "null") or {}
        if row["state"] == "removed" and answer.get("removed_at"):  # reworded, then that wording removed
            row["removed_at"] = answer["removed_at"]
            row["now_wording"] = next((s["wording"] for s in answer.get("history") or [] if s["step"] == "changed"),
                                      None)
        kinds = {"changed": ["citation_changed"], "removed": ["citation_removed"],
                 "not_found": ["citation_removed"], "moved": ["citation_moved"]}.get(row["state"], [])
        if row["state"] in ("current", "moved") and row["now_effective_date"] and \
                row["now_effective_date"] != row["effective_date"]:
            kinds.append("citation_effective")
        for kind in kinds:
            found[(kind, f"citation/{row['id']}")] = {
                "platform_id": row["platform_id"], "document_id": row["document_id"],
                "message": _citation_message(row, kind),
                "details": {k: row[k] for k in ("id", "state", "section", "now_section", "changed_at",
                                                "effective_date", "now_effective_date")}}
    return found


def _still_active(db, kind, subject):
    """An open selector alert stays open until its document is checked successfully again."""
    if kind == "value_changed":  # news until the next crawl
        return bool(db.execute("""select 1 from rule_value_changes rc where rc.id = ? and not exists
                                  (select 1 from checks c where c.checked_at > rc.detected_at)""",
                               [subject]).fetchone())
    if kind == "selector_empty":
        row = db.execute("select state from documents where id = ?", [subject]).fetchone()
        return bool(row and row[0] != "ok")
    return False


def evaluate(db, after=ALERT_AFTER, now=None) -> list[dict]:
    """Open alerts for new conditions, touch those still true, resolve the rest. Returns the new alerts.

    :param db: the KB (sqlite-utils ``Database``)
    :param after: failed checks in a row before a document alerts
    :param now: epoch seconds (default: the clock)
    """
    stamp = iso(now if now is not None else time.time())
    wanted = conditions(db, after)
    open_rows = {(r[1], r[2]): r[0] for r in
                 db.execute("select id, kind, subject from alerts where state = 'open'")}
    new = []
    with db.atomic():
        for (kind, subject), info in wanted.items():
            if (kind, subject) in open_rows:
                store.touch_alert(db, open_rows[(kind, subject)], stamp, info["message"], info["details"])
                continue
            new.append(get_alert(db, store.open_alert(db, kind, subject, info, stamp)))
        for (kind, subject), alert_id in open_rows.items():
            if (kind, subject) not in wanted and not _still_active(db, kind, subject):
                store.resolve_alert(db, alert_id, stamp)
    return new


def get_alert(db, alert_id) -> dict:
    cur = db.execute("select * from alerts where id = ?", [alert_id])
    names = [c[0] for c in cur.description]
    row = cur.fetchone()
    return dict(zip(names, row)) if row else None


def list_alerts(conn, include_resolved=False) -> list[dict]:
    """Alerts, newest first (open ones only unless ``include_resolved``)."""
    where = "" if include_resolved else "where state = 'open'"
    cur = conn.execute(f"select * from alerts {where} order by opened_at desc, id desc")
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _apprise_url(url: str) -> str:
    """A plain ``http(s)://`` URL is a JSON webhook (Apprise's ``json(s)://``)."""
    if url.startswith("http://"):
        return "json://" + url[len("http://"):]
    if url.startswith("https://"):
        return "jsons://" + url[len("https://"):]
    return url


def notify_urls(urls, title: str, body: str, body_format: str | None = None, warning: bool = True) -> list[str]:
    """Send one message to every Apprise URL (a plain http(s) URL is a JSON webhook); what went wrong, if
    anything. ``body_format``: ``markdown``, ``html`` or ``text`` (Apprise converts for each service)."""
    import apprise

    errors = []
    apobj = apprise.Apprise()
    for url in urls:
        if not apobj.add(_apprise_url(url)):
            errors.append(f"not a notification URL Apprise knows: {url.split('://')[0]}://…")
    if len(apobj):
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = apobj.notify(title=title, body=body, body_format=body_format,
                              notify_type=apprise.NotifyType.WARNING if warning else apprise.NotifyType.INFO)
        if not ok:
            errors.append("notification failed: " + " ".join(captured.getvalue().split())[:500])
    return errors


def send(alert: dict, config: NotifyConfig) -> str | None:
    """Send one alert to every configured URL and command. Returns None, or what went wrong."""
    title = f"[policykb] {alert['kind']}: {alert['subject']}"
    errors = notify_urls(config.urls, title, alert["message"]) if config.urls else []
    if config.command:
        payload = json.dumps({**alert, "details": json.loads(alert.get("details") or "null")}, ensure_ascii=False)
        env = dict(os.environ, POLICYKB_ALERT_KIND=alert["kind"], POLICYKB_ALERT_SUBJECT=alert["subject"],
                   POLICYKB_ALERT_MESSAGE=alert["message"])
        try:
            result = subprocess.run(config.command, shell=True, input=payload, text=True, env=env, timeout=60,
                                    capture_output=True)
            if result.returncode:
                errors.append(f"alert command exited {result.returncode}: {result.stderr.strip()[:300]}")
        except subprocess.TimeoutExpired:
            errors.append("alert command timed out after 60 s")
    return "; ".join(errors) or None


def _with_label(db, alert: dict) -> dict:
    """A citation alert as it is sent to the consultant's own channels: with the citation's label (client or
    case) in its message and details, which the stored alert never holds (see :func:`_citation_message`)."""
    kind, _, citation_id = alert["subject"].partition("/")
    if kind != "citation":
        return alert
    found = db.execute("select id, label from citations where id = ?", [citation_id]).fetchone()
    if not found or not found[1]:
        return alert
    details = json.loads(alert.get("details") or "null") or {}
    named = alert["message"].replace(f"citation {found[0]}:", f"citation {found[0]} ({found[1]}):", 1)
    return alert | {"message": named,
                    "details": json.dumps(details | {"label": found[1]}, ensure_ascii=False)}


def notify_pending(db, config: NotifyConfig) -> int:
    """Send every open alert not sent yet; record when, or the error. Returns how many were tried."""
    if not config.urls and not config.command:
        return 0
    pending = [get_alert(db, r[0]) for r in
               db.execute("select id from alerts where state = 'open' and notified_at is null order by id")]
    for alert in pending:
        error = send(_with_label(db, alert), config)
        store.mark_notified(db, alert["id"], iso(time.time()), error)  # a failed one is tried after the next build
        if error:
            logger.warning("alert %s: %s", alert["id"], error)
    return len(pending)
