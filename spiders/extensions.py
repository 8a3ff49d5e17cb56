"""Scrapy extensions: the crawl's stats as a run record, and progress on a terminal.

:class:`RunStats` writes, when the spider closes, one JSON file per crawl to
``DATA/runs/<run id>.json``: requests, responses by status, items archived,
download exceptions and failed fetches by reason, duration, finish reason,
and the WARC file(s) the crawl wrote. The builder reads these files
(``kb.ops.runs.record_runs``, run after every build) and joins them with the
checks ingested from those WARCs, so a run record in the KB says both what
Scrapy did and what it meant (new versions, unchanged, failed by reason).
The file sits beside the WARCs in the data folder, so a crawl on a Scrapyd
node writing to shared storage leaves its record for the one builder.

The run id is ``POLICYKB_RUN_ID`` (set by ``policykb watch``), else the
Scrapyd job id (Scrapyd passes ``_job`` as a spider argument), else
``crawl-<UTC time>-<pid>``.

On a terminal (stderr is a TTY, or ``POLICYKB_PROGRESS=1``) it also draws one
self-overwriting progress line; in logs (systemd, cron, Scrapyd) it is silent.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.extensions.throttle import AutoThrottle

from pipeline.archive import RUNS_DIR
from pipeline.timeutil import iso

logger = logging.getLogger(__name__)



def _jsonable(value):
    if isinstance(value, datetime):
        # iso() reads a naive datetime as UTC (as Scrapy's stats mean it); astimezone() read it as local time
        return iso(value)
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


class RunStats:
    """Write the crawl's stats to ``DATA/runs/<run id>.json``; draw progress on a TTY."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.data_dir = Path(settings.get("POLICYKB_DATA_DIR") or "data")
        self.run_id = settings.get("POLICYKB_RUN_ID") or ""
        progress = str(settings.get("POLICYKB_PROGRESS", "auto")).lower()
        self.progress = sys.stderr.isatty() if progress == "auto" else progress in ("1", "true", "yes")
        self.started = time.time()
        self.scheduled = set()
        self.done = set()
        self.statuses = Counter()
        self.requests = 0
        self.failures = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started = time.time()
        job = getattr(spider, "_job", None)
        self.kind = "scrapyd" if job and not self.run_id else ("watch" if self.run_id else "crawl")
        if not self.run_id:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            self.run_id = job or f"crawl-{stamp}-{os.getpid()}"

    def request_scheduled(self, request, spider):
        doc = request.meta.get("policykb_document")
        if doc:
            self.scheduled.add(doc)
            self._draw()

    def request_reached_downloader(self, request, spider):
        # counted here, once per request sent (Scrapy's downloader/request_count also counts a
        # request a middleware replaced, e.g. the replay rewrite)
        self.requests += 1

    def item_scraped(self, item, response, spider):
        get = item.get if isinstance(item, dict) else (lambda name: getattr(item, name, None))
        doc = get("document")
        if not doc:  # e.g. a page seen by discovery: not a check
            return
        self.done.add(doc)
        self.statuses[str(get("status"))] += 1
        if get("error"):
            self.failures[get("error")] += 1
        self._draw()

    def _draw(self, final=False):
        if not self.progress:
            return
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        line = f"crawl: {len(self.done)}/{len(self.scheduled)} documents fetched  {statuses}"
        sys.stderr.write("\r" + line.ljust(70) + ("\n" if final else ""))
        sys.stderr.flush()

    def warc_files(self) -> list[str]:
        """The WARC file of this crawl's checks: from the archive pipeline, else by this process's id."""
        names = []
        scraper = getattr(self.crawler.engine, "scraper", None)
        for pipe in getattr(getattr(scraper, "itemproc", None), "middlewares", ()):
            archive = getattr(pipe, "archive", None)
            path = getattr(archive, "final_path", None)
            if path is not None and Path(path).exists():
                names.append(Path(path).name)
        if not names:
            folder = self.data_dir / "warcs"
            names = sorted(p.name for p in folder.glob(f"policykb-*-{os.getpid()}.warc.gz")
                           if p.stat().st_mtime >= self.started - 1)
        return names

    def spider_closed(self, spider, reason):
        self._draw(final=True)
        finished = time.time()
        stats = {k: _jsonable(v) for k, v in self.crawler.stats.get_stats().items()}
        by_status = {k.rsplit("/", 1)[1]: v for k, v in stats.items()
                     if k.startswith("downloader/response_status_count/")}
        exceptions = {k.rsplit("/", 1)[1]: v for k, v in stats.items()
                      if k.startswith("downloader/exception_type_count/")}
        record = {
            "id": self.run_id,
            "kind": self.kind,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "spider": spider.name,
            "started_at": iso(self.started),
            "finished_at": iso(finished),
            "duration_s": round(finished - self.started, 3),
            "finish_reason": reason,
            "platforms": sorted({d.split("/")[0] for d in self.scheduled}),
            "documents": sorted(self.scheduled),
            "requests": self.requests,
            "responses": stats.get("downloader/response_count", 0),
            "responses_by_status": by_status,
            "items": stats.get("item_scraped_count", 0),
            "fetch_statuses": dict(self.statuses),
            "failures_by_reason": dict(self.failures),
            "exceptions": exceptions,
            "warc_files": self.warc_files(),
            "stats": stats,
        }
        folder = self.data_dir / RUNS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.run_id}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        logger.info("run stats written to %s", path)


class ConditionalAutoThrottle(AutoThrottle):
    """AutoThrottle that reads a ``304 Not Modified`` as the success it is.

    Scrapy's AutoThrottle never lets a non-200 response lower a site's delay
    (an error page is fast and would speed the crawler up against a failing
    site). A tracker that asks conditionally gets 304 for almost every page of
    a cycle where nothing changed, so one slow answer early in such a cycle
    (the crawler still starting up) raised the delay for good: measured over
    1,000 unchanged pages on 50 hosts, the crawl took 36 s with AutoThrottle
    and 18 s with a fixed delay. Here a 304 adjusts the delay as a 200 does;
    every other status keeps Scrapy's rule.
    """

    def _adjust_delay(self, slot, latency, response):
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
