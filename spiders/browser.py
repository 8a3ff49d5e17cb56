"""JavaScript pages: rendering in Debian's headless Chromium through scrapy-playwright.

A document declared ``js: true`` is loaded in a real browser, its scripts
run, and the rendered DOM is what gets archived. No browser is downloaded:
Playwright drives the system's Chromium by its executable path
(``POLICYKB_CHROMIUM``, default ``/usr/bin/chromium``; ``apt-get install
chromium``). Without it, a JavaScript document becomes a failed check that
says so, and the rest of the crawl goes on.

In replay mode every request the page makes to a real host (scripts, XHR)
is answered by the replay server, so a rendered page never touches the
internet.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: Chromium flags for a headless browser in a container (no sandbox namespaces, small /dev/shm).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--headless=new",
                 "--disable-extensions", "--no-first-run", "--mute-audio"]
#: Resource types a policy text never needs: not fetched (faster, and lighter on the site).
SKIPPED_RESOURCES = {"image", "media", "font"}
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def chromium_path(settings=None) -> str | None:
    """The Chromium executable to drive, or None when there is none."""
    wanted = (settings.get("POLICYKB_CHROMIUM") if settings is not None else None) or \
        os.environ.get("POLICYKB_CHROMIUM") or DEFAULT_CHROMIUM
    found = shutil.which(wanted) or (wanted if os.path.isfile(wanted) and os.access(wanted, os.X_OK) else None)
    return found


def enable(settings, executable: str, replay: bool = False) -> None:
    """Route http(s) downloads through scrapy-playwright (requests without ``playwright`` meta
    still use Scrapy's own downloader) and launch ``executable`` when a page first needs it.

    :param settings: the crawler's settings, before they are frozen (``Spider.from_crawler``)
    :param executable: path of the Chromium binary
    :param replay: replay mode: the browser resolves no host name at all, so nothing it does
        (not even a redirect, which Playwright's routing does not see) can leave loopback
    """
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    args = list(CHROMIUM_ARGS)
    if replay:
        args.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost")
    settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="spider")
    settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="spider")
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {"executable_path": executable, "args": args,
                                               "headless": True}, priority="spider")
    settings.set("PLAYWRIGHT_ABORT_REQUEST", "spiders.browser.abort_request", priority="spider")
    settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2) * 4,
                 priority="spider")


def abort_request(request) -> bool:
    """Playwright hook: skip images, fonts and media."""
    return request.resource_type in SKIPPED_RESOURCES


def replay_router(replay_base: str, original_url: str):
    """A Playwright route handler that sends a page's sub-requests to the replay server.

    ``https://host/x.js`` becomes ``<replay>/https://host/x.js``; a root-relative
    ``<replay>/x.js`` (a ``/x.js`` link on the replayed page) becomes
    ``<replay>/https://<page host>/x.js``. Loopback requests that already name
    an original URL go on unchanged (to scrapy-playwright's own handler).

    :param replay_base: the replay server's base URL
    :param original_url: the page's real URL
    """
    base = replay_base.rstrip("/")
    page = urlsplit(original_url)

    async def route(route, request):
        url = request.url
        parts = urlsplit(url)
        if (parts.hostname or "") in LOOPBACK:
            if url.startswith(base + "/http://") or url.startswith(base + "/https://") or \
                    not url.startswith(base + "/"):
                await route.fallback()
                return
            target = f"{base}/{page.scheme}://{page.netloc}{url[len(base):]}"
        elif parts.scheme in ("http", "https"):
            target = f"{base}/{url}"
        else:
            await route.fallback()
            return
        if request.resource_type in SKIPPED_RESOURCES:
            await route.abort()
            return
        response = await route.fetch(url=target)
        await route.fulfill(response=response)

    return route
