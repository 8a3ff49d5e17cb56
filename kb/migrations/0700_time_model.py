"""The time model (issue 15): one "last successful check" for every page, command and citation.

A check that got a definite answer from the site is a successful check, a 404/410 "gone" answer included
(it tells us the page is taken down). KBs built before this kept ``documents.last_success`` at the last
check that found the page; here it becomes the latest check whose outcome is not ``failed``, as the build
now records it (:func:`pipeline.decide.document_update`).
"""

from kb.db import migrations


@migrations(name="m0700_time_model")
def m0700_time_model(db):
    db.execute("""
        update documents set last_success = (
            select max(c.checked_at) from checks c where c.document_id = documents.id and c.outcome != 'failed')
        where exists (select 1 from checks c where c.document_id = documents.id and c.outcome = 'gone')
    """)
