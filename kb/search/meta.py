"""Filter tokens: what the index stores next to each wording and the query narrows by (platform, document,
type, locale, month, current)."""

from __future__ import annotations


def _tag(kind: str, value: str) -> str:
    """A filter token: ``kind`` + ``z`` + hex of the lower-cased value + ``z`` (one token for unicode61,
    and for trigram a substring found only there)."""
    return f"{kind}z{(value or '').lower().encode('utf-8').hex()}z"


def document_meta(document_id: str, doc_type: str | None, locale: str | None) -> str:
    """The filter tokens of a document: its platform, id, type and locale (and the locale's language)."""
    tokens = [_tag("p", document_id.split("/", 1)[0]), _tag("d", document_id), _tag("t", doc_type or "")]
    if locale:
        tokens += [_tag("l", locale), _tag("l", locale.split("-", 1)[0])]
    return " ".join(tokens)


#: The token of a wording that the current version has (``_tag("c", "1")``).
CURRENT_TOKEN = "cz31z"
