"""Writes of the discovery tables: pages discovery found (``discovered_documents``), files read."""

from __future__ import annotations

from pipeline.timeutil import now_iso


def insert_discovered(db, row: dict):
    db["discovered_documents"].insert(row)


def update_discovered(db, row_id, columns: dict):
    db["discovered_documents"].update(row_id, columns)


def mark_discovery_file(db, name, records):
    """A discovery WARC file is read: the next build skips it. Runs in the caller's transaction."""
    db["discovery_files"].insert({"name": name, "records": records, "ingested_at": now_iso()}, pk="name",
                                 replace=True)


def set_statuses(db, statuses):
    """``statuses``: ``(row id, {"status", "document_id", "suggested_type"})`` pairs; one transaction."""
    with db.atomic():
        for row_id, columns in statuses:
            db["discovered_documents"].update(row_id, columns)
