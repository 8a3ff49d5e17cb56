"""Glossary tables: concepts, terms per platform and language, evidence, drift, candidates.

``glossary_platforms``, ``glossary_concepts`` and ``glossary_terms`` are loaded
from the data files in ``glossary/`` (``policykb glossary load``, and after
every build); ``glossary_evidence``, ``glossary_drift`` and
``glossary_candidates`` are derived from the current versions and their
history. No foreign key points into the core tables, so a rebuild of the
documents never fails on the glossary.
"""

from kb.db import migrations


@migrations(name="m0300_glossary")
def m0300_glossary(db):
    db["glossary_platforms"].create(
        {"id": str, "name": str, "name_zh": str, "homepage": str, "kb_platforms": str, "languages": str,
         "demo": int, "ordinal": int},
        pk="id",
    )
    db["glossary_concepts"].create(
        {"id": str, "label": str, "label_zh": str, "definition": str, "subject_field": str, "gloss_formal": str,
         "gloss_plain": str, "note": str, "tricky": int, "source_file": str, "ordinal": int},
        pk="id",
    )
    db["glossary_terms"].create(
        {"id": str, "concept_id": str, "platform": str, "language": str, "term": str, "status": str,
         "equivalence": str, "note": str, "definition": str, "source_url": str, "source_document": str,
         "source_section": str, "gloss_formal": str, "gloss_plain": str, "is_label": int, "case_sensitive": int,
         "ordinal": int, "evidence_count": int, "evidence_documents": int, "attestation": str,
         "attestation_note": str, "checked_at": str},
        pk="id",
        foreign_keys=[("concept_id", "glossary_concepts", "id")],
    )
    db["glossary_terms"].create_index(["concept_id"])
    db["glossary_terms"].create_index(["platform", "language"])
    db["glossary_terms"].create_index(["attestation"])
    db["glossary_evidence"].create(
        {"term_id": str, "kb_platform_id": str, "document_id": str, "version_id": str, "section_id": str,
         "section_key": str, "section_heading": str, "occurrences": int, "snippet": str},
        pk=("term_id", "version_id", "section_id"),
        foreign_keys=[("term_id", "glossary_terms", "id")],
    )
    db["glossary_evidence"].create_index(["document_id"])
    db["glossary_drift"].create(
        {"id": int, "term_id": str, "concept_id": str, "kb_platform_id": str, "document_id": str,
         "last_seen_version_id": str, "last_seen_at": str, "gone_version_id": str, "gone_at": str,
         "occurrences_before": int, "replaced_by": str, "replaced_by_count": int, "replaced_by_term_id": str,
         "replaced_by_concept_id": str, "still_used_in": str, "example_before": str, "example_after": str},
        pk="id",
        foreign_keys=[("term_id", "glossary_terms", "id")],
    )
    db["glossary_drift"].create_index(["term_id"])
    db["glossary_candidates"].create(
        {"kb_platform_id": str, "language": str, "candidate": str, "kind": str, "occurrences": int,
         "documents": int, "example_document_id": str, "example_section_id": str, "example": str},
        pk=("kb_platform_id", "candidate"),
    )
