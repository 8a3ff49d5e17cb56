"""Writes of the glossary tables: concepts and terms, their evidence, candidates, drift and refresh state.

The rows are computed by :mod:`glossary` (pure, reading the KB); only these functions write them.
"""

from __future__ import annotations

import json

from glossary.model import Glossary
from kb.store import insert_rows
from pipeline.timeutil import now_iso


def store_glossary(db, glossary: Glossary):
    """Replace the glossary tables' contents with ``glossary`` (one transaction).

    Evidence, drift and candidates are derived: they are emptied here and
    recomputed by :func:`kb.glossary.refresh_glossary`.

    :param db: a ``sqlite_utils.Database`` (the KB, migrated)
    :param glossary: a validated glossary
    """
    with db.conn:
        for table in ("glossary_evidence", "glossary_drift", "glossary_term_sources", "glossary_terms",
                      "glossary_concepts", "glossary_platforms"):
            db.execute(f"delete from {table}")
        db["glossary_platforms"].insert_all(
            [{"id": p.id, "name": p.name, "name_zh": p.name_zh, "homepage": p.homepage, "kb_platforms": p.kb,
              "languages": p.languages, "demo": int(p.demo), "ordinal": i}
             for i, p in enumerate(glossary.platforms.values())])
        db["glossary_concepts"].insert_all(
            [{"id": c.id, "label": c.label, "label_zh": c.label_zh, "definition": c.definition,
              "subject_field": c.subject_field, "gloss_formal": c.gloss_formal, "gloss_plain": c.gloss_plain,
              "note": c.note, "tricky": int(c.tricky), "source_file": c.source_file, "ordinal": i}
             for i, c in enumerate(glossary.concepts)])
        rows = []
        for c in glossary.concepts:
            for i, t in enumerate(c.all_terms()):
                rows.append({
                    "id": t.key(c.id), "concept_id": c.id, "platform": t.platform, "language": t.language,
                    "term": t.term, "status": t.status, "equivalence": t.equivalence, "note": t.note,
                    "definition": t.definition, "source_url": t.source_url, "source_document": t.source_document,
                    "source_section": t.source_section, "gloss_formal": t.gloss_formal,
                    "gloss_plain": t.gloss_plain, "is_label": int(i < 2), "case_sensitive": int(t.case_sensitive),
                    "ordinal": i, "evidence_count": 0, "evidence_documents": 0, "attestation": None,
                    "attestation_note": None, "checked_at": None,
                })
        db["glossary_terms"].insert_all(rows)
        db["glossary_term_sources"].insert_all(
            [{"term_id": t.key(c.id), "sourcing": "general" if i < 2 else t.sourcing, "source_title": t.source_title,
              "source_quote": t.source_quote, "source_read": t.source_read}
             for c in glossary.concepts for i, t in enumerate(c.all_terms())])


def _delete_where_in(db, table, column, ids):
    ids = sorted(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        db.execute(f"delete from {table} where {column} in ({','.join('?' * len(chunk))})", chunk)


def replace_evidence(db, evidence_rows, candidate_rows, changed=None):
    """Replace the evidence and candidates (all of them, or those of ``changed = (document ids, platform ids)``).

    Runs in the caller's transaction.
    """
    if changed is None:
        db.execute("delete from glossary_evidence")
        db.execute("delete from glossary_candidates")
    else:
        _delete_where_in(db, "glossary_evidence", "document_id", changed[0])
        _delete_where_in(db, "glossary_candidates", "kb_platform_id", changed[1])
    insert_rows(db, "glossary_evidence", evidence_rows)
    insert_rows(db, "glossary_candidates", candidate_rows)


def update_terms(db, updates):
    """Set the terms' evidence counts and attestation flags. Runs in the caller's transaction."""
    db["glossary_terms"].upsert_all(updates, pk="id")


def replace_drift(db, rows, evidence, documents=None, whole=()):
    """Replace the drift rows (all, or those of ``documents``: of the ``whole`` ones all their rows, of the
    others only the steps that are new), then re-read ``still_used_in`` for every row from ``evidence``.

    :param evidence: ``{term id: {document ids where the platform still uses it}}``
    """
    with db.conn:
        if documents is None:
            db.execute("delete from glossary_drift")
        else:
            _delete_where_in(db, "glossary_drift", "document_id", whole)
        insert_rows(db, "glossary_drift", rows)
        if documents is not None:  # the other documents' rows: where else the platform still uses the term may differ
            db.conn.executemany("update glossary_drift set still_used_in = ? where id = ?", [
                (json.dumps(sorted(evidence[r[1]] - {r[2]})), r[0])
                for r in db.conn.execute("select id, term_id, document_id from glossary_drift")])


def save_refresh_state(db, state: dict):
    """What the last refresh was computed from (see :func:`kb.glossary.refresh_glossary`); written last."""
    if "glossary_state" in db.table_names():
        with db.conn:
            db["glossary_state"].upsert({"key": "state", "value": json.dumps(state), "updated_at": now_iso()},
                                        pk="key")
