"""Dates a policy states about itself: last updated and effective (announced when in the future).

``find_dates(text, locale)`` returns every dated statement with its quoted
evidence (the sentence it stands in). It never guesses: a date is reported only
where a keyword ("Last updated", "生效日期", "Stand", "en vigueur", "hatályos",
"มีผลบังคับใช้", ...) and a complete day-month-year date stand close together on one
line. ``summarize`` gives the KB columns: per kind, the newest statement.

Where the parts come from:

* **Keywords** are data, not code: ``pipeline/date_keywords.yml``, per language
  and kind, each with a real-looking example sentence that the tests run.
* **Month names** (every form: wide, abbreviated, format/genitive, stand-alone)
  come from dateparser's language data and Babel's CLDR data; the keyword file
  adds only the few inflected forms neither has (Slovenian genitives).
* **Numeric order** (is ``03/04/2024`` 3 April or March 4?) comes from the
  locale's CLDR short date pattern (Babel): month first for en-US, day first
  for en-GB, de, fr, ... A year first (``2024-04-16``, ``2024. 04. 16.``,
  ``2024年4月16日``, ``2024년 4월 16일``) is always year-month-day.
* Thai pages count years in the Buddhist era (2567 = 2024); Japanese pages may
  use the Reiwa or Heisei era (令和6年4月16日).

Matching runs on a *folded* copy of the line (lower case, accents taken off,
same length), so ``ΙΟΥΝΙΟΥ`` and ``Ιουνίου``, ``Última`` and ``ultima`` are the
same. A month name that means different months in different languages
(``listopad``: November in Czech and Polish, October in Croatian) is read in
the page's language, else not at all.

What is not a statement: a date without a keyword close to it; a period ("en
vigueur du 20.05.2021 au 23.09.2021": an earlier version's); a year outside
1990-2100 (a law "du 29 juillet 1881"). A line that is only a place and a
date ("Ljubljana, 16. 02. 2024", "V Bratislave, dňa 01.06.2023") is the
version's date (``last_updated``). Keywords are looked for near a year only,
and in the page's language, the languages close to it, and English (every
language when the locale is unknown): see :func:`keyword_languages`.
"""

from __future__ import annotations

import importlib.resources

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

#: read through importlib.resources: a spider deployed to scrapyd runs from a zipped egg
KEYWORDS_FILE = importlib.resources.files("pipeline").joinpath("date_keywords.yml")
KINDS = ("last_updated", "effective")

#: how far after a keyword (or before an after-the-date keyword) its date may stand, in characters
WINDOW = 60

#: what may stand between a date and a keyword that follows it
GAP_RE = re.compile(r"[\s,:、，]{0,3}")

#: Every date shape has a four-digit year: a cheap test before the costly ones.
YEAR_RE = re.compile(r"(?<!\d)\d{4}(?!\d)|令和|平成")


# --- folding: lower case, no accents, same length --------------------------------------------------------------

class _FoldTable(dict):
    """``str.translate`` table, filled on demand: one character to one (folded) character."""

    def __missing__(self, code):
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char)
        base = decomposed[0] if decomposed and all(unicodedata.combining(c) for c in decomposed[1:]) else char
        lower = base.lower()
        folded = lower if len(lower) == 1 else base
        # final sigma as sigma; Markdown escapes (31\. 5. 2024) and emphasis (_Last updated_) as spaces
        folded = {"ς": "σ", "\\": " ", "_": " "}.get(folded, folded)
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` in lower case without accents, one character per character (offsets stay valid)."""
    return text.translate(_FOLD)


# --- data: keywords (ours), month names (dateparser, CLDR), numeric order (CLDR) ------------------------------

@lru_cache(maxsize=1)
def keyword_data() -> dict:
    """The keyword file: ``{language: {kind: [{"re", "example", "date", "after_date"?}], "months": {...}}}``."""
    from pipeline.yamlload import safe_load

    return safe_load(KEYWORDS_FILE.read_text(encoding="utf-8"))["languages"]


def languages() -> list[str]:
    """The languages with keywords, in file order."""
    return list(keyword_data())


def _month_sources(lang):
    """Month names of one language: dateparser's language data, Babel's CLDR names, our additions."""
    names = {}
    try:
        import importlib

        info = importlib.import_module(f"dateparser.data.date_translation_data.{lang.replace('-', '_')}").info
        for n, key in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                 "september", "october", "november", "december"), 1):
            for name in info.get(key, []):
                names.setdefault(name, n)
    except (ImportError, AttributeError):
        pass
    try:
        from babel.dates import get_month_names

        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for n, name in get_month_names(width, context, lang.replace("-", "_")).items():
                    names.setdefault(name, n)
    except Exception:  # noqa: BLE001 - a language Babel does not know: dateparser's names serve
        pass
    for n, extra in (keyword_data().get(lang, {}).get("months") or {}).items():
        for name in extra:
            names.setdefault(name, int(n))
    return names


@lru_cache(maxsize=1)
def month_table() -> dict:
    """``{folded month name: {language: month number}}`` for every language with keywords (and English)."""
    table = {}
    for lang in dict.fromkeys(["en", *languages()]):
        for name, n in _month_sources(lang).items():
            key = fold(name).strip().rstrip(".").strip()
            # roman numerals (Hungarian "IV") and one- or two-letter abbreviations are too easily something else
            if len(key) < 3 or re.fullmatch(r"[ivxlc]+", key):
                continue
            if any(ch.isdigit() for ch in key) and lang in ("zh", "ja", "ko"):
                continue  # 4月 / 4월: the CJK pattern reads these
            table.setdefault(key, {})[lang] = n
    return table


@lru_cache(maxsize=1)
def _raw_month_names() -> set:
    """The month names as written (with accents), so that ``DATE_RE`` also serves on unfolded text."""
    raw = set()
    for lang in dict.fromkeys(["en", *languages()]):
        for name in _month_sources(lang):
            key = name.strip().rstrip(".").strip()
            if fold(key) in month_table() and key.lower() != fold(key):
                raw.add(key)
    return raw


@lru_cache(maxsize=256)
def numeric_order(locale: str | None) -> str:
    """``"MDY"`` or ``"DMY"``: how the locale writes a numeric date with the year last (CLDR short pattern)."""
    if not locale:
        return "MDY"  # undeclared pages: as English (US) pages
    try:
        from babel.dates import get_date_format

        pattern = get_date_format("short", locale=locale.replace("-", "_")).pattern
    except Exception:  # noqa: BLE001 - unknown locale: day first, as most of the world
        return "DMY"
    letters = [c for c in re.sub(r"'[^']*'", "", pattern) if c in "dMy"]
    order = "".join(dict.fromkeys(letters))
    return "MDY" if order.startswith("M") else "DMY"


# --- the date pattern ----------------------------------------------------------------------------------------------

_Y = r"(?<!\d)(?P<{g}>\d{{4}})(?!\d)"
_D = r"(?<!\d)(?P<{g}>[0-3]?\d)(?!\d)"
_M = r"(?<!\d)(?P<{g}>[01]?\d)(?!\d)"
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"


@lru_cache(maxsize=2)
def _date_re(folded: bool = False):
    """The date pattern: on folded text (lower case, no accents: faster, no IGNORECASE) or on any text."""
    names = sorted(set(month_table()) | (set() if folded else _raw_month_names()), key=len, reverse=True)
    month = _NOT_LETTER_BEFORE + "(?P<{g}>" + "|".join(re.escape(n) for n in names) + ")" + _NOT_LETTER_AFTER + r"\.?"
    ordinal = r"(?:st|nd|rd|th|er|eme|e|º|ª|°|o|η|ης|\.)?"
    joiner = r"(?:\s*(?:,|de|del|di|of|nam|\.)\s*|\s+|-)"  # 16 de abril de 2024, 16 thang 4 nam 2024
    year_tail = r"(?:\s*(?:г|r|m|yil|year)\.?)?"
    parts = {
        # 2024年4月16日, 2024년 4월 16일 (with the CJK number marks)
        "cjk": rf"{_Y.format(g='cjk_y')}\s*[年년]\s*{_M.format(g='cjk_m')}\s*[月월]\s*{_D.format(g='cjk_d')}\s*[日일]?",
        # 令和6年4月16日
        "era": r"(?P<era_e>令和|平成)\s*(?P<era_y>\d{1,2}|元)\s*年\s*(?P<era_m>\d{1,2})\s*月\s*(?P<era_d>\d{1,2})\s*日",
        # 2024-04-16, 2024/4/16, 2024.04.16, 2024. 4. 16.
        "ymd": rf"{_Y.format(g='ymd_y')}\s*(?P<ymd_s>[-/.])\s*{_M.format(g='ymd_m')}\s*(?P=ymd_s)\s*{_D.format(g='ymd_d')}",
        # 16.04.2024, 16/04/2024, 04/16/2024, 16. 4. 2024, 16-04-2024
        "num": rf"{_D.format(g='num_a')}\s*(?P<num_s>[-/.])\s*{_D.format(g='num_b')}\s*(?:(?P=num_s)\s*|(?<=\d)\s(?=\d{{4}}))\s*{_Y.format(g='num_y')}",
        # April 16, 2024
        "mdy": rf"{month.format(g='mdy_m')},?\s*{_D.format(g='mdy_d')}(?:st|nd|rd|th)?,?\s*{_Y.format(g='mdy_y')}",
        # 16 April 2024, 16. travnja 2024., 16 de abril de 2024, 1er avril 2024, 16 เมษายน 2567
        "dmy": rf"{_D.format(g='dmy_d')}{ordinal}{joiner}?{month.format(g='dmy_m')}{joiner}?{_Y.format(g='dmy_y')}",
        # 2024. április 16., 2024 m. balandžio 16 d.
        "ymd_name": rf"{_Y.format(g='yn_y')}{year_tail}{joiner}?{month.format(g='yn_m')}\s*{_D.format(g='yn_d')}",
    }
    return re.compile("|".join(f"(?P<{k}>{p})" for k, p in parts.items()), 0 if folded else re.IGNORECASE)


class _LazyDateRe:
    """``DATE_RE`` for importers: the compiled pattern, built on first use (reads dateparser and CLDR data)."""

    def __getattr__(self, name):
        return getattr(_date_re(), name)


DATE_RE = _LazyDateRe()


def _month_number(name: str, lang: str | None) -> int | None:
    senses = month_table().get(fold(name).strip().rstrip(".").strip())
    if not senses:
        return None
    for own in related(lang):
        if own in senses:
            return senses[own]
    if len(set(senses.values())) == 1:
        return next(iter(senses.values()))
    return senses.get("en") if lang is None else None  # ambiguous across languages: not in this page's one


def _year(y: int) -> int:
    return y - 543 if 2400 <= y <= 2700 else y  # Buddhist era (Thai pages)


def _from_match(m, lang: str | None, order: str) -> str | None:
    g = m.groupdict()
    if g["cjk"]:
        return _iso(_year(int(g["cjk_y"])), int(g["cjk_m"]), int(g["cjk_d"]))
    if g["era"]:
        n = 1 if g["era_y"] == "元" else int(g["era_y"])
        return _iso((2018 if g["era_e"] == "令和" else 1988) + n, int(g["era_m"]), int(g["era_d"]))
    if g["ymd"]:
        return _iso(_year(int(g["ymd_y"])), int(g["ymd_m"]), int(g["ymd_d"]))
    if g["num"]:
        a, b, y = int(g["num_a"]), int(g["num_b"]), _year(int(g["num_y"]))
        # month first only with "/" on a month-first locale (a US page writes 03.01.2024 rarely), or when a > 12
        month_first = (order == "MDY" and g["num_s"] == "/" and a <= 12) or b > 12
        return _iso(y, a, b) if month_first else _iso(y, b, a)
    for key in ("mdy", "dmy", "yn"):
        name = g.get(f"{key}_m")
        if name:
            n = _month_number(name, lang)
            return _iso(_year(int(g[f"{key}_y"])), n, int(g[f"{key}_d"])) if n else None
    return None


#: the years a policy page states about itself (a law "du 29 juillet 1881" near "en vigueur" is not one)
YEARS = range(1990, 2101)


def _iso(y, mo, d):
    if y not in YEARS:
        return None
    try:
        return date(y, mo, d).isoformat()
    except (TypeError, ValueError):
        return None


def _lang(locale: str | None) -> str | None:
    if not locale:
        return None
    parts = locale.replace("_", "-").split("-")
    lang = parts[0].lower()
    if lang == "zh" and any(p.lower() in ("hant", "tw", "hk", "mo") for p in parts[1:]):
        return "zh-Hant"
    return lang


@lru_cache(maxsize=4096)
def parse_date(text: str, languages: tuple | None = None, month_first: bool | None = None) -> str | None:
    """Parse one complete date string to ISO, or None. Day, month and year are required.

    :param languages: language codes of the page, first the page's own (e.g. ``("de", "en")``)
    :param month_first: read ``03/01/2024`` as March 1 (US pages); default: when
        the language is English or unknown
    """
    lang = languages[0] if languages else None
    if month_first is None:
        month_first = lang in (None, "en")
    m = _date_re(True).fullmatch(fold(re.sub(r"\s+", " ", text.strip()).rstrip(".")))
    return _from_match(m, lang, "MDY" if month_first else "DMY") if m else None


# --- keywords ----------------------------------------------------------------------------------------------------

def _variants(pattern: str) -> list[str]:
    """The pattern as written and with its non-ASCII letters folded (to match the folded line)."""
    folded = "".join(fold(c) if ord(c) > 127 else c for c in pattern)
    return list(dict.fromkeys([pattern, folded]))


def _lower_pattern(pattern: str) -> str:
    """A pattern's letters in lower case (escapes like ``\\S`` kept): for the folded, lower-case line."""
    out, escaped = [], False
    for c in pattern:
        out.append(c if escaped or not c.isalpha() else fold(c))
        escaped = c == "\\" and not escaped
    return "".join(out)


#: languages read together: close enough that a language detector (or a declaration) takes one for the
#: other (Slovak for Czech, Slovenian for Croatian, Malay for Indonesian), or written on one page
LANGUAGE_GROUPS = [("zh", "zh-Hant"), ("ms", "id"), ("cs", "sk"), ("hr", "sl", "sr", "bs"),
                   ("da", "no", "nb", "nn", "sv"), ("es", "pt", "gl", "ca")]


def related(lang: str | None) -> tuple:
    """``lang`` first, then the languages of its group (``("sk", "cs")`` for ``sk``)."""
    for group in LANGUAGE_GROUPS:
        if lang in group:
            return (lang,) + tuple(x for x in group if x != lang)
    return (lang,)


def keyword_languages(lang: str | None) -> tuple:
    """The languages whose keywords are looked for on a page in ``lang``: its own, its group's (:data:`LANGUAGE_GROUPS`)
    and English; all when unknown.

    One big alternation of every language's keywords costs ~100x more per character than a
    page's own (Python's regex engine then tries each alternative at each position), and
    find_dates runs on every version of every build; English is always included because
    pages in every language carry English fragments.
    """
    known = keyword_data()
    own = tuple(x for x in related(lang) if x in known)
    if not own:
        return tuple(known)
    return tuple(dict.fromkeys(own + ("en",)))


def _entries(kind, langs=None):
    for lang, data in keyword_data().items():
        if langs is None or lang in langs:
            yield from data.get(kind) or []


@lru_cache(maxsize=64)
def keyword_patterns(langs: tuple | None = None) -> dict:
    """Per kind, three regexes on the folded line (lower case, no IGNORECASE: faster), or None:

    * ``after``: keywords followed by their date (Last updated: 16 April 2024);
    * ``before``: keywords that follow their date (2024年7月1日起施行, 2024. július 1-től hatályos);
    * ``line``: a line that is only a place and its date (Ljubljana, 16. 02. 2024; V Bratislave, dňa 01.06.2023).
    """
    out = {}
    for kind in KINDS:
        groups = {"after": [], "before": [], "line": []}
        for entry in _entries(kind, langs):
            group = "line" if entry.get("whole_line") else "before" if entry.get("after_date") else "after"
            groups[group].append(_lower_pattern(entry["re"]))
        out[kind] = {
            g: (re.compile(("^[\\s*_#>]*(?:" if g == "line" else "(?:") + "|".join(f"(?:{p})" for p in pats) + ")")
                if pats else None)
            for g, pats in groups.items()
        }
    return out


class _LazyKeywordRes(dict):
    """``KEYWORD_RES`` for importers: ``{kind: regex of every keyword of that kind}``, built on first use."""

    def _fill(self):
        if not dict.__len__(self):
            for kind in KINDS:
                pats = [v for e in _entries(kind) if not e.get("whole_line") for v in _variants(e["re"])]
                dict.__setitem__(self, kind, re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE))

    def __getitem__(self, key):
        self._fill()
        return dict.__getitem__(self, key)

    def values(self):
        self._fill()
        return dict.values(self)

    def items(self):
        self._fill()
        return dict.items(self)

    def __iter__(self):
        self._fill()
        return dict.__iter__(self)

    def __len__(self):
        self._fill()
        return dict.__len__(self)


KEYWORD_RES = _LazyKeywordRes()


# --- finding -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatedStatement:
    """A date the text states, with the sentence that states it."""

    kind: str  # last_updated | effective
    date: str  # ISO YYYY-MM-DD
    evidence: str
    line: int  # 1-based line number in the text
    keyword: str = ""  # the keyword as it stands in the text ("Last updated", "生效日期", ...)


SENTENCE_END_RE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff])|(?<=[。！？；])")


def _evidence(line: str, start: int, end: int, limit: int = 240) -> str:
    """The quoted evidence: the whole line when short, else the sentence(s) holding the keyword and date."""
    clean = line.strip().strip("*_#> ").strip()
    if len(clean) <= limit:
        return clean
    bounds = [0] + [m.end() for m in SENTENCE_END_RE.finditer(line)] + [len(line)]
    first = max(b for b in bounds if b <= start)
    last = min((b for b in bounds if b >= end), default=len(line))
    return line[first:last].strip().strip("*_#> ").strip()


#: a date followed by "to <date>" is a period (often an earlier version's: "en vigueur du 20.05.2021 au
#: 23.09.2021"), not the date this text took effect
RANGE_RE = re.compile(r"[\s*_]*(?:-|–|—|au|to|until|till|bis|al|ate|tot|do|az|a|och|til)[\s*_]+(?:le\s+|den\s+|dem\s+)?")
#: Markdown emphasis that splits a number ("202__2": two emphasized runs that render as "2022")
SPLIT_DIGITS_RE = re.compile(r"(?<=\d)[_*]{2,}(?=\d)")
#: what may follow the date of a place-and-date line
LINE_END_RE = re.compile(r"(?:\s*(?:r|г|m|d|godine)\.)?[\s.*_\\]*")


def _regions(folded: str):
    """Stretches of the line where a statement can stand: around each year (keywords are searched there only)."""
    regions = []
    for y in YEAR_RE.finditer(folded):
        lo, hi = max(0, y.start() - WINDOW - 90), min(len(folded), y.end() + 60)
        if regions and lo <= regions[-1][1]:
            regions[-1][1] = hi
        else:
            regions.append([lo, hi])
    return regions


#: How many lines the per-line answers below remember (a line with a year: a page's footer, its dated header;
#: a new version repeats most of its previous version's lines, and a platform's pages share their footers), and
#: the longest line they remember: a longer one (a page's one-line blob, hostile or not) is computed each time,
#: so the memory they hold stays bounded (4,096 lines of at most 2,000 characters).
LINE_CACHE = 4096
LINE_CACHE_CHARS = 2000


def _remembered(cached, line: str, *args):
    """``cached(line, *args)``, or its plain computation for a line too long to remember."""
    return cached(line, *args) if len(line) <= LINE_CACHE_CHARS else cached.__wrapped__(line, *args)


def date_spans(line: str) -> list[tuple[int, int]]:
    """Where complete dates stand on a line (any language's month names), as ``(start, end)`` offsets.

    For :mod:`pipeline.classify` (a date the page prints about being rendered): the same dates
    as ``DATE_RE`` finds, on the folded line and near its years only (much faster on long lines).
    """
    if not YEAR_RE.search(line):
        return []
    return list(_remembered(_date_spans, line))


@lru_cache(maxsize=LINE_CACHE)
def _date_spans(line: str) -> tuple[tuple[int, int], ...]:
    """:func:`date_spans` of a line with a year, remembered (the plain computation is ``__wrapped__``)."""
    folded, date_re, spans, regions = fold(line), _date_re(True), [], []
    for y in YEAR_RE.finditer(folded):
        lo, hi = max(0, y.start() - 40), min(len(folded), y.end() + 30)
        if regions and lo <= regions[-1][1]:
            regions[-1][1] = hi
        else:
            regions.append([lo, hi])
    for lo, hi in regions:
        spans.extend(m.span() for m in date_re.finditer(folded, lo, hi))
    return tuple(spans)


def states_a_date(line: str) -> bool:
    """Whether a line states a date about the policy (a keyword of any language with its date)."""
    return bool(YEAR_RE.search(line)) and _remembered(_states_a_date, line)


@lru_cache(maxsize=LINE_CACHE)
def _states_a_date(line: str) -> bool:
    """:func:`states_a_date` of a line with a year, remembered."""
    return next(_statements_on_line(line, None, "MDY"), None) is not None


@lru_cache(maxsize=LINE_CACHE)
def _line_statements(line: str, lang: str | None, order: str) -> tuple:
    """Every statement on one line (:func:`_statements_on_line`), remembered."""
    return tuple(_statements_on_line(line, lang, order))


def _is_range(folded: str, m) -> bool:
    gap = RANGE_RE.match(folded, m.end())
    return bool(gap and _date_re(True).match(folded, gap.end()))


def _statements_on_line(line: str, lang: str | None, order: str):
    """``(kind, iso, start, end, keyword)`` for every statement on one line."""
    folded = fold(line)
    date_re = _date_re(True)
    regions = _regions(folded)
    for kind, res in keyword_patterns(keyword_languages(lang)).items():
        if res["line"] is not None:
            kw = res["line"].match(folded)
            m = kw and date_re.match(folded, kw.end())
            if m and LINE_END_RE.fullmatch(folded, m.end()):
                iso = _from_match(m, lang, order)
                if iso:
                    yield kind, iso, kw.start(), m.end(), line[kw.start():kw.end()].strip(" *_#>,")
        for lo, hi in regions:
            for kw in res["after"].finditer(folded, lo, hi):
                m = date_re.search(folded, kw.end(), min(len(folded), kw.end() + WINDOW))
                if m and not _is_range(folded, m):
                    iso = _from_match(m, lang, order)
                    if iso:
                        yield kind, iso, kw.start(), m.end(), line[kw.start():kw.end()].strip()
            if res["before"] is None:
                continue
            for kw in res["before"].finditer(folded, lo, hi):
                # the date stands right before the keyword (2024年7月1日起施行, 1-től hatályos, 1.7.2024 alkaen)
                found = list(date_re.finditer(folded, max(0, kw.start() - WINDOW), kw.start()))
                if found and GAP_RE.fullmatch(folded, found[-1].end(), kw.start()):
                    iso = _from_match(found[-1], lang, order)
                    if iso:
                        yield kind, iso, found[-1].start(), kw.end(), line[kw.start():kw.end()].strip()


#: Where a line can hold a statement: a year as :data:`YEAR_RE` finds it, or digits split by emphasis that make one
#: once joined (:data:`SPLIT_DIGITS_RE`). Both patterns in one, spelled to start with the class of the characters
#: their matches start with, which ``re`` skips to at C speed (a pattern starting with a look-behind is tried at
#: every position): a match of it on a line is where one of theirs starts (``tests/test_build_speed_paths.py``).
_MAY_STATE_RE = re.compile(r"[\d令平_*](?:(?<=(?<!\d)\d)\d{3}(?!\d)|(?<=令)和|(?<=平)成|(?<=\d[_*])[_*]+(?=\d))")


def _lines_with_a_year(text: str):
    """``(number, line)`` of each line of ``text`` (``str.splitlines``, numbered from 1) where :func:`find_dates` can
    find a statement: one with a year, or with digits split by emphasis. The lines are searched as one text (their
    matches do not cross a line break); most lines of a page have neither and are never looked at one by one."""
    lines = text.splitlines()
    joined, at, number, counted = "\n".join(lines), 0, 0, 0
    while m := _MAY_STATE_RE.search(joined, at):
        start = joined.rfind("\n", 0, m.start()) + 1
        number += joined.count("\n", counted, start)
        counted = start
        line = lines[number]
        yield number + 1, line
        at = start + len(line)


def find_dates(text: str, locale: str | None = None) -> list[DatedStatement]:
    """Every "last updated" and "effective" date the text states, in text order.

    :param text: normalized Markdown of a version
    :param locale: the document's locale (``de-DE``, ``en-US``, ``zh-CN``, ...): the language
        month names are read in, and the order of a numeric date with the year last
    """
    lang, order = _lang(locale), numeric_order(locale)
    found, seen = [], set()
    for number, line in _lines_with_a_year(text):  # the others hold no year: nothing to find there
        # no length limit: main-content extraction of an old page can give one 20 KB line, and its
        # "Last updated: ..." counts as much as on a short one (the evidence is then its sentence)
        if ("__" in line or "**" in line) and SPLIT_DIGITS_RE.search(line):
            line = SPLIT_DIGITS_RE.sub("", line)  # _de 202__2_ renders as "de 2022"
        if not YEAR_RE.search(line):
            continue
        for kind, iso, start, end, keyword in _remembered(_line_statements, line, lang, order):
            if (kind, iso, number) not in seen:
                seen.add((kind, iso, number))
                found.append(DatedStatement(kind, iso, _evidence(line, start, end), number, keyword))
    return found


def summarize(statements) -> dict:
    """Per kind, the newest statement (its date and evidence), as KB columns.

    A page that says "Last updated: 1 March 2024" above an older "Last updated: 5 May 2021" (a
    history list, a kept old header) is last updated on 1 March 2024; the earliest line wins a tie.
    """
    out = {"last_updated": None, "last_updated_evidence": None, "effective_date": None, "effective_evidence": None}
    columns = {"last_updated": ("last_updated", "last_updated_evidence"),
               "effective": ("effective_date", "effective_evidence")}
    for s in statements:
        if s.kind not in columns:
            continue
        day, evidence = columns[s.kind]
        if out[day] is None or s.date > out[day]:
            out[day], out[evidence] = s.date, s.evidence
    return out
