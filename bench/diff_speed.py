"""Diff speed on a real pair of versions: C++ vs pure Python, two-step (lines, then words) vs characters.

    python bench/diff_speed.py [--corpus DIR] [--document versions/tiktok-shop/marketplace-sellers-conditions]
                               [--runs 5]

Picks, among consecutive versions (normalized as the build does) of a corpus document (default: TikTok
Shop's ~125 KB Marketplace Sellers Conditions), the pair with the most
word-level edits under 1000 ("hundreds of edits"), and prints the median time of ``pipeline.diff.diff`` (what
the build stores: edit script + patch text) with the C++ and the pure-Python
implementation, the same for a plain character-level diff-match-patch diff,
and which implementation the build uses. The target: under 100 ms for two
~100 KB versions with hundreds of edits.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def main(argv=None):
    from diff_match_patch import diff_match_patch

    from pipeline.normalize import apply_rules, normalize_text

    import importlib

    diffmod = importlib.import_module("pipeline.diff")

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--document", default="versions/tiktok-shop/marketplace-sellers-conditions")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--char-level-pure", action="store_true",
                        help="also time the pure-Python character-level diff (can take minutes)")
    args = parser.parse_args(argv)
    folder = Path(args.corpus) / args.document
    if not folder.is_dir():
        parser.error(f"no corpus document at {folder}")
    manifest = json.loads((folder / "manifest.json").read_text())
    texts = [(folder / v["file"]).read_text(encoding="utf-8") for v in manifest["versions"]]
    texts = [apply_rules(normalize_text(t)) for t in texts]  # what the build diffs
    pairs = [(a, b) for a, b in zip(texts, texts[1:]) if a != b]
    counted = [(sum(op != 0 for op, _ in diffmod.diff_ops(a, b)), a, b) for a, b in pairs]
    hundreds = [c for c in counted if 100 <= c[0] < 1000] or counted
    _, old, new = max(hundreds, key=lambda c: c[0])
    ops = diffmod.diff_ops(old, new)
    edits = sum(1 for op, _ in ops if op != 0)
    print(f"pair: {args.document}, {len(old.encode()) / 1024:.0f} KB -> {len(new.encode()) / 1024:.0f} KB, "
          f"{edits} word-level edits ({sum(len(t) for op, t in ops if op == 1)} chars added, "
          f"{sum(len(t) for op, t in ops if op == -1)} removed)")
    ops_fast_ms, _ = timed(lambda: diffmod.diff_ops(old, new, use_fast=True), args.runs)
    ops_pure_ms, _ = timed(lambda: diffmod.diff_ops(old, new, use_fast=False), max(1, args.runs // 2))
    print(f"two-step diff (edit script), C++:                   {ops_fast_ms:8.1f} ms (median of {args.runs})")
    print(f"two-step diff (edit script), pure Python:           {ops_pure_ms:8.1f} ms")
    fast_ms, fast = timed(lambda: diffmod.diff(old, new, use_fast=True), args.runs)
    pure_ms, pure = timed(lambda: diffmod.diff(old, new, use_fast=False), max(1, args.runs // 2))
    assert fast.ops == pure.ops, "the two implementations disagree"
    print(f"two-step diff + patch, C++ (fast_diff_match_patch): {fast_ms:8.1f} ms (median of {args.runs})")
    print(f"two-step diff + patch, pure Python:                  {pure_ms:8.1f} ms; same edits: yes")
    if diffmod._fast:
        char_ms, char_ops = timed(lambda: diffmod._fast.diff(old, new, timelimit=0, cleanup="Semantic",
                                                              counts_only=False), 1)
        print(f"character-level diff, C++:                          {char_ms:8.1f} ms ({len(char_ops)} ops)")
    if args.char_level_pure:
        dmp = diff_match_patch()
        dmp.Diff_Timeout = 0
        char_ms, _ = timed(lambda: dmp.diff_main(old, new), 1)
        print(f"character-level diff, pure Python:                  {char_ms:8.1f} ms")
    print(f"the build uses: {diffmod.IMPLEMENTATION}; ratio pure/C++ {ops_pure_ms / max(ops_fast_ms, 1e-6):.1f}x "
          f"(edit script); target < 100 ms for the diff: {'met' if ops_fast_ms < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
