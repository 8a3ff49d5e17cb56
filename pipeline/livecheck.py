"""What one live fetch says about a declaration: ``policykb sources check --live``.

A pure function of an archived fetch and its document's declaration: the
fetch goes through the build's own decision (:func:`pipeline.decide.classify_with_declaration`),
and the outcome is named for a declaration author:

* ``matched``: a declared selector matched (which one is given);
* ``fallback``: the document declares no selector: main-content detection gave the text;
* ``redirected``: the page answered from another URL (another region or language, or simply
  another address: the declared URL should be updated), text or not;
* ``blocked``: a login page or wall, a robot check, a consent wall, robots.txt;
* ``wrong locale``: the page is in another language than the declared locale;
* ``layout changed``: none of the declared selectors matched;
* ``empty``: a selector matched only empty content (a page whose scripts did not run?), or no text;
* ``gone``: 404 or 410;
* ``failed``: anything else (HTTP errors, timeouts, unreadable content), with the reason.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pipeline.decide import classify_with_declaration
from pipeline.extract import LAYOUT_CHANGED

#: The statuses, in the order a report lists their counts
STATUSES = ("matched", "fallback", "redirected", "blocked", "wrong locale", "layout changed", "empty", "gone",
            "failed", "not fetched")
BLOCKED_MARKERS = ("redirected to a login page", "redirected to a consent wall", "blocked:", "login wall",
                   "consent wall", "robots.txt")


def _same_url(a: str, b: str) -> bool:
    pa, pb = urlsplit(a or ""), urlsplit(b or "")
    return ((pa.hostname or "").lower(), pa.path.rstrip("/") or "/", pa.query) == \
        ((pb.hostname or "").lower(), pb.path.rstrip("/") or "/", pb.query)


def live_status(record, declared) -> dict:
    """The status of one document's live fetch (see the module docstring).

    :param record: the archived fetch (:class:`pipeline.archive.Snapshot`; ``url`` is the final URL)
    :param declared: the document's :class:`pipeline.sources.Document`
    :returns: ``{"document", "url", "final_url", "http_status", "status", "reason", "selector"}``
    """
    outcome = classify_with_declaration(record, declared)
    reason = outcome.reason or (record.error if record.kind == "failure" else None)
    moved = record.kind != "failure" and not _same_url(record.url, declared.url)
    if outcome.outcome in ("new_version", "unchanged", "not_modified"):
        status = "redirected" if moved else ("matched" if outcome.selector else "fallback")
        if moved:
            reason = f"answered from {record.url}"
    elif outcome.outcome == "gone":
        status = "gone"
    elif any(marker in (reason or "") for marker in BLOCKED_MARKERS):
        status = "blocked"
    elif (reason or "").startswith("redirected to"):
        status = "redirected"
    elif (reason or "").startswith("wrong locale"):
        status = "wrong locale"
    elif (reason or "").startswith(LAYOUT_CHANGED):
        status = "layout changed"
    elif "matched only empty content" in (reason or "") or reason == "page has no text":
        status = "empty"
    else:
        status = "failed"
    return {"document": declared.key, "url": declared.url, "final_url": record.url or None,
            "http_status": record.status or None, "status": status, "reason": reason, "selector": outcome.selector}


def not_fetched(declared) -> dict:
    """The row of a declared document the crawl did not fetch at all."""
    return {"document": declared.key, "url": declared.url, "final_url": None, "http_status": None,
            "status": "not fetched", "reason": "the crawl recorded no fetch of it", "selector": None}


def report(rows, checked_at: str) -> dict:
    """The JSON report: every document's row, and the count of each status."""
    counts = {s: 0 for s in STATUSES}
    for row in rows:
        counts[row["status"]] += 1
    return {"checked_at": checked_at, "documents": rows, "counts": {k: v for k, v in counts.items() if v}}
