#!/usr/bin/env python3
"""CPU of one build and of its glossary step (``kb.glossary.refresh_glossary``) and impact step, in one process.

    python bench/glossary_step.py SAMPLE [--before N] [--code DIR] [--kb OUT.db]

``SAMPLE`` holds ``data/warcs/*.warc.gz`` and ``sources/`` (``bench/storage.py --build`` or
``bench/scale.py``'s archive make such folders; the sample is copied, never changed). The first ``--before``
WARCs (default 0) are built first, untimed; then the next WARC is built and timed: ``--before 0`` times a first
build, ``--before 1`` the change build of a second crawl. Extraction workers are off
(``POLICYKB_BUILD_WORKERS=0``), so the build's CPU is this process's. ``--code`` runs another checkout's code
(a worktree at an older commit) for an old/new comparison; ``--kb`` keeps the KB, for ``bench/kb_compare.py``.
The machine is shared: alternate old and new runs and compare medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sample", help="folder holding data/warcs and sources")
    parser.add_argument("--before", type=int, default=0, help="WARCs built first, untimed")
    parser.add_argument("--code", default=str(ROOT), help="checkout whose code runs (default: this one)")
    parser.add_argument("--kb", default=None, help="copy the built KB here")
    args = parser.parse_args(argv)
    sample, code = Path(args.sample), Path(args.code).resolve()
    warcs = sorted((sample / "data" / "warcs").glob("*.warc.gz"))
    if not warcs or not (sample / "sources").is_dir() or not 0 <= args.before < len(warcs):
        parser.error(f"{sample} needs data/warcs with more than --before WARCs, and sources/")
    sys.path.insert(0, str(code))
    os.environ["POLICYKB_BUILD_WORKERS"] = "0"
    import kb.glossary
    import kb.impact
    from kb import build
    from kb.db import open_db
    from pipeline.sources import load_sources

    steps = {"glossary": 0.0, "impact": 0.0}

    def timed(module, name, key):
        inner = getattr(module, name)

        def run(*a, **k):
            started = time.process_time()
            try:
                return inner(*a, **k)
            finally:
                steps[key] += time.process_time() - started
        setattr(module, name, run)

    timed(kb.glossary, "refresh_glossary", "glossary")
    timed(kb.impact, "refresh_change_concepts", "impact")
    with tempfile.TemporaryDirectory(prefix="glossary-step-") as tmp:
        data = Path(tmp) / "data"
        (data / "warcs").mkdir(parents=True)
        platforms = load_sources(sample / "sources")
        db = open_db(data)
        if args.before:
            for warc in warcs[:args.before]:
                shutil.copy(warc, data / "warcs")
            build.build(db, data, platforms)
        shutil.copy(warcs[args.before], data / "warcs")
        steps.update(glossary=0.0, impact=0.0)
        started = time.process_time()
        build.build(db, data, platforms)
        cpu = time.process_time() - started
        if args.kb:
            out = sqlite3.connect(args.kb)
            db.conn.backup(out)
            out.close()
        db.conn.close()
    print(json.dumps({"code": str(code), "before": args.before, "build_cpu_s": round(cpu, 2),
                      **{f"{k}_cpu_s": round(v, 2) for k, v in steps.items()}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
