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

All of a platform's terms are searched at once, section by section: a section's tokens are read once for the
positions of every term's first token, and only the terms whose first token occurs are matched there
(:func:`_terms_evidence`); the candidate phrases are counted the same way (:func:`_count_phrases`). The rows
and their order are those of searching each term, or phrase, in each section in turn.

Only the KB schema is used here (``documents``, ``versions``, ``sections``,
``platforms``), never the pipeline.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import accumulate, compress
from operator import itemgetter

from glossary.match import TokenIndex, Tokens, plain_text, term_tokens
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
    _tokens: Tokens | None = None

    def index(self, language: str, case_sensitive: bool = False) -> TokenIndex:
        """The section's text indexed for one language and case rule (made once; the raw tokens are cut once for
        all of them)."""
        key = (language, case_sensitive)
        if key not in self._indexes:
            if self._tokens is None:
                self._tokens = Tokens(self.text)
            self._indexes[key] = TokenIndex(self.text, language, case_sensitive, tokens=self._tokens)
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
    return documents_of(*current_document_rows(conn, platforms, with_sections))


def current_document_rows(conn, platforms=None, with_sections=True) -> tuple[list[dict], dict, bool]:
    """What :func:`current_documents` reads from the KB: the documents' rows, their sections' rows by version
    (their Markdown), and ``with_sections``; :func:`documents_of` makes the documents of them."""
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
            sections[s["version_id"]].append((s["id"], s["key"], s["heading"], s["text_markdown"]))
    return docs, dict(sections), with_sections


def documents_of(docs: list[dict], sections: dict, with_sections: bool) -> list[Document]:
    """The documents of :func:`current_document_rows`' rows, their sections' text made plain (no database: a
    worker process can make them)."""
    out = []
    for d in docs:
        secs = [Section(id_, key or "", heading or "", plain_text(markdown))
                for id_, key, heading, markdown in sections.get(d["current_version_id"], ())] or ([
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


def evidence_rows(conn, changed=None, map_jobs=None):
    """Where each term occurs in the current versions, and the candidate terms no concept covers.

    :param conn: the KB (``sqlite3.Connection``) with the glossary loaded
    :param changed: ``(document ids, KB platform ids)`` whose current text changed since the last refresh
        (with the same glossary): only their evidence and those platforms' candidates are computed.
        None computes everything.
    :param map_jobs: runs :func:`platform_evidence` on each platform's texts, as ``map_jobs(fn, jobs)`` gives
        ``(key, fn(*args))`` for each ``(key, args)`` of ``jobs`` in order (``kb.workers.Workers.map``: in worker
        processes); by default one after the other here. The rows are the same either way.
    :returns: ``(evidence rows, candidate rows)`` for ``glossary_evidence`` and ``glossary_candidates``
    """
    platforms = load_platforms(conn)
    all_docs = current_documents(conn, with_sections=False)
    terms = _rows(conn, "select id, concept_id, platform, language, term, case_sensitive from glossary_terms")
    covered = _covered(terms)
    names = _rows(conn, "select id, name from platforms")
    kb_platforms = {d.platform_id for d in all_docs} if changed is None else set(changed[1])

    def jobs():
        for kb_platform in sorted(kb_platforms):  # one platform's texts read at a time, as they are handed out
            scope = [t for t in terms if (p := platforms.get(t["platform"])) and p.covers(kb_platform)]
            yield kb_platform, (scope, None if changed is None else changed[0],
                                current_document_rows(conn, platforms=[kb_platform]), terms, covered, names)

    evidence, candidates = [], []
    for _, (found, candidates_of) in (map_jobs or _in_turn)(platform_evidence, jobs()):
        evidence.extend(found)
        candidates.extend(candidates_of)
    return evidence, candidates


def _in_turn(fn, jobs):
    for key, args in jobs:
        yield key, fn(*args)


def platform_evidence(scope, searched, rows, terms, covered, names) -> tuple[list[dict], list[dict]]:
    """One KB platform's share of :func:`evidence_rows`, from values alone (a job a worker process can run): the
    evidence of the ``scope`` terms in its documents (those of ``searched`` ids, or all when None), and the
    candidates of all of them (``rows``: its :func:`current_document_rows`)."""
    docs = documents_of(*rows)
    search = docs if searched is None else [d for d in docs if d.id in searched]
    return _terms_evidence(scope, search), find_candidates(docs, terms, None, covered, names)


def _term_evidence(t, docs):
    """The evidence rows of one term in ``docs``: each section where it occurs (the plain definition, which
    :func:`_terms_evidence` computes for many terms at once)."""
    seq = term_tokens(t["term"], t["language"], bool(t["case_sensitive"]))
    for d in docs:
        if d.language != t["language"]:
            continue
        for s in d.sections:
            index = s.index(t["language"], bool(t["case_sensitive"]))
            hits = index.find(seq)
            if hits:
                yield _evidence_row(t, d, s, index, hits)


def _evidence_row(t, d, s, index, hits) -> dict:
    return {"term_id": t["id"], "kb_platform_id": d.platform_id, "document_id": d.id,
            "version_id": d.version_id, "section_id": s.id, "section_key": s.key,
            "section_heading": s.heading, "occurrences": len(hits), "snippet": index.snippet(*hits[0])}


def _terms_evidence(terms, docs) -> list[dict]:
    """The rows of :func:`_term_evidence` for each term in turn, in the same order, searched section by section:
    each section's tokens are read once for the positions of all the terms' first tokens
    (:meth:`TokenIndex.positions_of`), and only the terms whose first token occurs are matched there, instead of
    every term being searched in every section."""
    by_first = defaultdict(lambda: defaultdict(list))  # (language, case rule) → first token → (term's rank, term, tokens)
    for rank, t in enumerate(terms):
        seq = term_tokens(t["term"], t["language"], bool(t["case_sensitive"]))
        if seq:
            by_first[(t["language"], bool(t["case_sensitive"]))][seq[0]].append((rank, t, seq))
    found = defaultdict(list)  # term's rank → its rows, in document and section order
    for d in docs:
        kinds = [(case_sensitive, starts) for (language, case_sensitive), starts in by_first.items()
                 if language == d.language]
        for s in d.sections:
            for case_sensitive, starts in kinds:
                index = s.index(d.language, case_sensitive)
                for first, positions in index.positions_of(starts).items():
                    for rank, t, seq in starts[first]:
                        hits = index.find(seq, positions)
                        if hits:
                            found[rank].append(_evidence_row(t, d, s, index, hits))
    return [row for rank in sorted(found) for row in found[rank]]


def attestations(conn, found: dict, checked_at: str) -> list[dict]:
    """Each term's evidence counts and attestation flag (attested / not found / no documents).

    :param found: ``{term id: (occurrences, documents)}`` from the evidence table
    :returns: rows to update in ``glossary_terms``
    """
    platforms = load_platforms(conn)
    all_docs = current_documents(conn, with_sections=False)
    updates, scopes, tracked = [], {}, {}
    for t in _rows(conn, "select id, concept_id, platform, language, term, case_sensitive from glossary_terms"):
        platform = platforms.get(t["platform"])
        scope = scopes.get((t["platform"], t["language"]))
        if scope is None:  # the same for every term of that platform and language
            scope = scopes[(t["platform"], t["language"])] = [
                d for d in all_docs if platform and platform.covers(d.platform_id) and d.language == t["language"]]
        if t["platform"] not in tracked:  # the languages of the platform's documents: once per platform, not per term
            tracked[t["platform"]] = sorted({d.language for d in all_docs
                                             if platform and platform.covers(d.platform_id)})
        total, documents = found.get(t["id"], (0, 0))
        updates.append({"id": t["id"], "evidence_count": total, "evidence_documents": documents,
                        "checked_at": checked_at, **_attestation(t, platform, scope, tracked[t["platform"]], total)})
    return updates


def _attestation(term, platform, scope, tracked, total) -> dict:
    """The attestation flag and note of one term; ``tracked``: the languages of its platform's tracked documents."""
    lang = language_name(term["language"])
    name = platform.name if platform else term["platform"]
    if total:
        return {"attestation": "attested", "attestation_note": None}
    if scope:
        return {"attestation": "not_found",
                "attestation_note": f"not found in the {len(scope)} tracked {lang} document(s) of {name}"}
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
_EN_SPLIT_RE = re.compile(f"({_EN_WORD_RE.pattern})")  # the words and what separates them
_QUOTED_RE = re.compile(r"[\"“「『]([^\"“”「」『』\n]{2,40})[\"”」』]")
_INITIAL_BEFORE = set(".!?:;|#>*-•") | {"\n"}
_NUMBERED_RE = re.compile(r"(?<!\S)\d+[.)]$")  # "3." or "2)" just before: a list item's first word


def _capitalized_runs(text: str, min_words: int = 1):
    """(phrase, is_sentence_initial) for runs of capitalized words in English text.

    :param min_words: only the runs of at least this many words (a shorter run's start is not looked at: most
        runs are one capitalized word, which is no candidate phrase)

    Only the capitalized words are visited (their indexes found by C-speed maps over the words' first
    characters), and the character offset of a run's first word is the sum of the lengths of the pieces before it
    (``re.split`` with the word pattern captured): the same runs as reading every word in turn (the plain definition
    in tests/test_glossary_fast.py)."""
    pieces = _EN_SPLIT_RE.split(text)
    words = pieces[1::2]
    if not words:
        return
    offsets = None
    upper = list(compress(range(len(words)), map(str.isupper, map(itemgetter(0), words))))
    j = 0
    for i in upper:
        if i < j:  # inside the previous run
            continue
        word = words[i]
        run, j = [word], i + 1
        while j < len(words):
            w = words[j]
            if w[0].isupper() and w[0].isalpha():
                run.append(w)
            elif w.lower() in _CONNECTORS and j + 1 < len(words) and words[j + 1][0].isupper():
                run.append(w)
            else:
                break
            j += 1
        if len(run) < min_words:
            continue
        if offsets is None:
            offsets = list(accumulate(map(len, pieces)))
        start = offsets[2 * i]
        window = max(0, start - 64)  # what precedes the word, near enough (not the whole text before it)
        before = text[window:start].rstrip(" \t")
        if not before and window:
            before = text[:start].rstrip(" \t")
            window = 0
        # a list number ("2)") only matters where the last character is not one of _INITIAL_BEFORE (which holds
        # "." and the line break that _NUMBERED_RE's "$" may stand before)
        numbered = before and before[-1] == ")" and _NUMBERED_RE.search(before)
        initial = not before or before[-1] in _INITIAL_BEFORE or bool(
            numbered and (numbered.start() > 0 or window == 0))
        yield run, initial


def _trim(run: list[str], stop: set[str]) -> list[str]:
    while run and (run[0].lower() in _LEADING_NOISE or run[0].lower() in _CONNECTORS or run[0].lower() in stop):
        run = run[1:]
    while run and (run[-1].lower() in _CONNECTORS or run[-1].lower() in stop):
        run = run[:-1]
    return run


def _count_phrases(docs: list[Document], phrases: list[tuple], snippets_from: int = 1) -> dict:
    """For each ``(language, tokens)``: occurrences in ``docs`` (as :meth:`TokenIndex.find` counts them, without
    overlaps), documents it occurs in, and a snippet of the first. Each section is read only at the positions of
    the phrases' first tokens (:meth:`TokenIndex.positions_of`, one pass): a one-token phrase occurs
    at all of them, and at each position only the longer phrases that also start with the next token are compared
    (the plain definition, each phrase searched in each section, is in tests/test_glossary_fast.py).

    :param snippets_from: the snippet is made only for phrases that occur at least this often (else "")
    """
    singles = defaultdict(dict)  # language → first token → the one-token phrase
    follows = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))  # language → first → second → phrases
    for language, seq in phrases:
        if len(seq) == 1:
            singles[language][seq[0]] = seq
        else:
            follows[language][seq[0]][seq[1]].append(seq)
    firsts = {language: set(singles.get(language, ())) | set(follows.get(language, ()))
              for language in set(singles) | set(follows)}
    tally = {key: [0, 0, ""] for key in phrases}
    for d in docs:
        starts = firsts.get(d.language)
        if not starts:
            continue
        single_of, follow_of = singles.get(d.language, {}), follows.get(d.language, {})
        in_doc = Counter()
        for s in d.sections:
            index = s.index(d.language)
            norms, last_end = index.norms, {}
            last = len(norms) - 1
            for first, occurrences in index.positions_of(starts).items():
                seq = single_of.get(first)
                if seq:  # every occurrence of its token, none overlapping
                    in_doc[seq] += len(occurrences)
                    entry = tally[(d.language, seq)]
                    if not entry[2]:
                        entry[2] = (index, occurrences[0], occurrences[0] + 1)
                follow = follow_of.get(first)
                if not follow:
                    continue
                for i in occurrences:
                    group = follow.get(norms[i + 1]) if i < last else None
                    if not group:
                        continue
                    for seq in group:
                        if i >= last_end.get(seq, -1) and tuple(norms[i:i + len(seq)]) == seq:
                            last_end[seq] = i + len(seq)
                            in_doc[seq] += 1
                            entry = tally[(d.language, seq)]
                            if not entry[2]:
                                entry[2] = (index, i, i + len(seq))
        for seq, n in in_doc.items():
            entry = tally[(d.language, seq)]
            entry[0] += n
            entry[1] += 1
    for entry in tally.values():  # the first occurrence's snippet, for the phrases counted often enough
        entry[2] = entry[2][0].snippet(*entry[2][1:], width=50) if entry[2] and entry[0] >= snippets_from else ""
    return {key: tuple(value) for key, value in tally.items()}


def _covered(terms) -> set:
    return {(t["language"], term_tokens(t["term"], t["language"])) for t in terms}


def find_candidates(docs: list[Document], terms: list[dict], conn, covered=None, names=None) -> list[dict]:
    """Frequent capitalized or quoted phrases of each platform's current documents that no term covers.

    :param covered: ``(language, tokens)`` of the terms (default: computed from ``terms``); ``names``: the rows
        ``id, name`` of the KB's ``platforms`` (default: read from ``conn``)"""
    covered = _covered(terms) if covered is None else covered
    names = _rows(conn, "select id, name from platforms") if names is None else names
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
                    for run, initial in _capitalized_runs(s.text, min_words=2):  # one word: no phrase
                        if initial and len(run) > 2:
                            phrases.append((_trim(run[1:], stop), "capitalized", True))
                        phrases.append((_trim(run, stop), "capitalized", initial))
                for m in _QUOTED_RE.finditer(s.text):
                    phrases.append(([m.group(1).strip()], "quoted", False))
                for words, kind, initial in phrases:
                    if not words or (kind == "capitalized" and sum(1 for w in words if w[:1].isupper()) < 2):
                        continue
                    surface = " ".join(words)
                    key = (d.language, term_tokens(surface, d.language))
                    if not key[1] or len(key[1]) > 6 or key in covered or key in titles:
                        continue
                    entry = found.get(key)
                    if entry is None:
                        entry = found[key] = {"surfaces": Counter(), "kind": kind, "non_initial": False, "example": None}
                    entry["surfaces"][surface] += 1
                    entry["non_initial"] |= not initial
                    if entry["example"] is None:
                        entry["example"] = (d.id, s.id)
        tally = _count_phrases(pdocs, [key for key, entry in found.items() if entry["non_initial"]],
                               snippets_from=MIN_CANDIDATE_OCCURRENCES)
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

