"""``policykb term`` and ``policykb glossary ...``: cross-platform terminology from the command line.

The glossary's data files live in ``glossary/`` (or a folder given with
``--dir``, remembered per data folder); ``after_build`` loads them into the KB
after every build and recomputes evidence, candidates and term drift when the
glossary or the KB's versions changed.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import unicodedata
from pathlib import Path

import click

from kb.cli import cli
from kb.cli.options import data_option
from kb.data import glossary_folder
from kb.labels import label

def dir_option(f):
    return click.option("--dir", "glossary_dir", default=None, type=click.Path(file_okay=False),
                        help="Glossary folder (platforms.yml + concepts/*.yml; default: the seed in glossary/).")(f)


def _open_glossary_db(data_dir):
    """The KB if it holds a glossary; otherwise an in-memory KB with the glossary data and no documents."""
    import sqlite3

    from glossary import GlossaryError
    from kb.glossary import refresh_glossary
    from glossary.lookup import has_glossary
    from kb.data import kb_path

    path = kb_path(data_dir)
    if path.exists():
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        if has_glossary(conn):
            return conn
        conn.close()
    import sqlite_utils

    from kb.db import apply_migrations

    db = sqlite_utils.Database(memory=True)
    apply_migrations(db)
    try:
        refresh_glossary(db, glossary_folder(data_dir))
    except GlossaryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"note: no glossary in a KB at {path}; showing the glossary data without evidence "
               "(run `policykb build` or `policykb glossary load`)", err=True)
    return db.conn


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _evidence_label(t: dict) -> str:
    if t["attestation"] == "attested":
        return f"{t['evidence_count']}× in {t['evidence_documents']} doc(s)"
    return {"not_found": "FLAG not found", "no_documents": "no documents tracked"}.get(t["attestation"] or "",
                                                                                        "not checked")


@cli.command()
@click.argument("query", required=False)
@data_option(must_exist=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--unattested", is_flag=True, help="List the terms with no evidence in current policies instead.")
@click.option("--limit", default=5, show_default=True, type=int, help="At most this many concepts.")
def term(query, data_dir, as_json, unattested, limit):
    """Look up a term in any language: the concept and every platform's equivalent, exact or fuzzy.

    With --unattested, list the flagged terms: "not found" (the platform's documents in that language are
    tracked but never use the term) and "no documents" (nothing of that platform and language is tracked).

    Example: policykb term "Counterfeit Notice" --json
    """
    from glossary.lookup import as_json as json_shape
    from glossary.lookup import lookup
    from glossary.lookup import unattested as list_unattested

    if not query and not unattested:
        raise click.UsageError("give a QUERY, or --unattested")
    conn = _open_glossary_db(data_dir)
    if unattested:
        rows = list_unattested(conn)
        if as_json:
            click.echo(json.dumps({"unattested": [
                {"concept_id": r["concept_id"], "platform": r["platform"], "language": r["language"],
                 "term": r["term"], "attestation": r["attestation"], "note": r["attestation_note"]}
                for r in rows]}, ensure_ascii=False, indent=2))
            return
        for kind, title in (("not_found", "Not found in the platform's tracked documents 已跟踪文件中未出现"),
                            ("no_documents", "No documents tracked for the platform and language 尚无可查文件")):
            group = [r for r in rows if r["attestation"] == kind]
            click.echo(f"{title}: {len(group)}")
            for r in group:
                click.echo(f"  {_pad(r['platform'], 12)} {_pad(r['language'], 8)} {_pad(r['term'], 34)} "
                           f"{r['concept_id']}")
        return
    result = lookup(conn, query, limit=limit)
    if as_json:
        click.echo(json.dumps(json_shape(result), ensure_ascii=False, indent=2))
        return
    if not result["matches"]:
        click.echo(f"no concept matches {query!r}")
        sys.exit(1)
    for m in result["matches"]:
        click.echo(f"{m['label']} · {m['label_zh']}  [{m['concept_id']}]  score {m['score']:g}"
                   + (f" (matched {m['matched']!r})" if m["score"] < 100 else ""))
        click.echo(f"  {m['definition']}")
        click.echo(f"  正式：{m['gloss_formal']}")
        click.echo(f"  通俗：{m['gloss_plain']}")
        if m["note"]:
            click.echo(f"  note: {m['note']}")
        for r in m.get("renamed", []):
            click.echo(f"  renamed 更名: “{r['term']}” → “{r['replaced_by']}” in {r['document_id']} since {r['since']}")
        for t in m["terms"]:
            mark = {"false-friend": "≠", "partial": "⊂", "close": "≈"}.get(t["equivalence"], " ")
            click.echo(f"  {_pad(t['platform'], 12)} {_pad(t['language'], 8)} {mark} {_pad(t['term'], 36)} "
                       f"{_pad(label(t['status'], 'zh'), 10)} {_pad(label(t['equivalence'], 'zh'), 10)} "
                       f"{_evidence_label(t)}"
                       + ("  UNSOURCED 无出处" if t.get("sourcing") == "unsourced" else ""))
            if t["equivalence"] in ("false-friend", "partial") and t["note"]:
                click.echo(f"  {' ' * 23}{t['note']}")
        click.echo("")


@cli.group()
def glossary():
    """Load, check, export and import the cross-platform glossary."""


@glossary.command("load")
@data_option
@dir_option
def glossary_load(data_dir, glossary_dir):
    """Load the glossary data files into the KB and recompute evidence, candidates, term drift and the
    concepts each change touches.

    Example: policykb glossary load --data data
    """
    from glossary import GlossaryError
    from kb.glossary import refresh_glossary
    from kb.db import open_db
    from kb.impact import refresh_change_concepts

    db = open_db(data_dir)
    try:
        stats = refresh_glossary(db, glossary_folder(data_dir, glossary_dir))
        refresh_change_concepts(db)
    except GlossaryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        db.close()
    click.echo(f"glossary: {stats['concepts']} concepts, {stats['terms']} terms: {stats.get('attested', 0)} attested, "
               f"{stats.get('not_found', 0)} not found, {stats.get('no_documents', 0)} without documents; "
               f"{stats['evidence_rows']} evidence sections, {stats['candidates']} candidates, "
               f"{stats['drift']} drift events")


@glossary.command("check")
@dir_option
@click.option("--sources", "sources_dir", default=None, type=click.Path(file_okay=False),
              help="Declarations the sources are checked against (default: spiders/sources).")
@click.option("--json", "as_json", is_flag=True, help="Print the coverage table and the problems as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when any platform term is unsourced or a citation is faulty.")
def glossary_check(glossary_dir, sources_dir, as_json, strict):
    """Validate the glossary data files (exit 2 with the first error), then report where the wording comes from.

    Prints the coverage table (concept × platform: S sourced, u unsourced, · no term) and the source
    problems: unsourced terms, incomplete citations, quotes that do not use the term, KB documents no
    declaration has, and cited pages that are not declared documents (not tracked).

    Example: policykb glossary check --dir glossary
    """
    from glossary import GlossaryError, read_glossary
    from glossary.coverage import KINDS, MARKS, coverage, declared_documents, problems
    from pipeline.sources import DeclarationError

    try:
        g = read_glossary(glossary_dir)
    except GlossaryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        declared = declared_documents(sources_dir)
    except DeclarationError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    table, found = coverage(g), problems(g, declared)
    if as_json:
        click.echo(json.dumps({"concepts": len(g.concepts), "coverage": table,
                               "problems": [vars(p) for p in found]}, ensure_ascii=False, indent=2))
    else:
        terms = sum(len(c.all_terms()) for c in g.concepts)
        click.echo(f"ok: {len(g.concepts)} concepts, {terms} terms, {len(g.platforms) - 1} platforms, "
                   f"languages {', '.join(g.languages())}")
        _echo_coverage(g, table, MARKS)
        for kind, meaning in KINDS.items():
            group = [p for p in found if p.kind == kind]
            if not group:
                continue
            click.echo(f"\n{kind}: {len(group)} term(s): {meaning}")
            for p in group:
                click.echo(f"  {_pad(p.platform, 12)} {_pad(p.language, 8)} {_pad(p.term, 36)} {p.concept_id}"
                           + (f"  {p.detail}" if p.detail else ""))
    if strict and found:
        sys.exit(1)


def _echo_coverage(g, table, marks):
    platforms = table["platforms"]
    width = max(len(r["concept_id"]) for r in table["rows"]) if table["rows"] else 10
    click.echo(f"\ncoverage 覆盖 (S sourced 有出处, u unsourced 无出处, · no term 无术语): "
               f"{table['sourced']} of {table['cells']} concept × platform cells with a term are sourced "
               f"({table['share']:.0%})")
    click.echo(" " * (width + 1) + " ".join(_pad(p[:6], 6) for p in platforms))
    for r in table["rows"]:
        click.echo(_pad(r["concept_id"], width) + " " + " ".join(_pad(marks[r["cells"][p]], 6) for p in platforms))
    click.echo(_pad("sourced", width) + " " + " ".join(
        _pad(str(table["by_platform"][p]["sourced"]), 6) for p in platforms))
    click.echo(_pad("unsourced", width) + " " + " ".join(
        _pad(str(table["by_platform"][p]["unsourced"]), 6) for p in platforms))


EXPORT_FORMATS = ("tbx-basic", "tbx-v2", "csv")


@glossary.command("export")
@data_option(must_exist=False)
@click.option("--format", "fmt", type=click.Choice([*EXPORT_FORMATS, "tbx"]), default="tbx-basic", show_default=True,
              help="tbx-basic: TBX-Basic v3 (ISO 30042:2019) for CAT tools; tbx-v2: TBX v2 (martif), what "
                   "translate-toolkit and tools built on it read; csv: one row per term. (tbx = tbx-basic.)")
@click.option("--output", "-o", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write (default: standard output).")
def glossary_export(data_dir, fmt, output):
    """Export the KB's glossary as TBX-Basic v3, TBX v2 or CSV.

    The glossary is the one in the KB (loaded at the last build or `policykb glossary load`); a folder with
    no KB gives the data folder's glossary files, and says so.

    Example: policykb glossary export --format tbx-v2 -o glossary.tbx --data data
    """
    from glossary.csvio import export_csv
    from glossary.lookup import glossary_from_db
    from glossary.tbx import export_tbx, export_tbx_v2, validate_tbx

    conn = _open_glossary_db(data_dir)
    try:
        g = glossary_from_db(conn)
    finally:
        conn.close()
    if fmt in ("tbx", "tbx-basic", "tbx-v2"):
        data = export_tbx_v2(g) if fmt == "tbx-v2" else export_tbx(g)
        problems = validate_tbx(data)
        if problems:  # a bug of ours, never the user's data: say so rather than write a bad file
            click.echo("error: the exported TBX does not validate: " + "; ".join(problems[:3]), err=True)
            sys.exit(1)
    else:
        data = export_csv(g).encode("utf-8-sig")
    if output == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(output).write_bytes(data)
        terms = sum(len(c.all_terms()) for c in g.concepts)
        click.echo(f"wrote {len(g.concepts)} concepts, {terms} terms to {output}", err=True)


@glossary.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "target", required=True, type=click.Path(file_okay=False),
              help="Glossary folder to write (its concepts/*.yml are replaced).")
@click.option("--format", "fmt", type=click.Choice(["auto", "tbx", "csv"]), default="auto", show_default=True)
@dir_option
def glossary_import(file, target, fmt, glossary_dir):
    """Import a TBX (TBX-Basic v3 or TBX v2) or CSV file into glossary data files (validated before anything
    is written).

    For CSV, platform names come from the current glossary (--dir). Then `policykb glossary load --dir`.

    Example: policykb glossary import glossary.tbx --to /tmp/glossary
    """
    from glossary import GlossaryError, read_glossary
    from glossary.csvio import import_csv
    from glossary.load import write_glossary
    from glossary.tbx import import_tbx

    if fmt == "auto":
        fmt = "csv" if file.lower().endswith(".csv") else "tbx"
    raw = Path(file).read_bytes()
    try:
        if fmt == "tbx":
            imported = import_tbx(raw)
        else:
            imported = import_csv(raw.decode("utf-8-sig"), read_glossary(glossary_dir).platforms)
        with tempfile.TemporaryDirectory() as tmp:
            write_glossary(imported, tmp)
            checked = read_glossary(tmp)  # the same validation as the hand-written files
            target_path = Path(target)
            (target_path / "concepts").mkdir(parents=True, exist_ok=True)
            for old in (target_path / "concepts").glob("*.yml"):
                old.unlink()
            for path in Path(tmp).rglob("*.yml"):
                dest = target_path / path.relative_to(tmp)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
    except (GlossaryError, UnicodeDecodeError) as exc:
        click.echo(f"error: {file}: {exc}", err=True)
        sys.exit(2)
    click.echo(f"imported {len(checked.concepts)} concepts, {sum(len(c.terms) for c in checked.concepts)} platform "
               f"terms into {target}")


@glossary.command("drift")
@data_option(must_exist=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def glossary_drift(data_dir, as_json):
    """Terms that stopped occurring in a platform's document, when, and what replaced them.

    Example: policykb glossary drift --data data
    """
    from glossary.lookup import drift

    rows = drift(_open_glossary_db(data_dir))
    if as_json:
        click.echo(json.dumps({"drift": rows}, ensure_ascii=False, indent=2))
        return
    for r in rows:
        if r["replaced_by"]:
            replaced = f" → {r['replaced_by']!r} ({r['replaced_by_count']}/{r['occurrences_before']})"
        else:
            replaced = " (no replacement in the diff)"
        still = f"; still used in {', '.join(r['still_used_in'])}" if r["still_used_in"] else ""
        click.echo(f"{r['gone_at'][:10]} {r['document_id']}: {r['term']!r}{replaced}{still}")
    if not rows:
        click.echo("no term drift recorded")


@glossary.command("candidates")
@data_option(must_exist=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def glossary_candidates(data_dir, as_json):
    """Frequent capitalized or quoted phrases of each platform's policies that no concept covers yet.

    Example: policykb glossary candidates --data data
    """
    from glossary.lookup import candidates

    rows = candidates(_open_glossary_db(data_dir))
    if as_json:
        click.echo(json.dumps({"candidates": rows}, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{_pad(r['kb_platform_id'], 12)} {_pad(r['candidate'], 36)} {r['kind']:<12} "
                   f"{r['occurrences']}× in {r['documents']} doc(s)")
