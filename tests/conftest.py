"""Shared fixtures: the demo KB (built in-process, or crawled for real), a CLI runner, paths.

The session-scoped ``demo_kb`` is the demo help centre at each demo date,
fetched in memory from the replay site and built by the real build
(``tests/kbfactory.py``): no Scrapy, no subprocess. ``crawled_demo_kb`` runs
the real thing: a replay server on 127.0.0.1 per demo date, ``policykb
crawl`` (Scrapy in its own process) and ``policykb build``; only tests that
need what a real crawl leaves besides the KB tables (run statistics in
``runs/``, Scrapy's logs, crawl behaviour) use it. ``test_kbfactory.py``
checks that both give the same KB rows. Tests that change a KB copy it first.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "replay" / "sites" / "demo"
DEMO_SOURCES = ROOT / "spiders" / "sources" / "demo"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def copy_data(source: Path, target: Path) -> Path:
    """Copy a data folder whose KB other connections of this process may hold open: each SQLite file through
    SQLite's backup (a consistent copy, its write-ahead log included), the rest as files. A plain file copy could
    find a ``-wal`` gone between listing and reading it, when a connection left to the garbage collector closes
    then (a flaky FileNotFoundError under xdist)."""
    live = ("*.db", "*.db-wal", "*.db-shm", "*.db-journal")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*live))
    for db in source.rglob("*.db"):
        src, dst = sqlite3.connect(db), sqlite3.connect(target / db.relative_to(source))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    return target
POLICYKB = [sys.executable, "-m", "kb.cli"]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def policykb(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    """Run the real ``policykb`` command line in a subprocess."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([*POLICYKB, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=600, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"policykb {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def crawl_as_of(data_dir, date, site=DEMO_SITE, sources=DEMO_SOURCES, extra=()):
    """Crawl the demo site as of ``date`` through a real replay server on loopback."""
    from replay.server import ReplayServer

    with ReplayServer(site, date) as server:
        return policykb("crawl", "--data", data_dir, "--sources", sources, "--replay", server.url,
                        "--log-level", "WARNING", *extra)


def rows(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def expected():
    return yaml.safe_load((DEMO_SITE / "EXPECTED.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory, expected):
    """A data folder (policykb.db + warcs/) holding the demo KB after an in-memory crawl + the real build
    at each demo date. It has no ``runs/`` (and so no ``runs`` rows): see ``crawled_demo_kb``."""
    import kbfactory

    return kbfactory.build_kb(tmp_path_factory.mktemp("demo") / "data", expected["dates"], DEMO_SOURCES, DEMO_SITE)


@pytest.fixture(scope="session")
def crawled_demo_kb(tmp_path_factory, expected):
    """A data folder holding the demo KB after a real crawl (Scrapy, replay server) + build at each demo date."""
    data = tmp_path_factory.mktemp("crawled-demo") / "data"
    for date in expected["dates"]:
        crawl_as_of(data, date)
        policykb("build", "--data", data)
    return data


@pytest.fixture
def demo_copy(demo_kb, tmp_path):
    """A private copy of the demo data folder, for tests that write to it."""
    return copy_data(demo_kb, tmp_path / "data")


@pytest.fixture
def crawled_demo_copy(crawled_demo_kb, tmp_path):
    """A private copy of the really crawled demo data folder (with its ``runs/``), for tests that write to it."""
    return copy_data(crawled_demo_kb, tmp_path / "data")
