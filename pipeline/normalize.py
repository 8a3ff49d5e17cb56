"""Normalize extracted Markdown so that page noise does not count as change.

The normalized text is what is versioned and hashed; the raw bytes stay in the
WARC. Two layers:

* :func:`normalize_text`: the canonical form of any extracted Markdown (NFC,
  no zero-width characters, single spaces, at most one blank line).
* :func:`apply_rules`: noise rules applied after extraction and before
  hashing. The global rules (:data:`GLOBAL_RULES`) drop tracking parameters
  from links, view counters, and put navigation lists (lists whose items are
  nothing but a link) in a canonical order. A declaration adds its own rules
  (:class:`Rules`): ``ignore_patterns`` (regular expressions whose matches are
  dropped, e.g. a "Page generated at ..." line) and ``sort_lists`` (the order
  of every list item on the page is not meaningful). Page-specific noise in
  the markup (rotating banners, widgets) is dropped earlier with ``remove``
  selectors.

Bump :data:`RULES_VERSION` whenever a global rule changes what it produces:
the version is part of every version's ``rules_hash``, so the next build
re-extracts current versions and records a labelled ``reextraction`` instead
of a policy change (see :mod:`kb.ingest`).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.timeutil import iso

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
#: The same characters as a pattern: removing them by ``re`` is several times faster than ``str.translate``
#: on a long non-ASCII page (translate looks every character up).
ZERO_WIDTH_CHARS = "".join(map(chr, ZERO_WIDTH))
ZERO_WIDTH_RE = re.compile(f"[{ZERO_WIDTH_CHARS}]")
SPACES_RE = re.compile(r"[ \t\u00a0\u3000\u2000-\u200a\u202f\u205f]+")
#: The characters of :data:`SPACES_RE` but " ", and a pattern of any of them.
OTHER_SPACES = "\t\u00a0\u3000" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f"
OTHER_SPACES_RE = re.compile(f"[{OTHER_SPACES}]")
#: Two spaces or more (a literal start, which ``re`` searches for at C speed).
SPACE_RUNS_RE = re.compile("  +")
BLANKS_RE = re.compile(r"\n{3,}")
#: :data:`BLANKS_RE` spelled with its literal start, which ``re`` searches for at C speed (ten times faster)
BLANK_RUNS_RE = re.compile(r"\n\n\n+")

#: Version of the global rules below; part of every version's rules hash.
RULES_VERSION = 2

#: Query parameters that track the visitor, not the page (matched case-insensitively; ``*`` = prefix).
TRACKING_PARAMS = (
    "utm_*", "gclid", "fbclid", "msclkid", "dclid", "yclid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
    "ref", "ref_", "pf_rd_*", "pd_rd_*", "qid", "sr", "crid", "sprefix", "spm", "scm", "share_token", "sessionid",
    "session_id", "sid", "csrf", "csrf_token", "_encoding", "igshid", "si", "trk", "trackingid", "from_page",
)
#: Parameters that say where the visitor came from. Discovery drops them too (one page, one URL); they are not
#: in TRACKING_PARAMS because adding names there changes the normalized text, hence the hash, of versions
#: already recorded (discovery's own list had them; normalize's list had the rest, now used by both).
ARRIVAL_PARAMS = frozenset({"refid", "from", "source", "source_page"})
#: Markdown link targets: ``](url)`` and ``<url>``.
LINK_TARGET_RE = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))|(<)(https?://[^>\s]+)(>)")
#: The same matches, each branch starting with its literal (``re`` then skips to a ``]`` or a ``<`` at C speed; a
#: branch starting with a group is tried at every position): the target is group 1 or 3.
_LINK_TARGET_RE = re.compile(r"\]\(([^)\s]+)((?:\s+\"[^\"]*\")?\))|<(https?://[^>\s]+)>")
#: Amazon-style tracking path segments: ``/ref=nav_footer_1``.
REF_SEGMENT_RE = re.compile(r"/ref=[^/?#]*")
#: View counters: "1.7k views", "1,234 Aufrufe", "阅读 1234", "1234次浏览", "閲覧数 120".
COUNTER_WORDS = (r"(?:views?|vues?|Aufrufe|visualizzazioni|visualizaciones|weergaven|wyświetle[nń]\w*|dilihat|"
                 r"次(?:浏览|閲覧|阅读)|人(?:浏览|阅读|看过)|(?:次)?浏览(?:量)?|阅读(?:量)?|閲覧)")
#: (The leading look-ahead lets the regex engine skip every position that cannot start a counter word
#: with one character-class test: four times faster on a long page than trying the alternation there.)
COUNTER_WORD_RE = re.compile(r"(?=[vVaAwWdD次人浏阅閲])" + COUNTER_WORDS, re.IGNORECASE)
#: The number before a counter word; it follows no digit or separator, or a four-digit year it is glued
#: to ("09/01/20241.7k views"). Searched only just before each counter word: counter words are rare,
#: digits are not.
NUMBER_BEFORE_RE = re.compile(
    r"(?:(?<=[./\-]\d{4})|(?<![\d.,/\-]))(?:\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]\d+)?\s*[kKmM万千]?\+?\s*$")
#: A counter word then a number: "阅读 1234", "閲覧数 120", "views: 12".
COUNTER_FIRST_RE = re.compile(r"(?=[浏阅閲vV])(?:浏览(?:量|次数)?|阅读(?:量|数)?|閲覧数|views)\s*[:：]?\s*\d[\d,.]*\s*[kKmM万]?\+?",
                              re.IGNORECASE)
LIST_ITEM_RE = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+")
NAV_ITEM_RE = re.compile(r"^\s*[-*+]\s+\[[^\]]+\]\([^)]*\)\s*$")


def normalize_text(markdown: str) -> str:
    """Canonical form of extracted Markdown: NFC, no zero-width characters,
    single spaces, no trailing spaces, at most one blank line in a row,
    a final newline.

    :param markdown: Markdown as extracted
    """
    text = unicodedata.normalize("NFC", markdown)
    if not text.isascii() and any(ch in text for ch in ZERO_WIDTH_CHARS):  # (``in`` scans at C speed; most have none)
        text = ZERO_WIDTH_RE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # the spaces of every line at once (SPACES_RE matches no line break), then each line stripped: the same lines as
    # each line's SPACES_RE.sub(" ", line).strip() (the plain definition in tests/test_build_speed_paths.py). Each
    # run of SPACES_RE becomes one space as each of its characters becomes a space and then each run of spaces one:
    # a page has few other spaces and few double ones, which str.__contains__ and a literal pattern find at C speed
    # (SPACES_RE's class is tested at every character, and matches at every word's space)
    if "\t" in text or not text.isascii() and any(ch in text for ch in OTHER_SPACES):
        text = OTHER_SPACES_RE.sub(" ", text)
    if "  " in text:
        text = SPACE_RUNS_RE.sub(" ", text)
    text = "\n".join(map(str.strip, text.split("\n")))
    text = BLANK_RUNS_RE.sub("\n\n", text).strip()
    return text + "\n" if text else ""


def content_hash(text: str) -> str:
    """SHA-256 of the normalized text: decides whether a page changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rules:
    """A declaration's own normalization rules (all optional).

    :param ignore_patterns: regular expressions; every match is dropped from the text
    :param sort_lists: the order of list items carries no meaning on this page
    """

    ignore_patterns: tuple[str, ...] = ()
    sort_lists: bool = False

    def key(self) -> dict:
        return {"ignore_patterns": list(self.ignore_patterns), "sort_lists": self.sort_lists}


NO_RULES = Rules()


def is_tracking(name: str, arrival: bool = False) -> bool:
    """A query parameter that tracks the visitor, not the page (:data:`TRACKING_PARAMS`).

    :param arrival: also the parameters that say where the visitor came from (:data:`ARRIVAL_PARAMS`):
        dropped when a URL names a page (discovery), kept in a version's link targets
    """
    name = name.lower()
    return (any(name.startswith(p[:-1]) if p.endswith("*") else name == p for p in TRACKING_PARAMS)
            or (arrival and name in ARRIVAL_PARAMS))


def _clean(url: str) -> str:
    """:func:`clean_url`, remembered for targets up to 2,000 characters (a longer one is cleaned each time, so the
    memory held stays bounded)."""
    return clean_url(url) if len(url) <= 2000 else clean_url.__wrapped__(url)


@lru_cache(maxsize=8192)
def clean_url(url: str) -> str:
    """A link target without tracking parameters or ``/ref=`` path segments (remembered: a site's pages, and each
    page's versions, link to the same targets).

    :param url: an absolute or relative URL
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = REF_SEGMENT_RE.sub("", parts.path) if "/ref=" in parts.path else parts.path
    query = parts.query
    if query:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking(k)]
        query = urlencode(kept, doseq=True, safe="/:,")
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def canonical_url(url: str) -> str:
    """``url`` without its fragment and tracking parameters, with a lower-case host.

    :param url: an absolute URL
    """
    parts = urlsplit(url.strip())
    # the one tracking list (pipeline.normalize), plus the "where from" parameters: one page, one URL
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k, arrival=True)]
    query = urlencode(kept, doseq=True, safe="/:,")
    netloc = parts.netloc.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def strip_tracking(markdown: str) -> str:
    """Drop tracking query parameters from every Markdown link target."""

    def repl(m):
        target = m.group(1)
        if target is not None:
            return "](" + _clean(target) + m.group(2)
        return "<" + _clean(m.group(3)) + ">"

    return _LINK_TARGET_RE.sub(repl, markdown)  # LINK_TARGET_RE.sub, each match put back with its target cleaned


#: The first characters (lower case) of every counter word (:data:`COUNTER_WORD_RE`), and of every
#: :data:`COUNTER_FIRST_RE` match: a match can start only where one of them stands. Each is as long as its words
#: share ("di" alone stands in most French or Italian sentences, "dilihat" in none).
COUNTER_WORD_STARTS = ("view", "vue", "aufrufe", "visualiz", "weergaven", "wyświetle", "dilihat", "次浏", "次閲", "次阅",
                       "人浏", "人阅", "人看", "浏览", "阅读", "閲覧")
COUNTER_FIRST_STARTS = ("view", "浏览", "阅读", "閲覧")
#: The characters ``re.IGNORECASE`` matches to a letter of those starts that ``str.lower`` does not lower to it
#: (İ and ı match "i", ſ matches "s"; İ is also the one character whose lower case is two characters long).
_FOLDS_APART = ("\u0130", "\u0131", "\u017f")


def _matches_at(pattern: re.Pattern, text: str, starts: tuple[str, ...]):
    """``pattern.finditer(text)`` for a pattern whose matches start only where one of ``starts`` stands (compared
    in lower case): the pattern is tried at those places only, in text order, each after the previous match's end,
    as ``finditer`` tries it at every place. ``str.find`` skips the rest of the text at C speed, where ``re`` under
    IGNORECASE tests each character (3× faster on a long page)."""
    if any(ch in text for ch in _FOLDS_APART):
        yield from pattern.finditer(text)
        return
    lowered, places = text.lower(), []
    for start in starts:
        if start[0] not in lowered:  # one character is found (or not) at C speed; a CJK pair absent is 15× slower
            continue
        at = lowered.find(start)
        while at >= 0:
            places.append(at)
            at = lowered.find(start, at + 1)
    places.sort()
    last, match = 0, pattern.match
    for at in places:
        if at >= last and (m := match(text, at)):
            yield m
            last = m.end()


def strip_counters(markdown: str) -> str:
    """Drop view counters ("1.7k views", "阅读 1234") that change at every visit.

    The counter words are looked for where their first characters stand (:func:`_matches_at`); the plain
    definition, each pattern run along the whole text, is in tests/test_build_speed_paths.py."""
    out, last = [], 0
    for m in _matches_at(COUNTER_WORD_RE, markdown, COUNTER_WORD_STARTS):
        number = NUMBER_BEFORE_RE.search(markdown, max(last, m.start() - 24), m.start())
        if number:
            out.append(markdown[last:number.start()])
            last = m.end()
    out.append(markdown[last:])
    text, out, last = "".join(out), [], 0
    for m in _matches_at(COUNTER_FIRST_RE, text, COUNTER_FIRST_STARTS):  # COUNTER_FIRST_RE.sub("", text)
        out.append(text[last:m.start()])
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def sort_list_blocks(markdown: str, only_navigation: bool = True) -> str:
    """Put the items of each list in a canonical (sorted) order.

    :param only_navigation: sort only lists whose every item is just a link
        (navigation menus); with False, every flat list block
    """
    lines = markdown.split("\n")
    out, block = [], []

    def flush():
        if len(block) > 1 and (not only_navigation or all(NAV_ITEM_RE.match(b) for b in block)):
            out.extend(sorted(block))
        else:
            out.extend(block)
        block.clear()

    item = LIST_ITEM_RE.match
    for line in lines:
        m = item(line)
        if m and not m.group(1):  # top-level item; nested items travel with continuation lines below
            block.append(line)
        elif not block:  # (most lines: outside any list, nothing to flush)
            out.append(line)
        elif line.startswith((" ", "\t")) and line.strip():
            block[-1] += "\n" + line
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


def apply_rules(markdown: str, rules: Rules = NO_RULES) -> str:
    """The global noise rules, then the declaration's own, then :func:`normalize_text`.

    :param markdown: extracted Markdown
    :param rules: the declaration's :class:`Rules`
    """
    text = strip_tracking(markdown)
    text = strip_counters(text)
    for pattern in rules.ignore_patterns:
        text = re.sub(pattern, "", text, flags=re.MULTILINE)
    text = sort_list_blocks(text, only_navigation=not rules.sort_lists)
    return normalize_text(text)


def rules_hash(select=(), remove=(), rules: Rules = NO_RULES) -> str:
    """A short hash of everything that turns a page into a version's text.

    Two versions with different hashes were extracted under different rules,
    so a difference between their texts may come from the rules, not the page.
    """
    from pipeline import maincontent

    key = {"select": list(select), "remove": list(remove), "rules": rules.key(), "global": RULES_VERSION,
           "fallback": maincontent.FALLBACK_VERSION if not select else None}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Epoch:
    """The extraction rules a declaration had until ``valid_until`` (OTA's ``validUntil``).

    :param valid_until: ISO time (UTC) up to which these rules were in force
    """

    valid_until: str
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    rules: Rules = NO_RULES


def _patterns(value, error, field_name):
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise error("must be a regular expression or a list of them", field_name)
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise error(f"invalid regular expression {pattern!r} ({exc})", field_name)
    return tuple(value)


def _rules(data, error, prefix=""):
    sort_lists = data.get("sort_lists", False)
    if not isinstance(sort_lists, bool):
        raise error("must be true or false", prefix + "sort_lists")
    return Rules(_patterns(data.get("ignore_patterns"), error, prefix + "ignore_patterns"), sort_lists)


def _iso_time(value) -> str | None:
    from datetime import date, datetime

    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00Z"
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return _iso_time(parsed)
    return None


#: The optional declaration keys this module reads (see :func:`declaration_rules`).
DECLARATION_KEYS = {"ignore_patterns", "sort_lists", "history"}


def declaration_rules(data: dict, error, check_selectors=None) -> tuple[Rules, tuple[Epoch, ...]]:
    """Read and validate a document declaration's normalization keys.

    ``ignore_patterns`` (regular expressions), ``sort_lists`` (bool) and
    ``history``: a list of earlier rules, each ``{valid_until, select, remove,
    ignore_patterns, sort_lists}``, so that old snapshots are extracted with
    the rules of their time.

    :param data: the document's mapping from the YAML file
    :param error: ``error(message, field) -> Exception`` naming file and document
    :param check_selectors: ``check(value, field) -> tuple`` validating a selector list
    """
    rules = _rules(data, error)
    history = data.get("history") or []
    if not isinstance(history, list):
        raise error("must be a list of {valid_until, select, remove, ...}", "history")
    epochs = []
    for i, entry in enumerate(history):
        where = f"history[{i}]."
        if not isinstance(entry, dict):
            raise error("must be a mapping", f"history[{i}]")
        unknown = set(entry) - {"valid_until", "select", "remove", "ignore_patterns", "sort_lists"}
        if unknown:
            raise error(f"unknown key {sorted(unknown)[0]!r}", f"history[{i}]")
        until = _iso_time(entry.get("valid_until"))
        if until is None:
            raise error("is required: an ISO date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)", where + "valid_until")
        check = check_selectors or (lambda value, field: tuple([value] if isinstance(value, str) else value or ()))
        epochs.append(Epoch(until, check(entry.get("select"), where + "select"),
                            check(entry.get("remove"), where + "remove"), _rules(entry, error, where)))
    epochs.sort(key=lambda e: e.valid_until)
    if len({e.valid_until for e in epochs}) != len(epochs):
        raise error("two entries have the same valid_until", "history")
    return rules, tuple(epochs)


def rules_at(document, when: str | None) -> Epoch:
    """The extraction rules of ``document`` in force at ``when`` (ISO time).

    The first history entry whose ``valid_until`` is after ``when``; else the
    declaration's current rules.

    :param document: a :class:`pipeline.sources.Document`
    :param when: the observation time of a snapshot
    """
    for epoch in getattr(document, "history", ()) or ():
        if when and when < epoch.valid_until:
            return epoch
    return Epoch("", tuple(document.select), tuple(document.remove), getattr(document, "rules", None) or NO_RULES)
