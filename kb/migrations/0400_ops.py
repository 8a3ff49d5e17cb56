"""Operations: run records, alerts and the scheduler's state (see ``kb.ops.watch``, ``kb.ops.alerts``).

These tables are not derived from the WARCs: ``policykb rebuild`` carries
them over from the KB it replaces (``kb.cli.ops.after_build``).
"""

from kb.db import migrations


@migrations(name="m0400_ops")
def m0400_ops(db):
    db["runs"].create(
        {
            "id": str, "kind": str, "status": str, "host": str, "pid": int,
            "started_at": str, "finished_at": str, "duration_s": float,
            "platforms": str, "domains": str, "documents": int,
            "requests": int, "responses": int, "responses_by_status": str, "items": int,
            "finish_reason": str, "exceptions": str,
            "new_versions": int, "unchanged": int, "not_modified": int, "failed": int, "gone": int,
            "failures_by_reason": str, "warc_files": str, "outcomes_complete": int,
            "exit_code": int, "error": str, "stats_json": str,
        },
        pk="id",
    )
    db["runs"].create_index(["started_at"])
    db["runs"].create_index(["status"])
    db["alerts"].create(
        {
            "id": int, "kind": str, "subject": str, "platform_id": str, "document_id": str,
            "state": str, "opened_at": str, "last_seen_at": str, "resolved_at": str,
            "message": str, "details": str, "notified_at": str, "notify_error": str,
        },
        pk="id",
    )
    db["alerts"].create_index(["kind", "subject", "state"])
    db["schedule"].create(
        {
            "document_id": str, "interval_s": float, "important": int, "next_check": str,
            "last_attempt": str, "last_run_id": str, "updated_at": str,
        },
        pk="document_id",
    )
