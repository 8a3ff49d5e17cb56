"""Item pipelines: thin adapters from Scrapy to :mod:`pipeline.archive`."""

import logging
from dataclasses import asdict

from pipeline.archive import Fetch, WarcArchive

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """Write every :class:`PolicySnapshot` to this crawl's WARC file."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.archive = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler.settings.get("POLICYKB_DATA_DIR"))
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self):
        self.archive = WarcArchive(self.data_dir)
        logger.info("archiving to %s", self.archive.path)

    def process_item(self, item):
        record_id = self.archive.write(Fetch(**asdict(item)))
        self.crawler.stats.inc_value("policykb/archived")
        return {"document": item.document, "status": item.status, "record": record_id, "error": item.error}

    def close_spider(self):
        if self.archive is not None:
            self.archive.close()
            logger.info("closed %s (%d records)", self.archive.final_path, self.archive.records)
