"""Impact by concept (issue 21): which concepts each substantive change touches, in which section.

* ``change_concepts``: one row per change × section × glossary term found there, with the term's concept;
  ``side`` says whether the row is about the section's text after the change (``new``) or before it
  (``old``); ``in_change`` = 1 when the term stands in a sentence the change altered (the change touches the
  concept; else the concept only shares the section with what changed). Derived by :func:`kb.impact.refresh_change_concepts` (a build step) from
  ``change_sections``, the two versions' sections and the glossary's terms.
* ``change_concepts_state``: per change, the glossary (its hash, as in ``glossary_state``) its rows were
  computed with: a build computes only changes it has not seen, or all of them when the glossary changed.

No foreign key into the glossary tables: the glossary is reloaded (deleted and inserted) on every change.
"""

from kb.db import migrations


@migrations(name="m0740_change_concepts")
def m0740_change_concepts(db):
    db["change_concepts"].create(
        {"change_id": str, "document_id": str, "section_key": str, "section_heading": str, "concept_id": str,
         "term_id": str, "side": str, "occurrences": int, "in_change": int},
        pk=("change_id", "section_key", "term_id", "side"),
        foreign_keys=[("change_id", "changes", "id"), ("document_id", "documents", "id")],
    )
    db["change_concepts"].create_index(["concept_id"])
    db["change_concepts"].create_index(["document_id"])
    db["change_concepts_state"].create({"change_id": str, "glossary": str}, pk="change_id")
