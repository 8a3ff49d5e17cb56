"""The build: archived fetches in, a KB out. Its steps are listed in :func:`build`, in order.

``policykb build`` runs :func:`build` on the new WARC files of a data folder;
``policykb rebuild`` runs the same function over every WARC into a new file
(:func:`rebuild`); ``policykb watch`` runs it after each crawl. Nothing else
adds steps: a new derived table gets a line in :func:`build`.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from pathlib import Path

from kb import ingest
from kb.store import records
from kb.data import REBUILD_DIR, glossary_folder, kb_path
from kb.db import open_db

logger = logging.getLogger(__name__)

#: Tables that are not derived from the WARCs: a rebuild copies them from the KB it replaces (when a document
#: left its declaration is known only to the builds that saw it go; the watch list of citations is the users').
CARRY_OVER = ("runs", "alerts", "schedule", "undeclared_documents", "brief_deliveries", "citations")


def build(db, data_dir, platforms, progress=None) -> ingest.BuildStats:
    """Turn the newly archived fetches of a data folder into checks, versions and changes, then derive the rest.

    Archived records are stored in transactions of :data:`kb.ingest.BATCH` (a build killed at any moment leaves the
    KB consistent, having lost at most the batch it was storing; the next one converges). The derived steps each
    look only at what they have not seen yet.

    :param db: the KB (:func:`kb.db.open_db`)
    :param data_dir: the data folder holding ``warcs/`` (and ``runs/``)
    :param platforms: the declared platforms (:func:`pipeline.sources.load_sources`)
    :param progress: optional ``progress(records_done)``; it may raise to stop between two records
    """
    from glossary import GlossaryError
    from kb.discovery import ingest_discovery
    from kb.glossary import refresh_glossary
    from kb.impact import refresh_change_concepts
    from kb.ops import alerts
    from kb.ops.runs import record_runs
    from kb.ops.watch import plan_documents, sync_schedule
    from kb.cite.watchlist import check_citations
    from kb.rules import derive as derive_rule_values
    from kb.store.search_index import sync as sync_search_index

    # 1. declarations: platforms, documents and their extraction rules (current and past)
    records.sync_declarations(db, platforms)
    # 2. every archived record, in archive order: extract -> normalize -> decide -> store
    #    (one check each; at most one new version, its change, sections and dated statements)
    stats = ingest.ingest_archive(db, data_dir, platforms, progress)
    # 3. glossary: the concepts and terms, their evidence in the current versions, candidates, drift;
    try:
        refresh_glossary(db, glossary_folder(data_dir), force=False)
    except GlossaryError as exc:
        logger.warning("glossary not loaded: %s", exc)
    #    and impact by concept: the concepts each new substantive change touches (all again for a new glossary)
    refresh_change_concepts(db)
    #    and rule values: deadlines, thresholds and point levels of each version not read yet, and their changes
    derive_rule_values(db)
    # 4. the schedule's intervals for newly declared documents (a running watch's own options win)
    if platforms:
        sync_schedule(db, plan_documents(platforms), keep_known=True)
    # 5. crawl statistics (DATA/runs/*.json) become runs, with the outcomes of their checks
    record_runs(db, data_dir)
    # 6. the watch list: each saved citation whose document has a new version (or was taken down) checked
    #    again by the cite check; its state (current, moved, changed, removed) is what the alerts read
    check_citations(db)
    # 7. alerts: evaluate what needs a person (citations no longer as cited included); notify if configured
    config = alerts.NotifyConfig.from_env()
    alerts.evaluate(db, after=config.after)
    alerts.notify_pending(db, config)
    # 8. the search index over the sections the build added (and without the ones it removed)
    with db.atomic():
        sync_search_index(db.conn)
    # 9. discovery: pages the spider found on help-centre pages, not declared yet
    ingest_discovery(db, data_dir)
    # 10. the pages the steps freed (merged index segments, rows updated) go back to the file system
    records.release_free_pages(db)
    return stats


def rebuild(data_dir, platforms, progress=None) -> ingest.BuildStats:
    """Re-derive the whole KB from the WARCs alone: :func:`build` into a new file, then swap it in.

    The new KB is built in ``DATA/.rebuild`` (whose ``warcs`` links to the data folder's), the tables
    in :data:`CARRY_OVER` are copied from the KB it replaces, and it replaces the old file in one
    rename. A rebuild killed half-way leaves the old KB as it was.
    """
    target = kb_path(data_dir)
    tmp_dir = Path(data_dir) / REBUILD_DIR
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir(parents=True)
    (tmp_dir / "warcs").symlink_to(Path(data_dir).resolve() / "warcs", target_is_directory=True)
    db = open_db(tmp_dir)
    try:
        if target.exists():
            carry_over(target, db)
        stats = build(db, tmp_dir, platforms, progress)
    finally:
        db.close()
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(kb_path(tmp_dir), target)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    return stats


def carry_over(old_kb, db, tables=CARRY_OVER):
    """Copy the rows of ``tables`` from the KB file ``old_kb`` into ``db`` (the columns both have)."""
    from kb.store import copy_rows

    src = sqlite3.connect(f"file:{old_kb}?mode=ro", uri=True)
    try:
        present = {r[0] for r in src.execute("select name from sqlite_master where type = 'table'")}
        for table in tables:
            if table in present:
                cur = src.execute(f"select * from [{table}]")
                copy_rows(db, table, [c[0] for c in cur.description], cur)
    finally:
        src.close()
