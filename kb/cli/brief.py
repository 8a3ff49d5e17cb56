"""``policykb brief | calendar``: what changed, for whom and from when (the logic is in :mod:`kb.brief` and
:mod:`kb.calendar`)."""

from __future__ import annotations

import os
import sqlite3

import click

from kb.cli import cli
from kb.cli.cite import DEFAULT_BASE_URL
from kb.cli.options import check_platform, data_option, date_option, did_you_mean
from kb.data import kb_path


def _platforms(ctx, param, value):
    for platform in value:
        if not ctx.resilient_parsing and "data_dir" in ctx.params:
            check_platform(ctx.params["data_dir"], platform)
    return tuple(value)


def _concept(ctx, param, value):
    if value is None or ctx.resilient_parsing or "data_dir" not in ctx.params:
        return value
    conn = sqlite3.connect(f"file:{kb_path(ctx.params['data_dir'])}?mode=ro", uri=True)
    try:
        known = [r[0] for r in conn.execute("select id from glossary_concepts order by id")]
    except sqlite3.OperationalError:
        known = []
    finally:
        conn.close()
    if value not in known:
        did_you_mean("--concept", value, "a concept of the glossary", known)
    return value


def _output(text: str, output):
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        click.echo(text, nl=False)


def base_url_option(f):
    return click.option("--base-url", default=lambda: os.environ.get("POLICYKB_BASE_URL", DEFAULT_BASE_URL),
                        show_default=f"$POLICYKB_BASE_URL or {DEFAULT_BASE_URL}",
                        help="Datasette address for the permalinks.")(f)


@cli.command()
@data_option
@date_option("--since", "First day of the window (default: the 7 days up to --until).")
@date_option("--until", "Last day of the window (default: today; for the demo, its latest check).")
@click.option("--platform", "platforms", multiple=True, callback=_platforms, metavar="ID",
              help="Only this platform (repeatable).")
@click.option("--concept", default=None, callback=_concept, metavar="ID",
              help="Only changes that touch this glossary concept (e.g. appeal).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the brief.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (default: standard output).")
@base_url_option
def brief(data_dir, since, until, platforms, concept, lang, fmt, output, base_url):
    """The policy brief: substantive changes in a window, by platform and document, with the sections they
    touched, a short redline, each section's effective date (stated, announced or detected), the concepts
    they touch and the links; cosmetic changes, flip-flops and re-extractions are counted at the end."""
    from kb import brief as briefs
    from kb.db import open_db

    if since and until and since > until:
        click.echo(f"error: --since {since} is after --until {until} (起始日期晚于结束日期)", err=True)
        raise SystemExit(2)
    from kb.impact import refresh_change_concepts

    db = open_db(data_dir)
    try:
        refresh_change_concepts(db)  # a KB upgraded since its last build has none yet (cheap: only new ones)
        data = briefs.brief(db.conn, since, until, platforms, concept, base_url)
    finally:
        db.close()
    _output(briefs.render(data, fmt, lang), output)


@cli.command()
@data_option
@click.option("--platform", "platforms", multiple=True, callback=_platforms, metavar="ID",
              help="Only this platform (repeatable).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the events' text.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file, e.g. effective.ics (default: standard output).")
@base_url_option
def calendar(data_dir, platforms, lang, output, base_url):
    """Effective dates as an iCalendar (.ics): one event per announced or recent stated effective date, with
    the document, the sections it applies to and the permalink; a date the page postponed or withdrew is
    kept as cancelled. Subscribe to /-/policykb/calendar.ics of
    `policykb serve` instead to keep it current."""
    import sys

    from kb import calendar as calendars
    from kb.db import open_db

    db = open_db(data_dir)
    try:
        body = calendars.ics(calendars.effective_events(db.conn, platforms, base_url=base_url), lang)
    finally:
        db.close()
    if output:
        with open(output, "wb") as f:
            f.write(body)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
