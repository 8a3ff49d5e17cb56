"""The generic policy spider: one spider for every declaration.

It fetches each declared document once per run, with conditional-request
validators from the archive, and yields one :class:`~pipeline.archive.Fetch` per fetch
attempt, successful or not: a 404, a timeout or a robots.txt refusal is a
check to record. Documents declared ``js: true`` are rendered in headless
Chromium (:mod:`spiders.browser`). For platforms whose declaration has a
``discovery`` section it also walks the help centre from the start pages
(bounded depth, declared domains only) and yields a :class:`DiscoveredPage`
per page it saw. It never writes to the database.

Run it with ``policykb crawl`` (which sets the data folder and replay URL), or
``scrapy crawl policy -a data=DIR -a platforms=demomart``. Spider arguments:
``sources`` (declarations folder), ``platforms`` and ``documents``
(comma-separated filters), ``discover`` (``0`` to skip discovery; discovery
is also skipped when ``documents`` is given).
"""

import asyncio
import logging
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse

from pipeline.archive import ValidatorIndex
from pipeline.blocked import page_reason, redirect_reason
from pipeline.sources import host_on_domains, in_host_turns, load_sources
from spiders import browser
from pipeline.normalize import canonical_url
from spiders.discovery import policy_links
from spiders.items import DiscoveredPage, Fetch
from pipeline.timeutil import now_iso


class PolicySpider(scrapy.Spider):
    name = "policy"

    def __init__(self, sources=None, platforms=None, documents=None, data=None, discover="1", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources_dir = sources
        self.platform_ids = [p for p in (platforms or "").split(",") if p] or None
        self.document_keys = {d for d in (documents or "").split(",") if d} or None
        self.data_dir = data
        self.platforms = load_sources(self.sources_dir, self.platform_ids, checked_in=data)
        self.discover = str(discover).lower() not in ("0", "false", "no", "off") and not self.document_keys
        self.allowed_domains = sorted({d for p in self.platforms for d in p.domains})
        self.replay = False
        self.replay_base = ""
        self.chromium = None
        self.tracked = {canonical_url(d.url) for p in self.platforms for d in p.documents}
        self._discovery_budget = {p.id: p.discovery.max_pages for p in self.platforms if p.discovery}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        kwargs.setdefault("data", crawler.settings.get("POLICYKB_DATA_DIR"))
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if settings.getbool("LOG_ENABLED", True):
            # Scrapy's handler drops what is below LOG_LEVEL, after each record was made: the DEBUG lines of
            # every response and item ("Crawled", "Scraped from") were built and thrown away at every other level
            logging.getLogger().setLevel(settings.get("LOG_LEVEL") or logging.DEBUG)
        replay = settings.get("POLICYKB_REPLAY_URL")
        spider.replay = bool(replay)
        spider.replay_base = (replay or "").rstrip("/")
        if replay:
            spider.allowed_domains.append(urlsplit(replay).hostname)
        if settings.getpriority("POLICYKB_CONTACT") > settings.getpriority("USER_AGENT"):
            # a contact given on the command line goes into the User-Agent too
            settings.set("USER_AGENT", f"policykb/0.1 (+{settings.get('POLICYKB_CONTACT')}; "
                                       "seller-policy change tracker)", priority="cmdline")
        if spider.needs_browser():
            spider.chromium = browser.chromium_path(settings)
            if spider.chromium:
                browser.enable(settings, spider.chromium, replay=spider.replay)
        return spider

    def selected(self):
        """The ``(platform, document)`` pairs this run fetches."""
        for platform in self.platforms:
            for doc in platform.documents:
                if not self.document_keys or doc.key in self.document_keys:
                    yield platform, doc

    def in_host_turns(self):
        """:meth:`selected`, one document of each host in turn (host A, B, C, A, B, C, ...).

        Declarations list a platform's documents together, often all on one
        host. Scrapy takes start requests in order while it has room
        (``CONCURRENT_REQUESTS``), and a request waiting out its host's delay
        holds a place: in declaration order the places fill with one host's
        documents and the others wait. In turns, every host is busy at once,
        each still at its own polite pace. Turns pay only with room for every
        host (``CONCURRENT_REQUESTS = 64``): 1,000 unchanged documents on 50
        hosts took 14.5 s to crawl, against 24.5 s in declaration order and
        25.5 s in turns with 16 places.
        """
        return in_host_turns(self.selected())

    def needs_browser(self) -> bool:
        return any(doc.js for _, doc in self.selected()) or (
            self.discover and any(p.discovery and p.discovery.js for p in self.platforms))

    async def start(self):
        index = ValidatorIndex(self.data_dir)
        for platform, doc in self.in_host_turns():
            if doc.js and not self.chromium:
                yield self._no_browser(doc)
                continue
            headers = {"Accept-Language": f"{doc.locale},{doc.locale.split('-')[0]};q=0.8"}
            previous = index.get(doc.key)
            # a rendered page is not the bytes the validators describe: no conditional request for it
            if previous and previous.get("url") == doc.url and not doc.js:
                if previous.get("etag"):
                    headers["If-None-Match"] = previous["etag"]
                if previous.get("last_modified"):
                    headers["If-Modified-Since"] = previous["last_modified"]
            meta = {"policykb_document": doc.key, "policykb_locale": doc.locale, "policykb_declared_url": doc.url}
            if doc.js:
                meta.update(self._browser_meta(doc.url, doc.select))
            yield scrapy.Request(doc.url, callback=self.parse_document, errback=self.fetch_failed, headers=headers,
                                 dont_filter=True, meta=meta)
        if self.discover:
            for platform in self.platforms:
                if platform.discovery:
                    for url in platform.discovery.start:
                        request = self._discovery_request(platform, url, 0, "start", None)
                        if request is not None:
                            yield request

    # -- documents ------------------------------------------------------------------------------

    def _browser_meta(self, url, select=()):
        meta = {"playwright": True, "playwright_include_page": True, "playwright_context": "policykb",
                "policykb_select": list(select),
                "playwright_page_goto_kwargs": {"wait_until": "load"}}
        if self.replay:
            meta["playwright_page_init_callback"] = self._init_page
        return meta

    async def _init_page(self, page, request):
        """In replay mode, answer the page's own requests from the replay server too."""
        original = request.meta.get("policykb_original_url") or request.url
        await page.route("**", browser.replay_router(self.replay_base, original))

    async def _rendered(self, response):
        """The rendered DOM of a browser response, once the declared selector shows (or the wait runs out)."""
        page = response.meta.pop("playwright_page", None)
        if page is None:
            return response
        select = response.meta.get("policykb_select") or []
        wait_ms = self.settings.getint("POLICYKB_JS_WAIT_MS", 15000)
        try:
            if response.status >= 400:
                pass  # an error page: nothing to wait for
            elif select:
                await page.wait_for_selector(", ".join(select), state="attached", timeout=wait_ms)
            else:
                await page.wait_for_load_state("networkidle", timeout=wait_ms)
        except Exception as exc:  # playwright's TimeoutError: archive what rendered; extraction will say why
            self.logger.info("%s: %s", response.url, str(exc).splitlines()[0])
        try:
            html = await page.content()
        finally:
            await page.close()
        headers = response.headers.copy()
        headers["Content-Type"] = "text/html; charset=utf-8"
        headers["X-PolicyKB-Rendered"] = "chromium"
        for name in ("Content-Length", "ETag", "Last-Modified"):
            headers.pop(name, None)
        extra = {"encoding": "utf-8"} if isinstance(response, TextResponse) else {}
        return response.replace(body=html.encode("utf-8"), headers=headers, **extra)

    async def parse_document(self, response):
        """Yield the fetch as a snapshot, whatever its status."""
        if "playwright_page" in response.meta:
            response = await self._rendered(response)
            # the browser follows redirects itself: keep Scrapy's rule that a fetch stays on the declared domains
            if not host_on_domains(urlsplit(response.url).hostname or "", self.allowed_domains):
                declared = response.meta.get("policykb_declared_url")
                yield Fetch(
                    document=response.meta["policykb_document"], url=declared, final_url=response.url, status=0,
                    fetched_at=now_iso(), observed_at=self._observed_at(response), locale=response.meta.get(
                        "policykb_locale"),
                    error=redirect_reason(declared, response.url)
                    or f"redirected outside the declared domains ({response.url})")
                return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs]
        yield Fetch(
            document=response.meta["policykb_document"],
            url=response.meta.get("policykb_declared_url") or response.meta.get("policykb_original_url")
            or response.request.url,
            final_url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=now_iso(),
            observed_at=self._observed_at(response),
            locale=response.meta.get("policykb_locale"),
            redirects=response.meta.get("policykb_redirects") or [],
        )

    def _no_browser(self, doc):
        return Fetch(
            document=doc.key, url=doc.url, final_url=doc.url, status=0, fetched_at=now_iso(),
            observed_at=self._replay_clock(), locale=doc.locale,
            error=f"JavaScript rendering needed (js: true) but no browser: "
                  f"{self.settings.get('POLICYKB_CHROMIUM')} not found (apt-get install chromium)",
        )

    def failure_reason(self, failure) -> str:
        """One line saying why a fetch produced no usable response."""
        request = failure.request
        declared = request.meta.get("policykb_declared_url") or request.meta.get("policykb_original_url")
        if failure.check(IgnoreRequest):
            reason = str(failure.value) or "request ignored"
            if "robots.txt" in reason.lower():
                return "disallowed by robots.txt"
            if "offsite" in reason.lower() or "allowed_domains" in reason.lower():
                target = request.url
                if self.replay and target.startswith(self.replay_base + "/"):
                    target = target[len(self.replay_base) + 1:]
                return redirect_reason(declared, target) or \
                    f"redirected outside the declared domains ({target})"
            return reason
        message = failure.getErrorMessage().splitlines()[0] if failure.getErrorMessage() else ""
        if failure.type.__name__ == "TimeoutError" and request.meta.get("playwright"):
            return f"JavaScript page did not load in time ({message})"
        return f"{failure.type.__name__}: {message}"

    def fetch_failed(self, failure):
        """A fetch that produced no usable response is still a check."""
        request = failure.request
        page = request.meta.pop("playwright_page", None)
        if page is not None:
            asyncio.ensure_future(page.close())
        if request.meta.get("policykb_discovery"):
            yield self._discovery_failed(failure)
            return
        response = getattr(failure.value, "response", None)
        yield Fetch(
            document=request.meta["policykb_document"],
            url=request.meta.get("policykb_declared_url") or request.meta.get("policykb_original_url")
            or request.url,
            final_url=request.meta.get("policykb_original_url") or request.url,
            status=0,
            fetched_at=now_iso(),
            observed_at=self._observed_at(response) if response is not None else self._replay_clock(),
            error=self.failure_reason(failure),
            locale=request.meta.get("policykb_locale"),
            redirects=request.meta.get("policykb_redirects") or [],
        )

    # -- discovery ------------------------------------------------------------------------------

    def _discovery_request(self, platform, url, depth, kind, found_on):
        if self._discovery_budget.get(platform.id, 0) <= 0:
            return None
        self._discovery_budget[platform.id] -= 1
        meta = {"policykb_discovery": platform.id, "policykb_depth": depth, "policykb_kind": kind,
                "policykb_found_on": found_on, "policykb_declared_url": url}
        if platform.discovery.js:
            if not self.chromium:
                return None
            meta.update(self._browser_meta(url))
        return scrapy.Request(url, callback=self.parse_discovery, errback=self.fetch_failed, meta=meta)

    async def parse_discovery(self, response):
        """Record the page and its policy links; follow them while the depth allows."""
        if "playwright_page" in response.meta:
            response = await self._rendered(response)
        meta = response.meta
        platform = next(p for p in self.platforms if p.id == meta["policykb_discovery"])
        depth = meta["policykb_depth"]
        item = DiscoveredPage(
            platform=platform.id, url=meta["policykb_declared_url"], final_url=response.url, status=response.status,
            depth=depth, kind=meta["policykb_kind"], found_on=meta["policykb_found_on"],
            observed_at=self._observed_at(response), fetched_at=now_iso(),
        )
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if response.status != 200 or not content_type.lower().startswith(("text/html", "application/xhtml")):
            item.error = f"HTTP {response.status}" if response.status != 200 else f"not HTML ({content_type})"
            yield item
            return
        blocked = redirect_reason(item.url, response.url) or page_reason(response.body, content_type)
        if blocked:
            item.error = blocked
            yield item
            return
        item.title = (response.css("h1::text").get() or response.css("title::text").get() or "").strip() or None
        anchors = [(a.attrib.get("href"), " ".join(a.css("::text").getall())) for a in response.css("a[href]")]
        item.links = policy_links(platform, response.url, anchors, self.tracked)
        yield item
        if depth >= platform.discovery.depth:
            return
        for link in item.links:
            if link["kind"] in ("document", "follow"):
                request = self._discovery_request(platform, link["url"], depth + 1, link["kind"], response.url)
                if request is not None:
                    yield request

    def _discovery_failed(self, failure):
        meta = failure.request.meta
        return DiscoveredPage(
            platform=meta["policykb_discovery"], url=meta["policykb_declared_url"],
            final_url=meta.get("policykb_original_url") or failure.request.url, status=0,
            depth=meta["policykb_depth"], kind=meta["policykb_kind"], found_on=meta["policykb_found_on"],
            observed_at=self._replay_clock(), fetched_at=now_iso(), error=self.failure_reason(failure),
        )

    # -- clocks ---------------------------------------------------------------------------------

    def _observed_at(self, response=None):
        if response is not None and self.replay:
            as_of = response.headers.get("X-Replay-As-Of")
            if as_of:
                return as_of.decode("ascii")
        return now_iso()

    def _replay_clock(self):
        """Ask the replay server for its clock (a failure has no response to read it from)."""
        if not self.replay:
            return now_iso()
        import json
        import urllib.request

        try:
            with urllib.request.urlopen(self.replay_base + "/_replay/status", timeout=5) as fh:
                return json.load(fh)["as_of"]
        except (OSError, ValueError, KeyError):
            return now_iso()
