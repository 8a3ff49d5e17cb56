"""The KB: the SQLite file, its schema (``migrations``), its one writer (``store``), its read API (``read``),
the build (``build``), cite check, search, operations, and the thin ``policykb`` CLI (``cli``).

See ARCHITECTURE.md for the map.
"""
