"""``glossary_state``: what the glossary's derived tables were computed from.

One row, ``state``: a hash of the glossary data files and, per document, what
evidence, candidates and drift depend on (current version, state, locale,
title, platform, number of versions). After a build
only what changed is recomputed (see
:func:`kb.glossary.refresh_glossary`).
"""

from kb.db import migrations


@migrations(name="m0310_glossary_state")
def m0310_glossary_state(db):
    db["glossary_state"].create({"key": str, "value": str, "updated_at": str}, pk="key")
