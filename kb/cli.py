"""The ``policykb`` command line: one click group, verb commands.

Every command takes ``--data DIR`` (default ``./data``): the KB file
(``DIR/policykb.db``) and the WARCs (``DIR/warcs/``) live there, so two KBs
never mix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click

from pipeline.sources import DEFAULT_SOURCES, DEMO_SOURCES, DeclarationError, load_sources

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"
DEMO_SITE = ROOT / "replay" / "sites" / "demo"
DEMO_MARKER = ".policykb-demo"


def data_option(f):
    return click.option(
        "--data", "data_dir", default="data", show_default=True, type=click.Path(file_okay=False),
        help="Folder holding the KB (policykb.db) and the WARCs.",
    )(f)


def sources_option(f):
    return click.option(
        "--sources", "sources_dir", default=None, type=click.Path(file_okay=False),
        help=f"Folder of declarations (default: {DEFAULT_SOURCES.relative_to(ROOT)}).",
    )(f)


SOURCES_FILE = ".policykb-sources"


def remembered_folder(data_dir, filename, given=None):
    """A folder a data folder remembers in ``DATA/<filename>``: the one given (and remembered), else the
    remembered one, else None. ``policykb rebuild`` builds in ``DATA/.rebuild``, which reads its parent's."""
    remembered = Path(data_dir) / filename
    if given:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        remembered.write_text(str(Path(given).resolve()) + "\n")
        return str(given)
    if not remembered.exists() and Path(data_dir).name == ".rebuild":
        remembered = Path(data_dir).parent / filename
    if remembered.exists():
        return remembered.read_text().strip() or None
    return None


def resolve_sources(data_dir, sources_dir=None):
    """The declarations folder for a data folder: the one given (and remembered), else the remembered one."""
    return remembered_folder(data_dir, SOURCES_FILE, sources_dir)


def load_or_exit(sources_dir, platforms=None):
    """Load declarations; a bad one is one line on stderr and exit code 2."""
    try:
        return load_sources(sources_dir, platforms)
    except DeclarationError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.group()
@click.version_option(package_name="policykb")
def cli():
    """policykb: a knowledge base and change tracker for marketplace seller policies."""


def run_crawl(data_dir, sources_dir=None, platforms=(), replay=None, log_level="WARNING", documents=(), settings=()):
    """Run the generic spider in a fresh process (Twisted's reactor cannot restart).

    :param settings: extra Scrapy settings, ``NAME=VALUE`` strings
    Returns the subprocess's exit code.
    """
    # Scrapy runs from the repo root (to find scrapy.cfg): make paths absolute first
    data_dir = Path(data_dir).resolve()
    sources_dir = Path(sources_dir).resolve() if sources_dir else None
    cmd = [sys.executable, "-m", "scrapy", "crawl", "policy", "-s", f"POLICYKB_DATA_DIR={data_dir}",
           "-s", f"LOG_LEVEL={log_level}"]
    for setting in settings:
        cmd += ["-s", setting]
    if replay:
        cmd += ["-s", f"POLICYKB_REPLAY_URL={replay}"]
    if sources_dir:
        cmd += ["-a", f"sources={sources_dir}"]
    if platforms:
        cmd += ["-a", "platforms=" + ",".join(platforms)]
    if documents:
        cmd += ["-a", "documents=" + ",".join(documents)]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="spiders.settings")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.call(cmd, env=env, cwd=str(ROOT))


@cli.command()
@data_option
@sources_option
@click.option("--platform", "platforms", multiple=True, help="Crawl only this platform (repeatable).")
@click.option("--document", "documents", multiple=True, help="Crawl only this platform/document (repeatable).")
@click.option("--replay", default=None, help="Base URL of a replay server, e.g. http://127.0.0.1:8765.")
@click.option("--log-level", default="INFO", show_default=True, help="Scrapy log level.")
@click.option("--setting", "-s", "settings", multiple=True, metavar="NAME=VALUE",
              help="Extra Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=2 or -s POLICYKB_CONTACT=URL.")
def crawl(data_dir, sources_dir, platforms, documents, replay, log_level, settings):
    """Fetch every declared document once and archive the responses to WARC.

    Example: policykb crawl --platform demomart --replay http://127.0.0.1:8765
    """
    for setting in settings:
        if "=" not in setting:
            raise click.BadParameter(f"{setting!r} is not NAME=VALUE", param_hint="--setting")
    sources_dir = resolve_sources(data_dir, sources_dir)
    declared = load_or_exit(sources_dir, platforms)
    keys = {d.key for p in declared for d in p.documents}
    for unknown in [d for d in documents if d not in keys]:
        import difflib

        close = difflib.get_close_matches(unknown, sorted(keys), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `policykb sources list` shows them"
        click.echo(f"error: no declared document {unknown!r} (platform/document){hint}", err=True)
        sys.exit(2)
    before = set(_warcs(data_dir))
    code = run_crawl(data_dir, sources_dir, platforms, replay, log_level, documents, settings)
    new = sorted(set(_warcs(data_dir)) - before)
    for path in new:
        if Path(path).name.startswith("discovery-"):
            click.echo(f"recorded discovery pages in {path}")
        else:
            click.echo(f"archived {_count_records(path)} fetches to {path}")
    if code:
        click.echo(f"error: the crawl exited with code {code}; see the log above", err=True)
    sys.exit(code)


def _warcs(data_dir):
    folder = Path(data_dir) / "warcs"
    return [str(p) for p in folder.glob("*.warc.gz")] if folder.is_dir() else []


def _count_records(path):
    from pipeline.archive import iter_records

    return sum(1 for _ in iter_records(None, [path]))


def run_build(data_dir, sources_dir=None, quiet=False):
    from kb.db import open_db
    from pipeline.ingest import build as build_kb

    platforms = load_or_exit(resolve_sources(data_dir, sources_dir))
    db = open_db(data_dir)
    interactive = sys.stderr.isatty() and not quiet

    def progress(n):
        if interactive and n % 10 == 0:
            click.echo(f"\rbuild: {n} records", nl=False, err=True)

    started = time.monotonic()
    stats = build_kb(db, data_dir, platforms, progress=progress)
    for step in after_build_steps():
        step(db, data_dir)
    if interactive:
        click.echo("\r", nl=False, err=True)
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items())) or "nothing new"
    if not quiet:
        click.echo(f"build: {stats.records} records from {stats.files} WARC file(s) in "
                   f"{time.monotonic() - started:.1f}s: {outcomes}")
        for name, records, cut in stats.salvaged:
            click.echo(f"build: {name} was left open by a crawl that was killed: closed it with its {records} "
                       f"complete record(s){f', dropping the {cut} byte(s) of the record it was writing' if cut else ''}")
    db.close()
    return stats


@cli.command()
@data_option
@sources_option
def build(data_dir, sources_dir):
    """Turn newly archived fetches into checks, versions and changes in the KB.

    Safe to interrupt and re-run: each fetch is ingested exactly once.

    Example: policykb build --data data
    """
    run_build(data_dir, sources_dir)


@cli.command()
@data_option
@sources_option
def rebuild(data_dir, sources_dir):
    """Re-derive the whole KB from the WARCs alone (into a new file, then swap).

    Example: policykb rebuild --data data
    """
    from kb.db import kb_path

    target = kb_path(data_dir)
    tmp_dir = Path(data_dir) / ".rebuild"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir(parents=True)
    (tmp_dir / "warcs").symlink_to(Path(data_dir).resolve() / "warcs", target_is_directory=True)
    run_build(tmp_dir, resolve_sources(data_dir, sources_dir))
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp_dir / "policykb.db", target)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    click.echo(f"rebuilt {target}")


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
        raise click.BadParameter(str(exc), param_hint="--as-of")
    click.echo(f"replaying {site} as of {as_of} on {server.url} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def serve_args(data_dir, port):
    from kb.db import kb_path

    return [sys.executable, "-m", "datasette", "serve", str(kb_path(data_dir)), "--metadata", str(METADATA),
            "--host", "127.0.0.1", "--port", str(port), "--setting", "sql_time_limit_ms", "3000"]


@cli.command()
@data_option
@click.option("--port", default=8001, show_default=True, type=int)
def serve(data_dir, port):
    """Publish the KB with Datasette on 127.0.0.1 (read-only).

    Example: policykb serve --port 8001
    """
    from kb.db import kb_path, open_db

    if not kb_path(data_dir).exists():
        click.echo(f"error: no KB at {kb_path(data_dir)}; run `policykb demo` or `policykb crawl` + `build` first",
                   err=True)
        sys.exit(2)
    open_db(data_dir).close()  # apply pending migrations before serving
    click.echo(f"serving {kb_path(data_dir)} at http://127.0.0.1:{port}/")
    args = serve_args(data_dir, port)
    os.execv(args[0], args)


def demo_dates(site) -> list[str]:
    """The dates at which the demo site changes: every snapshot date in it."""
    from replay.server import SNAPSHOT_RE

    dates = set()
    for f in Path(site).rglob("*"):
        m = SNAPSHOT_RE.match(f.name)
        if m and f.is_file() and "robots.txt" not in f.parts:
            dates.add(m.group(1)[:10])
    return sorted(dates)


def prepare_demo_dir(data_dir):
    """A demo KB is reproducible: reset an earlier demo, refuse to touch a real KB."""
    data = Path(data_dir)
    marker = data / DEMO_MARKER
    if data.exists() and any(data.iterdir()) and not marker.exists():
        click.echo(f"error: {data} holds data that is not a demo KB; use --data with an empty or demo folder",
                   err=True)
        sys.exit(2)
    for name in ("policykb.db", "policykb.db-wal", "policykb.db-shm"):
        (data / name).unlink(missing_ok=True)
    for folder in ("warcs", "runs"):
        shutil.rmtree(data / folder, ignore_errors=True)
    data.mkdir(parents=True, exist_ok=True)
    marker.write_text("This folder holds the policykb demo KB; `policykb demo` resets it.\n")


@cli.command()
@data_option
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette port.")
@click.option("--site", default=str(DEMO_SITE), show_default=True, type=click.Path(exists=True, file_okay=False))
@click.option("--sources", "sources_dir", default=str(DEMO_SOURCES), show_default=True,
              type=click.Path(exists=True, file_okay=False))
@click.option("--serve/--no-serve", default=True, help="Serve the KB with Datasette at the end.")
def demo(data_dir, port, site, sources_dir, serve):
    """Crawl the bundled demo help centre at each of its dates, build the KB, serve it.

    Example: policykb demo --no-serve --data /tmp/demo
    """
    from kb.db import open_db
    from replay.server import ReplayServer

    load_or_exit(sources_dir)
    prepare_demo_dir(data_dir)
    resolve_sources(data_dir, sources_dir)
    dates = demo_dates(site)
    click.echo(f"demo: {len(dates)} dates of {site}: {', '.join(dates)}")
    for date in dates:
        with ReplayServer(site, date) as server:
            code = run_crawl(data_dir, sources_dir, replay=server.url)
        if code:
            click.echo(f"error: crawl as of {date} failed (exit {code})", err=True)
            sys.exit(code)
        stats = run_build(data_dir, sources_dir, quiet=True)
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items()))
        click.echo(f"  {date}: {stats.records} checks: {outcomes}")
    db = open_db(data_dir)
    counts = {t: db[t].count for t in ("documents", "versions", "changes", "checks")}
    db.close()
    click.echo("demo KB: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f" in {Path(data_dir) / 'policykb.db'}")
    if serve:
        click.echo(f"open http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        args = serve_args(data_dir, port)
        os.execv(args[0], args)


@cli.group()
def sources():
    """Inspect and validate the declarations."""


# `sources list|check|import-ota|discovered|promote` live in kb/commands/sources_cmds.py


def _load_command_modules():
    """Import ``kb/commands/*.py``: each adds its commands to ``cli`` (or to a group
    such as ``sources``) with decorators, and may define ``after_build(db, data_dir)``,
    run after every build. A feature's commands live in its own module."""
    import importlib
    import pkgutil

    from kb import commands as package

    modules = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        modules.append(importlib.import_module(f"kb.commands.{info.name}"))
    return modules


COMMAND_MODULES = _load_command_modules()


def after_build_steps():
    """The ``after_build(db, data_dir)`` functions of the command modules, in order."""
    return [m.after_build for m in COMMAND_MODULES if hasattr(m, "after_build")]


def main():
    cli()


if __name__ == "__main__":
    # `python -m kb.cli`: run the group of the importable module `kb.cli`, on which the
    # command modules (kb/commands/*.py) register their commands, not this `__main__` copy's
    from kb.cli import main as _main

    _main()
