#!/usr/bin/env python3
"""The cite check on a KB whose search index is behind (a build killed before its search step, or running).

    python bench/cite_unindexed.py KB.db [--quotes 40] [--caps 2000,5000,20000]

Times :func:`kb.cite.cite` (CPU, p50 and p95) on sentences of the current versions of ``KB.db``: first as it is
(synced index), then on a copy whose search index has been emptied (every wording unindexed, as after a first
build killed before its last step), with ``kb.cite.candidates.MAX_UNINDEXED`` at each cap. Prints how many
answers are ``current`` and the ``index_behind`` of the answers. The KB itself is not written.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def quotes_of(conn, n: int) -> list[str]:
    rng = random.Random(7)
    out = []
    for (text,) in conn.execute("select v.text_markdown from documents d join versions v on v.id = d.current_version_id"):
        sentences = re.findall(r"[A-Z][^.\n#|*\[\]]{60,200}\.", text or "")
        if sentences:
            out.append(rng.choice(sentences))
    return out[:n]


def timed(label, conn, quotes):
    from kb.cite import cite

    times, statuses, behind = [], [], None
    for quote in quotes:
        started = time.process_time()
        answers = cite(conn, quote)
        times.append(1000 * (time.process_time() - started))
        statuses.append(answers[0]["status"])
        behind = answers[0].get("index_behind")
    times.sort()
    print(f"{label}: CPU p50 {statistics.median(times):.0f} ms, p95 {times[max(0, int(0.95 * len(times)) - 1)]:.0f} ms,"
          f" current {statuses.count('current')}/{len(quotes)}, index_behind {behind}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb")
    parser.add_argument("--quotes", type=int, default=40)
    parser.add_argument("--caps", default="2000,5000,20000")
    args = parser.parse_args()
    import kb.cite.candidates as candidates

    synced = sqlite3.connect(f"file:{args.kb}?mode=ro", uri=True)
    quotes = quotes_of(synced, args.quotes)
    timed("synced index", synced, quotes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "unsynced.db"
        shutil.copy(args.kb, path)
        conn = sqlite3.connect(path)
        with conn:  # the index forgets everything: every wording is unindexed
            conn.execute("insert into search_trigram (search_trigram) values ('delete-all')")
            conn.execute("insert into search_short (search_short) values ('delete-all')")
            conn.execute("delete from search_sections")
            conn.execute("update search_state set max_rowid = 0, sections = 0")
        sections, versions = conn.execute("select (select count(*) from sections), (select count(*) from versions)").fetchone()
        print(f"index emptied: {sections} sections, {versions} versions unindexed")
        for cap in (int(c) for c in args.caps.split(",")):
            candidates.MAX_UNINDEXED = cap
            started = time.process_time()
            pending = candidates.unindexed(conn)
            print(f"cap {cap}: unindexed() read {len(pending.texts)} wordings in "
                  f"{1000 * (time.process_time() - started):.0f} CPU ms (all of them: {pending.complete})")
            timed(f"cap {cap}", conn, quotes)
        conn.close()


if __name__ == "__main__":
    main()
