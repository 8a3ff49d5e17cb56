"""The glossary in the KB: load the concept files, refresh their evidence in the current versions, and drift.

A step of :func:`kb.build.build` (and ``policykb glossary load``). The rows
are computed by :mod:`glossary` (evidence, candidates, drift) and written by
:mod:`kb.store.glossary`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from glossary import read_glossary
from glossary.drift import drift_rows
from glossary.evidence import attestations, evidence_rows
from kb.store import glossary as store
from pipeline.text import PLAIN_TEXT_VERSION
from pipeline.timeutil import now_iso


def _state(db, glossary) -> dict:
    """What evidence, candidates and drift are computed from: a hash of the glossary data and of the KB's
    platform names (and the version of the plain-text rules), and per document its current version, state, locale, title, platform and version count."""
    h = hashlib.sha256(repr(glossary).encode("utf-8"))
    h.update(f"plain text v{PLAIN_TEXT_VERSION}".encode())  # evidence and drift are read through it
    for row in db.execute("select id, name from platforms order by id").fetchall():
        h.update(repr(tuple(row)).encode("utf-8"))
    documents = {r[0]: list(r[1:]) for r in db.execute(
        "select id, current_version_id, state, locale, title, platform_id, versions_count from documents")}
    return {"glossary": h.hexdigest(), "documents": documents}


def _changes_since(before: dict, state: dict):
    """Documents whose current text (or scope) changed, and those whose history grew: ``(changed, grown)``.

    ``grown`` maps a document to the version count from which its history is new (0: all of it).
    """
    old, new = before["documents"], state["documents"]
    changed = {d for d in old.keys() | new.keys() if old.get(d, [None] * 6)[:5] != new.get(d, [None] * 6)[:5]}
    grown = {}
    for d in old.keys() | new.keys():
        was, now = old.get(d), new.get(d)
        if now is None or (was and was[:5] == now[:5] and was[5] == now[5]):
            continue
        same_scope = was is not None and was[2:5:2] == now[2:5:2]  # locale and platform
        grown[d] = (was[5] or 0) if same_scope and (was[5] or 0) <= (now[5] or 0) else 0
    return changed, grown


#: Below this many documents to search, the evidence is computed in the build's process (:func:`kb.workers.count`).
PARALLEL_MIN_DOCUMENTS = 16


def refresh_evidence(db, changed=None) -> dict:
    """Recompute evidence and candidates (all, or for ``changed = (document ids, platform ids)``) and the
    terms' attestation; one transaction. Returns counts by attestation, evidence rows and candidates.

    Each KB platform's evidence and candidates are computed by worker processes when there are enough documents
    to search (:class:`kb.workers.Workers`), and stored here in the same order."""
    from kb.workers import Workers, count

    searched = (len(changed[0]) if changed is not None else
                db.conn.execute("select count(*) from documents where current_version_id is not null").fetchone()[0])
    with Workers(count(searched, PARALLEL_MIN_DOCUMENTS)) as pool:
        evidence, candidates = evidence_rows(db.conn, changed, map_jobs=pool.map)
    with db.conn:
        store.replace_evidence(db, evidence, candidates, changed)
        found = {r[0]: (r[1], r[2]) for r in db.conn.execute(
            "select term_id, sum(occurrences), count(distinct document_id) from glossary_evidence group by term_id")}
        updates = attestations(db.conn, found, now_iso())
        store.update_terms(db, updates)
    counts = Counter(u["attestation"] for u in updates)
    return {"terms": len(updates),
            "evidence_rows": db.conn.execute("select count(*) from glossary_evidence").fetchone()[0],
            "candidates": db.conn.execute("select count(*) from glossary_candidates").fetchone()[0], **counts}


def refresh_drift(db, changed_documents=None) -> int:
    """Recompute term drift (all, or for ``{document id: seq}`` whose histories grew); returns the row count."""
    rows, evidence = drift_rows(db.conn, changed_documents)
    if changed_documents is None:
        store.replace_drift(db, rows, evidence)
    else:
        whole = [d for d in sorted(changed_documents) if not changed_documents[d]]
        store.replace_drift(db, rows, evidence, documents=sorted(changed_documents), whole=whole)
    return db.conn.execute("select count(*) from glossary_drift").fetchone()[0]


def loaded_state(db) -> dict | None:
    """What the last glossary refresh saw (``glossary_state``): the glossary's hash and the documents' states."""
    if "glossary_state" not in db.table_names():
        return None
    row = db.execute("select value from glossary_state where key = 'state'").fetchone()
    return json.loads(row[0]) if row else None


def glossary_hash(db) -> str | None:
    """The hash of the glossary the KB holds (None before any was loaded): derived rows that depend on it
    (impact by concept, rule values' concepts) are recomputed when it changes."""
    return (loaded_state(db) or {}).get("glossary")


def refresh_glossary(db, glossary_dir=None, force=True) -> dict:
    """Read the glossary data files, store them in the KB, and recompute evidence, candidates and drift.

    With ``force=False`` (after a build), only what changed since the last
    time is recomputed: nothing when neither the glossary nor any document
    changed; else, with the same glossary, the evidence of documents whose
    current version changed, the candidates of their platforms, and the drift
    of the steps to their new versions. The state it compares with is stored
    last (``glossary_state``), so a crash in between means a full recompute.

    :param db: the KB (``sqlite_utils.Database``, migrated)
    :param glossary_dir: glossary folder (default: the seed data shipped in ``glossary/``)
    :param force: recompute everything
    :returns: counts (terms by attestation, evidence rows, candidates, drift rows, documents refreshed)
    :raises glossary.GlossaryError: when the glossary files are invalid
    """
    glossary = read_glossary(glossary_dir)
    state = _state(db, glossary)
    before = None if force else loaded_state(db)
    if before is None or before.get("glossary") != state["glossary"]:
        store.store_glossary(db, glossary)
        stats = refresh_evidence(db)
        stats["drift"] = refresh_drift(db)
        stats["refreshed"] = "all"
    else:
        changed, grown = _changes_since(before, state)
        if not changed and not grown:
            return {"unchanged": True, "concepts": len(glossary.concepts)}
        platforms = {v[4] for d in changed for v in (before["documents"].get(d), state["documents"].get(d)) if v}
        stats = refresh_evidence(db, changed=(changed, platforms))
        stats["drift"] = refresh_drift(db, changed_documents=grown)
        stats["refreshed"] = len(changed | set(grown))
    stats["concepts"] = len(glossary.concepts)
    store.save_refresh_state(db, state)  # last: a crash before it means a full recompute next time
    return stats
