"""Reading our YAML files (declarations, cue files, the glossary, metadata): one safe loader for all of them.

libyaml's safe loader when PyYAML was built with it (Debian's and PyPI's wheels are), PyYAML's pure-Python one
otherwise: the same documents, about ten times faster, which every command pays at its start (a crawl of 1,000
documents over 50 hosts reads 50 declarations, twice: once to plan, once in the crawler's process).
"""

from __future__ import annotations

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    """``yaml.safe_load`` with :data:`SAFE_LOADER`; raises ``yaml.YAMLError`` (with ``problem_mark``) as it does."""
    return yaml.load(text, Loader=SAFE_LOADER)
