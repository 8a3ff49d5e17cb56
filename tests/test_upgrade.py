"""A KB built by the previous release opens and upgrades in place, and goes on as if built by this one.

The previous release's code is taken from git (the commit that last landed before the "One house"
redesign) and run as it was: its own `policykb demo` builds a demo KB. This release then opens
that KB (pending migrations apply), reads it, builds on it, and must agree with a rebuild of the
same WARCs by this release.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import tarfile

import pytest

from conftest import ROOT, policykb

#: The last landed commit before the redesign (stop 12).
PREVIOUS_RELEASE = "eb2889e2722049bb51680f91e3b050408473129c"

#: Columns that depend on when or how a build ran, not on what it found (``rowid``: the view ``sections`` names
#: its rows' rowids, which follow the order of ingestion, since migration 0800).
VOLATILE = {"id", "rowid", "check_id", "updated_at", "ingested_at", "checked_at", "source_file", "applied_at"}
#: Columns added since the previous release that an upgrade leaves empty for what it had recorded, and why:
#: ``checks.selector`` is the declared selector that matched, known from this release on; a check made
#: before it carries none (only re-extracting every old snapshot could tell), a rebuild fills it; so with
#: ``checks.page_fingerprint`` (migration 0790): an upgraded KB's next fetch of each page is extracted in full.
ADDED_SINCE = {"checks": {"selector", "page_fingerprint"}}
#: Tables whose rows are not derived from the WARCs (or are bookkeeping of the build itself).
NOT_DERIVED = {"runs", "alerts", "schedule", "warc_files", "discovery_files", "glossary_state", "_sqlite_migrations",
               "undeclared_documents", "brief_deliveries"}


def _previous_release(tmp_path):
    try:
        archive = subprocess.run(["git", "archive", "--format=tar", PREVIOUS_RELEASE], cwd=ROOT, check=True,
                                 capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"the previous release {PREVIOUS_RELEASE[:7]} is not in this checkout's history: {exc}")
    tree = tmp_path / "previous"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def _rows(path, table):
    conn = sqlite3.connect(path)
    try:
        columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])")
                   if r[1] not in VOLATILE and r[1] not in ADDED_SINCE.get(table, ())]
        return sorted(map(repr, conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}]")))
    finally:
        conn.close()


def _tables(path):
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")
                if not r[0].startswith(("sqlite_", "search_", "versions_fts")) and r[0] not in NOT_DERIVED}
    finally:
        conn.close()


@pytest.mark.slow
def test_a_kb_of_the_previous_release_upgrades_in_place(tmp_path):
    old_tree = _previous_release(tmp_path)
    data = tmp_path / "data"
    env = dict(os.environ, PYTHONPATH=str(old_tree))
    subprocess.run([sys.executable, "-m", "kb.cli", "demo", "--no-serve", "--data", str(data)], cwd=old_tree,
                   env=env, check=True, capture_output=True, timeout=600)
    kb = data / "policykb.db"
    before = {t: _rows(kb, t) for t in _tables(kb)}

    # this release opens it: pending migrations apply, and it reads as before
    status = policykb("status", "--json", "--data", data)
    assert '"kuajing/appeals"' in status.stdout
    search = policykb("search", "申诉", "--json", "--data", data)
    assert '"kuajing"' in search.stdout
    cite = policykb("cite", "--data", data, "--json", "--now", "2026-07-02T00:00:00Z",
                    "Sellers must keep their late shipment rate under 3% in both the 10-day and 30-day windows")
    assert '"status": "current"' in cite.stdout
    after_open = {t: _rows(kb, t) for t in before}
    assert after_open == before, "opening an old KB must not change what it recorded"

    # building on it adds nothing (every snapshot is ingested), and equals a rebuild by this release
    policykb("build", "--data", data)
    upgraded = {t: _rows(kb, t) for t in _tables(kb)}
    policykb("rebuild", "--data", data)
    rebuilt = {t: _rows(kb, t) for t in _tables(kb)}
    assert upgraded.keys() == rebuilt.keys()
    for table in sorted(rebuilt):
        assert upgraded[table] == rebuilt[table], f"{table}: the upgraded KB differs from a rebuild"
