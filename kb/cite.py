"""Cite check: is this quote the current, effective wording, and what replaced it?

``cite(conn, quote)`` answers, for every document that holds the quote (or
held it), one of:

* ``current``: the quote is in the document's current version;
* ``changed``: it is no longer there, but the passage that replaced it is: the
  answer gives the current wording, a redline from the old wording, and when it
  changed (the first version without it);
* ``removed``: it is gone without a replacement, or the page itself is gone:
  the answer says when, and which was the last version that had it;
* ``not_found``: no version of any tracked document holds it (the closest
  passage, if there is a near miss, is given as ``closest``).

Every answer names platform, document, section, version date, stated effective
date, last successful check and a permalink, with a ready-to-paste citation in
English and Chinese. ``stale`` is true when the last successful check is older
than ``stale_hours`` (default 48): the KB may then be out of date, and the
answer says so instead of claiming the wording is current.

How a quote is matched
----------------------
Copy-paste damages text: whitespace and line breaks, case, curly vs straight
quotes, en/em dashes, full-width vs half-width characters (，vs ,, ２４ vs 24),
Markdown markup that the web page does not show, and a dropped word or two.
Both the quote and each version are reduced to a **key form**: NFKC, lower
case, letters and digits only (every other character, including all quotes,
dashes and punctuation of every width, is dropped; link targets and HTML tags
are masked first). The key form keeps a map back to the raw text, so a match
is cut from the real wording. CJK characters are letters, so Chinese quotes
work the same way.

1. *Candidates* (:func:`candidate_versions`) come from the ``versions_fts``
   trigram index: each of the quote's 8 longest words is probed with a
   ``LIMIT`` (a common word stops early), the versions holding the rare ones
   are read and checked in Python for every word and word pair of the quote.
   So a check reads a handful of versions, not the KB.
2. *Locate* (:func:`locate`) in each candidate: an exact ``str.find`` of the
   key form; failing that, rapidfuzz's ``partial_ratio_alignment`` (and every
   place where the quote's first or last 16 key characters occur) gives a
   window, aligned to the quote by a minimal diff (diff-match-patch, C++). It
   gives two numbers: ``q_err``, quote characters that are not in the text (a
   changed word or a typo), and ``gaps``, text characters the quote skips
   (dropped words: at most a third of the quote, or 16 letters / 6 CJK
   characters for a short one).
3. *Decide* per document by comparing the current version with older ones:
   ``current`` needs ``q_err == 0`` in the current version and no older version
   matching better (so "must not sell" → "must sell" is caught although a
   dropped word is tolerated); otherwise the newest version with the best
   match is the last that had it, and a word diff from it to the current
   version, of a window anchored on unchanged text around the quote, maps the
   quote onto its replacement: some text → ``changed``, nothing → ``removed``.

Why not diff-match-patch's ``match_main`` (Bitap): a pattern is at most 32
characters in the pure-Python implementation (64 in the C++ binding's
``match``), so a quote can only be located by its first 32 or 64 key
characters, and damage there (a dropped word) loses it; it scores errors
against the distance from an expected place that we do not have; the pure one
is slow on a long page. Measured by ``bench/eval_cite.py --matchers`` on 300
damaged quotes (curly quotes, case, line breaks, full-width digits, a dropped
word) sampled from 57 documents of ``../shared/corpus/``: ``match_main`` put
44.3 % at the right place (median 28 ms, p95 217 ms), the C++ ``match`` with
64 characters 14.0 % (1 ms), :func:`locate` 99.3 % (median 1.9 ms, p95 9.5 ms).
"""

from __future__ import annotations

import bisect
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from diff_match_patch import diff_match_patch
from rapidfuzz import fuzz

from pipeline.diff import diff_ops

try:
    import fast_diff_match_patch as _fast
except ImportError:  # pragma: no cover - the pure implementation serves
    _fast = None

STALE_HOURS = 48
MIN_QUOTE_WEIGHT = 12  # key characters, CJK counting double
MAX_TOKENS = 8
PROBE_LIMIT = 300  # a word in at least this many versions is common (see candidate_versions)
MAX_CANDIDATES = 400  # versions read and checked in Python
MAX_VERSIONS_PER_DOC = 40
NEAR_PAIRS = 2  # candidates with this many fewer word pairs than the best are not looked at
MAX_DOCUMENTS = 25

WORD_RE = re.compile(r"[^\W_]+")
BLOCK = 2048  # characters per block of a KeyText's lazy offset map
NON_WORD_RE = re.compile(r"[\W_]+")
# Masked (replaced by spaces of the same length) before keying: Markdown link
# targets and images' URLs, and HTML tags. The page shows neither.
MASK_RE = re.compile(r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)|<[^>\n]{1,300}>")
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
SENTENCE_END = "。！？；!?;"
# Words in nearly every policy text: they select nothing and their FTS doclists are the longest.
STOPWORDS = frozenset("""
the and for are but not you your all any can had has have her his its may must our out shall should that their
them then there these they this those was were what when where which while who whom why will with would from into
than such been being also each other only over under upon more most same some very about after before between
der die das und den dem des ein eine für mit von auf ist les des une pour par sur dans est que qui del los las
por con para una che per della
""".split())


class CiteError(ValueError):
    """A quote or option the check cannot work with (the message says why)."""


# --- key form -----------------------------------------------------------------------------------

def _key_chars(text: str) -> str:
    """The key characters of a short string: NFKC, lower case, letters and digits only."""
    norm = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in norm if ch.isalnum())


@dataclass
class KeyText:
    """A text's key form with a map back to raw offsets.

    ``runs`` are ``(key_start, key_len, raw_start, raw_len)``; a run with equal
    lengths maps character by character. Where normalizing keeps every offset
    (nearly always), the runs are only worked out when a match needs them.
    """

    raw: str
    key: str
    key_starts: list | None = None
    runs: list | None = None
    normalized: str | None = None  # same length as ``raw``, for the lazy map

    def _run(self, k: int):
        if self.runs is None:
            return self._lazy_run(k)
        i = bisect.bisect_right(self.key_starts, k) - 1
        return self.runs[max(i, 0)]

    def _lazy_run(self, k: int):
        """The run holding key character ``k``, from a per-block count of word characters (built once)."""
        if self.key_starts is None:
            self.key_starts, total = [], 0
            for b in range(0, len(self.normalized), BLOCK):
                self.key_starts.append(total)
                total += len(NON_WORD_RE.sub("", self.normalized[b:b + BLOCK]))
        i = max(0, bisect.bisect_right(self.key_starts, k) - 1)
        while True:  # a block may hold no word character at all: go on to the next
            base, kpos = i * BLOCK, self.key_starts[i]
            for m in WORD_RE.finditer(self.normalized, base, min(len(self.normalized), base + BLOCK)):
                size = m.end() - m.start()
                if k < kpos + size:
                    return (kpos, size, m.start(), size)
                kpos += size
            if i + 1 >= len(self.key_starts):
                return (kpos, 0, len(self.normalized), 0)
            i += 1

    def raw_start(self, k: int) -> int:
        ks, kl, rs, rl = self._run(k)
        return rs + (k - ks) if kl == rl else rs

    def raw_end(self, k_end: int) -> int:
        """Raw offset just after key character ``k_end - 1``."""
        ks, kl, rs, rl = self._run(k_end - 1)
        return rs + (k_end - ks) if kl == rl else rs + rl

    def raw_span(self, ks: int, ke: int) -> tuple[int, int]:
        return self.raw_start(ks), self.raw_end(ke)


_EXPANDING: dict | None = None


def _expanding_punctuation() -> dict:
    """``str.translate`` table: characters whose NFKC form is several non-word characters → a space."""
    global _EXPANDING
    if _EXPANDING is None:
        table = {}
        for cp in range(0x80, 0x10000):
            ch = chr(cp)
            if 0xD800 <= cp < 0xE000:
                continue
            norm = unicodedata.normalize("NFKC", ch)
            if len(norm) > 1 and not any(c.isalnum() for c in norm):
                table[cp] = " "
        _EXPANDING = table
    return _EXPANDING


def key_text(text: str) -> KeyText:
    """Key form of a text (see the module docstring), keeping the offsets."""
    text = text or ""
    masked = MASK_RE.sub(lambda m: "]" + " " * (len(m.group()) - 1) if m.group().startswith("]") else
                         " " * len(m.group()), text)
    # Fast path: one normalization of the whole text that keeps every offset. Characters whose NFKC
    # form is longer but holds no letter or digit ("…" → "...") are spaces to the key anyway.
    if masked.isascii():
        normalized = masked.lower()
    else:
        normalized = unicodedata.normalize("NFKC", masked).lower()
        if len(normalized) != len(masked):
            masked = masked.translate(_expanding_punctuation())
            normalized = unicodedata.normalize("NFKC", masked).lower()
    if len(normalized) == len(masked):
        return KeyText(text, NON_WORD_RE.sub("", normalized), normalized=normalized)
    parts, starts, runs, kpos = [], [], [], 0
    for m in WORD_RE.finditer(masked):
        s = m.group()
        k = s.lower() if s.isascii() else unicodedata.normalize("NFKC", s).lower()
        if len(k) == len(s) and (s.isascii() or k.isalnum()):
            parts.append(k)
            starts.append(kpos)
            runs.append((kpos, len(k), m.start(), len(s)))
            kpos += len(k)
            continue
        for i, ch in enumerate(s):  # rare: a character whose key form has another length
            kc = _key_chars(ch)
            if kc:
                parts.append(kc)
                starts.append(kpos)
                runs.append((kpos, len(kc), m.start() + i, 1))
                kpos += len(kc)
    return KeyText(text, "".join(parts), starts, runs)


def key_form(text: str) -> str:
    """Only the key string of a text (for quotes)."""
    return key_text(text).key


def quote_weight(key: str) -> int:
    return len(key) + len(CJK_RE.findall(key))


# --- locating a quote in one text ----------------------------------------------------------------

@dataclass
class Match:
    """Where a quote stands in a text: key span, errors on each side, raw span."""

    start: int
    end: int
    q_err: int  # quote characters not in the text (changed words, typos)
    gaps: int  # text characters the quote skips (dropped words)
    raw_start: int
    raw_end: int
    omitted: list = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int]:
        return (self.q_err, self.gaps)

    @property
    def exact(self) -> bool:
        return self.q_err == 0


def gap_allowance(quote_key: str) -> int:
    """Text characters a quote may skip: a dropped word or two (German words run long; Chinese ones short)."""
    mostly_cjk = len(CJK_RE.findall(quote_key)) * 2 > len(quote_key)
    return max(6 if mostly_cjk else 16, len(quote_key) // 3)


def error_allowance(quote_key: str) -> int:
    """Quote characters that may be missing from a passage for it to count as the same passage."""
    return max(2, len(quote_key) // 12)


def align(a: str, b: str) -> list[tuple[int, int, int]]:
    """Matching blocks ``(i, j, size)`` of a minimal diff of ``a`` against ``b`` (no cleanup).

    diff-match-patch's Myers diff (the C++ binding where installed): its
    alignments are compact, where an LCS backtrace (rapidfuzz's ``editops``)
    may match a quote's first or last letters to stray letters far away.
    """
    if _fast is not None:
        ops = [(op, text) for op, text in _fast.diff(a, b, timelimit=0, cleanup="No", counts_only=False)]
    else:  # pragma: no cover - the pure implementation
        dmp = diff_match_patch()
        dmp.Diff_Timeout = 0
        ops = [({0: "=", -1: "-", 1: "+"}[op], text) for op, text in dmp.diff_main(a, b, False)]
    blocks, i, j = [], 0, 0
    for op, text in ops:
        if op == "=":
            blocks.append((i, j, len(text)))
            i += len(text)
            j += len(text)
        elif op == "-":
            i += len(text)
        else:
            j += len(text)
    return blocks


def locate(quote_key: str, kt: KeyText) -> Match | None:
    """Best place of a quote (key form) in a text, or None if nothing is close.

    An exact find first; else the window rapidfuzz's ``partial_ratio_alignment``
    likes best and, when that is not a perfect fit, windows around each place
    where the quote's first or last 16 key characters occur (the same sentence
    can stand twice in a page, once with a changed word): each is aligned by
    :func:`_align_at`, the best kept.

    :param quote_key: the quote's key form (:func:`key_form`)
    :param kt: the text's :class:`KeyText`
    """
    n = len(quote_key)
    if not n or not kt.key:
        return None
    i = kt.key.find(quote_key)
    if i >= 0:
        rs, re_ = kt.raw_span(i, i + n)
        return Match(i, i + n, 0, 0, rs, re_)
    allow_gap, allow_err = gap_allowance(quote_key), error_allowance(quote_key)
    cutoff = max(0.0, 100.0 * (1 - (allow_err + allow_gap) / max(n, 1)) - 5)
    found = fuzz.partial_ratio_alignment(quote_key, kt.key, score_cutoff=min(cutoff, 90.0))
    best = _align_at(quote_key, kt, found.dest_start, found.dest_end) if found else None
    if best is not None and best.q_err == 0:
        return best
    starts = set()
    for anchor, shift in ((quote_key[:16], 0), (quote_key[-16:], n - 16)):
        at = kt.key.find(anchor)
        while at >= 0 and len(starts) < 8:
            starts.add(max(0, at - shift))
            at = kt.key.find(anchor, at + 1)
    for start in sorted(starts):
        m = _align_at(quote_key, kt, start, min(len(kt.key), start + n))
        if m is not None and (best is None or m.score < best.score):
            best = m
    return best


def _align_at(quote_key: str, kt: KeyText, dest_start: int, dest_end: int) -> Match | None:
    """Align a quote with the text around ``[dest_start, dest_end)`` (key offsets), within the allowances."""
    n = len(quote_key)
    allow_gap, allow_err = gap_allowance(quote_key), error_allowance(quote_key)
    w0 = max(0, dest_start - allow_gap - 4)
    w1 = min(len(kt.key), dest_end + allow_gap + 4)
    window = kt.key[w0:w1]
    blocks = align(quote_key, window)
    if not blocks:
        return None
    # A minimal diff may match the quote's first (or last) letters to stray letters before (after) the
    # passage: align the part of the quote before the first solid block again on reversed strings, and
    # the part after the last one forwards, so that each is matched as close to the passage as it can.
    solid = [i for i, b in enumerate(blocks) if b[2] >= 3] or [max(range(len(blocks)), key=lambda i: blocks[i][2])]
    (fa, fb, _), (la, lb, ls) = blocks[solid[0]], blocks[solid[-1]]
    prefix, suffix = [], []
    if fa:
        lo = max(0, fb - fa - allow_gap)
        seg = window[lo:fb]
        prefix = sorted((fa - a - size, lo + len(seg) - b - size, size)
                        for a, b, size in align(quote_key[:fa][::-1], seg[::-1]))
    if la + ls < n:
        hi = min(len(window), lb + ls + (n - la - ls) + allow_gap)
        suffix = [(la + ls + a, lb + ls + b, size) for a, b, size in align(quote_key[la + ls:], window[lb + ls:hi])]
    blocks = [b for b in prefix + blocks[solid[0]:solid[-1] + 1] + suffix if b[2]]

    def measure(bs):
        size = sum(b[2] for b in bs)
        return n - size, (bs[-1][1] + bs[-1][2] - bs[0][1]) - size

    q_err, gaps = measure(blocks)
    # Too much skipped text: drop stray one- or two-character matches at the ends (each costs a quote error).
    while gaps > allow_gap and len(blocks) > 1:
        head_gap = blocks[1][1] - (blocks[0][1] + blocks[0][2])
        tail_gap = blocks[-1][1] - (blocks[-2][1] + blocks[-2][2])
        if blocks[0][2] <= 2 and head_gap >= tail_gap:
            blocks.pop(0)
        elif blocks[-1][2] <= 2:
            blocks.pop()
        else:
            break
        q_err, gaps = measure(blocks)
    start, end = w0 + blocks[0][1], w0 + blocks[-1][1] + blocks[-1][2]
    if q_err > allow_err or gaps > allow_gap:
        return None
    rs, re_ = kt.raw_span(start, end)
    omitted = []
    if q_err == 0:
        for a, b in zip(blocks, blocks[1:]):
            gs, ge = w0 + a[1] + a[2], w0 + b[1]
            if ge - gs >= 2:
                omitted.append(kt.raw[kt.raw_start(gs):kt.raw_end(ge)].strip())
    return Match(start, end, q_err, gaps, rs, re_, omitted)


# --- candidates from the FTS index ---------------------------------------------------------------

def quote_tokens(quote: str, limit: int = MAX_TOKENS) -> list[str]:
    """Words of the quote usable as trigram FTS phrases (3+ characters), longest first.

    CJK runs are cut into 3-character pieces, so one changed character spoils
    one piece, not the whole run.
    """
    norm = unicodedata.normalize("NFKC", quote).lower()
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


def _fts_phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def quote_shingles(quote: str) -> list[str]:
    """Word pairs of the quote (``"late shipment"``) as a page's lower-cased text has them, and its CJK pieces.

    Only pairs of plain words separated by white space: they are found in the
    raw text without normalizing it (a search in a few hundred long versions).
    """
    parts = unicodedata.normalize("NFKC", quote).lower().split()
    out = [f"{a} {b}" for a, b in zip(parts, parts[1:])
           if a.isalnum() and b.isalnum() and not (CJK_RE.search(a) or CJK_RE.search(b))]
    for m in WORD_RE.finditer(unicodedata.normalize("NFKC", quote).lower()):
        word = m.group()
        if CJK_RE.search(word):
            out += [word[i:i + 3] for i in range(0, len(word) - 2, 3)]
    return list(dict.fromkeys(out))


def candidate_versions(conn, quote: str, documents: set | None = None) -> dict[str, dict[int, tuple]]:
    """Versions that may hold the quote: ``{document_id: {seq: rank}}``.

    1. Each of the quote's words (longest first, a CJK piece counting triple,
       function words last) is looked up in the trigram FTS index with a
       ``LIMIT``: a word found in fewer versions than the limit is *rare*, and
       its versions are complete; a common word stops early, so it costs a few
       milliseconds instead of up to 150 ms on a large KB (measured by
       ``bench/cite_speed.py``).
    2. The versions holding every rare word (all but one when there are three
       or more: a typo, a changed word) are the pool; with no rare word, full
       queries for the common words are intersected instead (all but one, three
       words at least, until at most ``MAX_CANDIDATES`` versions are left).
    3. The pool is read and checked in Python against every word of the quote
       (all, else all but a quarter) and its word pairs (all but a few: a
       dropped word breaks two); ``rank`` is (words, pairs) found.
    """
    tokens = quote_tokens(quote)
    if not tokens:
        return {}
    shingles = quote_shingles(quote)
    rare: list[set[int]] = []
    common: list[str] = []
    for token in tokens:
        found = {r for (r,) in conn.execute("select rowid from versions_fts where versions_fts match ? limit ?",
                                            [_fts_phrase(token), PROBE_LIMIT])}
        if len(found) >= PROBE_LIMIT:
            common.append(token)
        elif found:
            rare.append(found)
    counts: dict[int, int] = {}

    def add(found):
        for r in found:
            counts[r] = counts.get(r, 0) + 1

    def pool_of(n_sets):
        need = n_sets - (1 if n_sets >= 3 else 0)
        best = max(counts.values(), default=0)
        return [r for r, c in counts.items() if c >= min(need, best)]

    if rare:
        for found in rare:
            add(found)
        pool = pool_of(len(rare))
    else:  # only common words: intersect full lists, three words at least, until the pool is small
        for n_sets, token in enumerate(common, 1):
            add(r for (r,) in conn.execute("select rowid from versions_fts where versions_fts match ?",
                                           [_fts_phrase(token)]))
            pool = pool_of(n_sets)
            if n_sets >= 3 and len(pool) <= MAX_CANDIDATES:
                break
    if not counts:
        return {}
    pool.sort(key=lambda r: (-counts[r], -r))
    pool = pool[:MAX_CANDIDATES]  # newest first among equals (rowids grow as versions are recorded)
    scored = []
    for chunk in range(0, len(pool), 200):
        part = pool[chunk:chunk + 200]
        sql = f"select document_id, seq, text_markdown from versions where rowid in ({','.join('?' * len(part))})"
        for doc_id, seq, text in conn.execute(sql, part):
            if documents is not None and doc_id not in documents:
                continue
            lower = text.lower()
            words = sum(1 for t in tokens if t in lower)
            scored.append((doc_id, seq, words, lower))
    if not scored:
        return {}
    top = max(row[2] for row in scored)
    need = len(tokens) if top == len(tokens) else max(1, len(tokens) - max(1, len(tokens) // 4))
    # A dropped or changed word breaks two word pairs: allow a few, not most.
    need_pairs = max(0, len(shingles) - max(4, len(shingles) // 3))
    out: dict[str, dict[int, tuple]] = {}
    for doc_id, seq, words, lower in scored:
        if words < need:
            continue
        pairs = sum(1 for t in shingles if t in lower)
        if pairs >= need_pairs:
            out.setdefault(doc_id, {})[seq] = (words, pairs)
    return out


# --- helpers over the KB ------------------------------------------------------------------------

def _rows(conn, sql, params=()) -> list[dict]:
    cur = conn.execute(sql, params)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _conn(db) -> sqlite3.Connection:
    """Accept a ``sqlite3.Connection`` or a ``sqlite_utils.Database``."""
    return getattr(db, "conn", db)


def parse_when(value, end_of_day=False) -> datetime:
    """``YYYY-MM-DD`` or an ISO 8601 time → aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            d = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
            return d + timedelta(days=1, microseconds=-1) if end_of_day else d
        d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CiteError(f"{value!r} is not a date (use YYYY-MM-DD or an ISO 8601 time)") from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def now_utc(now=None) -> datetime:
    """The current time, or ``now`` if given, or ``$POLICYKB_NOW`` (for tests and replays)."""
    if now is not None:
        return parse_when(now)
    env = os.environ.get("POLICYKB_NOW")
    return parse_when(env) if env else datetime.now(timezone.utc)


def iso(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def permalink(document_id: str, seq: int, base_url: str = "") -> str:
    """Link to one version of a document in the KB: its page ``/-/policykb/doc/<platform>/<doc>/v/<seq>``.

    :param document_id: ``platform/document``
    :param seq: the version's number (1, 2, ...)
    :param base_url: Datasette's address (``""`` gives a path)
    """
    return f"{base_url.rstrip('/')}/-/policykb/doc/{document_id}/v/{seq}"


def zh_date(value: str | None) -> str:
    """``2026-04-01`` → ``2026年4月1日``."""
    if not value:
        return ""
    y, m, d = value[:10].split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


class _Versions:
    """Versions of one document, loaded and keyed on demand."""

    def __init__(self, conn, doc_id):
        self.conn, self.doc_id = conn, doc_id
        self._rows: dict[int, dict] = {}
        self._keys: dict[int, KeyText] = {}

    def get(self, seq) -> dict | None:
        if seq not in self._rows:
            rows = _rows(self.conn, "select * from versions where document_id = ? and seq = ?", [self.doc_id, seq])
            self._rows[seq] = rows[0] if rows else None
        return self._rows[seq]

    def key(self, seq) -> KeyText:
        if seq not in self._keys:
            self._keys[seq] = key_text(self.get(seq)["text_markdown"])
        return self._keys[seq]

    def at(self, when: datetime) -> dict | None:
        rows = _rows(self.conn, "select seq from versions where document_id = ? and observed_at <= ? "
                                "order by seq desc limit 1", [self.doc_id, iso(when)])
        return self.get(rows[0]["seq"]) if rows else None


def section_spans(conn, version: dict) -> list[tuple[dict, int, int]]:
    """The sections of a version with their spans in its text: ``[(row, start, end)]``, in order.

    From the ``sections`` table (each section is found in the text by its
    first characters; it runs to the next one); a version without sections
    rows is split on the fly with :func:`pipeline.sections.split_sections`.
    """
    text = version["text_markdown"] or ""
    rows = _rows(conn, "select key, heading, level, ordinal, text_markdown from sections where version_id = ? "
                       "order by ordinal", [version["id"]])
    if not rows:
        from pipeline.sections import split_sections

        rows = [{"key": s.key, "heading": s.heading, "level": s.level, "ordinal": s.ordinal,
                 "text_markdown": s.text} for s in split_sections(text)]
    found, cursor = [], 0
    for row in rows:
        probe = (row["text_markdown"] or "").strip()[:120]
        at = text.find(probe, cursor) if probe else -1
        if at < 0:
            continue
        found.append((row, at))
        cursor = at + 1
    return [(row, at, found[i + 1][1] if i + 1 < len(found) else len(text)) for i, (row, at) in enumerate(found)]


def section_at(conn, version: dict, raw_pos: int) -> dict | None:
    """The section of a version that holds a raw offset."""
    best = None
    for row, start, _ in section_spans(conn, version):
        if start <= raw_pos:
            best = row
        else:
            break
    return best


def replacement_span(old: KeyText, new: KeyText, match: Match, fine: bool = True) -> tuple[int, int]:
    """The raw span of ``new`` that replaced a match in ``old``.

    Only a window around the match is diffed: 40 key characters at some
    distance before and after it (300, then 3,000) are found again in the new
    text, and the text between these anchors is diffed (a whole document can
    take a second to diff when much of it was rewritten). Without anchors, the
    stretch of the new text most like the match's neighbourhood (rapidfuzz) is
    diffed instead.
    """
    anchor = 40
    for distance in (300, 3000):
        ls, rs = max(0, match.start - distance), min(len(old.key), match.end + distance)
        if ls == 0:
            old_lo, new_lo, at = 0, 0, 0
        else:
            left = old.key[max(0, ls - anchor):ls]
            at = new.key.find(left)
            if len(left) < anchor or at < 0:
                continue
            old_lo, new_lo = old.raw_end(ls), new.raw_end(at + len(left))
            at += len(left)
        if rs == len(old.key):
            old_hi, new_hi = len(old.raw), len(new.raw)
        else:
            right = old.key[rs:rs + anchor]
            to = new.key.find(right, at)
            if len(right) < anchor or to < 0:
                continue
            old_hi, new_hi = old.raw_start(rs), new.raw_start(to)
        if old_lo <= match.raw_start and match.raw_end <= old_hi and new_lo <= new_hi:
            break
    else:
        # No anchors: the neighbourhood was rewritten. Its most similar stretch of the new text stands in.
        ls, rs = max(0, match.start - 300), min(len(old.key), match.end + 300)
        found = fuzz.partial_ratio_alignment(old.key[ls:rs], new.key, score_cutoff=50)
        if found is None:
            return 0, 0
        old_lo, old_hi = old.raw_start(ls), old.raw_end(rs)
        new_lo, new_hi = new.raw_start(found.dest_start), new.raw_end(max(found.dest_start + 1, found.dest_end))
    a, b = map_span(word_diff(old.raw[old_lo:old_hi], new.raw[new_lo:new_hi]),
                    match.raw_start - old_lo, match.raw_end - old_lo, fine=fine)
    return new_lo + a, new_lo + b


CLAUSE_KEY_RE = re.compile(r"^第(\d+)([条章节款])$")
CLAUSE_EN = {"条": "article", "章": "chapter", "节": "section", "款": "paragraph"}
ZH_CLAUSE_RE = re.compile(r"^第[^条章节款\s]{1,8}[条章节款]")


def section_labels(section: dict | None) -> tuple[str | None, str | None, str | None]:
    """(short label, English citation part, Chinese citation part) of a section, or Nones.

    The document's title heading and the text before the first heading are not sections worth citing.
    """
    if not section or section["key"] == "_preamble" or (section["ordinal"] == 0 and section["level"] == 1):
        return None, None, None
    key = section["key"].split("~")[0]
    heading = (section["heading"] or "").strip()
    if re.fullmatch(r"\d+(?:\.\d+)*", key):
        return key, f"section {key}", f"第{key}节"
    m = CLAUSE_KEY_RE.match(key)
    if m:
        zh = ZH_CLAUSE_RE.match(heading)
        return (zh.group(0) if zh else key), f"{CLAUSE_EN[m.group(2)]} {m.group(1)}", (zh.group(0) if zh else key)
    label = heading or key
    return label, f'section "{label}"', f"“{label}”部分"


def sentence_bounds(text: str, start: int, end: int, limit: int = 600) -> tuple[int, int]:
    """Widen a raw span to whole sentences (or the line), at most ``limit`` characters each way."""
    s = start
    while s > 0 and start - s < limit:
        ch = text[s - 1]
        if ch == "\n" or ch in SENTENCE_END or (ch == "." and s < len(text) and text[s].isspace()):
            break
        s -= 1
    e = end
    while e < len(text) and e - end < limit:
        ch = text[e]
        if ch == "\n":
            break
        e += 1
        if ch in SENTENCE_END or (ch == "." and (e >= len(text) or text[e].isspace())):
            break
    while s < e and text[s] in " \t#>|*-+":
        s += 1
    while e > s and text[e - 1] in " \t|":
        e -= 1
    return s, e


def _map_pos(ops, p: int, is_end: bool, fine: bool = False) -> int:
    """Where offset ``p`` of the old text lands in the new one (see :func:`map_span`)."""
    o = n = 0
    i = 0
    while i < len(ops):
        op, text = ops[i]
        size = len(text)
        if op == 0:
            if p < o + size or (is_end and p == o + size):
                return n + (p - o)
            o += size
            n += size
        elif op == -1:
            ins = ops[i + 1][1] if i + 1 < len(ops) and ops[i + 1][0] == 1 else ""
            if p < o + size or (is_end and p == o + size):
                if ins and not fine:  # inside a replaced block: map within it, word by word, without cleanup
                    return n + _map_pos(word_diff(text, ins, cleanup=False), p - o, is_end, fine=True)
                return n + len(ins) if is_end else n
            o += size
            if ins:
                n += len(ins)
                i += 1
        else:
            n += size
        i += 1
    return n


def map_span(ops, start: int, end: int, fine: bool = True) -> tuple[int, int]:
    """Map a span of the old text through a diff (``[(op, text)]``) to the span of the new text that replaced it.

    Within a replaced block (a deletion and the insertion after it), the
    offsets are mapped again through a word diff of the two without cleanup,
    so a sentence maps onto its successor and not onto the whole block
    (``fine=False``: onto the whole block).
    """
    new_start = _map_pos(ops, start, False, fine=not fine)
    return new_start, max(new_start, _map_pos(ops, end, True, fine=not fine))


# A word is a run of letters/digits outside the CJK blocks; a CJK character,
# a space run or a punctuation mark is a token of its own.
TOKEN_RE = re.compile(r"(?:(?![\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef])[^\W_])+|\s+|.", re.S)


def word_diff(old: str, new: str, cleanup: bool = True) -> list[tuple[int, str]]:
    """Diff two texts word by word: ``[(op, text)]``, op -1 delete, 0 equal, 1 insert.

    With ``cleanup`` (the default) this is :func:`pipeline.diff.diff_ops`, the
    KB's own diff: anchored on unchanged lines, words as units, semantic
    cleanup, so a redline reads as replaced words and phrases. Without, each
    distinct word becomes one character (diff-match-patch's documented "words
    to chars" trick) and the minimal diff is kept: it maps a passage onto the
    one that replaced it word for word (see :func:`map_span`).
    """
    if cleanup:
        return diff_ops(old or "", new or "")
    tokens: dict[str, str] = {}
    decode: list[str] = []

    def encode(text):
        out = []
        for tok in TOKEN_RE.findall(text or ""):
            if tok not in tokens:
                n = len(decode)
                tokens[tok] = chr(0xE000 + n) if n < 6400 else chr(0xF0000 + n - 6400)
                decode.append(tok)
            out.append(tokens[tok])
        return "".join(out)

    def plain(chars):
        return "".join(decode[ord(c) - 0xE000] if ord(c) < 0xF0000 else decode[ord(c) - 0xF0000 + 6400]
                       for c in chars)

    a, b = encode(old), encode(new)
    if _fast is not None:
        ops = [({"=": 0, "-": -1, "+": 1}[op], t)
               for op, t in _fast.diff(a, b, timelimit=0, cleanup="No", counts_only=False)]
    else:  # pragma: no cover - the pure implementation
        dmp = diff_match_patch()
        dmp.Diff_Timeout = 0
        ops = dmp.diff_main(a, b, False)
    return [(op, plain(t)) for op, t in ops]


def redline_ops(old: str, new: str) -> list[dict]:
    """Word-level redline of two passages: ``[{"op": "=" | "-" | "+", "text": ...}]``."""
    return [{"op": {0: "=", -1: "-", 1: "+"}[op], "text": t} for op, t in word_diff(old, new)]


def redline_text(ops: list[dict]) -> str:
    """A redline as plain text: ``[-deleted-]{+inserted+}``."""
    return "".join(o["text"] if o["op"] == "=" else (f"[-{o['text']}-]" if o["op"] == "-" else f"{{+{o['text']}+}}")
                   for o in ops)


# --- the check ----------------------------------------------------------------------------------

def _documents(conn, platform=None, url=None, ids=None) -> dict[str, dict]:
    where, params = [], []
    if ids is not None:
        if not ids:
            return {}
        where.append(f"d.id in ({','.join('?' * len(ids))})")
        params += list(ids)
    if platform:
        where.append("d.platform_id = ?")
        params.append(platform)
    if url:
        where.append("(d.url = ? or rtrim(d.url, '/') = rtrim(?, '/') or d.id = ?)")
        params += [url, url, url]
    sql = ("select d.*, p.name as platform_name, p.name_zh as platform_name_zh from documents d "
           "join platforms p on p.id = d.platform_id" + (" where " + " and ".join(where) if where else ""))
    return {r["id"]: r for r in _rows(conn, sql, params)}


def _last_success(conn, doc: dict) -> str | None:
    """The latest check that told us the truth about the page (a gone answer counts)."""
    row = conn.execute("select max(checked_at) from checks where document_id = ? and outcome != 'failed'",
                       [doc["id"]]).fetchone()
    return (row[0] if row else None) or doc.get("last_success")


def _last_seen(conn, version_id: str) -> str | None:
    row = conn.execute("select max(checked_at) from checks where version_id = ?", [version_id]).fetchone()
    return row[0] if row and row[0] else None


def _change_into(conn, version_id: str) -> dict | None:
    rows = _rows(conn, "select * from changes where to_version_id = ?", [version_id])
    return rows[0] if rows else None


def _effective(conn, version: dict) -> tuple[str | None, str | None]:
    """The version's effective date and where it comes from (``stated`` in the text, or the change record)."""
    if version.get("effective_date"):
        return version["effective_date"], "stated"
    change = _change_into(conn, version["id"])
    if change and change.get("effective_date"):
        return change["effective_date"], change.get("effective_date_source") or "detected"
    return None, None


def _version_info(conn, doc, version, raw_pos, base_url, now) -> dict:
    section = section_at(conn, version, raw_pos)
    label, _, _ = section_labels(section)
    eff, eff_source = _effective(conn, version)
    return {
        "version_id": version["id"], "version_seq": version["seq"], "observed_at": version["observed_at"],
        "version_date": (version["observed_at"] or "")[:10], "last_updated": version.get("last_updated"),
        "effective_date": eff, "effective_date_source": eff_source,
        "effective_in_future": bool(eff and eff_source == "stated" and eff > now.date().isoformat()),
        "section": label, "section_key": section["key"] if section else None,
        "section_heading": section["heading"] if section else None,
        "permalink": permalink(version["document_id"], version["seq"], base_url),
        "last_seen": _last_seen(conn, version["id"]),
        "_section": section,
    }


def citation(doc: dict, info: dict, retrieved: str | None, note_en: str = "", note_zh: str = "") -> dict:
    """Ready-to-paste citations of a version, in English and Chinese."""
    _, sec_en, sec_zh = section_labels(info.get("_section"))
    zh_doc = (doc.get("locale") or "").lower().startswith("zh")
    title_en = (doc.get("title_en") or doc["title"]) if zh_doc else doc["title"]
    title_zh = doc["title"] if zh_doc else (doc.get("title_zh") or doc["title"])
    eff = info["effective_date"] if info.get("effective_date_source") == "stated" else None
    en = f'{doc["platform_name"]}, "{title_en}"'
    if zh_doc and title_en != doc["title"]:
        en += f" ({doc['title']})"
    if sec_en:
        en += f", {sec_en}"
    en += f", version of {info['version_date']}"
    if eff:
        en += f" (effective {eff})"
    if retrieved:
        en += f", retrieved {retrieved[:10]}"
    en += f", {doc['url']}"
    if note_en:
        en += f" ({note_en})"
    zh = f"{doc.get('platform_name_zh') or doc['platform_name']}《{title_zh}》{sec_zh or ''}，{zh_date(info['version_date'])}版本"
    if eff:
        zh += f"（{zh_date(eff)}生效）"
    if retrieved:
        zh += f"，{zh_date(retrieved)}核实"
    zh += f"，{doc['url']}"
    if note_zh:
        zh += f"（{note_zh}）"
    return {"en": en, "zh": zh}


def _public(info: dict) -> dict:
    return {k: v for k, v in info.items() if not k.startswith("_")}


def _answer_for(conn, doc, quote, quote_key, seqs, as_of, now, stale_hours, base_url,
                full=(0, 0)) -> dict | None:
    """The answer for one document, or None when no version of it holds the quote."""
    versions = _Versions(conn, doc["id"])
    current_seq = None
    if doc.get("current_version_id"):
        row = conn.execute("select seq from versions where id = ?", [doc["current_version_id"]]).fetchone()
        current_seq = row[0] if row else None
    as_of_version = versions.at(as_of) if as_of else None
    # The current version first, then the candidates likeliest to hold the quote (most of its words
    # and word pairs), newest first among equals: a perfect match (no error, nothing skipped) cannot be
    # beaten, so the search stops there. Versions far below the best candidate are left out.
    top = max(seqs.values(), default=(0, 0))
    # Some version has every word of the quote and its word pairs but those a dropped word breaks.
    full = top[0] >= full[0] and top[1] >= full[1] - NEAR_PAIRS
    likely = [s for s, rank in seqs.items() if rank[1] >= top[1] - NEAR_PAIRS and s != current_seq]
    order = ([current_seq] if current_seq else []) + sorted(likely, key=lambda s: (seqs[s], s), reverse=True)
    matches: dict[int, Match | None] = {}
    for i, seq in enumerate(order[:MAX_VERSIONS_PER_DOC]):
        matches[seq] = locate(quote_key, versions.key(seq))
        if matches[seq] is not None and matches[seq].score == (0, 0):
            break
        if i >= 2 and not full and not any(matches.values()):
            break  # no version has all the quote's words and pairs, and the likeliest hold nothing close
    if as_of_version and as_of_version["seq"] not in matches:
        matches[as_of_version["seq"]] = locate(quote_key, versions.key(as_of_version["seq"]))
    found = {s: m for s, m in matches.items() if m is not None}
    if not found:
        return None
    best_score = min(m.score for m in found.values())
    last_seq = max(s for s, m in found.items() if m.score == best_score)  # newest version with the best match
    last = versions.get(last_seq)
    cur_match = matches.get(current_seq)
    current = versions.get(current_seq) if current_seq else None
    gone = doc.get("state") == "gone"
    last_checked = _last_success(conn, doc)
    stale = not last_checked or parse_when(last_checked) < now - timedelta(hours=stale_hours)

    answer = {
        "status": None, "stale": stale, "platform": doc["platform_id"], "platform_name": doc["platform_name"],
        "platform_name_zh": doc.get("platform_name_zh"), "document": doc["id"], "title": doc["title"],
        "title_zh": doc.get("title_zh"), "title_en": doc.get("title_en"), "url": doc["url"],
        "document_state": doc.get("state"), "gone_since": doc.get("gone_since"), "last_checked": last_checked,
    }
    m_last = found[last_seq]
    match_info = {"kind": "exact" if m_last.exact else "approximate", "quote_chars_not_found": m_last.q_err,
                  "skipped_chars": m_last.gaps, "omitted": m_last.omitted}
    if not m_last.exact:
        source = last["text_markdown"][m_last.raw_start:m_last.raw_end]
        trimmed = re.sub(r"^[\W_]+|[\W_]+$", "", quote)
        match_info["differences"] = redline_text(redline_ops(trimmed, source))

    if cur_match is not None and cur_match.exact and cur_match.score == best_score and not gone:
        # current: in the current version, and no older version matches better
        info = _version_info(conn, doc, current, cur_match.raw_start, base_url, now)
        s, e = sentence_bounds(current["text_markdown"], cur_match.raw_start, cur_match.raw_end)
        answer.update(status="current", **_public(info), match=match_info | {"omitted": cur_match.omitted},
                      quoted_wording=current["text_markdown"][s:e].strip(),
                      citation=citation(doc, info, last_checked))
    elif cur_match is not None and cur_match.score == best_score and not gone:
        # only a near miss, and the current version is as close as any: not verbatim anywhere
        return None
    else:
        old_info = _version_info(conn, doc, last, m_last.raw_start, base_url, now)
        os_, oe = sentence_bounds(last["text_markdown"], m_last.raw_start, m_last.raw_end)
        quoted = last["text_markdown"][os_:oe].strip()
        nxt = versions.get(last_seq + 1)
        change = _change_into(conn, nxt["id"]) if nxt else None
        replaced = None
        if nxt and current:
            enough = max(3, len(quote_key) // 5)
            for fine in (True, False):  # word by word; if that finds little (a rewrite), the whole block
                ns, ne = replacement_span(versions.key(last_seq), versions.key(current_seq), m_last, fine=fine)
                if len(key_form(current["text_markdown"][ns:ne])) >= enough:
                    replaced = sentence_bounds(current["text_markdown"], ns, ne)
                    break
        last_version = _public(old_info) | {"quoted_wording": quoted}
        if replaced and not gone:
            cs, ce = replaced
            wording = current["text_markdown"][cs:ce].strip()
            info = _version_info(conn, doc, current, cs, base_url, now)
            ops = redline_ops(quoted, wording)
            answer.update(status="changed", **_public(info), match=match_info, quoted_wording=quoted,
                          current_wording=wording, redline=ops, redline_text=redline_text(ops),
                          changed_at=nxt["observed_at"],
                          change_effective_date=change.get("effective_date") if change else None,
                          change_effective_date_source=change.get("effective_date_source") if change else None,
                          last_version_with_quote=last_version, citation=citation(doc, info, last_checked))
        else:
            when = nxt["observed_at"] if nxt else doc.get("gone_since")
            page_gone = gone and not nxt
            retrieved = old_info["last_seen"] or last_checked
            note_en = (f"page removed {when[:10]}" if page_gone else f"passage removed {when[:10]}") if when else ""
            note_zh = ((f"该页面已于{zh_date(when)}下线" if page_gone else f"该段落已于{zh_date(when)}删除")
                       if when else "")
            answer.update(status="removed", **_public(old_info), match=match_info, quoted_wording=quoted,
                          changed_at=when, removed_with="page" if page_gone else "passage",
                          change_effective_date=change.get("effective_date") if change else None,
                          change_effective_date_source=change.get("effective_date_source") if change else None,
                          last_version_with_quote=last_version,
                          citation=citation(doc, old_info, retrieved, note_en, note_zh))
    if as_of is not None:
        answer.update(_as_of(conn, doc, versions, as_of_version, matches, best_score, as_of, base_url, now))
    answer["message"] = message(answer)
    return answer


def _as_of(conn, doc, versions, version, matches, best_score, as_of, base_url, now) -> dict:
    """What the document said on a date: the version current then, and whether it held the quote."""
    day = as_of.date().isoformat()
    if version is None:
        return {"as_of_status": "absent", "as_of": {"date": day, "status": "absent",
                                                    "reason": "not tracked yet on that date"}}
    m = matches.get(version["seq"])
    gone_then = bool(doc.get("gone_since") and parse_when(doc["gone_since"]) <= as_of)
    present = m is not None and m.exact and m.score == best_score and not gone_then
    info = _version_info(conn, doc, version, m.raw_start if m else 0, base_url, now)
    if not present:
        info["section"] = info["section_key"] = info["section_heading"] = None
        info["_section"] = None
    out = {"date": day, "status": "present" if present else "absent", **_public(info),
           "citation": citation(doc, info, info["last_seen"])}
    if gone_then:
        out["reason"] = "the page was gone on that date"
    return {"as_of_status": out["status"], "as_of": out}


def message(a: dict) -> dict:
    """One or two sentences that say the answer, in English and Chinese."""
    status = a["status"]
    checked = (a.get("last_checked") or "")[:10] or "never"
    if status == "current" and a.get("stale"):
        en = (f"The quote was in the version that was current at the last successful check, on {checked} "
              f"(version of {a['version_date']}); the KB may be stale, so it cannot say the wording is current today.")
        zh = (f"引文见于最近一次成功核实（{zh_date(checked) or '—'}）时的当前版本（{zh_date(a['version_date'])}版本）；"
              "知识库可能已过时，无法确认该措辞今天仍然有效。")
    elif status == "current":
        en = (f"The quote is in the current version (version of {a['version_date']}), "
              f"as of the last successful check on {checked}.")
        zh = f"引文与当前版本一致（{zh_date(a['version_date'])}版本），以{zh_date(checked) or '—'}的最近一次成功核实为准。"
    elif status == "changed":
        en = (f"The quote is no longer in the current text: it changed on {a['changed_at'][:10]} "
              f"(last in the version of {a['last_version_with_quote']['version_date']}). Current wording: "
              f"{a['current_wording']}")
        zh = (f"引文已不在当前文本中：于{zh_date(a['changed_at'])}变更（最后出现在"
              f"{zh_date(a['last_version_with_quote']['version_date'])}版本）。当前措辞：{a['current_wording']}")
    elif status == "removed":
        what_en = "the page was removed" if a.get("removed_with") == "page" else "the passage was removed"
        what_zh = "该页面已下线" if a.get("removed_with") == "page" else "该段落已删除"
        when = (a.get("changed_at") or "")[:10]
        en = f"The quote is no longer published: {what_en} on {when or 'an unknown date'}; the last version that had it is the version of {a['version_date']}."
        zh = f"引文已不再刊载：{what_zh}（{zh_date(when) or '日期不详'}）；最后包含该引文的是{zh_date(a['version_date'])}版本。"
    else:
        en = "The quote was not found in any version of the tracked documents."
        zh = "在已跟踪文件的所有版本中均未找到该引文。"
    if status == "current" and a.get("effective_in_future"):
        en += f" That version states an effective date of {a['effective_date']}, later than today."
        zh += f"该版本注明的生效日期为{zh_date(a['effective_date'])}，尚未到来。"
    if a.get("stale") and status != "current":
        en += (f" Warning: the last successful check of this page was on {checked}; the KB may be stale, "
               "so check the live page before relying on this answer.")
        zh += f" 注意：该页面最近一次成功核实是在{zh_date(checked) or '—'}，知识库可能已过时，引用前请核对线上页面。"
    if a.get("match", {}).get("kind") == "approximate":
        en += " Your quote does not match that wording exactly either: " + a["match"]["differences"]
        zh += " 引文与该措辞也不完全一致：" + a["match"]["differences"]
    if a.get("match", {}).get("omitted"):
        en += " Your quote leaves out: " + "; ".join(f"“{w}”" for w in a["match"]["omitted"]) + "."
        zh += " 引文省略了：" + "；".join(f"“{w}”" for w in a["match"]["omitted"]) + "。"
    if "as_of_status" in a:
        d = a["as_of"]["date"]
        if a["as_of_status"] == "present":
            en += f" On {d} the page had this wording (version of {a['as_of']['version_date']})."
            zh += f" 在{zh_date(d)}，页面上有这一措辞（{zh_date(a['as_of']['version_date'])}版本）。"
        else:
            en += f" On {d} the page did not have this wording."
            zh += f" 在{zh_date(d)}，页面上没有这一措辞。"
    return {"en": en, "zh": zh}


def _closest(conn, docs, quote_key, candidates, base_url, now) -> dict | None:
    """The nearest passage for a quote found nowhere verbatim (a typo, or a misremembered quote)."""
    best = None
    for doc_id, seqs in candidates.items():
        doc = docs.get(doc_id)
        if not doc or not doc.get("current_version_id"):
            continue
        row = _rows(conn, "select * from versions where id = ?", [doc["current_version_id"]])
        if not row:
            continue
        version = row[0]
        kt = key_text(version["text_markdown"])
        found = fuzz.partial_ratio_alignment(quote_key, kt.key)
        if found is None or found.score < 70:
            continue
        if best is None or found.score > best[0]:
            best = (found.score, doc, version, kt, found)
    if best is None:
        return None
    score, doc, version, kt, found = best
    rs, re_ = kt.raw_span(found.dest_start, max(found.dest_start + 1, found.dest_end))
    s, e = sentence_bounds(version["text_markdown"], rs, re_)
    info = _version_info(conn, doc, version, rs, base_url, now)
    return {"document": doc["id"], "title": doc["title"], "score": round(score, 1),
            "wording": version["text_markdown"][s:e].strip(), "version_date": info["version_date"],
            "section": info["section"], "permalink": info["permalink"]}


def cite(db, quote: str, platform: str | None = None, url: str | None = None, as_of=None, now=None,
         stale_hours: float = STALE_HOURS, limit: int = 5, base_url: str = "") -> list[dict]:
    """Check a quote against the KB; one answer per document that holds (or held) it.

    :param db: a ``sqlite3.Connection`` or ``sqlite_utils.Database`` on the KB
    :param quote: the text to check, as pasted
    :param platform: only this platform's documents
    :param url: only the document at this URL (or with this ``platform/document`` id)
    :param as_of: a date (``YYYY-MM-DD``): also say whether the quote was in the version current then
    :param now: the current time (default: now, or ``$POLICYKB_NOW``)
    :param stale_hours: a last successful check older than this makes the answer ``stale``
    :param limit: at most this many answers (best first)
    :param base_url: Datasette's address, for permalinks (``""`` gives paths)
    :returns: answers (dicts); a single ``not_found`` answer when nothing matches
    :raises CiteError: for a quote too short to check or a bad date
    """
    conn = _conn(db)
    quote_key = key_form(quote or "")
    if quote_weight(quote_key) < MIN_QUOTE_WEIGHT:
        raise CiteError("the quote is too short to check: give at least a few words (6 Chinese characters)")
    now_dt = now_utc(now)
    as_of_dt = parse_when(as_of, end_of_day=True) if as_of else None
    docs = None
    if platform or url:
        docs = _documents(conn, platform, url)
        if not docs:
            raise CiteError(f"no tracked document matches {'--url ' + url if url else '--platform ' + platform}")
    candidates = candidate_versions(conn, quote, set(docs) if docs is not None else None)
    if url and len(docs) == 1 and not candidates:
        doc_id = next(iter(docs))
        candidates = {doc_id: {r[0]: (0, 0) for r in conn.execute("select seq from versions where document_id = ?",
                                                                  [doc_id])}}
    ranked = sorted(candidates.items(), key=lambda kv: (tuple(-x for x in max(kv[1].values())), kv[0]))
    ranked = ranked[:MAX_DOCUMENTS]
    if docs is None:
        docs = _documents(conn, ids=[doc_id for doc_id, _ in ranked])
    answers = []
    full = (len(quote_tokens(quote)), len(quote_shingles(quote)))
    top_pairs = max((max(seqs.values())[1] for _, seqs in ranked), default=0)
    for doc_id, seqs in ranked:
        doc = docs.get(doc_id)
        if doc is None:
            continue
        if answers and max(seqs.values())[1] < top_pairs - NEAR_PAIRS:
            break  # the rest hold fewer word pairs of the quote than a document already answered
        answer = _answer_for(conn, doc, quote, quote_key, seqs, as_of_dt, now_dt, stale_hours, base_url,
                             full=full)
        if answer:
            answers.append(answer)
            if len(answers) >= limit:
                break
    order = {"current": 0, "changed": 1, "removed": 2}
    answers.sort(key=lambda a: (a["match"]["quote_chars_not_found"], order[a["status"]], a["match"]["skipped_chars"],
                                a["document"]))
    if answers:
        return answers[:limit]
    answer = {"status": "not_found", "stale": False, "platform": platform, "document": None, "url": url,
              "section": None, "version_date": None, "effective_date": None, "last_checked": None,
              "permalink": None, "citation": None, "closest": _closest(conn, docs, quote_key, dict(ranked),
                                                                       base_url, now_dt)}
    if as_of_dt is not None:
        answer.update(as_of_status="absent", as_of={"date": as_of_dt.date().isoformat(), "status": "absent"})
    answer["message"] = message(answer)
    return [answer]
