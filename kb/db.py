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

from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

KB_FILE = "policykb.db"

migrations = Migrations("policykb")


def _load_migration_modules():
    """Import ``kb/migrations/*.py`` in file-name order; each registers its steps on ``migrations``.

    A feature adds its tables in its own numbered module (``0100_sections.py``),
    never by editing another's: the order of the file names is the order of
    the schema.
    """
    import importlib
    import pkgutil

    from kb import migrations as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        importlib.import_module(f"kb.migrations.{info.name}")


def kb_path(data_dir) -> Path:
    return Path(data_dir) / KB_FILE


def open_db(data_dir=None, path=None) -> sqlite_utils.Database:
    """Open (and create or migrate) the KB of a data folder.

    :param data_dir: the ``--data`` folder; the KB is ``DATA/policykb.db``
    :param path: an explicit KB file instead
    """
    path = Path(path) if path else kb_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 30000")
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    apply_migrations(db)
    return db


def apply_migrations(db):
    """Apply every pending migration (all modules of ``kb/migrations``)."""
    if not getattr(apply_migrations, "_loaded", False):
        _load_migration_modules()
        apply_migrations._loaded = True
    migrations.apply(db)
