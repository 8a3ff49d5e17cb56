"""One full-text index for search and the cite check: ``versions_fts`` is dropped (issue 19).

``versions_fts`` (migration 0001: FTS5 trigram over every version's whole text, kept by the triggers
``versions_ai``, ``versions_ad`` and ``versions_au``) served only the cite check's candidates and the
search box of Datasette's ``versions`` table. It indexed each version's whole text again, though most of
a new version's text is the previous version's: on the N = 100 KB of ``bench/peers`` it was about twice
the Markdown it indexed (``bench/storage.py``). The cite check now reads search's trigram index
(``search_trigram``, :mod:`kb.search`), which holds each distinct wording of a section once
(:mod:`kb.cite.candidates`); policykb's search page is the search over version texts.
"""

from kb.db import migrations


@migrations(name="m0780_one_text_index")
def m0780_one_text_index(db):
    for trigger in ("versions_ai", "versions_ad", "versions_au"):
        db.execute(f"drop trigger if exists {trigger}")
    db.execute("drop table if exists versions_fts")
