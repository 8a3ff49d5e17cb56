"""Runs: every crawl as a record in the KB (``runs``), with what Scrapy did and what it meant.

A crawl leaves its statistics in ``DATA/runs/<run id>.json``
(``spiders.extensions.RunStats``); :func:`record_runs`, a step of
:func:`kb.build.build`, loads them and counts the outcomes of their checks once
their WARC files are ingested. ``policykb watch`` also starts and finishes
runs of its own crawls here.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

from kb.store import ops as store
from pipeline.archive import RUNS_DIR, WARC_DIR
from pipeline.timeutil import iso, parse_iso

logger = logging.getLogger("policykb.ops.runs")



def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def abandon_stale_runs(db) -> int:
    """Runs left ``running`` by a process of this host that is gone (killed, crashed) become ``abandoned``."""
    host = socket.gethostname()
    stale = [r[0] for r in db.execute("select id, pid from runs where status = 'running' and host = ?", [host])
             if not _pid_alive(r[1]) or r[1] == os.getpid()]
    store.abandon_runs(db, stale, iso(time.time()))
    return len(stale)


def start_run(db, run_id, kind, documents, domains, started):
    platforms = sorted({d.split("/")[0] for d in documents})
    store.start_run(db, {"id": run_id, "kind": kind, "status": "running", "host": socket.gethostname(),
                         "pid": os.getpid(), "started_at": iso(started), "platforms": ",".join(platforms),
                         "domains": ",".join(sorted(domains)), "documents": len(documents), "outcomes_complete": 0})


def finish_run(db, run_id, status, exit_code=None, error=None, finished=None):
    finished = finished or time.time()
    row = db.execute("select started_at from runs where id = ?", [run_id]).fetchone()
    duration = round(finished - parse_iso(row[0]), 3) if row and row[0] else None
    store.finish_run(db, run_id, status, exit_code, error, iso(finished), duration)


def runs_folder(data_dir) -> Path:
    """Where crawls leave their stats: ``DATA/runs``, beside ``DATA/warcs``.

    During ``policykb rebuild`` the data folder is a temporary one whose
    ``warcs`` links to the real one; the runs are found through that link.
    """
    warcs = Path(data_dir) / WARC_DIR
    root = warcs.resolve().parent if warcs.is_symlink() else Path(data_dir)
    return root / RUNS_DIR


def record_runs(db, data_dir) -> int:
    """Load crawl stats (``DATA/runs/*.json``) into ``runs``, with the outcomes of their checks.

    A run's outcomes (new versions, unchanged, failed by reason, ...) are
    counted once all its WARC files are ingested. Returns how many runs changed.
    """
    folder = runs_folder(data_dir)
    changed = 0
    loaded = {r[0] for r in db.execute("select id from runs where stats_json is not null")}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.stem in loaded:
            continue
        try:
            stats = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("unreadable run stats %s: %s", path, exc)
            continue
        files = stats.get("warc_files") or []
        warcs = folder.parent / "warcs"
        if files and not any((warcs / f).exists() or (warcs / (f + ".open")).exists() for f in files):
            continue  # its WARCs were removed (e.g. a reset demo): not a run of this KB
        _load_run_stats(db, path.stem, stats)
        changed += 1
    ingested = {r[0] for r in db.execute("select name from warc_files")}
    pending = db.execute("select id, warc_files from runs where outcomes_complete = 0 and warc_files is not null")
    for run_id, warc_json in list(pending):
        files = json.loads(warc_json or "[]")
        if not set(files) <= ingested:
            continue
        _count_outcomes(db, run_id, files)
        changed += 1
    return changed


def _load_run_stats(db, run_id, stats):
    reason = stats.get("finish_reason")
    fields = {
        "started_at": stats.get("started_at"), "duration_s": stats.get("duration_s"),
        "requests": stats.get("requests"), "responses": stats.get("responses"),
        "responses_by_status": json.dumps(stats.get("responses_by_status") or {}, sort_keys=True),
        "items": stats.get("items"), "finish_reason": reason,
        "exceptions": json.dumps(stats.get("exceptions") or {}, sort_keys=True),
        "warc_files": json.dumps(stats.get("warc_files") or []),
        "stats_json": json.dumps(stats.get("stats") or {}, sort_keys=True, ensure_ascii=False),
    }
    store.save_run_stats(db, run_id, fields, {
        "id": run_id, "kind": stats.get("kind") or "crawl", "status": "finished" if reason == "finished" else "interrupted",
        "host": stats.get("host"), "pid": stats.get("pid"), "finished_at": stats.get("finished_at"),
        "platforms": ",".join(stats.get("platforms") or []), "documents": len(stats.get("documents") or []),
        "outcomes_complete": 0})


def _count_outcomes(db, run_id, files):
    marks = ",".join("?" * len(files))
    counts = dict(db.execute(
        f"select outcome, count(*) from checks where warc_file in ({marks}) group by outcome", files).fetchall()
    ) if files else {}
    reasons = dict(db.execute(
        f"select reason, count(*) from checks where warc_file in ({marks}) and outcome = 'failed' "
        f"group by reason", files).fetchall()
    ) if files else {}
    store.save_run_outcomes(db, run_id, counts, reasons)


def checked_documents(db, data_dir, run_id) -> set:
    """The documents that got a check from a run's WARC files (as far as built)."""
    stats_file = runs_folder(data_dir) / f"{run_id}.json"
    files = []
    if stats_file.exists():
        try:
            files = json.loads(stats_file.read_text(encoding="utf-8")).get("warc_files") or []
        except (OSError, ValueError):
            files = []
    if not files:
        return set()
    marks = ",".join("?" * len(files))
    return {r[0] for r in db.execute(f"select distinct document_id from checks where warc_file in ({marks})", files)}


# -- the loop -------------------------------------------------------------------------------------
