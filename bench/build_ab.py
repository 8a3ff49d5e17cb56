#!/usr/bin/env python3
"""A/B of two source trees' build, alternated in one run on the same WARCs: CPU ms per new version per step.

    python bench/build_ab.py DATA SOURCES A_TREE B_TREE [--rounds 3] [--warcs 1] [--after 0] [--out DIR]

Runs ``bench/build_steps.py`` (this tree's) with ``PYTHONPATH=A_TREE``, then ``B_TREE``, ``--rounds`` times
(A B A B ...), each in a fresh process with its own fresh KB (``--after 1``: the first WARC built untimed first, so
the build timed is a change cycle's), and prints each step's median (and the load average
before each run). ``A_TREE`` may be an exported commit (``git archive COMMIT | tar -x -C DIR``). With ``--out`` the
KB of each tree's last run is kept as ``DIR/a.db`` and ``DIR/b.db`` (compare them with ``bench/kb_compare.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(tree: str, data: str, sources: str, warcs: int, after: int, kb: str | None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, str(HERE / "build_steps.py"), data, sources, "--warcs", str(warcs), "--after",
               str(after), "--json", out.name]
        if kb:
            cmd += ["--kb", kb]
        env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
        subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        return json.loads(Path(out.name).read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("sources")
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warcs", type=int, default=1)
    parser.add_argument("--after", type=int, default=0, help="WARC files built untimed first (1: time a change build)")
    parser.add_argument("--out", help="keep each tree's last KB here (a.db, b.db) and the figures (ab.json)")
    args = parser.parse_args(argv)
    for tree in (args.a, args.b):  # as pip install does: no run compiles the sources it imports
        subprocess.run([sys.executable, "-m", "compileall", "-q", *[str(Path(tree) / p) for p in ("kb", "pipeline",
                                                                                                  "glossary")]],
                       capture_output=True)
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    results, loads = {"a": [], "b": []}, []
    for n in range(args.rounds):
        for side in ("a", "b"):
            loads.append(os.getloadavg()[0])
            kb = str(Path(args.out) / f"{side}.db") if args.out and n == args.rounds - 1 else None
            results[side].append(run(getattr(args, side), args.data, args.sources, args.warcs, args.after, kb))
            r = results[side][-1]
            print(f"round {n + 1} {side}: {r['cpu_s']} s CPU, {r['new_versions']} new versions (load {loads[-1]:.1f})",
                  flush=True)
    labels = list(results["a"][0]["ms_per_version"])
    labels += [label for label in results["b"][0]["ms_per_version"] if label not in labels]
    summary = {"load_before_runs": loads, "a": args.a, "b": args.b, "median_ms_per_version": {}}
    print(f"\nmedian CPU ms per new version of {args.rounds} alternated runs (load average {min(loads):.1f}-"
          f"{max(loads):.1f})\n{'step':36} {'A':>9} {'B':>9} {'B/A':>6}")
    for label in labels:
        a = statistics.median(r["ms_per_version"].get(label, 0.0) for r in results["a"])
        b = statistics.median(r["ms_per_version"].get(label, 0.0) for r in results["b"])
        summary["median_ms_per_version"][label] = {"a": a, "b": b}
        print(f"{label:36} {a:9.2f} {b:9.2f} {b / a if a else float('nan'):6.2f}")
    if args.out:
        Path(args.out, "ab.json").write_text(json.dumps({"summary": summary, "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
