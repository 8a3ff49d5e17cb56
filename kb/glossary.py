"""The glossary in the KB: load the concept files, refresh their evidence in the current versions."""

from __future__ import annotations


def refresh_glossary(db, glossary_dir=None, force=False) -> dict:
    """Load the glossary (``glossary_dir``, else the seed in ``glossary/``) and refresh evidence and drift.

    :param force: recompute everything, even where nothing changed since the last refresh
    :returns: counts of what was refreshed
    """
    from glossary import load_and_refresh

    return load_and_refresh(db, glossary_dir, force=force)
