"""Replay-site wrappers for the crawl tests of sources, discovery and fetch cases.

``LayeredSite`` serves the first site that has a URL (our fixture pages over the
demo help centre); ``RecordingSite`` notes every URL the crawler asked for, so a
test can prove what was *not* fetched (robots.txt, other domains, depth).
"""

from __future__ import annotations

import threading
from pathlib import Path

from replay.server import DirectorySite

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS_SITE = ROOT / "replay" / "sites" / "platforms"
CASES_SOURCES = PLATFORMS_SITE / "_sources"
#: Crawl settings for tests: no politeness delays on loopback, short waits.
FAST = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "AUTOTHROTTLE_MAX_DELAY=1",
        "-s", "POLICYKB_RETRY_AFTER_MAX=5", "-s", "POLICYKB_JS_WAIT_MS=4000")


class LayeredSite:
    """The first of several sites that knows a URL answers it (a ``.gone`` counts as knowing)."""

    def __init__(self, *roots):
        self.sites = [DirectorySite(r) if isinstance(r, (str, Path)) else r for r in roots]
        self.root = self.sites[0].root

    def resolve(self, host, path, query, as_of):
        snap = None
        for site in self.sites:
            snap = site.resolve(host, path, query, as_of)
            if snap.status != 404 or snap.valid_from is not None:
                return snap
        return snap


class RecordingSite:
    """Wraps a site and records ``(host, path)`` of every request it answers."""

    def __init__(self, site):
        self.site = DirectorySite(site) if isinstance(site, (str, Path)) else site
        self.root = self.site.root
        self.requested: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def resolve(self, host, path, query, as_of):
        with self._lock:
            self.requested.append((host, path))
        return self.site.resolve(host, path, query, as_of)

    def hosts(self) -> set[str]:
        return {h for h, _ in self.requested}

    def count(self, host, path) -> int:
        return sum(1 for h, p in self.requested if h == host and p == path)


def moved_site(root: Path, pages: dict[str, tuple[str, str | None]], documents: dict[str, tuple[str, str]]):
    """A one-platform site under ``seller.moved.example/help`` and its declarations, for redirect tests.

    :param pages: page name → (body, ``.headers`` file text or None), one capture dated 2026-01-01
    :param documents: document id → (page name, document type); every document selects ``#policy``
    :returns: (the site root, the sources folder)
    """
    site = root / "site" / "seller.moved.example" / "help"
    for name, (body, headers) in pages.items():
        (site / name).mkdir(parents=True)
        (site / name / "2026-01-01.html").write_text(body)
        if headers:
            (site / name / "2026-01-01.html.headers").write_text(headers)
    sources = root / "sources"
    sources.mkdir()
    declared = "".join(f"  - id: {doc}\n    title: {doc.title()}\n    url: https://seller.moved.example/help/{name}\n"
                       f"    locale: en-US\n    type: {kind}\n    select: ['#policy']\n"
                       for doc, (name, kind) in documents.items())
    (sources / "moved.yml").write_text(
        "platform: moved\nname: Moved\nhomepage: https://seller.moved.example/\ndocuments:\n" + declared)
    return root / "site", sources
