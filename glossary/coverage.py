"""Where the glossary's wording comes from: the coverage table and the source problems ``glossary check`` reports.

Every platform term says where its wording comes from (see
:attr:`glossary.model.Term.sourcing`): a tracked document of the KB
(``source: platform/document#section``), a cited page of the platform
(``cite: {url, title, quote, read}``), or nothing, and then it is
*unsourced*. This module reads a validated glossary and reports:

* the coverage table: per concept and per real platform, ``sourced`` (at
  least one term of the platform has a source), ``unsourced`` (terms, none
  with a source) or ``none`` (no term: the platform may not have the thing);
* the problems: unsourced terms, citations that lack a title, quote or date,
  a quote that does not use the term, a KB document that is not declared,
  and a cited page that is not a declared document (so its wording is not
  tracked: a change of the page would go unnoticed).

Pure functions: the declarations are passed in (:func:`declared_documents`
reads them with :func:`pipeline.sources.load_sources`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from glossary.match import term_tokens, tokenize
from glossary.model import GENERAL, Glossary, Term

SOURCED, UNSOURCED, NONE = "sourced", "unsourced", "none"
MARKS = {SOURCED: "S", UNSOURCED: "u", NONE: "·"}

#: Problem kinds, most serious first, with the one-line explanation `glossary check` prints.
KINDS = {
    "unsourced": "no source: neither a KB document nor a cited page 无出处",
    "incomplete-citation": "the page is given without title, quote and date read 引用不完整",
    "quote-lacks-term": "the quoted sentence does not use the term 引文中没有该术语",
    "undeclared-document": "source names a KB document that no declaration has 出处文件未声明",
    "page-not-tracked": "the cited page is not a declared document, so changes to it go unnoticed 引用页面未被跟踪",
}


@dataclass
class Problem:
    kind: str
    concept_id: str
    platform: str
    language: str
    term: str
    detail: str = ""


def _url_key(url: str) -> str:
    """A URL as compared with the declarations: host without ``www.`` and path without a trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


def declared_documents(sources_dir=None) -> tuple[set[str], set[str]]:
    """The declared documents: (KB document ids ``platform/document``, page keys of their URLs).

    :param sources_dir: folder of declarations (default ``spiders/sources``); the bundled demo's
        declarations (``demo/``) are read too, as the demo platforms' terms name its documents
    """
    from pathlib import Path

    from pipeline.sources import DEFAULT_SOURCES, load_sources

    folder = Path(sources_dir) if sources_dir else DEFAULT_SOURCES
    platforms = list(load_sources(folder))
    if (folder / "demo").is_dir():
        platforms += load_sources(folder / "demo")
    ids, pages = set(), set()
    for p in platforms:
        for d in p.documents:
            ids.add(d.key)
            pages.add(_url_key(d.url))
    return ids, pages


def _quote_uses(term: Term) -> bool:
    seq = term_tokens(term.term, term.language, term.case_sensitive)
    if not seq:
        return True
    norms = [t for t, _, _ in tokenize(term.source_quote, term.language, term.case_sensitive)]
    n = len(seq)
    return any(tuple(norms[i:i + n]) == seq for i in range(len(norms) - n + 1))


def problems(glossary: Glossary, declared: tuple[set[str], set[str]] | None = None) -> list[Problem]:
    """The source problems of every platform term (the ``general`` words need no source).

    :param declared: :func:`declared_documents`; None skips the checks against the declarations
    """
    out = []
    for c in glossary.concepts:
        for t in c.terms:
            if t.platform == GENERAL:
                continue

            def add(kind, detail=""):
                out.append(Problem(kind, c.id, t.platform, t.language, t.term, detail))

            if t.sourcing == "unsourced":
                add("unsourced")
                continue
            if t.source_url:
                if not (t.source_title and t.source_quote and t.source_read):
                    add("incomplete-citation", t.source_url)
                elif not _quote_uses(t):
                    add("quote-lacks-term", t.source_quote)
            if declared is not None:
                ids, pages = declared
                if t.source_document and t.source_document not in ids:
                    add("undeclared-document", t.source_document)
                if t.source_url and not t.source_document and _url_key(t.source_url) not in pages:
                    add("page-not-tracked", t.source_url)
    order = list(KINDS)
    out.sort(key=lambda p: (order.index(p.kind), p.platform, p.concept_id, p.language, p.term))
    return out


def real_platforms(glossary: Glossary) -> list[str]:
    """The platforms of the coverage table: every declared platform but ``general`` and the demo ones."""
    return [p.id for p in glossary.platforms.values() if p.id != GENERAL and not p.demo]


def coverage(glossary: Glossary, platforms: list[str] | None = None) -> dict:
    """The concept × platform table of sourcing.

    :returns: ``{"platforms": [ids], "rows": [{"concept_id", "label", "cells": {platform: state}}],
              "cells": n cells with a term, "sourced": n of them sourced, "share": sourced / cells,
              "by_platform": {platform: {"sourced", "unsourced", "none"}}}``
    """
    platforms = platforms or real_platforms(glossary)
    rows, counts = [], {p: {SOURCED: 0, UNSOURCED: 0, NONE: 0} for p in platforms}
    for c in glossary.concepts:
        cells = {}
        for p in platforms:
            terms = [t for t in c.terms if t.platform == p]
            state = NONE if not terms else SOURCED if any(t.sourcing in ("document", "page") for t in terms) \
                else UNSOURCED
            cells[p] = state
            counts[p][state] += 1
        rows.append({"concept_id": c.id, "label": c.label, "subject_field": c.subject_field, "cells": cells})
    existing = sum(v[SOURCED] + v[UNSOURCED] for v in counts.values())
    sourced = sum(v[SOURCED] for v in counts.values())
    return {"platforms": platforms, "rows": rows, "cells": existing, "sourced": sourced,
            "share": sourced / existing if existing else 0.0, "by_platform": counts}
