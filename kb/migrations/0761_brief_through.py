"""Where a delivered brief stopped (issue 21 review): ``brief_deliveries.through``.

The latest ``detected_at`` among the changes the brief covered (null: it covered none). The next brief starts
on the day the last one ended and lists only changes detected after ``through``, so a change a later build
records on the day a brief was sent is in the next brief, and none is listed twice.
"""

from kb.db import migrations


@migrations(name="m0761_brief_through")
def m0761_brief_through(db):
    if "through" not in db["brief_deliveries"].columns_dict:
        db["brief_deliveries"].add_column("through", str)
