#!/usr/bin/env python3
"""Ask a KB search and cite questions and write the answers; compare two such files.

    python bench/answers_compare.py KB.db --dump ANSWERS.json [--quotes 200] [--seed 19]
    python bench/answers_compare.py --compare BEFORE.json AFTER.json

For a storage change that must not change what the KB answers (issue 19): dump the answers of the KB built
before the change with the code before it (e.g. ``git archive`` of that commit, ``PYTHONPATH`` set to it),
and of the KB built after with the code after, then compare. The questions come from the KB's sections (of
current and older versions, read through the view or table ``sections``, so the same on both layouts):
quotes of a sentence of a section, as pasted and slightly damaged (a word dropped), and searches for a word
pair, the same as a phrase and a lone CJK character. Asked at one clock (the KB's latest check), read only.
``--compare`` prints the number of questions and of differing answers (the first few shown); exit code 1
when any differs.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def questions(conn, count: int, seed: int) -> list[tuple[str, str]]:
    """``(kind, text)`` pairs drawn from the sections of ``conn``'s versions."""
    rng = random.Random(seed)
    rows = conn.execute("select text_markdown from sections where length(text_markdown) > 80 order by id").fetchall()
    out = []
    for (text,) in rng.sample(rows, min(count, len(rows))):
        sentences = [s.strip() for s in re.split(r"(?<=[.!?。；])\s*", text) if len(s.strip()) > 30]
        if not sentences:
            continue
        sentence = rng.choice(sentences)[:300]
        words = sentence.split()
        out.append(("cite", sentence))
        if len(words) > 6:
            drop = rng.randrange(len(words))
            out.append(("cite", " ".join(words[:drop] + words[drop + 1:])))
        plain = [w for w in re.findall(r"\w{4,}", sentence)]
        if len(plain) >= 2:
            at = rng.randrange(len(plain) - 1)
            out.append(("search", f"{plain[at]} {plain[at + 1]}"))
            out.append(("search", f'"{plain[at]} {plain[at + 1]}"'))
        cjk = re.findall(r"[\u4e00-\u9fff]", sentence)
        if cjk:
            out.append(("search", rng.choice(cjk)))
    return out


def answer(conn, kind: str, text: str, now: str) -> str:
    from kb.cite import cite
    from kb.search import search

    if kind == "cite":
        return json.dumps(cite(conn, text, now=now), sort_keys=True, default=str)
    result = search(conn, text, limit=50)
    return json.dumps([result.hits, result.more, result.error], sort_keys=True, default=str)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kb", nargs="?")
    parser.add_argument("--dump", help="write the answers here (JSON)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--quotes", type=int, default=200, help="sections to draw questions from")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args(argv)
    if args.compare:
        before, after = (json.loads(Path(f).read_text()) for f in args.compare)
        if [q[:2] for q in before["answers"]] != [q[:2] for q in after["answers"]]:
            print("the two files hold different questions")
            return 1
        differ = [b[:2] for b, a in zip(before["answers"], after["answers"]) if b[2] != a[2]]
        kinds = {k: sum(1 for q in before["answers"] if q[0] == k) for k in ("cite", "search")}
        print(f"{len(before['answers'])} questions ({kinds['cite']} cite, {kinds['search']} search) at "
              f"{before['now']}: {len(differ)} answers differ; seconds {before['seconds']:.1f} before, "
              f"{after['seconds']:.1f} after")
        for kind, text in differ[:5]:
            print(f"  differs: {kind} {text[:100]!r}")
        return 1 if differ else 0
    if not (args.kb and args.dump):
        parser.error("give KB.db --dump FILE, or --compare BEFORE AFTER")
    conn = sqlite3.connect(f"file:{args.kb}?mode=ro", uri=True)
    now = conn.execute("select max(checked_at) from checks").fetchone()[0]
    started, out = time.perf_counter(), []
    for kind, text in questions(conn, args.quotes, args.seed):
        out.append([kind, text, answer(conn, kind, text, now)])
    Path(args.dump).write_text(json.dumps({"kb": args.kb, "now": now, "seconds": time.perf_counter() - started,
                                           "answers": out}, ensure_ascii=False))
    print(f"{len(out)} answers in {args.dump}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
