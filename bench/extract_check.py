#!/usr/bin/env python3
"""Check that the one-parse extraction (lxml, :class:`pipeline.extract.Page`) gives the Markdown the
BeautifulSoup extraction gave, on real pages; and time both.

    python bench/extract_check.py [--corpus ../shared/corpus] [--versions 3] [--show 3]

Pages: every raw HTML snapshot of ``corpus/html`` (read in place) under several declarations (the whole
body; alternatives; every paragraph; tables and headings; every div, nested ones dropped; structural
selectors after removals; noise removed), the demo help centre's pages under their own declarations
(``spiders/sources/demo``), and corpus versions rendered as the bench serves them (``--versions`` per
document, in the replay page template, with a per-request token in an attribute and a comment of the
content). For each page and declaration both extractions run (:func:`pipeline.extract._extract_soup`,
the reference, and :func:`pipeline.extract._extract`); a mismatch is any difference in the Markdown, the
title, the charset or the error. Prints the mismatch count (the goal is 0), a unified diff of the first
``--show`` mismatches, and the CPU time of each extraction.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus"
#: (select, remove) declarations tried on every raw corpus page.
DECLARATIONS = [
    (("body",), ()),
    (("main", "article", "#content", "body"), ()),
    (("p",), ()),
    (("table, h1, h2, h3",), ()),
    (("div",), ()),
    (("li:last-child, p:first-child",), ("script + p",)),
    (("body",), ("nav", "header", "footer", '[class*="cookie"]', "*[hidden]", "ul > li:nth-child(2)")),
]


def pages(corpus: Path, versions: int):
    """``(label, body bytes, content type, select, remove)`` of every page and declaration checked."""
    import uuid

    import markdown
    import yaml

    for path in sorted((corpus / "html").glob("*/*/*.html")):
        body = path.read_bytes()
        for select, remove in DECLARATIONS:
            yield f"{path.relative_to(corpus)} {select} -{remove}", body, "text/html", select, remove
    for decl in sorted((ROOT / "spiders" / "sources" / "demo").glob("*.yml")):
        data = yaml.safe_load(decl.read_text(encoding="utf-8"))
        for doc in data.get("documents", []):
            host_path = doc["url"].split("://", 1)[1]
            for page in sorted((ROOT / "replay" / "sites" / "demo" / host_path).glob("*.html")):
                yield (f"demo {page.relative_to(ROOT)}", page.read_bytes(), "text/html", tuple(doc.get("select", ())),
                       tuple(doc.get("remove", ())))
    from replay.corpus import PAGE

    for doc_dir in sorted((corpus / "versions").glob("*/*")):
        for md_path in sorted(doc_dir.glob("*.md"))[:versions]:
            token = uuid.uuid4().hex
            html = markdown.markdown(md_path.read_text(encoding="utf-8"), extensions=["tables", "sane_lists"])
            page = PAGE.format(lang="en", title=doc_dir.name, body=html, service=doc_dir.parent.name)
            page = page.replace('<main id="policykb-replay-content">',
                                f'<main id="policykb-replay-content" data-request-token="{token}">\n'
                                f'<!-- request {token} -->', 1)
            yield f"{md_path.relative_to(corpus)}", page.encode("utf-8"), "text/html; charset=utf-8", \
                ("#policykb-replay-content",), ()


def run(fn):
    from pipeline.extract import ExtractionError

    started = time.process_time()
    try:
        e = fn()
        out = ("ok", e.markdown, e.title, e.encoding, e.guessed, e.selector)
    except ExtractionError as exc:
        out = ("error", exc.reason)
    except RecursionError:
        out = ("error", "recursion")
    return out, time.process_time() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--versions", type=int, default=3, help="corpus versions per document rendered as pages")
    parser.add_argument("--show", type=int, default=3, help="mismatches shown as diffs")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    if not (corpus / "html").is_dir():
        print(f"skipped: no corpus at {corpus}", file=sys.stderr)
        return 0
    from pipeline.extract import _extract, _extract_soup, decode_page

    n = mismatches = 0
    old_s = new_s = 0.0
    for label, body, ctype, select, remove in pages(corpus, args.versions):
        n += 1
        old, t_old = run(lambda: _extract_soup(decode_page(body, ctype), select, remove))
        new, t_new = run(lambda: _extract(body, ctype, select, remove))
        old_s, new_s = old_s + t_old, new_s + t_new
        if old != new:
            mismatches += 1
            if mismatches <= args.show:
                print(f"MISMATCH {label}")
                if old[0] == new[0] == "ok" and old[1] != new[1]:
                    sys.stdout.writelines(list(difflib.unified_diff(old[1].splitlines(True), new[1].splitlines(True),
                                                                    "soup", "lxml", n=1))[:40])
                else:
                    print(f"  soup: {str(old)[:300]}\n  lxml: {str(new)[:300]}")
    print(f"{n} page extractions, {mismatches} mismatches; CPU: BeautifulSoup {old_s:.1f} s, one parse {new_s:.1f} s "
          f"({old_s / max(new_s, 1e-9):.2f}x)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
