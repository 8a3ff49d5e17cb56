"""Time of ``policykb citations check`` on 1,000 saved citations, on the synthetic KB of ``bench/cite_speed.py``.

    python bench/citations_speed.py [--data DIR] [--sections N] [--citations N] [--json]

Builds (or reuses) the cite-speed KB (100,000 sections by default: documents of 10 sections, 5 versions
each, one in eight in Chinese, one in fifty taken down), copies it, and saves ``--citations`` citations
through :func:`kb.cite.watchlist.add_citation` (the code behind ``policykb citations add``): sentences of
current versions (most), of first versions that a later one reworded (changed or removed), and of pages
taken down. Then it times

* ``full``: :func:`~kb.cite.watchlist.check_citations` with ``everything=True``, what ``policykb citations
  check`` does: every citation checked again by the cite check (goal: under 10 s for 1,000);
* ``after_build``: the build's step when no cited document changed (only changed documents are checked);
* ``cli``: the command itself in a subprocess (``policykb citations check --data ...``), start-up included.

Each is given as wall-clock time and as CPU time (``*_cpu_s``): on a machine shared with other work (the
load average is printed) the wall-clock time is mostly waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.。])\s*|\n+", text)
            if len(s.encode()) > 45 and not s.startswith(("#", "Last"))]


def pick_quotes(conn, rng, n) -> list[tuple[str, str]]:
    """``(document id, sentence)``: 70 % from current versions, 20 % from first versions, 10 % any of a page gone."""
    docs = conn.execute("select id, state, current_version_id from documents").fetchall()
    out = []
    while len(out) < n:
        doc_id, state, cur = rng.choice(docs)
        roll = rng.random()
        seq_sql = ("select text_markdown from versions where id = ?", [cur]) if roll < 0.7 or state == "gone" else \
            ("select text_markdown from versions where document_id = ? and seq = 1", [doc_id])
        if state == "gone" and rng.random() > 0.1:
            continue
        found = sentences(conn.execute(*seq_sql).fetchone()[0])
        if found:
            out.append((doc_id, rng.choice(found)))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="/tmp/policykb-cite-speed", help="folder of the cite-speed KB")
    parser.add_argument("--sections", type=int, default=100_000)
    parser.add_argument("--citations", type=int, default=1000)
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import cite_speed
    from kb.cite import CiteError
    from kb.cite.watchlist import WatchlistError, add_citation, check_citations
    from kb.db import open_db

    data, corpus = Path(args.data), Path(args.corpus)
    marker = data / ".cite-speed"
    if not (marker.exists() and marker.read_text() == f"{args.sections} {corpus.is_dir()}"):
        cite_speed.build(data, args.sections, corpus)
    work = Path(str(data) + "-citations")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(data / "policykb.db", work / "policykb.db")
    db = open_db(work)
    rng = random.Random(5)
    started, saved, refused = time.perf_counter(), 0, 0
    for doc_id, quote in pick_quotes(db.conn, rng, args.citations):
        try:
            add_citation(db, quote, url=doc_id, label=f"case {saved % 37}", now="2025-09-11")
            saved += 1
        except (CiteError, WatchlistError):
            refused += 1
    add_s = time.perf_counter() - started
    states = {}
    for (state,) in db.execute("select state from citations"):
        states[state] = states.get(state, 0) + 1
    t0, c0 = time.perf_counter(), time.process_time()
    full = check_citations(db, everything=True, now="2025-09-11")
    full_s, full_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    incremental = check_citations(db, now="2025-09-11")
    after_s = time.perf_counter() - t0
    db.close()
    t0, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "kb.cli", "citations", "check", "--data", str(work), "--json"], cwd=ROOT,
                   check=True, capture_output=True)
    cli_s, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    cli_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    result = {"citations": saved, "refused_when_adding": refused, "states": states, "add_s": round(add_s, 1),
              "full_check_s": round(full_s, 2), "full_check_cpu_s": round(full_cpu, 2), "full_checked": len(full),
              "per_citation_ms": round(full_s * 1000 / max(1, len(full)), 1),
              "after_build_s": round(after_s, 3), "after_build_checked": len(incremental), "cli_s": round(cli_s, 2),
              "cli_cpu_s": round(cli_cpu, 2), "load_average": os.getloadavg()[0]}
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0 if full_s < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
