"""Each check records the declared selector that matched (``checks.selector``).

A declaration's ``select`` lists alternatives tried in order (``pipeline.extract``); which one
matched tells an operator that a page moved to its fallback layout, and lets ``policykb status``
and the alerts name it. NULL for failed checks, PDFs and documents without selectors.
"""

from kb.db import migrations


@migrations(name="m0710_check_selector")
def m0710_check_selector(db):
    if "selector" not in db["checks"].columns_dict:
        db["checks"].add_column("selector", str)
