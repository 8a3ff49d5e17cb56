"""Briefs sent by ``policykb watch`` (issue 21): one row per attempt to send the weekly brief.

``brief_deliveries``: the window (``since``, ``until``: days), when it was tried (``sent_at``), the language and
format, how many changes it listed, and the error when sending failed (then the same window is tried again at
the next build). Where the next brief starts: ``0761_brief_through``.
Not derived from the WARCs: a rebuild carries it over (``kb.build.CARRY_OVER``).
"""

from kb.db import migrations


@migrations(name="m0745_brief_deliveries")
def m0745_brief_deliveries(db):
    db["brief_deliveries"].create(
        {"id": int, "sent_at": str, "since": str, "until": str, "lang": str, "format": str, "listed": int,
         "error": str},
        pk="id",
    )
