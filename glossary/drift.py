"""Term drift: when a platform stops using a term in a document, and what took its place.

For every platform term, each version of each of the platform's documents in
the term's language is searched (see :mod:`glossary.match`). Where a version
that uses the term is followed by one that does not, a ``glossary_drift`` row
records the document, the last version with the term and the first without it
(with their dates), and, where the diff shows it, the replacement: the old and
new versions are aligned token by token (``difflib.SequenceMatcher`` from the
standard library, on the same normalized tokens the matcher uses, so "a Policy
Warning" → "an Account Warning" aligns on "Warning"); the new-side text that
each old occurrence maps to is the replacement, and the most frequent one is
kept with its count. A term that vanishes because its whole passage was
deleted has no replacement.

The row also says whether the platform still uses the term in another current
document (``still_used_in``): a rename in one page is often not yet a rename
everywhere.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from difflib import SequenceMatcher

from glossary.evidence import _rows, load_platforms
from glossary.match import TokenIndex, Tokens, plain_text, term_tokens
from glossary.model import GENERAL, locale_lang

_EDGE_WORDS = {"a", "an", "the", "your", "our", "their", "its", "this", "that", "these", "those", "to", "of", "and",
               "or", "any", "each", "new", "的", "了"}
MAX_EXTRA_TOKENS = 4  # a replacement longer than the term by more than this is a rewrite, not a new name


def _map_range(opcodes, start: int, end: int) -> tuple[int, int]:
    """Map an old token range through SequenceMatcher opcodes to the new text's token range."""
    new_start = new_end = None
    for tag, i1, i2, j1, j2 in opcodes:
        if new_start is None and i1 <= start < i2:
            new_start = j1 + (start - i1) if tag == "equal" else j1
        if i1 <= end - 1 < i2:
            new_end = j1 + (end - 1 - i1) + 1 if tag == "equal" else j2
            break
    return (new_start or 0), (new_end if new_end is not None else new_start or 0)


def _replacement(old: TokenIndex, new: TokenIndex, hits, term_len: int):
    """The new-side text for each occurrence of the term in ``old`` (None where nothing took its place)."""
    opcodes = SequenceMatcher(None, old.norms, new.norms, autojunk=False).get_opcodes()
    found = []
    for start, end in hits:
        a, b = _map_range(opcodes, start, end)
        while a < b and new.norms[a] in _EDGE_WORDS:
            a += 1
        while b > a and new.norms[b - 1] in _EDGE_WORDS:
            b -= 1
        if b <= a or (b - a) > term_len + MAX_EXTRA_TOKENS:
            found.append((None, None))
            continue
        s, e = new.span(a, b)
        found.append((" ".join(new.text[s:e].split()), new.snippet(a, b)))
    return found


def _document_drift(d, history, terms, by_tokens, evidence):
    """The drift rows of one document: each term that a version uses and the next one no longer does."""
    indexes: dict[tuple, TokenIndex] = {}
    cut: dict[str, Tokens] = {}  # a version's plain text, cut once for both case rules

    def index(v, language, case_sensitive):
        key = (v["id"], language, case_sensitive)
        if key not in indexes:
            if v["id"] not in cut:
                cut[v["id"]] = Tokens(plain_text(v["text_markdown"]))
            tokens = cut[v["id"]]
            indexes[key] = TokenIndex(tokens.text, language, case_sensitive, tokens=tokens)
        return indexes[key]

    for t in terms:
        seq = term_tokens(t["term"], t["language"], bool(t["case_sensitive"]))
        for before, after in zip(history, history[1:]):
            old = index(before, t["language"], bool(t["case_sensitive"]))
            hits = old.find(seq)
            if not hits:
                continue
            new = index(after, t["language"], bool(t["case_sensitive"]))
            if new.find(seq):
                continue
            replacements = _replacement(old, new, hits, len(seq))
            counted = Counter(r for r, _ in replacements if r)
            replaced_by, count = counted.most_common(1)[0] if counted else (None, 0)
            example_after = next((snip for r, snip in replacements if r == replaced_by and snip), None)
            named = by_tokens.get((t["language"], term_tokens(replaced_by, t["language"]))) if replaced_by else None
            named = sorted(named or [], key=lambda x: (x["platform"] != t["platform"], x["id"]))
            yield {
                "term_id": t["id"], "concept_id": t["concept_id"], "kb_platform_id": d["platform_id"],
                "document_id": d["id"], "last_seen_version_id": before["id"], "last_seen_at": before["observed_at"],
                "gone_version_id": after["id"], "gone_at": after["observed_at"], "occurrences_before": len(hits),
                "replaced_by": replaced_by, "replaced_by_count": count,
                "replaced_by_term_id": named[0]["id"] if named else None,
                "replaced_by_concept_id": named[0]["concept_id"] if named else None,
                "still_used_in": json.dumps(sorted(evidence[t["id"]] - {d["id"]})),
                "example_before": old.snippet(*hits[0]), "example_after": example_after,
            }


def drift_rows(conn, changed_documents=None):
    """Term drift from every document's version history: the rows of ``glossary_drift``.

    :param conn: the KB (``sqlite3.Connection``) with the glossary loaded and evidence refreshed
    :param changed_documents: ``{document id: seq}``: only these documents' histories changed (with the same
        glossary), by versions after ``seq`` (0: the whole history is new); only the steps to those versions are
        searched, and ``still_used_in`` is re-read from the evidence for every row. None recomputes all.
    :returns: ``(rows, evidence)``: the drift rows, and ``{term id: {document ids with evidence}}`` (for
        ``still_used_in``)
    """
    platforms = load_platforms(conn)
    terms = _rows(conn, """select id, concept_id, platform, language, term, case_sensitive from glossary_terms
                           where platform != ?""", [GENERAL])
    only = sorted(changed_documents) if changed_documents is not None else None
    since = changed_documents or {}
    docs = [d for d in _rows(conn, "select id, platform_id, locale, state from documents order by id")
            if only is None or d["id"] in changed_documents]
    evidence = defaultdict(set)
    for r in _rows(conn, "select term_id, document_id from glossary_evidence"):
        evidence[r["term_id"]].add(r["document_id"])
    by_tokens = defaultdict(list)  # (language, tokens) → terms, to name a replacement that is itself a term
    for t in _rows(conn, "select id, concept_id, platform, language, term from glossary_terms"):
        by_tokens[(t["language"], term_tokens(t["term"], t["language"]))].append(t)
    rows = []
    for d in docs:  # one document's history in memory at a time
        term_scope = [t for t in terms if platforms.get(t["platform"]) and platforms[t["platform"]].covers(
            d["platform_id"]) and locale_lang(d["locale"]) == t["language"]]
        if not term_scope:
            continue
        history = _rows(conn, "select id, seq, observed_at, text_markdown from versions where document_id = ?"
                              " and seq >= ? order by seq", [d["id"], since.get(d["id"], 0)])
        if len(history) >= 2:
            rows.extend(_document_drift(d, history, term_scope, by_tokens, evidence))
    return rows, evidence
