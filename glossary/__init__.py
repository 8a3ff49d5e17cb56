"""Concept-oriented terminology across platforms, backed by evidence from the policies.

* :mod:`glossary.model`: concept → language → term (as in ISO 30042 TBX);
* :mod:`glossary.load`: the YAML data files (``platforms.yml``, ``concepts/*.yml``) and storing them in the KB;
* :mod:`glossary.match`: finding a term in a text (Snowball stems; substrings for CJK and Thai);
* :mod:`glossary.evidence`: occurrences in current versions, attestation flags, candidate terms;
* :mod:`glossary.drift`: when a term stops occurring in a document, and what replaced it;
* :mod:`glossary.lookup`: exact and fuzzy look-up from any language;
* :mod:`glossary.tbx`, :mod:`glossary.csvio`: TBX-Basic and CSV exchange.

Only the KB schema is used (tables ``documents``, ``versions``, ``sections``), never ``pipeline``.
"""

from glossary.load import read_glossary, store_glossary
from glossary.model import Concept, Glossary, GlossaryError, Platform, Term


def _state(db, glossary: Glossary) -> dict:
    """What evidence, candidates and drift are computed from: a hash of the glossary data and of the KB's
    platform names, and per document its current version, state, locale, title, platform and version count."""
    import hashlib

    h = hashlib.sha256(repr(glossary).encode("utf-8"))
    for row in db.execute("select id, name from platforms order by id").fetchall():
        h.update(repr(tuple(row)).encode("utf-8"))
    documents = {r[0]: list(r[1:]) for r in db.execute(
        "select id, current_version_id, state, locale, title, platform_id, versions_count from documents")}
    return {"glossary": h.hexdigest(), "documents": documents}


def load_and_refresh(db, data_dir=None, force=True) -> dict:
    """Read the glossary data files, store them in the KB, and recompute evidence, candidates and drift.

    With ``force=False`` (after a build), only what changed since the last
    time is recomputed: nothing when neither the glossary nor any document
    changed; else, with the same glossary, the evidence of documents whose
    current version changed, the candidates of their platforms, and the drift
    of the steps to their new versions. The state it compares with is stored
    last (``glossary_state``), so a crash in between means a full recompute.

    :param db: the KB (``sqlite_utils.Database``, migrated)
    :param data_dir: glossary folder (default: the seed data shipped in ``glossary/``)
    :param force: recompute everything
    :returns: counts (terms by attestation, evidence rows, candidates, drift rows, documents refreshed)
    """
    import json

    from glossary.drift import refresh_drift
    from glossary.evidence import now_iso, refresh_evidence

    glossary = read_glossary(data_dir)
    state = _state(db, glossary)
    before = None
    if not force and "glossary_state" in db.table_names():
        row = db.execute("select value from glossary_state where key = 'state'").fetchone()
        before = json.loads(row[0]) if row else None
    if before is None or before.get("glossary") != state["glossary"]:
        store_glossary(db, glossary)
        stats = refresh_evidence(db)
        stats["drift"] = refresh_drift(db)
        stats["refreshed"] = "all"
    else:
        old, new = before["documents"], state["documents"]
        changed = {d for d in old.keys() | new.keys() if old.get(d, [None] * 6)[:5] != new.get(d, [None] * 6)[:5]}
        grown = {}
        for d in old.keys() | new.keys():
            was, now = old.get(d), new.get(d)
            if now is None or (was and was[:5] == now[:5] and was[5] == now[5]):
                continue
            same_scope = was is not None and was[2:5:2] == now[2:5:2]  # locale and platform
            grown[d] = (was[5] or 0) if same_scope and (was[5] or 0) <= (now[5] or 0) else 0
        if not changed and not grown:
            return {"unchanged": True, "concepts": len(glossary.concepts)}
        platforms = {v[4] for d in changed for v in (old.get(d), new.get(d)) if v}
        stats = refresh_evidence(db, changed=(changed, platforms))
        stats["drift"] = refresh_drift(db, changed_documents=grown)
        stats["refreshed"] = len(changed | set(grown))
    stats["concepts"] = len(glossary.concepts)
    if "glossary_state" in db.table_names():  # last: a crash before it means a full recompute next time
        with db.conn:
            db["glossary_state"].upsert({"key": "state", "value": json.dumps(state), "updated_at": now_iso()},
                                        pk="key")
    return stats


__all__ = ["Concept", "Glossary", "GlossaryError", "Platform", "Term", "load_and_refresh", "read_glossary",
           "store_glossary"]
