"""The weekly brief, sent by ``policykb watch`` through the alert channels (Apprise URLs, :mod:`kb.ops.alerts`).

After each build the watch asks :func:`deliver_due`: when no brief was sent yet, or the last one was sent
``every`` seconds ago or more, the brief (:mod:`kb.brief`) up to today by the time model's clock is sent as
Markdown or HTML and recorded in ``brief_deliveries``. The first covers the last 7 days; each later one starts on
the day the last one sent ended and lists only the changes detected after the latest one that brief covered
(``through``): a build later on the day a brief was sent records changes dated that day, and the next brief
lists them. Nothing is sent when the day has not moved and nothing new was detected. A failed send is recorded
with its error and tried again after the next build, for the same window.
"""

from __future__ import annotations

import logging
import time
from kb import brief as briefs
from kb.labels import label
from kb.ops.alerts import NotifyConfig, notify_urls
from kb.store.ops import record_brief_delivery
from pipeline.timeutil import iso, parse_iso

logger = logging.getLogger(__name__)

#: The default time between two briefs: a week.
WEEK = 7 * 24 * 3600


def _last_sent(db) -> dict | None:
    if "brief_deliveries" not in db.table_names():
        return None
    through = ", through" if "through" in db["brief_deliveries"].columns_dict else ", null"
    row = db.execute(f"select sent_at, until{through} from brief_deliveries where error is null"
                     " order by sent_at desc, id desc limit 1").fetchone()
    return {"sent_at": row[0], "until": row[1], "through": row[2]} if row else None


def deliver_due(db, config: NotifyConfig, every: float = WEEK, lang: str = "zh", fmt: str = "md",
                now: float | None = None) -> dict | None:
    """Send the brief if one is due (see the module); returns what was tried (``since``, ``until``, ``listed``,
    ``error``), or None when nothing was due or no URL is configured."""
    if not config.urls or not every:
        return None
    now = time.time() if now is None else now
    last = _last_sent(db)
    if last and parse_iso(last["sent_at"]) + every > now:
        return None
    _, until = briefs.window(db.conn)
    since, after = (last["until"], last["through"]) if last else (None, None)
    data = briefs.brief(db.conn, since, until, after=after)
    if last and until <= last["until"] and data["latest"] is None:
        return None  # the day has not moved (a demo KB's clock stands still) and nothing new was detected
    body = briefs.html_fragment(data, lang) if fmt == "html" else briefs.markdown(data, lang)
    title = f"[policykb] {label('brief_title', lang)} {data['since']} – {data['until']}"
    errors = notify_urls(config.urls, title, body, body_format="html" if fmt == "html" else "markdown",
                         warning=False)
    error = "; ".join(errors) or None
    record_brief_delivery(db, iso(now), data["since"], data["until"], lang, fmt, data["listed"], error,
                          data["latest"] or after)
    if error:
        logger.warning("brief %s – %s: %s", data["since"], data["until"], error)
    return {"since": data["since"], "until": data["until"], "listed": data["listed"], "error": error}
