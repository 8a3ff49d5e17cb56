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

from glossary.match import TokenIndex, plain_text, term_tokens
from glossary.model import LANGUAGE_NAMES, Platform, locale_lang
from pipeline.sqlrows import SECTION_ID_SQL, SECTION_SPAN_COLUMNS, fill_section_texts
from pipeline.sqlrows import rows as _rows

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


def current_documents(conn, platforms=None, with_sections=True) -> list[Document]:
    """The current version of every document that is not gone, split into its sections.

    :param platforms: only the documents of these KB platforms (default: all)
    :param with_sections: False gives the documents without their text (for scopes and counts)
    """
    where, params = "", []
    if platforms is not None:
        where = f" and d.platform_id in ({','.join('?' * len(platforms))})"
        params = sorted(platforms)
    text = "v.text_markdown" if with_sections else "null as text_markdown"
    docs = _rows(conn, f"""
        select d.id, d.platform_id, d.title, d.locale, d.current_version_id, {text}
        from documents d join versions v on v.id = d.current_version_id
        where coalesce(d.state, '') != 'gone'{where} order by d.id""", params)
    sections = defaultdict(list)
    if docs and with_sections:
        marks = ",".join("?" * len(docs))
        for s in fill_section_texts(conn, _rows(conn, f"""
                select {SECTION_ID_SQL} as id, s.version_id, s.key, s.heading, {SECTION_SPAN_COLUMNS}
                from section_spans s
                where s.version_id in ({marks}) order by s.version_id, s.ordinal""",
                [d["current_version_id"] for d in docs])):
            sections[s["version_id"]].append(Section(s["id"], s["key"] or "", s["heading"] or "",
                                                     plain_text(s["text_markdown"])))
    out = []
    for d in docs:
        secs = sections.get(d["current_version_id"]) or ([
            Section(d["current_version_id"] + "#", "", "", plain_text(d["text_markdown"]))] if with_sections else [])
        out.append(Document(d["id"], d["platform_id"], d["title"] or "", locale_lang(d["locale"]),
                            d["current_version_id"], secs))
    return out


def load_platforms(conn) -> dict[str, Platform]:
    """The glossary platforms as stored by :func:`kb.store.glossary.store_glossary`."""
    out = {}
    for r in _rows(conn, "select * from glossary_platforms order by ordinal"):
        out[r["id"]] = Platform(r["id"], r["name"], r["name_zh"] or "", r["homepage"] or "",
                                json.loads(r["kb_platforms"] or "[]"), json.loads(r["languages"] or "[]"),
                                bool(r["demo"]))
    return out


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, (code, code))[0]


def evidence_rows(conn, changed=None):
    """Where each term occurs in the current versions, and the candidate terms no concept covers.

    :param conn: the KB (``sqlite3.Connection``) with the glossary loaded
    :param changed: ``(document ids, KB platform ids)`` whose current text changed since the last refresh
        (with the same glossary): only their evidence and those platforms' candidates are computed.
        None computes everything.
    :returns: ``(evidence rows, candidate rows)`` for ``glossary_evidence`` and ``glossary_candidates``
    """
    platforms = load_platforms(conn)
    all_docs = current_documents(conn, with_sections=False)
    terms = _rows(conn, "select id, concept_id, platform, language, term, case_sensitive from glossary_terms")
    covered = _covered(terms)
    evidence, candidates = [], []
    kb_platforms = {d.platform_id for d in all_docs} if changed is None else set(changed[1])
    for kb_platform in sorted(kb_platforms):  # one platform's texts in memory at a time
        docs = current_documents(conn, platforms=[kb_platform])
        search = docs if changed is None else [d for d in docs if d.id in changed[0]]
        for t in terms:
            platform = platforms.get(t["platform"])
            if platform and platform.covers(kb_platform):
                evidence.extend(_term_evidence(t, search))
        candidates.extend(find_candidates(docs, terms, conn, covered))
    return evidence, candidates


def _term_evidence(t, docs):
    seq = term_tokens(t["term"], t["language"], bool(t["case_sensitive"]))
    for d in docs:
        if d.language != t["language"]:
            continue
        for s in d.sections:
            index = s.index(t["language"], bool(t["case_sensitive"]))
            hits = index.find(seq)
            if hits:
                yield {"term_id": t["id"], "kb_platform_id": d.platform_id, "document_id": d.id,
                       "version_id": d.version_id, "section_id": s.id, "section_key": s.key,
                       "section_heading": s.heading, "occurrences": len(hits), "snippet": index.snippet(*hits[0])}


def attestations(conn, found: dict, checked_at: str) -> list[dict]:
    """Each term's evidence counts and attestation flag (attested / not found / no documents).

    :param found: ``{term id: (occurrences, documents)}`` from the evidence table
    :returns: rows to update in ``glossary_terms``
    """
    platforms = load_platforms(conn)
    all_docs = current_documents(conn, with_sections=False)
    updates = []
    for t in _rows(conn, "select id, concept_id, platform, language, term, case_sensitive from glossary_terms"):
        platform = platforms.get(t["platform"])
        scope = [d for d in all_docs if platform and platform.covers(d.platform_id) and d.language == t["language"]]
        total, documents = found.get(t["id"], (0, 0))
        updates.append({"id": t["id"], "evidence_count": total, "evidence_documents": documents,
                        "checked_at": checked_at, **_attestation(t, platform, scope, all_docs, total)})
    return updates


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
_NUMBERED_RE = re.compile(r"(?<!\S)\d+[.)]$")  # "3." or "2)" just before: a list item's first word


def _capitalized_runs(text: str):
    """(phrase, is_sentence_initial) for runs of capitalized words in English text."""
    tokens = list(_EN_WORD_RE.finditer(text))
    i = 0
    while i < len(tokens):
        word = tokens[i].group()
        if not word[0].isupper():
            i += 1
            continue
        start = tokens[i].start()
        window = max(0, start - 64)  # what precedes the word, near enough (not the whole text before it)
        before = text[window:start].rstrip(" \t")
        if not before and window:
            before = text[:start].rstrip(" \t")
            window = 0
        numbered = _NUMBERED_RE.search(before)
        initial = not before or before[-1] in _INITIAL_BEFORE or bool(
            numbered and (numbered.start() > 0 or window == 0))
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


def _count_phrases(docs: list[Document], phrases: list[tuple]) -> dict:
    """For each ``(language, tokens)``: occurrences in ``docs`` (as :meth:`TokenIndex.find` counts them, without
    overlaps), documents it occurs in, and a snippet of the first. One pass over each section's tokens for all
    phrases, instead of one search per phrase and section."""
    by_first = defaultdict(lambda: defaultdict(list))  # language → first token → phrases
    for language, seq in phrases:
        by_first[language][seq[0]].append(seq)
    tally = {key: [0, 0, ""] for key in phrases}
    for d in docs:
        starts = by_first.get(d.language)
        if not starts:
            continue
        in_doc = Counter()
        for s in d.sections:
            index = s.index(d.language)
            norms, last_end = index.norms, {}
            for i, norm in enumerate(norms):
                for seq in starts.get(norm, ()):
                    if i >= last_end.get(seq, -1) and tuple(norms[i:i + len(seq)]) == seq:
                        last_end[seq] = i + len(seq)
                        in_doc[seq] += 1
                        entry = tally[(d.language, seq)]
                        if not entry[2]:
                            entry[2] = index.snippet(i, i + len(seq), width=50)
        for seq, n in in_doc.items():
            entry = tally[(d.language, seq)]
            entry[0] += n
            entry[1] += 1
    return {key: tuple(value) for key, value in tally.items()}


def _covered(terms) -> set:
    return {(t["language"], term_tokens(t["term"], t["language"])) for t in terms}


def find_candidates(docs: list[Document], terms: list[dict], conn, covered=None) -> list[dict]:
    """Frequent capitalized or quoted phrases of each platform's current documents that no term covers.

    :param covered: ``(language, tokens)`` of the terms (default: computed from ``terms``)
    """
    covered = _covered(terms) if covered is None else covered
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
        tally = _count_phrases(pdocs, [key for key, entry in found.items() if entry["non_initial"]])
        for (language, seq), entry in found.items():
            if not entry["non_initial"]:
                continue
            occurrences, documents, snippet = tally[(language, seq)]
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

