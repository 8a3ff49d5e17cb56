"""A section's text is a span of its version's text (migration 0800): finding the spans, and reading the
texts of many sections at once.

``section_spans`` stores a section that is a slice of its version's text as ``start`` and ``length``
(bytes of its UTF-8, from 0: SQLite slices a blob in place, but counts a text's characters from its start,
ten times slower on a long page) and ``text_markdown`` null; a section that is not a slice keeps its text.
The view ``sections`` gives every section its text (:data:`TEXT_SQL`), but it reads the whole version text
for each row (about 5 ms for a version of 65 sections of the N = 100 KB of ``bench/storage.py``): a reader
of many sections selects the span columns (``pipeline.sqlrows.SECTION_SPAN_COLUMNS``) and slices each version's text once, in
Python (:func:`pipeline.sqlrows.fill_section_texts`, about 2 ms; there because ``glossary`` reads sections too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

#: A section's text in SQL, from its span (``s``, a ``section_spans`` row) and its version (``v``).
TEXT_SQL = "coalesce({s}.text_markdown, cast(substr(cast({v}.text_markdown as blob), {s}.start + 1, {s}.length) as text))"


def spans(text: str | None, sections: Iterable[dict]) -> Iterator[dict]:
    """Each section row (a dict with ``text_markdown``, in the order of the text) with its span: ``start`` and
    ``length`` (UTF-8 bytes) set and ``text_markdown`` None where the section is the next slice of ``text``,
    else its own text kept and no span. (A UTF-8 sequence found in UTF-8 starts and ends at characters.)"""
    data = text.encode() if text is not None else None
    at = 0
    for row in sections:
        own = row.get("text_markdown")
        piece = own.encode() if own else b""
        found = data.find(piece, at) if data is not None and piece else -1
        if found >= 0:
            at = found + len(piece)
            yield {**row, "text_markdown": None, "start": found, "length": len(piece)}
        else:
            yield {**row, "start": None, "length": None}


def stored(rows: Iterable[dict], observed_at: str | None) -> Iterator[dict]:
    """Section rows (of one version, first seen at ``observed_at``) as ``section_spans`` stores them: ``id`` None
    when it is the usual ``version_id#key``, ``changed_version_id`` and ``changed_at`` None when they are that
    version and ``observed_at`` (the section changed in it), '' for a null (the view ``sections`` gives each
    back: ``pipeline.sqlrows.SECTION_ID_SQL``, migration 0800's ``CHANGED_VERSION_SQL`` and ``CHANGED_AT_SQL``)."""
    for row in rows:
        out = dict(row)
        if out.get("id") == f"{out.get('version_id')}#{out.get('key')}":
            out["id"] = None
        for column, own in (("changed_version_id", out.get("version_id")), ("changed_at", observed_at)):
            if column in out:
                out[column] = "" if out[column] is None else None if out[column] == own else out[column]
        yield out
