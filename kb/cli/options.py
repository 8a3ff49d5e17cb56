"""Options that several commands share, each validated once, the same way for every command.

A bad value is one line on stderr and exit code 2, before the command runs:
a mistyped ``--data`` is not an empty KB, an unknown ``--platform``,
``--type`` or ``--locale`` is not "0 hits" (each says what it might have
meant), and ``--since 2026-13-01`` is not a date.

``--data`` is processed first (an eager option), so that the options whose
values the KB knows (``--platform``, ``--locale``) are checked against it.
"""

from __future__ import annotations

import difflib
import sqlite3
import sys

import click

from kb.data import NoKB, kb_path, require_kb, sources_folder
from pipeline.sources import DEFAULT_SOURCES, DOCUMENT_TYPES, LOCALE_RE, DeclarationError, load_sources
from pipeline.timeutil import iso, parse_when


def fail(message: str, code: int = 2):
    """One line on stderr, then exit (2: the command was called wrongly)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _existing_kb(ctx, param, value):
    if ctx.resilient_parsing:  # shell completion: never exit
        return value
    try:
        require_kb(value)
    except NoKB as exc:
        fail(str(exc))
    return value


def did_you_mean(option, value, what, known):
    """Refuse ``value`` of ``option``: one line naming the closest known values (or all of them)."""
    close = difflib.get_close_matches(value, list(known), n=3)
    fail(f"{option} {value!r} is not {what}; "
         + (f"did you mean {', '.join(close)}? (无此取值，是否指 {', '.join(close)}？)" if close else
            f"known: {', '.join(known) or 'none'} (无此取值，可用：{', '.join(known) or '无'})"))


def data_option(f=None, *, must_exist=True):
    """``--data DIR``. Commands that read a KB refuse a folder that holds none; only commands that create
    one (crawl, build, demo, rebuild) or that work without one (``term``: the glossary files) pass
    ``must_exist=False``."""

    def decorate(f):
        return click.option(
            "--data", "data_dir", default="data", show_default=True, type=click.Path(file_okay=False),
            is_eager=True,  # before --platform and --locale, which are checked against the KB
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
        moment = parse_when(value)  # a time too: the whole of it must be valid
    except ValueError:
        fail(f"{param.opts[0]} {value!r} is not a date: use YYYY-MM-DD (不是有效日期，请用 YYYY-MM-DD)")
    return moment.date().isoformat() if len(value) <= 10 else iso(moment)


def date_option(name: str, help: str, dest: str | None = None):
    """A date option (``--since``, ``--until``, ``--as-of``): YYYY-MM-DD, checked to be a real date."""
    return click.option(name, dest or name.lstrip("-").replace("-", "_"), default=None, callback=_date,
                        metavar="YYYY-MM-DD", help=help)


def _time(ctx, param, value):
    if value is None:
        return None
    try:
        return iso(parse_when(value))
    except ValueError:
        fail(f"{param.opts[0]} {value!r} is not a time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ "
             "(不是有效时间，请用 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM:SSZ)")


def time_option(name: str, help: str, dest: str | None = None, hidden: bool = False):
    """A moment option (``--now``): a date or an ISO 8601 time (UTC unless it says otherwise), given to
    the command as UTC ISO 8601 with seconds."""
    return click.option(name, dest or name.lstrip("-").replace("-", "_"), default=None, callback=_time,
                        metavar="TIME", hidden=hidden, help=help)


def _doc_type(ctx, param, value):
    if value is not None and value not in DOCUMENT_TYPES:
        did_you_mean("--type", value, "a document type", list(DOCUMENT_TYPES))
    return value


def type_option(f=None, *, help="Only this document type (e.g. appeals)."):
    """``--type``: a document type, one of :data:`pipeline.sources.DOCUMENT_TYPES`."""

    def decorate(f):
        return click.option("--type", "doc_type", default=None, callback=_doc_type, help=help)(f)

    return decorate(f) if f is not None else decorate


def _read_kb(data_dir, sql):
    if not kb_path(data_dir).is_file():  # a command that may start without a KB: nothing to check against
        return None
    conn = sqlite3.connect(f"file:{kb_path(data_dir)}?mode=ro", uri=True)
    try:
        return sorted({r[0] for r in conn.execute(sql) if r[0]})
    finally:
        conn.close()


def check_platform(data_dir, platform):
    """Refuse a ``--platform`` the KB does not know (one line, exit 2); None passes."""
    if platform is None:
        return
    known = _read_kb(data_dir, "select id from platforms")
    if known is not None and platform not in known:
        did_you_mean("--platform", platform, "a platform of this KB", known)


def _kb_platform(ctx, param, value):
    if value is not None and not ctx.resilient_parsing and "data_dir" in ctx.params:
        check_platform(ctx.params["data_dir"], value)
    return value


def platform_option(f=None, *, help="Only this platform (id, e.g. demomart)."):
    """``--platform``: a platform of the KB (``--data``). ``policykb crawl --platform`` is another thing:
    a platform of the declarations, checked when they are loaded."""

    def decorate(f):
        return click.option("--platform", default=None, callback=_kb_platform, metavar="ID", help=help)(f)

    return decorate(f) if f is not None else decorate


def _kb_locale(ctx, param, value):
    if value is None or ctx.resilient_parsing or "data_dir" not in ctx.params:
        return value
    known = _read_kb(ctx.params["data_dir"], "select distinct locale from documents")
    wanted = value.lower()
    if known is not None and not any(k.lower() == wanted or k.lower().startswith(wanted + "-") for k in known):
        languages = sorted({k.split("-", 1)[0] for k in known})
        did_you_mean("--locale", value, "a locale of this KB's documents", sorted(set(known) | set(languages)))
    return value


def locale_filter_option(f):
    """``--locale`` as a filter: a locale of the KB's documents, or its language (``zh`` matches ``zh-CN``)."""
    return click.option("--locale", default=None, callback=_kb_locale, metavar="LOCALE",
                        help="Only documents in this locale (a prefix: zh matches zh-CN).")(f)


def _bcp47(ctx, param, value):
    if value is not None and not LOCALE_RE.match(value):
        fail(f"--locale {value!r} is not a locale: use a BCP 47 tag such as en-US or zh-CN "
             "(不是有效语言区域，请用 BCP 47 标记，如 en-US、zh-CN)")
    return value


def locale_option(f=None, *, help="Locale (BCP 47, e.g. en-US or zh-CN)."):
    """``--locale`` for something new (a document to declare): any well-formed BCP 47 tag."""

    def decorate(f):
        return click.option("--locale", default=None, callback=_bcp47, metavar="LOCALE", help=help)(f)

    return decorate(f) if f is not None else decorate


def load_declarations(data_dir, sources_dir=None, platforms=None):
    """The declarations for a data folder (given, else remembered); a bad one is one line and exit 2."""
    return load_or_exit(sources_folder(data_dir, sources_dir), platforms, data_dir=data_dir)


def load_or_exit(sources_dir, platforms=None, data_dir=None):
    """Load the declarations of a folder; a bad one is one line on stderr and exit code 2.

    :param data_dir: the data folder whose record of declarations already checked to use
        (:class:`pipeline.sources.CheckedDeclarations`), if any
    """
    try:
        return load_sources(sources_dir, platforms, checked_in=data_dir)
    except DeclarationError as exc:
        fail(str(exc))
