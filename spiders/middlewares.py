"""Downloader middlewares.

:class:`ReplayRewriteMiddleware` sends every request to the replay server when
``POLICYKB_REPLAY_URL`` is set, so declarations keep their real URLs. It runs
last on the way out and first on the way back: robots.txt, redirects and
retries all see the original URL.

:class:`RetryAfterMiddleware` replaces Scrapy's retry middleware: a 429 or
503 that says ``Retry-After`` is retried only after that wait, if the wait is
within ``POLICYKB_RETRY_AFTER_MAX`` seconds; past the cap, or once the retries
are spent, the 429 itself reaches the spider and becomes a failed check.

:class:`RedirectRecorder` keeps each redirect a document's fetch follows (the
3xx answer, headers and body), so the archive writes the declared URL's own
answer as a record before the final page's; it also hands Scrapy's redirect
middleware a relative ``Location`` already resolved against the page's own
URL (which that middleware would resolve against the replay server's).
"""

import asyncio
import email.utils
import logging
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware

logger = logging.getLogger(__name__)


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


class RedirectRecorder:
    """Keep the 3xx answers a document's fetch follows in ``request.meta["policykb_redirects"]``.

    It sits between the downloader and Scrapy's redirect middleware (so it sees each 3xx before it is
    followed, with its original URL already restored by :class:`ReplayRewriteMiddleware`). The list is made on
    the way out and shared by the requests the redirect middleware derives (their meta is a shallow copy), so
    the spider finds every hop on the final response, or on the failure if a redirect was refused.

    Scrapy's redirect middleware resolves a relative ``Location`` against ``request.url``, which in replay mode
    is the replay server's URL (``<replay>/https://host/path``), so ``Location: /help/new`` would lead to the
    replay server's own ``/help/new``. The hop is recorded as it came; the response passed on carries the
    ``Location`` resolved against the page's own URL, as a live crawl resolves it.
    """

    #: at most this many hops are kept (a redirect loop stops at Scrapy's REDIRECT_MAX_TIMES anyway)
    MAX_HOPS = 10

    def process_request(self, request):
        if "policykb_document" in request.meta:
            request.meta.setdefault("policykb_redirects", [])
        return None

    def process_response(self, request, response):
        if not (300 <= response.status < 400 and b"Location" in response.headers):
            return response
        hops = request.meta.get("policykb_redirects")
        if hops is not None and len(hops) < self.MAX_HOPS:
            from pipeline.timeutil import now_iso

            hops.append({
                "url": response.url, "status": response.status, "body": response.body, "fetched_at": now_iso(),
                "headers": [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items()
                            for v in vs],
            })
        location = response.headers[b"Location"].decode("latin-1")
        absolute = urljoin(response.url, location)
        if absolute != location and urlsplit(absolute).scheme in ("http", "https"):
            headers = response.headers.copy()
            headers[b"Location"] = absolute.encode("latin-1")
            response = response.replace(headers=headers)
        return response


def parse_retry_after(value, now=None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None.

    :param value: the header value (str or bytes)
    :param now: the current time (for HTTP dates), default: now
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting first: as ``Retry-After`` asks (up to a cap), else backing off.

    Settings: ``POLICYKB_RETRY_AFTER_MAX`` (seconds, default 120): a longer
    ``Retry-After`` is not honoured by waiting; the response is passed on and
    recorded as a failed check. A retryable status without ``Retry-After``
    (500, 502, 503, 504, 408, 429, ...) is retried after
    ``POLICYKB_RETRY_BACKOFF`` seconds (default 1), doubled at each retry,
    so a struggling server is not hammered. ``RETRY_TIMES`` bounds the
    retries as usual.
    """

    RETRY_AFTER_CODES = {429, 503}

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("POLICYKB_RETRY_AFTER_MAX", 120.0)
        self.backoff = settings.getfloat("POLICYKB_RETRY_BACKOFF", 1.0)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False):
            return response
        if response.status in self.RETRY_AFTER_CODES:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None:
                retries = request.meta.get("retry_times", 0)
                if wait > self.max_wait:
                    logger.warning("%s: Retry-After %.0fs is over the %.0fs cap; not retrying", request.url, wait,
                                   self.max_wait)
                    return response
                if retries >= request.meta.get("max_retry_times", self.max_retry_times):
                    return response
                logger.info("%s: HTTP %d, waiting %.1fs as Retry-After asks", request.url, response.status, wait)
                await asyncio.sleep(wait)
                return self._retry(request, f"HTTP {response.status} with Retry-After {wait:.0f}s") or response
        if response.status in self.retry_http_codes:
            retries = request.meta.get("retry_times", 0)
            if retries < request.meta.get("max_retry_times", self.max_retry_times) and self.backoff > 0:
                wait = min(self.max_wait, self.backoff * 2 ** retries)
                logger.info("%s: HTTP %d, retrying in %.1fs", request.url, response.status, wait)
                await asyncio.sleep(wait)
        return super().process_response(request, response)


class DeclaredDomainsMiddleware:
    """Refuse a redirect that leaves the declared domains, even for a ``dont_filter`` request.

    Scrapy's offsite check lets every ``dont_filter`` request through, and a
    redirect inherits the flag from the document request it came from, so
    without this a declared page could take the crawler anywhere. The refusal
    reaches the spider's errback as an ``IgnoreRequest`` naming the host, and
    the check's reason says where the redirect went (a login host, another
    country's site, ...).
    """

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls()
        mw.crawler = crawler
        return mw

    def process_request(self, request):
        from scrapy.exceptions import IgnoreRequest

        from pipeline.sources import host_on_domains

        if not request.meta.get("redirect_urls"):
            return None
        spider = self.crawler.spider
        replay = (self.crawler.settings.get("POLICYKB_REPLAY_URL") or "").rstrip("/")
        if replay and request.url.startswith(replay + "/"):
            return None
        host = urlsplit(request.url).hostname or ""
        domains = [d for d in (getattr(spider, "allowed_domains", None) or []) if d]
        if domains and not host_on_domains(host, domains):
            first = request.meta["redirect_urls"][0]
            raise IgnoreRequest(f"Filtered offsite request to {host!r} (redirected from {first})")
        return None
