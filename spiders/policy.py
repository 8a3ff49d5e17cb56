"""The generic policy spider: one spider for every declaration.

It fetches each declared document once per run, with conditional-request
validators from the archive, and yields one :class:`PolicySnapshot` per fetch
attempt, successful or not: a 404, a timeout or a robots.txt refusal is a
check to record. It never writes to the database.

Run it with ``policykb crawl`` (which sets the data folder and replay URL), or
``scrapy crawl policy -a data=DIR -a platforms=demomart``.
"""

from datetime import datetime, timezone

import scrapy
from scrapy.exceptions import IgnoreRequest

from pipeline.archive import ValidatorIndex
from pipeline.sources import load_sources
from spiders.items import PolicySnapshot


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PolicySpider(scrapy.Spider):
    name = "policy"

    def __init__(self, sources=None, platforms=None, documents=None, data=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources_dir = sources
        self.platform_ids = [p for p in (platforms or "").split(",") if p] or None
        self.document_keys = {d for d in (documents or "").split(",") if d} or None
        self.data_dir = data
        self.platforms = load_sources(self.sources_dir, self.platform_ids)
        self.allowed_domains = sorted({d for p in self.platforms for d in p.domains})

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        kwargs.setdefault("data", crawler.settings.get("POLICYKB_DATA_DIR"))
        spider = super().from_crawler(crawler, *args, **kwargs)
        replay = crawler.settings.get("POLICYKB_REPLAY_URL")
        spider.replay = bool(replay)
        if replay:
            from urllib.parse import urlsplit

            spider.allowed_domains.append(urlsplit(replay).hostname)
        return spider

    async def start(self):
        index = ValidatorIndex(self.data_dir)
        for platform in self.platforms:
            for doc in platform.documents:
                if self.document_keys and doc.key not in self.document_keys:
                    continue
                headers = {"Accept-Language": f"{doc.locale},{doc.locale.split('-')[0]};q=0.8"}
                previous = index.get(doc.key)
                if previous and previous.get("url") == doc.url:
                    if previous.get("etag"):
                        headers["If-None-Match"] = previous["etag"]
                    if previous.get("last_modified"):
                        headers["If-Modified-Since"] = previous["last_modified"]
                yield scrapy.Request(
                    doc.url, callback=self.parse_document, errback=self.fetch_failed, headers=headers,
                    dont_filter=True, meta={"policykb_document": doc.key, "policykb_locale": doc.locale},
                )

    def _observed_at(self, response=None):
        if response is not None and self.replay:
            as_of = response.headers.get("X-Replay-As-Of")
            if as_of:
                return as_of.decode("ascii")
        return _now()

    def parse_document(self, response):
        """Yield the fetch as a snapshot, whatever its status."""
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs]
        yield PolicySnapshot(
            document=response.meta["policykb_document"],
            url=response.meta.get("policykb_original_url") or response.request.url,
            final_url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=_now(),
            observed_at=self._observed_at(response),
            locale=response.meta.get("policykb_locale"),
        )

    def fetch_failed(self, failure):
        """A fetch that produced no usable response is still a check."""
        request = failure.request
        if failure.check(IgnoreRequest):
            reason = str(failure.value) or "request ignored"
            if "robots.txt" in reason.lower() or "Forbidden by robots.txt" in reason:
                reason = "disallowed by robots.txt"
            elif "offsite" in reason.lower():
                reason = f"redirected outside the declared domains: {reason}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        response = getattr(failure.value, "response", None)
        yield PolicySnapshot(
            document=request.meta["policykb_document"],
            url=request.meta.get("policykb_original_url") or request.url,
            final_url=request.meta.get("policykb_original_url") or request.url,
            status=0,
            fetched_at=_now(),
            observed_at=self._observed_at(response) if response is not None else self._replay_clock(),
            error=reason,
            locale=request.meta.get("policykb_locale"),
        )

    def _replay_clock(self):
        """Ask the replay server for its clock (a failure has no response to read it from)."""
        if not self.replay:
            return _now()
        import json
        import urllib.request

        base = self.settings.get("POLICYKB_REPLAY_URL").rstrip("/")
        try:
            with urllib.request.urlopen(base + "/_replay/status", timeout=5) as fh:
                return json.load(fh)["as_of"]
        except (OSError, ValueError, KeyError):
            return _now()
