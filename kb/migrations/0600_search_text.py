"""Search index version 4: its text is :func:`pipeline.text.plain_text` (the one Markdown → plain text of the
project), so an existing index is rebuilt once."""

from kb.db import migrations


@migrations(name="m0600_search_text")
def m0600_search_text(db):
    from kb.store.search_index import reindex

    reindex(db.conn)
