"""Serve a corpus in the layout of ``shared/corpus/`` through the replay server.

Two parts, each read from its manifests (see the corpus README):

* ``versions/<service>/<document>/``: OTA Markdown versions. Each is served,
  rendered to HTML inside a page of our own making, under the first of its
  ``source_urls``, from its ``recorded_at`` on. The policy text sits in
  ``<main id="policykb-replay-content">`` (:data:`CONTENT_SELECTOR`); the page
  around it carries a navigation bar, so extraction without that selector
  would see chrome, as on a real site. A multi-page document is served whole
  under its first URL.
* ``html/<service>/<document>/``: raw pages, served byte for byte under their
  ``url`` from their ``fetched_at`` on.

The page as of date D is the latest snapshot at or before D; before the first
one, the URL answers 404 (the corpus's own replay semantics). Nothing is
copied out of the corpus folder: it is read in place.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from replay.server import Snapshot, parse_when

CONTENT_SELECTOR = "#policykb-replay-content"

PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/help">Help</a></li><li><a href="/legal">Legal</a></li></ul></nav></header>
<main id="policykb-replay-content">
{body}
</main>
<footer><p>Served by the policykb replay server from a corpus of {service}'s archived versions.</p></footer>
</body></html>
"""


def url_key(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.path or "/", parts.query


@dataclass
class CorpusVersion:
    when: datetime
    file: Path
    kind: str  # start-tracking | change | refilter | raw
    url: str
    index: int


@dataclass
class CorpusDocument:
    """One document of the corpus and its versions, oldest first."""

    dir: str  # relative to the corpus root, e.g. versions/amazon/complaints-policy
    part: str  # versions | html
    service: str
    document: str
    urls: list
    selectors: dict | list | None
    declaration_history: list
    versions: list = field(default_factory=list)

    @property
    def url(self) -> str:
        """The URL the document is served under at its latest version."""
        return self.versions[-1].url if self.versions else self.urls[0]


def load_corpus(root, parts=("versions", "html")) -> list[CorpusDocument]:
    """Read every manifest of the corpus; documents sorted by their folder."""
    root = Path(root)
    docs = []
    for part in parts:
        for manifest in sorted((root / part).glob("*/*/manifest.json")):
            data = json.loads(manifest.read_text(encoding="utf-8"))
            folder = manifest.parent
            doc = CorpusDocument(
                dir=str(folder.relative_to(root)), part=part, service=data.get("service", ""),
                document=data.get("document", ""), urls=data.get("urls") or [data.get("url")],
                selectors=data.get("selectors"), declaration_history=data.get("declaration_history") or [],
            )
            for i, v in enumerate(data.get("versions", [])):
                if part == "versions":
                    when, url, kind = v["recorded_at"], (v.get("source_urls") or doc.urls)[0], v.get("kind", "change")
                else:
                    when, url, kind = v["fetched_at"], v.get("url") or data.get("url"), "raw"
                doc.versions.append(CorpusVersion(parse_when(when), folder / v["file"], kind, url, i))
            doc.versions.sort(key=lambda cv: (cv.when, cv.index))
            docs.append(doc)
    return docs


#: the Python-Markdown extensions a version is rendered with (``bench/scale.py`` renders its pages with them too)
EXTENSIONS = ["tables", "sane_lists"]


def render_version(doc: CorpusDocument, text: str) -> bytes:
    """A Markdown version as an HTML page of our own making."""
    import markdown

    body = markdown.markdown(text, extensions=EXTENSIONS)
    return PAGE.format(lang="en", title=html.escape(f"{doc.service}: {doc.document}"), body=body,
                       service=html.escape(doc.service)).encode("utf-8")


class CorpusSite:
    """A replay site over a corpus folder (``ReplayServer(CorpusSite(root), as_of)``)."""

    def __init__(self, root, parts=("versions", "html")):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"corpus {self.root} is not a folder")
        self.documents = load_corpus(self.root, parts)
        self._by_url: dict[tuple, list[tuple[CorpusVersion, CorpusDocument]]] = {}
        for doc in self.documents:
            for v in doc.versions:
                self._by_url.setdefault(url_key(v.url), []).append((v, doc))
        for entries in self._by_url.values():
            entries.sort(key=lambda e: (e[0].when, e[0].index))

    def resolve(self, host: str, path: str, query: str, as_of: datetime) -> Snapshot:
        entries = self._by_url.get(((host or "").lower(), path or "/", query or ""), [])
        current = None
        for v, doc in entries:
            if v.when <= as_of:
                current = (v, doc)
        if current is None:
            return Snapshot(404, b"Not Found\n", {"Content-Type": "text/plain; charset=utf-8"})
        v, doc = current
        raw = v.file.read_bytes()
        if doc.part == "versions":
            return Snapshot(200, render_version(doc, raw.decode("utf-8")), {"Content-Type": "text/html; charset=utf-8"},
                            v.when)
        return Snapshot(200, raw, {"Content-Type": "text/html; charset=utf-8"}, v.when)
