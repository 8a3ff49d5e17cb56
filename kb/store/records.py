"""Writes of the build's core tables: platforms, documents, declaration rules, checks, versions, changes,
sections, dated statements, and which WARC files are ingested.

Each function writes inside the caller's transaction (the build stores archived
records a batch to a transaction, ``kb.ingest.BATCH``); none commits on its own.
"""

from __future__ import annotations

import json

from kb.sectiontext import spans, stored
from kb.store import insert_rows
from pipeline.normalize import rules_at, rules_hash
from pipeline.timeutil import now_iso


def sync_declarations(db, platforms):
    """Upsert declared platforms and documents (their declared metadata only), with their rules.

    Only the rows that differ from the declarations are written: every build runs this, and at 1,000 unchanged
    documents rewriting them all was a tenth of a build where nothing changed.
    """
    with db.atomic():
        stored_platforms = _stored(db, "platforms", PLATFORM_COLUMNS)
        stored_documents = _stored(db, "documents", DOCUMENT_COLUMNS)
        stored_rules = {}
        for row in db.execute(f"select document_id, {', '.join(RULES_COLUMNS)} from declaration_rules"):
            stored_rules.setdefault(row[0], set()).add(tuple(row[1:]))
        for p in platforms:
            row = {"id": p.id, "name": p.name, "name_zh": p.name_zh, "homepage": p.homepage,
                   "source_file": p.source_file, "demo": int(p.demo)}
            if stored_platforms.get(p.id) != _values(row, PLATFORM_COLUMNS):
                db["platforms"].upsert(row, pk="id")
            for d in p.documents:
                rules = _rules_rows(d)
                if stored_rules.get(d.key) != {_values(r, RULES_COLUMNS) for r in rules}:
                    db.execute("delete from declaration_rules where document_id = ?", [d.key])
                    db["declaration_rules"].insert_all(rules, pk="id")
                row = {"id": d.key, "platform_id": p.id, "slug": d.id, "title": d.title, "title_en": d.title_en,
                       "title_zh": d.title_zh, "url": d.url, "locale": d.locale, "doc_type": d.type, "js": int(d.js)}
                if stored_documents.get(d.key) != _values(row, DOCUMENT_COLUMNS):
                    db["documents"].upsert(row, pk="id")
            _mark_undeclared(db, p.id, {d.key for d in p.documents})


#: The columns :func:`sync_declarations` writes (``id`` first)
PLATFORM_COLUMNS = ("id", "name", "name_zh", "homepage", "source_file", "demo")
DOCUMENT_COLUMNS = ("id", "platform_id", "slug", "title", "title_en", "title_zh", "url", "locale", "doc_type", "js")
RULES_COLUMNS = ("id", "valid_until", "select_css", "remove_css", "ignore_patterns", "sort_lists", "rules_hash")


def _stored(db, table, columns) -> dict:
    return {row[0]: tuple(row) for row in db.execute(f"select {', '.join(columns)} from {table}")}


def _values(row: dict, columns) -> tuple:
    return tuple(row[c] for c in columns)


def _mark_undeclared(db, platform_id, declared: set):
    """Record the platform's documents its declaration no longer lists (once, with now); forget the ones it
    lists again."""
    known = [r[0] for r in db.execute("select id from documents where platform_id = ?", [platform_id])]
    gone = {r[0] for r in db.execute("select document_id from undeclared_documents where platform_id = ?",
                                     [platform_id])}
    for document_id in known:
        if document_id in declared and document_id in gone:
            db.execute("delete from undeclared_documents where document_id = ?", [document_id])
        elif document_id not in declared and document_id not in gone:
            db["undeclared_documents"].insert(
                {"document_id": document_id, "platform_id": platform_id, "undeclared_at": now_iso()})


def _rules_rows(document) -> list[dict]:
    """The ``declaration_rules`` rows of a declared document: its rules, current and past (``history``)."""
    epochs = list(getattr(document, "history", ()) or ()) + [rules_at(document, None)]
    return [{"id": f"{document.key}@{e.valid_until or 'current'}", "document_id": document.key,
             "valid_until": e.valid_until or None, "select_css": json.dumps(list(e.select)),
             "remove_css": json.dumps(list(e.remove)), "ignore_patterns": json.dumps(list(e.rules.ignore_patterns)),
             "sort_lists": int(e.rules.sort_lists), "rules_hash": rules_hash(e.select, e.remove, e.rules)}
            for e in epochs]


def ensure_platform(db, platform_id):
    """A platform row, bare if it is not declared (a record or a discovered page of an unknown platform)."""
    db["platforms"].insert({"id": platform_id, "name": platform_id}, pk="id", ignore=True)


def ensure_document(db, document_id, url):
    """A bare document row for a record whose document is not declared (any more)."""
    platform_id = document_id.split("/")[0]
    ensure_platform(db, platform_id)
    db["documents"].insert(
        {"id": document_id, "platform_id": platform_id, "slug": document_id.split("/", 1)[-1], "title": document_id,
         "url": url},
        pk="id", ignore=True,
    )


def update_document(db, document_id, columns: dict):
    """Set ``columns`` of a document that exists (plain SQL: the build calls it for every check)."""
    if not columns:
        return
    sets = ", ".join(f"[{name}] = ?" for name in columns)
    updated = db.execute(f"update documents set {sets} where id = ?", [*columns.values(), document_id]).rowcount
    if updated != 1:
        raise LookupError(f"no document {document_id!r} to update")


def insert_version(db, row: dict):
    insert_rows(db, "versions", [row])


def set_version_rules(db, version_id, rules_hash_value):
    """The current version's text is what the new rules give too: it is valid under them."""
    db.execute("update versions set rules_hash = ? where id = ?", [rules_hash_value, version_id])


def insert_change(db, row: dict, section_rows: list[dict]):
    insert_rows(db, "changes", [row])
    insert_rows(db, "change_sections", section_rows)


def insert_sections(db, section_rows, statement_rows):
    """A version's sections (in order, all of one version, already stored) and its dated statements.

    A section that is a slice of its version's text is stored as its span (:mod:`kb.sectiontext`)."""
    rows = list(section_rows)
    if rows:
        version = db.execute("select text_markdown, observed_at from versions where id = ?",
                             [rows[0]["version_id"]]).fetchone() or (None, None)
        insert_rows(db, "section_spans", stored(spans(version[0], rows), version[1]))
    insert_rows(db, "dated_statements", statement_rows)


def insert_check(db, row: dict) -> int:
    """One check; the versions of its document made by this record point at it. Returns its id."""
    names = list(row)
    check_id = db.execute(f"insert into checks ({', '.join(f'[{n}]' for n in names)}) values "
                          f"({', '.join('?' for _ in names)})", [row[n] for n in names]).lastrowid
    db.execute("update versions set check_id = ? where document_id = ? and check_id is null",
               [check_id, row["document_id"]])
    return check_id


def mark_warc_ingested(db, name, records):
    """A WARC file is fully ingested: the next build skips it."""
    with db.atomic():
        db["warc_files"].insert({"name": name, "records": records, "ingested_at": now_iso()}, pk="name",
                                replace=True)


def release_free_pages(db) -> int:
    """Hand the KB file's free pages back to the file system (``PRAGMA incremental_vacuum``): a KB created by
    this release has ``auto_vacuum = INCREMENTAL`` (:func:`kb.db.open_db`); an older one (``NONE``) keeps
    them for its next writes. Returns the pages released."""
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    if not free or db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        return 0
    # the pragma returns a row per page it frees, which a cursor's execute() does not step through;
    # executescript() steps each statement to its end (and commits what is pending first)
    db.conn.executescript("PRAGMA incremental_vacuum;")
    return free - db.execute("PRAGMA freelist_count").fetchone()[0]
