"""The KB: schema, read/write API on the SQLite file, and the ``policykb`` CLI."""
