"""Scrapy settings for policykb.

Behaviour lives here, versioned; per-deployment values come from environment
variables (``POLICYKB_USER_AGENT``, ``POLICYKB_CONTACT``) or the command line.
"""

import os

BOT_NAME = "policykb"
SPIDER_MODULES = ["spiders.policy"]
NEWSPIDER_MODULE = "spiders.policy"

CONTACT = os.environ.get("POLICYKB_CONTACT", "https://github.com/policykb/policykb")
USER_AGENT = os.environ.get("POLICYKB_USER_AGENT", f"policykb/0.1 (+{CONTACT}; policy change tracker)")

# Politeness is not optional.
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024

# Every status reaches the spider: a 404 or 503 is a check to record, not noise.
HTTPERROR_ALLOW_ALL = True

DOWNLOADER_MIDDLEWARES = {
    "spiders.middlewares.ReplayRewriteMiddleware": 950,
}
ITEM_PIPELINES = {
    "spiders.pipelines.ArchivePipeline": 300,
}

# Where WARCs are written (the `--data` folder); replay server base URL if any.
POLICYKB_DATA_DIR = os.environ.get("POLICYKB_DATA", "data")
POLICYKB_REPLAY_URL = os.environ.get("POLICYKB_REPLAY_URL", "")

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("POLICYKB_LOG_LEVEL", "INFO")
TELNETCONSOLE_ENABLED = False
