"""Search's wordings without the columns their sections hold (issue 19: storage that grows with the text).

``search_sections`` stored, for each distinct wording of a section, its document, key and content hash (the
section of the same rowid holds them), with a unique index on the three, and every filter token indexed with
it, mostly its document's (the same for all its wordings; ``search_documents`` holds them): about 2 MiB of the
23.6 MiB KB of ``bench/storage.py``. The table ``search_wordings`` keeps a wording's rowid, its own filter
tokens (month first seen, current) and whether it is pending; ``search_sections`` is now a view with the same
columns (the cite check and Datasette read it), and a wording is indexed once by looking its wording up in the
sections' index ``sections_search_wording`` (:mod:`kb.store.search_index`, layout 7). The search index is
rebuilt once, in this migration's transaction; its answers are unchanged.
"""

from kb.db import migrations


@migrations(name="m0820_search_wordings")
def m0820_search_wordings(db):
    from kb.store.search_index import reindex

    reindex(db.conn)
