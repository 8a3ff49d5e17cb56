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


def insert_rows(db, table: str, rows, replace: bool = False) -> None:
    """``db[table].insert_all(rows, replace=replace)`` into an existing table, as one ``executemany``.

    sqlite_utils builds a multi-row statement per chunk of 100 rows in Python (a value at a time) and reads the
    table's schema first: most of the CPU of the build's hot inserts (versions, changes, sections, dated
    statements, rule values, glossary evidence). When every row has the same columns, the rows it would write are
    written here directly, each value converted as sqlite_utils converts it (``jsonify_if_needed``); rows with
    differing columns (where sqlite_utils would write a NULL for a column another row of its chunk has, not the
    column's default) go to sqlite_utils itself. ``tests/test_build_speed_paths.py`` holds the two to the same rows.
    """
    from sqlite_utils.db import jsonify_if_needed, quote_identifier

    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return
    columns = list(rows[0])
    key_set = set(columns)
    if not columns or any(row.keys() != key_set for row in rows):
        db[table].insert_all(rows, replace=replace)
        return
    simple = (str, int, float, bytes, type(None))
    values = [[v if type(v) in simple else jsonify_if_needed(v) for v in map(row.__getitem__, columns)]
              for row in rows]
    names = ", ".join(map(quote_identifier, columns))
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    with db.atomic():  # as sqlite_utils: inside the caller's transaction, else in one of its own
        db.conn.executemany(f"{verb} INTO {quote_identifier(table)} ({names}) VALUES ({', '.join('?' * len(columns))})",
                            values)
