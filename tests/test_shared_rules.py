"""Shared rules live once: a scan of the source for copies, and the shared helpers themselves.

Each rule has one owner module; a literal that only a copy of the rule would
hold (a CJK block's code point, a ``utm_`` tracking list, the ISO time
format, a warcio writer, a stale constant, a Markdown → plain text function)
fails the scan anywhere else. Tests and benchmarks are not scanned.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("spiders", "pipeline", "kb", "glossary", "datasette_plugins", "replay")

#: rule → (what a copy looks like, the one module that owns it)
RULES = {
    "CJK block": (re.compile(r"\\u(?:0e00|3040|3400|4e00|ac00|f900|ff00|3000-)|0x(?:3040|3400|4e00|ac00|f900)\b",
                             re.IGNORECASE), "pipeline/text.py"),
    "tracking parameters": (re.compile(r"[\"']utm_"), "pipeline/normalize.py"),
    "ISO time format": (re.compile(r"%Y-%m-%dT%H:%M:%SZ"), "pipeline/timeutil.py"),
    "WARC writer": (re.compile(r"warcio\.warcwriter|\bWARCWriter\b"), "pipeline/archive.py"),
    "stale rule": (re.compile(r"^\s*(?:STALE_\w+|DEFAULT_INTERVAL)\s*=", re.M), "pipeline/timeutil.py"),
    "Markdown to plain text": (re.compile(r"^\s*def (?:_?plain_text|_plain)\(", re.M), "pipeline/text.py"),
}

#: Copies in modules being moved right now (kb/cite.py and kb/search.py become the packages kb/cite/ and
#: kb/search/; kb/ops/watch.py is being reshaped): to be replaced by imports, then removed from this set.
#: Each entry is (path prefix, rule); a prefix also covers the package the module becomes.
ALLOWED_FOR_NOW: set = set()  # every copy that the redesign found is gone


def _sources():
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _copies():
    found = []
    for rel, text in _sources():
        for rule, (pattern, owner) in RULES.items():
            if rel == owner or any(rel.startswith(prefix) and r == rule for prefix, r in ALLOWED_FOR_NOW):
                continue
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{rel}:{line}: {rule} ({m.group().strip()!r}) belongs in {owner}: import it")
    return found


def test_no_shared_rule_is_copied():
    assert _copies() == []


def test_every_owner_holds_its_rule():
    """The scan means something only if each owner does hold what the others may not."""
    for rule, (pattern, owner) in RULES.items():
        assert pattern.search((ROOT / owner).read_text(encoding="utf-8")), f"{owner} no longer holds the {rule}"


# --- the helpers ----------------------------------------------------------------------

def test_script_groups():
    from pipeline.text import CJK, CJK_WIDE, UNSPACED, is_cjk

    assert all(is_cjk(ch) for ch in "申诉ひらがなカタカナ한국어丽")  # 丽 U+4E3D; 﨑 below is a compatibility ideograph
    assert is_cjk("\ufa11") and not any(is_cjk(ch) for ch in "aé1 。，ไทย")
    assert re.fullmatch(f"[{UNSPACED}]+", "ไทยລາວខ្មែរ申诉") and not re.search(f"[{CJK}]", "ไทย")
    assert re.fullmatch(f"[{CJK_WIDE}]+", "申诉。，（）ア") and not re.search(f"[{CJK_WIDE}]", "한")


@pytest.mark.parametrize("markdown, plain", [
    ("## Appeals\n\nSee [the policy](https://x.test/p_(a) \"t\") **now**.", "Appeals\n\nSee the policy now."),
    ("| a | b |\n|---|---|\n| 1 | 2 |", "| a | b |\n\n| 1 | 2 |"),
    ("", ""),
])
def test_plain_text(markdown, plain):
    from pipeline.text import plain_text

    assert plain_text(markdown) == plain
    assert plain_text(markdown, collapse_space=True) == " ".join(plain.split())


def test_tracking_parameters():
    from pipeline.normalize import clean_url, is_tracking
    from pipeline.normalize import canonical_url

    assert is_tracking("UTM_source") and is_tracking("gclid") and not is_tracking("id")
    assert not is_tracking("from") and is_tracking("from", arrival=True)
    assert clean_url("/p?id=3&utm_medium=x&from=nav") == "/p?id=3&from=nav"  # versions keep "where from"
    assert canonical_url("https://X.test/p?id=3&utm_medium=x&from=nav&sid=1#top") == "https://x.test/p?id=3"


def test_stale_rule():
    from pipeline.timeutil import STALE_HOURS, is_stale, parse_iso

    now = parse_iso("2026-07-03T00:00:00Z")
    assert STALE_HOURS == 48
    assert not is_stale("2026-07-01T00:00:00Z", now) and is_stale("2026-06-30T23:59:59Z", now)
    assert is_stale(None, now) and is_stale("2026-07-02T11:00:00Z", now, interval=6 * 3600)
