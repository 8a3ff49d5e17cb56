"""``policykb watch``: crawl every document on its own schedule, then build; for months.

Each declared document has an interval: its ``interval:`` key, else the
shorter default for documents marked ``important: true`` (6 h), else the
default (24 h). A document is due when its ``next_check`` has passed. Due
documents are grouped by domain: one crawl (a Scrapy process) per domain, and
never two crawls against one domain at once, in this process or any other
``watch`` on the same data folder (an ``flock`` on ``DATA/locks/<domain>.lock``,
released by the kernel if the process dies). Each crawl is followed by a
build; after it, every document that got a check is due again after its
interval, stretched or shrunk by a random jitter (±10 % by default) so that
documents declared together drift apart instead of hitting a site in bursts.

State lives in the KB: ``schedule`` (per document: interval, next check, last
attempt and run) and ``runs`` (per crawl: status, Scrapy's stats, outcomes).
A restarted watch resumes where the last one was: what was checked waits for
its next check; what was being crawled when the process died is still due.
SIGTERM (or Ctrl-C) stops cleanly: no new crawl starts, running crawls get
one SIGTERM (Scrapy's graceful shutdown: in-flight requests finish and the
WARC is closed), what they archived is built, the runs are marked
``interrupted``, and the process exits 0. A second signal aborts the build
between two records (each record is its own transaction, so the KB stays
consistent either way).

Why a small loop and not a scheduler library. APScheduler (3.x) and
``schedule`` were considered: both run *jobs* at times, while the work here is
choosing *which documents* are due, batching them by domain and excluding
busy domains, then running one child process per batch and building after
it. A library would hold a job per document (hundreds of them) in its own
store (pickled, in APScheduler's SQLAlchemy job store) beside the KB, so the
state would live twice; and a clean SIGTERM that waits for Scrapy's graceful
shutdown is ours to write either way. The loop is ~150 lines, its due logic
(:class:`Scheduler`) is a plain class with an injectable clock that tests
drive directly, and its state is two ordinary KB tables that Datasette shows.
For cron or a systemd timer instead of a resident process, ``policykb watch
--once`` runs one pass over what is due and exits (see README, "Deploying").
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from kb.ops.runs import abandon_stale_runs, checked_documents, finish_run, start_run
from kb.store import ops as store
from pipeline.timeutil import DEFAULT_INTERVAL, iso, parse_iso

logger = logging.getLogger("policykb.ops.watch")

IMPORTANT_INTERVAL = 6 * 3600.0
DEFAULT_JITTER = 0.1
#: after a crawl that crashed (non-zero exit), retry after this long at most
RETRY_AFTER = 600.0
SUCCESS = ("new_version", "unchanged", "not_modified")


def domain_of(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()


@dataclass(frozen=True)
class Planned:
    """A document as the scheduler sees it."""

    key: str
    domain: str
    interval: float
    important: bool = False


def plan_documents(platforms, default_interval=DEFAULT_INTERVAL, important_interval=IMPORTANT_INTERVAL):
    """Each declared document with its domain and interval.

    :param platforms: declarations (``pipeline.sources.load_sources``)
    :param default_interval: seconds between checks of an ordinary document
    :param important_interval: seconds between checks of a document marked ``important``
    """
    planned = []
    for platform in platforms:
        for doc in platform.documents:
            interval = doc.interval or (important_interval if doc.important else default_interval)
            planned.append(Planned(doc.key, domain_of(doc.url), float(interval), bool(doc.important)))
    return planned


@dataclass
class Batch:
    """The due documents of one domain: one crawl."""

    domain: str
    documents: list = field(default_factory=list)


class Scheduler:
    """Which documents are due, and when each is due next. No I/O: a test drives it with a fake clock.

    :param planned: :class:`Planned` documents
    :param next_checks: known next check per document key (epoch seconds); others are due now
    :param jitter: fraction of the interval by which a next check is moved at random (0 for none)
    :param rng: a ``random.Random`` (seed it in tests)
    """

    def __init__(self, planned, next_checks=None, jitter=DEFAULT_JITTER, rng=None):
        self.docs = {p.key: p for p in planned}
        self.next = {k: v for k, v in (next_checks or {}).items() if v is not None}
        self.jitter = jitter
        self.rng = rng or random.Random()

    def update_plan(self, planned):
        """New declarations: keep what is known of documents still declared."""
        self.docs = {p.key: p for p in planned}
        self.next = {k: v for k, v in self.next.items() if k in self.docs}

    def is_due(self, key, now) -> bool:
        return self.next.get(key, float("-inf")) <= now

    def due(self, now, busy_domains=(), exclude=()) -> list[Batch]:
        """The due documents, one :class:`Batch` per domain not busy, most overdue first.

        :param now: epoch seconds
        :param busy_domains: domains with a crawl running (skipped)
        :param exclude: document keys being crawled already
        """
        batches: dict[str, Batch] = {}
        due = sorted((self.next.get(k, float("-inf")), k) for k, p in self.docs.items()
                     if k not in exclude and p.domain not in busy_domains and self.is_due(k, now))
        for _, key in due:
            domain = self.docs[key].domain
            batches.setdefault(domain, Batch(domain)).documents.append(key)
        return list(batches.values())

    def next_due(self) -> float | None:
        """When the next document is due (``-inf`` if one is due already, None if none declared)."""
        if not self.docs:
            return None
        return min(self.next.get(k, float("-inf")) for k in self.docs)

    def checked(self, keys, at) -> dict:
        """Documents got a check at ``at``: each is due again after its interval ± jitter.

        Returns ``{key: next check}`` for the keys still declared.
        """
        out = {}
        for key in keys:
            planned = self.docs.get(key)
            if planned is None:
                continue
            factor = 1.0 + (self.rng.uniform(-self.jitter, self.jitter) if self.jitter else 0.0)
            self.next[key] = at + planned.interval * factor
            out[key] = self.next[key]
        return out

    def retry_later(self, keys, at, delay=RETRY_AFTER) -> dict:
        """A crawl crashed: try its documents again after ``delay`` (at most their interval)."""
        out = {}
        for key in keys:
            planned = self.docs.get(key)
            if planned is not None:
                self.next[key] = at + min(delay, planned.interval)
                out[key] = self.next[key]
        return out


# -- state in the KB ------------------------------------------------------------------------------


def sync_schedule(db, planned, keep_known=False):
    """Record each declared document's interval in ``schedule`` (keeping its next check).

    :param keep_known: leave the documents that have an interval already (a build after a watch's crawl:
        the watch's own options may override the defaults)
    """
    now = iso(time.time())
    if keep_known:
        known = {r[0] for r in db.execute("select document_id from schedule where interval_s is not null")}
        planned = [p for p in planned if p.key not in known]
    store.set_intervals(db, [(p.key, p.interval, p.important) for p in planned], now)


def load_next_checks(db, planned) -> dict:
    """The next check of each document: from ``schedule``; else its last fetch + interval; else now."""
    known = {r[0]: parse_iso(r[1]) for r in db.execute("select document_id, next_check from schedule")}
    last_fetch = {r[0]: parse_iso(r[1]) for r in
                  db.execute("select document_id, max(fetched_at) from checks group by document_id")}
    out = {}
    for p in planned:
        if known.get(p.key) is not None:
            out[p.key] = known[p.key]
        elif last_fetch.get(p.key) is not None:
            out[p.key] = last_fetch[p.key] + p.interval
    return out


def save_next_checks(db, next_checks: dict, run_id=None):
    """When each document is checked next (``{document id: epoch seconds}``)."""
    store.set_next_checks(db, {key: iso(ts) for key, ts in next_checks.items()}, run_id, iso(time.time()))


def mark_attempt(db, keys, run_id, at):
    store.mark_attempt(db, keys, run_id, iso(at))


class StopBuild(Exception):
    """Raised between two records to abandon a build when asked to stop twice."""


@dataclass
class Child:
    run_id: str
    domain: str
    documents: list
    proc: subprocess.Popen
    lock: object
    started: float
    signalled: bool = False


class Watcher:
    """The ``policykb watch`` process. See the module docstring.

    :param data_dir: the ``--data`` folder
    :param sources_dir: declarations folder (None: the default one)
    :param replay: replay server URL for the crawls, if any
    :param default_interval: seconds between checks of an ordinary document
    :param important_interval: seconds between checks of an ``important`` document
    :param jitter: fraction of the interval to move each next check at random
    :param max_parallel: crawls (domains) at once
    :param once: run one pass over what is due, then exit (for cron / systemd timers)
    :param scrapy_settings: extra ``KEY=VALUE`` Scrapy settings for every crawl
    :param log_level: Scrapy's log level in the crawls
    :param tick: seconds between two looks at the clock
    :param brief: ``{"every": seconds, "lang": "zh"|"en", "format": "md"|"html"}``: send the brief through the
        alert channels when one is due (:mod:`kb.ops.briefs`); None sends none
    """

    def __init__(self, data_dir, sources_dir=None, replay=None, default_interval=DEFAULT_INTERVAL,
                 important_interval=IMPORTANT_INTERVAL, jitter=DEFAULT_JITTER, max_parallel=2, once=False,
                 scrapy_settings=(), log_level="WARNING", tick=0.5, clock=time.time, brief=None):
        self.data_dir = Path(data_dir).resolve()
        self.sources_dir = str(Path(sources_dir).resolve()) if sources_dir else None
        self.replay = replay
        self.default_interval = default_interval
        self.important_interval = important_interval
        self.max_parallel = max(1, max_parallel)
        self.once = once
        self.scrapy_settings = list(scrapy_settings)
        self.log_level = log_level
        self.tick = tick
        self.clock = clock
        self.jitter = jitter
        self.brief = brief  # {"every": seconds, "lang", "format"}: the weekly brief (kb.ops.briefs), or None
        self.children: list[Child] = []
        self.stop_requests = 0
        self.skipped_domains: set = set()
        self.launched: set = set()
        self._sources_sig = None
        self._serial = 0

    # signals
    def request_stop(self, signum=None, frame=None):
        self.stop_requests += 1
        if self.stop_requests == 1:
            logger.info("stopping: no new crawls; waiting for %d running crawl(s) to close", len(self.children))
        for child in self.children:
            if not child.signalled and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)  # Scrapy's graceful shutdown
                child.signalled = True

    def _install_signals(self):
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    # declarations
    def _sources_signature(self):
        from pipeline.sources import DEFAULT_SOURCES

        folder = Path(self.sources_dir) if self.sources_dir else DEFAULT_SOURCES
        return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.yml")))

    def _load_plan(self, db, scheduler=None):
        from pipeline.sources import load_sources

        self.platforms = load_sources(self.sources_dir)
        planned = plan_documents(self.platforms, self.default_interval, self.important_interval)
        sync_schedule(db, planned)
        if scheduler is None:
            scheduler = Scheduler(planned, load_next_checks(db, planned), jitter=self.jitter)
        else:
            scheduler.update_plan(planned)
            for key, ts in load_next_checks(db, [p for p in planned if p.key not in scheduler.next]).items():
                scheduler.next[key] = ts
        self._sources_sig = self._sources_signature()
        return scheduler

    def _reload(self, db, scheduler):
        from pipeline.sources import DeclarationError

        try:
            scheduler = self._load_plan(db, scheduler)
            logger.info("declarations changed: reloaded, %d document(s)", len(scheduler.docs))
        except DeclarationError as exc:
            self._sources_sig = self._sources_signature()  # say it once, not at every tick
            logger.error("declarations changed but are invalid, keeping the previous ones: %s", exc)
        return scheduler

    # one crawl
    def _lock(self, domain):
        folder = self.data_dir / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / f"{re.sub(r'[^A-Za-z0-9.-]', '_', domain) or '_'}.lock", "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return None
        return fh

    def _crawl_command(self, documents):
        from spiders.launch import crawl_command

        return crawl_command(self.data_dir, self.sources_dir, documents=documents, replay=self.replay,
                             log_level=self.log_level, settings=self.scrapy_settings)

    def _launch(self, db, batch):
        lock = self._lock(batch.domain)
        if lock is None:
            logger.info("%s: another crawl holds its lock; later", batch.domain)
            if self.once:
                self.skipped_domains.add(batch.domain)
            return False
        started = self.clock()
        self._serial += 1
        run_id = f"watch-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}-{self._serial}"
        start_run(db, run_id, "watch", batch.documents, [batch.domain], started)
        mark_attempt(db, batch.documents, run_id, started)
        from spiders.launch import start_crawl

        proc = start_crawl(self._crawl_command(batch.documents), run_id)  # signals reach it only through us
        self.children.append(Child(run_id, batch.domain, batch.documents, proc, lock, started))
        logger.info("run %s: crawling %d document(s) of %s", run_id, len(batch.documents), batch.domain)
        return True

    def _build(self, db):
        """Build what the crawls archived; a second stop request abandons it between two records."""
        from kb.build import build

        def progress(n):
            if self.stop_requests > 1:
                raise StopBuild()

        return build(db, str(self.data_dir), self.platforms, progress=progress)

    def _finish(self, db, scheduler, child):
        code = child.proc.returncode
        child.lock.close()
        finished = self.clock()
        error = None
        try:
            stats = self._build(db)
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items())) or "nothing new"
        except StopBuild:
            outcomes, error = "build abandoned (stopping)", "build abandoned on a second stop request"
        except Exception as exc:  # a failed build must not kill the watch; it is recorded and retried
            logger.exception("run %s: build failed", child.run_id)
            outcomes, error = "build failed", f"build failed: {exc.__class__.__name__}: {exc}"
        if child.signalled:
            status = "interrupted"
        elif code != 0:
            status, error = "failed", error or f"crawl exited with code {code}"
        else:
            status = "failed" if error else "finished"
        finish_run(db, child.run_id, status, code, error, finished)
        checked = checked_documents(db, self.data_dir, child.run_id)
        if status == "failed" and not checked:
            save_next_checks(db, scheduler.retry_later(child.documents, finished), child.run_id)
        else:
            # documents the crawl did not reach (interrupted) stay due
            save_next_checks(db, scheduler.checked(sorted(checked), finished), child.run_id)
        logger.info("run %s: %s in %.1fs (exit %s): %s", child.run_id, status, finished - child.started, code,
                    outcomes)
        self._send_brief(db)

    def _send_brief(self, db):
        """The weekly brief, when one is due (:func:`kb.ops.briefs.deliver_due`); a failure never stops the watch."""
        if not self.brief:
            return
        from kb.ops.alerts import NotifyConfig
        from kb.ops.briefs import deliver_due

        try:
            sent = deliver_due(db, NotifyConfig.from_env(), self.brief["every"], self.brief["lang"],
                               self.brief["format"], now=self.clock())
        except Exception:  # noqa: BLE001 - recorded in the log, tried again after the next build
            logger.exception("the brief could not be made")
            return
        if sent:
            logger.info("brief %s – %s (%d change(s)): %s", sent["since"], sent["until"], sent["listed"],
                        sent["error"] or "sent")

    def run(self) -> int:
        """Loop until stopped (or, with ``once``, until nothing is due). Returns the exit code."""
        from kb.db import open_db

        self._install_signals()
        db = open_db(self.data_dir)
        abandoned = abandon_stale_runs(db)
        if abandoned:
            logger.info("%d run(s) of an earlier watch that died are marked abandoned", abandoned)
        scheduler = self._load_plan(db)
        logger.info("watching %d document(s) in %s", len(scheduler.docs), self.data_dir)
        try:
            while True:
                for child in [c for c in self.children if c.proc.poll() is not None]:
                    self.children.remove(child)
                    self._finish(db, scheduler, child)
                if self.stop_requests:
                    if not self.children:
                        break
                else:
                    if self._sources_signature() != self._sources_sig:
                        scheduler = self._reload(db, scheduler)
                    now = self.clock()
                    busy = {c.domain for c in self.children} | self.skipped_domains
                    # with --once, each document is crawled at most once per pass
                    exclude = {d for c in self.children for d in c.documents} | self.launched
                    for batch in scheduler.due(now, busy, exclude):
                        if len(self.children) >= self.max_parallel:
                            break
                        if self._launch(db, batch) and self.once:
                            self.launched.update(batch.documents)
                    if self.once and not self.children and not scheduler.due(now, self.skipped_domains,
                                                                             self.launched):
                        break
                time.sleep(self.tick)
        finally:
            for child in self.children:  # only reached on an unexpected error
                if child.proc.poll() is None:
                    child.proc.send_signal(signal.SIGTERM)
            db.close()
        logger.info("watch stopped")
        return 0
