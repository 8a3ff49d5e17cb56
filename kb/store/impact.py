"""Writes of ``change_concepts`` and ``change_concepts_state`` (computed by :mod:`glossary.impact`)."""

from __future__ import annotations


def store_change_concepts(db, change_ids, rows, glossary: str):
    """Replace the concept rows of ``change_ids`` with ``rows`` and remember the glossary they were computed
    with (one transaction)."""
    ids = sorted(change_ids)
    with db.conn:
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(f"delete from change_concepts where change_id in ({marks})", chunk)
            db.execute(f"delete from change_concepts_state where change_id in ({marks})", chunk)
        db["change_concepts"].insert_all(rows, replace=True)
        db["change_concepts_state"].insert_all([{"change_id": c, "glossary": glossary} for c in ids], replace=True)
