#!/usr/bin/env python3
"""Scale run: rebuild a KB of many versions from the WARCs, then time search and cite on it.

    python bench/scale.py [--versions 100000] [--docs N] [--change-rate 0.5] [--data DIR] [--queries 200] [--seed 19]
                          [--corpus DIR] [--out FILE] [--json]
    python bench/scale.py --reuse --data DIR   # measure again on the history an earlier run archived in DIR
    python bench/scale.py --archive-only [--versions N] --data DIR   # write the history alone (no rebuild)
    python bench/scale.py --cite-only --data DIR [--answers FILE]   # time cite alone on the KB already in DIR
    python bench/scale.py --measure-only --data DIR [--out FILE]   # size, search and cite of the KB in DIR

History. ``--docs`` synthetic documents (default ``versions / 20``), document ``i`` starting
from the first version of corpus document ``i % 58`` (``../shared/corpus/versions``, read in
place). Crawls follow each other a month apart; at each crawl a document changes with
probability ``--change-rate`` (default 0.5), by one to three edits of the kinds policy pages see:
a number changed, a sentence reworded (a word replaced by another of the document), a paragraph
added (from a corpus document in the same language) or removed. Crawls go on until the histories hold
``--versions`` versions in all. Each crawl is archived as ``policykb crawl`` archives it: one WARC
per crawl written by :class:`pipeline.archive.WarcArchive` (an unchanged page becomes a revisit
record), the page being the version's Markdown rendered to HTML as the replay server renders it
(Python-Markdown, a segment at a time with a memo: :class:`PageRenderer`) inside the replay server's page
template, with the document's number closing each paragraph, list item and table cell (documents that start
from one corpus text share no block of text); one declaration per host (50 hosts), selector ``#policykb-replay-content``.

Measures. ``policykb rebuild`` in a fresh process (wall, CPU, peak sums of RSS and PSS over it and its build
workers); the KB's size on disk, its largest tables (``bench/storage.py``) and the Markdown bytes of the
versions it holds; then ``policykb serve`` and search through its JSON API (words and phrases drawn
from the KB's own sections, and a word absent from it) and :func:`kb.cite.cite` in-process on sentences
of current and of replaced versions; p50 and p95 of each. Goals (issue 19): rebuild under 15 minutes for 100,000 versions,
search p95 under 100 ms, cite p95 under 300 ms, KB at most 2.5x the Markdown it holds.

``--archive-only`` writes the history (and its ``history.json``: counts, WARC bytes, archive wall and CPU
seconds) and stops: a later ``--reuse`` run rebuilds and measures on it.

A rebuild's figures are also written to ``rebuild.json`` beside the data folder as soon as it ends, with the
KB's size and modification time: ``--measure-only`` measures the KB already in ``--data`` (size, search, cite:
what a full run measures after its rebuild) and reports that rebuild's figures when they are the KB's own (the
same size and time), else says the rebuild was not measured. A run whose measuring was cut short (a killed
process, a closed session: a 100,000-version rebuild takes hours) is finished without rebuilding again.

``--cite-only`` neither archives nor rebuilds: it times cite on the KB already in ``--data`` with the very
quotes a full run of the same ``--seed`` and ``--queries`` times (the seed's first draw, :func:`cite_quotes`), and prints their
p50/p95/max; ``--answers FILE`` also writes what each quote was answered (status, document, section, version)
with its time, one JSON object a line, for comparing the answers of two checkouts (``--code DIR`` times
another checkout's ``kb`` with this script's quotes).
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import random
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from replay.corpus import EXTENSIONS  # noqa: E402  (the replay server's: a page is rendered with them)

CORPUS = ROOT.parent / "shared" / "corpus"
HOSTS = 50
SELECTOR = "#policykb-replay-content"
START = datetime(2020, 1, 1, tzinfo=timezone.utc)


def log(message):
    print(message, file=sys.stderr, flush=True)


# -- synthetic histories ---------------------------------------------------------------------------

def edit(text: str, rng: random.Random, donors: list[str]) -> str:
    """One to three edits of a Markdown text, of the kinds real policy pages see (never none)."""
    edited = text
    while edited == text:
        edited = _edit_once(text, rng, donors)
    return edited


def _edit_once(text: str, rng: random.Random, donors: list[str]) -> str:
    paras = text.split("\n\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(paras))
        kind = rng.choice(("number", "reword", "add", "remove"))
        if kind == "number" and re.search(r"\d", paras[i]):
            paras[i] = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), paras[i], count=1)
        elif kind == "remove" and len(paras) > 5:
            del paras[i]
        elif kind == "add":
            donor = rng.choice(donors).split("\n\n")
            paras.insert(i, rng.choice(donor))
        else:
            words = re.findall(r"[^\W\d_]{4,}", paras[i]) or ["policy"]
            pool = re.findall(r"[^\W\d_]{4,}", text[:20000]) or ["policy"]
            paras[i] = paras[i].replace(rng.choice(words), rng.choice(pool), 1)
    return "\n\n".join(paras)


def corpus_texts(corpus: Path) -> list[tuple[str, str, str]]:
    """``(service, document, first version's Markdown)`` of each corpus document (the service being the
    corpus's folder name, which :data:`bench.peers.synthetic_site.LOCALES` knows the language of)."""
    from replay.corpus import load_corpus

    docs = load_corpus(corpus, parts=("versions",))
    if not docs:
        raise SystemExit(f"no corpus documents under {corpus}/versions")
    return [(d.dir.split("/")[1], d.document, d.versions[0].file.read_text(encoding="utf-8")) for d in docs]


def write_declarations(sources: Path, docs: int, texts) -> None:
    import yaml

    from bench.peers.synthetic_site import LOCALES

    sources.mkdir(parents=True, exist_ok=True)
    for h in range(min(HOSTS, docs)):
        host = f"d{h}.scale.example"
        declaration = {"platform": f"scale-d{h}", "name": f"Scale {host}", "homepage": f"https://{host}/",
                       "documents": [{"id": f"doc-{i}", "title": " ".join(texts[i % len(texts)][:2]),
                                      "url": f"https://{host}/doc/{i}", "type": "other",
                                      "locale": LOCALES.get(texts[i % len(texts)][0], "en"),
                                      "select": [SELECTOR], "js": False} for i in range(h, docs, HOSTS)]}
        (sources / f"scale-d{h}.yml").write_text(yaml.safe_dump(declaration, sort_keys=False), encoding="utf-8")


#: A line that may make a list or a block quote (Python-Markdown's list and quote patterns, tabs allowed after
#: the marker as its tab expansion allows them): a block opening with one may continue the list or quote before it.
_LIST_OR_QUOTE = re.compile(r"^[ ]{0,3}(?:(?:[*+-]|\d+\.)[ \t]|>)", re.M)
#: What Python-Markdown reads across the whole text: reference definitions (a ``[label]`` anywhere may use
#: one) and raw HTML blocks (its HTML preprocessor reads them across blank lines).
_WHOLE_TEXT = re.compile(r"^[ ]{0,3}(?:\[[^\[\]\n]*\]:|<)", re.M)


def segments(text: str) -> list[str] | None:
    """``text`` cut at the blank lines where Python-Markdown's rendering of what comes before does not depend on
    what comes after, nor the other way round; ``None`` when ``text`` must be rendered whole.

    Python-Markdown parses a text as blocks split at blank lines (``"\\n\\n"``), each block processor looking
    back at most at the element the blocks before it made (its last top-level element). A block stays with the
    one before it (the cut is not made) when it opens with blank space (an indented block continues a list item
    or a code block; a blank one may extend a code block) or, the segment before it holding a line that may
    make a list or a quote, with such a line (a loose list's next item, a quote's next paragraph). Reference
    definitions and raw HTML blocks are read across the whole text: a text with a line that may be either is
    not cut at all. The corpus has neither (its 1,020 versions, ``../shared/corpus/versions``)."""
    if _WHOLE_TEXT.search(text):
        return None
    out: list[list[str]] = []
    for block in text.split("\n\n"):
        if out and (not block or block[0] in " \t\n" or (
                _LIST_OR_QUOTE.match(block) and any(_LIST_OR_QUOTE.search(b) for b in out[-1]))):
            out[-1].append(block)
        else:
            out.append([block])
    return ["\n\n".join(blocks) for blocks in out]


class PageRenderer:
    """A version's Markdown as HTML, exactly as ``markdown.markdown(text, extensions=EXTENSIONS)`` renders it
    (the page the replay server would serve), a segment at a time (:func:`segments`): each segment's HTML is
    rendered once and kept, and the text's HTML is its segments' joined by newlines, as Python-Markdown joins
    its top-level elements. An edit of a version touches one to three paragraphs, so its next version renders
    those alone. Rendering whole cost 76 ms of CPU a text on the corpus's 58 first versions and up to 1.9 s on
    the largest once edits had grown it, most of it in Python-Markdown's link parsing (``_findBracketEnds``,
    quadratic in a paragraph's brackets); over the 58 texts and 2,000 edits of them, 120 ms a text whole against 13 ms
    a segment at a time. The HTML is the same, byte for byte, on the corpus's 1,020 versions and on those 2,000
    edited texts. Faster renderers were measured on the 58 texts and not taken: cmarkgfm (1.7 ms a text) and
    markdown-it-py (38 ms) are CommonMark, whose lists, emphasis and indentation rules differ from
    Python-Markdown's: the text policykb extracts from their pages differed from the replay server's pages' on
    41 and 22 of the 58 texts.

    ``render(text, memo)`` takes the segments already rendered (``{segment: html}``, e.g. those of the
    text's previous version) and returns the HTML with the memo of this text's segments. ``rendered`` counts
    the segments rendered, ``whole`` the texts rendered whole (those :func:`segments` does not cut)."""

    def __init__(self, shared: dict[str, str] | None = None):
        import markdown

        self._md = markdown.Markdown(extensions=EXTENSIONS)
        #: segments looked up after the caller's memo (e.g. those of the corpus's texts, which copies share)
        self.shared = {} if shared is None else shared
        self.rendered = 0
        self.whole = 0

    def _convert(self, text: str) -> str:
        return self._md.reset().convert(text)

    def render(self, text: str, memo: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
        parts = segments(text)
        if parts is None:
            self.whole += 1
            return self._convert(text), {}
        memo = memo or {}
        mine: dict[str, str] = {}
        for part in parts:
            if part not in mine:
                html = memo.get(part)
                if html is None:
                    html = self.shared.get(part)
                if html is None:
                    html = self._convert(part)
                    self.rendered += 1
                mine[part] = html
        return "\n".join(h for h in (mine[p] for p in parts) if h), mine


def archive_history(data: Path, versions: int, docs: int, rate: float, corpus: Path, seed: int) -> dict:
    """Write one WARC per crawl until the histories hold ``versions`` versions; returns counts.

    A page is its version's Markdown rendered by :class:`PageRenderer` (Python-Markdown's HTML of the whole
    text, made a segment at a time) inside :data:`replay.corpus.PAGE`, with the document's number closing every
    paragraph, list item and table cell (:func:`bench.peers.synthetic_site.number_blocks`, as the peers' site numbers
    its copies: `` [i]``, thousands set apart so that no number reads as a year): the
    documents that start from one corpus text (``i % 58``) share no block of text, so no memo of a rebuild meets
    a section again that a real archive would not. A document's page is made again only when it changes (an
    unchanged one is archived as the same bytes: a revisit)."""
    from pipeline.archive import Fetch, WarcArchive, warc_dir
    from replay.corpus import PAGE

    rng = random.Random(seed)
    texts = corpus_texts(corpus)
    from bench.peers.synthetic_site import LOCALES, number_blocks

    by_language = {}
    for service, _, t in texts:  # an added paragraph comes from a document in the same language
        by_language.setdefault(LOCALES.get(service, "en"), []).append(t)
    donors = [by_language[LOCALES.get(texts[i % len(texts)][0], "en")] for i in range(docs)]
    current = [texts[i % len(texts)][2] for i in range(docs)]
    renderer = PageRenderer()
    memos: list[dict[str, str]] = [{} for _ in range(docs)]
    pages: list[bytes] = [b""] * docs
    made, crawls, md_bytes = 0, 0, 0
    while made < versions:
        when = (START + timedelta(days=30 * crawls)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with WarcArchive(data) as warc:
            for i in range(docs):
                changed = crawls == 0 or (made < versions and rng.random() < rate)
                if changed:
                    if crawls:
                        current[i] = edit(current[i], rng, donors[i])
                    html, memos[i] = renderer.render(current[i], memos[i])
                    if crawls == 0 and i < len(texts):  # the corpus's texts: the copies that follow share them
                        renderer.shared.update(memos[i])
                    body = number_blocks(html, i)  # this document's number closing each block
                    pages[i] = PAGE.format(lang="en", title=f"doc {i}", body=body, service="scale").encode("utf-8")
                    made += 1
                    md_bytes += len(current[i].encode("utf-8"))
                url = f"https://d{i % HOSTS}.scale.example/doc/{i}"
                warc.write(Fetch(document=f"scale-d{i % HOSTS}/doc-{i}", url=url, final_url=url, status=200,
                                 headers=[("Content-Type", "text/html; charset=utf-8")], body=pages[i],
                                 fetched_at=when, observed_at=when))
        crawls += 1
        log(f"  crawl {crawls}: {made} versions archived")
    write_declarations(data.parent / "sources", docs, texts)
    warc_bytes = sum(p.stat().st_size for p in warc_dir(data).glob("*.warc.gz"))
    return {"crawls": crawls, "versions_written": made, "markdown_bytes_written": md_bytes, "warc_bytes": warc_bytes,
            "segments_rendered": renderer.rendered, "texts_rendered_whole": renderer.whole}


# -- measures --------------------------------------------------------------------------------------

def rebuild(data: Path) -> dict:
    """``policykb rebuild`` in a fresh process, measured as the peers harness measures a cycle
    (:func:`bench.peers.measure.run_command`): wall, CPU of the whole tree, and the peak sums of RSS and of PSS over
    the process and its build workers (forked workers share pages with it: the PSS sum is what the tree holds; the
    RSS sum counts a shared page once per process). Its output goes to ``rebuild.log`` beside the data folder."""
    from bench.peers.measure import run_command

    m = run_command([sys.executable, "-m", "kb.cli", "rebuild", "--data", str(data), "--sources",
                     str(data.parent / "sources")], timeout=6 * 3600, log_path=data.parent / "rebuild.log", cwd=ROOT)
    if not m.ok:
        raise SystemExit(f"policykb rebuild failed: {m.status} (see {data.parent / 'rebuild.log'})")
    return {"wall_s": round(m.wall_s, 1), "cpu_s": round(m.cpu_s, 1), "peak_rss_mib": round(m.peak_rss / 2**20),
            "peak_pss_mib": round(m.peak_pss / 2**20)}


def kb_figures(data: Path) -> dict:
    import sqlite3

    db = data / "policykb.db"
    size = sum(p.stat().st_size for p in data.glob("policykb.db*"))
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        versions, md = conn.execute("select count(*), sum(length(cast(text_markdown as blob))) from versions").fetchone()
        failed = collections.Counter()
        for reason, count in conn.execute("select reason, count(*) from checks where outcome = 'failed' group by reason"):
            failed[re.sub(r"\d[\d,.]*", "N", reason or "")] += count  # one line per kind, not per size
    finally:
        conn.close()
    from bench.storage import breakdown

    tables = {name: entry["bytes"] for name, entry in breakdown(db)["tables"].items()}
    return {"versions": versions, "kb_bytes": size, "markdown_bytes": md or 0,
            "kb_over_markdown": round(size / md, 2) if md else None, "failed_checks": dict(failed),
            "largest_tables": dict(list(tables.items())[:6])}


def percentiles(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"n": len(ms), "p50_ms": round(ms[len(ms) // 2], 1),
            "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1), "max_ms": round(ms[-1], 1)}


def sample_sentences(data: Path, rng: random.Random, n: int) -> tuple[list[str], list[str]]:
    """Sentences of current versions' sections, and of sections of replaced versions."""
    import sqlite3

    conn = sqlite3.connect(f"file:{data / 'policykb.db'}?mode=ro", uri=True)
    try:
        out = []
        for current in (True, False):
            rowids = [r for (r,) in conn.execute(
                "select s.rowid from sections s join documents d on d.id = s.document_id where "
                + ("s.version_id = d.current_version_id" if current else "s.version_id != d.current_version_id")
                + " order by s.rowid")]
            picked = sorted(rng.sample(rowids, min(n, len(rowids))))  # the seed's sample: runs are comparable
            rows = [conn.execute("select text_markdown from sections where rowid = ?", [r]).fetchone()
                    for r in picked]
            sentences = [s.strip() for (t,) in rows for s in re.split(r"(?<=[.!?])\s+", t or "")
                         if 60 <= len(s.strip()) <= 300 and not s.lstrip().startswith(("#", "|", "-"))]
            rng.shuffle(sentences)
            out.append(sentences[:n])
        return out[0], out[1]
    finally:
        conn.close()


def time_search(data: Path, queries: list[str]) -> dict:
    """p50/p95 of ``/-/policykb/search.json`` on a real ``policykb serve`` (keep-alive, 20 hits)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--data", str(data), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, conn = time.monotonic() + 120, None
        while conn is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", "/-/policykb/search.json?q=policy")
                conn.getresponse().read()
            except OSError:
                conn = None
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("policykb serve did not answer")
                time.sleep(0.3)
        ms = []
        for q in queries:
            started = time.perf_counter()
            conn.request("GET", "/-/policykb/search.json?" + urlencode({"q": q, "limit": 20}))
            response = conn.getresponse()
            response.read()
            ms.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise SystemExit(f"search {q!r}: HTTP {response.status}")
        return percentiles(ms)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def time_search_cpu(data: Path, queries: list[str]) -> dict:
    """p50/p95 of :func:`kb.search.search` in this process, by CPU time (20 hits): the search itself, without
    HTTP and less exposed to other processes on a shared machine than the wall times of :func:`time_search`."""
    import sqlite3

    from kb.search import search

    conn = sqlite3.connect(f"file:{data / 'policykb.db'}?mode=ro", uri=True)
    try:
        search(conn, "policy")  # warm the page cache and the stemmer
        ms = []
        for q in queries:
            started = time.process_time()
            search(conn, q, limit=20)
            ms.append((time.process_time() - started) * 1000)
        return percentiles(ms)
    finally:
        conn.close()


def cite_quotes(current: list[str], replaced: list[str], n: int) -> list[str]:
    """The ``n`` quotes cite is timed on, from :func:`sample_sentences`' two lists: sentences of current
    versions' sections (the first half) and of replaced versions' (the second)."""
    return current[:n // 2] + replaced[:n - n // 2]


def time_cite(data: Path, quotes: list[str], answers: Path | None = None) -> dict:
    """p50/p95/max of :func:`kb.cite.cite` in this process, wall and CPU time (``cpu_*``: this process's own,
    less exposed to the other processes of a shared machine); ``answers``: also write each quote's answers
    (what it was answered: status, document, section, version) and time, one JSON line a quote."""
    import sqlite3

    from kb.cite import cite

    conn = sqlite3.connect(data / "policykb.db")
    out = answers.open("w", encoding="utf-8") if answers else None
    try:
        cite(conn, quotes[0])  # warm the page cache
        ms, cpu = [], []
        for i, q in enumerate(quotes):
            started, started_cpu = time.perf_counter(), time.process_time()
            got = cite(conn, q)
            ms.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            if (i + 1) % 20 == 0 or i + 1 == len(quotes):
                log(f"cite: {i + 1}/{len(quotes)} quotes, p50 so far {percentiles(ms)['p50_ms']} ms")
            if out:
                said = [{k: a.get(k) for k in ("status", "document", "section_key", "version_seq", "version_date")}
                        for a in got]
                out.write(json.dumps({"i": i, "quote": q, "ms": round(ms[-1], 1), "cpu_ms": round(cpu[-1], 1),
                                      "answers": said}, ensure_ascii=False) + "\n")
        return percentiles(ms) | {f"cpu_{k}": v for k, v in percentiles(cpu).items() if k != "n"}
    finally:
        conn.close()
        if out:
            out.close()


def search_queries(sentences: list[str], rng: random.Random, n: int) -> list[str]:
    """Words and two-word phrases of the KB's own sentences, and a word in none of them."""
    words = [w for s in sentences for w in re.findall(r"[^\W\d_]{4,}", s)]
    out = []
    for k in range(n):
        if k % 10 == 9 or not words:
            out.append("zqxjvbnonexistent")
        elif k % 3 == 0:
            out.append(" ".join(rng.sample(words, 2)))
        else:
            out.append(rng.choice(words))
    return out


def report(result: dict, command: str) -> str:
    """``bench/results/scale.md``: the figures against the issue's goals, and the command that made them."""
    r, kb, h = result["rebuild"], result["kb"], result["history"]
    per = 1000 * r["cpu_s"] / max(1, kb["versions"]) if r else None
    lines = [
        "# Scale run: rebuild, size, search and cite on a synthetic history\n",
        "Generated by `bench/scale.py` (see its docstring for the method). Do not edit by hand.\n",
        f"Command: `{command}`\n",
        f"- History: {result['docs']:,} documents, {h['crawls']} crawls a month apart, change rate "
        f"{result['change_rate']}; {h['versions_written']:,} versions archived ({h['markdown_bytes_written'] / 2**20:,.0f} "
        f"MiB of Markdown), in {h['archive_wall_s']:,.0f} s.",
        f"- KB: {kb['versions']:,} versions; failed checks by reason: {kb['failed_checks'] or 'none'}.",
        (f"- Rebuild: {r['wall_s']:,.0f} s wall, {r['cpu_s']:,.0f} CPU s ({per:.0f} CPU ms per version), peak "
         + (f"{r['peak_pss_mib']} MiB PSS summed over the process and its build workers ({r['peak_rss_mib']} MiB RSS "
            "summed, shared pages counted once per process)." if "peak_pss_mib" in r else f"{r['peak_rss_mib']} MiB.")
         if r else "- Rebuild: not measured by this command (`--measure-only`, and no `rebuild.json` of this KB)."),
        f"- Size: {kb['kb_bytes'] / 2**20:,.0f} MiB for {kb['markdown_bytes'] / 2**20:,.0f} MiB of version Markdown "
        f"= {kb['kb_over_markdown']}× (goal ≤ 2.5×); largest tables with their indexes (`bench/storage.py`): "
        + ", ".join(f"{name} {size / 2**20:.0f} MiB" for name, size in kb.get("largest_tables", {}).items()) + ".",
        f"- Search (HTTP JSON API, {result['search']['n']} queries): p50 {result['search']['p50_ms']} ms, p95 "
        f"{result['search']['p95_ms']} ms (goal < 100 ms).",
    ]
    if result.get("search_cpu"):
        c = result["search_cpu"]
        lines.append(f"- Search in process (`kb.search.search`, the same queries, CPU time): p50 {c['p50_ms']} ms, "
                     f"p95 {c['p95_ms']} ms.")
    if result.get("cite"):
        c = result["cite"]
        lines.append(f"- Cite ({c['n']} quotes, current and replaced wordings): p50 {c['p50_ms']} ms, p95 "
                     f"{c['p95_ms']} ms (goal < 300 ms); this process's CPU time p50 {c['cpu_p50_ms']} ms, p95 "
                     f"{c['cpu_p95_ms']} ms.")
    if r and h["versions_written"] >= 100_000:  # the goal's size: measured, not estimated
        lines.append(f"- Rebuild of the {h['versions_written']:,} versions archived ({kb['versions']:,} in the KB): "
                     f"{r['wall_s'] / 60:.0f} minutes wall, {r['cpu_s'] / 60:.0f} CPU minutes (goal: under 15 "
                     "minutes).")
    elif r:
        scaled = 100_000 * per / 1000
        lines.append(f"- At 100,000 versions the rebuild would take about {scaled / 60:.0f} CPU minutes at this "
                     "rate (goal: under 15 minutes); an estimate from this run, not a measurement.")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=100_000, help="versions the histories hold in all")
    parser.add_argument("--docs", type=int, default=None, help="synthetic documents (default: versions / 20)")
    parser.add_argument("--change-rate", type=float, default=0.5, help="chance a document changes at a crawl")
    parser.add_argument("--data", default="/tmp/policykb-scale/data",
                        help="data folder (rewritten; the declarations go to a sources folder beside it)")
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--queries", type=int, default=200, help="search queries and cite quotes timed")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", default=None, help="also write this Markdown report (bench/results/scale.md)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the history an earlier run archived in --data (its history.json beside it) and "
                             "measure again: this checkout's code on the same WARCs")
    parser.add_argument("--archive-only", action="store_true",
                        help="write the history to --data and stop (no rebuild, no measure; --reuse measures it)")
    parser.add_argument("--cite-only", action="store_true",
                        help="time cite alone on the KB already in --data (no archive, no rebuild, no search)")
    parser.add_argument("--answers", default=None, help="with --cite-only: write each quote's answers to this file")
    parser.add_argument("--code", default=None,
                        help="with --cite-only: time the kb package of this checkout instead of this one's")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure the KB already in --data (size, search, cite) without rebuilding it; its "
                             "rebuild's figures come from rebuild.json beside it when they are that KB's")
    args = parser.parse_args(argv)
    if args.cite_only:
        return cite_only(parser, args)
    if args.measure_only:
        return measure_only(parser, args, argv)
    if args.versions < 1 or not 0 < args.change_rate <= 1:
        parser.error("--versions must be at least 1 and --change-rate in (0, 1]")
    if args.archive_only and args.reuse:
        parser.error("--archive-only writes a new history; --reuse measures an archived one: not both")
    import shutil

    data = Path(args.data)
    saved = data.parent / "history.json"
    docs = args.docs or max(1, args.versions // 20)
    if args.reuse:
        if not saved.is_file() or not (data / "warcs").is_dir():
            parser.error(f"--reuse: no history archived in {data} (no {saved} or {data / 'warcs'}); run without it")
        history = json.loads(saved.read_text())
        docs = history.get("docs", docs)
        args.change_rate = history.get("change_rate", args.change_rate)  # the history's, not this command's
        log(f"reusing {history}; rebuilding")
    else:
        # Only the two folders this run writes are emptied, never the folder around them: the
        # parent may hold the user's other files (a report written with --out, logs).
        for folder in (data, data.parent / "sources"):
            shutil.rmtree(folder, ignore_errors=True)
        data.mkdir(parents=True)
        started, started_cpu = time.monotonic(), time.process_time()
        history = archive_history(data, args.versions, docs, args.change_rate, Path(args.corpus), args.seed)
        history["archive_wall_s"] = round(time.monotonic() - started, 1)
        history["archive_cpu_s"] = round(time.process_time() - started_cpu, 1)
        saved.write_text(json.dumps(dict(history, docs=docs, change_rate=args.change_rate)))
        if args.archive_only:
            result = {"docs": docs, "change_rate": args.change_rate, "history": history}
            print(json.dumps(result, indent=1) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
            return 0
        log(f"archived {history}; rebuilding")
    result = {"docs": docs, "change_rate": args.change_rate, "history": history, "rebuild": rebuild(data)}
    save_rebuild(data, result["rebuild"])
    return measure(args, argv, data, result)


def kb_stamp(data: Path) -> dict:
    """The KB file's size and modification time: which rebuild a ``rebuild.json`` belongs to."""
    st = (data / "policykb.db").stat()
    return {"kb_size": st.st_size, "kb_mtime_ns": st.st_mtime_ns}


def save_rebuild(data: Path, figures: dict) -> None:
    """Keep a rebuild's figures beside the data folder (``rebuild.json``), stamped with the KB it made."""
    (data.parent / "rebuild.json").write_text(json.dumps({"rebuild": figures, **kb_stamp(data)}))


def saved_rebuild(data: Path) -> dict | None:
    """The figures of the rebuild that made the KB in ``data`` (see :func:`save_rebuild`), or None: no
    ``rebuild.json``, or one of another KB (rebuilt, migrated or written since)."""
    try:
        saved = json.loads((data.parent / "rebuild.json").read_text())
    except (OSError, ValueError):
        return None
    stamp = kb_stamp(data)
    return saved.get("rebuild") if all(saved.get(k) == v for k, v in stamp.items()) else None


def measure(args, argv, data: Path, result: dict) -> int:
    """The figures after a rebuild: the KB's size, search and cite (a full run's, and ``--measure-only``'s)."""
    result["kb"] = kb_figures(data)
    rng = random.Random(args.seed)
    current, replaced = sample_sentences(data, rng, args.queries)  # the seed's first draw (as --cite-only's)
    queries = search_queries(current + replaced, rng, args.queries)
    result["search"] = time_search(data, queries)
    result["search_cpu"] = time_search_cpu(data, queries)
    quotes = cite_quotes(current, replaced, args.queries)
    result["cite"] = time_cite(data, quotes) if quotes else None
    print(json.dumps(result, indent=1) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    if args.out:
        command = "python bench/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])
        Path(args.out).write_text(report(result, command), encoding="utf-8")
    return 0


def measure_only(parser, args, argv) -> int:
    """``--measure-only``: :func:`measure` on the KB in ``--data``, the history's figures from its
    ``history.json`` and the rebuild's from ``rebuild.json`` when they are that KB's (:func:`saved_rebuild`)."""
    data = Path(args.data)
    if not (data / "policykb.db").is_file():
        parser.error(f"--measure-only: no KB in {data} (no {data / 'policykb.db'}); run with --reuse to rebuild it")
    saved = data.parent / "history.json"
    if not saved.is_file():
        parser.error(f"--measure-only: no history.json beside {data}: the KB was not built by bench/scale.py")
    history = json.loads(saved.read_text())
    rebuilt = saved_rebuild(data)
    log("measuring the KB in place; " + ("its rebuild's figures from rebuild.json" if rebuilt else
                                         "no figures of the rebuild that made it (no rebuild.json of this KB)"))
    result = {"docs": history.get("docs"), "change_rate": history.get("change_rate"), "history": history,
              "rebuild": rebuilt}
    return measure(args, argv, data, result)


def cite_only(parser, args) -> int:
    """``--cite-only``: cite's p50/p95/max on the KB in ``--data``, with :func:`cite_quotes`' quotes."""
    data = Path(args.data)
    if not (data / "policykb.db").is_file():
        parser.error(f"--cite-only: no KB in {data} (no {data / 'policykb.db'})")
    if args.code:
        code = Path(args.code).resolve()
        if not (code / "kb" / "cite").is_dir():
            parser.error(f"--code: no checkout of policykb in {code} (no kb/cite)")
        sys.path.insert(0, str(code))
    quotes = cite_quotes(*sample_sentences(data, random.Random(args.seed), args.queries), args.queries)
    if not quotes:
        parser.error(f"--cite-only: no sentences to quote in {data}")
    started = time.process_time()
    result = time_cite(data, quotes, Path(args.answers) if args.answers else None)
    result["cpu_s"] = round(time.process_time() - started, 1)
    import kb

    result["code"] = str(Path(kb.__file__).resolve().parent.parent)
    print(json.dumps(result) if args.json else " ".join(f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
