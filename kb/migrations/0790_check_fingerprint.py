"""Each check records its page's fingerprint (``checks.page_fingerprint``, :meth:`pipeline.extract.Page.fingerprint`).

A page whose bytes change at every request while its text does not (a per-request token in an attribute or a
comment) gives the same fingerprint: the build compares it with the fingerprint of the check that gave the
current version and, when equal, records the check as unchanged without converting the page again
(:func:`kb.ingest._known_page`). NULL for failed checks, pages without selectors, PDFs and plain text.
"""

from kb.db import migrations


@migrations(name="m0790_check_fingerprint")
def m0790_check_fingerprint(db):
    if "page_fingerprint" not in db["checks"].columns_dict:
        db["checks"].add_column("page_fingerprint", str)
