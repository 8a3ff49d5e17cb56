"""Classify a change: substantive, cosmetic or flip-flop.

Most recorded "changes" of real policy pages are noise: a page flipping back
to its previous text, a counter, a link's query string, a date the page prints
when it is rendered. Every change stays in the history, but feeds, counts and
"last changed" use substantive changes only, so the class must be right.

* ``flip_flop``: the new text is one of the last :data:`FLIP_FLOP_WINDOW`
  distinct versions before the previous one (byte for byte, or up to the
  cosmetic differences below).
* ``cosmetic``: the two texts are equal once every cosmetic difference is
  taken away. The cosmetic differences, each a named transform applied to
  both texts, are: ``whitespace``, ``formatting`` (Markdown emphasis,
  heading and list markers, escapes, table rules, letter case),
  ``punctuation`` (incl. full-width forms and quote styles),
  ``link_targets`` (where a link points; ``rotating_hosts`` when only the
  host differs), ``list_order`` (order of list items), ``counters``
  ("1.7k views") and ``render_dates`` (a date the page prints about itself
  being rendered: on a line that states no policy date, either a line of
  at most three other words, or of at most six and within two days of when
  the page was fetched). The
  ``reasons`` name only the transforms that were needed.
* ``substantive``: anything else.

A re-extraction (the rules changed, not the page) is labelled by
:mod:`kb.ingest`, never here.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from pipeline.dates import date_spans, parse_date, states_a_date
from pipeline.normalize import sort_list_blocks, strip_counters
from pipeline.text import HANGUL, HANGUL_JAMO, IDEOGRAPHS, KANA, TranslateTable

#: How many distinct earlier versions a flip-flop may return to.
FLIP_FLOP_WINDOW = 10

KINDS = ("substantive", "cosmetic", "flip_flop", "reextraction")

LINK_RE = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
AUTOLINK_RE = re.compile(r"<(https?://[^>\s]+)>")
BARE_URL_RE = re.compile(r"https?://[^\s)>\]]+")
TIME_RE = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:AM|PM|a\.m\.|p\.m\.))?(?:\s*(?:UTC|GMT|CET|CEST|PST|PDT|EST|EDT))?",
                     re.IGNORECASE)
WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass
class Classification:
    """The class of one change, with what explains it."""

    kind: str
    reasons: list = field(default_factory=list)
    returns_to: str | None = None  # flip-flop: the earlier version the text returns to


# --- cosmetic transforms: each maps a text to a form where one kind of noise is gone -------------------------

def _list_order(text, ctx):
    return sort_list_blocks(text, only_navigation=False)


def _link_targets(text, ctx):
    # each pattern only on a text holding what its matches start with (or hold): the same text, sooner
    if "](" in text:
        text = LINK_RE.sub(lambda m: m.group(1), text)
    if "<http" in text:
        text = AUTOLINK_RE.sub("⟨url⟩", text)
    return BARE_URL_RE.sub("⟨url⟩", text) if "http" in text else text


def _counters(text, ctx):
    return strip_counters(text)


#: What a line needs for :func:`_render_date_line` to change it: a year as ``pipeline.dates.YEAR_RE`` finds it
#: (``date_spans`` finds none without one) or a time's ``1:30`` (``TIME_RE``): ``(?<!\d)\d{4}(?!\d)|令和|平成|\d:\d``,
#: spelled to start with the class of the characters its matches start with, which ``re`` skips to at C speed
#: (a pattern starting with a lookahead or a look-behind is tried at every position of a long page): the same matches.
_MAYBE_DATED_RE = re.compile(r"[\d令平](?:(?<=(?<!\d)\d)\d{3}(?!\d)|(?<=令)和|(?<=平)成|(?<=\d):\d)")


def _render_dates(text, ctx):
    """The render dates of every line taken away (:func:`_render_date_line`); only the lines with a year or a time
    are looked at (the others cannot change, and most lines of a long page have neither)."""
    observed = ctx.get("observed")
    out, at = [], 0
    while m := _MAYBE_DATED_RE.search(text, at):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        out += [text[at:start], _render_date_line(text[start:end], observed)]
        at = end
    out.append(text[at:])
    return "".join(out)


def _render_date_line(line, observed):
    """``line`` with a date the page prints about being rendered replaced by ``⟨date⟩`` (and its time by
    ``⟨time⟩``): on a line that states no policy date, of at most three other words, or of at most six with a
    date within two days of ``observed``."""
    spans = date_spans(line)
    if not (spans or (":" in line and TIME_RE.search(line))):
        return line
    rest = TIME_RE.sub("", _cut(line, spans, lambda token: ""))
    words = len(WORD_RE.findall(rest))
    short = words <= 3
    out = _cut(line, spans, lambda token: "⟨date⟩" if short or (words <= 6 and _near(token, observed)) else token)
    if short or "⟨date⟩" in out:
        out = TIME_RE.sub("⟨time⟩", out)
    # whether the line states a policy date (then it is kept) is asked last, of a line that would change: the
    # same answer, and most lines with a date are long sentences that keep their dates anyway (the all-language
    # keyword search of states_a_date was two thirds of a long page's canonical hash)
    return line if out == line or states_a_date(line) else out


def _cut(line, spans, replace):
    """``line`` with each ``(start, end)`` span replaced by ``replace(the text there)``."""
    pieces, last = [], 0
    for start, end in spans:
        pieces += [line[last:start], replace(line[start:end])]
        last = end
    return "".join(pieces) + line[last:]


def _near(token, observed, days=2):
    if not observed:
        return False
    iso = parse_date(token)
    if not iso:
        return False
    try:
        return abs(date.fromisoformat(iso) - date.fromisoformat(observed[:10])) <= timedelta(days=days)
    except ValueError:
        return False


class _LineStartPattern:
    """A MULTILINE pattern ``^BODY`` (no match of it empty) whose ``sub("", text)`` tries it only where it matches:
    at the text's start, and after each line break that ``\\n(?=BODY)`` finds. That search starts with a literal,
    which ``re`` skips to at C speed; ``^`` first makes ``re`` try the pattern at every position of the page."""

    def __init__(self, body: str):
        self.pattern = re.compile("^" + body, re.MULTILINE)
        self.cue = re.compile("\n(?=" + body + ")", re.MULTILINE)

    def sub(self, text: str) -> str:
        """``self.pattern.sub("", text)``: each match, tried at those places in order, removed."""
        out, last, match = [], 0, self.pattern.match
        for at in itertools.chain((0,), (m.end() for m in self.cue.finditer(text))):
            if at >= last and (m := match(text, at)):
                out.append(text[last:at])
                last = m.end()
        out.append(text[last:])
        return "".join(out)


_HEADING_MARKS = _LineStartPattern(r"\s{0,3}#{1,6}\s+")
_QUOTE_MARKS = _LineStartPattern(r"\s*>\s?")
_BULLETS = _LineStartPattern(r"\s*[-*+]\s+")
_TABLE_RULES = _LineStartPattern(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _formatting(text, ctx):
    # a pattern is run only on a text holding the character (or "---") every one of its matches holds: the same
    # text, without testing each line start of a page that has no quote, table or escape
    if "#" in text:
        text = _HEADING_MARKS.sub(text)  # heading markers
    if ">" in text:
        text = _QUOTE_MARKS.sub(text)  # quotes
    text = _BULLETS.sub(text)  # bullets
    if "---" in text:
        text = _TABLE_RULES.sub(text)  # table rules
    text = text.replace("|", " ")
    if "\\" in text:
        text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>~])", r"\1", text)  # Markdown escapes
    text = re.sub(r"(\*\*|__|\*|_|~~|`)", "", text)  # emphasis, code spans
    return text.casefold()


#: Markdown's own marks (emphasis, headings, quotes, tables, code) are formatting, not punctuation
_NOT_PUNCTUATION = "*_#>|`~"


class _PunctuationTable(TranslateTable):
    """Every punctuation character (Unicode category P*, but :data:`_NOT_PUNCTUATION`) to a space, every other
    character to itself: each character's entry is made the first time a text holds it. Making all 1.1 million
    entries up front cost 1-2 CPU seconds in every build process, most of them for characters no page uses;
    ``tests/test_build_speed_paths.py`` checks every code point maps as the definition says."""

    def __missing__(self, code):
        value = " " if _is_punctuation(chr(code)) else code
        self[code] = value
        return value


def _is_punctuation(char: str) -> bool:
    """What :func:`_punctuation` makes a space: Unicode category P*, but :data:`_NOT_PUNCTUATION`."""
    return unicodedata.category(char).startswith("P") and char not in _NOT_PUNCTUATION


@lru_cache(maxsize=1)
def _punctuation_table():
    """The table :func:`_punctuation` translates with (:class:`_PunctuationTable`, filled as texts need it)."""
    return _PunctuationTable()


#: A run of ASCII long enough to translate on its own: ``str.translate`` has a fast path for an ASCII string
#: only, and looks every character of any other string up one by one.
_ASCII_RUN_RE = re.compile(r"[\x00-\x7f]{32,}")


@lru_cache(maxsize=1)
def _bmp_punctuation_re():
    """One class of every punctuation character (:func:`_is_punctuation`) of the Basic Multilingual Plane (622 of
    its 65,536 code points; 20 ms to find, once per process)."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code in range(0x10000) if _is_punctuation(chr(code)))
                      + "]")


def _punctuation(text, ctx):
    """NFKC, then every punctuation character a space. A text within the Basic Multilingual Plane (its UTF-16 has
    no surrogate pair: one code unit per character) has them replaced by one pattern of all of them, which ``re``
    skips to at C speed (2× faster than ``str.translate`` on a Latin page with accents, which looks every
    character of a non-ASCII string up). In any other text the long ASCII runs are translated each on its own (a
    character is translated alone, so the pieces give the same text: 2.5× faster on a Latin page with a few curly
    quotes)."""
    text, table = unicodedata.normalize("NFKC", text), _punctuation_table()
    if text.isascii():
        return text.translate(table)
    if len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text):
        return _bmp_punctuation_re().sub(" ", text)
    pieces, at = [], 0
    for m in _ASCII_RUN_RE.finditer(text):
        pieces += [text[at:m.start()].translate(table), m.group().translate(table)]
        at = m.end()
    pieces.append(text[at:].translate(table))
    return "".join(pieces)


def _whitespace(text, ctx):
    return " ".join(text.split())


#: In the order they are applied; whitespace last, so the others see lines.
TRANSFORMS = [
    ("list_order", _list_order), ("link_targets", _link_targets), ("counters", _counters),
    ("render_dates", _render_dates), ("formatting", _formatting), ("punctuation", _punctuation),
    ("whitespace", _whitespace),
]


def canonical(text: str, observed: str | None = None, skip: str | None = None) -> str:
    """``text`` with every cosmetic difference taken away (all transforms but ``skip``).

    :param text: a version's normalized Markdown
    :param observed: when the text was observed (ISO), for render dates
    :param skip: the name of one transform to leave out
    """
    ctx = {"observed": observed}
    for name, fn in TRANSFORMS:
        if name != skip:
            text = fn(text, ctx)
    return text


def canonical_hash(text: str, observed: str | None = None) -> str:
    """SHA-256 of :func:`canonical` (stored per version; equal hashes = same text up to noise)."""
    return hashlib.sha256(canonical(text, observed).encode("utf-8")).hexdigest()


def _links(text):
    return [m.group(2) for m in LINK_RE.finditer(text)] + AUTOLINK_RE.findall(text) + BARE_URL_RE.findall(text)


def _changed_lines(old: str, new: str) -> tuple[str, str]:
    """The lines only in ``old`` and only in ``new`` (as multisets, in text order)."""
    from collections import Counter

    a, b = old.split("\n"), new.split("\n")
    in_new, in_old = Counter(b), Counter(a)
    only_old, only_new = [], []
    for line in a:
        if in_new[line]:
            in_new[line] -= 1
        else:
            only_old.append(line)
    for line in b:
        if in_old[line]:
            in_old[line] -= 1
        else:
            only_new.append(line)
    return "\n".join(only_old), "\n".join(only_new)


def _needed(old, new, old_observed, new_observed) -> list[str]:
    reasons = []
    for name, _ in TRANSFORMS:
        if name != "whitespace" and canonical(old, old_observed, skip=name) != canonical(new, new_observed, skip=name):
            reasons.append(name)
    return reasons


def is_cosmetic(old: str, new: str, old_observed=None, new_observed=None) -> bool:
    """Whether the two texts differ only by noise: :func:`cosmetic_reasons` is not None exactly then (equal
    canonical forms), without finding which kinds of noise (a dozen more canonical forms of the changed lines)."""
    return canonical(old, old_observed) == canonical(new, new_observed)


def cosmetic_reasons(old: str, new: str, old_observed=None, new_observed=None, equal: bool | None = None
                     ) -> list[str] | None:
    """The kinds of noise that explain the difference of two texts, or None if one is substantive.

    The reasons are found on the changed lines only (fast on long texts);
    when the changed lines alone do not explain it (lines moved as well as
    changed), on the whole texts.

    :param old: the earlier text
    :param new: the later text
    :param old_observed: when ``old`` was observed (ISO), for render dates
    :param new_observed: when ``new`` was observed (ISO)
    :param equal: whether the canonical forms are known to be equal (skips computing them)
    """
    if equal is None:
        equal = canonical(old, old_observed) == canonical(new, new_observed)
    if not equal:
        return None
    only_old, only_new = _changed_lines(old, new)
    if not only_old and not only_new:
        return ["list_order"] if old.split("\n") != new.split("\n") else ["whitespace"]
    if canonical(only_old, old_observed) == canonical(only_new, new_observed):
        reasons = _needed(only_old, only_new, old_observed, new_observed)
    else:
        reasons = _needed(old, new, old_observed, new_observed)
    if "link_targets" in reasons:
        a, b = _links(only_old), _links(only_new)
        if len(a) == len(b) and all(
            x == y or (urlsplit(x)._replace(netloc="") == urlsplit(y)._replace(netloc="")) for x, y in zip(a, b)
        ):
            reasons[reasons.index("link_targets")] = "rotating_hosts"
    return reasons or ["whitespace"]


def classify(old: str, new: str, new_hash: str, earlier: list[tuple[str, str, str]] = (), old_observed=None,
             new_observed=None, new_canonical_hash: str | None = None, old_canonical_hash: str | None = None
             ) -> Classification:
    """Classify the change from ``old`` (the previous version) to ``new``.

    :param old: text of the previous version
    :param new: text of the new version
    :param new_hash: content hash of ``new``
    :param earlier: versions before the previous one, newest first, as
        ``(version_id, content_hash, canonical_hash)``; only the first
        :data:`FLIP_FLOP_WINDOW` distinct ones are considered
    :param old_observed: when ``old`` was observed
    :param new_observed: when ``new`` is observed
    """
    new_canonical_hash = new_canonical_hash or canonical_hash(new, new_observed)
    if old_canonical_hash is None or old_canonical_hash == new_canonical_hash:
        reasons = cosmetic_reasons(old, new, old_observed, new_observed,
                                   equal=True if old_canonical_hash is not None else None)
        if reasons is not None:
            return Classification("cosmetic", reasons)
    seen = set()
    for version_id, content, canon in earlier:
        if content in seen:
            continue
        seen.add(content)
        if len(seen) > FLIP_FLOP_WINDOW:
            break
        if content == new_hash:
            return Classification("flip_flop", ["returns to an earlier text"], version_id)
        if canon and canon == new_canonical_hash:
            return Classification("flip_flop", ["returns to an earlier text up to noise"], version_id)
    return Classification("substantive")


# --- language of a page: a page in another language than declared is a failed check, not a version ----------

#: Languages a detector cannot tell apart reliably: a declared one accepts the others of its group.
SAME_LANGUAGE = [{"id", "ms"}, {"no", "nb", "nn", "da"}, {"hr", "sr", "bs"}, {"zh", "yue"}]
#: Below this many letters (CJK characters: MIN_CJK) a page is too short to judge its language.
MIN_LETTERS = 200
MIN_CJK = 60
#: Below this confidence the detector's answer is not acted on.
MIN_CONFIDENCE = 0.9
_URLS_RE = re.compile(r"\]\([^)]*\)|https?://\S+")
_IDENTIFIER = None


def _identifier():
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


#: The CJK scripts told apart by :func:`_script_counts`.
_SCRIPT_RE = re.compile(f"(?P<han>[{IDEOGRAPHS}])|(?P<kana>[{KANA}])|(?P<hangul>[{HANGUL}{HANGUL_JAMO}])")


#: Any character of those scripts: a class ``re`` skips to at C speed (most pages have none; the groups of
#: :data:`_SCRIPT_RE` are tried at every character), so that the counting starts at the first one.
_ANY_SCRIPT_RE = re.compile(f"[{IDEOGRAPHS}{KANA}{HANGUL}{HANGUL_JAMO}]")


def _script_counts(text: str) -> dict:
    counts = {"han": 0, "kana": 0, "hangul": 0, "letters": sum(map(str.isalpha, text))}
    first = _ANY_SCRIPT_RE.search(text)
    for m in _SCRIPT_RE.finditer(text, first.start()) if first else ():
        if m.group().isalpha():  # not the kana block's middle dot and sound marks
            counts[m.lastgroup] += 1
    return counts


def detect_language(text: str, sample: int = 6000) -> tuple[str | None, float]:
    """The language of a text (ISO 639-1) and a confidence in [0, 1].

    CJK scripts are told apart by character statistics (kana → ja, Hangul →
    ko, Han → zh), which is exact where a statistical model hesitates on
    short mixed pages; everything else goes to py3langid (97 languages,
    1.7 ms median per corpus version, stable on every version of the 58
    corpus documents: see the README). Link targets are left out.

    :param text: a version's Markdown
    :param sample: characters looked at (the start of the text)
    """
    text = _URLS_RE.sub(" ", text[: sample * 2])[:sample]
    counts = _script_counts(text)
    letters = counts["letters"]
    if letters == 0:
        return None, 0.0
    cjk = counts["han"] + counts["kana"]
    if cjk / letters > 0.3:
        if counts["kana"] > 0.05 * cjk:
            return "ja", min(1.0, cjk / letters + 0.2)
        return "zh", min(1.0, cjk / letters + 0.2)
    if counts["hangul"] / letters > 0.3:
        return "ko", min(1.0, counts["hangul"] / letters + 0.2)
    lang, prob = _identifier().classify(text)
    return lang, float(prob)


def locale_mismatch(text: str, locale: str | None) -> tuple[str | None, str | None]:
    """``(reason, detected)``: a reason when the text is plainly not in the declared locale's language.

    :param text: a version's Markdown
    :param locale: the declared locale (BCP 47, e.g. ``zh-CN``)
    """
    lang, confidence = detect_language(text)
    if not locale or lang is None:
        return None, lang
    declared = locale.split("-")[0].lower()
    if lang == declared or any({lang, declared} <= group for group in SAME_LANGUAGE):
        return None, lang
    needed = MIN_CJK if lang in ("zh", "ja", "ko") else MIN_LETTERS
    if confidence < MIN_CONFIDENCE or sum(1 for ch in text[:6000] if ch.isalpha()) < needed:
        return None, lang
    return f"wrong locale: the page is in {lang!r} (confidence {confidence:.2f}), declared {locale!r}", lang


def warm_up() -> None:
    """Load once what every extraction of a page loads on first use: the language model (py3langid, about 0.7 s of
    CPU), the date pattern of every language's month names and the date keywords (about 0.4 s).

    For a build's extraction workers: called in the parent before a pool of "fork" workers starts, each worker
    inherits them instead of loading its own (``kb/ingest.py``). Calling it is never needed for a right answer."""
    from pipeline.dates import _date_re, keyword_patterns

    _identifier()
    _date_re(True)
    keyword_patterns(None)
    _punctuation_table()
