"""Dates and times for the cite check: parse a date or ISO time, now (or ``$POLICYKB_NOW``), ISO, Chinese dates.

A copy of the project's time helpers, kept as it was (the shared helpers are being consolidated elsewhere).
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone

from kb.cite.errors import CiteError


def parse_when(value, end_of_day=False) -> datetime:
    """``YYYY-MM-DD`` or an ISO 8601 time → aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            d = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
            return d + timedelta(days=1, microseconds=-1) if end_of_day else d
        d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CiteError(f"{value!r} is not a date (use YYYY-MM-DD or an ISO 8601 time)") from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def now_utc(now=None) -> datetime:
    """The current time, or ``now`` if given, or ``$POLICYKB_NOW`` (for tests and replays)."""
    if now is not None:
        return parse_when(now)
    env = os.environ.get("POLICYKB_NOW")
    return parse_when(env) if env else datetime.now(timezone.utc)


def iso(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def zh_date(value: str | None) -> str:
    """``2026-04-01`` → ``2026年4月1日``."""
    if not value:
        return ""
    y, m, d = value[:10].split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"
