"""Evidence from the KB: where each term occurs in the current policies, and which terms are missing.

For every term, the current versions of its platform's documents in the
term's language are searched section by section (see :mod:`glossary.match`):
each section where the term occurs becomes a ``glossary_evidence`` row with
its count and a snippet. Documents that are gone (the page answers 404) are
not current policies and are not searched.

Each term then gets an attestation:

* ``attested``: it occurs in at least one current document;
* ``not_found``: the platform's documents in that language are tracked, and
  the term is in none of them (a flag: the word may be outdated, or wrong);
* ``no_documents``: no current document of that platform in that language is
  tracked, so nothing can be said yet (a different flag from ``not_found``).

Candidates: capitalized phrases (English) and quoted words (any language)
that occur at least twice in a platform's current documents and that no
concept's term covers, listed for a terminologist to review.

Only the KB schema is used here (``documents``, ``versions``, ``sections``,
``platforms``), never the pipeline.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from glossary.match import TokenIndex, plain_text, term_tokens
from glossary.model import LANGUAGE_NAMES, Platform, locale_lang

MIN_CANDIDATE_OCCURRENCES = 2


@dataclass
class Section:
    id: str
    key: str
    heading: str
    text: str
    _indexes: dict = field(default_factory=dict)

    def index(self, language: str, case_sensitive: bool = False) -> TokenIndex:
        key = (language, case_sensitive)
        if key not in self._indexes:
            self._indexes[key] = TokenIndex(self.text, language, case_sensitive)
        return self._indexes[key]


@dataclass
class Document:
    id: str
    platform_id: str
    title: str
    language: str
    version_id: str
    sections: list[Section]


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _rows(conn, sql, params=()):
    cur = conn.execute(sql, params)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def current_documents(conn) -> list[Document]:
    """The current version of every document that is not gone, split into its sections."""
    docs = _rows(conn, """
        select d.id, d.platform_id, d.title, d.locale, d.current_version_id, v.text_markdown
        from documents d join versions v on v.id = d.current_version_id
        where coalesce(d.state, '') != 'gone' order by d.id""")
    sections = defaultdict(list)
    if docs:
        marks = ",".join("?" * len(docs))
        for s in _rows(conn, f"""select id, version_id, key, heading, text_markdown from sections
                                 where version_id in ({marks}) order by version_id, ordinal""",
                       [d["current_version_id"] for d in docs]):
            sections[s["version_id"]].append(Section(s["id"], s["key"] or "", s["heading"] or "",
                                                     plain_text(s["text_markdown"])))
    out = []
    for d in docs:
        secs = sections.get(d["current_version_id"]) or [
            Section(d["current_version_id"] + "#", "", "", plain_text(d["text_markdown"]))]
        out.append(Document(d["id"], d["platform_id"], d["title"] or "", locale_lang(d["locale"]),
                            d["current_version_id"], secs))
    return out


def load_platforms(conn) -> dict[str, Platform]:
    """The glossary platforms as stored by :func:`glossary.load.store_glossary`."""
    out = {}
    for r in _rows(conn, "select * from glossary_platforms order by ordinal"):
        out[r["id"]] = Platform(r["id"], r["name"], r["name_zh"] or "", r["homepage"] or "",
                                json.loads(r["kb_platforms"] or "[]"), json.loads(r["languages"] or "[]"),
                                bool(r["demo"]))
    return out


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, (code, code))[0]


def refresh_evidence(db) -> dict:
    """Recompute ``glossary_evidence``, the terms' attestation and ``glossary_candidates``.

    :param db: the KB (``sqlite_utils.Database``) with the glossary loaded
    :returns: counts by attestation, and the number of evidence rows and candidates
    """
    conn = db.conn
    platforms = load_platforms(conn)
    docs = current_documents(conn)
    terms = _rows(conn, "select id, concept_id, platform, language, term, case_sensitive from glossary_terms")
    checked_at = now_iso()
    evidence_rows, updates = [], []
    for t in terms:
        platform = platforms.get(t["platform"])
        scope = [d for d in docs if platform and platform.covers(d.platform_id) and d.language == t["language"]]
        seq = term_tokens(t["term"], t["language"], bool(t["case_sensitive"]))
        total, found_docs = 0, set()
        for d in scope:
            for s in d.sections:
                index = s.index(t["language"], bool(t["case_sensitive"]))
                hits = index.find(seq)
                if not hits:
                    continue
                total += len(hits)
                found_docs.add(d.id)
                evidence_rows.append({
                    "term_id": t["id"], "kb_platform_id": d.platform_id, "document_id": d.id,
                    "version_id": d.version_id, "section_id": s.id, "section_key": s.key,
                    "section_heading": s.heading, "occurrences": len(hits), "snippet": index.snippet(*hits[0]),
                })
        updates.append({"id": t["id"], "evidence_count": total, "evidence_documents": len(found_docs),
                        "checked_at": checked_at, **_attestation(t, platform, scope, docs, total)})
    candidates = find_candidates(docs, terms, conn)
    with conn:
        db.execute("delete from glossary_evidence")
        db.execute("delete from glossary_candidates")
        db["glossary_evidence"].insert_all(evidence_rows)
        db["glossary_terms"].upsert_all(updates, pk="id")
        db["glossary_candidates"].insert_all(candidates)
    counts = Counter(u["attestation"] for u in updates)
    return {"terms": len(terms), "evidence_rows": len(evidence_rows), "candidates": len(candidates), **counts}


def _attestation(term, platform, scope, docs, total) -> dict:
    lang = language_name(term["language"])
    name = platform.name if platform else term["platform"]
    if total:
        return {"attestation": "attested", "attestation_note": None}
    if scope:
        return {"attestation": "not_found",
                "attestation_note": f"not found in the {len(scope)} tracked {lang} document(s) of {name}"}
    tracked = sorted({d.language for d in docs if platform and platform.covers(d.platform_id)})
    if tracked:
        note = f"no {lang} documents of {name} are tracked (tracked: {', '.join(map(language_name, tracked))})"
    else:
        note = f"no documents of {name} are tracked yet"
    return {"attestation": "no_documents", "attestation_note": note}


# --- candidates -------------------------------------------------------------------------------------------------

_CONNECTORS = {"of", "and", "for", "the", "to", "a", "an", "&", "on", "in", "by", "with", "or"}
_LEADING_NOISE = {"if", "when", "the", "a", "an", "this", "that", "these", "each", "any", "your", "our", "you", "we",
                  "for", "in", "to", "do", "see", "all", "some", "most", "what", "how", "why", "where", "who",
                  "it", "its", "they", "their", "be", "is", "are", "not", "no", "yes", "as", "at", "by", "on",
                  "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                  "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                  "sunday", "last", "updated", "example", "examples", "note", "also", "only", "under", "over"}
_EN_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*|[^\sA-Za-z0-9]")
_QUOTED_RE = re.compile(r"[\"“「『]([^\"“”「」『』\n]{2,40})[\"”」』]")
_INITIAL_BEFORE = set(".!?:;|#>*-•") | {"\n"}


def _capitalized_runs(text: str):
    """(phrase, is_sentence_initial) for runs of capitalized words in English text."""
    tokens = list(_EN_WORD_RE.finditer(text))
    i = 0
    while i < len(tokens):
        word = tokens[i].group()
        if not word[0].isupper():
            i += 1
            continue
        before = text[:tokens[i].start()].rstrip(" \t")
        initial = not before or before[-1] in _INITIAL_BEFORE or bool(re.search(r"(^|\s)\d+[.)]$", before))
        run, j = [word], i + 1
        while j < len(tokens):
            w = tokens[j].group()
            if w[0].isupper() and w[0].isalpha():
                run.append(w)
            elif w.lower() in _CONNECTORS and j + 1 < len(tokens) and tokens[j + 1].group()[0].isupper():
                run.append(w)
            else:
                break
            j += 1
        yield run, initial
        i = j


def _trim(run: list[str], stop: set[str]) -> list[str]:
    while run and (run[0].lower() in _LEADING_NOISE or run[0].lower() in _CONNECTORS or run[0].lower() in stop):
        run = run[1:]
    while run and (run[-1].lower() in _CONNECTORS or run[-1].lower() in stop):
        run = run[:-1]
    return run


def find_candidates(docs: list[Document], terms: list[dict], conn) -> list[dict]:
    """Frequent capitalized or quoted phrases of each platform's current documents that no term covers."""
    covered = {(t["language"], term_tokens(t["term"], t["language"])) for t in terms}
    names = _rows(conn, "select id, name from platforms")
    platform_words = {r["id"]: {w.lower() for w in re.findall(r"\w+", (r["name"] or "") + " " + r["id"])}
                      for r in names}
    by_platform = defaultdict(list)
    for d in docs:
        by_platform[d.platform_id].append(d)
    out = []
    for platform_id, pdocs in sorted(by_platform.items()):
        stop = platform_words.get(platform_id, set())
        titles = {(d.language, term_tokens(d.title, d.language)) for d in pdocs}
        found: dict[tuple, dict] = {}
        for d in pdocs:
            for s in d.sections:
                phrases = []
                if d.language == "en":
                    for run, initial in _capitalized_runs(s.text):
                        if initial and len(run) > 2:
                            phrases.append((_trim(run[1:], stop), "capitalized", True))
                        phrases.append((_trim(run, stop), "capitalized", initial))
                for m in _QUOTED_RE.finditer(s.text):
                    phrases.append(([m.group(1).strip()], "quoted", False))
                for words, kind, initial in phrases:
                    capitalized = sum(1 for w in words if w[:1].isupper())
                    if not words or (kind == "capitalized" and capitalized < 2):
                        continue
                    surface = " ".join(words)
                    seq = term_tokens(surface, d.language)
                    if not seq or len(seq) > 6 or (d.language, seq) in covered or (d.language, seq) in titles:
                        continue
                    entry = found.setdefault((d.language, seq), {
                        "surfaces": Counter(), "kind": kind, "non_initial": False, "example": None})
                    entry["surfaces"][surface] += 1
                    entry["non_initial"] |= not initial
                    if entry["example"] is None:
                        entry["example"] = (d.id, s.id)
        for (language, seq), entry in found.items():
            if not entry["non_initial"]:
                continue
            occurrences, documents, snippet = 0, 0, ""
            for d in pdocs:
                if d.language != language:
                    continue
                in_doc = 0
                for s in d.sections:
                    hits = s.index(language).find(seq)
                    in_doc += len(hits)
                    if hits and not snippet:
                        snippet = s.index(language).snippet(*hits[0], width=50)
                occurrences += in_doc
                documents += bool(in_doc)
            if occurrences < MIN_CANDIDATE_OCCURRENCES:
                continue
            out.append({"kb_platform_id": platform_id, "language": language,
                        "candidate": entry["surfaces"].most_common(1)[0][0], "kind": entry["kind"],
                        "occurrences": occurrences, "documents": documents,
                        "example_document_id": entry["example"][0], "example_section_id": entry["example"][1],
                        "example": snippet})
    seen, unique = set(), []
    for row in sorted(out, key=lambda r: (r["kb_platform_id"], -r["occurrences"], r["candidate"])):
        if (row["kb_platform_id"], row["candidate"]) not in seen:
            seen.add((row["kb_platform_id"], row["candidate"]))
            unique.append(row)
    return unique

