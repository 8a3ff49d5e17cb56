"""What the public instance never serves: the watch list of citations (issue 16).

A consultant's saved citations (table ``citations``) name their clients or cases (``label``) and what each
client relies on. ``policykb serve`` publishes the KB (behind a reverse proxy, ``deploy/``), so unless the
instance is private they are out of reach there, however they are asked for:

* the table's pages and JSON (``view-table``, through Datasette's ``permission_allowed`` hook: 403, and the
  table is left out of the database's list of tables);
* SQL, arbitrary or canned: an SQLite authorizer (``prepare_connection``) refuses every read of the table
  (``select count(*)`` included, which SQLite reports as a read of no column);
* the page ``/-/policykb/citations`` (404) and the home page's link to it (``datasette_plugins.pages``).

Private: ``policykb serve --private`` on the consultant's own machine, which sets ``POLICYKB_PRIVATE=1``;
``metadata.yml`` reads it as the plugin setting ``plugins: policykb: private``. Without it an instance is
public: the safe side is the default.
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

DB_NAME = "policykb"
#: the tables only a private instance serves
PRIVATE_TABLES = frozenset({"citations"})


def is_private(datasette) -> bool:
    """This instance serves the watch list (``plugins: policykb: private`` is set to a true value)."""
    value = (datasette.plugin_config("policykb") or {}).get("private")
    return value is True or str(value or "").strip().lower() in ("1", "true", "yes", "on")


def _authorizer(action, arg1, arg2, dbname, source):
    """Refuse every read of a private table (``SQLITE_READ``: arg1 the table, arg2 the column, or "" for
    ``count(*)``); everything else is Datasette's to decide (it is read-only anyway)."""
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in PRIVATE_TABLES:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn, database, datasette):
    if database == DB_NAME and not is_private(datasette):
        conn.set_authorizer(_authorizer)


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    if action == "view-table" and isinstance(resource, tuple) and resource[0] == DB_NAME \
            and resource[1] in PRIVATE_TABLES and not is_private(datasette):
        return False
    return None
