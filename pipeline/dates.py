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
        r"更新(?:日期|时间|於|于)?", r"最后(?:更新|修订|修改)", r"修订(?:日期|时间)?", r"最終更新", r"更新日", r"改定日?",
        r"zuletzt\s+(?:aktualisiert|geändert)", r"\bStand\b", r"terakhir\s+diperbarui", r"dernière\s+mise\s+à\s+jour",
    ],
    "effective": [
        r"effective(?:\s+(?:date|as\s+of|from|on))?", r"takes?\s+effect", r"in\s+effect", r"(?:starting|beginning)\s+(?:on\s+|from\s+)?",
        r"生效(?:日期|时间)?", r"起(?:施行|生效|实施|执行)", r"自(?=\s*\d{4}\s*年)", r"实施(?:日期)?", r"施行(?:日)?", r"から(?:適用|施行)", r"発効",
        r"gültig\s+ab", r"\bab\s+dem\b", r"wirksam\s+ab", r"in\s+kraft", r"berlaku(?:\s+mulai)?", r"\bmulai\b",
        r"en\s+vigueur", r"à\s+compter\s+du",
    ],
}

MONTHS = (
    r"Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|Sep(?:t(?:ember)?|\.)?"
    r"|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?"
    r"|Januar|Februar|März|Mai|Juni|Juli|Oktober|Dezember"
    r"|Januari|Februari|Maret|Mei|Agustus|Desember"
    r"|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre"
)
DATE_PATTERNS = [
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日",
    r"\d{4}-\d{1,2}-\d{1,2}",
    r"\d{4}/\d{1,2}/\d{1,2}",
    r"\d{4}\.\d{1,2}\.\d{1,2}",
    rf"(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}",
    rf"\d{{1,2}}(?:st|nd|rd|th|\.)?\s+(?:de\s+)?(?:{MONTHS})\s+(?:de\s+)?\d{{4}}",
    r"\d{1,2}\.\d{1,2}\.\d{4}",
    r"\d{1,2}/\d{1,2}/\d{4}",
]
DATE_RE = re.compile("|".join(f"(?:{p})" for p in DATE_PATTERNS), re.IGNORECASE)
KEYWORD_RES = {kind: re.compile("|".join(pats), re.IGNORECASE) for kind, pats in KEYWORDS.items()}


@dataclass(frozen=True)
class DatedStatement:
    """A date the text states, with the line that states it."""

    kind: str  # last_updated | effective
    date: str  # ISO YYYY-MM-DD
    evidence: str
    line: int  # 1-based line number in the text


@lru_cache(maxsize=4096)
def parse_date(text: str, languages: tuple | None = None) -> str | None:
    """Parse one complete date string to ISO, or None. Day, month and year are required."""
    cleaned = re.sub(r"\s+", " ", text.strip())
    m = re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", cleaned)
    if m:
        y, mo, d = map(int, m.groups())
        return _iso(y, mo, d)
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", cleaned)
    if m:
        y, mo, d = map(int, m.groups())
        return _iso(y, mo, d)
    import dateparser

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "DMY"}
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", cleaned):
        settings["DATE_ORDER"] = "MDY"  # US style on US pages; the ambiguous case
    parsed = dateparser.parse(cleaned.replace(" de ", " "), languages=list(languages) if languages else None,
                              settings=settings)
    return parsed.date().isoformat() if parsed else None


def _iso(y, mo, d):
    from datetime import date

    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def _languages(locale: str | None):
    if not locale:
        return None
    lang = locale.split("-")[0].lower()
    return (lang, "en") if lang != "en" else ("en",)


def find_dates(text: str, locale: str | None = None) -> list[DatedStatement]:
    """Every "last updated" and "effective" date the text states, in text order.

    :param text: normalized Markdown of a version
    :param locale: the document's locale, to help the date parser
    """
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > 600 or not DATE_RE.search(line):
            continue
        for kind, keyword_re in KEYWORD_RES.items():
            for kw in keyword_re.finditer(line):
                # the date must follow the keyword closely (or, in CJK, precede "起"/"から")
                window = line[kw.end(): kw.end() + 60]
                m = DATE_RE.search(window)
                if m is None and kind == "effective":
                    before = line[max(0, kw.start() - 40): kw.start()]
                    m = list(DATE_RE.finditer(before))[-1] if DATE_RE.search(before) else None
                if m is None:
                    continue
                iso = parse_date(m.group(0), _languages(locale))
                if iso:
                    evidence = line.strip().strip("*_#> ").strip()
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
