"""Evaluate change tracking on real history: the shared corpus through the real spider and pipeline.

    python bench/eval_changes.py [--corpus DIR] [--data DIR] [--json] [--only PATTERN]...

Every document of the corpus (``../shared/corpus`` by default) is crawled in
date order through the replay server (``replay.corpus.CorpusSite``), by the
real generic spider (``spiders.policy.PolicySpider``: its request handling,
middlewares and WARC archive pipeline), then built by the real ``policykb
build``. Declarations are generated into ``DATA/sources/``: one platform per
service, the manifest's selectors (OTA ``select``/``remove``) for raw HTML,
``#policykb-replay-content`` for the Markdown versions (which the replay
server renders inside a page of its own making), else the project's own
declaration with the same URL, else none (main-content extraction). The
locale declared for a document is the language most of its versions are in.

Why one long-lived crawler: the clock has to stop at every version of every
document (Amazon's Complaints Policy alone has 498), and one ``policykb
crawl`` costs 2.3-4.5 s of process start here (measured), so crawling per
date would take 20-35 minutes. So one Scrapy process (a subclass of the real
spider that only schedules rounds) sets the replay clock to each date at
which some document has a version, fetches only the documents that have a
version at that date, waits for them, and moves on. A document whose URL
changed over time is crawled in a later segment (a new crawler process and
a build, after its declaration is updated), as an operator would.

Per document it prints: versions in, changes out by class (substantive,
cosmetic, flip-flop, re-extraction), versions that normalization folded into
the previous one (``normalized``), failed checks, versions silently lost
(``lost``: text different beyond white space, but neither a change nor a
failed check nor a normalization note; must be 0), the last-updated and
effective dates of the latest version (the newest statement of each kind on
that version, with its evidence), and diff time (median, max). The KB
stays in ``--data``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


# --- declarations ----------------------------------------------------------------------------------------------

def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _doc_type(slug):
    from pipeline.sources import DOCUMENT_TYPES

    for needle, kind in (("privacy", "privacy"), ("ranking", "ranking"), ("complaint", "appeals"),
                         ("sellers-conditions", "seller-agreement"), ("commercial-terms", "seller-agreement"),
                         ("partner", "seller-agreement"), ("developer", "seller-agreement"),
                         ("publishing-policy", "listing"), ("terms", "terms-of-service"),
                         ("agreement", "terms-of-service"), ("imprint", "other"), ("notice", "other")):
        if needle in slug and kind in DOCUMENT_TYPES:
            return kind
    return "seller-agreement" if "seller-agreement" in DOCUMENT_TYPES else "other"


def _ota_selectors(selectors):
    """``(select, remove)`` from an OTA declaration; range selectors (dicts) are not supported and left out."""
    if isinstance(selectors, list):  # a multi-page document: the first page's
        selectors = selectors[0] if selectors else None
    if not isinstance(selectors, dict):
        return [], []

    def css(value):
        value = [value] if isinstance(value, (str, dict)) else (value or [])
        return [v for v in value if isinstance(v, str)]

    return css(selectors.get("select")), css(selectors.get("remove"))


def _text_of(doc, version):
    """The text of a corpus version (for the declared language): Markdown as is, raw HTML extracted."""
    raw = version.file.read_bytes()
    if doc.part == "versions":
        return raw.decode("utf-8", "replace")
    from pipeline.extract import ExtractionError, extract

    select, remove = _ota_selectors(doc.selectors)
    try:
        return extract(raw, "text/html", select, remove).markdown
    except ExtractionError:
        return ""


def declared_language(doc):
    """The language most versions of a document are in (what a person declaring it would write)."""
    from pipeline.classify import detect_language

    sample = doc.versions if len(doc.versions) <= 12 else doc.versions[:: max(1, len(doc.versions) // 12)]
    votes = collections.Counter(detect_language(_text_of(doc, v))[0] for v in sample)
    votes.pop(None, None)
    return votes.most_common(1)[0][0] if votes else "en"


def own_declaration(url):
    """The project's own declaration for a URL, if there is one."""
    from pipeline.sources import DEFAULT_SOURCES, DeclarationError, load_sources

    try:
        for platform in load_sources(DEFAULT_SOURCES):
            for d in platform.documents:
                if d.url == url:
                    return d
    except DeclarationError:
        pass
    return None


def plan_documents(corpus_docs):
    """Key, declaration fields and extraction source of every corpus document."""
    from replay.corpus import CONTENT_SELECTOR

    plans, seen = [], set()
    for doc in corpus_docs:
        part, service, slug = doc.dir.split("/")
        platform = _slug(service) or "corpus"
        doc_id = slug if (platform, slug) not in seen else f"{slug}-{part}"
        seen.add((platform, doc_id))
        if part == "versions":
            select, remove, source = [CONTENT_SELECTOR], [], "replay page"
        else:
            select, remove = _ota_selectors(doc.selectors)
            source = "manifest selectors" if select else None
            if not select:
                own = own_declaration(doc.url)
                if own is not None:
                    select, remove, source = list(own.select), list(own.remove), f"declaration {own.key}"
            source = source or "main content"
        plans.append({"doc": doc, "platform": platform, "id": doc_id, "key": f"{platform}/{doc_id}",
                      "select": select, "remove": remove, "source": source, "locale": declared_language(doc),
                      "type": _doc_type(slug)})
    return plans


def write_sources(folder, plans, urls):
    """One declaration file per platform, with each document's URL as of now (``urls``)."""
    import yaml

    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    by_platform = collections.defaultdict(list)
    for p in plans:
        by_platform[p["platform"]].append(p)
    for platform, docs in by_platform.items():
        first = urlsplit(urls[docs[0]["key"]])
        data = {"platform": platform, "name": docs[0]["doc"].service or platform,
                "homepage": f"{first.scheme}://{first.hostname}/", "documents": []}
        for p in docs:
            entry = {"id": p["id"], "title": p["doc"].document or p["id"], "url": urls[p["key"]],
                     "locale": p["locale"], "type": p["type"]}
            if p["select"]:
                entry["select"] = p["select"]
            if p["remove"]:
                entry["remove"] = p["remove"]
            data["documents"].append(entry)
        (folder / f"{platform}.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                encoding="utf-8")


def schedule(plans):
    """Segments of crawl rounds: ``[(urls, [(as_of, [(key, url)]), ...]), ...]``.

    A round is a date at which some document has a version; it fetches only
    those documents. A new segment starts where a document's URL changes.
    """
    from replay.server import iso

    events = collections.defaultdict(list)
    for p in plans:
        for v in p["doc"].versions:
            events[v.when].append((p["key"], v.url))
    urls = {p["key"]: p["doc"].versions[0].url for p in plans}
    segments, rounds = [], []
    for when in sorted(events):
        changed = {key: url for key, url in events[when] if urls[key] != url}
        if changed:
            segments.append((dict(urls), rounds))
            rounds = []
            urls.update(changed)
        rounds.append((iso(when), sorted(set(events[when]))))
    segments.append((dict(urls), rounds))
    return [s for s in segments if s[1]]


# --- the long-lived crawler (runs in its own process: Twisted's reactor cannot restart) --------------------------

def crawl_rounds(schedule_file, sources, data, replay):
    """Run the real spider over the rounds of ``schedule_file``, moving the replay clock between rounds."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    from spiders.policy import PolicySpider

    rounds = json.loads(Path(schedule_file).read_text())

    class RoundsSpider(PolicySpider):
        """The generic spider, fetching one round of documents per replay date."""

        name = "policy-rounds"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, discover="0", **kwargs)
            self.pending = 0
            self.locales = {d.key: d.locale for p in self.platforms for d in p.documents}

        async def start(self):
            base = self.settings.get("POLICYKB_REPLAY_URL").rstrip("/")
            for as_of, docs in rounds:
                request = urllib.request.Request(f"{base}/_replay/as-of?date={as_of}", method="POST")
                urllib.request.urlopen(request, timeout=10).read()
                for key, url in docs:
                    self.pending += 1
                    locale = self.locales[key]
                    yield scrapy.Request(
                        url, callback=self.parse_document, errback=self.fetch_failed, dont_filter=True,
                        headers={"Accept-Language": f"{locale},{locale.split('-')[0]};q=0.8"},
                        meta={"policykb_document": key, "policykb_locale": locale, "policykb_declared_url": url})
                while self.pending:
                    await asyncio.sleep(0.002)

        async def parse_document(self, response):
            try:
                async for item in super().parse_document(response):
                    yield item
            finally:
                self.pending -= 1

        def fetch_failed(self, failure):
            try:
                yield from super().fetch_failed(failure)
            finally:
                self.pending -= 1

    settings = get_project_settings()
    settings.setdict({"POLICYKB_DATA_DIR": data, "POLICYKB_REPLAY_URL": replay, "LOG_LEVEL": "WARNING",
                      # loopback replay, not a real site: no politeness delay between a document's rounds
                      "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 16},
                     priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(RoundsSpider, sources=sources, data=data)
    process.start()


# --- measuring ---------------------------------------------------------------------------------------------------

def _ws(text):
    """A text without white space and invisible characters (zero-width spaces, BOM: what normalize_text drops):
    two versions equal in this form differ only in white space."""
    from pipeline.normalize import normalize_text

    return "".join(normalize_text(text).split())


def evaluate(plans, data):
    """Per-document figures from the KB left in ``data``."""
    from pipeline.diff import diff

    conn = sqlite3.connect(Path(data) / "policykb.db")
    rows = []
    for p in plans:
        key, doc = p["key"], p["doc"]
        kinds = dict(conn.execute("select kind, count(*) from changes where document_id = ? group by kind", [key]))
        checks = conn.execute("select outcome, reason from checks where document_id = ? order by checked_at, id",
                              [key]).fetchall()
        failed = sum(1 for o, _ in checks if o in ("failed", "gone"))
        normalized = sum(1 for o, r in checks if o in ("unchanged", "not_modified") and r)
        # a version whose text differs beyond white space from the one before must leave a trace
        lost, previous = 0, None
        texts = [_ws(_text_of(doc, v)) for v in doc.versions] if doc.part == "versions" else None
        if texts is not None:
            traced = [o == "new_version" or o in ("failed", "gone") or bool(r) for o, r in checks]
            for i, text in enumerate(texts):
                if previous is not None and text != previous and i < len(traced) and not traced[i]:
                    lost += 1
                previous = text
        # the dates of the latest version (the newest statement of each kind on it: pipeline.dates.summarize),
        # by sequence: also for a page that is gone, or whose latest text returns to an earlier one
        latest = conn.execute(
            "select last_updated, last_updated_evidence, effective_date, effective_evidence from versions "
            "where document_id = ? order by seq desc limit 1", [key]).fetchone() or (None,) * 4
        texts_kb = [t for (t,) in conn.execute("select text_markdown from versions where document_id = ? order by seq",
                                               [key])]
        times = []
        for a, b in zip(texts_kb, texts_kb[1:]):
            started = time.perf_counter()
            diff(a, b)
            times.append((time.perf_counter() - started) * 1000)
        rows.append({
            "dir": doc.dir, "key": key, "extraction": p["source"], "locale": p["locale"],
            "versions_in": len(doc.versions), "refilter_in": sum(v.kind == "refilter" for v in doc.versions),
            "versions_out": len(texts_kb), "substantive": kinds.get("substantive", 0),
            "cosmetic": kinds.get("cosmetic", 0), "flip_flop": kinds.get("flip_flop", 0),
            "reextraction": kinds.get("reextraction", 0), "normalized": normalized, "failed_checks": failed,
            "failed_reasons": sorted({r for o, r in checks if o in ("failed", "gone") and r}),
            "lost": lost if texts is not None else None,
            "last_updated": latest[0], "last_updated_evidence": latest[1],
            "effective": latest[2], "effective_evidence": latest[3],
            "diff_ms_median": round(statistics.median(times), 2) if times else None,
            "diff_ms_max": round(max(times), 2) if times else None,
        })
    conn.close()
    return rows


def totals(rows, seconds):
    out = {k: sum(r[k] or 0 for r in rows) for k in ("versions_in", "refilter_in", "versions_out", "substantive",
                                                    "cosmetic", "flip_flop", "reextraction", "normalized",
                                                    "failed_checks", "lost")}
    out["documents"] = len(rows)
    out["with_last_updated"] = sum(1 for r in rows if r["last_updated"])
    out["with_effective"] = sum(1 for r in rows if r["effective"])
    medians = [r["diff_ms_median"] for r in rows if r["diff_ms_median"] is not None]
    out["diff_ms_median"] = round(statistics.median(medians), 2) if medians else None
    out["diff_ms_max"] = max((r["diff_ms_max"] for r in rows if r["diff_ms_max"] is not None), default=None)
    from pipeline.diff import IMPLEMENTATION

    out["diff_implementation"] = IMPLEMENTATION
    out["seconds"] = round(seconds, 1)
    return out


def print_table(rows, total):
    head = (f"{'document':<52} {'in':>4} {'sub':>4} {'cos':>4} {'flip':>4} {'reex':>4} {'norm':>4} {'fail':>4} "
            f"{'lost':>4} {'last_updated':<11} {'effective':<11} {'diff ms med/max':>15}")
    print(head)
    print("-" * len(head))
    for r in rows:
        d = f"{r['diff_ms_median']}/{r['diff_ms_max']}" if r["diff_ms_median"] is not None else "-"
        print(f"{r['dir'][:52]:<52} {r['versions_in']:>4} {r['substantive']:>4} {r['cosmetic']:>4} "
              f"{r['flip_flop']:>4} {r['reextraction']:>4} {r['normalized']:>4} {r['failed_checks']:>4} "
              f"{'-' if r['lost'] is None else r['lost']:>4} {r['last_updated'] or '-':<11} {r['effective'] or '-':<11} "
              f"{d:>15}")
    print("-" * len(head))
    print(f"{'total (' + str(total['documents']) + ' documents)':<52} {total['versions_in']:>4} {total['substantive']:>4} "
          f"{total['cosmetic']:>4} {total['flip_flop']:>4} {total['reextraction']:>4} {total['normalized']:>4} "
          f"{total['failed_checks']:>4} {total['lost']:>4}")
    print(f"documents with a last-updated date: {total['with_last_updated']}, with an effective date: "
          f"{total['with_effective']}; OTA re-extractions among the versions in: {total['refilter_in']}")
    print(f"diff: {total['diff_implementation']}, median of medians {total['diff_ms_median']} ms, "
          f"max {total['diff_ms_max']} ms; wall time {total['seconds']} s")
    reasons = collections.Counter(reason for r in rows for reason in r["failed_reasons"])
    for reason, n in reasons.most_common(8):
        print(f"failed: {n} document(s): {reason}")


def load_corpus_documents(corpus, only=()):
    """The corpus documents whose folder contains one of ``only`` (all without it)."""
    from replay.corpus import load_corpus

    return [d for d in load_corpus(corpus) if not only or any(o in d.dir for o in only)]


def run(corpus, data, only=(), quiet=False):
    """Crawl and build the corpus into ``data``; returns ``(rows, totals)``."""
    from replay.corpus import CorpusSite
    from replay.server import ReplayServer

    started = time.monotonic()
    data = Path(data)
    for name in ("policykb.db", "policykb.db-wal", "policykb.db-shm", ".policykb-sources"):
        (data / name).unlink(missing_ok=True)
    shutil.rmtree(data / "warcs", ignore_errors=True)
    data.mkdir(parents=True, exist_ok=True)
    site = CorpusSite(corpus)
    docs = [d for d in site.documents if not only or any(o in d.dir for o in only)]
    if not docs:
        raise SystemExit(f"no corpus document matches {only}")
    plans = plan_documents(docs)
    sources = data / "sources"
    from spiders.launch import crawl_env

    env = crawl_env()  # the environment of every crawl: our settings module, this checkout importable
    with ReplayServer(site, "2000-01-01") as server:
        for n, (urls, rounds) in enumerate(schedule(plans), 1):
            write_sources(sources, plans, urls)
            plan_file = data / "rounds.json"
            plan_file.write_text(json.dumps(rounds))
            if not quiet:
                print(f"segment {n}: {len(rounds)} rounds, {sum(len(r[1]) for r in rounds)} fetches",
                      file=sys.stderr)
            subprocess.run([sys.executable, __file__, "_crawl", str(plan_file), str(sources), str(data), server.url],
                           check=True, env=env, cwd=ROOT)
            subprocess.run([sys.executable, "-m", "kb.cli", "build", "--data", str(data), "--sources", str(sources)],
                           check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL if quiet else None)
    rows = evaluate(plans, data)
    return rows, totals(rows, time.monotonic() - started)


def main(argv=None):
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "_crawl":
        return crawl_rounds(*sys.argv[2:6])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="corpus folder (layout of shared/corpus)")
    parser.add_argument("--data", default="data/eval", help="folder for the KB and WARCs (reset first)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", action="append", default=[], help="only documents whose folder contains this")
    args = parser.parse_args(argv)
    if not Path(args.corpus).is_dir():
        parser.error(f"no corpus at {args.corpus}")
    rows, total = run(args.corpus, args.data, args.only, quiet=args.json)
    if args.json:
        keep = ("dir", "versions_in", "substantive", "cosmetic", "flip_flop", "reextraction", "failed_checks",
                "last_updated", "effective", "normalized", "lost", "refilter_in", "versions_out", "diff_ms_median",
                "diff_ms_max", "extraction", "locale", "last_updated_evidence", "effective_evidence",
                "failed_reasons")
        print(json.dumps({"documents": [{k: r[k] for k in keep} for r in rows], "totals": total},
                         ensure_ascii=False, indent=1))
    else:
        print_table(rows, total)


if __name__ == "__main__":
    main()
