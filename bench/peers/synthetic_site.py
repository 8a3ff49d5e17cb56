"""The benchmark's help centre: the corpus's real documents under N synthetic URLs.

Synthetic document ``i`` is corpus document ``i % 58`` (the ``versions/`` part of
``shared/corpus``), served under ``https://d{i % 50}.bench.example/<service>/<document>/<i>``:
N documents spread over 50 hostnames, as real policy pages are spread over the
platforms' help-centre domains, so per-domain politeness costs what it costs in
real life. Each copy carries one line naming it ("Benchmark copy i of ...") and its
number in brackets (:func:`copy_label`) at the end of every paragraph, list item and table cell, so no two
copies share a block of text: no tool can store them once for all (git, for one,
would) nor reuse what it read in one copy for another (a memo of sections read,
which the real help centres' distinct pages would not feed either). Headings are
left alone, as distinct pages share headings. Its versions are exactly the corpus
document's: the page as of date D is the corpus version recorded at or before D
(the corpus's own replay rule), so a change cycle changes the same blocks in every copy.

A cycle date may end in ``+tokens`` (``2023-07-01+tokens``): the pages are then those of the
date, each carrying a per-request token in an attribute and a comment of its content and a
``Last-Modified`` of the request's time, as real pages with session or anti-forgery tokens do.
Every page's bytes change on every request while its text does not, so neither a 304 nor a
checksum of the bytes spares a tracker the work.

The site plugs into policykb's replay server (``ReplayServer(BenchSite(...), date)``),
which adds ``ETag``/``Last-Modified`` and answers conditional requests with 304.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import sys
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from replay.corpus import PAGE, CorpusDocument, CorpusVersion, load_corpus  # noqa: E402
from replay.server import ReplayHandler, ReplayServer, Snapshot, parse_when  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
HOSTS = 50
CONTENT_SELECTOR = "#policykb-replay-content"
#: A cycle date ending in this serves per-request tokens (see the module docstring).
TOKENS = "+tokens"
#: The ends of the blocks that carry a copy's number (see the module docstring).
BLOCK_END = re.compile(r"(</(?:p|li|td)>)")


def copy_label(index: int) -> str:
    """A copy's number as it closes its blocks: ``" [i]"``, its thousands set apart by a space (``" [4 321]"``), so
    that no line holds four digits in a row: a four-digit number is what the date finder reads as a possible year
    (``pipeline.dates.YEAR_RE``), and a year on every line of every page made the dates 15× slower than on the
    policy texts themselves (copies 1,000 to 9,999 of a 5,000-document history; below 1,000, as before)."""
    return f" [{index:,}]".replace(",", " ")


def number_blocks(html: str, index: int) -> str:
    """``html`` with copy ``index``'s label closing every paragraph, list item and table cell."""
    label = copy_label(index)
    return BLOCK_END.sub(lambda m: label + m.group(1), html)


def split_date(spec: str) -> tuple[str, bool]:
    """``"2023-07-01+tokens"`` → ``("2023-07-01", True)``; a plain date → ``(date, False)``."""
    return (spec[:-len(TOKENS)], True) if spec.endswith(TOKENS) else (spec, False)

#: The language each corpus service's documents are written in, as a declaration states it
#: (read from the texts; Amazon's Complaints Policy is English with French flips, Autoplius
#: is served from en.autoplius.lt). Keyed by the corpus's service folder.
LOCALES = {
    "alibaba-com": "en", "allegro": "en", "amazon": "en", "autoplius-lt": "en", "autoscout24": "es",
    "autovit-ro": "ro", "avocadostore": "de", "avtonet": "sl", "bazar-sk": "sk", "blocket": "sv",
    "bol-com": "nl", "bolha-com": "sl", "bonanza": "en", "boulanger": "fr", "car-gr": "en", "catawiki": "en",
    "custojusto": "pt", "dba-boost": "da", "ebay": "en", "emag": "ro", "eprice": "it", "etsy": "en",
    "galeries-lafayette": "fr", "grosshandel-eu": "de", "hasznaltauto": "hu", "hood": "de", "idealo": "de",
    "joom": "en", "kindle-direct-publishing": "en", "leroy-merlin": "fr", "letzshop": "fr", "mobile-bg": "bg",
    "mobile-de": "de", "olx": "pt", "open-food-network": "en", "otto": "en", "rakuten": "fr", "reverb": "en",
    "rue-du-commerce": "fr", "sbazar-cz": "cs", "skelbiu-lt": "lt", "tiktok-shop": "en", "tori": "fi",
    "tradera": "en", "tweakers": "nl", "videdressing": "fr", "vinted": "es", "wish": "en",
    "www-directmarket-gr": "el", "zentrada": "en",
}


@dataclass(frozen=True)
class BenchDocument:
    """One synthetic document: a URL that serves the versions of one corpus document."""

    index: int
    host: str
    path: str
    corpus: CorpusDocument

    @property
    def url(self) -> str:
        """The document's URL (https, as a real help centre's)."""
        return f"https://{self.host}{self.path}"

    @property
    def locale(self) -> str:
        """The language of the document's text (BCP 47), as its declaration states it."""
        return LOCALES.get(self.corpus.dir.split("/")[1], "en")


class BenchSite:
    """N synthetic documents over ``hosts`` hostnames, resolved "as of" a date.

    :param n: number of synthetic documents
    :param corpus_root: the corpus folder (``shared/corpus``), read in place
    :param hosts: number of distinct hostnames the documents are spread over
    """

    def __init__(self, n: int, corpus_root=CORPUS, hosts: int = HOSTS):
        self.root = Path(corpus_root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"corpus {self.root} is not a folder")
        self.corpus = load_corpus(self.root, parts=("versions",))
        if not self.corpus:
            raise FileNotFoundError(f"corpus {self.root} has no versions/*/*/manifest.json")
        self.documents = []
        for i in range(n):
            doc = self.corpus[i % len(self.corpus)]
            slug = doc.dir.split("/", 1)[1]  # versions/<service>/<document> -> <service>/<document>
            self.documents.append(BenchDocument(i, f"d{i % hosts}.bench.example", f"/{slug}/{i}", doc))
        self._by_key = {(d.host, d.path): d for d in self.documents}
        self._rendered: dict[Path, str] = {}
        self._copies: dict[tuple[Path, int], str] = {}
        self._digests: dict[Path, str] = {}
        self._lock = threading.Lock()
        #: Serve per-request tokens (set by the harness for a ``+tokens`` cycle).
        self.tokens = False

    # -- what is served ---------------------------------------------------------------------------

    @staticmethod
    def version_at(doc: CorpusDocument, as_of: datetime) -> CorpusVersion | None:
        """The corpus version served as of ``as_of`` (latest recorded at or before it)."""
        current = None
        for v in doc.versions:
            if v.when <= as_of:
                current = v
        return current

    def _body(self, doc: CorpusDocument, version: CorpusVersion) -> str:
        """The version rendered to HTML once (Markdown rendering is the server's cost, not the tools')."""
        body = self._rendered.get(version.file)
        if body is None:
            import markdown

            body = markdown.markdown(version.file.read_text(encoding="utf-8"), extensions=["tables", "sane_lists"])
            with self._lock:
                self._rendered[version.file] = body
        return body

    def _copy(self, bench_doc: BenchDocument, version: CorpusVersion) -> str:
        """The version's HTML as one copy serves it: its number closing every block (once per copy)."""
        key = (version.file, bench_doc.index)
        body = self._copies.get(key)
        if body is None:
            body = number_blocks(self._body(bench_doc.corpus, version), bench_doc.index)
            with self._lock:
                self._copies[key] = body
        return body

    def page(self, bench_doc: BenchDocument, version: CorpusVersion) -> bytes:
        """The HTML page of one synthetic copy at one version."""
        import html

        doc = bench_doc.corpus
        title = html.escape(f"{doc.service}: {doc.document}")
        marker = f"<p>Benchmark copy {bench_doc.index} of {title}.</p>\n"
        page = PAGE.format(lang="en", title=title, body=marker + self._copy(bench_doc, version),
                           service=html.escape(doc.service))
        if self.tokens:  # bytes of every request differ, inside the content too; its text does not
            token = uuid.uuid4().hex
            page = page.replace('<main id="policykb-replay-content">',
                                f'<main id="policykb-replay-content" data-request-token="{token}">\n'
                                f'<!-- request {token} -->', 1)
        return page.encode("utf-8")

    def prepare(self, dates) -> None:
        """Render every copy served at ``dates`` ahead of the runs, so no tool pays for it."""
        for date in dates:
            when = parse_when(split_date(date)[0])
            for bench_doc in self.documents:
                version = self.version_at(bench_doc.corpus, when)
                if version is not None:
                    self._copy(bench_doc, version)

    def resolve(self, host: str, path: str, query: str, as_of: datetime) -> Snapshot:
        bench_doc = self._by_key.get(((host or "").lower(), path or "/"))
        version = self.version_at(bench_doc.corpus, as_of) if bench_doc else None
        if version is None:
            return Snapshot(404, b"Not Found\n", {"Content-Type": "text/plain; charset=utf-8"})
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if self.tokens:  # a page rendered per request is modified now
            headers["Last-Modified"] = email.utils.formatdate(usegmt=True)
        return Snapshot(200, self.page(bench_doc, version), headers, version.when)

    # -- what a correct tracker records -----------------------------------------------------------

    def _digest(self, version: CorpusVersion) -> str:
        digest = self._digests.get(version.file)
        if digest is None:
            digest = self._digests[version.file] = hashlib.sha256(version.file.read_bytes()).hexdigest()
        return digest

    def served_texts(self, date) -> list[str | None]:
        """Per synthetic document, the SHA-256 of the corpus text served at ``date`` (None: 404).

        Texts, not version numbers: a corpus document may return to an earlier text
        (Amazon's Complaints Policy flips between its English and French wording), and
        two dates serving the same text are no change to anyone watching the page.
        """
        when = parse_when(split_date(date)[0])
        out = []
        for d in self.documents:
            v = self.version_at(d.corpus, when)
            out.append(self._digest(v) if v else None)
        return out

    def changed_between(self, before, after) -> int:
        """How many synthetic documents serve another text at ``after`` than at ``before``."""
        return sum(a != b for a, b in zip(self.served_texts(before), self.served_texts(after)))

    def expected_versions(self, dates) -> int:
        """Versions a correct tracker records over one check per date: the corpus's own count.

        Each synthetic document contributes one version per run of equal served texts.
        """
        total = 0
        previous = [None] * len(self.documents)
        for date in dates:
            current = self.served_texts(date)
            total += sum(c is not None and c != p for c, p in zip(current, previous))
            previous = current
        return total


class CountingHandler(ReplayHandler):
    """The replay server's handler, counting answers by status (to see 304s: conditional requests)."""

    def _send(self, status, body, headers, head_only=False):
        with self.server.count_lock:
            self.server.status_counts[status] += 1
        super()._send(status, body, headers, head_only)


def start_server(site: BenchSite, as_of) -> ReplayServer:
    """A replay server on 127.0.0.1 for ``site``, counting answers in ``server.status_counts``."""
    server = ReplayServer(site, as_of)
    server.RequestHandlerClass = CountingHandler
    server.status_counts = Counter()
    server.count_lock = threading.Lock()
    return server.start()
