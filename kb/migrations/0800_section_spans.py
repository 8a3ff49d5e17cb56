"""Sections as spans of their version's text (issue 19: storage that grows with the text).

A section's text is a slice of its version's text (8,718 of the 8,721 sections of the N = 100 KB of
``bench/storage.py``), so ``sections.text_markdown`` stored the Markdown a second time: 1.2 times the
Markdown of the versions, the largest table after the search indexes. The rows move to the table
``section_spans``, which keeps every column of ``sections`` but stores a slice's text as ``start`` and
``length`` (bytes of its UTF-8, from 0) into ``versions.text_markdown``; ``text_markdown`` keeps the text only of
a section that is not a slice (null otherwise). ``id``, ``changed_version_id`` and ``changed_at`` are stored
only when they are not the usual ``version_id#key``, the section's own version and its first seen (the id's
text primary key becomes a unique index on ``(version_id, key)``; ``rowid`` an INTEGER PRIMARY KEY, which a
VACUUM keeps). ``sections`` is now a view of the same columns, in the same order, with the same ``rowid``s:
every reader (SQL, Datasette's table page, canned queries) reads it as before; it has no row pages in
Datasette (the glossary links evidence to the document page's section instead). Its ``instead of`` triggers
take the writes of older code (an insert finds the slice, an update of the text stores the new text itself).
Readers of many sections at once slice the version text in Python (:func:`pipeline.sqlrows.fill_section_texts`),
reading each version's text once. Together the table and its indexes went from 15.6 to 3.8 MiB on that KB.

The search index's triggers and its index on the sections' wordings move to ``section_spans``
(:func:`kb.store.search_index.create_schema`); the index itself is unchanged (same rowids).
"""

from kb.db import migrations
from kb.sectiontext import TEXT_SQL, spans, stored
from pipeline.sqlrows import SECTION_ID_SQL

#: ``changed_version_id`` and ``changed_at`` are stored only when they are not the section's own version and its
#: first seen (the section changed in its own version, the usual case); '' stands for a null.
CHANGED_VERSION_SQL = "nullif(coalesce(s.changed_version_id, s.version_id), '')"
CHANGED_AT_SQL = "nullif(coalesce(s.changed_at, v.observed_at), '')"
STORED_CHANGED_VERSION = ("case when {new}.changed_version_id is null then '' "
                          "when {new}.changed_version_id = {new}.version_id then null else {new}.changed_version_id end")
STORED_CHANGED_AT = ("case when {new}.changed_at is null then '' when {new}.changed_at = (select observed_at "
                     "from versions where id = {new}.version_id) then null else {new}.changed_at end")

#: The columns of ``sections``, in the order migrations 0100 and 0150 gave them.
COLUMNS = ("id", "version_id", "document_id", "key", "heading", "level", "ordinal", "text_markdown",
           "content_hash", "changed_at", "changed_version_id", "start_line")

VIEW = f"""create view sections as
    select s.rowid as rowid, {SECTION_ID_SQL} as id, s.version_id, s.document_id, s.key, s.heading, s.level, s.ordinal,
           {TEXT_SQL.format(s='s', v='v')} as text_markdown,
           s.content_hash, {CHANGED_AT_SQL} as changed_at, {CHANGED_VERSION_SQL} as changed_version_id,
           s.start_line
    from section_spans s left join versions v on v.id = s.version_id"""

#: Writes to the view land in ``section_spans`` (the store writes there itself, with the spans it found).
TRIGGERS = [
    f"""create trigger sections_insert instead of insert on sections
    begin
        insert into section_spans (id, version_id, document_id, key, heading, level, ordinal, text_markdown,
                                   content_hash, changed_at, changed_version_id, start_line, start, length)
        select case when new.id is new.version_id || '#' || new.key then null else new.id end, new.version_id, new.document_id, new.key, new.heading, new.level, new.ordinal,
               case when found > 0 then null else new.text_markdown end, new.content_hash,
               {STORED_CHANGED_AT.format(new='new')}, {STORED_CHANGED_VERSION.format(new='new')}, new.start_line,
               case when found > 0 then found - 1 end, case when found > 0 then length(cast(new.text_markdown as blob)) end
        from (select case when new.text_markdown is null or new.text_markdown = '' then 0
                          else coalesce((select instr(cast(v.text_markdown as blob), cast(new.text_markdown as blob))
                                         from versions v where v.id = new.version_id), 0) end as found);
    end""",
    f"""create trigger sections_update instead of update on sections
    begin
        update section_spans set
            id = case when new.id is new.version_id || '#' || new.key then null else new.id end, version_id = new.version_id, document_id = new.document_id,
            key = new.key, heading = new.heading, level = new.level, ordinal = new.ordinal,
            content_hash = new.content_hash,
            changed_at = {STORED_CHANGED_AT.format(new='new')},
            changed_version_id = {STORED_CHANGED_VERSION.format(new='new')}, start_line = new.start_line,
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
    # rowid an INTEGER PRIMARY KEY: a VACUUM keeps it (search's rows point at it); id only when it is not the
    # usual version_id || '#' || key (a unique index on (version_id, key) replaces the text primary key)
    conn.execute("""create table section_spans (
        rowid integer primary key, id text,
        version_id text references versions(id), document_id text references documents(id),
        key text, heading text, level integer, ordinal integer,
        text_markdown text,  -- only when the section is not a slice of its version's text
        content_hash text, changed_at text, changed_version_id text, start_line integer,
        start integer,       -- the slice: bytes of UTF-8 from 0 into versions.text_markdown
        length integer)""")
    names = ("rowid",) + COLUMNS
    insert = (f"insert into section_spans (rowid, {', '.join(COLUMNS)}, start, length) "
              f"values ({', '.join('?' * (len(names) + 2))})")
    versions = conn.cursor().execute("select id, text_markdown, observed_at from versions")
    for version_id, text, observed in versions:
        rows = [dict(zip(names, r)) for r in conn.execute(
            f"select rowid, {', '.join(COLUMNS)} from sections where version_id = ? order by ordinal, rowid",
            [version_id])]
        conn.executemany(insert, [[r[c] for c in names] + [r["start"], r["length"]]
                                  for r in stored(spans(text, rows), observed)])
    # sections of no version (none are written so; kept as they are)
    conn.execute(f"""insert into section_spans (rowid, {', '.join(COLUMNS)})
        select rowid, {', '.join(COLUMNS)} from sections where version_id is null
        or version_id not in (select id from versions)""")
    conn.execute("drop table sections")
    conn.execute(VIEW)
    for trigger in TRIGGERS:
        conn.execute(trigger)
    conn.execute("create unique index section_spans_version_key on section_spans (version_id, key)")
    # the search triggers, and its index (document_id, key, content_hash, version_id), which also serves the
    # look-ups by (document_id, key) of the index the table had
    create_schema(conn)
