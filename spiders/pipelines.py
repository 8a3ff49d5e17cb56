"""Item pipelines: thin adapters from Scrapy to :mod:`pipeline.archive`.

Fetches of declared documents go to the crawl's WARC file. Pages seen by
discovery go, as ``metadata`` records (JSON: the page, its title and its
policy links), to a separate ``discovery-<time>-<pid>.warc.gz`` beside it,
written ``.open`` and renamed when the crawl ends like the main file. They
carry ``PolicyKB-Discovery-Platform`` instead of ``PolicyKB-Document``, so
the document builder passes over them and ``policykb build`` turns them into
the ``discovered_documents`` table (see :mod:`kb.cli.sources`).
"""

import json
import logging
import os
from dataclasses import asdict
from datetime import datetime, timezone
from io import BytesIO

from warcio.warcwriter import WARCWriter

from pipeline.archive import WarcArchive, warc_dir
from spiders.items import DiscoveredPage

logger = logging.getLogger(__name__)

DISCOVERY_PREFIX = "discovery-"
DISCOVERY_HEADER = "PolicyKB-Discovery-Platform"


class DiscoveryArchive:
    """Appends :class:`DiscoveredPage` records to this crawl's discovery WARC (created on first use)."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self._file = None
        self.records = 0

    def _open(self):
        folder = warc_dir(self.data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self.final_path = folder / f"{DISCOVERY_PREFIX}{stamp}-{os.getpid()}.warc.gz"
        self.path = self.final_path.with_name(self.final_path.name + ".open")
        self._file = open(self.path, "ab")
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        info = {"software": "policykb", "description": "policykb discovery: pages and policy links"}
        self._writer.write_record(self._writer.create_warcinfo_record(self.final_path.name, info))

    def write(self, page: DiscoveredPage) -> str:
        if self._file is None:
            self._open()
        payload = json.dumps(asdict(page), ensure_ascii=False).encode("utf-8")
        headers = {DISCOVERY_HEADER: page.platform, "PolicyKB-Observed-At": page.observed_at or page.fetched_at}
        if page.fetched_at:
            headers["WARC-Date"] = page.fetched_at
        record = self._writer.create_warc_record(
            page.final_url or page.url, "metadata", payload=BytesIO(payload), length=len(payload),
            warc_content_type="application/json", warc_headers_dict=headers,
        )
        self._writer.write_record(record)
        self._file.flush()
        self.records += 1
        return record.rec_headers.get_header("WARC-Record-ID")

    def close(self):
        if self._file is None or self._file.closed:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.path, self.final_path)
        logger.info("closed %s (%d discovery records)", self.final_path, self.records)


class ArchivePipeline:
    """Write every :class:`PolicySnapshot` to this crawl's WARC file (and discovery pages beside it)."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.archive = None
        self.discovery = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler.settings.get("POLICYKB_DATA_DIR"))
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self):
        self.archive = WarcArchive(self.data_dir)
        self.discovery = DiscoveryArchive(self.data_dir)
        logger.info("archiving to %s", self.archive.path)

    def process_item(self, item):
        if isinstance(item, DiscoveredPage):
            record_id = self.discovery.write(item)
            self.crawler.stats.inc_value("policykb/discovery_pages")
            return {"discovered": item.url, "links": len(item.links), "record": record_id, "error": item.error}
        record_id = self.archive.write(item)  # a PolicySnapshot is a Fetch
        self.crawler.stats.inc_value("policykb/archived")
        return {"document": item.document, "status": item.status, "record": record_id, "error": item.error}

    def close_spider(self):
        if self.discovery is not None:
            self.discovery.close()
        if self.archive is not None:
            self.archive.close()
            logger.info("closed %s (%d records)", self.archive.final_path, self.archive.records)
