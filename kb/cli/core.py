"""``policykb crawl | build | rebuild | replay | serve | demo``: the flow from pages to a published KB."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from kb.cli import cli
from kb.cli.options import data_option, did_you_mean, fail, load_declarations, load_or_exit, sources_option
from kb.data import DEMO_SITE, kb_path, sources_folder
from pipeline.sources import DEMO_SOURCES


@cli.command()
@data_option(must_exist=False)
@sources_option
@click.option("--platform", "platforms", multiple=True, help="Crawl only this platform (repeatable).")
@click.option("--document", "documents", multiple=True, help="Crawl only this platform/document (repeatable).")
@click.option("--replay", default=None, help="Base URL of a replay server, e.g. http://127.0.0.1:8765.")
@click.option("--log-level", default="INFO", show_default=True, help="Scrapy log level.")
@click.option("--setting", "-s", "settings", multiple=True, metavar="NAME=VALUE",
              help="Extra Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=2 or -s POLICYKB_CONTACT=URL.")
def crawl(data_dir, sources_dir, platforms, documents, replay, log_level, settings):
    """Fetch every declared document once and archive the responses to WARC.

    SIGINT (Ctrl-C) or SIGTERM stops the crawl cleanly: fetches in flight
    finish, the WARC is closed, and the run is recorded as interrupted.

    Example: policykb crawl --platform demomart --replay http://127.0.0.1:8765
    """
    import difflib

    from spiders.launch import run_crawl

    for setting in settings:
        if "=" not in setting:
            fail(f"--setting {setting!r} is not NAME=VALUE")
    given = sources_dir
    sources_dir = given or sources_folder(data_dir)  # remembered below, once the arguments hold
    declared = load_or_exit(sources_dir, data_dir=data_dir)
    for unknown in [p for p in platforms if p not in {d.id for d in declared}]:
        did_you_mean("--platform", unknown, "a declared platform", sorted(d.id for d in declared))
    declared = [p for p in declared if not platforms or p.id in platforms]
    keys = {d.key for p in declared for d in p.documents}
    for unknown in [d for d in documents if d not in keys]:
        close = difflib.get_close_matches(unknown, sorted(keys), n=3)
        fail(f"no declared document {unknown!r} (platform/document)"
             + (f"; did you mean {', '.join(close)}?" if close else "; `policykb sources list` shows them"))
    sources_folder(data_dir, given)
    before, open_before = set(_warcs(data_dir)), set(_warcs(data_dir, ".open"))
    started = time.time()
    code = run_crawl(data_dir, sources_dir, platforms=platforms, documents=documents, replay=replay,
                     log_level=log_level, settings=settings)
    archived = _archived_counts(data_dir, started)
    for path in sorted(set(_warcs(data_dir)) - before):
        if Path(path).name.startswith("discovery-"):
            click.echo(f"recorded discovery pages in {path}")
        else:
            count = archived.get(Path(path).name)
            click.echo(f"archived {_count_records(path) if count is None else count} fetches to {path}")
    if code > 128:
        left_open = sorted(set(_warcs(data_dir, ".open")) - open_before)
        if not left_open and not set(_warcs(data_dir)) - before:
            click.echo(f"crawl stopped by signal {code - 128} before it archived anything "
                       "(抓取在存档任何内容之前被信号终止)", err=True)
        elif left_open:  # a second signal forced Scrapy to stop before it closed its WARC
            click.echo(f"crawl stopped by signal {code - 128} before it could close {', '.join(left_open)}; "
                       "`policykb build` keeps its complete records (抓取被强制终止，WARC 未关闭；"
                       "`policykb build` 会保留其中完整的记录)", err=True)
        else:
            click.echo(f"crawl interrupted by signal {code - 128}: stopped cleanly; `policykb build` records "
                       "it as an interrupted run (抓取已被中断并正常结束；`policykb build` 会将其记为中断的运行)",
                       err=True)
    elif code:
        click.echo(f"error: the crawl exited with code {code}; see the log above", err=True)
    sys.exit(code)


def _warcs(data_dir, suffix=""):
    folder = Path(data_dir) / "warcs"
    return [str(p) for p in folder.glob(f"*.warc.gz{suffix}")] if folder.is_dir() else []


def _archived_counts(data_dir, since) -> dict[str, int]:
    """WARC file name -> fetches archived to it, as the crawls that ended after ``since`` (a ``time.time()``)
    recorded them in their run statistics (``DATA/runs/*.json``, :class:`spiders.extensions.RunStats`).

    Reading the count there, rather than the WARC file again, spares a cycle's launcher a pass over every record
    it archived; a file no run statistics name (a crawl killed before writing them) is counted by reading it.
    """
    import json

    from pipeline.archive import RUNS_DIR

    counts = {}
    folder = Path(data_dir) / RUNS_DIR
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            if path.stat().st_mtime < since - 1:
                continue
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        files, archived = run.get("warc_files") or [], (run.get("stats") or {}).get("policykb/archived")
        if len(files) == 1 and isinstance(archived, int):  # the count is per crawl: only a crawl's only file
            counts[files[0]] = archived
    return counts


def _count_records(path):
    from pipeline.archive import iter_records

    return sum(1 for _ in iter_records(None, [path]))


def _summary(stats, seconds):
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items())) or "nothing new"
    lines = [f"build: {stats.records} records from {stats.files} WARC file(s) in {seconds:.1f}s: {outcomes}"]
    for name, records, cut in stats.salvaged:
        lines.append(f"build: {name} was left open by a crawl that was killed: closed it with its {records} "
                     f"complete record(s){f', dropping the {cut} byte(s) of the record it was writing' if cut else ''}")
    return "\n".join(lines)


def _progress():
    if not sys.stderr.isatty():
        return None

    def progress(n):
        if n % 10 == 0:
            click.echo(f"\rbuild: {n} records", nl=False, err=True)

    return progress


@cli.command()
@data_option(must_exist=False)
@sources_option
def build(data_dir, sources_dir):
    """Turn newly archived fetches into checks, versions and changes, then derive the rest.

    The steps, in order, are listed in one function: kb/build.py, build()
    (declarations; each archived record: extract, normalize, decide, store;
    glossary evidence; schedule; runs; alerts; search index; discovery).
    Safe to interrupt and re-run: each fetch is ingested exactly once.

    Example: policykb build --data data
    """
    from kb.build import build as build_kb
    from kb.db import open_db

    if not kb_path(data_dir).exists() and not (Path(data_dir) / "warcs").is_dir():
        fail(f"nothing to build in {data_dir}: no KB and no warcs/ folder; check --data, or run `policykb crawl` "
             "(没有可构建的内容：既无知识库也无 warcs/ 文件夹；请检查 --data，或先运行 `policykb crawl`)")
    platforms = load_declarations(data_dir, sources_dir)
    started = time.monotonic()
    db = open_db(data_dir)
    try:
        stats = build_kb(db, data_dir, platforms, progress=_progress())
    finally:
        db.close()
    if sys.stderr.isatty():
        click.echo("\r", nl=False, err=True)
    click.echo(_summary(stats, time.monotonic() - started))


@cli.command()
@data_option(must_exist=False)
@sources_option
def rebuild(data_dir, sources_dir):
    """Re-derive the whole KB from the WARCs alone (the same build, into a new file, then swapped in).

    Runs, alerts and the schedule are not derived from the WARCs: they are
    carried over from the KB being replaced (kb/build.py, CARRY_OVER).

    Example: policykb rebuild --data data
    """
    from kb.build import rebuild as rebuild_kb

    if not (Path(data_dir) / "warcs").is_dir():
        fail(f"no WARCs in {Path(data_dir) / 'warcs'}: nothing to rebuild from; check --data "
             "(没有 WARC 文件，无法重建；请检查 --data)")
    platforms = load_declarations(data_dir, sources_dir)
    started = time.monotonic()
    stats = rebuild_kb(data_dir, platforms, progress=_progress())
    click.echo(_summary(stats, time.monotonic() - started))
    click.echo(f"rebuilt {kb_path(data_dir)}")


@cli.command()
@click.option("--site", default=str(DEMO_SITE), show_default=True, type=click.Path(exists=True, file_okay=False),
              help="Site folder to serve (host/path/DATE.ext layout).")
@click.option("--as-of", "as_of", required=True, help="Serve pages as of this date (YYYY-MM-DD or ISO time).")
@click.option("--port", default=8765, show_default=True, type=int)
def replay(site, as_of, port):
    """Serve archived pages under their original URLs as of a date, on 127.0.0.1.

    Example: policykb replay --as-of 2026-04-01 --port 8765
    """
    from replay.server import ReplayServer

    try:
        server = ReplayServer(site, as_of, port=port, verbose=True)
    except ValueError as exc:
        fail(f"--as-of: {exc}")
    click.echo(f"replaying {site} as of {as_of} on {server.url} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def _exec_datasette(data_dir, port, private=False):
    from kb.publish import datasette_command, datasette_env

    args = datasette_command(data_dir, port)
    os.execve(args[0], args, datasette_env(private))


@cli.command()
@data_option
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--private", is_flag=True,
              help="Also serve the watch list of citations (with its client labels): only on your own machine.")
def serve(data_dir, port, private):
    """Publish the KB with Datasette on 127.0.0.1 (read-only). Without --private it is a public instance: the
    watch list of citations is not served.

    Example: policykb serve --port 8001
    """
    from kb.db import open_db

    open_db(data_dir).close()  # apply pending migrations before serving
    click.echo(f"serving {kb_path(data_dir)} at http://127.0.0.1:{port}/" + (" (private)" if private else ""))
    _exec_datasette(data_dir, port, private)


@cli.command()
@data_option(must_exist=False)
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette port.")
@click.option("--site", default=str(DEMO_SITE), show_default=True, type=click.Path(exists=True, file_okay=False))
@click.option("--sources", "sources_dir", default=str(DEMO_SOURCES), show_default=True,
              type=click.Path(exists=True, file_okay=False))
@click.option("--serve/--no-serve", default=True, help="Serve the KB with Datasette at the end.")
def demo(data_dir, port, site, sources_dir, serve):
    """Crawl the bundled demo help centre at each of its dates, build the KB, serve it.

    Example: policykb demo --no-serve --data /tmp/demo
    """
    from kb.demo import DemoInterrupted, NotADemoFolder, demo_dates, run_demo

    platforms = load_or_exit(sources_dir)
    dates = demo_dates(site)
    click.echo(f"demo: {len(dates)} dates of {site}: {', '.join(dates)}")

    def on_date(date, stats):
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items()))
        click.echo(f"  {date}: {stats.records} checks: {outcomes}")

    try:
        counts = run_demo(data_dir, platforms, sources_dir, site, on_date=on_date)
    except NotADemoFolder as exc:
        fail(str(exc))
    except DemoInterrupted as exc:
        click.echo(str(exc), err=True)
        sys.exit(exc.code)
    except RuntimeError as exc:
        fail(str(exc), code=1)
    click.echo("demo KB: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f" in {kb_path(data_dir)}")
    if serve:
        click.echo(f"open http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        _exec_datasette(data_dir, port)
