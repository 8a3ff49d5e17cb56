"""Scrapy settings for policykb.

Behaviour lives here, versioned; per-deployment values come from environment
variables (``POLICYKB_CONTACT``, ``POLICYKB_USER_AGENT``, ``POLICYKB_CHROMIUM``)
or the command line (``policykb crawl --setting NAME=VALUE``).

Politeness is not optional: robots.txt is obeyed, AutoThrottle adapts the
pace to each site's latency, at most 2 requests per domain are in flight, a
429/503 ``Retry-After`` is honoured (up to a cap), documents already archived
are fetched conditionally (``If-None-Match`` / ``If-Modified-Since``), and the
User-Agent names the project and a contact URL.
"""

import os

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "policykb"
SPIDER_MODULES = ["spiders.policy"]
NEWSPIDER_MODULE = "spiders.policy"

#: Where a site owner can read what this crawler is and reach whoever runs it.
POLICYKB_CONTACT = os.environ.get("POLICYKB_CONTACT", "https://github.com/policykb/policykb")
USER_AGENT = os.environ.get("POLICYKB_USER_AGENT", f"policykb/0.1 (+{POLICYKB_CONTACT}; seller-policy change tracker)")

# Politeness.
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
#: Places for requests in flight or waiting out their host's delay, over all hosts. Politeness is per
#: host (the next three settings); this only has to let every declared host be busy at once: with 16,
#: eight hosts filled it and the rest waited (see ``PolicySpider.in_host_turns``).
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
#: Items a response's output is worked on by at once. Each callback yields one item (a fetch, or a page seen by
#: discovery), but Scrapy (2.19) starts this many worker tasks for every response's output whatever it holds: at
#: its default of 100, a byte-identical crawl of 200 documents took 3.5 CPU s, at 4, 3.0 (medians of 3,
#: alternated in one run; about 2 ms of CPU a response).
CONCURRENT_ITEMS = 4
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
#: Longest ``Retry-After`` honoured by waiting (seconds); a longer one is a failed check.
POLICYKB_RETRY_AFTER_MAX = float(os.environ.get("POLICYKB_RETRY_AFTER_MAX", "120"))
#: First wait before retrying a server error without Retry-After (seconds); doubled at each retry.
POLICYKB_RETRY_BACKOFF = float(os.environ.get("POLICYKB_RETRY_BACKOFF", "1"))
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024

# Every status reaches the spider: a 404 or 503 is a check to record, not noise.
HTTPERROR_ALLOW_ALL = True

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.DeclaredDomainsMiddleware": 55,
    "spiders.middlewares.RetryAfterMiddleware": 550,
    "spiders.middlewares.RedirectRecorder": 650,  # sees each 3xx before RedirectMiddleware (600) follows it
    "spiders.middlewares.ReplayRewriteMiddleware": 950,
}
ITEM_PIPELINES = {
    "spiders.pipelines.ArchivePipeline": 300,
}

# JavaScript pages (``js: true``): Debian's Chromium driven by scrapy-playwright.
# The spider switches the download handlers on only when a crawl has such a page.
POLICYKB_CHROMIUM = os.environ.get("POLICYKB_CHROMIUM", "/usr/bin/chromium")
#: How long a rendered page may take to show its declared selector (ms).
POLICYKB_JS_WAIT_MS = int(os.environ.get("POLICYKB_JS_WAIT_MS", "15000"))
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30000

# Where WARCs are written (the `--data` folder); replay server base URL if any.
POLICYKB_DATA_DIR = os.environ.get("POLICYKB_DATA", "data")
POLICYKB_REPLAY_URL = os.environ.get("POLICYKB_REPLAY_URL", "")

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("POLICYKB_LOG_LEVEL", "INFO")
# No consoles into a running crawl: the telnet console, and Scrapy's remote control (2.19: an HTTP server on
# localhost that runs Python code sent to it, its token written to a file in the user's profile). Both are
# also left out of Scrapy's base extensions, so that their modules are not even imported: Scrapy imports every
# extension it lists, a disabled or a None one too (the remote control's aiohttp cost each crawl 0.3 CPU s).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS_BASE = {path: order for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
                   if path.rsplit(".", 1)[-1] not in ("TelnetConsole", "RemoteControl")}

# Run records: each crawl writes its stats to DATA/runs/<run id>.json (spiders/extensions.py).
# POLICYKB_RUN_ID is set by `policykb watch`; POLICYKB_PROGRESS: auto (a TTY), 1 or 0.
EXTENSIONS = {
    "spiders.extensions.RunStats": 500,
    # AutoThrottle, but a 304 may lower a site's delay as a 200 does (see the class)
    "scrapy.extensions.throttle.AutoThrottle": None,
    "spiders.extensions.ConditionalAutoThrottle": 0,
}
POLICYKB_RUN_ID = os.environ.get("POLICYKB_RUN_ID", "")
POLICYKB_PROGRESS = os.environ.get("POLICYKB_PROGRESS", "auto")
