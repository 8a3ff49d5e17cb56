"""``policykb search`` and ``policykb export``; keeps the search index up to date after every build."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from kb.cli import cli, data_option

#: The keys of one hit in ``policykb search --json``, in order.
JSON_HIT_KEYS = ("platform", "document", "section", "snippet", "version_date", "current", "url")


def after_build(db, data_dir):
    """Index the sections the build added (and forget the ones it removed)."""
    from kb.search import sync

    with db.atomic():
        sync(db.conn)


def _open_read_only(data_dir) -> sqlite3.Connection:
    from kb.db import kb_path, open_db

    path = kb_path(data_dir)
    if not path.exists():
        click.echo(f"error: no KB at {path}; run `policykb build` (or `policykb demo`) first", err=True)
        sys.exit(2)
    open_db(data_dir).close()  # apply pending migrations (the search index comes with one)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _date(ctx, param, value):
    if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise click.BadParameter("use YYYY-MM-DD")
    return value


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
@click.option("--platform", default=None, help="Only this platform (id, e.g. demomart).")
@click.option("--type", "doc_type", default=None, help="Only this document type (e.g. appeals).")
@click.option("--locale", default=None, help="Only documents in this locale (a prefix: zh matches zh-CN).")
@click.option("--since", default=None, callback=_date, help="Wording first seen on or after this date (YYYY-MM-DD).")
@click.option("--until", default=None, callback=_date, help="Wording first seen on or before this date (YYYY-MM-DD).")
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

    conn = _open_read_only(data_dir)
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


# --- export -------------------------------------------------------------------------

README_TEMPLATE = """# policykb export — {date}

This folder holds every version of the {documents} seller-policy documents of {platforms} platforms
that policykb recorded between {first} and {last}: {versions} versions in all.

policykb 导出：{platforms} 个平台、{documents} 份卖家政策文件的全部 {versions} 个版本（{first} 至 {last}）。

## Layout 目录结构

Each version is a Markdown file, in the layout of Open Terms Archive datasets: a folder per
platform, a folder per document, a file per version named after the time it was first seen
(UTC, `YYYY-MM-DDTHH-MM-SSZ.md`).

```
├ README.md
├ policykb.db                      a copy of the SQLite KB (made with SQLite's backup API)
├┬ <platform>/                     e.g. demomart
│└┬ <document>/                    e.g. account-health
│ ├ 2026-01-15T00-00-00Z.md
│ └ 2026-04-01T00-00-00Z.md
```

The KB copy holds the same versions with their dates and evidence, every check (fetch) and its
outcome, and the diff of every change; open it with `datasette policykb.db` or any SQLite client.

## Sources and licences 来源与许可

The policy texts were fetched from the pages listed below.
**They remain the copyright of their platforms**; they are reproduced here to document changes,
for research. Platforms marked *demo* are fictional: their texts were written for policykb's demo
help centre.
政策文本来自下列网页，版权归各平台所有，此处仅为记录变更、供研究使用。

- Licence 许可: {license}
- Source 来源: {source}

{sources}
"""


def _metadata() -> dict:
    """Title, licence and source as ``metadata.yml`` states them for Datasette."""
    import yaml

    from kb.cli import METADATA

    try:
        return yaml.safe_load(METADATA.read_text(encoding="utf-8")) or {}
    except OSError:
        return {}


def _stamp(observed_at: str) -> str:
    """``2026-01-15T00:00:00Z`` → ``2026-01-15T00-00-00Z`` (a file name on every system)."""
    return re.sub(r"[:]", "-", observed_at or "unknown")


def export_kb(data_dir, target) -> dict:
    """Write every version as Markdown, a README and a copy of the KB to ``target``.

    :param data_dir: the ``--data`` folder holding the KB
    :param target: the folder to write (created; existing files with the same names are overwritten)
    :returns: counts: ``versions``, ``documents``, ``platforms``
    """
    from kb.db import kb_path

    source = sqlite3.connect(f"file:{kb_path(data_dir)}?mode=ro", uri=True)
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        counts = {"versions": 0, "documents": 0, "platforms": 0}
        docs = source.execute("""
            select d.id, d.platform_id, d.slug, d.title, d.url, p.name, p.demo from documents d
            join platforms p on p.id = d.platform_id order by d.platform_id, d.id""").fetchall()
        used = set()
        sources = []
        last_platform = None
        for doc_id, platform_id, slug, title, url, platform_name, demo in docs:
            versions = source.execute(
                "select seq, observed_at, text_markdown from versions where document_id = ? order by seq",
                [doc_id]).fetchall()
            if platform_id != last_platform:
                sources.append(f"\n### {platform_name} (`{platform_id}`){' — demo' if demo else ''}\n")
                last_platform = platform_id
            sources.append(f"- `{platform_id}/{slug}`: {title} — <{url}> (versions: {len(versions)})")
            if not versions:
                continue
            folder = target / platform_id / slug
            folder.mkdir(parents=True, exist_ok=True)
            counts["documents"] += 1
            for seq, observed_at, text in versions:
                name = _stamp(observed_at)
                if (folder, name) in used:  # two versions seen in the same second: keep both
                    name = f"{name}-{seq}"
                used.add((folder, name))
                (folder / f"{name}.md").write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
                counts["versions"] += 1
        counts["platforms"] = len({d[1] for d in docs})
        first, last = source.execute("select min(observed_at), max(observed_at) from versions").fetchone()
        meta = _metadata()
        (target / "README.md").write_text(README_TEMPLATE.format(
            date=datetime.now(timezone.utc).strftime("%Y-%m-%d"), documents=len(docs),
            platforms=counts["platforms"], versions=counts["versions"], first=(first or "—")[:10],
            last=(last or "—")[:10], sources="\n".join(sources).strip() + "\n",
            license=meta.get("license", "see the platforms' terms"), source=meta.get("source", "policykb")),
            encoding="utf-8")
        copy_path = target / "policykb.db"
        copy_path.unlink(missing_ok=True)
        copy = sqlite3.connect(copy_path)
        try:
            source.backup(copy)  # a consistent copy even while a build writes (WAL)
        finally:
            copy.close()
        return counts
    finally:
        source.close()


@cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@data_option
def export_command(directory, data_dir):
    """Write every version as Markdown (<platform>/<document>/<timestamp>.md), a README and a copy of the KB.

    The layout is that of Open Terms Archive datasets; the README names the
    sources and licences; the KB copy is made with SQLite's backup API.

    Example: policykb export exports/2026-07 --data data
    """
    from kb.db import kb_path

    if not kb_path(data_dir).exists():
        click.echo(f"error: no KB at {kb_path(data_dir)}; run `policykb build` (or `policykb demo`) first", err=True)
        sys.exit(2)
    counts = export_kb(data_dir, directory)
    click.echo(f"exported {counts['versions']} versions of {counts['documents']} documents "
               f"({counts['platforms']} platforms) and a copy of the KB to {directory}")
