"""One full-text index of the wordings for search and the cite check (issue 19).

``versions_fts`` (migration 0001: FTS5 trigram over every version's whole text, kept by the triggers
``versions_ai``, ``versions_ad`` and ``versions_au``) served only the cite check's candidates and the
search box of Datasette's ``versions`` table. It indexed each version's whole text again, though most of
a new version's text is the previous version's: on the N = 100 KB of ``bench/peers`` it was about twice
the Markdown it indexed (``bench/storage.py``). It is dropped: the cite check reads search's indexes,
which hold each distinct wording of a section once (:mod:`kb.cite.candidates`); policykb's search page is
the search over version texts.

Search's trigram index (``search_trigram``) now holds only the wordings with a character of a script
written without spaces, the only ones its terms can match (:func:`kb.store.search_index.in_trigram_index`;
the words of spaced scripts are served by ``search_short``): the search index is rebuilt once.
"""

from kb.db import migrations


@migrations(name="m0780_one_text_index")
def m0780_one_text_index(db):
    from kb.store.search_index import reindex

    for trigger in ("versions_ai", "versions_ad", "versions_au"):
        db.execute(f"drop trigger if exists {trigger}")
    db.execute("drop table if exists versions_fts")
    reindex(db.conn)
