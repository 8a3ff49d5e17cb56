"""The KB: one SQLite file, written through sqlite-utils, in WAL mode.

The schema is one set of migrations (``Migrations("policykb")``); ``open_db``
applies any that are pending. The KB is derived from the WARCs and can be
rebuilt from them at any time. All times are UTC ISO 8601 strings.

Tables: ``platforms``, ``documents`` (declared pages with their current
state), ``checks`` (every fetch attempt and its outcome), ``versions``
(distinct normalized texts, in order), ``changes`` (the diff from one version
to the next) and ``warc_files`` (which archive files are fully ingested).
"""

from __future__ import annotations

import sys
from pathlib import Path


def _import_sqlite_utils():
    """Import sqlite-utils without numpy, unless something loaded numpy already.

    sqlite-utils imports numpy when it is installed (py3langid brings it) only to map numpy's scalar types to column
    types when it creates a table from values; our tables come from migrations and our values are Python's.
    Loading numpy cost every command that opens the KB about 0.2 CPU s, a build where nothing changed included;
    what needs it (language detection) still imports it as usual.
    """
    if "numpy" in sys.modules or "sqlite_utils" in sys.modules:
        return
    sys.modules["numpy"] = None  # `import numpy` raises ImportError, which sqlite-utils expects when it is absent
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]


_import_sqlite_utils()

import sqlite_utils  # noqa: E402
from sqlite_utils import Migrations  # noqa: E402

from kb.data import kb_path


migrations = Migrations("policykb")


#: The schema's steps, one module of ``kb/migrations`` per feature, in the order they apply. A new
#: feature adds its module here (never by editing another's): this list is the order of the schema.
MIGRATION_MODULES = ("0001_core", "0100_sections", "0150_changes", "0200_search", "0300_glossary",
                     "0310_glossary_state", "0400_ops", "0500_discovery", "0600_search_text",
                     "0700_glossary_sources", "0710_check_selector", "0720_undeclared", "0730_rule_values",
                     "0740_change_concepts", "0745_brief_deliveries", "0750_citations",
                     "0760_versions_fts_update_trigger", "0761_brief_through", "0770_rule_state",
                     "0780_one_text_index", "0790_check_fingerprint", "0800_section_spans", "0820_search_wordings",
                     "0830_section_wordings_index")


def _load_migration_modules():
    """Import the modules of :data:`MIGRATION_MODULES`; each registers its steps on ``migrations``."""
    import importlib

    for name in MIGRATION_MODULES:
        importlib.import_module(f"kb.migrations.{name}")


def open_db(data_dir=None, path=None) -> sqlite_utils.Database:
    """Open (and create or migrate) the KB of a data folder.

    :param data_dir: the ``--data`` folder; the KB is ``DATA/policykb.db``
    :param path: an explicit KB file instead
    """
    path = Path(path) if path else kb_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create(path)
    db = _connect(path)
    apply_migrations(db)
    return db


def _connect(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 30000")
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def _create(path: Path) -> None:
    """Create a new KB so that it appears whole or not at all: the schema is written into a file of
    this process's own, which is then linked to ``path``. A process killed while creating leaves no
    KB without tables (only its own ``.new`` file, which the next creation removes); when two
    processes create at once, the first link wins and the other opens that KB."""
    import os

    for stale in path.parent.glob(f"{path.name}.*.new*"):
        try:
            pid = int(stale.name[len(path.name) + 1:].split(".")[0])
            os.kill(pid, 0)  # still creating: leave it
        except ProcessLookupError:
            stale.unlink(missing_ok=True)
        except (ValueError, PermissionError):
            pass
    fresh = path.with_name(f"{path.name}.{os.getpid()}.new")
    for leftover in (fresh, Path(f"{fresh}-wal"), Path(f"{fresh}-shm")):
        leftover.unlink(missing_ok=True)
    db = _connect(fresh)
    try:
        # before any table (a VACUUM of the empty file applies it): free pages can then be handed back at the end
        # of a build (kb.store.records.release_free_pages)
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute("VACUUM")
        apply_migrations(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    try:
        os.link(fresh, path)
    except FileExistsError:
        pass  # another process created it first
    finally:
        for leftover in (fresh, Path(f"{fresh}-wal"), Path(f"{fresh}-shm")):
            leftover.unlink(missing_ok=True)


def apply_migrations(db):
    """Apply every pending migration (the modules of :data:`MIGRATION_MODULES`)."""
    if not getattr(apply_migrations, "_loaded", False):
        _load_migration_modules()
        apply_migrations._loaded = True
    migrations.apply(db)
