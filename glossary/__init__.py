"""Concept-oriented terminology across platforms, backed by evidence from the policies.

* :mod:`glossary.model`: concept → language → term (as in ISO 30042 TBX);
* :mod:`glossary.load`: the YAML data files (``platforms.yml``, ``concepts/*.yml``) and storing them in the KB;
* :mod:`glossary.match`: finding a term in a text (Snowball stems; substrings for CJK and Thai);
* :mod:`glossary.evidence`: occurrences in current versions, attestation flags, candidate terms;
* :mod:`glossary.drift`: when a term stops occurring in a document, and what replaced it;
* :mod:`glossary.lookup`: exact and fuzzy look-up from any language;
* :mod:`glossary.tbx`, :mod:`glossary.csvio`: TBX-Basic and CSV exchange.

Only the KB schema is used (tables ``documents``, ``versions``, ``sections``), never ``pipeline``.
"""

from glossary.load import read_glossary, store_glossary
from glossary.model import Concept, Glossary, GlossaryError, Platform, Term


def load_and_refresh(db, data_dir=None) -> dict:
    """Read the glossary data files, store them in the KB, and recompute evidence, candidates and drift.

    :param db: the KB (``sqlite_utils.Database``, migrated)
    :param data_dir: glossary folder (default: the seed data shipped in ``glossary/``)
    :returns: counts (terms by attestation, evidence rows, candidates, drift rows)
    """
    from glossary.drift import refresh_drift
    from glossary.evidence import refresh_evidence

    glossary = read_glossary(data_dir)
    store_glossary(db, glossary)
    stats = refresh_evidence(db)
    stats["drift"] = refresh_drift(db)
    stats["concepts"] = len(glossary.concepts)
    return stats


__all__ = ["Concept", "Glossary", "GlossaryError", "Platform", "Term", "load_and_refresh", "read_glossary",
           "store_glossary"]
