"""``policykb citations``: the watch list of clauses you have cited (logic in :mod:`kb.cite.watchlist`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from kb.cli import cli
from kb.cli.cite import DEFAULT_BASE_URL
from kb.cli.options import data_option, fail, platform_option

#: a citation's state, as the terminal says it
STATE_LABELS = {
    "current": "CURRENT 现行有效", "moved": "MOVED 已移至其他部分", "changed": "CHANGED 已变更",
    "removed": "REMOVED 已删除", "not_found": "NOT FOUND 未找到", None: "NOT CHECKED 未核查",
}


@cli.group()
def citations():
    """The watch list: clauses you have cited, checked again after every build.

    A citation whose wording changes, is removed, moves to another section, or
    gets a new effective date for its section raises an alert (`policykb alerts`).
    Saved in the KB (they survive `rebuild`); exported and imported as W3C Web
    Annotations (JSON-LD).
    """


def _open(data_dir):
    from kb.db import open_db

    return open_db(data_dir)


def _line(row: dict) -> str:
    """One citation on two lines: id, state, where; then the wording as cited (and now, if it changed)."""
    where = row["document_id"] + (f" · {row['section']}" if row["section"] else "")
    head = f"#{row['id']}  {STATE_LABELS.get(row['state'], row['state'])}  {where}"
    if row["label"]:
        head += f"  [{row['label']}]"
    out = [head, f"    cited 引用 (version of {row['version_date'] or '?'}): {row['exact']}"]
    if row["state"] in ("changed", "moved") and row["now_wording"]:
        out.append(f"    now 现为{' (' + row['now_section'] + ')' if row['now_section'] else ''}: {row['now_wording']}")
    if row["state"] in ("current", "moved") and row["now_effective_date"] \
            and row["now_effective_date"] != row["effective_date"]:
        out.append(f"    new effective date 新生效日期: {row['now_effective_date']}"
                   f" (cited with 引用时: {row['effective_date'] or 'none stated 未注明'})")
    if row.get("history"):  # reworded, and that wording reworded or removed later: each step with its date
        for step in row["history"]:
            if step["step"] == "changed":
                out.append(f"    changed 变更于: {(step['at'] or '?')[:10]} into 变更为: {step['wording']}"
                           f" ({step['permalink']})")
            else:
                out.append(f"    removed 删除于: {(step['at'] or '?')[:10]}"
                           f" (last in 最后见于 {(step.get('last_version_with') or {}).get('permalink')})")
    elif row["changed_at"]:
        out.append(f"    since 变更于: {row['changed_at'][:10]}")
    return "\n".join(out)


def _print(rows: list[dict], as_json: bool):
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif rows:
        click.echo("\n".join(_line(r) for r in rows))
    else:
        click.echo("No saved citations. 没有已保存的引用。")


@citations.command("add")
@data_option
@click.argument("quote")
@platform_option(help="Only this platform's documents.")
@click.option("--url", default=None, help="The document at this URL (or with this platform/document id).")
@click.option("--label", default=None, metavar="CLIENT-OR-CASE", help="Who or what you cited it for.")
@click.option("--json", "as_json", is_flag=True, help="Print the saved citation as JSON.")
def add(data_dir, quote, platform, url, label, as_json):
    """Save a citation of QUOTE (``-`` reads it from standard input) to the watch list.

    The quote is looked up as `policykb cite` does; it must stand in exactly one
    document (name it with --url otherwise). Exit 1 when no version holds it.
    """
    from kb.cite import CiteError
    from kb.cite.watchlist import QuoteNotFound, WatchlistError, add_citation, check_label

    if quote == "-":
        quote = sys.stdin.read()
    try:
        check_label(label)
    except WatchlistError as exc:
        fail(str(exc))
    db = _open(data_dir)
    try:
        row = add_citation(db, quote, platform=platform, url=url, label=label)
    except CiteError as exc:
        fail(str(exc))
    except WatchlistError as exc:
        fail(str(exc), 1 if isinstance(exc, QuoteNotFound) else 2)
    finally:
        db.close()
    if not as_json:
        click.echo(f"Saved citation #{row['id']}. 已保存引用 #{row['id']}。")
    _print([row], as_json)


@citations.command("list")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per citation, one per line.")
def list_(data_dir, as_json):
    """The saved citations with the state of their latest check."""
    from kb.cite.watchlist import list_citations

    db = _open(data_dir)
    try:
        _print(list_citations(db.conn), as_json)
    finally:
        db.close()


@citations.command("remove")
@data_option
@click.argument("citation_id", metavar="ID", type=click.IntRange(min=1))
def remove(data_dir, citation_id):
    """Remove citation ID from the watch list (its open alerts resolve at the next build)."""
    from kb.cite.watchlist import WatchlistError, remove_citation

    db = _open(data_dir)
    try:
        remove_citation(db, citation_id)
    except WatchlistError as exc:
        fail(str(exc))
    finally:
        db.close()
    click.echo(f"Removed citation #{citation_id}. 已移除引用 #{citation_id}。")


@citations.command("check")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per citation, one per line.")
def check(data_dir, as_json):
    """Check every saved citation again now, save its state, and raise (or resolve) its alerts.

    The build does the same after every build for the citations whose document changed.
    """
    from kb.cite.watchlist import check_citations
    from kb.ops import alerts

    db = _open(data_dir)
    try:
        rows = check_citations(db, everything=True)
        config = alerts.NotifyConfig.from_env()
        alerts.evaluate(db, after=config.after)
        alerts.notify_pending(db, config)
    finally:
        db.close()
    _print(rows, as_json)


@citations.command("export")
@data_option
@click.option("--output", "-o", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write (default: standard output).")
@click.option("--base-url", default=lambda: os.environ.get("POLICYKB_BASE_URL", DEFAULT_BASE_URL),
              show_default=f"$POLICYKB_BASE_URL or {DEFAULT_BASE_URL}", help="Datasette address for the sources.")
def export(data_dir, output, base_url):
    """Write every citation as W3C Web Annotations: one AnnotationCollection (JSON-LD)."""
    from kb.cite.watchlist import export_annotations

    if not base_url.startswith(("http://", "https://")):
        fail(f"--base-url {base_url!r} is not an http(s) address (--base-url 须为 http(s) 地址)")
    db = _open(data_dir)
    try:
        text = json.dumps(export_annotations(db.conn, base_url), ensure_ascii=False, indent=2)
    finally:
        db.close()
    if output == "-":
        click.echo(text)
    else:
        Path(output).write_text(text + "\n", encoding="utf-8")


@citations.command("import")
@data_option
@click.argument("source", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
def import_(data_dir, source):
    """Read W3C Web Annotations (a collection, a page, a list or one; ``-`` is standard input) into the watch
    list. Their sources must be version permalinks of this KB; ones already saved are left alone."""
    from kb.cite.watchlist import WatchlistError, import_annotations

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror or exc} (无法读取文件)")
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{source} is not JSON: {exc} (不是有效的 JSON)")
    db = _open(data_dir)
    try:
        result = import_annotations(db, data)
    except WatchlistError as exc:
        fail(str(exc))
    finally:
        db.close()
    click.echo(f"Imported {len(result['added'])} citation(s), {len(result['skipped'])} already saved. "
               f"导入 {len(result['added'])} 条引用，{len(result['skipped'])} 条已存在。")
