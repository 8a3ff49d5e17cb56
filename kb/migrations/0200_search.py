"""Search: FTS5 indexes over the distinct wordings of sections (see ``kb.search``)."""

from kb.db import migrations


@migrations(name="m0200_search")
def m0200_search(db):
    from kb.store.search_index import reindex

    # Creates the tables and triggers, and indexes the sections already in the KB.
    reindex(db.conn)
