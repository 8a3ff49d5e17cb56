"""The demo: crawl the bundled demo help centre through the replay server at each of its dates, and build.

A demo data folder is marked (``.policykb-demo``) so that ``policykb demo``
may reset it, and never touches a folder holding a real KB.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.build import build
from kb.data import DEMO_SITE, sources_folder
from kb.db import open_db

DEMO_MARKER = ".policykb-demo"


class NotADemoFolder(ValueError):
    """The data folder holds something that is not a demo KB."""


class DemoInterrupted(Exception):
    """A signal (Ctrl-C, SIGTERM) stopped the demo's crawl; ``code`` is the crawl's exit code (128 + signal)."""

    def __init__(self, date, code):
        self.code = code
        super().__init__(f"the demo was interrupted by signal {code - 128} during the crawl as of {date}; "
                         "run `policykb demo` again to start over (演示在抓取时被中断；请重新运行 `policykb demo`)")


def demo_dates(site=DEMO_SITE) -> list[str]:
    """The dates at which the demo site changes: every snapshot date in it."""
    from replay.server import SNAPSHOT_RE

    dates = set()
    for f in Path(site).rglob("*"):
        m = SNAPSHOT_RE.match(f.name)
        if m and f.is_file() and "robots.txt" not in f.parts:
            dates.add(m.group(1)[:10])
    return sorted(dates)


def prepare_demo_dir(data_dir):
    """A demo KB is reproducible: reset an earlier demo, refuse to touch a real KB."""
    data = Path(data_dir)
    marker = data / DEMO_MARKER
    if data.exists() and any(data.iterdir()) and not marker.exists():
        raise NotADemoFolder(f"{data} holds data that is not a demo KB; use --data with an empty or demo folder")
    for name in ("policykb.db", "policykb.db-wal", "policykb.db-shm"):
        (data / name).unlink(missing_ok=True)
    for folder in ("warcs", "runs"):
        shutil.rmtree(data / folder, ignore_errors=True)
    data.mkdir(parents=True, exist_ok=True)
    marker.write_text("This folder holds the policykb demo KB; `policykb demo` resets it.\n")


def run_demo(data_dir, platforms, sources_dir, site=DEMO_SITE, on_date=None) -> dict:
    """Crawl ``site`` as of each of its dates (a real Scrapy crawl over loopback), building after each.

    :param platforms: the demo declarations (already loaded from ``sources_dir``)
    :param on_date: optional ``on_date(date, stats)`` after each date's build
    :returns: counts of documents, versions, changes and checks in the KB
    :raises DemoInterrupted: when a signal stopped a crawl
    :raises RuntimeError: when a crawl fails
    """
    from replay.server import ReplayServer
    from spiders.launch import run_crawl

    prepare_demo_dir(data_dir)
    sources_folder(data_dir, sources_dir)  # remembered, for the commands that follow
    for date in demo_dates(site):
        with ReplayServer(site, date) as server:
            code = run_crawl(data_dir, sources_dir, replay=server.url)
        if code > 128:
            raise DemoInterrupted(date, code)
        if code:
            raise RuntimeError(f"the crawl as of {date} failed (exit {code})")
        db = open_db(data_dir)
        try:
            stats = build(db, data_dir, platforms)
        finally:
            db.close()
        if on_date:
            on_date(date, stats)
    db = open_db(data_dir)
    try:
        return {t: db[t].count for t in ("documents", "versions", "changes", "checks")}
    finally:
        db.close()
