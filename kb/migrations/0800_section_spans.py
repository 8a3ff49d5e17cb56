"""Sections as spans of their version's text (issue 19: storage that grows with the text).

A section's text is a slice of its version's text (8,718 of the 8,721 sections of the N = 100 KB of
``bench/storage.py``), so ``sections.text_markdown`` stored the Markdown a second time: 1.2 times the
Markdown of the versions, the largest table after the search indexes. The rows move to the table
``section_spans``, which keeps every column of ``sections`` but stores a slice's text as ``start`` and
``length`` (bytes of its UTF-8, from 0) into ``versions.text_markdown``; ``text_markdown`` keeps the text only of
a section that is not a slice (null otherwise). ``sections`` is now a view of the same columns, in the
same order, with the same ``rowid``s: every reader (SQL, Datasette's table page, canned queries) reads
it as before. Its ``instead of`` triggers take the writes of older code (an insert finds the slice, an
update of the text stores the new text itself). Readers of many sections at once slice the version
text in Python (:mod:`kb.sectiontext`), reading each version's text once.

The search index's triggers and its index on the sections' wordings move to ``section_spans``
(:func:`kb.store.search_index.create_schema`); the index itself is unchanged (same rowids).
"""

from kb.db import migrations
from kb.sectiontext import TEXT_SQL, spans

#: The columns of ``sections``, in the order migrations 0100 and 0150 gave them.
COLUMNS = ("id", "version_id", "document_id", "key", "heading", "level", "ordinal", "text_markdown",
           "content_hash", "changed_at", "changed_version_id", "start_line")

VIEW = f"""create view sections as
    select s.rowid as rowid, s.id, s.version_id, s.document_id, s.key, s.heading, s.level, s.ordinal,
           {TEXT_SQL.format(s='s', v='v')} as text_markdown,
           s.content_hash, s.changed_at, s.changed_version_id, s.start_line
    from section_spans s left join versions v on v.id = s.version_id"""

#: Writes to the view land in ``section_spans`` (the store writes there itself, with the spans it found).
TRIGGERS = [
    """create trigger sections_insert instead of insert on sections
    begin
        insert into section_spans (id, version_id, document_id, key, heading, level, ordinal, text_markdown,
                                   content_hash, changed_at, changed_version_id, start_line, start, length)
        select new.id, new.version_id, new.document_id, new.key, new.heading, new.level, new.ordinal,
               case when found > 0 then null else new.text_markdown end, new.content_hash, new.changed_at,
               new.changed_version_id, new.start_line,
               case when found > 0 then found - 1 end, case when found > 0 then length(cast(new.text_markdown as blob)) end
        from (select case when new.text_markdown is null or new.text_markdown = '' then 0
                          else coalesce((select instr(cast(v.text_markdown as blob), cast(new.text_markdown as blob))
                                         from versions v where v.id = new.version_id), 0) end as found);
    end""",
    """create trigger sections_update instead of update on sections
    begin
        update section_spans set id = new.id, version_id = new.version_id, document_id = new.document_id,
            key = new.key, heading = new.heading, level = new.level, ordinal = new.ordinal,
            content_hash = new.content_hash, changed_at = new.changed_at,
            changed_version_id = new.changed_version_id, start_line = new.start_line,
            text_markdown = case when new.text_markdown is old.text_markdown then text_markdown
                                 else new.text_markdown end,
            start = case when new.text_markdown is old.text_markdown then start end,
            length = case when new.text_markdown is old.text_markdown then length end
        where rowid = old.rowid;
    end""",
    """create trigger sections_delete instead of delete on sections
    begin
        delete from section_spans where rowid = old.rowid;
    end""",
]


@migrations(name="m0800_section_spans")
def m0800_section_spans(db):
    from kb.store.search_index import TRIGGER_NAMES, create_schema

    conn = db.conn
    for name in TRIGGER_NAMES:  # they are on sections; create_schema puts them on section_spans
        conn.execute(f"drop trigger if exists {name}")
    conn.execute("""create table section_spans (
        id text primary key, version_id text references versions(id), document_id text references documents(id),
        key text, heading text, level integer, ordinal integer,
        text_markdown text,  -- only when the section is not a slice of its version's text
        content_hash text, changed_at text, changed_version_id text, start_line integer,
        start integer,       -- the slice: bytes of UTF-8 from 0 into versions.text_markdown
        length integer)""")
    names = ("rowid",) + COLUMNS
    insert = (f"insert into section_spans (rowid, {', '.join(COLUMNS)}, start, length) "
              f"values ({', '.join('?' * (len(names) + 2))})")
    versions = conn.cursor().execute("select id, text_markdown from versions")
    for version_id, text in versions:
        rows = [dict(zip(names, r)) for r in conn.execute(
            f"select rowid, {', '.join(COLUMNS)} from sections where version_id = ? order by ordinal, rowid",
            [version_id])]
        conn.executemany(insert, [[r[c] for c in names] + [r["start"], r["length"]] for r in spans(text, rows)])
    # sections of no version (none are written so; kept as they are)
    conn.execute(f"""insert into section_spans (rowid, {', '.join(COLUMNS)})
        select rowid, {', '.join(COLUMNS)} from sections where version_id is null
        or version_id not in (select id from versions)""")
    conn.execute("drop table sections")
    conn.execute(VIEW)
    for trigger in TRIGGERS:
        conn.execute(trigger)
    conn.execute("create index section_spans_version_id_ordinal on section_spans (version_id, ordinal)")
    # the search triggers, and its index (document_id, key, content_hash, version_id), which also serves the
    # look-ups by (document_id, key) of the index the table had
    create_schema(conn)
