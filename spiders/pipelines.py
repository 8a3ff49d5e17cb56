"""Item pipelines: thin adapters from Scrapy to :mod:`pipeline.archive`.

Fetches of declared documents go to the crawl's WARC file. Pages seen by
discovery go, as ``metadata`` records (JSON: the page, its title and its
policy links; target URI ``urn:policykb:discovery:<platform>``, the page's
URL in ``PolicyKB-Page-URL``), to a separate ``discovery-<time>-<pid>.warc.gz`` beside it,
written ``.open`` and renamed when the crawl ends like the main file. They
carry ``PolicyKB-Discovery-Platform`` instead of ``PolicyKB-Document``, so
the document builder passes over them and ``policykb build`` turns them into
the ``discovered_documents`` table (see :mod:`kb.cli.sources`).
"""

import json
import logging
from dataclasses import asdict

from pipeline.archive import (DISCOVERY_HEADER, DISCOVERY_PREFIX, FETCHED_AT_HEADER, PAGE_URL_HEADER,  # noqa: F401
                              WarcArchive, WarcFile, metadata_uri)
from spiders.items import DiscoveredPage

logger = logging.getLogger(__name__)


class DiscoveryArchive:
    """Appends :class:`DiscoveredPage` records to this crawl's discovery WARC (created on first use)."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self._warc = None

    @property
    def records(self) -> int:
        return self._warc.records if self._warc else 0

    def write(self, page: DiscoveredPage) -> str:
        if self._warc is None:
            self._warc = WarcFile(self.data_dir, DISCOVERY_PREFIX,
                                  {"software": "policykb", "description": "policykb discovery: pages and policy links"})
            self.path, self.final_path = self._warc.path, self._warc.final_path
        payload = json.dumps(asdict(page), ensure_ascii=False).encode("utf-8")
        captured = page.observed_at or page.fetched_at
        headers = {DISCOVERY_HEADER: page.platform, "PolicyKB-Observed-At": captured,
                   PAGE_URL_HEADER: page.final_url or page.url}
        if captured:
            headers["WARC-Date"] = captured
        if page.fetched_at and page.fetched_at != captured:
            headers[FETCHED_AT_HEADER] = page.fetched_at
        # not under the page's URL: indexers would list the record as a capture of the page
        return self._warc.write_record(self._warc.metadata_record(metadata_uri("discovery", page.platform), payload,
                                                                  headers))

    def close(self):
        if self._warc is None or self._warc.closed:
            return
        self._warc.close()
        logger.info("closed %s (%d discovery records)", self.final_path, self.records)


class ArchivePipeline:
    """Write every :class:`~pipeline.archive.Fetch` to this crawl's WARC file (and discovery pages beside it)."""

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
        record_id = self.archive.write(item)
        self.crawler.stats.inc_value("policykb/archived")
        return {"document": item.document, "status": item.status, "record": record_id, "error": item.error}

    def close_spider(self):
        if self.discovery is not None:
            self.discovery.close()
        if self.archive is not None:
            self.archive.close()
            logger.info("closed %s (%d records)", self.archive.final_path, self.archive.records)
