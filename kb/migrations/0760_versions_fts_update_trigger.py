"""The cite index (``versions_fts``) re-indexes a version only when its text changes.

sqlite-utils' ``enable_fts(create_triggers=True)`` (migration 0001) made ``versions_au`` fire after
*any* update of a ``versions`` row, and the build updates every new version at least once (its
``check_id``, see :func:`kb.store.records.insert_check`): each new version's whole text was indexed,
then deleted from the trigram index and indexed again, in the same transaction (work thrown away; the
index's size after a build was the same within 1 %, its segments being merged). Same trigger, limited
to updates of ``text_markdown`` (the only indexed column); the index's content is unchanged.
"""

from kb.db import migrations


@migrations(name="m0760_versions_fts_update_trigger")
def m0760_versions_fts_update_trigger(db):
    db.execute("drop trigger if exists versions_au")
    db.execute("""
        create trigger versions_au after update of text_markdown on versions begin
          insert into versions_fts (versions_fts, rowid, text_markdown)
            values ('delete', old.rowid, old.text_markdown);
          insert into versions_fts (rowid, text_markdown) values (new.rowid, new.text_markdown);
        end""")
