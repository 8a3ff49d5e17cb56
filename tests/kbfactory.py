"""A KB built from in-memory fetches: what ``policykb crawl`` + ``policykb build`` leave, without Scrapy.

A real crawl (``tests/conftest.py``'s ``crawled_demo_kb``) starts a replay
server, runs Scrapy in a subprocess, and then ``policykb build``. Most tests
only read the KB it leaves, so here the same data folder is made in-process:

* :func:`fetch` asks :func:`replay.server.respond` (the replay server's own
  answer, without HTTP) for one declared document at one date, sending the
  conditional-request validators the spider would send, following redirects
  as Scrapy does and keeping each 3xx answer as
  :class:`spiders.middlewares.RedirectRecorder` does (so the archive writes
  the declared URL's own answer before the page's), and returns the
  :class:`pipeline.archive.Fetch` the spider would hand to the archive;
* :func:`crawl` writes one crawl's fetches with the real writer,
  :class:`pipeline.archive.WarcArchive` (so identical payloads become revisit
  records and 304s not-modified revisits, exactly as in a crawl);
* :func:`build` runs the real build on the data folder (the one place that
  names it);
* :func:`build_kb` does both at each date, as ``policykb demo`` does.

What a real crawl leaves that this does not: run statistics (``runs/`` and so
the ``runs`` table), Scrapy logs, discovery WARCs, robots.txt refusals, and
the order of records inside one crawl's WARC (Scrapy's concurrency decides
it; here it is the spider's host-turns order). Tests that need those use
``crawled_demo_kb``. ``tests/test_kbfactory.py`` checks that the KB tables
are otherwise the same as after a real crawl.
"""

from __future__ import annotations

import email.utils
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from pipeline.archive import Fetch, ValidatorIndex, WarcArchive
from pipeline.blocked import redirect_reason
from pipeline.sources import host_on_domains, in_host_turns, load_sources
from replay.server import DirectorySite, ReplayHandler, iso, parse_when, respond
from spiders.middlewares import RedirectRecorder

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "replay" / "sites" / "demo"
DEMO_SOURCES = ROOT / "spiders" / "sources" / "demo"

#: Scrapy's ``REDIRECT_MAX_TIMES`` default.
MAX_REDIRECTS = 20
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
#: What ``BaseHTTPRequestHandler.send_response`` puts first in every answer of the replay server.
SERVER_HEADER = f"{ReplayHandler.server_version} {ReplayHandler.sys_version}"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wire_headers(status: int, headers: dict, body: bytes) -> list[tuple[str, str]]:
    """The response headers as Scrapy hands them to the spider.

    The replay server's HTTP layer adds ``Server`` and ``Date`` before the
    answer's headers and ``Content-Length`` after them (none on a 304);
    Scrapy's ``Headers`` title-cases every name (``ETag`` becomes ``Etag``).
    """
    wire = [("Server", SERVER_HEADER), ("Date", email.utils.formatdate(usegmt=True)), *headers.items()]
    if status != 304:
        wire.append(("Content-Length", str(len(body))))
    return [(name.title(), str(value)) for name, value in wire]


def fetch(site, as_of, doc, previous: dict | None, allowed_domains=None, render=None) -> Fetch:
    """One fetch of a declared document as of a date, as the spider hands it to the archive.

    :param site: a replay site folder or :class:`replay.server.DirectorySite`
    :param as_of: the replay server's clock
    :param doc: the declared document (``pipeline.sources``)
    :param previous: the archive's validator index entry for the document (``ValidatorIndex.get``), or None
    :param allowed_domains: the crawl's domains (every declared platform's); a redirect off them fails
    :param render: for ``js: true`` documents, ``render(url, body: bytes) -> str``: the DOM Chromium would show
    """
    site = DirectorySite(site) if isinstance(site, (str, Path)) else site
    as_of = parse_when(as_of)
    fetched_at = _now()
    common = dict(document=doc.key, url=doc.url, fetched_at=fetched_at, observed_at=iso(as_of), locale=doc.locale)
    if doc.js and render is None:
        raise NotImplementedError(
            f"{doc.key} is declared js: true: a crawl renders it in Chromium and archives the rendered DOM, "
            "which this factory cannot make; pass render=, or use a real crawl (crawled_demo_kb)")
    request_headers = {"Accept-Language": f"{doc.locale},{doc.locale.split('-')[0]};q=0.8"}
    # as the spider: validators only for a page last archived from the declared URL, never for a rendered one
    if previous and previous.get("url") == doc.url and not doc.js:
        if previous.get("etag"):
            request_headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            request_headers["If-Modified-Since"] = previous["last_modified"]
    url, hops = doc.url, []
    common["redirects"] = hops  # Chromium follows a js page's redirects itself: none reach the recorder
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        status, headers, body = respond(site, as_of, parts.hostname or "", parts.path, parts.query, request_headers)
        location = next((v for k, v in headers.items() if k.lower() == "location"), None)
        if 300 <= status < 400 and location and not doc.js and len(hops) < RedirectRecorder.MAX_HOPS:
            hops.append({"url": url, "status": status, "body": body, "fetched_at": _now(),
                         "headers": _wire_headers(status, headers, body)})
        if status not in REDIRECT_STATUSES or not location:
            break
        # Scrapy's RedirectMiddleware, then spiders.middlewares.DeclaredDomainsMiddleware
        target = urljoin(url, location)
        if urlsplit(target).scheme not in ("http", "https"):
            break  # Scrapy hands the 3xx itself to the spider
        url, host = target, urlsplit(target).hostname or ""
        if allowed_domains and not host_on_domains(host, allowed_domains):
            # the spider's errback archives the failure under the URL it first asked for
            return Fetch(final_url=doc.url, status=0, **common,
                         error=redirect_reason(doc.url, url) or f"redirected outside the declared domains ({url})")
    else:
        return Fetch(final_url=doc.url, status=0, error="max redirections reached", **common)
    wire = _wire_headers(status, headers, body)
    if doc.js:  # spiders.policy.PolicySpider._rendered: what Chromium showed, re-labelled
        body = render(url, body).encode("utf-8")
        wire = [(k, "text/html; charset=utf-8" if k == "Content-Type" else v) for k, v in wire
                if k not in ("Content-Length", "Etag", "Last-Modified")]
        if "Content-Type" not in dict(wire):
            wire.append(("Content-Type", "text/html; charset=utf-8"))
        wire.append(("X-Policykb-Rendered", "chromium"))
    return Fetch(final_url=url, status=status, headers=wire, body=body, **common)


def crawl(data_dir, as_of, sources_dir=DEMO_SOURCES, site=DEMO_SITE, render=None) -> Path:
    """Archive one crawl of every declared document as of ``as_of``, as ``policykb crawl --replay`` does.

    Writes ``DATA/warcs/policykb-<time>-<pid>.warc.gz`` (and the validator
    index) with :class:`pipeline.archive.WarcArchive`. Returns the WARC's path.
    """
    platforms = load_sources(sources_dir)
    if any(p.discovery for p in platforms):
        raise NotImplementedError("discovery is not mirrored here: use a real crawl for declarations with discovery")
    domains = sorted({d for p in platforms for d in p.domains})
    site = DirectorySite(site)
    index = ValidatorIndex(data_dir)  # what the spider reads its validators from, before the crawl
    previous = {key: dict(index.get(key)) for key in index.entries if index.get(key)}
    with WarcArchive(data_dir) as archive:
        for _, doc in in_host_turns((p, d) for p in platforms for d in p.documents):
            archive.write(fetch(site, as_of, doc, previous.get(doc.key), domains, render))
    return archive.final_path


def build(data_dir, sources_dir=DEMO_SOURCES):
    """The real build of ``policykb build --data DATA --sources SOURCES`` (:func:`kb.build.build`), in this
    process. The only place that names the build function. Returns its ``BuildStats``.
    """
    from kb.build import build as build_kb
    from kb.data import sources_folder
    from kb.db import open_db
    from pipeline.sources import load_sources

    platforms = load_sources(sources_folder(data_dir, sources_dir))
    db = open_db(data_dir)
    try:
        return build_kb(db, data_dir, platforms)
    finally:
        db.close()


def build_kb(data_dir, dates, sources_dir=DEMO_SOURCES, site=DEMO_SITE, render=None) -> Path:
    """A data folder (``policykb.db`` + ``warcs/``) after a crawl and a build at each date in turn."""
    data_dir = Path(data_dir)
    for date in dates:
        crawl(data_dir, date, sources_dir, site, render)
        build(data_dir, sources_dir)
    return data_dir


if __name__ == "__main__":  # python tests/kbfactory.py DATA: the demo KB, for a look
    import yaml

    dates = yaml.safe_load((DEMO_SITE / "EXPECTED.yml").read_text(encoding="utf-8"))["dates"]
    print(build_kb(sys.argv[1] if len(sys.argv) > 1 else "data/factory-demo", dates))
