"""Main-content extraction without a selector: trafilatura vs readability-lxml, measured on the corpus.

    python bench/main_content.py [--corpus DIR]

Two measures. (1) On every Markdown document of the corpus, rendered by the
replay server inside a page of its own making (navigation bar, footer), word
recall and precision of each library's output against the text the
``#policykb-replay-content`` selector gives. (2) On the raw HTML part: the
same against the manifest's selectors where there are some, and the number of
distinct texts each gives over the 70 daily captures of amazon.com's privacy
notice (one real change in the period: 2 is right, more is noise). Times are
medians per page.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def words(text):
    return Counter(re.findall(r"\w+", re.sub(r"\]\([^)]*\)", "", text).lower()))


def overlap(reference, output):
    r, o = words(reference), words(output)
    shared = sum((r & o).values())
    return shared / max(1, sum(r.values())), shared / max(1, sum(o.values()))


def main(argv=None):
    import trafilatura
    from readability import Document

    from pipeline.extract import decode, extract, to_markdown
    from pipeline.maincontent import main_content
    from pipeline.normalize import normalize_text
    from replay.corpus import CONTENT_SELECTOR, load_corpus, render_version

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = parser.parse_args(argv)
    libraries = {
        "trafilatura": lambda html: main_content(html) or "",
        "readability-lxml": lambda html: to_markdown(Document(html).summary(html_partial=True)),
    }
    trafilatura.extract  # imported for its version below
    print(f"trafilatura {trafilatura.__version__}")
    stats = {name: {"recall": [], "precision": [], "ms": []} for name in libraries}
    for doc in load_corpus(args.corpus, ("versions",)):
        page = render_version(doc, doc.versions[-1].file.read_text(encoding="utf-8"))
        reference = extract(page, "text/html", [CONTENT_SELECTOR]).markdown
        for name, fn in libraries.items():
            started = time.perf_counter()
            out = normalize_text(fn(page.decode("utf-8")))
            stats[name]["ms"].append((time.perf_counter() - started) * 1000)
            recall, precision = overlap(reference, out)
            stats[name]["recall"].append(recall)
            stats[name]["precision"].append(precision)
    print("versions part, latest version of each document rendered by the replay server:")
    for name, s in stats.items():
        print(f"  {name:<17} word recall median {statistics.median(s['recall']):.3f} min {min(s['recall']):.3f}; "
              f"precision median {statistics.median(s['precision']):.3f} min {min(s['precision']):.3f}; "
              f"{statistics.median(s['ms']):.0f} ms/page")
    print("raw HTML part:")
    for doc in load_corpus(args.corpus, ("html",)):
        htmls = [decode(v.file.read_bytes(), "text/html")[0] for v in doc.versions]
        line = f"  {doc.dir:<45}"
        for name, fn in libraries.items():
            outs = [normalize_text(fn(h)) for h in htmls]
            line += f" {name}: {len(set(outs))} distinct of {len(outs)}"
            if doc.selectors:
                select = doc.selectors.get("select")
                select = [select] if isinstance(select, str) else select
                reference = extract(doc.versions[-1].file.read_bytes(), "text/html", select,
                                    doc.selectors.get("remove") or []).markdown
                recall, precision = overlap(reference, outs[-1])
                line += f" (recall {recall:.2f}, precision {precision:.2f})"
            line += ";"
        print(line)


if __name__ == "__main__":
    main()
