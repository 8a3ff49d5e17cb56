"""Versions that may hold a quote, from search's indexes (see :func:`candidate_versions`).

The cite check has no full-text index of its own (issue 19: its trigram index of every version's whole text
was about twice the text). Search's indexes (:mod:`kb.search`) hold each distinct wording of a section once,
folded (:func:`pipeline.fold.fold`); a wording found stands for every version that has it (``sections`` by
document, key and content hash). A word of a script written with spaces is looked up in ``search_short``
(whole words, stemmed: "refund" finds "refunds"); a piece of a script written without spaces (Chinese,
Japanese, Korean, Thai: :data:`pipeline.text.UNSPACED`) in ``search_trigram`` (any substring), as search does.

The build indexes the wordings in its last step (:func:`kb.store.search_index.sync`), after the versions are
stored, one archived record a transaction: a build killed before that step, or a check made while a build is
running, finds versions the index has not seen. Their new wordings (the sections past ``search_state``'s
``max_rowid`` whose wording is not in ``search_sections``, and those updated in place since) are read and
checked in Python the same way (:func:`unindexed`), newest first, at most ``MAX_UNINDEXED``; beyond that the
answers say how many versions the index is behind and that ``policykb build`` finishes it.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import chain

from kb.cite.cache import WeightedCache
from kb.cite.keytext import CJK_RE, WORD_RE
from pipeline.fold import fold, spellings
from pipeline.sqlrows import SECTION_SPAN_COLUMNS, fill_section_texts
from pipeline.sqlrows import rows as sql_rows  # 'rows' names the pool's rows here
from pipeline.text import UNSPACED, plain_text

_UNSPACED_RE = re.compile(f"[{UNSPACED}]")
MAX_TOKENS = 8
PROBE_LIMIT = 300  # a word in at least this many versions is common (see candidate_versions)
#: a check limited to this many documents reads their versions instead of probing the KB-wide index
FEW_DOCUMENTS = 2
MAX_CANDIDATES = 400  # versions read and checked in Python
MAX_PAIR_PROBES = 8  # word pairs probed as phrases when every word of a quote is common
#: wordings not indexed yet (a build killed or still running) read and checked in Python, newest first
MAX_UNINDEXED = 5_000
# Words in nearly every policy text: they select nothing and their FTS doclists are the longest.
STOPWORDS = frozenset("""
the and for are but not you your all any can had has have her his its may must our out shall should that their
them then there these they this those was were what when where which while who whom why will with would from into
than such been being also each other only over under upon more most same some very about after before between
der die das und den dem des ein eine für mit von auf ist les des une pour par sur dans est que qui del los las
por con para una che per della
""".split())


def quote_tokens(quote: str, limit: int = MAX_TOKENS) -> list[str]:
    """Words of the quote usable as FTS phrases (3+ characters), longest first.

    CJK runs are cut into 3-character pieces, so one changed character spoils
    one piece, not the whole run.
    """
    norm = fold(unicodedata.normalize("NFKC", quote).lower())
    tokens = []
    for m in WORD_RE.finditer(norm):
        word = m.group()
        if CJK_RE.search(word):
            tokens += [word[i:i + 3] for i in range(0, len(word) - 2, 3)]
        elif len(word) >= 3:
            tokens.append(word)
    unique = list(dict.fromkeys(tokens))
    # Longest first (rarer, so fewer candidates), function words last (in every version, and slow to query).
    unique.sort(key=lambda t: (t in STOPWORDS, -len(t) * (3 if CJK_RE.match(t) else 1)))
    return unique[:limit]


def _fts_query(token: str) -> tuple[str, str]:
    """The index that serves the folded token, and the token as an FTS query of its indexed text (not of the
    filter tokens, ``meta``). Both indexes hold folded text, so one spelling finds them all (申訴 and 申诉)."""
    table = "search_trigram" if _UNSPACED_RE.search(token) else "search_short"
    return table, '{text} : "' + token.replace('"', '""') + '"'


def quote_shingles(quote: str) -> list[str]:
    """Word pairs of the quote (``"late shipment"``) as a page's lower-cased text has them, and its CJK pieces.

    Only pairs of plain words separated by white space: they are found in the
    raw text without normalizing it (a search in a few hundred long versions).
    """
    folded = fold(unicodedata.normalize("NFKC", quote).lower())
    parts = folded.split()
    out = [f"{a} {b}" for a, b in zip(parts, parts[1:])
           if a.isalnum() and b.isalnum() and not (CJK_RE.search(a) or CJK_RE.search(b))]
    for m in WORD_RE.finditer(folded):
        word = m.group()
        if CJK_RE.search(word):
            out += [word[i:i + 3] for i in range(0, len(word) - 2, 3)]
    return list(dict.fromkeys(out))


@dataclass
class Unindexed:
    """The wordings the search index has not seen yet (see :func:`unindexed`)."""

    #: ``(sections rowid, lower-cased text)`` of each such wording, newest first, at most ``MAX_UNINDEXED``
    texts: list[tuple[int, str]] = field(default_factory=list)
    #: versions recorded since the index was last brought up to date (0 when it is)
    versions_behind: int = 0
    #: whether ``texts`` holds every such wording (False: the check may miss some versions)
    complete: bool = True


#: sections past the index's last point (``search_state.max_rowid``) whose wording it does not hold, newest
#: first (a walk down the rowids that stops at the limit), or updated in place since (``search_removed.readd``:
#: the index holds their old text)
_NEW_SECTIONS = """
    select s.rowid, s.document_id, s.key, s.content_hash, s.text_markdown from sections s
    where s.rowid > ? and s.content_hash is not null and not exists (
        select 1 from search_sections i
        where i.document_id = s.document_id and i.key = s.key and i.content_hash = s.content_hash)
    order by s.rowid desc"""
_UPDATED_SECTIONS = """
    select s.rowid, s.document_id, s.key, s.content_hash, s.text_markdown from sections s
    where s.rowid in (select section_rowid from search_removed where readd = 1) and s.content_hash is not null
    order by s.rowid desc"""
#: versions recorded since the index's last point: a version and its sections are stored in one
#: transaction, so the versions from the one of the first section past that point on
_VERSIONS_BEHIND = """
    select count(*) from versions where rowid >= (
        select v.rowid from sections s join versions v on v.id = s.version_id where s.rowid > ?
        order by s.rowid limit 1)"""


def unindexed(conn, limit: int | None = None) -> Unindexed:
    """The wordings stored since the search index was last synced, which its queries cannot find.

    The build syncs the index in its last step (:mod:`kb.build`); a build killed before it, or one still
    running, leaves new versions whose new wordings only ``sections`` has. When the index is up to date (the
    usual case) this is two probes that find nothing. A wording is read once (its newest section), at most
    ``limit`` of them (default ``MAX_UNINDEXED``); ``versions_behind`` counts the versions recorded since the
    index's last sync.
    """
    limit = MAX_UNINDEXED if limit is None else limit
    state = conn.execute("select max_rowid from search_state where id = 1").fetchone()
    last = state[0] if state else 0
    out = Unindexed()
    seen = set()
    updated = conn.execute(_UPDATED_SECTIONS).fetchall()  # rare (a migration rewriting sections): few rows
    for rowid, document_id, key, content_hash, text in chain(updated, conn.execute(_NEW_SECTIONS, [last])):
        if (document_id, key, content_hash) in seen:
            continue
        if len(seen) >= limit:
            out.complete = False
            break
        seen.add((document_id, key, content_hash))
        out.texts.append((rowid, (text or "").lower()))
    if out.texts:
        out.versions_behind = conn.execute(_VERSIONS_BEHIND, [last]).fetchone()[0]
        if updated:
            out.versions_behind += conn.execute(
                "select count(distinct version_id) from sections where rowid <= ? and rowid in "
                "(select section_rowid from search_removed where readd = 1)", [last]).fetchone()[0]
    return out


def candidate_versions(conn, quote: str, documents: set | None = None,
                       pending: Unindexed | None = None, within: Passages | None = None) -> dict[str, dict[int, tuple]]:
    """Versions that may hold the quote: ``{document_id: {seq: rank}}``.

    ``within``: only these passages (:func:`every_word_passages`', for the first round of :func:`kb.cite.cite`):
    the newest ``MAX_CANDIDATES`` of their versions, checked as in step 3 below in those wordings alone (a
    version's other sections are not read: the quote stands in one of these if it stands whole anywhere).

    1. Each of the quote's words (longest first, a CJK piece counting triple,
       function words last) is looked up in search's index for its script with a
       ``LIMIT``: a word found in fewer versions than the limit is *rare*, and
       its versions are complete; a common word stops early, so it costs a few
       milliseconds instead of up to 150 ms on a large KB (measured by
       ``bench/cite_speed.py``).
    2. The versions holding every rare word (all but one when there are three
       or more: a typo, a changed word) are the pool; with no rare word (nor
       rare word pair), the versions with a wording that holds every word
       together, or all but one (:func:`_together`: the index intersects the
       words' lists itself); only when no wording does (or the quote mixes
       scripts), full queries for the common words are intersected by version
       (all but one, three words at least, until at most ``MAX_CANDIDATES``
       versions are left).
    3. The pool is read and checked in Python against every word of the quote
       (all, else all but a quarter) and its word pairs (all but a few: a
       dropped word breaks two); ``rank`` is (words, pairs) found. Each distinct
       section wording is read once (and kept for the next quotes, by its content
       hash), and a version drops out as soon as it misses more than it may
       (:func:`_pool_ranks`), so a long page that does not hold the quote costs a
       few terms, not all of them.

    In steps 1 and 2 a word is also looked for, in Python, in the wordings the index has not seen yet
    (``pending``, :func:`unindexed` when not given): a version stored by a build that has not synced the
    index (killed, or still running) is found like any other.
    """
    tokens = quote_tokens(quote)
    if not tokens:
        return {}
    if within is not None:
        versions = sorted(_of_documents(conn, within.versions, documents), reverse=True)
        return _check_pool(conn, versions[:MAX_CANDIDATES], documents, tokens, quote_shingles(quote),
                           only=within.wordings)
    if documents is not None and len(documents) <= FEW_DOCUMENTS:
        # a check in one or two named documents (``--url``, a saved citation): their own versions are the
        # pool, newest first; the KB-wide index would cost more, and its limit could leave them out
        pool = _versions_of(conn, documents)
        return _check_pool(conn, pool, documents, tokens, quote_shingles(quote))
    counts, pool = _pool(conn, tokens, unindexed(conn) if pending is None else pending, probe_pairs(quote))
    if not counts:
        return {}
    pool = list(_of_documents(conn, pool, documents))  # before the cut: other documents' versions take no room
    pool.sort(key=lambda r: (-counts[r], -r))
    pool = pool[:MAX_CANDIDATES]  # newest first among equals (rowids grow as versions are recorded)
    return _check_pool(conn, pool, documents, tokens, quote_shingles(quote))


def _of_documents(conn, versions, documents: set | None):
    """The versions (rowids) of ``versions`` that belong to ``documents`` (all of them when it is None): a
    check limited to a platform cuts its pool to ``MAX_CANDIDATES`` among that platform's versions, not among
    the KB's, where the newest could all be another platform's copies of the same text."""
    if documents is None:
        return versions
    return {r for (r,) in conn.execute(
        "select rowid from versions where rowid in (select value from json_each(?)) "
        "and document_id in (select value from json_each(?))", [json.dumps(list(versions)), json.dumps(sorted(documents))])}


def _versions_of(conn, documents: set) -> list[int]:
    """Rowids of the versions of ``documents``, newest first (at most ``MAX_CANDIDATES``)."""
    marks = ",".join("?" * len(documents))
    return [r for (r,) in conn.execute(f"select rowid from versions where document_id in ({marks}) "
                                       "order by rowid desc limit ?", [*sorted(documents), MAX_CANDIDATES])]


#: the versions that have one of the given wordings (``search_sections`` rowids, in ``json_each(?)``)
_VERSIONS_OF_WORDINGS = """
    select distinct v.rowid from json_each(?) w
    join search_sections i on i.rowid = w.value
    join sections s on s.document_id = i.document_id and s.key = i.key and s.content_hash = i.content_hash
    join versions v on v.id = s.version_id"""


def _wordings_with(conn, token: str, limit: int | None = None) -> list[int]:
    """The wordings (``search_sections`` rowids) whose folded text holds ``token``, at most ``limit``."""
    table, query = _fts_query(token)
    sql = f"select rowid from {table} where {table} match ?"
    if limit is None:
        return [r for (r,) in conn.execute(sql, [query])]
    return [r for (r,) in conn.execute(sql + " limit ?", [query, limit])]


#: the versions that have one of the given wordings not indexed yet (``sections`` rowids, in ``json_each(?)``)
_VERSIONS_OF_SECTIONS = """
    select distinct v.rowid from json_each(?) w
    join sections b on b.rowid = w.value
    join sections s on s.document_id = b.document_id and s.key = b.key and s.content_hash = b.content_hash
    join versions v on v.id = s.version_id"""


def _versions_with(conn, token: str, pending: Unindexed) -> set[int]:
    """Rowids of the versions whose text holds ``token``: those with a wording that holds it."""
    return _versions_of_wordings(conn, _wordings_with(conn, token)) | _unindexed_versions(conn, token, pending)


def _versions_of_wordings(conn, wordings: list[int], limit: int | None = None) -> set[int]:
    """The versions that have one of ``wordings``, at most ``limit`` of them (a wording of a long history
    stands for hundreds of versions: a common word's are not all read to learn that it is common)."""
    if limit is None:
        return {r for (r,) in conn.execute(_VERSIONS_OF_WORDINGS, [json.dumps(wordings)])}
    return {r for (r,) in conn.execute(_VERSIONS_OF_WORDINGS + " limit ?", [json.dumps(wordings), limit])}


def _unindexed_versions(conn, token: str, pending: Unindexed) -> set[int]:
    """Rowids of the versions with a wording not indexed yet whose text holds ``token`` (as step 3 checks it)."""
    if not pending.texts:
        return set()
    forms = spellings(token)
    hits = [rowid for rowid, lower in pending.texts if any(form in lower for form in forms)]
    if not hits:
        return set()
    return {r for (r,) in conn.execute(_VERSIONS_OF_SECTIONS, [json.dumps(hits)])}


def _rare_versions(conn, token: str, pending: Unindexed) -> set[int] | None:
    """The versions holding ``token`` when fewer than ``PROBE_LIMIT`` do, else None (a common word). A
    wording stands for one version or more: ``PROBE_LIMIT`` wordings are enough to call a word common."""
    wordings = _wordings_with(conn, token, PROBE_LIMIT)
    if len(wordings) >= PROBE_LIMIT:
        return None
    found = _versions_of_wordings(conn, wordings, PROBE_LIMIT)
    if len(found) >= PROBE_LIMIT:
        return None
    found |= _unindexed_versions(conn, token, pending)
    return None if len(found) >= PROBE_LIMIT else found


def probe_pairs(quote: str, limit: int = MAX_PAIR_PROBES) -> list[str]:
    """Word pairs of the quote to probe as index phrases when none of its words is rare: pairs of words of
    3 characters or more, not both function words, spread over the quote (a damaged stretch of it then
    spoils some of them, not all)."""
    pairs = [p for p in quote_shingles(quote) if " " in p
             and all(len(w) >= 3 for w in p.split()) and not all(w in STOPWORDS for w in p.split())]
    if len(pairs) <= limit:
        return pairs
    step = len(pairs) / limit
    return [pairs[int(i * step)] for i in range(limit)]


def _pool(conn, tokens: list[str], pending: Unindexed, pairs=()) -> tuple[dict[int, int], list[int]]:
    """Steps 1 and 2 of :func:`candidate_versions`: ``(counts, pool)``, counts being words found per rowid."""
    rare: list[set[int]] = []
    common: list[str] = []
    for token in tokens:
        found = _rare_versions(conn, token, pending)
        if found is None:
            common.append(token)
        elif found:
            rare.append(found)
    if not rare:
        # Every word is common (a long text's everyday words): its word pairs, as phrases, are far rarer. The
        # versions that have (nearly) all the rare pairs are the pool instead of a few hundred long versions
        # that have the words somewhere.
        for pair in pairs:
            found = _rare_versions(conn, pair, pending)
            if found:
                rare.append(found)
    counts: dict[int, int] = {}

    def add(found):
        for r in found:
            counts[r] = counts.get(r, 0) + 1

    def pool_of(n_sets):
        need = n_sets - (1 if n_sets >= 3 else 0)
        best = max(counts.values(), default=0)
        return [r for r, c in counts.items() if c >= min(need, best)]

    pool: list[int] = []
    if rare:
        for found in rare:
            add(found)
        pool = pool_of(len(rare))
    elif (together := _together(conn, common, pending)):
        counts = together
        pool = list(counts)
    else:  # only common words, never together in one wording: intersect full lists, three words at least,
        # until the pool is small
        for n_sets, token in enumerate(common, 1):
            add(_versions_with(conn, token, pending))
            pool = pool_of(n_sets)
            if n_sets >= 3 and len(pool) <= MAX_CANDIDATES:
                break
    return counts, pool


#: the most words of a quote :func:`every_word_passages` asks the index for together
MAX_EVERY_WORD = 32
#: numbers of one or two digits, which :func:`quote_tokens` leaves out (words of three characters and more)
_SHORT_NUMBER_RE = re.compile(r"(?<![^\W_])\d{1,2}(?![^\W_])")


@dataclass
class Passages:
    """Where a quote may stand whole (:func:`every_word_passages`): the versions, and the section wordings
    (content hashes) that hold every word of it."""

    versions: set[int] = field(default_factory=set)
    wordings: set[str] = field(default_factory=set)


#: the content hashes of the given wordings (``search_sections`` rowids, in ``json_each(?)``)
_HASHES_OF_WORDINGS = """
    select distinct i.content_hash from json_each(?) w join search_sections i on i.rowid = w.value"""


def every_word_passages(conn, quote: str, pending: Unindexed) -> Passages:
    """The section wordings that hold every word of the quote but the function words (:data:`STOPWORDS`),
    short words and numbers included, and the versions that have them: where the quote may stand whole.

    :func:`candidate_versions` probes the quote's ``MAX_TOKENS`` longest words, and when more versions hold
    them than it reads, keeps the newest: on a large KB whose documents share text (a marketplace's country
    sites, one policy in many copies), the one copy a quote names by a short word or a number (a fee, a
    section number, a site's name) could be left out, and the quote answered "not found" (issue 19's
    100,000-version run). One query, the index intersecting the words' lists itself; empty for a quote of
    an unspaced script (Chinese, Japanese: search's trigram index), of fewer than two such words, or when no
    wording holds them all (a typo, a changed word, a quote across two sections). The words are those a reader
    sees (:func:`pipeline.text.plain_text`, as the index holds them: a link's target is no word of its text).
    The wordings the index has not seen yet (``pending``) are looked in as :func:`_together` does."""
    seen = plain_text(quote, collapse_space=True)  # what the index holds of a text: no link targets (URLs)
    words = [t for t in quote_tokens(seen, MAX_EVERY_WORD) if t not in STOPWORDS]
    if len(words) < 2:
        return Passages()
    numbers = _SHORT_NUMBER_RE.findall(fold(unicodedata.normalize("NFKC", seen)))  # "25", "C.5.2": a copy's number
    words = list(dict.fromkeys(words + numbers))[:MAX_EVERY_WORD]
    if {_fts_query(t)[0] for t in words} != {"search_short"}:
        return Passages()
    phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in words)
    rowids = [r for (r,) in conn.execute("select rowid from search_short where search_short match ?",
                                         ["{text} : (" + phrases + ")"])]
    out = Passages(_versions_of_wordings(conn, rowids),
                   {h for (h,) in conn.execute(_HASHES_OF_WORDINGS, [json.dumps(rowids)])} if rowids else set())
    if pending.texts:
        hits = [rowid for rowid, held in _pending_words(pending, words) if held == len(words)]
        if hits:
            out.versions |= {r for (r,) in conn.execute(_VERSIONS_OF_SECTIONS, [json.dumps(hits)])}
            out.wordings |= {h for (h,) in conn.execute(
                "select content_hash from sections where rowid in (select value from json_each(?))", [json.dumps(hits)])}
    return out


def _pending_words(pending: Unindexed, words: list[str]) -> list[tuple[int, int]]:
    """``(sections rowid, words held)`` of each wording the index has not seen yet: how many of ``words`` its
    lower-cased text holds, in one of their spellings (:func:`pipeline.fold.spellings`)."""
    forms = [spellings(w) for w in words]
    return [(rowid, sum(any(f in lower for f in spelled) for spelled in forms)) for rowid, lower in pending.texts]


def _together(conn, tokens: list[str], pending: Unindexed) -> dict[int, int]:
    """When every word of the quote and every word pair probed is common: ``{version rowid: words}`` of the
    versions with a wording that holds every word of ``tokens`` together (``len(tokens)``), or all but one of
    them (one less; three words or more: a typo, a changed word); empty when no wording does.

    The index intersects the words' lists itself, a query each (all the words, then each word left out
    in turn), so a check costs the wordings that hold the quote's words together, not every version that
    holds each word somewhere: on a large KB a common word's versions are tens of thousands (issue 19), and
    the newest versions that merely have the words somewhere would fill the pool before the ones that hold
    the quote. Only for words of one index (spaced scripts, ``search_short``); a quote that mixes scripts is
    intersected in full (:func:`_pool`)."""
    if not tokens or {_fts_query(t)[0] for t in tokens} != {"search_short"}:
        return {}
    phrases = ['"' + t.replace('"', '""') + '"' for t in tokens]
    sets = [phrases] + ([[p for j, p in enumerate(phrases) if j != i] for i in range(len(phrases))]
                        if len(phrases) >= 3 else [])
    held: dict[int, int] = {}
    seen: set[int] = set()  # wordings whose versions are counted already (with every word, or all but one)
    for n, subset in enumerate(sets):
        if n and len(held) >= MAX_CANDIDATES:
            break  # the pool is the newest of those with every word (candidate_versions): all but one add nothing
        sql = "select rowid from search_short where search_short match ?"
        rowids = [r for (r,) in conn.execute(sql, ["{text} : (" + " AND ".join(subset) + ")"]) if r not in seen]
        seen.update(rowids)
        for version in _versions_of_wordings(conn, rowids):
            held.setdefault(version, len(tokens) - (1 if n else 0))
    if pending.texts:
        hits = _pending_words(pending, tokens)
        need = len(tokens) - (1 if len(tokens) >= 3 else 0)
        for words in (len(tokens), need):
            rowids = [rowid for rowid, got in hits if got == words]
            if rowids:
                for version in {r for (r,) in conn.execute(_VERSIONS_OF_SECTIONS, [json.dumps(rowids)])}:
                    held[version] = max(held.get(version, 0), words)
    return held


def _held(lower: str, forms: list[tuple[int, list[str]]]) -> int:
    """The bits of the terms a lower-cased raw text holds in one of their spellings (``forms``: each term's bit
    and :func:`pipeline.fold.spellings`)."""
    mask = 0
    for bit, spelled in forms:
        if any(form in lower for form in spelled):
            mask |= bit
    return mask


#: each pool version's wordings, one row a version: ``(version rowid, document, seq, wordings)``, the wordings
#: (content hashes, ``row:N`` for a section stored without one) separated by spaces
_POOL_WORDINGS = """
    select v.rowid, v.document_id, v.seq, group_concat(coalesce(s.content_hash, 'row:' || s.rowid), ' ')
    from versions v join section_spans s on s.version_id = v.id where v.rowid in ({marks})
    group by v.rowid order by v.rowid desc"""

#: lower-cased texts of section wordings by content hash (the SHA-256 of the text, so an entry can never hold
#: another text), for the next quotes: the quotes of one session keep coming back to the same documents, and a
#: check reads thousands of wordings (``bench/scale.py``). Bounded by the characters held.
_LOWER = WeightedCache(24_000_000, len)


#: the sections of one version (``versions`` rowid) with the given wordings (content hashes, in ``json_each(?)``):
#: index seeks (``section_spans_version_wording``, migration 0830), not every section of the version
_SECTIONS_OF_WORDINGS = f"""
    select s.content_hash as wording, {SECTION_SPAN_COLUMNS} from section_spans s
    where s.version_id = (select id from versions where rowid = ?)
      and s.content_hash in (select value from json_each(?))"""


def _wording_texts(conn, wanted: set[str], by_version: dict, order: list[int]) -> dict[str, str]:
    """The lower-cased text of each wording in ``wanted`` (see :data:`_POOL_WORDINGS`), from the cache or read
    from the sections that have it: for each wording not cached, the newest version of ``order`` that has it
    (``by_version``: each version's wordings) reads its section with that wording, and no other (each version's
    text read once: :func:`fill_section_texts`). A wording is a content hash, the SHA-256 of the text: any
    section that has it has that text."""
    out: dict[str, str] = {}
    for h in wanted:
        hit = _LOWER.get(h)
        if hit is not None:
            out[h] = hit
    missing = wanted - out.keys()
    if not missing:
        return out
    left, rows = set(missing), []
    for v in order:
        if not left:
            break
        mine = by_version[v][2] & left
        if not mine:
            continue
        left -= mine
        hashes = sorted(h for h in mine if not h.startswith("row:"))
        rowids = [int(h[4:]) for h in mine if h.startswith("row:")]  # a section stored without a content hash
        if hashes:
            rows += sql_rows(conn, _SECTIONS_OF_WORDINGS, [v, json.dumps(hashes)])
        if rowids:
            rows += sql_rows(conn, f"select 'row:' || s.rowid as wording, {SECTION_SPAN_COLUMNS} from section_spans s "
                                   f"where s.rowid in ({','.join('?' * len(rowids))})", rowids)
    first: dict[str, dict] = {}
    for r in rows:
        first.setdefault(r["wording"], r)
    for row in fill_section_texts(conn, list(first.values())):
        out[row["wording"]] = (row["text_markdown"] or "").lower()
    for h in missing:
        if h in out and not h.startswith("row:"):  # a rowid is no content address
            _LOWER.put(h, out[h])
    return out


def _pool_ranks(conn, pool, documents, tokens, shingles, only=None) -> tuple[bool, list[tuple[str, int, int, int]]]:
    """``(full, ranks)``: ``full`` whether some pool version holds every word of the quote, and ``(document,
    seq, words, pairs)`` of each pool version that may pass :func:`_check_pool` (what its text holds of the
    quote's words and word pairs; the others are left out as soon as they miss too many: see below).

    Read by wording, not by version: the versions of a document share most of their sections' wordings
    (on the scale bench's KB, 74,000 sections have 5,500 distinct wordings), so each wording's text is read
    and searched once and a version holds what its wordings hold. A pair split by a section boundary is
    not counted (``rank`` is a lower bound there; the threshold allows a few). A version stored without
    sections rows is read whole. ``only``: these wordings (content hashes) of each version, no other.

    A term at a time, word pairs first (the rarer, pairs of long words before pairs of function words), each
    looked for only in the wordings of the versions still in the running: a version missing more pairs than
    ``need_pairs`` allows, then more words than any ``need`` allows, drops out, its exact rank never needed
    (``full`` is then asked of the versions that dropped out on pairs, a word at a time, only when no version
    still in the running holds every word). So a long text that holds none of the quote costs a few terms,
    not all of them; ``tests/test_cite_speed_paths.py`` checks the outcome against every term looked for in
    every wording.
    """
    by_version: dict[int, tuple[str, int, frozenset]] = {}
    for chunk in range(0, len(pool), 200):
        part = pool[chunk:chunk + 200]
        for vrow, doc_id, seq, wordings in conn.execute(_POOL_WORDINGS.format(marks=",".join("?" * len(part))),
                                                        part):
            if documents is not None and doc_id not in documents:
                continue
            mine = wordings.split(" ")
            by_version[vrow] = (doc_id, seq, frozenset(mine if only is None else (w for w in mine if w in only)))
    order = sorted(by_version, reverse=True)  # newest first, as the rows come
    texts = (_wording_texts(conn, set().union(*(w for _, _, w in by_version.values())), by_version, order)
             if by_version else {})
    holder = _Holders(texts, by_version)
    pair_order = sorted(shingles, key=lambda p: (all(w in STOPWORDS for w in p.split()),
                                                 -min(len(w) for w in p.split())))
    pairs, alive_pairs = holder.count(order, pair_order, len(shingles) - _need_pairs(len(shingles)))
    words, alive = holder.count(alive_pairs, tokens, len(tokens) - _loose_need(len(tokens)))
    full = any(words[v] == len(tokens) for v in alive)
    if not full and tokens:  # did a version that dropped out on pairs hold every word?
        kept = set(alive_pairs)
        dropped = [v for v in order if v not in kept]
        _, dropped = holder.count(dropped, tokens, 0)
        full = bool(dropped)
    scored = [(by_version[v][0], by_version[v][1], words[v], pairs[v]) for v in alive]
    missing = [r for r in pool if r not in by_version]
    forms = [(1 << i, spellings(t)) for i, t in enumerate(tokens + shingles)]
    for chunk in range(0, len(missing), 200):  # versions without sections rows (an empty text, an old KB)
        part = missing[chunk:chunk + 200]
        sql = f"select document_id, seq, text_markdown from versions where rowid in ({','.join('?' * len(part))})"
        for doc_id, seq, text in conn.execute(sql, part):
            if documents is None or doc_id in documents:
                mask = _held((text or "").lower(), forms)
                n_words = (mask & ((1 << len(tokens)) - 1)).bit_count()
                full = full or n_words == len(tokens)
                scored.append((doc_id, seq, n_words, (mask >> len(tokens)).bit_count()))
    return full, scored


class _Holders:
    """Which versions hold a term (in one of its spellings), from their wordings' lower-cased texts: the texts
    of the versions asked about are searched as one string (a term is looked for once, in C, and only where
    it occurs does Python find whose text it is)."""

    def __init__(self, texts: dict[str, str], by_version: dict):
        self.texts, self.by_version = texts, by_version
        self._of: tuple | None = None

    def _joined(self, versions: list[int]):
        if self._of is None or self._of[0] != versions:
            wordings = sorted(set().union(*(self.by_version[v][2] for v in versions)))
            starts, at = [], 0
            for w in wordings:
                starts.append(at)
                at += len(self.texts.get(w, "")) + 1
            # a wording whose row a writer deleted between the two reads holds nothing (as before: no KeyError)
            self._of = (list(versions), wordings, starts, "\x00".join(self.texts.get(w, "") for w in wordings))
        return self._of[1:]

    def holding(self, versions: list[int], term: str) -> set[str]:
        """The wordings of ``versions`` whose text holds ``term``."""
        wordings, starts, joined = self._joined(versions)
        hit: set[str] = set()
        for form in spellings(term):
            at = joined.find(form)
            while at >= 0:
                i = bisect.bisect_right(starts, at) - 1
                hit.add(wordings[i])
                at = joined.find(form, starts[i + 1]) if i + 1 < len(starts) else -1
        return hit

    def count(self, versions: list[int], terms: list[str], slack: int) -> tuple[dict[int, int], list[int]]:
        """``(found, kept)``: how many of ``terms`` each of ``versions`` holds, and the versions that miss at most
        ``slack`` of them (in order; a version is dropped, and no longer looked in, once it misses more)."""
        found = dict.fromkeys(versions, 0)
        alive = list(versions)
        for n, term in enumerate(terms, 1):
            if not alive:
                break
            hit = self.holding(alive, term)
            kept = []
            for v in alive:
                if not hit.isdisjoint(self.by_version[v][2]):
                    found[v] += 1
                    kept.append(v)
                elif n - found[v] <= slack:
                    kept.append(v)
            alive = kept
        return found, alive


def _loose_need(n_tokens: int) -> int:
    """The fewest of the quote's words a candidate may hold (when no version holds them all)."""
    return max(1, n_tokens - max(1, n_tokens // 4))


def _need_pairs(n_shingles: int) -> int:
    """The fewest of the quote's word pairs a candidate must hold: a dropped or changed word breaks two, so a
    few may be missing, not most."""
    return max(0, n_shingles - max(4, n_shingles // 3))


def _check_pool(conn, pool, documents, tokens, shingles, only=None) -> dict[str, dict[int, tuple]]:
    """Step 3 of :func:`candidate_versions`: keep the pool's versions with (nearly) every word and pair
    (``only``: in these wordings, :func:`_pool_ranks`)."""
    full, scored = _pool_ranks(conn, pool, documents, tokens, shingles, only)
    if not scored:
        return {}
    need = len(tokens) if full else _loose_need(len(tokens))
    need_pairs = _need_pairs(len(shingles))
    out: dict[str, dict[int, tuple]] = {}
    for doc_id, seq, words, pairs in scored:
        if words >= need and pairs >= need_pairs:
            out.setdefault(doc_id, {})[seq] = (words, pairs)
    return out
