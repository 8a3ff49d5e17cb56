"""Rule values (issue 23): deadlines, metric thresholds and penalty-point levels, per version, with evidence.

* ``rule_values``: one row per value a version's section states (``pipeline.rules``): ``kind``
  (``time_limit``, ``metric_threshold``, ``point_threshold``), ``value``, ``unit``, ``subject`` (what it limits
  or measures), ``concept_id`` (the glossary concept it belongs to, where one fits), ``comparator``,
  ``time_window``, ``action`` (a point level's consequence), ``phrase`` and ``evidence`` (the sentence).
* ``rule_value_versions``: the versions the derived step has read (a version with no value is read too), so
  the build only reads versions it has not seen.
* ``rule_value_changes``: a value that changed between two consecutive versions of a document (4 % → 3 %,
  2 个工作日 → 24 小时), with the change it belongs to, old and new value, unit and evidence.
* view ``rule_value_spans``: each distinct value of a document's section with its first and last version and
  when it was first seen (``versions.observed_at``) and last seen (latest check that found one of them).
"""

from kb.db import migrations


@migrations(name="m0730_rule_values")
def m0730_rule_values(db):
    db["rule_values"].create(
        {"id": str, "version_id": str, "document_id": str, "platform_id": str, "section_key": str, "ordinal": int,
         "kind": str, "value": float, "unit": str, "subject": str, "concept_id": str, "comparator": str,
         "time_window": str, "action": str, "phrase": str, "evidence": str, "language": str, "observed_at": str},
        pk="id",
        foreign_keys=[("version_id", "versions", "id"), ("document_id", "documents", "id")],
    )
    db["rule_values"].create_index(["version_id"])
    db["rule_values"].create_index(["concept_id", "platform_id"])
    db["rule_values"].create_index(["document_id", "section_key"])
    db["rule_value_versions"].create(
        {"version_id": str, "document_id": str, "values_found": int}, pk="version_id",
        foreign_keys=[("version_id", "versions", "id")],
    )
    db["rule_value_changes"].create(
        {"id": str, "change_id": str, "document_id": str, "platform_id": str, "section_key": str, "kind": str,
         "subject": str, "concept_id": str, "old_value": float, "new_value": float, "old_unit": str, "new_unit": str,
         "old_window": str, "new_window": str, "old_evidence": str, "new_evidence": str, "from_version_id": str,
         "to_version_id": str, "detected_at": str},
        pk="id",
        foreign_keys=[("change_id", "changes", "id"), ("document_id", "documents", "id")],
    )
    db["rule_value_changes"].create_index(["change_id"])
    db["rule_value_changes"].create_index(["detected_at"])
    db.create_view(
        "rule_value_spans",
        """
        select r.platform_id, r.document_id, r.section_key, r.kind, r.subject, r.concept_id, r.value, r.unit,
               r.comparator, r.time_window, min(r.observed_at) as first_seen,
               max((select max(c.checked_at) from checks c where c.version_id = r.version_id)) as last_seen,
               min(r.version_id) as first_version_id, max(r.version_id) as last_version_id,
               count(distinct r.version_id) as versions,
               max(r.version_id = d.current_version_id) as current
        from rule_values r join documents d on d.id = r.document_id
        group by r.document_id, r.section_key, r.kind, r.subject, r.concept_id, r.value, r.unit, r.comparator,
                 r.time_window
        """,
    )
