"""Dates a policy states about itself: last updated, effective, and announced.

``find_dates(text)`` returns every dated statement with its quoted evidence
(the line it stands on). It never guesses: a date is only reported where a
keyword ("Last updated", "Effective", "生效日期", "Stand", "施行", "berlaku",
...) and a complete day-month-year date stand on the same line. Date strings
are parsed by ``dateparser`` (multilingual); the keywords and date shapes are
a table here, per language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: keyword patterns per kind; matched case-insensitively on one line
KEYWORDS = {
    "last_updated": [
        r"last\s+(?:updated|modified|revised|amended|changed)", r"\bupdated(?:\s+on)?\b", r"\brevised(?:\s+on)?\b",
        r"\bversion\s*(?:of|dated)?\s*:", r"更新(?:日期|时间|於|于)?", r"最后(?:更新|修订|修改)", r"修订(?:日期|时间)?",
        r"最終更新", r"更新日", r"改定日?", r"zuletzt\s+(?:aktualisiert|geändert)", r"\bStand\b",
        r"terakhir\s+diperbarui", r"diperbarui(?:\s+pada)?", r"dernière\s+mise\s+à\s+jour", r"mis\s+à\s+jour\s+le",
        r"última\s+(?:actualización|actualização|atualização|modificación|modificação)",
        r"fecha\s+de\s+(?:la\s+)?última\s+modificación", r"ultimo\s+aggiornamento", r"aggiornat[oa]\s+(?:il|al)",
        r"(?:voor\s+het\s+)?laatst\s+(?:gewijzigd|bijgewerkt)(?:\s+op)?", r"\bversie\s+van", r"\bredakcija",
        r"τελευταία\s+ενημέρωση", r"ostatnia\s+aktualizacja", r"senast\s+(?:uppdaterad|ändrad)",
    ],
    "effective": [
        r"effective(?:\s+(?:date|as\s+of|from|on))?", r"takes?\s+effect", r"in\s+effect", r"valid\s+from",
        r"(?:starting|beginning)\s+(?:on\s+|from\s+)?",
        r"生效(?:日期|时间)?", r"起(?:施行|生效|实施|执行)", r"自(?=\s*\d{4}\s*年)", r"实施(?:日期)?", r"施行(?:日)?",
        r"から(?:適用|施行)", r"(?<=日)から", r"(?<=日)起", r"発効", r"適用開始日?", r"効力発生日",
        r"gültig\s+ab", r"\bab\s+dem\b", r"wirksam\s+ab", r"in\s+kraft", r"gilt\s+ab",
        r"berlaku(?:\s+(?:mulai|efektif|sejak))?", r"\bmulai\b", r"efektif(?:\s+(?:sejak|pada))?",
        r"en\s+vigueur", r"à\s+compter\s+du", r"fecha\s+efectiva", r"en\s+vigor", r"em\s+vigor(?:\s+a\s+partir\s+de)?",
        r"aplicable\s+a\s+partir\s+del?", r"(?:se\s+aplică\s+)?începând\s+cu(?:\s+data\s+de)?", r"från\s+och\s+med(?:\s+den)?",
        r"ikrafttrædelse", r"hatályos", r"platí\s+od", r"nabývají\s+platnosti(?:\s+a\s+účinnosti)?", r"obowiązuje\s+od",
        r"geldig\s+(?:vanaf|per)", r"in\s+vigore\s+dal", r"galioja\s+nuo", r"ισχύει\s+από",
    ],
}
#: keywords after which the date may come first (CJK word order: 2024年7月1日起施行, 2024年7月1日から適用)
DATE_BEFORE_RE = re.compile(r"^(?:起|から|施行|発効|生效|实施|適用|hatályos)")

MONTHS = (
    r"Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|Sep(?:t(?:ember)?|\.)?"
    r"|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?"
    r"|Januar|Februar|März|Mai|Juni|Juli|Oktober|Dezember"
    r"|Januari|Februari|Maret|Mei|Agustus|Desember"
    r"|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
    r"|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro"
    r"|januari|februari|maart|mei|augustus|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
    r"|augusti|marts|ianuarie|februarie|martie|aprilie|iunie|iulie|septembrie|octombrie|noiembrie|decembrie"
)
DATE_PATTERNS = [
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日",
    r"\d{4}-\d{1,2}-\d{1,2}",
    r"\d{4}/\d{1,2}/\d{1,2}",
    r"\d{4}\.\d{1,2}\.\d{1,2}",
    rf"(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}",
    rf"\d{{1,2}}(?:st|nd|rd|th|\.|º)?\s+(?:de\s+)?(?:{MONTHS}),?\s+(?:de\s+)?\d{{4}}",
    r"\d{1,2}\.\s?\d{1,2}\.\s?\d{4}",
    r"\d{1,2}/\d{1,2}/\d{4}",
    r"\d{1,2}-\d{1,2}-\d{4}",
]
DATE_RE = re.compile("|".join(f"(?:{p})" for p in DATE_PATTERNS), re.IGNORECASE)
#: Every date shape above has a four-digit year: a cheap test before the costly one.
YEAR_RE = re.compile(r"\d{4}")
KEYWORD_RES = {kind: re.compile("|".join(pats), re.IGNORECASE) for kind, pats in KEYWORDS.items()}


@dataclass(frozen=True)
class DatedStatement:
    """A date the text states, with the line that states it."""

    kind: str  # last_updated | effective
    date: str  # ISO YYYY-MM-DD
    evidence: str
    line: int  # 1-based line number in the text


@lru_cache(maxsize=4096)
def parse_date(text: str, languages: tuple | None = None, month_first: bool | None = None) -> str | None:
    """Parse one complete date string to ISO, or None. Day, month and year are required.

    :param languages: language codes for the parser (e.g. ``("de", "en")``)
    :param month_first: read ``03/01/2024`` as March 1 (US pages); default: when
        the languages are English or unknown
    """
    cleaned = re.sub(r"\s+", " ", text.strip())
    m = re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", cleaned)
    if m:
        y, mo, d = map(int, m.groups())
        return _iso(y, mo, d)
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", cleaned)
    if m:
        y, mo, d = map(int, m.groups())
        return _iso(y, mo, d)
    m = re.fullmatch(r"(\d{1,2})\s*([./-])\s*(\d{1,2})\s*[./-]\s*(\d{4})", cleaned)
    if m:
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        if month_first is None:
            month_first = languages is None or languages[0] == "en"
        us = sep == "/" and month_first and a <= 12
        # 03/01/2024 is ambiguous: month first on English (US) pages, day first elsewhere and whenever a > 12
        return _iso(y, a, b) if us else _iso(y, b, a)
    import dateparser

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "DMY"}
    parsed = dateparser.parse(cleaned.replace(" de ", " "), languages=list(languages) if languages else None,
                              settings=settings)
    return parsed.date().isoformat() if parsed else None


def _iso(y, mo, d):
    from datetime import date

    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def _month_first(locale: str | None) -> bool:
    """US-style dates (month/day/year) on pages declared en-US (or plain en, or undeclared)."""
    return locale is None or locale.lower() in ("en", "en-us", "es-us")


def _languages(locale: str | None):
    if not locale:
        return None
    lang = locale.split("-")[0].lower()
    return (lang, "en") if lang != "en" else ("en",)


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


def find_dates(text: str, locale: str | None = None) -> list[DatedStatement]:
    """Every "last updated" and "effective" date the text states, in text order.

    :param text: normalized Markdown of a version
    :param locale: the document's locale, to help the date parser
    """
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        # no length limit: main-content extraction of an old page can give one 20 KB line, and its
        # "Last updated: ..." counts as much as on a short one (the evidence is then its sentence)
        if not YEAR_RE.search(line) or not DATE_RE.search(line):
            continue
        for kind, keyword_re in KEYWORD_RES.items():
            for kw in keyword_re.finditer(line):
                # the date must follow the keyword closely (or, in CJK, precede "起"/"から")
                window = line[kw.end(): kw.end() + 60]
                m = DATE_RE.search(window)
                span = (kw.start(), kw.end() + m.end()) if m else None
                if m is None and kind == "effective" and DATE_BEFORE_RE.match(kw.group(0)):
                    offset = max(0, kw.start() - 40)
                    before = list(DATE_RE.finditer(line[offset: kw.start()]))
                    m = before[-1] if before else None
                    span = (offset + m.start(), kw.end()) if m else None
                if m is None:
                    continue
                iso = parse_date(m.group(0), _languages(locale), _month_first(locale))
                if iso:
                    evidence = _evidence(line, *span)
                    found.append(DatedStatement(kind, iso, evidence, number))
                    break
    unique, seen = [], set()
    for s in found:
        if (s.kind, s.date, s.line) not in seen:
            seen.add((s.kind, s.date, s.line))
            unique.append(s)
    return unique


def summarize(statements) -> dict:
    """The first last-updated and the first effective statement, as KB columns."""
    out = {"last_updated": None, "last_updated_evidence": None, "effective_date": None, "effective_evidence": None}
    for s in statements:
        if s.kind == "last_updated" and out["last_updated"] is None:
            out["last_updated"], out["last_updated_evidence"] = s.date, s.evidence
        if s.kind == "effective" and out["effective_date"] is None:
            out["effective_date"], out["effective_evidence"] = s.date, s.evidence
    return out
