"""Dates and times for the cite check: a date or time as typed (errors as :class:`CiteError`), now (or
``$POLICYKB_NOW``), and Chinese dates. The rules themselves are :mod:`pipeline.timeutil`'s."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from kb.cite.errors import CiteError
from pipeline import timeutil


def parse_when(value, end_of_day=False) -> datetime:
    """``YYYY-MM-DD`` or an ISO 8601 time → aware UTC datetime (a bare date is its end with ``end_of_day``)."""
    try:
        return timeutil.parse_when(value, end_of_day=end_of_day)
    except ValueError:
        raise CiteError(f"{value!r} is not a date (use YYYY-MM-DD or an ISO 8601 time)") from None


def now_utc(now=None) -> datetime:
    """The current time, or ``now`` if given, or ``$POLICYKB_NOW`` (for tests and replays)."""
    if now is not None:
        return parse_when(now)
    env = os.environ.get("POLICYKB_NOW")
    return parse_when(env) if env else datetime.now(timezone.utc)


def zh_date(value: str | None) -> str:
    """``2026-04-01`` → ``2026年4月1日``."""
    if not value:
        return ""
    y, m, d = value[:10].split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def day_text(value: str | None, lang: str = "zh") -> str:
    """A day (or the day of an ISO moment) as a reader of ``lang`` writes it: ``2026年4月1日``, ``2026-04-01``."""
    return zh_date(value) if lang == "zh" else (value or "")[:10]


def moment_text(value: str | None, lang: str = "zh") -> str:
    """An ISO moment to the minute, in UTC: ``2026年4月1日 09:30 UTC``, ``2026-04-01 09:30 UTC``."""
    if not value:
        return ""
    return f"{day_text(value, lang)} {value[11:16]} UTC" if len(value) >= 16 else day_text(value, lang)
