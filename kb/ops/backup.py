"""A consistent copy of the KB while it is being written and served.

SQLite's online backup API (``sqlite3.Connection.backup``) copies the pages
of a live database. It is run here in one step (``pages=-1``): the copy is
made inside one read transaction, so it is the KB as of one instant, and in
WAL mode that read blocks neither the builder writing nor Datasette reading.
(Copying in small steps would let a write from another connection restart
the backup from the first page, which under a busy builder may never end.)
The copy is written beside the target, switched out of WAL mode so it is one
self-contained file, checked with ``PRAGMA integrity_check``, and only then
renamed into place: a backup that fails leaves no half-written file.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path


class BackupError(RuntimeError):
    """The copy failed its integrity check or could not be written."""


def backup_path(target) -> Path:
    """A folder gets a file named by the time; anything else is the file itself."""
    target = Path(target)
    if target.is_dir():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        return target / f"policykb-{stamp}.db"
    return target


def backup(source, target) -> dict:
    """Copy the KB at ``source`` to ``target`` with SQLite's online backup.

    :param source: the KB file (``DATA/policykb.db``)
    :param target: a file to write, or an existing folder to write a time-stamped file into
    :returns: ``{"path", "bytes", "pages", "seconds"}``
    :raises BackupError: if the copy is not sound (nothing is left at ``target``)
    """
    source = Path(source)
    if not source.exists():
        raise BackupError(f"no KB at {source}")
    target = backup_path(target)
    if target.resolve() == source.resolve():
        raise BackupError("the backup must not overwrite the KB itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    started = time.monotonic()
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode = DELETE")
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        dst.commit()
    except BaseException:
        dst.close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    dst.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return {"path": str(target), "bytes": target.stat().st_size, "pages": pages,
            "seconds": round(time.monotonic() - started, 3)}
