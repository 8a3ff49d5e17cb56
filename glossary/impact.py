"""Impact by concept: which concepts each substantive change touches, section by section.

A concept's term (for the document's platform and language, found as :mod:`glossary.evidence` finds a
term's evidence, with the same matcher) in a section the change touched substantively (``change_sections``)
is a row: in the section's text after the change (``side`` ``new``) or before it (``old``). The change
**touches** the concept there (``in_change`` = 1) when the term stands in a sentence the change altered (a
sentence with inserted or deleted words, by :func:`pipeline.diff.diff_ops`, the KB's own diff); a term that
only shares the section with an altered "Last updated" line does not. The two versions the change joins are
searched, so a change keeps its concepts after later versions replace it (evidence is only kept for the
current versions). Rows go to ``change_concepts`` (written by :mod:`kb.store.impact`).

Only the KB schema is read here, never the pipeline.
"""

from __future__ import annotations

import bisect
import re

from glossary.evidence import load_platforms
from glossary.match import TokenIndex, plain_text, term_tokens
from glossary.model import locale_lang
from pipeline.diff import diff_ops
from pipeline.sqlrows import rows as _rows
from pipeline.sqlrows import version_section_texts

#: Where a sentence ends (either language), or a line.
_SENTENCE_END_RE = re.compile(r"[.!?;。！？；\n]+")


def _sentence_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _SENTENCE_END_RE.finditer(text)]


def altered_sentences(old: str, new: str) -> tuple[set[int], set[int]]:
    """The sentences (their index in each text) that a change altered: ``(in old, in new)``. A deletion
    alters the old text's sentence and the new text's sentence where it was; an insertion the reverse."""
    starts = (_sentence_starts(old), _sentence_starts(new))
    altered: tuple[set[int], set[int]] = (set(), set())
    pos = [0, 0]
    for op, text in diff_ops(old, new):
        if op == 0:
            pos = [pos[0] + len(text), pos[1] + len(text)]
            continue
        side = 0 if op < 0 else 1
        for i, (found, a, b) in enumerate(((altered[0], pos[0], pos[0] + (len(text) if side == 0 else 0)),
                                           (altered[1], pos[1], pos[1] + (len(text) if side == 1 else 0)))):
            first = bisect.bisect_right(starts[i], a) - 1
            last = bisect.bisect_right(starts[i], max(a, b - 1)) - 1
            found |= set(range(first, last + 1))
        pos[side] += len(text)
    return altered


def _texts(conn, version_id: str) -> dict[str, str]:
    """Each section's Markdown by key (made plain text only for the sections a change touched)."""
    return {r["key"]: r["text_markdown"] or "" for r in version_section_texts(conn, version_id, "s.key")}


def _terms_for(terms, platforms, kb_platform: str, language: str) -> list[dict]:
    return [t for t in terms if t["language"] == language
            and (p := platforms.get(t["platform"])) is not None and p.covers(kb_platform)]


def _change_job(conn, change: dict) -> list[tuple]:
    """The texts a change's concepts are read from: ``(key, heading, new markdown, old markdown)`` for each section
    it touched substantively (a side None where the section is not in that version)."""
    new, old = _texts(conn, change["to_version_id"]), _texts(conn, change["from_version_id"])
    return [(s["key"], s["heading"], new.get(s["key"]), old.get(s["old_key"] or s["key"]))
            for s in _rows(conn, """select key, old_key, heading from change_sections where change_id = ?
                                    and (kind is null or kind = 'substantive') order by rowid""", [change["id"]])]


#: The terms each change's job searches, by ``(KB platform, language)`` (:func:`set_terms`): set in each worker
#: process as it starts (inherited, not sent with every job).
_TERMS: dict = {}


def set_terms(terms_by_scope: dict) -> None:
    _TERMS.clear()
    _TERMS.update(terms_by_scope)


def change_rows(change: dict, scope: tuple, sections: list[tuple]) -> list[dict]:
    """One change's ``change_concepts`` rows from its sections' texts (:func:`_change_job`) and the terms of its
    ``scope`` (:func:`set_terms`): a pure function, a job a worker process can run."""
    terms = _TERMS[scope]
    firsts: dict[bool, set] = {}  # case rule → the terms' first tokens, whose positions each text is read for once
    for t in terms:
        if t["tokens"]:
            firsts.setdefault(bool(t["case_sensitive"]), set()).add(t["tokens"][0])
    out = []
    for key, heading, new_markdown, old_markdown in sections:
        sides = [(side, None if markdown is None else plain_text(markdown))
                 for side, markdown in (("new", new_markdown), ("old", old_markdown))]
        texts = [found or "" for _, found in sides]
        altered = starts = None  # diffed only when a term occurs in the section (most sections hold none)
        indexes: dict = {}  # (side, case rule) → (the text's index, positions of the terms' first tokens)
        for t in terms:
            seq = t["tokens"]
            for side, found in sides:
                if found is None:
                    continue
                index, positions = indexes.get((side, bool(t["case_sensitive"]))) or (None, None)
                if index is None:  # each text tokenized and read once per case rule, not once per term
                    index = TokenIndex(found, t["language"], bool(t["case_sensitive"]))
                    positions = index.positions_of(firsts.get(bool(t["case_sensitive"]), set()))
                    indexes[(side, bool(t["case_sensitive"]))] = (index, positions)
                at = positions.get(seq[0]) if seq else None
                hits = index.find(seq, at) if at else []
                if hits:
                    if altered is None:
                        altered = dict(zip(("old", "new"), altered_sentences(texts[1], texts[0])))
                        starts = {"new": _sentence_starts(texts[0]), "old": _sentence_starts(texts[1])}
                    touched = any(bisect.bisect_right(starts[side], index.span(*h)[0]) - 1 in altered[side]
                                  for h in hits)
                    out.append({"change_id": change["id"], "document_id": change["document_id"],
                                "section_key": key, "section_heading": heading, "concept_id": t["concept_id"],
                                "term_id": t["id"], "side": side, "occurrences": len(hits), "in_change": int(touched)})
    return out


def change_concept_jobs(conn, change_ids) -> tuple[dict, object]:
    """``(terms by scope, jobs)``: the terms to give :func:`set_terms`, and ``(change id, (change, scope,
    sections))`` for :func:`change_rows`, one per substantive change of ``change_ids`` (others have no rows), its
    texts read from the KB as the jobs are handed out."""
    platforms = load_platforms(conn)
    terms = _rows(conn, "select id, concept_id, platform, language, term, case_sensitive from glossary_terms")
    marks = ", ".join("?" * len(change_ids))
    changes = _rows(conn, f"""select c.id, c.document_id, c.from_version_id, c.to_version_id,
                                     d.platform_id, d.locale
                              from changes c join documents d on d.id = c.document_id
                              where c.kind = 'substantive' and c.id in ({marks})""", list(change_ids))
    scoped = [(change, (change["platform_id"], locale_lang(change["locale"]))) for change in changes]
    by_scope: dict = {}
    for _, scope in scoped:
        if scope not in by_scope:
            by_scope[scope] = _terms_for(terms, platforms, *scope)
            for t in by_scope[scope]:  # each term's tokens once
                if "tokens" not in t:
                    t["tokens"] = term_tokens(t["term"], t["language"], bool(t["case_sensitive"]))
    return by_scope, ((change["id"], (change, scope, _change_job(conn, change))) for change, scope in scoped)
