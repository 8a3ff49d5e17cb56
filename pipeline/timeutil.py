"""Time, one way: UTC ISO 8601 strings with seconds and a ``Z`` (``2026-07-01T00:00:00Z``).

Every time the KB stores is in this form, so that times sort as text.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

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


def epoch_now() -> float:
    """The current time as epoch seconds (for schedules and durations)."""
    return time.time()
