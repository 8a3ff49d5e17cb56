"""Options that several commands share, each validated once, the same way for every command.

A bad value is one line on stderr and exit code 2, before the command runs:
a mistyped ``--data`` is not an empty KB, an unknown ``--platform`` or
``--type`` is not "0 hits", and ``--since 2026-13-01`` is not a date.
"""

from __future__ import annotations

import difflib
import sqlite3
import sys
from datetime import date

import click

from kb.data import NoKB, kb_path, require_kb, sources_folder
from pipeline.sources import DEFAULT_SOURCES, DOCUMENT_TYPES, DeclarationError, load_sources


def fail(message: str, code: int = 2):
    """One line on stderr, then exit (2: the command was called wrongly)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _existing_kb(ctx, param, value):
    try:
        require_kb(value)
    except NoKB as exc:
        fail(str(exc))
    return value


def data_option(f=None, *, must_exist=True):
    """``--data DIR``. Commands that read a KB refuse a folder that holds none; only commands that create
    one (crawl, build, demo, rebuild) or that work without one (``term``: the glossary files) pass
    ``must_exist=False``."""

    def decorate(f):
        return click.option(
            "--data", "data_dir", default="data", show_default=True, type=click.Path(file_okay=False),
            callback=_existing_kb if must_exist else None, help="Folder holding the KB (policykb.db) and the WARCs.",
        )(f)

    return decorate(f) if f is not None else decorate


def sources_option(f):
    return click.option(
        "--sources", "sources_dir", default=None, type=click.Path(file_okay=False),
        help=f"Folder of declarations (default: the data folder's, else {DEFAULT_SOURCES.name}/ of spiders).",
    )(f)


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat() + value[10:] if len(value) > 10 else \
            date.fromisoformat(value).isoformat()
    except ValueError:
        fail(f"{param.opts[0]} {value!r} is not a date: use YYYY-MM-DD")


def date_option(name: str, help: str, dest: str | None = None):
    """A date option (``--since``, ``--until``, ``--as-of``): YYYY-MM-DD, checked to be a real date."""
    return click.option(name, dest or name.lstrip("-").replace("-", "_"), default=None, callback=_date,
                        metavar="YYYY-MM-DD", help=help)


def _doc_type(ctx, param, value):
    if value is not None and value not in DOCUMENT_TYPES:
        close = difflib.get_close_matches(value, list(DOCUMENT_TYPES), n=3)
        fail(f"--type {value!r} is not a document type; "
             + (f"did you mean {', '.join(close)}?" if close else f"one of: {', '.join(DOCUMENT_TYPES)}"))
    return value


def type_option(f):
    """``--type``: a document type, one of :data:`pipeline.sources.DOCUMENT_TYPES`."""
    return click.option("--type", "doc_type", default=None, callback=_doc_type,
                        help="Only this document type (e.g. appeals).")(f)


def check_platform(data_dir, platform):
    """Refuse a ``--platform`` the KB does not know (one line, exit 2); None passes."""
    if platform is None:
        return
    conn = sqlite3.connect(f"file:{kb_path(data_dir)}?mode=ro", uri=True)
    try:
        known = sorted(r[0] for r in conn.execute("select id from platforms"))
    finally:
        conn.close()
    if platform not in known:
        close = difflib.get_close_matches(platform, known, n=3)
        fail(f"--platform {platform!r} is not a platform of this KB; "
             + (f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known) or 'none'}"))


def load_declarations(data_dir, sources_dir=None, platforms=None):
    """The declarations for a data folder (given, else remembered); a bad one is one line and exit 2."""
    try:
        return load_sources(sources_folder(data_dir, sources_dir), platforms)
    except DeclarationError as exc:
        fail(str(exc))


def load_or_exit(sources_dir, platforms=None):
    """Load the declarations of a folder; a bad one is one line on stderr and exit code 2."""
    try:
        return load_sources(sources_dir, platforms)
    except DeclarationError as exc:
        fail(str(exc))
