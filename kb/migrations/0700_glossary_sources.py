"""``glossary_term_sources``: where each glossary term's wording comes from.

One row per row of ``glossary_terms`` (same id): ``sourcing`` says which kind
of source the data files give, ``document`` (a tracked KB document, in
``glossary_terms.source_document``), ``page`` (a cited page of the platform,
``glossary_terms.source_url``), ``general`` (a platform-neutral word, needs
none) or ``unsourced``; a cited page also has its ``source_title``,
``source_quote`` (one short sentence of it that uses the term) and
``source_read`` (the day it was read, ``YYYY-MM-DD``).

A table of its own rather than new columns of ``glossary_terms``, so that
opening a KB of an earlier release changes none of the rows it recorded; it
is filled when the glossary is next loaded (every build).
"""

from kb.db import migrations


@migrations(name="m0700_glossary_sources")
def m0700_glossary_sources(db):
    db["glossary_term_sources"].create(
        {"term_id": str, "sourcing": str, "source_title": str, "source_quote": str, "source_read": str},
        pk="term_id",
        foreign_keys=[("term_id", "glossary_terms", "id")],
    )
    db["glossary_term_sources"].create_index(["sourcing"])
