"""The only code that writes KB rows.

Every statement that inserts, updates or deletes rows of the KB lives in this
package (and the schema in :mod:`kb.migrations`); ``tests/test_architecture.py``
fails if one appears anywhere else. Readers use :mod:`kb.read`.
"""

from __future__ import annotations


def copy_rows(db, table, names, rows):
    """Insert ``rows`` (tuples in the order of ``names``) into ``table``, keeping the columns it has.

    Used to carry tables that are not derived from the WARCs over into a rebuilt KB; a table that
    already has rows is left alone.
    """
    if db[table].count:
        return 0
    columns = set(db[table].columns_dict)
    records = [{k: v for k, v in zip(names, row) if k in columns} for row in rows]
    db[table].insert_all(records, pk=db[table].pks[0])
    return len(records)
