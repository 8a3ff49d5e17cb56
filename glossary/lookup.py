"""Look-up from any language, exact or fuzzy, and the read queries behind the glossary page.

Plain functions over a ``sqlite3.Connection`` (the KB with the glossary
loaded), used by ``policykb term`` and by the Datasette plugin alike, so the
command and the page answer from the same queries.

Fuzzy matching is rapidfuzz's ``WRatio`` (a weighted mix of whole-string,
partial and token-order ratios; see :func:`similarity`) on NFKC-normalized,
case-folded text, which treats "Counterfiet Notice" as "Counterfeit Notice"
and works the same on Chinese or Japanese characters. An exact match scores 100; when
there is one, only concepts scoring 90 or more are returned, so a word that
two concepts share (eBay's "case" and Amazon's "case") brings back both, and
loose fuzzy neighbours do not crowd them.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata

from rapidfuzz import fuzz, process

from glossary.model import GENERAL, LANGUAGE_NAMES, normalize
from pipeline.sqlrows import rows as _rows

DEFAULT_LIMIT = 5
DEFAULT_CUTOFF = 75.0
EXACT_NEIGHBOURS = 90.0


def _unaccented(word: str) -> str:
    """A word without its diacritics and punctuation (Sao Quả Tạ → sao qua ta, "(wfs)" → wfs), for comparing words."""
    return "".join(ch for ch in unicodedata.normalize("NFD", word)
                   if unicodedata.category(ch) != "Mn" and (ch.isalnum() or ch == "-"))


def similarity(query: str, choice: str, **kwargs) -> float:
    """Similarity of two normalized strings, 0-100.

    ``WRatio`` when the choice is at least as long as the query (a partial query such as "counterfeit"
    finds "counterfeit complaint"), plain ``ratio`` when it is shorter: otherwise a short term inside a
    longer query (假货 in 假货投诉) would outrank the near-miss the user meant. Two exceptions for a
    shorter choice written with spaces, where whole words say more than characters: the same words in
    another order ("reimbursement for lost or damaged inventory" for "lost or damaged inventory
    reimbursement") score ``token_sort_ratio``; and a choice whose words all occur, in order, as whole
    words of the query ("account health" in "Account Health page") scores at least 90 for two words or
    more and 88 for one long word (eight letters or more: "qualifications", never "case"), plus up to 9
    for the share of the query it covers, so the longest contained term wins; always below an exact match.
    And a query of several words scores less the fewer of its words the (longer) choice has, give or take
    a typo, so "Buy Box" does not find "offers to buy or sell outside of eBay" through "buy" alone.
    """
    if len(choice) >= len(query):
        score = fuzz.WRatio(query, choice, **kwargs)
        query_words = query.split()
        if len(query_words) > 1:  # every word of the query should be in the choice, give or take a typo or accent
            choice_words = [_unaccented(c) for c in choice.split()]
            found = sum(1 for w in map(_unaccented, query_words) if max(fuzz.ratio(w, c) for c in choice_words) >= 80)
            score *= 0.5 + 0.5 * found / len(query_words)
        return score
    score = fuzz.ratio(query, choice, **kwargs)
    words, query_words = choice.split(), query.split()
    if len(query_words) > 1:
        score = max(score, fuzz.token_sort_ratio(query, choice, **kwargs))
        n = len(words)
        if any(query_words[i:i + n] == words for i in range(len(query_words) - n + 1)) and (
                n > 1 or (len(choice) >= 8 and choice.isalpha())):
            score = max(score, (90.0 if n > 1 else 88.0) + 9.0 * len(choice) / len(query))
    return score


def has_glossary(conn) -> bool:
    """Whether the KB has the glossary tables and any concept in them."""
    try:
        return bool(conn.execute("select count(*) from glossary_concepts").fetchone()[0])
    except sqlite3.OperationalError:
        return False


_TERMS_SQL = """
    select t.*, coalesce(p.ordinal, 999) as platform_ordinal, p.name as platform_name, p.name_zh as platform_name_zh,
           s.sourcing, s.source_title, s.source_quote, s.source_read
    from glossary_terms t left join glossary_platforms p on p.id = t.platform
    left join glossary_term_sources s on s.term_id = t.id
"""


def _term_order(t: dict) -> tuple:
    lang = t["language"]
    return (t["platform_ordinal"], 0 if lang == "en" else 1 if lang.startswith("zh") else 2, lang, t["ordinal"])


_NOT_FOUND_NOTE = re.compile(r"^not found in the (\d+) tracked (.+?) document\(s\) of .*$")


def _general_note(t: dict) -> dict:
    """"general" is no platform: its terms are the generic words, looked for in every platform's documents, so
    its flag says "of any platform" (the stored note, written when the flag was computed, names it as one)."""
    if t.get("platform") == GENERAL and t.get("attestation") == "not_found" and t.get("attestation_note"):
        m = _NOT_FOUND_NOTE.match(t["attestation_note"])
        if m:
            t["attestation_note"] = f"not found in any of the {m.group(1)} tracked {m.group(2)} document(s), " \
                                    "of every platform (a generic word, not a platform's)"
    return t


def concept_terms(conn, concept_ids: list[str]) -> dict[str, list[dict]]:
    """Every term of the given concepts, per concept, platforms in glossary order."""
    if not concept_ids:
        return {}
    marks = ",".join("?" * len(concept_ids))
    out: dict[str, list[dict]] = {c: [] for c in concept_ids}
    for t in _rows(conn, _TERMS_SQL + f" where t.concept_id in ({marks})", concept_ids):
        out[t["concept_id"]].append(_general_note(t))
    for terms in out.values():
        terms.sort(key=_term_order)
    return out


def lookup(conn, query: str, limit: int = DEFAULT_LIMIT, cutoff: float = DEFAULT_CUTOFF) -> dict:
    """Concepts matching ``query`` in any language, best first, each with every platform's terms.

    :param conn: the KB
    :param query: a term in any language ("Counterfeit Notice", "假货投诉", "注文不良率"), misspellings welcome,
        or the new wording of a renamed term (term drift: "Account Warning" finds the concept of "Policy Warning")
    :param limit: at most this many concepts
    :param cutoff: lowest fuzzy score (0-100) to accept
    :returns: ``{"query", "matches": [{"concept_id", "label", "label_zh", "definition", "score",
              "matched", "terms": [term rows]}]}``
    """
    q = normalize(query)
    concepts = {c["id"]: c for c in _rows(conn, "select * from glossary_concepts")}
    choices: list[tuple[str, str, str, bool]] = []  # (normalized text, concept id, what matched, false friend)
    for t in _rows(conn, "select concept_id, term, equivalence from glossary_terms"):
        choices.append((normalize(t["term"]), t["concept_id"], t["term"], t["equivalence"] == "false-friend"))
    for c in concepts.values():
        choices.append((normalize(c["id"].replace("-", " ")), c["id"], c["id"], False))
    # Both directions of a rename: the wording a platform put in place of a term (term drift) finds the concept.
    for d in _drift_replacements(conn):
        choices.append((normalize(d["replaced_by"]), d["concept_id"], f"{d['replaced_by']} (replaced {d['term']!r})",
                        False))
    best: dict[str, tuple[float, str, bool]] = {}
    if q:
        texts = [c[0] for c in choices]
        for _, value, i in process.extract(q, texts, scorer=similarity, limit=None, score_cutoff=cutoff):
            text, cid, shown, false_friend = choices[i]
            value = 100.0 if text == q else min(float(value), 99.9)
            old = best.get(cid, (-1, "", True))
            if value > old[0] or (value == old[0] and old[2] and not false_friend):
                best[cid] = (value, shown, false_friend)
    # Best first; at equal scores a concept the word really names comes before one it is a false friend of.
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[1][2], concepts[kv[0]]["ordinal"]))
    if ranked and ranked[0][1][0] == 100.0:
        ranked = [kv for kv in ranked if kv[1][0] >= EXACT_NEIGHBOURS]
    ranked = ranked[:limit]
    terms = concept_terms(conn, [cid for cid, _ in ranked])
    matches = []
    for cid, (score, shown, _) in ranked:
        c = concepts[cid]
        matches.append({"concept_id": cid, "label": c["label"], "label_zh": c["label_zh"],
                        "definition": c["definition"], "subject_field": c["subject_field"],
                        "gloss_formal": c["gloss_formal"], "gloss_plain": c["gloss_plain"], "note": c["note"],
                        "score": round(score, 1), "matched": shown, "terms": terms[cid],
                        "renamed": renames(conn, cid)})
    return {"query": query, "matches": matches}


def renames(conn, concept_id: str) -> list[dict]:
    """The concept's terms that a document replaced (term drift), both ways of a look-up: ``[{"term",
    "replaced_by", "document_id", "since"}]``, latest first; a term dropped with nothing in its place is left out."""
    try:
        rows = drift(conn, concept_id)
    except sqlite3.OperationalError:  # a KB from before the glossary tables
        return []
    return [{"term": r["term"], "replaced_by": r["replaced_by"], "document_id": r["document_id"],
             "since": (r["gone_at"] or "")[:10]} for r in rows if r["replaced_by"]]


def _drift_replacements(conn) -> list[dict]:
    try:
        return _rows(conn, """select distinct d.concept_id, d.replaced_by, t.term from glossary_drift d
                              join glossary_terms t on t.id = d.term_id
                              where d.replaced_by is not null and d.replaced_by != ''""")
    except sqlite3.OperationalError:  # a KB from before the glossary tables
        return []


JSON_TERM_KEYS = ("platform", "language", "term", "equivalence", "status", "evidence_count", "sourcing", "source_url",
                  "source_document")


def as_json(result: dict) -> dict:
    """The public JSON shape of a look-up: ``{"query", "matches": [{"concept_id", "label", "score", "renamed",
    "terms"}]}``."""
    return {"query": result["query"], "matches": [
        {"concept_id": m["concept_id"], "label": m["label"], "score": m["score"], "renamed": m.get("renamed", []),
         "terms": [{k: t[k] for k in JSON_TERM_KEYS} for t in m["terms"]]}
        for m in result["matches"]]}


def unattested(conn, include_no_documents: bool = True) -> list[dict]:
    """Terms without evidence: ``not_found`` first (the platform's documents are tracked), then ``no_documents``."""
    sql = _TERMS_SQL + """, glossary_concepts c where c.id = t.concept_id and t.attestation != 'attested'"""
    if not include_no_documents:
        sql += " and t.attestation = 'not_found'"
    rows = [_general_note(t) for t in _rows(conn, sql.replace("select t.*", "select t.*, c.label as concept_label", 1))]
    rows.sort(key=lambda t: (t["attestation"] != "not_found", t["platform_ordinal"], t["concept_id"], t["language"]))
    return rows


def platforms(conn) -> list[dict]:
    """Glossary platforms in order, each with how many terms it has and how many are attested."""
    return _rows(conn, """
        select p.*, count(t.id) as terms, sum(t.attestation = 'attested') as attested,
               sum(t.attestation = 'not_found') as not_found, sum(t.attestation = 'no_documents') as no_documents
        from glossary_platforms p left join glossary_terms t on t.platform = p.id
        group by p.id order by p.ordinal""")


def matrix(conn, language: str | None = None) -> dict:
    """The concept × platform matrix: concepts by subject field, and per concept the terms of each platform.

    :param language: only terms in this language (``en``, ``zh-Hans``, ``ja``, ...); None for all
    """
    concepts = _rows(conn, "select * from glossary_concepts order by ordinal")
    terms = concept_terms(conn, [c["id"] for c in concepts])
    plats = platforms(conn)
    for c in concepts:
        cells: dict[str, list[dict]] = {}
        for t in terms[c["id"]]:
            if language and t["language"] != language:
                continue
            cells.setdefault(t["platform"], []).append(t)
        c["cells"] = cells
    return {"platforms": plats, "concepts": concepts, "languages": languages(conn)}


def coverage(conn) -> dict:
    """Sourcing per concept × real platform, from the KB: ``{"sourced", "cells", "by_platform": [{platform,
    sourced, unsourced}]}``; a cell is sourced when one of its terms has a KB document or a cited page."""
    rows = _rows(conn, """
        select t.concept_id, t.platform, max(s.sourcing in ('document', 'page')) as sourced
        from glossary_terms t join glossary_platforms p on p.id = t.platform
        left join glossary_term_sources s on s.term_id = t.id
        where p.demo = 0 and t.platform != 'general' group by t.concept_id, t.platform""")
    by = {}
    for r in rows:
        b = by.setdefault(r["platform"], {"platform": r["platform"], "sourced": 0, "unsourced": 0})
        b["sourced" if r["sourced"] else "unsourced"] += 1
    order = {p["id"]: p["ordinal"] for p in _rows(conn, "select id, ordinal from glossary_platforms")}
    return {"cells": len(rows), "sourced": sum(1 for r in rows if r["sourced"]),
            "by_platform": sorted(by.values(), key=lambda b: order.get(b["platform"], 999))}


def languages(conn) -> list[dict]:
    rows = _rows(conn, "select language, count(*) as terms from glossary_terms group by language")
    rows.sort(key=lambda r: (r["language"] != "en", not r["language"].startswith("zh"), r["language"]))
    for r in rows:
        r["name"], r["name_zh"] = LANGUAGE_NAMES.get(r["language"], (r["language"], r["language"]))
    return rows


def concept(conn, concept_id: str) -> dict | None:
    """One concept with its terms, each term with its evidence, plus the drift of its terms."""
    rows = _rows(conn, "select * from glossary_concepts where id = ?", [concept_id])
    if not rows:
        return None
    c = rows[0]
    c["terms"] = concept_terms(conn, [concept_id])[concept_id]
    evidence: dict[str, list[dict]] = {}
    for e in _rows(conn, """select e.* from glossary_evidence e join glossary_terms t on t.id = e.term_id
                            where t.concept_id = ? order by e.document_id, e.section_id""", [concept_id]):
        evidence.setdefault(e["term_id"], []).append(e)
    for t in c["terms"]:
        t["evidence"] = evidence.get(t["id"], [])
    c["drift"] = drift(conn, concept_id)
    return c


def drift(conn, concept_id: str | None = None) -> list[dict]:
    """Term drift rows (latest first), with the term and its concept."""
    sql = """select d.*, t.term, t.platform, t.language, c.label as concept_label
             from glossary_drift d join glossary_terms t on t.id = d.term_id
             join glossary_concepts c on c.id = d.concept_id"""
    params = []
    if concept_id:
        sql += " where d.concept_id = ?"
        params.append(concept_id)
    rows = _rows(conn, sql + " order by d.gone_at desc, d.document_id", params)
    for r in rows:
        r["still_used_in"] = json.loads(r["still_used_in"] or "[]")
    return rows


def candidates(conn, limit: int = 200) -> list[dict]:
    return _rows(conn, """select * from glossary_candidates order by kb_platform_id, occurrences desc, candidate
                          limit ?""", [limit])


__all__ = ["GENERAL", "as_json", "candidates", "concept", "coverage", "drift", "has_glossary", "lookup", "matrix", "platforms",
           "renames", "unattested"]


def _json_list(value) -> list:
    if not value:
        return []
    try:
        loaded = json.loads(value)
    except (TypeError, ValueError):
        return str(value).split()
    return list(loaded) if isinstance(loaded, list) else [str(loaded)]


def glossary_from_db(conn):
    """The glossary as the KB holds it (``glossary_platforms``, ``_concepts``, ``_terms``), as a model.

    What ``policykb glossary export`` writes: the glossary the KB was built with, whatever the data files
    say now. Evidence and drift stay in the KB (no TBX data category for them).
    """
    from glossary.model import Concept, Glossary, Platform, Term

    glossary = Glossary()
    for p in _rows(conn, "select * from glossary_platforms order by ordinal"):
        glossary.platforms[p["id"]] = Platform(
            id=p["id"], name=p["name"] or p["id"], name_zh=p["name_zh"] or "", homepage=p["homepage"] or "",
            kb=_json_list(p["kb_platforms"]), languages=_json_list(p["languages"]), demo=bool(p["demo"]))
    concepts = {}
    for c in _rows(conn, "select * from glossary_concepts order by ordinal"):
        concepts[c["id"]] = Concept(
            id=c["id"], label=c["label"], definition=c["definition"] or "", subject_field=c["subject_field"] or "",
            label_zh=c["label_zh"], gloss_formal=c["gloss_formal"] or "", gloss_plain=c["gloss_plain"] or "",
            note=c["note"] or "", source_file=c["source_file"] or "")
        glossary.concepts.append(concepts[c["id"]])
    try:  # where each term's wording comes from (a KB from before the table has none)
        cited = {r["term_id"]: r for r in _rows(conn, "select * from glossary_term_sources")}
    except sqlite3.OperationalError:
        cited = {}
    for t in _rows(conn, "select * from glossary_terms where not is_label order by concept_id, ordinal"):
        source = cited.get(t["id"]) or {}
        concept = concepts.get(t["concept_id"])
        if concept is None:
            continue
        concept.terms.append(Term(
            term=t["term"], platform=t["platform"], language=t["language"], status=t["status"] or "preferred",
            equivalence=t["equivalence"] or "exact", note=t["note"] or "", definition=t["definition"] or "",
            source_url=t["source_url"] or "", source_document=t["source_document"] or "",
            source_section=t["source_section"] or "", gloss_formal=t["gloss_formal"] or "",
            gloss_plain=t["gloss_plain"] or "", case_sensitive=bool(t["case_sensitive"]),
            source_title=source.get("source_title") or "", source_quote=source.get("source_quote") or "",
            source_read=source.get("source_read") or ""))
    return glossary
