#!/usr/bin/env python3
"""How big a trigram index is against the text it indexes (the figure in ``kb.store.search_index``'s docstring).

    python bench/trigram_ratio.py KB.db [--corpus ../shared/corpus]

Builds in memory a contentless FTS5 trigram index declared as ``search_trigram`` is, over (1) every distinct
section wording of ``KB.db`` (its indexed text and filter tokens, as search indexes them) and (2) Chinese text:
the doubao and wenxinyiyan terms pages of the corpus's raw HTML, cut into clause-sized wordings (400+
characters), distinct ones once. Prints the index's bytes (``dbstat``, after ``optimize``) over the UTF-8 bytes
of the text it holds.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def measure(label, rows):
    rows = list(dict.fromkeys(rows))
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table t using fts5(text, meta, content='', tokenize='trigram')")
    conn.executemany("insert into t (rowid, text, meta) values (?, ?, ?)", [(i + 1, *r) for i, r in enumerate(rows)])
    conn.execute("insert into t (t) values ('optimize')")
    conn.commit()
    index = conn.execute("select sum(pgsize) from dbstat where name = 't' or name like 't\\_%' escape '\\'").fetchone()[0]
    text = sum(len(x.encode()) for x, _ in rows)
    print(f"{label}: {len(rows)} wordings, {text / 2**20:.2f} MiB of text, trigram index {index / 2**20:.2f} MiB "
          f"= {index / text:.2f}x the text")


def main():
    from bs4 import BeautifulSoup
    from kb.search.snippets import indexed_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb")
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = parser.parse_args()
    kb = sqlite3.connect(f"file:{args.kb}?mode=ro", uri=True)
    spaced = [(indexed_text(text), meta) for text, meta in kb.execute(
        "select s.text_markdown, i.meta from search_sections i join sections s on s.rowid = i.rowid")]
    meta = spaced[len(spaced) // 2][1] if spaced else ""
    chinese = []
    for path in sorted(Path(args.corpus, "html").glob("*/terms-of-service/*.html")):
        if path.parent.parent.name not in ("doubao", "wenxinyiyan"):
            continue
        soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "lxml")
        for tag in soup(["script", "style"]):
            tag.decompose()
        chunk = ""
        for line in soup.get_text("\n").split("\n"):
            chunk += line.strip()
            if len(chunk) >= 400:
                if re.search(r"[\u4e00-\u9fff]", chunk):
                    chinese.append((indexed_text(chunk), meta))
                chunk = ""
    if chinese:
        measure("Chinese (doubao, wenxinyiyan terms)", chinese)
    measure("the KB's wordings", spaced)


if __name__ == "__main__":
    main()
