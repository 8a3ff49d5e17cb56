"""Crash safety: ``policykb crawl`` and ``policykb build`` killed with SIGKILL at random points.

The demo help centre is crawled and built date by date, as ``demo_kb`` does
uninterrupted; but every crawl and every build is first killed (SIGKILL to
its whole process group, so Scrapy dies with it) at a seeded random moment
after it started working, several times, before one is let finish. After
every kill the KB must pass ``PRAGMA integrity_check``, hold no half-written
version or change, and every closed WARC must read to its end; at the end the
KB must mean exactly what the uninterrupted one means.

``POLICYKB_CRASH_KILLS`` sets the number of kills (default 30),
``POLICYKB_CRASH_SEED`` the seed.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import DEMO_SITE, DEMO_SOURCES, ROOT, rows

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("POLICYKB_CRASH_KILLS", "30"))
SEED = int(os.environ.get("POLICYKB_CRASH_SEED", "20261125"))
ENV = dict(os.environ, PYTHONPATH=str(ROOT))

#: Columns that hold wall-clock times or autoincrement ids: they differ between two honest runs (``rowid``: the
#: view ``sections`` names its rows' rowids, which follow the order the records were ingested in).
VOLATILE = {"check_id", "ingested_at", "fetched_at", "created_at", "updated_at", "built_at", "rowid"}


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kb.cli", *map(str, args)], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill_group(proc) -> bool:
    """SIGKILL the process and its children (Scrapy runs in a child). True if it was still running.

    Scrapy runs in a session of its own (spiders/launch.py: signals reach it only through its launcher),
    so killing the launcher's process group does not reach it: each descendant is killed too.
    """
    alive = proc.poll() is None
    if alive:
        try:
            descendants = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            descendants = []
        os.killpg(proc.pid, signal.SIGKILL)
        for child in descendants:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(descendants, timeout=10)
    proc.wait()
    return alive


def checks_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("select count(*) from checks").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def wait_until(proc, condition, timeout=60.0):
    """Poll until ``condition()`` or the process ends; the moment the kill clock starts."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline and not condition():
        time.sleep(0.05)


def assert_consistent(data: Path):
    """What must hold after any kill: no corruption, nothing half-written, every closed WARC whole."""
    from pipeline.archive import closed_warcs, iter_records

    for path in closed_warcs(data):
        sum(1 for _ in iter_records(data, [path]))  # raises on a truncated or corrupt closed file
    db = data / "policykb.db"
    if not db.exists():
        return
    assert rows(db, "pragma integrity_check")[0]["integrity_check"] == "ok"
    assert rows(db, "pragma foreign_key_check") == []
    bad = rows(db, """
        select v.id from versions v left join checks c on c.id = v.check_id
        where c.id is null or c.version_id != v.id or c.outcome not in ('new_version')
    """)
    assert bad == [], f"versions without the check that made them: {bad}"
    assert rows(db, "select c.id from checks c where c.outcome = 'new_version' and not exists "
                    "(select 1 from versions v where v.id = c.version_id)") == []
    assert rows(db, "select id from changes where from_version_id not in (select id from versions) "
                    "or to_version_id not in (select id from versions)") == []
    assert rows(db, "select v.id from versions v where not exists "
                    "(select 1 from sections s where s.version_id = v.id)") == [], "a version without sections"
    assert rows(db, "select v.id from versions v join versions w on w.document_id = v.document_id "
                    "and w.seq = v.seq - 1 where v.seq > 1 and not exists "
                    "(select 1 from changes c where c.to_version_id = v.id)") == [], "a version without its change"
    assert rows(db, "select id from documents where current_version_id is not null and current_version_id "
                    "not in (select id from versions)") == []
    # a WARC file marked fully ingested has every one of its records in the KB
    for f in rows(db, "select name, records from warc_files"):
        n = rows(db, "select count(*) as n from checks where warc_file = ?", [f["name"]])[0]["n"]
        assert n >= f["records"] - 1, f  # the warcinfo record is not a check
    conn = sqlite3.connect(db)
    try:
        for index in ("search_trigram", "search_short"):  # the full-text indexes are whole
            conn.execute(f"insert into {index}({index}) values('integrity-check')")
        conn.rollback()
    finally:
        conn.close()


def table_rows(db, table, order):
    cols = [r["name"] for r in rows(db, f"pragma table_info({table})") if r["name"] not in VOLATILE]
    return rows(db, f"select {', '.join(cols)} from {table} order by {order}")


def kb_meaning(data: Path) -> dict:
    """The KB without autoincrement ids, wall-clock times, or how many times a fetch was repeated."""
    db = data / "policykb.db"
    # a crawl killed after it closed its WARC is crawled again: the same date's second check of a
    # document repeats the first; what counts is the first check of each document at each date
    same = {"unchanged": "same", "not_modified": "same"}
    checks = [(c["document_id"], c["checked_at"], same.get(c["outcome"], c["outcome"]), c["reason"],
               c["status_code"], c["version_id"])
              for c in rows(db, "select * from checks where id in (select min(id) from checks "
                                "group by document_id, checked_at)")]
    meaning = {
        "versions": table_rows(db, "versions", "id"),
        "sections": table_rows(db, "sections", "id"),
        "changes": table_rows(db, "changes", "id"),
        "documents": table_rows(db, "documents", "id"),
        "checks": sorted(checks, key=repr),
    }
    for extra in ("change_sections", "dated_statements"):
        if rows(db, "select name from sqlite_master where name = ?", [extra]):
            cols = [r["name"] for r in rows(db, f"pragma table_info({extra})")
                    if r["name"] not in VOLATILE and not (r["name"] == "id" and r["type"].upper() == "INTEGER")]
            meaning[extra] = sorted(map(repr, rows(db, f"select {', '.join(cols)} from {extra}")))
    return meaning


def abandoned_records(data: Path):
    """Complete records in the ``.open`` WARCs that killed crawls left: (files, complete records)."""
    from warcio.archiveiterator import ArchiveIterator

    files = sorted((data / "warcs").glob("*.warc.gz.open"))
    complete = 0
    for path in files:
        with open(path, "rb") as fh:
            try:
                for rec in ArchiveIterator(fh):
                    rec.content_stream().read()
                    if rec.rec_headers.get_header("PolicyKB-Document"):
                        complete += 1
            except Exception:  # the record the kill cut short: everything before it is whole
                pass
    return len(files), complete


class KillRun:
    """Crawls and builds of one data folder, each killed at a seeded random point of its work."""

    def __init__(self, data: Path, seed: int):
        self.data, self.warcs, self.db = data, data / "warcs", data / "policykb.db"
        self.rng = random.Random(seed)
        self.kills = {"crawl": 0, "build": 0}
        self.survived = 0  # kills after which every check held
        self.started = time.monotonic()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu_at_start = usage.ru_utime + usage.ru_stime
        self.timeline = []
        self.build_seconds = 5.0  # a first guess; each build that finishes refines it

    def crawl(self, server, kill: bool) -> bool:
        """Crawl as of the server's date; with ``kill``, SIGKILL it at a random point of its work."""
        before = set(self.warcs.glob("*.open")) if self.warcs.is_dir() else set()
        proc = start("crawl", "--data", self.data, "--sources", DEMO_SOURCES, "--replay", server.url,
                     "--log-level", "ERROR")
        if not kill:
            assert proc.wait(timeout=300) == 0
            return False
        # the kill clock starts when the crawl opens its WARC (it is fetching); before that it only imports
        wait_until(proc, lambda: self.warcs.is_dir() and set(self.warcs.glob("*.open")) - before)
        time.sleep(self.rng.uniform(0, 2.0))
        return self._killed("crawl", proc)

    def build(self, kill: bool) -> bool:
        """Build; with ``kill``, SIGKILL it at a random point of its expected run time (which is
        learnt from the builds that finished: startup, migrations, ingest and after-build steps)."""
        started = time.monotonic()
        proc = start("build", "--data", self.data)
        if kill:
            deadline = started + self.rng.uniform(0.05, 1.0) * self.build_seconds
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            if self._killed("build", proc):
                return True
        assert proc.wait(timeout=300) == 0
        self.build_seconds = 0.5 * self.build_seconds + 0.5 * (time.monotonic() - started)
        return False

    def _killed(self, what, proc) -> bool:
        if not kill_group(proc):
            return False  # it finished first: not a kill
        self.kills[what] += 1
        assert_consistent(self.data)
        self.survived += 1
        self.timeline.append((what, round(time.monotonic() - self.started, 1)))
        return True


def test_sigkill_crawl_and_build_at_random_points(tmp_path, demo_kb, expected):
    """Phase 1: at each demo date, crawls killed at random points, then one that finishes.
    Phase 2: builds of all the WARCs killed at random points (the KB started over whenever a
    build finished first), then one that finishes.
    The uninterrupted run to converge to is ``demo_kb``: the same crawls and builds, never killed."""
    from replay.server import ReplayServer

    run = KillRun(tmp_path / "victim", SEED)
    dates = expected["dates"]
    crawl_kills = max(1, (KILLS // 2) // len(dates))
    build_kills = KILLS - crawl_kills * len(dates)
    report = {}
    out = os.environ.get("POLICYKB_RELIABILITY_DIR")
    try:
        for date in dates:
            with ReplayServer(DEMO_SITE, date) as server:
                target = run.kills["crawl"] + crawl_kills
                for _ in range(3 * crawl_kills):
                    if run.kills["crawl"] >= target:
                        break
                    run.crawl(server, kill=True)
                run.crawl(server, kill=False)
            assert_consistent(run.data)
        # Kill builds of all the WARCs; when one finishes first (nothing left to ingest), start the KB
        # over from the WARCs (what `policykb rebuild` does), so every kill lands on work in progress.
        for _ in range(4 * build_kills):
            if run.kills["build"] >= build_kills:
                break
            if not run.build(kill=True):
                for name in ("policykb.db", "policykb.db-wal", "policykb.db-shm"):
                    (run.data / name).unlink(missing_ok=True)
        run.build(kill=False)
        assert_consistent(run.data)

        files, complete = abandoned_records(run.data)
        reference, victim = kb_meaning(demo_kb), kb_meaning(run.data)
        lost = {t: len([r for r in reference[t] if r not in victim[t]]) for t in ("versions", "changes", "sections")}
        report.update(abandoned_open_files=files, complete_records_in_open_files=complete, lost=sum(lost.values()),
                      lost_by_table=lost, converged=victim == reference)
    finally:  # bench/reliability.sh: how many kills were survived, even when one was not
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        report.update(kills=sum(run.kills.values()), crawl_kills=run.kills["crawl"], build_kills=run.kills["build"],
                      survived=run.survived, seconds=round(time.monotonic() - run.started, 1),
                      child_cpu_seconds=round(children.ru_utime + children.ru_stime - run.cpu_at_start, 1))
        print(f"crash test: {report}\ntimeline: {run.timeline}")
        if out:
            Path(out, "crash.json").write_text(json.dumps(report))
    assert sum(run.kills.values()) >= KILLS, run.kills
    for table in reference:
        assert victim[table] == reference[table], f"{table} differs from the uninterrupted run's"


def open_file_records(path: Path) -> list[str]:
    """WARC-Record-IDs of the complete policykb records of a ``.open`` file (stops at the cut one)."""
    from warcio.archiveiterator import ArchiveIterator

    ids = []
    with open(path, "rb") as fh:
        try:
            for rec in ArchiveIterator(fh):
                rec.content_stream().read()
                if rec.rec_headers.get_header("PolicyKB-Document"):
                    ids.append(rec.rec_headers.get_header("WARC-Record-ID"))
        except Exception:  # the record the kill cut short
            pass
    return ids


def test_fetches_archived_before_a_crawl_was_killed_reach_the_kb(tmp_path):
    """A crawl killed after archiving some fetches: after a build those fetches are checks in the KB.

    Without replay a re-crawl cannot observe again what the killed crawl saw (the page may have
    changed, or failed, in between), so its complete records are the only evidence of those checks.
    """
    from replay.server import ReplayServer

    data = tmp_path / "data"
    warcs = data / "warcs"
    with ReplayServer(DEMO_SITE, "2026-01-15") as server:
        proc = start("crawl", "--data", data, "--sources", DEMO_SOURCES, "--replay", server.url, "--log-level", "ERROR")

        def archived():
            files = list(warcs.glob("*.warc.gz.open")) if warcs.is_dir() else []
            return files and len(open_file_records(files[0])) >= 3

        wait_until(proc, archived, timeout=120)
        assert kill_group(proc), "the crawl finished before it could be killed"
    saved = open_file_records(next(warcs.glob("*.warc.gz.open")))
    assert len(saved) >= 3
    build = subprocess.run([sys.executable, "-m", "kb.cli", "build", "--data", str(data)], cwd=ROOT, env=ENV,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    assert_consistent(data)
    ingested = {r["warc_record_id"] for r in rows(data / "policykb.db", "select warc_record_id from checks")}
    assert set(saved) <= ingested, f"{len(set(saved) - ingested)} of {len(saved)} archived fetches are not in the KB"


def _write(data, n):
    """A WarcArchive with ``n`` fetches written and not closed (as a crawl leaves it while it runs)."""
    from pipeline.archive import Fetch, WarcArchive

    warc = WarcArchive(data)
    for i in range(n):
        url = f"https://seller.demomart.example/help/{i}"
        warc.write(Fetch(document=f"demomart/doc-{i}", url=url, final_url=url, status=200,
                         headers=[("Content-Type", "text/html")], body=b"<p>policy %d</p>" % i,
                         fetched_at="2026-01-15T00:00:00Z", observed_at="2026-01-15T00:00:00Z"))
    return warc


def test_a_warc_that_a_live_crawl_holds_is_never_salvaged(tmp_path):
    from pipeline.archive import salvage_abandoned

    warc = _write(tmp_path, 3)
    try:
        assert salvage_abandoned(tmp_path) == []
        assert warc.path.exists(), "the file of a running crawl was taken away from it"
    finally:
        warc.close()
    assert warc.final_path.exists()


def test_salvage_keeps_the_complete_records_and_cuts_the_one_being_written(tmp_path):
    from pipeline.archive import iter_records, salvage_abandoned

    warc = _write(tmp_path, 4)
    ids = open_file_records(warc.path)
    with open(warc.path, "ab") as fh:  # the kill came halfway through a fifth record
        fh.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + bytes(range(200)))
    path = warc.path
    warc._file.close()  # the crawl dies: its lock goes with it
    [(name, records, cut)] = salvage_abandoned(tmp_path)
    assert not path.exists() and name == warc.final_path.name
    assert (records, cut) == (4, 210)
    assert [r.record_id for r in iter_records(tmp_path)] == ids


def test_a_kb_killed_while_being_created_is_not_left_without_tables(tmp_path):
    """A build killed before its first migrations finish leaves no KB file at all (CI once caught a
    SIGKILL that left ``policykb.db`` with no tables); the next build creates it whole."""
    data = tmp_path / "data"
    data.mkdir()
    # a process that dies (SIGKILL) inside the schema's creation, the way a killed build would
    code = ("import os, signal, kb.db as d\n"
            "real = d.apply_migrations\n"
            "def dying(db):\n"
            "    db.execute('create table half_done (x)')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n"
            "d.apply_migrations = dying\n"
            f"d.open_db({str(data)!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV)
    assert proc.returncode == -signal.SIGKILL
    assert not (data / "policykb.db").exists()
    assert list(data.glob("policykb.db.*.new")), "the killed creation's own file is left, not the KB"

    from kb.db import open_db

    db = open_db(data)
    try:
        assert {"documents", "versions", "checks", "changes"} <= set(db.table_names())
        assert "half_done" not in db.table_names()
    finally:
        db.close()
    assert not list(data.glob("policykb.db.*.new*")), "the dead process's leftover is removed"


#: ``policykb build`` that dies (SIGKILL) when it reaches its search-index step, the way a build killed at that
#: moment does: every version, section and derived row is stored, the search index has not seen the new ones.
BUILD_KILLED_AT_SEARCH_SYNC = ("import os, signal, sys\n"
                               "import kb.store.search_index as index\n"
                               "index.sync = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
                               "from kb.cli import main\n"
                               "main()\n")


def _cite_json(data, quote, *args):
    from click.testing import CliRunner
    from kb.cli import cli

    result = CliRunner().invoke(cli, ["cite", "--data", str(data), "--json", "--now", "2026-07-02T00:00:00Z",
                                      *args, quote])
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def test_cite_finds_the_versions_of_a_build_killed_before_its_search_sync(tmp_path, expected, monkeypatch):
    """A build killed after storing the new versions but before its last step (the search index) leaves a
    consistent KB: `policykb cite` of a sentence only in a newest version answers ``current`` (the wordings
    the index has not seen are checked too), and with more of them than a check reads (``MAX_UNINDEXED``)
    every answer says how far behind the index is instead of a silent ``not_found``."""
    import kbfactory

    data = tmp_path / "data"
    *before, last = expected["dates"]
    kbfactory.build_kb(data, before)
    kbfactory.crawl(data, last)
    proc = subprocess.run([sys.executable, "-c", BUILD_KILLED_AT_SEARCH_SYNC, "build", "--data", str(data)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert_consistent(data)
    db = data / "policykb.db"
    [state] = rows(db, "select max_rowid, (select max(rowid) from sections) top from search_state")
    assert state["max_rowid"] < state["top"], "the killed build stored new sections the index has not seen"
    new_versions = rows(db, "select document_id from versions v join documents d on d.current_version_id = v.id "
                            "where v.observed_at >= ?", [last])
    added = {doc: spec["changes"][last]["added"] for doc, spec in expected["documents"].items()
             if last in spec.get("changes", {})}
    assert added and {r["document_id"] for r in new_versions} >= set(added)
    for doc, phrases in added.items():
        for phrase in phrases:
            answers = _cite_json(data, phrase)
            assert (answers[0]["status"], answers[0]["document"]) == ("current", doc), (phrase, answers[0])
            assert "index_behind" not in answers[0]  # every unindexed wording was read: the answer is whole

    # more unindexed wordings than a check reads: the answer says so (here, with a check that reads one)
    monkeypatch.setattr("kb.cite.candidates.MAX_UNINDEXED", 1)
    doc, phrases = next(iter(added.items()))
    answers = _cite_json(data, phrases[-1])
    assert answers[0]["index_behind"] == len(new_versions), answers[0]
    assert "policykb build" in answers[0]["message"]["en"] and "policykb build" in answers[0]["message"]["zh"]

    # the next build syncs the index: the same answers, and no warning
    kbfactory.build(data)
    monkeypatch.undo()
    [state] = rows(db, "select max_rowid, (select max(rowid) from sections) top from search_state")
    assert state["max_rowid"] == state["top"]
    for doc, phrases in added.items():
        answers = _cite_json(data, phrases[0])
        assert (answers[0]["status"], answers[0]["document"], answers[0].get("index_behind")) == ("current", doc, None)
