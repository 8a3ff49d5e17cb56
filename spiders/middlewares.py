"""Downloader middlewares.

:class:`ReplayRewriteMiddleware` sends every request to the replay server when
``POLICYKB_REPLAY_URL`` is set, so declarations keep their real URLs. It runs
last on the way out and first on the way back: robots.txt, redirects and
retries all see the original URL.
"""

from urllib.parse import urlsplit

from scrapy import signals


class ReplayRewriteMiddleware:
    """Rewrite ``https://host/path`` to ``<replay>/https://host/path`` and back."""

    def __init__(self, replay_url: str):
        self.base = replay_url.rstrip("/")

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler.settings.get("POLICYKB_REPLAY_URL", ""))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        if self.base:
            spider.logger.info("replay mode: every request goes to %s", self.base)

    def process_request(self, request):
        if not self.base or request.url.startswith(self.base + "/"):
            return None
        if urlsplit(request.url).scheme not in ("http", "https"):
            return None
        host = urlsplit(request.url).hostname or ""
        meta = dict(request.meta)
        meta["policykb_original_url"] = request.url
        meta["dont_obey_robotstxt"] = True  # already checked against the original host
        meta.setdefault("download_slot", host)  # keep per-domain politeness per original host
        return request.replace(url=f"{self.base}/{request.url}", meta=meta, dont_filter=True)

    def process_response(self, request, response):
        if self.base and response.url.startswith(self.base + "/"):
            original = response.url[len(self.base) + 1 :]
            if original.startswith(("http://", "https://")):
                return response.replace(url=original)
        return response
