"""Normalize extracted Markdown so that page noise does not count as change.

The normalized text is what is versioned and hashed; the raw bytes stay in the
WARC. Rules here are global; declarations remove page-specific noise with
``remove`` selectors before this stage.
"""

import hashlib
import re
import unicodedata

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
SPACES_RE = re.compile(r"[ \t\u00a0\u3000\u2000-\u200a\u202f\u205f]+")
BLANKS_RE = re.compile(r"\n{3,}")


def normalize_text(markdown: str) -> str:
    """Canonical form of extracted Markdown: NFC, no zero-width characters,
    single spaces, no trailing spaces, at most one blank line in a row,
    a final newline.
    """
    text = unicodedata.normalize("NFC", markdown).translate(ZERO_WIDTH)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [SPACES_RE.sub(" ", line).strip() for line in text.split("\n")]
    text = BLANKS_RE.sub("\n\n", "\n".join(lines)).strip()
    return text + "\n" if text else ""


def content_hash(text: str) -> str:
    """SHA-256 of the normalized text: decides whether a page changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
