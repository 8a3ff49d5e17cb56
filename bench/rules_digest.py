#!/usr/bin/env python3
"""Read every distinct section of every corpus version with ``pipeline.rules.extract`` and print one digest of all the
values, with the CPU time the reading took: for checking that a faster rules engine reads the same values.

    python bench/rules_digest.py [--corpus DIR] [--limit N]
    PYTHONPATH=/path/to/other/checkout python bench/rules_digest.py   # the same, with another checkout's code

Each section (``pipeline.sections.split_sections`` of each ``versions/**.md``) is read once per language: the
language ``pipeline.classify.detect_language`` finds for its version, and English (so the English cues also run over
every other language's text). Two checkouts read the same values when they print the same digest. Without the corpus
it says so and exits 0 (nothing to measure).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: another checkout given there is the one measured

from pipeline import rules  # noqa: E402
from pipeline.classify import detect_language  # noqa: E402
from pipeline.sections import split_sections  # noqa: E402


def work(corpus: Path, limit: int | None) -> list[tuple[str, str]]:
    """``(section text, language)`` once each, in corpus order."""
    files = sorted((corpus / "versions").rglob("*.md"))[:limit]
    out, seen = [], set()
    for path in files:
        markdown = path.read_text(encoding="utf-8")
        language = detect_language(markdown)[0] or ""
        for section in split_sections(markdown):
            for lang in dict.fromkeys((language, "en")):
                if (section.text, lang) not in seen:
                    seen.add((section.text, lang))
                    out.append((section.text, lang))
    return out


def read(pairs: list[tuple[str, str]]) -> tuple[list, float, str]:
    """``(values, CPU seconds, digest)`` of ``rules.extract`` over ``(section text, language)`` pairs: two checkouts
    read the same values when they give the same digest."""
    start = time.process_time()
    values = [rules.extract(text, lang) for text, lang in pairs]
    cpu = time.process_time() - start
    return values, cpu, hashlib.sha256(repr(values).encode("utf-8")).hexdigest()[:16]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--limit", type=int, help="only the first N versions")
    args = parser.parse_args(argv)
    if not (args.corpus / "versions").is_dir():
        print(f"no corpus at {args.corpus}: nothing to measure")
        return 0
    pairs = work(args.corpus, args.limit)
    values, cpu, digest = read(pairs)
    print(f"code {Path(rules.__file__).parent.parent}: {len(pairs)} section x language pairs, "
          f"{sum(map(len, values))} values, digest {digest}, rules CPU {cpu:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
