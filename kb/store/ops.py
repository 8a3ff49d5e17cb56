"""Writes of the operations tables: the schedule, runs and alerts.

Times are passed in as UTC ISO 8601 strings; each function is one transaction
(or joins the caller's).
"""

from __future__ import annotations

import json


# -- schedule ------------------------------------------------------------------------------------------------

def set_intervals(db, rows, now):
    """Each document's interval and importance (``rows``: ``(document id, interval s, important)``)."""
    with db.atomic():
        for key, interval, important in rows:
            db.execute(
                "insert into schedule (document_id, interval_s, important, updated_at) values (?, ?, ?, ?) "
                "on conflict(document_id) do update set interval_s = excluded.interval_s, "
                "important = excluded.important",
                [key, interval, int(important), now],
            )


def set_next_checks(db, next_checks: dict, run_id, now):
    """When each document is checked next (``{document id: ISO time}``), after run ``run_id`` (may be None)."""
    with db.atomic():
        for key, when in next_checks.items():
            db.execute(
                "insert into schedule (document_id, next_check, last_run_id, updated_at) values (?, ?, ?, ?) "
                "on conflict(document_id) do update set next_check = excluded.next_check, "
                "last_run_id = coalesce(excluded.last_run_id, last_run_id), updated_at = excluded.updated_at",
                [key, when, run_id, now],
            )


def mark_attempt(db, keys, run_id, at):
    """A run started on these documents at ``at``."""
    with db.atomic():
        for key in keys:
            db.execute(
                "insert into schedule (document_id, last_attempt, last_run_id, updated_at) values (?, ?, ?, ?) "
                "on conflict(document_id) do update set last_attempt = excluded.last_attempt, "
                "last_run_id = excluded.last_run_id, updated_at = excluded.updated_at",
                [key, at, run_id, at],
            )


# -- runs ----------------------------------------------------------------------------------------------------

def abandon_runs(db, run_ids, at):
    with db.atomic():
        for run_id in run_ids:
            db.execute("update runs set status = 'abandoned', finished_at = coalesce(finished_at, ?) where id = ?",
                       [at, run_id])


def start_run(db, row: dict):
    with db.atomic():
        db["runs"].insert(row, pk="id", replace=True)


def finish_run(db, run_id, status, exit_code, error, finished, duration):
    with db.atomic():
        db.execute("update runs set status = ?, exit_code = ?, error = ?, finished_at = ?, "
                   "duration_s = coalesce(duration_s, ?) where id = ?",
                   [status, exit_code, error, finished, duration, run_id])


def save_run_stats(db, run_id, fields: dict, new_row: dict):
    """A crawl's statistics: update its run (started by a watch), or insert ``new_row`` plus ``fields``."""
    with db.atomic():
        if db.execute("select 1 from runs where id = ?", [run_id]).fetchone():
            sets = ", ".join(f"{k} = ?" for k in fields)
            db.execute(f"update runs set {sets} where id = ?", [*fields.values(), run_id])
        else:
            db["runs"].insert({**new_row, **fields}, pk="id")


def save_run_outcomes(db, run_id, counts: dict, reasons: dict):
    """The outcomes of a run's checks, once all its WARC files are ingested."""
    with db.atomic():
        db.execute(
            "update runs set new_versions = ?, unchanged = ?, not_modified = ?, failed = ?, gone = ?, "
            "failures_by_reason = ?, outcomes_complete = 1 where id = ?",
            [counts.get("new_version", 0), counts.get("unchanged", 0), counts.get("not_modified", 0),
             counts.get("failed", 0), counts.get("gone", 0), json.dumps(reasons, sort_keys=True), run_id],
        )


# -- alerts --------------------------------------------------------------------------------------------------

def touch_alert(db, alert_id, at, message, details):
    db.execute("update alerts set last_seen_at = ?, message = ?, details = ? where id = ?",
               [at, message, json.dumps(details, ensure_ascii=False), alert_id])


def open_alert(db, kind, subject, info: dict, at) -> int:
    return db["alerts"].insert(
        {"kind": kind, "subject": subject, "platform_id": info["platform_id"], "document_id": info["document_id"],
         "state": "open", "opened_at": at, "last_seen_at": at, "message": info["message"],
         "details": json.dumps(info["details"], ensure_ascii=False)},
    ).last_pk


def resolve_alert(db, alert_id, at):
    db.execute("update alerts set state = 'resolved', resolved_at = ? where id = ?", [at, alert_id])


def mark_notified(db, alert_id, at, error):
    """A notification was tried: sent at ``at``, or failed with ``error`` (then tried again later)."""
    with db.atomic():
        db.execute("update alerts set notified_at = ?, notify_error = ? where id = ?",
                   [None if error else at, error, alert_id])


def record_brief_delivery(db, sent_at, since, until, lang, fmt, listed, error, through=None):
    """A brief was sent (``error`` None) or could not be (then its window is tried again); ``through``: the
    latest ``detected_at`` it covered."""
    with db.atomic():
        db["brief_deliveries"].insert({"sent_at": sent_at, "since": since, "until": until, "lang": lang,
                                       "format": fmt, "listed": listed, "error": error, "through": through})
