"""Writes of the rule values (``kb/migrations/0730_rule_values.py``, ``0770_rule_state.py``): one version's values,
the version marked read (with what it was read with), and the value changes from its predecessor; all inside the
caller's transaction (one per version)."""

from __future__ import annotations

from kb.store import insert_rows


def insert_version_values(db, version_id: str, document_id: str, value_rows: list[dict], change_rows: list[dict],
                          state: dict):
    """A version's rule values and its value changes (replacing any read before), and the mark that the version
    has been read with ``state`` (``{"glossary": hash, "extractor": pipeline.rules.extractor_state()}``)."""
    db.execute("delete from rule_values where version_id = ?", [version_id])
    db.execute("delete from rule_value_changes where to_version_id = ?", [version_id])
    insert_rows(db, "rule_values", value_rows, replace=True)
    insert_rows(db, "rule_value_changes", change_rows, replace=True)
    insert_rows(db, "rule_value_versions", [{"version_id": version_id, "document_id": document_id,
                                             "values_found": len(value_rows), "glossary": state["glossary"],
                                             "extractor": state["extractor"]}], replace=True)
