"""Trustworthy changes (issue 4): change classes, section history, dated statements, locale, rule history.

* ``changes.kind`` is ``substantive``, ``cosmetic``, ``flip_flop`` or
  ``reextraction``; ``reasons`` (JSON) says which noise explains a cosmetic
  change, ``returns_to_version_id`` which earlier text a flip-flop returns to,
  ``sections_*`` (JSON lists of keys) what the change did to sections.
* ``change_sections``: one row per section a change added, removed,
  modified or moved, with its own patch and counts.
* ``sections.changed_at``: when the section last changed substantively.
* ``dated_statements``: every last-updated / effective date a version states,
  with the quoted evidence and the section it stands in.
* ``checks.locale`` (declared, pinned) and ``checks.detected_language``;
  ``checks.extracted_hash``: hash of the text before the noise rules (a check
  whose text changed only in noise says so in ``reason``).
* ``versions.rules_hash``: which extraction rules produced the text;
  ``declaration_rules``: every declared set of rules with its ``valid_until``.
"""

from kb.db import migrations


@migrations(name="m0150_changes")
def m0150_changes(db):
    for table, columns in {
        "versions": {"rules_hash": str, "canonical_hash": str, "language": str},
        "checks": {"locale": str, "detected_language": str, "extracted_hash": str},
        "changes": {"reasons": str, "returns_to_version_id": str, "sections_added": str, "sections_removed": str,
                    "sections_modified": str, "sections_moved": str},
        "sections": {"changed_at": str, "changed_version_id": str, "start_line": int},
    }.items():
        for name, type_ in columns.items():
            db[table].add_column(name, type_)
    db["changes"].create_index(["kind"])
    db["change_sections"].create(
        {"id": str, "change_id": str, "document_id": str, "key": str, "old_key": str, "status": str, "moved": int,
         "heading": str, "kind": str, "chars_added": int, "chars_removed": int, "patch": str},
        pk="id",
        foreign_keys=[("change_id", "changes", "id"), ("document_id", "documents", "id")],
    )
    db["change_sections"].create_index(["change_id"])
    db["change_sections"].create_index(["document_id", "key"])
    db["dated_statements"].create(
        {"id": str, "version_id": str, "document_id": str, "kind": str, "date": str, "evidence": str, "line": int,
         "section_key": str, "announced": int},
        pk="id",
        foreign_keys=[("version_id", "versions", "id"), ("document_id", "documents", "id")],
    )
    db["dated_statements"].create_index(["version_id"])
    db["dated_statements"].create_index(["document_id", "date"])
    db["declaration_rules"].create(
        {"id": str, "document_id": str, "valid_until": str, "select_css": str, "remove_css": str,
         "ignore_patterns": str, "sort_lists": int, "rules_hash": str},
        pk="id",
    )
    db["declaration_rules"].create_index(["document_id"])
    db.create_view(
        "substantive_changes",
        """
        select c.id, c.document_id, d.platform_id, d.title, c.detected_at, c.effective_date, c.effective_date_source,
               c.chars_added, c.chars_removed, c.sections_added, c.sections_removed, c.sections_modified,
               c.sections_moved, c.from_version_id, c.to_version_id
        from changes c join documents d on d.id = c.document_id
        where c.kind = 'substantive'
        """,
    )
