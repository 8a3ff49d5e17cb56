"""``policykb watch | status | alerts | backup``: operations (the logic is in :mod:`kb.ops`)."""

from __future__ import annotations

import json
import logging
import sys

import click

from kb.cli import cli
from kb.cli.options import data_option, load_or_exit, sources_option, time_option
from kb.data import kb_path, sources_folder


def _interval(ctx, param, value):
    from pipeline.sources import parse_interval

    try:
        return parse_interval(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


def _interval_or_off(ctx, param, value):
    return None if value in ("off", "0", "never") else _interval(ctx, param, value)


def _notify_options(f):
    f = click.option("--notify", "notify_urls", multiple=True, envvar="POLICYKB_NOTIFY",
                     help="Send new alerts to this URL (repeatable): http(s):// webhook (JSON), or any Apprise URL "
                          "such as wecombot://, dingtalk://, feishu://, mailto://. Env: POLICYKB_NOTIFY.")(f)
    f = click.option("--alert-command", envvar="POLICYKB_ALERT_COMMAND", default=None,
                     help="Run this shell command for each new alert, the alert as JSON on stdin. "
                          "Env: POLICYKB_ALERT_COMMAND.")(f)
    f = click.option("--alert-after", type=click.IntRange(min=1), default=3, show_default=True,
                     envvar="POLICYKB_ALERT_AFTER", help="Failed checks in a row before a document alerts.")(f)
    return f


def _notify_config(notify_urls, alert_command, alert_after):
    import re

    from kb.ops.alerts import NotifyConfig

    urls = tuple(u for value in notify_urls for u in re.split(r"[\s,]+", value) if u)
    return NotifyConfig(urls, alert_command, alert_after)


@cli.command()
@data_option(must_exist=False)
@sources_option
@click.option("--replay", default=None, help="Base URL of a replay server for every crawl.")
@click.option("--default-interval", default="24h", show_default=True, callback=_interval,
              help="Time between checks of a document without its own `interval` (e.g. 30m, 6h, 1d).")
@click.option("--important-interval", default="6h", show_default=True, callback=_interval,
              help="Time between checks of a document marked `important: true`.")
@click.option("--jitter", default=0.1, show_default=True, type=click.FloatRange(0, 0.5),
              help="Move each next check by up to this fraction of its interval, at random.")
@click.option("--max-parallel", default=2, show_default=True, type=click.IntRange(min=1),
              help="Crawls at once (always on different domains).")
@click.option("--once", is_flag=True, help="Check what is due now, build, and exit (for cron or a systemd timer).")
@click.option("-s", "--setting", "scrapy_settings", multiple=True, metavar="KEY=VALUE",
              help="Extra Scrapy setting for every crawl (repeatable).")
@click.option("--log-level", default="WARNING", show_default=True, help="Scrapy's log level in the crawls.")
@_notify_options
@click.option("--brief-every", default="7d", show_default=True, callback=_interval_or_off,
              help="Send the policy brief of the days since the last one to the --notify URLs this often "
                   "(after a build; `off`: never).")
@click.option("--brief-lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--brief-format", type=click.Choice(["md", "html"]), default="md", show_default=True)
def watch(data_dir, sources_dir, replay, default_interval, important_interval, jitter, max_parallel, once,
          scrapy_settings, log_level, notify_urls, alert_command, alert_after, brief_every, brief_lang, brief_format):
    """Crawl each document on its schedule and build after each crawl; run until SIGTERM.

    Intervals come from the declarations (`interval: 6h`, `important: true`).
    The schedule is kept in the KB, so a restarted watch resumes where it was.

    With --notify, the policy brief of the days since the last one is sent there weekly (--brief-every).

    Example: policykb watch --data data --notify https://hooks.example.org/policykb
    """
    from kb.ops.watch import Watcher

    sources_dir = sources_folder(data_dir, sources_dir)
    load_or_exit(sources_dir)
    _notify_config(notify_urls, alert_command, alert_after).export()  # read by the build step
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    watcher = Watcher(data_dir, sources_dir, replay=replay, default_interval=default_interval,
                      important_interval=important_interval, jitter=jitter, max_parallel=max_parallel, once=once,
                      scrapy_settings=scrapy_settings, log_level=log_level,
                      brief={"every": brief_every, "lang": brief_lang, "format": brief_format} if brief_every else None)
    # a WARC still open is normal while a parallel crawl runs; worth a warning only otherwise
    logging.getLogger("kb.ingest").addFilter(
        lambda record: not (watcher.children and "still open" in record.getMessage()))
    sys.exit(watcher.run())


@cli.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for a monitor).")
@time_option("--now", "Judge staleness as of this UTC time (default: now).")
def status(data_dir, as_json, now):
    """Health per platform and document: ok, failing (with the reason), stale or gone; next checks.

    Example: policykb status --json
    """
    from kb.db import open_db
    from kb.ops.status import collect, render_text

    db = open_db(data_dir)
    try:
        result = collect(db.conn, now)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result))


@cli.command()
@data_option
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved alerts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--send", is_flag=True, help="Send open alerts not sent yet (to --notify / --alert-command).")
@click.option("--test", "send_test", is_flag=True, help="Send a test alert to check the notification set-up.")
@_notify_options
def alerts(data_dir, include_resolved, as_json, send, send_test, notify_urls, alert_command, alert_after):
    """List alerts (a document failing N times in a row, a platform down, a selector matching nothing).

    Example: policykb alerts --all --json
    """
    from kb.ops import alerts as alerts_mod
    from kb.db import open_db
    from pipeline.timeutil import iso

    config = _notify_config(notify_urls, alert_command, alert_after)
    if send_test:
        if not config.urls and not config.command:
            raise click.UsageError("--test needs --notify or --alert-command")
        import time

        error = alerts_mod.send({"id": 0, "kind": "test", "subject": "policykb", "state": "open",
                                 "opened_at": iso(time.time()), "details": None,
                                 "message": "A test alert from policykb: notifications work."}, config)
        click.echo(f"error: {error}" if error else "test alert sent")
        sys.exit(1 if error else 0)
    db = open_db(data_dir)
    try:
        if send:
            sent = alerts_mod.notify_pending(db, config)
            click.echo(f"sent {sent} alert(s)", err=True)
        found = alerts_mod.list_alerts(db.conn, include_resolved)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps({"alerts": found}, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no alerts" if include_resolved else "no open alerts")
    for a in found:
        when = a["opened_at"] + (f" → resolved {a['resolved_at']}" if a["resolved_at"] else "")
        click.echo(f"#{a['id']} {a['state']:<8} {a['kind']:<16} {a['subject']}  ({when})\n    {a['message']}")


@cli.command()
@data_option
@click.argument("path", type=click.Path(dir_okay=True))
def backup(data_dir, path):
    """Copy the KB to PATH (a file, or a folder for a time-stamped file) while it is written and served.

    Uses SQLite's online backup; the copy is checked before it is put in place.

    Example: policykb backup /var/backups/policykb/
    """
    from kb.ops.backup import BackupError, backup as backup_kb
    from kb.db import open_db

    open_db(data_dir).close()  # apply pending migrations: the backup has the current schema
    try:
        result = backup_kb(kb_path(data_dir), path)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"backed up {result['pages']} pages ({result['bytes']} bytes) to {result['path']} "
               f"in {result['seconds']:.2f}s")
