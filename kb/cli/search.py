"""``policykb search`` and ``policykb export`` (the logic is in :mod:`kb.search` and :mod:`kb.export`)."""

from __future__ import annotations

import json
import sqlite3
import sys

import click

from kb.cli import cli
from kb.cli.options import data_option, date_option, locale_filter_option, platform_option, type_option
from kb.data import kb_path

#: The keys of one hit in ``policykb search --json``, in order.
JSON_HIT_KEYS = ("platform", "document", "section", "snippet", "version_date", "current", "url")


def _mark_for_terminal(snippet: str, color: bool) -> str:
    import html

    if color:
        text = snippet.replace("<mark>", "\x1b[1;33m").replace("</mark>", "\x1b[0m")
    else:
        text = snippet.replace("<mark>", "[").replace("</mark>", "]")
    return html.unescape(text)


@cli.command("search")
@click.argument("query")
@data_option
@platform_option
@type_option
@locale_filter_option
@date_option("--since", "Wording first seen on or after this date.")
@date_option("--until", "Only what the KB knew at the end of this date: wording first seen by then; --current means current then.")
@click.option("--current", "current_only", is_flag=True, help="Only wording that is in the current version.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200), help="Hits to show.")
@click.option("--json", "as_json", is_flag=True, help='Print {"query": ..., "hits": [...]} as JSON.')
def search_command(query, data_dir, platform, doc_type, locale, since, until, current_only, limit, as_json):
    """Search every version's sections, in Chinese or English (two-character words such as 申诉 too).

    Terms separated by spaces must all match; "double quotes" keep a phrase. Hits
    come newest wording first, each with its platform, document, section, a
    snippet, the date its wording was first seen and whether it is current.

    Example: policykb search 申诉 --platform kuajing --json
    """
    from kb.search import Filters, search

    from kb.db import open_db

    open_db(data_dir).close()  # apply pending migrations (the search index comes with one)
    conn = sqlite3.connect(f"file:{kb_path(data_dir)}?mode=ro", uri=True)
    try:
        result = search(conn, query, Filters(platform=platform, doc_type=doc_type, locale=locale, since=since,
                                             until=until, current_only=current_only), limit=limit)
    finally:
        conn.close()
    if result.error and not as_json:
        click.echo(f"error: {result.error}", err=True)
        sys.exit(2)
    if as_json:
        hits = [{key: hit[key] for key in JSON_HIT_KEYS} for hit in result.hits]
        click.echo(json.dumps({"query": query, "hits": hits}, ensure_ascii=False))
        return
    color = sys.stdout.isatty()
    for hit in result.hits:
        state = "current 现行" if hit["current"] else "superseded 已变更"
        click.echo(f"{hit['platform']} · {hit['title']} · {hit['section']} · {hit['version_date'][:10]} · {state}")
        click.echo(f"    {_mark_for_terminal(hit['snippet'], color)}")
        click.echo(f"    {hit['url']}")
    more = " (more: raise --limit)" if result.more else ""
    click.echo(f"{len(result.hits)} hit(s) for {query!r}{more}")


@cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@data_option
def export_command(directory, data_dir):
    """Write every version as Markdown (<platform>/<document>/<timestamp>.md), a README and a copy of the KB.

    The layout is that of Open Terms Archive datasets; the README names the
    sources and licences; the KB copy is made with SQLite's backup API.

    Example: policykb export exports/2026-07 --data data
    """
    from kb.export import export_kb

    counts = export_kb(data_dir, directory)
    click.echo(f"exported {counts['versions']} versions of {counts['documents']} documents "
               f"({counts['platforms']} platforms) and a copy of the KB to {directory}")
