"""Time, one way: UTC ISO 8601 strings with seconds and a ``Z`` (``2026-07-01T00:00:00Z``).

Every time the KB stores is in this form, so that times sort as text.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).strftime(ISO_FORMAT)


def iso(moment) -> str:
    """A ``datetime`` (naive means UTC) or epoch seconds → UTC ISO 8601 with seconds."""
    if isinstance(moment, (int, float)):
        return datetime.fromtimestamp(moment, timezone.utc).strftime(ISO_FORMAT)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(ISO_FORMAT)


def parse_iso(value) -> float | None:
    """UTC ISO 8601 (``Z``, an offset, or naive meaning UTC) → epoch seconds; None and '' stay None."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_when(value, end_of_day=False) -> datetime:
    """A date or a time as typed or stored → an aware UTC ``datetime``.

    Accepts ``2026-04-01``, ``2026-04-01T10:00:00Z`` (or any ISO 8601 time, naive meaning UTC),
    ``20260401T100000Z``, a ``date`` or a ``datetime``.

    :param end_of_day: a bare date means its last microsecond (an "as of" day includes the whole day)
    :raises ValueError: with the accepted forms, for anything else
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        return day + timedelta(days=1, microseconds=-1) if end_of_day else day
    except ValueError:
        pass
    for fmt in ("%Y%m%dT%H%M%SZ", ISO_FORMAT, "%Y-%m-%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def epoch_now() -> float:
    """The current time as epoch seconds (for schedules and durations)."""
    return time.time()


# --- stale: the one rule ------------------------------------------------------------

#: Seconds between two checks of a document whose declaration sets no interval (the scheduler's default).
DEFAULT_INTERVAL = 24 * 3600.0
#: A document's data is stale when its last successful check is older than this many check intervals.
STALE_FACTOR = 2
#: The stale age with the default interval, in hours (48): what cite and the home page's attention list use.
STALE_HOURS = int(STALE_FACTOR * DEFAULT_INTERVAL // 3600)


#: How the rule reads where a page, a command or a citation says "stale" (English, Chinese).
STALE_EXPLANATION = ("stale: no successful check for more than twice the document's own check interval "
                     "(a 404/410 answer counts as a successful check: the page is known to be taken down)",
                     "可能过时：超过该文件检查周期的两倍时间未成功核实（返回404/410视为成功核实：已知页面已下线）")


def stale_after(interval: float | None = None) -> float:
    """Seconds after its last successful check when a document checked every ``interval`` seconds is stale."""
    return STALE_FACTOR * (interval or DEFAULT_INTERVAL)


def is_stale(last_success, now: float, interval: float | None = None) -> bool:
    """The rule: stale when the last successful check (ISO time or None) is older than twice the interval, or never.

    :param now: epoch seconds to judge against
    :param interval: the document's check interval in seconds (default :data:`DEFAULT_INTERVAL`)
    """
    success = parse_iso(last_success)
    return success is None or now - success > stale_after(interval)
