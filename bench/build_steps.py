#!/usr/bin/env python3
"""CPU per new version of each step of a build (issue 19: build CPU per new document under 20 ms).

Builds a fresh KB from the WARC files of a data folder (the first ``--warcs`` of them: 1 is a first cycle) in
this process, with no worker processes (``POLICYKB_BUILD_WORKERS=0``: every step's CPU is this process's), and
times each step by wrapping its function: CPU time (``time.process_time``) inside it, nested steps included in
their parent's (``extract`` holds ``markdown``; ``search index`` holds ``index text`` and ``segment``). Prints CPU ms
per new version per step, and writes them as JSON with ``--json``. With ``--workers`` the build uses its worker
processes as ``policykb build`` does, and the figures are wall ms per new version per step (where a build with
workers spends its time; the workers' CPU is not this process's).

    python bench/build_steps.py DATA SOURCES [--warcs 1] [--after 0] [--workers] [--json out.json] [--kb out.db]

``DATA``: a data folder with ``warcs/`` (e.g. a ``bench.peers.run --keep`` one); ``SOURCES``: its declarations.
The code measured is the ``kb``/``pipeline`` on ``sys.path``: run it with ``PYTHONPATH=TREE`` to measure another
tree (``bench/build_ab.py`` alternates two trees so). ``--after K`` builds the first K WARC files untimed before the
timed build (``--after 1``: the second WARC's build, a change cycle's: what it costs to diff, classify and store new
versions of known documents). ``--kb`` keeps the KB built (for ``bench/kb_compare.py``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

#: (label, "module:function"), in report order; a function missing from the tree measured is left out.
STEPS = [
    ("build (total)", "kb.build:build"),
    ("ingest (step 2)", "kb.ingest:ingest_archive"),
    ("WARC read", "pipeline.archive:iter_records"),
    ("extract (decode, parse, select)", "pipeline.extract:extract"),
    ("  markdown (lxml)", "pipeline.tomarkdown:convert"),
    ("  markdown (markdownify)", "pipeline.extract:to_markdown"),
    ("normalization rules", "pipeline.normalize:apply_rules"),
    ("language check", "pipeline.decide:locale_mismatch"),
    ("content hash", "pipeline.normalize:content_hash"),
    ("dates", "pipeline.dates:find_dates"),
    ("sections (split)", "pipeline.sections:split_sections"),
    ("canonical hash", "pipeline.classify:canonical_hash"),
    ("store version", "kb.store.records:insert_version"),
    ("store sections+statements", "kb.store.records:insert_sections"),
    ("store check", "kb.store.records:insert_check"),
    ("store document", "kb.store.records:update_document"),
    ("glossary (step 3)", "kb.glossary:refresh_glossary"),
    ("change concepts", "kb.impact:refresh_change_concepts"),
    ("rule values", "kb.rules:derive"),
    ("citations", "kb.cite.watchlist:check_citations"),
    ("search index (step 8)", "kb.store.search_index:sync"),
    ("  index text (plain+fold)", "kb.search.snippets:indexed_text"),
    ("  segment", "kb.search.parse:segment"),
    ("discovery", "kb.discovery:ingest_discovery"),
    ("release pages", "kb.store.records:release_free_pages"),
]


class Timer:
    def __init__(self, clock=time.process_time):
        self.clock = clock
        self.cpu, self.calls, self.depth = {}, {}, {}

    def wrap(self, label, fn):
        timer = self

        def timed(*args, **kwargs):
            if timer.depth.get(label):
                return fn(*args, **kwargs)
            timer.depth[label] = 1
            started = timer.clock()
            try:
                result = fn(*args, **kwargs)
            finally:
                timer.cpu[label] = timer.cpu.get(label, 0.0) + timer.clock() - started
                timer.calls[label] = timer.calls.get(label, 0) + 1
                timer.depth[label] = 0
            if isinstance(result, types.GeneratorType):
                return timer._timed_generator(label, result)
            return result

        timed.__wrapped__ = fn
        return timed

    def _timed_generator(self, label, gen):
        while True:
            started = self.clock()
            try:
                item = next(gen)
            except StopIteration:
                return
            finally:
                self.cpu[label] = self.cpu.get(label, 0.0) + self.clock() - started
            yield item


def install(timer: Timer) -> list[str]:
    """Wrap each step's function wherever a loaded module holds it; the labels wrapped."""
    wrapped = []
    for label, target in STEPS:
        module_name, name = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        fn = getattr(module, name, None)
        if fn is None:
            continue
        timed = timer.wrap(label, fn)
        for mod in list(sys.modules.values()):
            holder = getattr(mod, "__dict__", None)
            if not holder:
                continue
            for key, value in list(holder.items()):
                if value is fn:
                    setattr(mod, key, timed)
        wrapped.append(label)
    return wrapped


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("sources")
    parser.add_argument("--warcs", type=int, default=1, help="the first N WARC files (1: a first cycle)")
    parser.add_argument("--after", type=int, default=0,
                        help="build the first K WARC files untimed first, then time the build of the next --warcs "
                             "(--after 1: a change cycle's build)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--kb", help="keep the KB built here")
    parser.add_argument("--workers", action="store_true",
                        help="build with worker processes (as policykb build does) and time each step's wall time")
    args = parser.parse_args(argv)
    if not args.workers:
        os.environ["POLICYKB_BUILD_WORKERS"] = "0"
    clock = time.perf_counter if args.workers else time.process_time
    unit = "wall" if args.workers else "CPU"

    # everything the build loads, loaded before timing (the steps' modules are imported at their first use)
    import kb.build  # noqa: F401
    import kb.cite.watchlist  # noqa: F401
    import kb.discovery  # noqa: F401
    import kb.glossary  # noqa: F401
    import kb.impact  # noqa: F401
    import kb.ops.alerts  # noqa: F401
    import kb.ops.runs  # noqa: F401
    import kb.ops.watch  # noqa: F401
    import kb.rules  # noqa: F401
    import kb.store.search_index  # noqa: F401
    import pipeline.extract  # noqa: F401
    from kb.db import open_db
    from pipeline.classify import warm_up
    from pipeline.sources import load_sources

    warm_up()
    work = Path(tempfile.mkdtemp(prefix="build-steps-"))
    try:
        warcs = sorted((Path(args.data) / "warcs").glob("*.warc.gz"))
        (work / "warcs").mkdir()
        platforms = load_sources(args.sources)

        def build(group):
            """Link ``group``'s WARC files in and build them; the build's stats and CPU seconds."""
            for w in group:
                (work / "warcs" / w.name).symlink_to(w.resolve())
            db = open_db(work)
            started = clock()
            try:
                return kb.build.build(db, work, platforms), clock() - started
            finally:
                db.close()

        if args.after:
            build(warcs[:args.after])  # untimed: the KB a change cycle's build starts from
        timer = Timer(clock)
        wrapped = install(timer)
        stats, total = build(warcs[args.after:args.after + args.warcs])
        versions = stats.outcomes.get("new_version", 0)
        if args.kb:
            shutil.copy(work / "policykb.db", args.kb)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per = max(versions, 1)
    result = {"tree": str(Path(kb.build.__file__).parent.parent), "records": stats.records, "new_versions": versions,
              ("wall_s" if args.workers else "cpu_s"): round(total, 3),
              "ms_per_version": {label: round(timer.cpu.get(label, 0.0) * 1000 / per, 2) for label in wrapped}}
    print(f"{result['tree']}: {stats.records} records, {versions} new versions, {total:.1f} s {unit}")
    for label in wrapped:
        print(f"  {label:34} {result['ms_per_version'][label]:8.2f} ms/version ({unit})")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
