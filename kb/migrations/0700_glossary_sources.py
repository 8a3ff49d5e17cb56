"""Where each glossary term's wording comes from: the cited page's title, quote and date read, and the sourcing.

``glossary_terms.source_url`` already held a page; a citation now also carries
``source_title`` (the page's title), ``source_quote`` (one short sentence of it
that uses the term) and ``source_read`` (the day it was read, ``YYYY-MM-DD``).
``sourcing`` says which kind of source the data files give: ``document`` (a
tracked KB document), ``page`` (a cited page of the platform), ``general``
(a platform-neutral word) or ``unsourced``.
"""

from kb.db import migrations


@migrations(name="m0700_glossary_sources")
def m0700_glossary_sources(db):
    table = db["glossary_terms"]
    for column in ("source_title", "source_quote", "source_read", "sourcing"):
        table.add_column(column, str)
    table.create_index(["sourcing"])
