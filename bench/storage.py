#!/usr/bin/env python3
"""Where a KB's bytes go: pages per table and index (SQLite's ``dbstat``), against the Markdown it holds.

    python bench/storage.py KB.db [--json]
    python bench/storage.py --build DIR [--versions 136] [--docs 100] [--seed 19] [--json]
    python bench/storage.py KB.db --what-if [--json]

With ``KB.db``: reads that KB (read only). With ``--build DIR``: first writes a synthetic history into
``DIR/data`` the way ``bench/scale.py`` does (``--docs`` documents from the shared corpus, until the
histories hold ``--versions`` versions; the defaults make about the N = 100 KB of ``bench/peers``:
100 documents, 11 MiB of Markdown) and rebuilds it with ``policykb rebuild``, then reads that KB.

Printed: bytes of each table with its indexes, an FTS5 index with its shadow tables (``x_data``,
``x_idx``, ``x_docsize``, ``x_config``, ``x_content``) counted as one; the file's free pages; the
KB's bytes on disk (the file, its ``-wal`` and ``-shm``), the Markdown bytes of its versions
(``sum(length(cast(text_markdown as blob)))``), and their ratio (issue 19's goal: at most 2.5×,
indexes included).

``--what-if`` also measures, each on its own copy of the KB (the KB itself is not touched), what a
storage change not made yet would save: search's trigram index (the wordings it holds) built with
``detail=none`` (no positions: a phrase would be matched as its trigrams and checked again in the text); sections storing
offsets into their version's text instead of the text, where the section is a slice of it (a KB from before
migration 0800, which made that change); search's word index merged into one segment (FTS5 ``optimize``);
the filter tokens (``meta``) and wording keys search stores per wording (before migration 0820; after it,
the wording's own tokens); what a section row stores besides its span (changed version and date, heading, hash); each version's text stored once
per distinct content of its document; ``VACUUM`` at the current page size and at 8 and 16 KiB pages.
Figures: ``bench/results/storage.md``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


def owners(conn) -> dict[str, str]:
    """Each b-tree's name → the table it belongs to (an index → its table, an FTS shadow → its FTS table)."""
    out = {}
    fts = {name for (name,) in conn.execute(
        "select name from sqlite_master where type = 'table' and sql like 'create virtual table%using fts5%'")}
    for name, kind, table in conn.execute("select name, type, tbl_name from sqlite_master"):
        if kind == "index":
            out[name] = table
        elif kind == "table":
            base = next((name[:-len(s)] for s in FTS_SHADOWS if name.endswith(s) and name[:-len(s)] in fts), None)
            out[name] = base or name
    out["sqlite_schema"] = out["sqlite_master"] = "(schema)"
    return out


def breakdown(path: Path) -> dict:
    """Bytes per table (its indexes and shadow tables included), largest first, and the totals."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        of = owners(conn)
        per_btree = conn.execute("select name, sum(pgsize) from dbstat group by name").fetchall()
        page_size = conn.execute("pragma page_size").fetchone()[0]
        free = conn.execute("pragma freelist_count").fetchone()[0] * page_size
        versions, md = conn.execute(
            "select count(*), coalesce(sum(length(cast(text_markdown as blob))), 0) from versions").fetchone()
        sections_text = conn.execute(
            "select coalesce(sum(length(cast(text_markdown as blob))), 0) from sections").fetchone()[0]
    finally:
        conn.close()
    tables: dict[str, dict] = {}
    for name, size in per_btree:
        owner = of.get(name, name)
        entry = tables.setdefault(owner, {"bytes": 0, "btrees": {}})
        entry["bytes"] += size
        entry["btrees"][name] = size
    on_disk = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")
                  if p.name in (path.name, path.name + "-wal", path.name + "-shm"))
    return {"kb": str(path), "page_size": page_size, "kb_bytes": on_disk, "free_bytes": free,
            "versions": versions, "markdown_bytes": md, "sections_text_bytes": sections_text,
            "kb_over_markdown": round(on_disk / md, 2) if md else None,
            "tables": dict(sorted(tables.items(), key=lambda kv: -kv[1]["bytes"]))}


def report(figures: dict) -> str:
    mib = 2 ** 20
    md = figures["markdown_bytes"] or 1
    lines = [f"KB {figures['kb']}: {figures['versions']:,} versions, {figures['markdown_bytes'] / mib:.1f} MiB of "
             f"Markdown; page size {figures['page_size']}",
             f"{'table (with its indexes)':<34} {'MiB':>8} {'× Markdown':>11}"]
    for name, entry in figures["tables"].items():
        if entry["bytes"] < 64 * 1024:
            continue
        lines.append(f"{name:<34} {entry['bytes'] / mib:>8.1f} {entry['bytes'] / md:>11.2f}")
        for btree, size in sorted(entry["btrees"].items(), key=lambda kv: -kv[1]):
            if btree != name and size >= 256 * 1024:
                lines.append(f"  {btree:<32} {size / mib:>8.1f}")
    small = sum(e["bytes"] for e in figures["tables"].values() if e["bytes"] < 64 * 1024)
    lines.append(f"{'(tables under 64 KiB)':<34} {small / mib:>8.1f}")
    lines.append(f"{'(free pages)':<34} {figures['free_bytes'] / mib:>8.1f}")
    lines.append(f"KB on disk {figures['kb_bytes'] / mib:.1f} MiB = {figures['kb_over_markdown']}× its Markdown "
                 "(goal ≤ 2.5×)")
    return "\n".join(lines)


def _size(conn, like: str) -> int:
    return conn.execute("select coalesce(sum(pgsize), 0) from dbstat where name like ?", [like]).fetchone()[0]


def _copy(path: Path, folder: Path, name: str) -> sqlite3.Connection:
    """A vacuumed copy of the KB in ``folder``, in rollback-journal mode (so its page size can change)."""
    target = folder / f"{name}.db"
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        src.execute(f"vacuum into '{target}'")
    finally:
        src.close()
    conn = sqlite3.connect(target)
    conn.execute("pragma journal_mode = delete")
    return conn


# Long: one measure per storage change, each on its own copy, read top to bottom.
def what_if(path: Path) -> dict:
    """Bytes each storage change not made yet would save (each measured alone, on a vacuumed copy)."""
    import tempfile

    from kb.search.snippets import indexed_text
    from kb.store.search_index import in_trigram_index

    out = {}
    with tempfile.TemporaryDirectory(prefix="policykb-storage-") as tmp:
        folder = Path(tmp)
        conn = _copy(path, folder, "base")
        base_file = (folder / "base.db").stat().st_size
        out["vacuumed_bytes"] = base_file
        # 1. the trigram index without positions
        if conn.execute("select 1 from sqlite_master where name = 'search_trigram'").fetchone():
            before = _size(conn, "search_trigram%")
            conn.execute("create virtual table what_trigram using fts5(text, meta, content='', "
                         "tokenize='trigram', detail=none)")
            rows = conn.execute("select i.rowid, s.text_markdown, i.meta from search_sections i "
                                "join sections s on s.rowid = i.rowid").fetchall()
            plain = [(r, indexed_text(t or ""), m) for r, t, m in rows]
            conn.executemany("insert into what_trigram (rowid, text, meta) values (?, ?, ?)",
                             [row for row in plain if in_trigram_index(row[1])])
            conn.execute("insert into what_trigram (what_trigram) values ('optimize')")
            conn.commit()
            out["trigram_detail_none"] = {"now": before, "then": _size(conn, "what_trigram%")}
        # 2. sections as offsets into their version's text (done by migration 0800: measured on an older KB)
        if conn.execute("select 1 from sqlite_master where name = 'section_spans'").fetchone() is None:
            out["sections_as_offsets"] = _sections_as_offsets(conn)
        # 3. search's word index in one segment, and what search stores per wording besides its text
        before = _size(conn, "search_short%")
        conn.execute("insert into search_short (search_short) values ('optimize')")
        conn.commit()
        out["search_short_optimize"] = {"now": before, "then": _size(conn, "search_short%")}
        if conn.execute("select 1 from sqlite_master where name = 'search_wordings'").fetchone():
            out["search_wordings"] = dict(zip(("bytes", "meta_bytes"), conn.execute("""
                select (select coalesce(sum(pgsize), 0) from dbstat where name like 'search_wordings%'),
                       coalesce(sum(length(meta)), 0) from search_wordings""").fetchone()))
        else:  # layout 6 (before migration 0820): the keys and every token stored per wording
            out["search_sections"] = dict(zip(("bytes", "meta_bytes", "key_bytes"), conn.execute("""
                select (select coalesce(sum(pgsize), 0) from dbstat where name like 'search_sections%'),
                       coalesce(sum(length(meta)), 0),
                       coalesce(sum(length(document_id) + length(key) + length(content_hash)), 0)
                from search_sections""").fetchone()))
        # 3b. what a section row stores besides its span (section_spans, migration 0800)
        if conn.execute("select 1 from sqlite_master where name = 'section_spans'").fetchone():
            out["section_spans"] = dict(zip(("rows", "changed_rows", "changed_bytes", "heading_bytes",
                                             "hash_bytes"), conn.execute("""
                select count(*), count(changed_version_id),
                       coalesce(sum(length(changed_version_id) + length(changed_at)), 0),
                       coalesce(sum(length(cast(heading as blob))), 0), coalesce(sum(length(content_hash)), 0)
                from section_spans""").fetchone()))
        # 4. a version's text once per distinct content of its document
        repeated = conn.execute("""select coalesce(sum(length(cast(text_markdown as blob))), 0), count(*)
            from versions v where exists (select 1 from versions w where w.document_id = v.document_id
            and w.content_hash = v.content_hash and w.seq < v.seq)""").fetchone()
        out["versions_text_once"] = {"repeated_text_bytes": repeated[0], "repeated_versions": repeated[1]}
        conn.close()
        # 5. VACUUM, at this page size and larger ones
        out["vacuum"] = {}
        for page_size in (8192, 16384):
            conn = _copy(path, folder, f"pages{page_size}")
            conn.execute(f"pragma page_size = {page_size}")
            conn.execute("vacuum")
            conn.close()
            out["vacuum"][page_size] = (folder / f"pages{page_size}.db").stat().st_size
    return out


def _sections_as_offsets(conn) -> dict:
    """The table ``sections`` of a KB from before migration 0800 rewritten with offsets (on a copy)."""
    before = _size(conn, "sections")
    conn.execute("create table what_sections as select * from sections where 0")
    conn.execute("alter table what_sections add column start integer")
    conn.execute("alter table what_sections add column end integer")
    sliced = kept = 0
    for (version_id, text) in conn.execute("select id, text_markdown from versions").fetchall():
        rows = conn.execute("select * from sections where version_id = ? order by ordinal", [version_id]).fetchall()
        cols = [d[0] for d in conn.execute("select * from sections limit 0").description]
        at, new = 0, []
        for row in rows:
            r = dict(zip(cols, row))
            found = text.find(r["text_markdown"] or "", at) if r["text_markdown"] else -1
            if found >= 0:
                r["start"], r["end"] = found, found + len(r["text_markdown"])
                r["text_markdown"] = None
                at = r["end"]
                sliced += 1
            else:
                kept += 1
            new.append(r)
        if new:
            names = list(new[0])
            conn.executemany(f"insert into what_sections ({', '.join(names)}) values "
                             f"({', '.join('?' * len(names))})", [list(r.values()) for r in new])
    conn.commit()
    return {"now": before, "then": _size(conn, "what_sections"), "sliced": sliced, "kept_text": kept}


def what_if_report(w: dict, figures: dict) -> str:
    mib, md = 2 ** 20, figures["markdown_bytes"] or 1
    lines = ["What each change would save (each alone, on a vacuumed copy):",
             f"  VACUUM (page size {figures['page_size']}): {figures['kb_bytes'] / mib:.1f} → "
             f"{w['vacuumed_bytes'] / mib:.1f} MiB"]
    for page_size, size in w["vacuum"].items():
        lines.append(f"  VACUUM with {page_size}-byte pages: {size / mib:.1f} MiB")
    def saving(what: str, f: dict) -> str:
        return (f"  {what} {f['now'] / mib:.1f} → {f['then'] / mib:.1f} MiB "
                f"(saves {(f['now'] - f['then']) / md:.2f}× Markdown)")

    if "trigram_detail_none" in w:
        lines.append(saving("search_trigram (its wordings with unspaced script) with detail=none:",
                            w["trigram_detail_none"]))
    if "sections_as_offsets" in w:
        s = w["sections_as_offsets"]
        lines.append(saving(f"sections as offsets ({s['sliced']:,} slices of their version's text, "
                            f"{s['kept_text']:,} keep their text): table", s))
    lines.append(saving("search_short merged into one segment (optimize):", w["search_short_optimize"]))
    if "search_sections" in w:
        i = w["search_sections"]
        lines.append(f"  search_sections {i['bytes'] / mib:.1f} MiB with its index: its filter tokens (meta) "
                     f"{i['meta_bytes'] / mib:.1f} MiB, its wording keys (document, key, hash: also in sections) "
                     f"{i['key_bytes'] / mib:.1f} MiB of values")
    else:
        i = w["search_wordings"]
        lines.append(f"  search_wordings {i['bytes'] / mib:.1f} MiB with its index: its own filter tokens (meta) "
                     f"{i['meta_bytes'] / mib:.1f} MiB of values")
    if "section_spans" in w:
        t = w["section_spans"]
        lines.append(f"  section_spans: {t['changed_rows']:,} of {t['rows']:,} rows store changed_version_id and "
                     f"changed_at (a section that last changed in an earlier version): "
                     f"{t['changed_bytes'] / mib:.1f} MiB of values; headings {t['heading_bytes'] / mib:.1f} MiB, "
                     f"content hashes {t['hash_bytes'] / mib:.1f} MiB")
    v = w["versions_text_once"]
    lines.append(f"  versions' text once per distinct content: {v['repeated_versions']} versions repeat an "
                 f"earlier text, {v['repeated_text_bytes'] / mib:.1f} MiB")
    return "\n".join(lines)


def build(folder: Path, versions: int, docs: int, seed: int, corpus: Path) -> Path:
    """A synthetic history archived as ``bench/scale.py`` does, rebuilt by ``policykb rebuild``; the KB's path."""
    import shutil

    from bench.scale import archive_history, log, rebuild

    shutil.rmtree(folder, ignore_errors=True)
    data = folder / "data"
    data.mkdir(parents=True)
    started = time.monotonic()
    history = archive_history(data, versions, docs, 0.5, corpus, seed)
    log(f"archived {history} in {time.monotonic() - started:.0f} s; rebuilding")
    log(f"rebuilt: {rebuild(data)}")
    return data / "policykb.db"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kb", nargs="?", help="a KB file to read")
    parser.add_argument("--build", metavar="DIR", help="build a synthetic KB in DIR (rewritten) and read it")
    parser.add_argument("--versions", type=int, default=136, help="versions of the synthetic history")
    parser.add_argument("--docs", type=int, default=100, help="documents of the synthetic history")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--what-if", action="store_true", help="also measure storage changes on copies")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if bool(args.kb) == bool(args.build):
        parser.error("give a KB file or --build DIR (one of them)")
    path = build(Path(args.build), args.versions, args.docs, args.seed, Path(args.corpus)) if args.build \
        else Path(args.kb)
    if not path.is_file():
        parser.error(f"no KB at {path}")
    figures = breakdown(path)
    if args.what_if:
        figures["what_if"] = what_if(path)
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        print(report(figures) + ("\n" + what_if_report(figures["what_if"], figures) if args.what_if else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
