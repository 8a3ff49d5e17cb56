"""Concept-oriented terminology across platforms, backed by evidence from the policies.

* :mod:`glossary.model`: concept → language → term (as in ISO 30042 TBX);
* :mod:`glossary.load`: the YAML data files (``platforms.yml``, ``concepts/*.yml``);
* :mod:`glossary.match`: finding a term in a text (Snowball stems; substrings for CJK and Thai);
* :mod:`glossary.evidence`: occurrences in current versions, attestation flags, candidate terms;
* :mod:`glossary.drift`: when a term stops occurring in a document, and what replaced it;
* :mod:`glossary.lookup`: exact and fuzzy look-up from any language;
* :mod:`glossary.tbx`, :mod:`glossary.csvio`: TBX-Basic and CSV exchange.

Pure: the rows are computed here from the KB's tables (``documents``, ``versions``, ``sections``) and
written by :mod:`kb.store.glossary`; :func:`kb.glossary.refresh_glossary` runs the refresh.
"""

from glossary.load import read_glossary
from glossary.model import Concept, Glossary, GlossaryError, Platform, Term


__all__ = ["Concept", "Glossary", "GlossaryError", "Platform", "Term", "read_glossary"]
