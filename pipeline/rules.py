"""Rule values a policy states: deadlines, metric thresholds and penalty-point levels, each with its sentence.

``extract(markdown, language)`` reads one section and returns :class:`RuleValue`\\ s:

* **time limits**: a number and a time unit (hours, days, business days, natural days, 个工作日, 営業日,
  hari kerja, วันทำการ, ngày làm việc, Werktage, jours ouvrés, días hábiles, giorni lavorativi ...) with a
  cue that makes the duration a limit ("within", "在 … 内", "以内", "dans un délai de", "ภายใน"), and what
  it limits (appeal, response, dispatch, takedown, documents ...), from the clause's syntax
  (:func:`_deadline_subject`): the period's own name, before the number or after the unit ("Kündigungsfrist",
  "préavis de", "dos meses de antelación"), else the cue governing the number in its clause, none when that cue is
  weak evidence (only after the number, far past the moment counted from: :func:`_remote_after`) (:func:`_nearest_cue`:
  not one in the moment the deadline counts from, nor a participle describing a noun; a German or Dutch verb after
  the time phrase first; a notice after a light verb, "darà comunicazione", is no weak cue), else "notice" for a
  period before an event when no other subject is named in its clause; a period before a step takes effect is a
  notice and a complaint against a decision an appeal; a fallback ("but in any case not later than …") or an
  alternative for when something is missing ("of bij het ontbreken van een bedenktermijn binnen …"), a clause "in all
  other cases" or a bare ", and within N after …" limits the previous deadline's step, and "unless you bring it /
  do so within" the step named before it; a right already exercised ("si ha ejercido su derecho de desistimiento")
  is a condition, not the step; a period counted back ("the last 12 months", "den letzten 15 Monaten", "the 30-day
  period preceding") and a tenure ("has been a customer for at least 10 years") are no deadlines, nor is a window
  named again after "before" ("before the 48-hour window"), a period counted from an event in a quoted term's
  definition ('"Eligible Purchase" means … within five years after …') or how long something must stay valid; a
  parcel available at a pick-up place for a time ("disponible pendant 8 jours à l'agence") is the collection's
  deadline, with no subject; a number of hours written "h" ("sous 48h") is one only from 24 up ("18h" is a clock
  time), and "sous huitaine / quinzaine / trentaine" is 8, 15, 30 days; a new version of the terms that "constituera
  un avenant" within a period takes effect then, no deadline;
* **metric thresholds**: a percentage with a comparison ("under 4%", "低于95%", "1%未満") in a clause that
  names a metric (late shipment rate, ODR, valid tracking rate ...) or a rate in other words ("numero di
  reclami"), with the windows the clause gives ("10-day and 30-day windows", "in a calendar week"); a line that
  names no metric takes the metric its numbered or list label line names ("2. Annuleringen" / "≤ 2% …"), never a
  heading's topic; with no comparison, a share of the items a clause requires of a metric it names is a minimum
  ("98% of the items are delivered within the delivery time"), and so is one alone on its line under a label line
  that names a metric ("9. Track & Trace-nummer" / "100% van totaal aantal pakketverzendingen");
* **point thresholds**: "reaches 12 points", "累计达到12分", or a row of a table whose header counts points,
  with the action at that level.

Precision first: a wrong deadline is worse than none. A duration without a limiting cue next to it (a
penalty lasting 7 days, records kept 180 days) is not reported, nor a percentage without a metric word and a
comparison in its clause (a fee, a discount).

Words a PDF ran together ("terminedi 3", "giornilavorativi") are split apart first, by word frequencies
(:func:`_split_run_on`, wordfreq), and a sentence a PDF's hard wraps cut into paragraphs is joined again
(:func:`_unwrapped`), so a cue reads the same in a PDF as on a web page.

Numbers may be words or numerals: European number words go through text2num's ``alpha2digit`` (``seven
days`` → ``7 days``, ``quinze jours``, ``vierzehn Tage``), Chinese and Japanese numerals through cn2an
(``十五日``, ``七个工作日``); a number written in words and again in digits ("thirty (30) days", "14 (catorze)
dias") is one number; both libraries measured against the alternatives before they were chosen (README, "Rule
values"). The cue words are data: ``pipeline/rule_keywords.yml``.

:func:`value_changes` pairs the values of two consecutive versions of a document and reports those whose
number, unit or window changed (4 % → 3 %, 2 个工作日 → 24 小时).
"""

from __future__ import annotations

import bisect
import hashlib
import importlib.resources
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache

from pipeline.fastre import guarded
from pipeline.text import UNSPACED as UNSPACED_CHARS
from pipeline.text import plain_text

KEYWORDS_FILE = importlib.resources.files("pipeline").joinpath("rule_keywords.yml")

#: bumped whenever the extraction reads differently (with a hash of the cue file, :func:`extractor_state`): a KB
#: whose values were read by another extractor reads every version again
EXTRACTOR_VERSION = 16

#: languages whose look-back word may follow the unit ("les 12 mois écoulés", "30 hari terakhir", "30 ngày qua")
LOOK_BACK_AFTER = {"fr", "es", "it", "pt", "id", "ms", "th", "vi"}
KINDS = ("time_limit", "metric_threshold", "point_threshold")
TIME_UNITS = ("minute", "hour", "day", "business_day", "calendar_day", "week", "month", "year")
#: units that can replace one another in a change (2 business days → 24 hours is one value changing)
UNIT_FAMILY = {**{u: "time" for u in TIME_UNITS}, "percent": "percent", "points": "points"}
#: languages whose number words text2num reads
TEXT2NUM_LANGUAGES = {"en", "fr", "es", "de", "it", "pt", "nl"}
_CN_NUMERAL = "零〇一二两兩三四五六七八九十百千"
_NUMBER = rf"(?<![\d.,{_CN_NUMERAL}第])(\d+(?:[.,]\d+)?|[{_CN_NUMERAL}]+)"
_PERCENT_WORDS = (r"%|％|percent\b|per\s+cent\b|Prozent\b|pour\s*cent\b|pour\s+100\b|por\s+ciento\b|per\s+cento\b|"
                  r"procent\b|persen\b|peratus\b|เปอร์เซ็นต์|phần\s+trăm")
_NUMBER_RE = re.compile(_NUMBER)
_PERCENT_RE = re.compile(rf"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(?:{_PERCENT_WORDS})", re.I)
#: a sentence ends after . ! ? and a capital (so after "Section 5."), or after a word's full stop run on to the next
#: sentence's first word (a PDF's lost space: "presso il corriere.L'utente"); not after an abbreviation
#: (:data:`_ABBREVIATION`)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(\[¿¡À-Ý])|(?<=[。！？])|\n+|"
                           r"(?<=[a-zà-ÿ]{3}\.)(?=[A-ZÀ-Ý][a-zà-ÿ’'])")
#: the end of an abbreviation, not of a sentence: a lower-case single letter ("z. B.", "i. e.", "u. a.", "d. h."), two
#: letters each with its full stop ("z. B.", "e.g.", "U.S."), or a known one ("bzw.", "sog.", "Co. KG", "Pte. Ltd.");
#: not "etc.", which ends a sentence as often as not ("…, etc. TikTok has the right"), nor a number ("Section 5.")
_ABBREVIATION = re.compile(r"(?:^|[\s(\[/])(?:[a-zß-ÿ]|[A-Za-zß-ÿ]\.\s?[A-Za-zß-ÿ]|(?i:bzw|sog|ggf|vgl|usw|evtl|inkl|"
                           r"zzgl|gem|ca|nr|co|pte|ul|art|abs|ziff|vs|approx|incl|cf|ecc|bijv|resp|dr|mr|mrs|ms|st))\.$")
#: a short abbreviation right after a candidate end: the one before it is one too ("D. Lgs. 206/2005", "Pte. Ltd.")
_ABBREVIATION_NEXT = re.compile(r"\s*[A-ZÀ-Ý][a-zà-ÿ]{0,3}\.")
#: clause ends; text is NFKC-normalized first, so "，" and "；" arrive as "," and ";" (followed by no space); a comma
#: run on to a Latin letter is a PDF's lost space ("immediatamente e,comunque,entro"), not a clause's end
#: after "and" / "but" (or "however,"), the words of a bound on the same step ("…, and at most in 30 days", "…, y como
#: máximo en 30 días", "…, but no later than", "shall handle a complaint without undue delay, however, within a
#: maximum of 15 working days"): no new clause, the step named before limits it
_BOUND_NEXT = (r"(?!(?:,\s*|\s+)?(?:at\s+(?:the\s+)?most|at\s+the\s+latest|no\s+later|not\s+later|within|como\s+máximo|"
               r"a\s+más\s+tardar|au\s+(?:plus\s+tard|maximum)|ce\s(?!qui|que|dernier)|al\s+massimo|non\s+oltre|höchstens|"
               r"spätestens|o\s+mais\s+tardar|uiterlijk)\b)")
_CLAUSE_END = re.compile(r"[;。]|,\s+(?:and|but|or|while|whereas|und|aber|et|mais|y|pero|e|ma|maar|mas)\s" + _BOUND_NEXT + "|"
                         r",\s+(?:however|jedoch|cependant|toutefois|sin\s+embargo|no\s+entanto|contudo|tuttavia|però|"
                         r"echter|namun)\s*," + _BOUND_NEXT + "|"
                         r",(?=[^\s\dA-Za-zÀ-ɏ])|、(?=[^、]{6,})|"
                         r"\s(?:unless|tenzij|sofern\s+nicht|sauf\s+si|salvo\s+que|a\s+menos\s+que|a\s+não\s+ser\s+que)\s")
#: a comma before a conditional starts a clause too ("…upon giving notice, if You have failed to remedy … within 30
#: days": the notice is not what the 30 days limit), unless the conditional is a parenthesis closed by a comma
#: before the number ("wird, soweit zulässig, auf 1 Tag verkürzt")
_CONDITIONAL = re.compile(r",\s+(?:if|when|unless|provided|wenn|falls|sofern|soweit|si|lorsque|sauf|cuando|salvo|se|"
                          r"quando|indien|tenzij|jika|apabila|kecuali)\s", re.I)
_CALENDAR_PERIOD_RE = re.compile(r"calendar\s+(?:week|month)|自然[周週月]|Kalender(?:woche|monat)|semaine\s+civile|"
                                 r"semana\s+natural|settimana\s+solare|minggu\s+kalender|สัปดาห์ปฏิทิน", re.I)
#: a comparison written as a sign right before a percentage: a threshold whatever it measures
_SIGN_RE = re.compile(r"([≥≤]|[<>]=?)\s*$")
_LEADING_SIGN_RE = re.compile(r"(?:^|\|)\s*[≥≤<>]=?\s*$")
#: nothing before a number in its line (a list mark at most): a share of the items standing alone there is a label's requirement
_OPENS_LINE = re.compile(r"^\s*(?:[-*+•]\s+)?$")
_RANGE_START = re.compile(r"\d+(?:[.,]\d+)?\s*(?:-|–|~|à|a|to|bis|al|tot|至|到)\s*$", re.I)
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class RuleValue:
    """One value a section states.

    :ivar kind: ``time_limit``, ``metric_threshold`` or ``point_threshold``
    :ivar value: the number (7, 24, 3.0, 12)
    :ivar unit: a time unit of :data:`TIME_UNITS`, ``percent`` or ``points``
    :ivar subject: what it limits or measures (``appeal``, ``takedown``, ``late_shipment_rate``,
        ``penalty_points`` ...; ``""`` when no cue in the clause says)
    :ivar comparator: ``within`` (a deadline), ``below`` / ``above`` (a threshold), ``reach`` (a point level)
    :ivar window: the metric's windows (``"10 days, 30 days"``), else ``""``
    :ivar action: a point level's consequence, else ``""``
    :ivar phrase: the words that gave the value (``"7个自然日内"``, ``"under 4%"``)
    :ivar sentence: the evidence: the sentence (or table row) it stands in, as written
    :ivar position: where the number stands in ``sentence``'s digit-written form (for the nearest term)
    """

    kind: str
    value: float
    unit: str
    subject: str
    comparator: str
    sentence: str
    phrase: str = ""
    window: str = ""
    action: str = ""
    position: int = 0

    @property
    def display(self) -> str:
        """The value as a reader writes it: ``7 calendar_day`` → ``7 calendar days`` (labels are the UI's)."""
        number = f"{self.value:g}"
        return f"{number} %" if self.unit == "percent" else f"{number} {self.unit}"


@lru_cache(maxsize=1)
def keyword_data() -> dict:
    """The cue file: ``{"languages": {...}, "subjects": {...}, "metrics": {...}}``."""
    from pipeline.yamlload import safe_load

    return safe_load(KEYWORDS_FILE.read_text(encoding="utf-8"))


def extractor_state() -> str:
    """What the stored values depend on besides the versions and the glossary: this extractor's version and the
    cue file's content (a short hash)."""
    digest = hashlib.sha256(KEYWORDS_FILE.read_bytes()).hexdigest()[:16]
    return f"{EXTRACTOR_VERSION}:{digest}"


def languages() -> list[str]:
    """The languages with cues, in file order (``zh`` serves zh-Hans and zh-Hant)."""
    return list(keyword_data()["languages"])


def base_language(language: str | None) -> str:
    """A version's language or a document's locale → the cue file's key (``zh-Hant`` → ``zh``, ``en-US`` → ``en``)."""
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in keyword_data()["languages"] else ""


def _nfkc(expr: str) -> str:
    """Cues are matched on NFKC text (full-width digits, Thai sara am decomposed): so are the expressions."""
    return unicodedata.normalize("NFKC", expr)


@lru_cache(maxsize=None)
def _patterns(language: str) -> dict:
    """The compiled cues of one language."""
    data = keyword_data()["languages"][language]
    flags = re.I | re.U
    units = {u: _nfkc(e) for u, e in data["units"].items()}
    word_end = r"(?![\w])" if language not in ("zh", "ja", "th") else ""
    # a unit of two words needs no word end: what runs on is a PDF's lost space ("14 giorni di calendariodalla"), as
    # no word continues "giorni lavorativi"; a single word does ("days" is not "dayside")
    multiword = re.compile(r" |\\s")
    alternatives = "|".join(f"(?P<{u}>(?:{e}){'' if multiword.search(e) else word_end})" for u, e in units.items())
    # "a 14-day window", "3-business-day handling": a hyphen joins the number to its unit as a space does
    out = {"unit": re.compile(rf"(?:\s*-\s*|\s*)(?:{alternatives})", flags),
           "points": re.compile(r"\s*(?:" + _nfkc(data["points"]) + ")", flags)}
    for key in ("anchor", "advance"):
        out[key] = re.compile(r"\W{0,2}\s*(?:" + _nfkc(data[key]) + ")", flags) if data.get(key) else None
    look_back = _nfkc(data["look_back"]) if data.get("look_back") else ""
    out["look_back_before"] = re.compile(rf"(?<!\w)(?:{look_back})\s*$", flags) if look_back else None
    out["look_back_after"] = re.compile(rf"\s*(?:{look_back})(?!\w)", flags) \
        if look_back and language in LOOK_BACK_AFTER else None
    for key in ("rate", "within", "within_after", "not_before", "not_after", "has", "has_to", "below", "above",
                "below_after", "above_after", "reach", "reach_after"):
        out[key] = re.compile(_nfkc(data[key]), flags) if data.get(key) else None
    any_unit = "|".join(units.values())
    # a sentence with none of these words holds no value: skipped before the costlier steps
    period = data.get("period_words")
    # "sous huitaine": the lead and the word, replaced by :func:`digits` with the number and the unit they stand for
    out["period_words"] = (re.compile(rf"\b({period['lead']})\s+({'|'.join(period['words'].values())})\b", flags),
                           {w.lower(): f"{n} {period['unit']}" for n, w in period["words"].items()}) if period else None
    named = f"|{out['period_words'][0].pattern}" if period else ""
    out["worth_reading"] = guarded(f"{any_unit}|{_nfkc(data['points'])}|{_PERCENT_WORDS}{named}", flags)
    # before a unit, or before the same number in digits ("one (1) business day", "dos (2) días"), which
    # :data:`_NUMBER_TWICE` then reads as one
    out["small"] = [(str(n), guarded(rf"(?<![\w]){_nfkc(expr)}(?=\s*(?:{any_unit}|\(\s*{n}\s*\)))", flags))
                    for n, expr in (data.get("small") or {}).items()]
    return out


@lru_cache(maxsize=None)
def _cue_table(name: str) -> list[tuple[str, re.Pattern]]:
    """The compiled cues of a table of the cue file (``subjects``, ``metrics``), each behind a lookahead of the
    characters its matches start with (:func:`pipeline.fastre.guarded`: the same matches, found twice as fast)."""
    return [(key, guarded(_nfkc(expr), re.I | re.U)) for key, expr in keyword_data()[name].items()]


#: the characters ``re`` takes for one another under IGNORECASE though neither lower-cases to the other ("ſ" for "s",
#: "ς" for "σ", "ι" for "\u0345": its own table, ``re._casefix``), each mapped to the lowest of its class
def _case_classes() -> dict[int, int]:
    try:
        from re._casefix import _EXTRA_CASES
    except ImportError:  # pragma: no cover - another Python: no class folded, and no cue table prefiltered
        return {}
    return {c: min((k,) + others) for k, others in _EXTRA_CASES.items() for c in (k,) + others
            if c != min((k,) + others)}


_CASE_CLASSES = _case_classes()


def _fold(text: str) -> str:
    """``text`` as ``re`` compares it under IGNORECASE, one character for one: each lower-cased (``str.lower`` is
    ``re``'s ``_sre.unicode_tolower`` for every character but "İ", lower-cased to "i" first, and "Σ", whose two lower
    cases are one class), then taken to its class's representative (:data:`_CASE_CLASSES`). Two characters
    ``re.I`` takes for one another fold to the same, so where a case-insensitive pattern matches a literal string,
    the folded text holds the folded string (:func:`_cue_anchors`; ``tests/test_rules_speed_paths.py`` checks every
    character)."""
    text = text.replace("\u0130", "i").lower()
    # the table maps only the characters of :data:`_CASE_CLASS_CHARS`: a text of none is left as it is, untranslated
    return text if text.isascii() or not _CASE_CLASS_CHARS.search(text) else text.translate(_CASE_CLASSES)


#: the characters :data:`_CASE_CLASSES` maps (a case-sensitive class: searched at C speed, not looked up one by one)
_CASE_CLASS_CHARS = re.compile("[" + "".join(map(re.escape, map(chr, sorted(_CASE_CLASSES)))) + "]" if _CASE_CLASSES
                               else r"(?!)")


class _Unbounded(Exception):
    """A pattern :func:`_required` finds no literal every match holds of."""


def _required(items) -> frozenset[str]:
    """Strings one of which every match of a parsed sequence (``re._parser``) holds: a run of literals it must
    match, or what a group, alternation or repeat it must match requires (each alternative's, for an alternation);
    of these, the set whose shortest string is the longest. Zero-width items (word boundaries, lookarounds) and
    character classes end a run; what they or an optional part match is not required."""
    from re import _constants as c

    candidates, run = [], []

    def end_run():
        if run:
            candidates.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        end_run()
        try:
            if op is c.SUBPATTERN and not (av[1] or av[2]):  # a group with no flags of its own
                candidates.append(_required(av[3].data))
            elif op is c.BRANCH:
                candidates.append(frozenset().union(*(_required(alternative.data) for alternative in av[1])))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
                candidates.append(_required(av[2].data))
            elif op is c.ATOMIC_GROUP:
                candidates.append(_required(av.data))
        except _Unbounded:
            pass
    end_run()
    if not candidates:
        raise _Unbounded
    return max(candidates, key=lambda strings: (min(map(len, strings)), -len(strings)))


@lru_cache(maxsize=None)
def _cue_anchors(name: str) -> tuple[frozenset[str] | None, ...]:
    """For each cue of a table (:func:`_cue_table`'s order), folded strings (:func:`_fold`) one of which every match
    of the cue holds (:func:`_required`: "respon", "reclam", "申诉" …), or None when the cue has none: a clause whose
    folded text holds none of a cue's cannot match it, so :func:`_clause_hits` skips its pattern there (most clauses
    hold the strings of two cues at most, of 14)."""
    from re import _parser

    out = []
    for expr in keyword_data()[name].values():
        try:
            strings = frozenset(_fold(s) for s in _required(_parser.parse(_nfkc(expr), re.I | re.U).data))
        except (_Unbounded, ImportError, AttributeError):
            strings = None
        out.append(strings if strings and "" not in strings else None)
    return tuple(out)


#: characters that may stand in a text :func:`_gate` is looked for in: no white space (a derived sentence may have a
#: space where the section has a line break, or none where a join put one) and no emphasis or code mark (which
#: :func:`pipeline.text.plain_text` may remove from inside a word: "da**ys**")
_GATE_UNSAFE = re.compile(r"[\s*_`]")


@lru_cache(maxsize=None)
def _gate(language: str) -> re.Pattern | None:
    """A case-sensitive pattern of folded strings (:func:`_fold`), one of which the folded NFKC text of every sentence
    or table row a value can be read from holds, in ``language`` or in English (a sentence on its page may be read
    in English: :func:`reading_language`): a string every match holds (:func:`_required`) of its ``worth_reading``
    cues, English's, and its point cues (which :func:`_table_points` reads in a table's header). A sentence whose
    folded text holds none gives no value and is read in the page's language, without either cue search (a search
    here is one fast scan of a lower-cased text; :func:`_read_section`). Each string is cut at white space and at
    emphasis marks to its longest piece (still in every match; see :func:`_section_holds_nothing`). None when a cue
    has no such string: then every sentence is read."""
    from re import _parser

    strings: set[str] = set()
    sources = [(_patterns(language)["worth_reading"].pattern, re.I | re.U), (_patterns("en")["worth_reading"].pattern,
               re.I | re.U), (_nfkc(keyword_data()["languages"][language]["points"]), re.I | re.U)]
    try:
        for pattern, flags in sources:
            for required in _required(_parser.parse(pattern, flags).data):
                piece = max(_GATE_UNSAFE.split(_fold(required)), key=len)
                if not piece:
                    return None
                strings.add(piece)
    except (_Unbounded, ImportError, AttributeError):
        return None
    # a string holding another is implied by it: only the shorter is looked for
    strings = {s for s in strings if not any(t != s and t in s for t in strings)}
    return re.compile("|".join(map(re.escape, sorted(strings, key=lambda s: (-len(s), s)))))


@lru_cache(maxsize=1)
def _local_characters() -> re.Pattern:
    """A class of every character that is not *local* to NFKC: local, a character's NFKC form stands for it in any
    text, ``NFKC(text) == "".join(NFKC(c) for c in text)`` for a text of local characters. A character is local
    when its combining class is 0, it is no second of a composition, and its NFKC form is *stable* characters (each
    its own NFKC form, of combining class 0, no second of a composition): then its full decomposition starts with a
    starter, so no reordering crosses from one character's decomposition to the next, and NFKC of the text is NFKC of
    the concatenated forms, a text of stable characters, which is in NFKC (Unicode's quick check: every character
    NFKC_QC=Yes, combining class 0). The seconds: the second characters of the two-character canonical
    decompositions (all below U+30000) and Hangul's vowel and trailing jamo. Only the Basic Multilingual Plane is
    classified; every character beyond it is taken as not local."""
    seconds = {0x1161 + i for i in range(21)} | {0x11A8 + i for i in range(27)}
    for code in range(0x30000):
        decomposition = unicodedata.decomposition(chr(code))
        if decomposition and not decomposition.startswith("<") and len(parts := decomposition.split()) == 2:
            seconds.add(int(parts[1], 16))

    def stable(c: str) -> bool:
        return not unicodedata.combining(c) and ord(c) not in seconds and unicodedata.normalize("NFKC", c) == c

    def local(code: int) -> bool:
        c = chr(code)
        return not (0xD800 <= code < 0xE000) and not unicodedata.combining(c) and code not in seconds and \
            all(map(stable, unicodedata.normalize("NFKC", c)))

    ranges, start = [], None
    for code in range(0x10001):
        if code < 0x10000 and not local(code):
            start = code if start is None else start
        elif start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return re.compile("[" + "".join(ranges) + "\U00010000-\U0010ffff]")


def _section_holds_nothing(markdown: str, language: str) -> bool:
    """Whether no sentence or table row of a section can give a value: its text holds none of :func:`_gate`'s
    strings, read as each sentence is (NFKC, folded), with emphasis and code marks removed. Exact, not a guess:

    * every sentence and row (:func:`_lines`, :func:`_cells`) is the section's characters in order, with white space
      changed (lines joined by a space, runs collapsed, ends stripped, cells joined by " | "), some emphasis and code
      marks removed (``plain_text``: "da**ys**"), link syntax removed (only where the text holds "](": such a
      section is read in full) and heading, list and quote marks removed at a line's start; a gate string holds no
      white space and no mark (:data:`_GATE_UNSAFE`), so where a sentence's folded text holds it, the characters it
      covers stand next to one another in the section's text once every mark is removed;
    * NFKC and the fold (:func:`_fold`) take each character on its own here: the fold always (a character for a
      character), NFKC when the text has only local characters (:func:`_local_characters`; a text with another is
      read in full);
    * a table's header is searched for a point cue as written, not in NFKC: the text is also searched folded only.

    ``tests/test_rules_speed_paths.py`` checks it on tricky texts and a sample of the corpus's sections,
    ``bench/rules_gate_check.py`` on every section of a KB and of the corpus."""
    gate = _gate(language)
    if gate is None or "](" in markdown or _local_characters().search(markdown):
        return False
    text = markdown.replace("*", "").replace("_", "").replace("`", "")  # str.translate would look up each character
    if gate.search(_fold(unicodedata.normalize("NFKC", text))):
        return False
    return "|" not in text or not gate.search(_fold(text))


def _to_number(token: str) -> float | None:
    """``"4"``, ``"2,5"``, ``"十五"``, ``"两"`` → a number; None when it is no number."""
    if token[0].isdigit():
        return float(token.replace(",", "."))
    try:
        import cn2an

        return float(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


#: languages whose words a PDF's lost space runs together are split again (:func:`_split_run_on`); not German or
#: Dutch, whose compounds are one word by design ("Kündigungsfrist", "opzegtermijn")
SPLIT_LANGUAGES = {"en", "fr", "es", "it", "pt"}
#: how common (wordfreq's Zipf scale: 3 = once per million words) each half of a split word must be: a word of
#: three letters or more, else a function word ("di", "a", "il", "de")
ZIPF_WORD, ZIPF_SHORT = 3.0, 6.0
_LETTERS = r"A-Za-zÀ-ÖØ-öø-ɏ"


_ASCII_WORD = re.compile(r"[A-Za-z]+")
_LATIN_WORD_RUN = re.compile(rf"[{_LETTERS}]+")


@lru_cache(maxsize=None)
def _frequencies(language: str) -> dict[str, float]:
    """wordfreq's word list of a language (its ``best`` list, the one :func:`wordfreq.zipf_frequency` reads)."""
    from wordfreq import get_frequency_dict

    return get_frequency_dict(language, "best")


@lru_cache(maxsize=200_000)
def _zipf(word: str, language: str) -> float:
    """wordfreq's Zipf frequency of a word (``zipf_frequency(word, language)``), memoized: a split tries every cut
    of every unknown word, and a policy corpus repeats a small vocabulary. wordfreq's own look-up tokenizes the word
    each time (a fifth of the rules' time on long pages); a word of ASCII letters is one lower-case token to it, and
    a word of Latin letters (:data:`_LETTERS`) in a language of :data:`SPLIT_LANGUAGES` one token in its NFC,
    case-folded form (what wordfreq's ``preprocess_text`` and ``simple_tokenize`` make of it there), so its
    frequency is read from the word list directly and rounded as wordfreq rounds it (``tests/test_rules.py`` and
    ``tests/test_rules_speed_paths.py`` check the two agree on the lists' words, their cuts and capitalizations)."""
    if _ASCII_WORD.fullmatch(word):
        key = word.lower()
    elif language in SPLIT_LANGUAGES and _LATIN_WORD_RUN.fullmatch(word):
        key = unicodedata.normalize("NFC", unicodedata.normalize("NFC", word).casefold()).casefold()
    else:
        key = None
    if key is not None:
        freq = _frequencies(language).get(key)
        if freq is None:
            return 0.0
        unrounded = max(freq, 1e-9)  # wordfreq's minimum for a Zipf minimum of 0
        freq = round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)
        return round(math.log(freq, 10) + 9, 2)
    from wordfreq import zipf_frequency

    return zipf_frequency(word, language)


def _split_run_on(text: str, language: str) -> str:
    """Words a PDF's lost space ran together, apart again: a word no word list of the language knows that is two
    common words ("terminedi" → "termine di", "superiorea" → "superiore a", "nelcaso", "lavorativisuccessivi"; by
    wordfreq's frequencies, the split whose rarer half is the most common: :func:`_split_word`), and a number run on
    to a word ("almeno15 giorni", "30giorni"). Cues are then read as written in any other document."""
    if _DIGIT.search(text):  # each end of a run-on number is next to a digit: a text without one has none
        text = _numbers_apart(text)
    # each distinct word looked up once, and the text rewritten only when one of them splits (most texts: none)
    split = {w: cut for w in set(_LONG_WORD.findall(text)) if (cut := _split_word(w, language)) != w}
    return _LONG_WORD.sub(lambda m: split.get(m.group(), m.group()), text) if split else text


_DIGIT = re.compile(r"\d")
_NUMBER_RUN_ON = re.compile(rf"(?<=[{_LETTERS}]{{3}})(?=\d)|(?<=\d)(?=[{_LETTERS}]{{3}})")
_DIGITS = re.compile(r"\d+")
_THREE_LETTERS = re.compile(rf"[{_LETTERS}]{{3}}")


def _numbers_apart(text: str) -> str:
    """``_NUMBER_RUN_ON.sub(" ", text)``: a space at each end of a run of digits that three letters touch, found from
    the digit runs (a scan for a digit) instead of by both lookbehinds at every position of the text (a fifth of
    :func:`_split_run_on`'s time). Its ends are where a digit run starts after three letters or ends before three
    (inside a run a digit stands on both sides; ``tests/test_rules_fast.py`` checks the two agree)."""
    cuts = []
    for m in _DIGITS.finditer(text):
        start, end = m.span()
        if start >= 3 and _THREE_LETTERS.fullmatch(text, start - 3, start):
            cuts.append(start)
        if _THREE_LETTERS.match(text, end):
            cuts.append(end)
    if not cuts:
        return text
    pieces, last = [], 0
    for cut in cuts:
        pieces.append(text[last:cut])
        last = cut
    pieces.append(text[last:])
    return " ".join(pieces)


_LONG_WORD = re.compile(rf"[{_LETTERS}]{{4,}}")


@lru_cache(maxsize=200_000)
def _split_word(word: str, language: str) -> str:
    """One word of :func:`_split_run_on`: as it is when the language's word list knows it, else cut in two common
    words when a cut gives two (memoized: a page repeats its words, and scoring every cut of an unknown word is the
    costly part)."""
    def zipf(part: str) -> float:
        return _zipf(part, language)

    def half_ok(part: str) -> bool:
        if len(part) >= 3:
            return zipf(part) >= ZIPF_WORD
        return (len(part) == 2 or part.lower() in "aeoyàèéò") and zipf(part) >= ZIPF_SHORT

    if zipf(word) > 0:
        return word
    scored = [(min(zipf(word[:i]), zipf(word[i:])), i) for i in range(1, len(word))
              if half_ok(word[:i]) and half_ok(word[i:])]
    if not scored:
        return word
    i = max(scored)[1]
    return f"{word[:i]} {word[i:]}"


@lru_cache(maxsize=64)
def digits(sentence: str, language: str) -> str:
    """The sentence with its number words written as digits (text2num for European languages), and words a PDF ran
    together apart (:func:`_split_run_on`)."""
    # a Markdown escape left in the text ("14 giorni\\ lavorativi") is no character of the sentence
    text = re.sub(r"\\(?=[\s\W])", "", unicodedata.normalize("NFKC", sentence))
    if language in SPLIT_LANGUAGES:
        text = _split_run_on(text, language)
    if language in TEXT2NUM_LANGUAGES:
        from text_to_num import alpha2digit

        try:
            text = alpha2digit(text, language)
        except (ValueError, IndexError):
            pass
    if language in keyword_data()["languages"]:
        pats = _patterns(language)
        for number, pattern in pats["small"]:
            text = pattern.sub(number, text)
        if pats["period_words"]:  # "sous huitaine" → "sous 8 jours" (the cue file's period_words)
            pattern, spelled = pats["period_words"]
            text = pattern.sub(lambda m: f"{m.group(1)} {spelled[m.group(2).lower()]}", text)
    # a number written twice has a bracket: a sentence without one is left as it is, unsearched
    return _NUMBER_TWICE.sub(r"\1\2", text) if "(" in text else text



#: a number written twice, in words and in digits ("thirty (30) days", "quince (15) días", "14 (catorze) dias",
#: "achtennegentig procent (98%)"), once number words are digits: "30 (30) days" → "30 days", so the cue before the
#: first reaches the unit after the second
_NUMBER_TWICE = re.compile(rf"(?<![\d.,])(\d+(?:[.,]\d+)?)((?:\s*(?:{_PERCENT_WORDS}))?)\s*\(\s*\1\s*(?:%|％)?\s*\)(?!\d)",
                           re.I)


def sentences(markdown: str) -> list[tuple[str, bool]]:
    """A section's sentences and table rows, each with whether it is a table row (rows keep their cells)."""
    return [(text, row) for text, row, _, _ in _lines(markdown)]


#: a numbered or bulleted line ("2. Annuleringen", "- Late shipment rate"): what follows the mark may be a label
_LIST_ITEM = re.compile(r"(?:\d+[.)]|[-*+])\s+(.+)")
#: a bulleted line ("- ", "* ", "\\- " as OTA's Markdown escapes a leading dash)
_BULLET = re.compile(r"(?:[-*+•]|\\-)\s")
#: a label: short, no number, no sentence's end
_LABEL_RE = re.compile(r"[^\d%.;:!?。！？]{2,60}")


def _lines(markdown: str) -> list[tuple[str, bool, bool, bool]]:
    """:func:`sentences`, each also with whether it is a label line: a numbered or list item whose text is short and
    states nothing ("2. Annuleringen"), which names what the next line is about (a heading is none: it names a
    topic, not the metric of the line under it), and whether it stands in a bulleted item ("- within 14 days of
    delivery;"), which may continue a lead-in line ("You can open a claim:")."""
    out = []
    for line in _unwrapped(markdown or ""):
        stripped = line.strip()
        if not stripped:
            continue  # a blank line holds no sentence
        if stripped.startswith("|") and stripped.count("|") >= 2:
            out.append((stripped, True, False, False))
            continue
        item = _LIST_ITEM.fullmatch(stripped)
        label = _plain_line(item.group(1)).strip() if item else ""
        if label and _LABEL_RE.fullmatch(label):
            out.append((label, False, True, False))
            continue
        text, bullet = _plain_line(stripped), bool(_BULLET.match(stripped))
        parts = [s.strip() for s in _split_sentences(text) if s.strip()]
        # an item continues its lead-in when its first words do ("- within 14 days of delivery;"), not when it is a
        # sentence of its own ("* By inactivity. The user may log in within 30 days …")
        out.extend((s, False, False, bullet and i == 0 and re.sub(r"^[\\*+•\s-]+", "", s)[:1].islower())
                   for i, s in enumerate(parts))
    return out


#: characters that :func:`pipeline.text.plain_text` may remove anywhere in a line (links, emphasis, code), and those that
#: only count at its start (a heading, a table rule, a list bullet, a quote mark)
_MARKDOWN_ANYWHERE = frozenset("[*_`")
_MARKDOWN_START = frozenset("#|:-+>")


def _plain_line(line: str) -> str:
    """``plain_text(line, collapse_space=True)`` for one line (no line break in it), without its regular expressions
    when the line holds no Markdown they could remove: then it is only the line's white space collapsed (four lines
    in five of the sample KB's 100 versions; ``tests/test_rules_fast.py`` checks the two agree)."""
    if "\n" in line or any(map(line.__contains__, _MARKDOWN_ANYWHERE)) or line.lstrip(" \t")[:1] in _MARKDOWN_START:
        return plain_text(line, collapse_space=True)
    return " ".join(line.split())


#: a line a PDF's hard wrap cut in the middle of a sentence: long, and ending in a word or a comma, not in a
#: sentence's or a label's end ("… kann von beiden Seiten mit einer Frist von"), or in a form's blank to fill in
#: ("Sei pregato di rispedire i beni al seguente indirizzo ........", then ",senza indebiti ritardi …")
_WRAPPED = re.compile(r".{60,}(?:[\w,\-–]|\.{5,}|…{2,})")
_WRAPPED_END = re.compile(r"[\w,\-–]")


def _wrapped(line: str) -> bool:
    """``_WRAPPED.fullmatch(line)``, read from the line's length and end instead of by backtracking over all of it: at
    least 60 characters, then one word character, comma or dash, five full stops or more, or two ellipses or more (a
    line of no line break; ``tests/test_rules_fast.py`` checks the two agree)."""
    if "\n" in line:
        return bool(_WRAPPED.fullmatch(line))
    n = len(line)
    return (n >= 61 and bool(_WRAPPED_END.fullmatch(line[-1]))) or (n >= 65 and line.endswith(".....")) \
        or (n >= 62 and line.endswith("……"))


#: a line that starts something of its own: a heading, a list item, a table row, a quote, a numbered clause
_OWN_START = re.compile(r"\s*(?:#|[-*+]\s|\\-|\||>|\d+(?:\.\d+)*[.)]?\s|[a-z]\)\s|\(?[ivx]+\)\s|§)", re.I)


#: a text in a PDF's form: at least this many long lines, and at least this share of them hard-wrapped
#: (:data:`_WRAPPED`); measured on the corpus's latest versions: the PDFs printed a line a paragraph 0.76-0.87, web
#: pages 0-0.42
_PDF_LINES, _PDF_SHARE = 10, 0.6


def _pdf_form(lines: list[str]) -> bool:
    """Whether the text is a PDF's with each printed line a paragraph of its own (most long lines end in a word)."""
    long = [s for s in (line.strip() for line in lines) if len(s) >= 60 and not s.startswith(("|", "#"))]
    return len(long) >= _PDF_LINES and sum(1 for s in long if _wrapped(s)) >= _PDF_SHARE * len(long)


#: a line's end that leaves its sentence open: a word, a comma, a dash or a closing bracket, not a sentence's or a
#: label's end (".", ":", ";", "!", "?")
_OPEN_END = re.compile(r"[\w,\-–)]")
#: a line's last word that no sentence ends with (a preposition, an article, a conjunction): a cell of a PDF's table
#: cut after it goes on in the next line ("… imposé par" / "Rue Du Commerce excède 3% …")
_DANGLING = re.compile(r"(?:^|\s)(?:of|by|the|a|an|to|for|with|from|in|on|at|and|or|than|de|des|du|la|le|les|par|sur|à|"
                       r"au|aux|et|ou|pour|avec|dans|d[’']|l[’'])$", re.I)
#: a list item's mark that :data:`_OWN_START` leaves to the hard wraps' reading ("b. within 14 days", "• up to 7 days")
_ITEM_START = re.compile(r"\s*(?:[a-z][.)]\s|•)")
#: a line's start that cannot open a sentence: lower case or a punctuation mark ("vier Wochen …", ",senza …")
_CONTINUES = ",;:)–-.…"


def _unwrapped(markdown: str) -> list[str]:
    """The text's lines, with the paragraphs a PDF's hard wraps made of one sentence joined again (each printed line
    is a paragraph of its own: "… mit einer Frist von" / "vier Wochen zu jedem Quartalsende gekündigt werden."): a
    line that is long and ends in a word or a comma (:data:`_WRAPPED`) runs on into the next text line, unless that
    one starts something of its own (:data:`_OWN_START`). Blank lines between are the wrap's too when the text has
    a PDF's form (:func:`_pdf_form`: most long lines end in a word). Else (a web page, whose paragraphs a blank line
    separates) only a line that cannot open a sentence continues across a blank line: one starting in lower case or
    with a punctuation mark ("vier Wochen …", ",senza indebiti ritardi"); a next paragraph ("Within 2 business days
    of the order, …") stands alone. In a PDF's form a shorter line (a table's cell, printed narrow) whose sentence is
    left open (:data:`_OPEN_END`) runs on too, into a next line that cannot open a sentence ("Taux de retard de
    livraison par le Partenaire Marchand" / "excède 3% de l'ensemble des commandes …", "… (in the case of refund
    related to withdrawal)" / "or 14 days …"), or into any text line when it ends in a word no sentence ends with
    (:data:`_DANGLING`: "… imposé par" / "Rue Du Commerce excède 3% …")."""
    lines = markdown.splitlines()
    pdf = _pdf_form(lines)
    out: list[str] = []
    joining = blank = False
    cells = False  # the last line joined a shorter line left open (a table's cells)
    soft = ""  # in a PDF's form, a line left open: "lower" (joins a line that cannot open a sentence) or "any"
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if not (joining or soft):
                out.append(line)
            blank = True
            continue
        continues = stripped[0].islower() or stripped[0] in _CONTINUES
        if blank and joining and not pdf and not continues:
            out.append("")
            joining = False
        blank = False
        if soft and not joining and not (continues or soft == "any"):
            out.append("")  # the blank line the open line was waiting over
        own = bool(_OWN_START.match(stripped)) or stripped.startswith("|")
        if joining and not own:
            out[-1] = f"{out[-1].rstrip()} {stripped}"
        elif soft and (continues or soft == "any") and not (own or _ITEM_START.match(stripped)):
            out[-1] = f"{out[-1].rstrip()} {stripped}"
            cells = True
        else:
            out.append(line)
            cells = False
        last = out[-1].strip()
        # a table's cells joined: whether the next line goes on is the printed line's to say, not the joined text's
        joining = _wrapped(stripped if cells else last) and not last.startswith(("|", "#"))
        soft = "" if joining or not pdf or last.startswith(("|", "#")) or not _OPEN_END.fullmatch(last[-1]) else \
            "any" if _DANGLING.search(last, max(0, len(last) - 24)) else "lower"  # its last word only
    return out


#: :data:`_SENTENCE_END` behind a guard every one of its ends passes (it follows . ! ? 。！？ or starts with a line
#: break): at any other position one test fails instead of four alternatives (1.8x as fast; the same ends,
#: ``tests/test_rules_fast.py``)
_SENTENCE_END_GUARDED = re.compile(r"(?:(?<=[.!?。！？])|(?=\n))(?:" + _SENTENCE_END.pattern + ")", _SENTENCE_END.flags)


#: the characters one of which each end of :data:`_SENTENCE_END_GUARDED` follows, and the line break it may start with
_SENTENCE_END_AFTER = ".!?。！？\n"


def _split_sentences(text: str) -> list[str]:
    """One line's sentences: split at :data:`_SENTENCE_END` except after an abbreviation (:data:`_ABBREVIATION`)."""
    if not any(map(text.__contains__, _SENTENCE_END_AFTER)):
        return [text]  # every end follows one of these characters or is a line break: a text of none is one sentence
    out, start = [], 0
    for m in _SENTENCE_END_GUARDED.finditer(text):
        if m.end() == 0 or (text[m.start() - 1:m.start()] == "." and (
                _ABBREVIATION.search(text, max(0, m.start() - 12), m.start())
                or _ABBREVIATION_NEXT.match(text, m.end()))):
            continue
        out.append(text[start:m.start()])
        start = m.end()
    return out + [text[start:]]


@lru_cache(maxsize=1)
def _metric_conjunction() -> re.Pattern:
    """"and" (且, 并, et, und, y, e, dan) followed by a new metric's name: the end of one metric's clause ("under 4%
    and your order defect rate below 1%": two clauses, two metrics)."""
    metrics = "|".join(f"(?:{_nfkc(expr)})" for expr in keyword_data()["metrics"].values())
    return re.compile(rf"\s(?:and|et|und|y|e|dan)\s+(?=(?:[^\W\d]+\s+){{0,3}}?(?:{metrics}))|[且并並](?=\s*(?:{metrics}))",
                      re.I | re.U)


@lru_cache(maxsize=32)
def _clause_ends(text: str) -> tuple[list[int], list[int], list[int], list[int]]:
    """Where a text's clauses end, found once per text (a sentence of many numbers asks for each number's clause):
    the starts of every end, sorted; the ends of the plain ones (:data:`_CLAUSE_END`, :func:`_metric_conjunction`),
    sorted; each conditional's end (:data:`_CONDITIONAL`), sorted, and the first comma after it (``len(text)`` for
    none), which :func:`_clause` needs to know whether it still ends a clause before a number."""
    plain = [(m.start(), m.end()) for m in _CLAUSE_END.finditer(text)] + [
        (m.start(), m.end()) for m in _metric_conjunction().finditer(text)]
    conditional = sorted((m.start(), m.end()) for m in _CONDITIONAL.finditer(text))
    commas = [(text.find(",", b) + 1 or len(text) + 1) - 1 for _, b in conditional]
    return sorted(a for a, _ in plain + conditional), sorted(b for _, b in plain), [b for _, b in conditional], commas


def _clause(text: str, position: int) -> tuple[int, int]:
    """The clause around ``position``: between the nearest clause ends either side (``;``, ``。``, ``, and`` ...,
    and an "and" that starts a new metric's name: :func:`_metric_conjunction`; a conditional: :data:`_CONDITIONAL`,
    unless a comma stands between it and ``position``: "wird, soweit zulässig, auf 1 Tag verkürzt"). An end that
    straddles ``position`` bounds neither side. The ends are found once per text (:func:`_clause_ends`) and looked
    up by bisection, so a sentence of many numbers reads in time linear in its length, not quadratic."""
    starts, plain_ends, conditional_ends, commas = _clause_ends(text)
    i = bisect.bisect_right(plain_ends, position)
    start = plain_ends[i - 1] if i else 0
    # the last conditional ending before the number, if no comma follows it before the number (the first comma after
    # a later conditional is no earlier, so an earlier one is never the one that counts when this one is not)
    k = bisect.bisect_right(conditional_ends, position)
    if k and commas[k - 1] >= position:
        start = max(start, conditional_ends[k - 1])
    j = bisect.bisect_left(starts, position)
    return start, starts[j] if j < len(starts) else len(text)


#: subjects that name what a deadline starts from as often as what it limits ("within 7 days of the notice", "dalla
#: consegna"), or what a cost is for ("costi di consegna"): they count only when no other subject stands in the clause
WEAK_SUBJECTS = {"notice", "documents", "validity", "payment", "delivery"}

#: a light verb right before a notice's noun ("darà comunicazione", "dará aviso", "give notice", "donnera
#: notification"): the notice is then the clause's predicate, no weak subject, and a noun in its object ("del
#: diminuito importo di rimborso il Venditore darà comunicazione …") does not outrank it; a gerund is no predicate
#: ("issue the refund, after giving notice, within 5 days": the refund)
_LIGHT_VERB_BEFORE = re.compile(
    r"\b(?:give[sn]?|gave|provide[sd]?|sends?|serve[sd]?"
    r"|dar[àe]?|dà|dann?o|daranno|fornir\w*|fornisc\w*|inviar?\w*|trasmett\w*"
    r"|dar[áa]n?|dan?|d[áa]|dar[ãa]o|enviar?\w*|donner\w*|donne(?:nt)?|adresser\w*)"
    r"\s+(?:(?:la|una|un|uno|the|a|an|written|prior|formal|pronta|tempestiva|debida|previa|le|en|ne|ne\s+dar[àa])\s+)?$",
    re.I)


#: words that may stand between a verb cue and its object cue ("respond to the claim", "responder a la
#: reclamación", "phản hồi khiếu nại"): the verb is then what a deadline after them limits
_LINKERS = {"to", "the", "a", "an", "any", "all", "this", "that", "your", "their", "its", "buyer's", "buyers'",
            "à", "au", "aux", "la", "le", "les", "l'", "des", "du", "de", "el", "los", "las", "al", "del", "der",
            "die", "das", "den", "dem", "auf", "zu", "ke", "kepada", "untuk", "terhadap", "atas", "cho", "với", "o",
            "i", "il", "lo", "gli", "alla", "ai", "alle"}


def _verbs_over_objects(text: str, hits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Cues before a number, each object cue that directly follows a verb cue (only :data:`_LINKERS` between)
    replaced by that verb's key, so the nearest cue of "respond to the claim within 3 days" is the response. Two cues
    in one word ("information" in "Vorabinformation") are no verb and object: each keeps its key; a cue that lies
    within a longer one takes its key."""
    out: list[tuple[int, int, str]] = []
    for s, e, k in hits:
        gap = re.sub(r"^\w+", "", text[out[-1][1]:s]) if out else ""  # from the end of the verb's word
        if out and s >= out[-1][1] and all(w in _LINKERS for w in gap.lower().split()) and len(gap.split()) <= 3 \
                and not re.search(r"[,;:.]", gap):
            k = out[-1][2]
        elif out and out[-1][0] <= s and e <= out[-1][1] and (s, e) != out[-1][:2]:
            k = out[-1][2]  # a cue within a longer one is part of it ("respond to the inquiry regarding a dispute")
        out.append((s, e, k))
    return out


#: a cost's words before or after a cue ("costi di consegna", "frais de livraison", "delivery costs", "Lieferkosten"):
#: the cue then names a cost, not what a deadline limits
_COST_BEFORE = re.compile(r"(?:\bcost[ios]?|\bspese|\bfees?|\bfrais|\bgastos|\bcustos|\bkosten)\s+"
                          r"(?:di|de|of|du|des|da|do|van|der)?\s*(?:la\s+|le\s+|the\s+|l.)?$", re.I)
_COST_AFTER = re.compile(r"\w*(?:kosten|\s+(?:costs?|fees?|charges?))", re.I)

#: a right already exercised, right before its name ("Si ha ejercido su derecho de desistimiento", "if you have
#: exercised your right of withdrawal", "après avoir exercé votre droit de rétractation"): a condition met, not the
#: step a deadline in the clause limits (the perfect tense; "exercise your right … within 14 days" is that step)
_RIGHT_EXERCISED = re.compile(
    r"\b(?:ha|hayan?|han|has|have|had|having|avoir|a|ont|avez|as|hat|haben|habe|hai|hanno|abbia|tenha|tiver|tem|"
    r"heeft|hebben|hebt)\s+(?:\w+\s+){0,2}?(?:ejercid[oa]s?|exercised|exercé|ausgeübt|esercitato|exercid[oa]|"
    r"uitgeoefend)\s+(?:\w+\s+){0,2}?(?:(?:derecho|right|droit|Recht|diritto|direito|recht)\s+(?:de|of|to|à|au|zum|auf|"
    r"di|del|ao|op|van)\s+)?$", re.I)

#: how far after a deadline's unit a cue may stand and still name what it limits, in a language whose verb comes
#: before its object ("30 days' notice", "14 days to respond"); a cue farther on belongs to another part of the clause
AFTER_REACH = 48


#: where the moment a deadline counts from ends: a comma, colon or bracket, or an infinitive's marker ("180 days from
#: the date of the transaction *to request refunds*")
_ANCHOR_END = re.compile(r"[,;:(]|\s(?:to|para|pour|um|om)\s", re.I)


#: a German noun phrase with its genitives ("dem Wirksamwerden der Sperrung", "Zugang der Änderungsmitteilung"): an
#: optional article, lower-case words (adjectives), a capitalised noun, then "der/des …" nouns
_GERMAN_NOUN_PHRASE = re.compile(
    r"(?:\s+(?:der|die|das|dem|den|des|ein\w*|ihr\w*|sein\w*|dies\w*))?(?:\s+[a-zäöüß][\w-]*){0,2}?\s+[A-ZÄÖÜ][\w-]*"
    r"(?:\s+(?:der|des|eines|einer|ihres|ihrer|seines|seiner)(?:\s+[a-zäöüß][\w-]*){0,2}?\s+[A-ZÄÖÜ][\w-]*)*")


def _anchor_span(text: str, unit_end: int, b: int, language: str) -> tuple[int, int] | None:
    """Where the moment a deadline counts from stands ("within 30 days *after eBay receives that Notice*", "nach
    Eingang der Beschwerde", "à compter de la délivrance", "na ontvangst van de klacht"): from the language's
    ``anchor`` cue right after the unit to :data:`_ANCHOR_END` (else the clause's end; in German, to the end of the
    noun phrase that follows it, :data:`_GERMAN_NOUN_PHRASE`). A cue in it names the start, not what is limited."""
    pattern = _patterns(language).get("anchor")
    m = pattern.match(text, unit_end) if pattern else None
    if not m:
        return None
    if language == "de":  # the start is a noun phrase: "nach Erhalt der Mitteilung | Widerspruch einlegen"
        np = _GERMAN_NOUN_PHRASE.match(text, m.end())
        return m.start(), min(np.end() if np else m.end(), b)
    stop = _ANCHOR_END.search(text, m.end(), b)
    return m.start(), stop.start() if stop else b


#: how far back a cue's word is looked for: a bounded window, so reading a long page stays linear in its length
_WORD_REACH = 80
_WORD = re.compile(r"\w*")


def _is_verb(text: str, start: int, b: int, language: str) -> bool:
    """Whether the cue starting at ``start`` is a verb where German and Dutch put the verb that governs a time
    phrase: after it ("binnen 14 Tagen beantworten", "nach Eingang der Beschwerde … prüfen", "binnen de termijn van 14
    dagen geantwoord"). German: a word in lower case (its nouns are capitalised); Dutch: a participle (ge…d/t) or
    the clause's last word."""
    word_start = start - len(re.search(r"\w*$", text[max(0, start - _WORD_REACH):start]).group())
    word = _WORD.match(text, word_start).group()
    if language == "de":
        return word[:1].islower()
    if language == "nl":
        return bool(re.fullmatch(r"ge\w+[dt]", word)) or not re.search(r"\w", text[word_start + len(word):b])
    return False


#: a past participle's endings in French, Spanish, Portuguese and Italian ("retournés", "devuelto", "devolvidos")
_PARTICIPLE = re.compile(r"\w+(?:é|ée|és|ées|ad[oa]s?|id[oa]s?|it[oaie]|at[oaie]|ut[oaie])", re.I)
#: the words before a participle that make it a verb ("será devolvida", "sont retournés", "è stato rimborsato"), and
#: the articles and prepositions before a noun it may be ("de devolución"): after any other word (a noun: "Produits
#: retournés", "Artículo devuelto") it is an adjective
_NOT_A_NOUN = {"est", "sont", "sera", "seront", "été", "être", "es", "son", "será", "serán", "fue", "fueron", "sido",
               "ser", "está", "están", "estar", "são", "serão", "foi", "foram", "è", "sono", "sarà", "saranno", "viene",
               "vengono", "verrà", "verranno", "stato", "stata", "stati", "state", "essere", "ha", "hanno", "avere",
               "avoir", "haber", "han", "ter", "tem", "têm", "tenha", "tiver", "ont", "les", "des", "une", "del", "los",
               "las", "una", "dos", "das", "nos", "nas", "com", "con", "per", "par", "pour", "por", "para", "gli",
               "dei", "delle", "degli", "della", "dal", "dalla", "nel", "nella", "sur", "sul", "sulla", "ne", "non",
               "pas", "não", "no", "se", "si", "lo", "la", "le", "il", "el", "os", "as", "de", "da", "do", "di", "du",
               "en", "em", "na", "au", "aux", "al", "ai", "ao", "à", "a", "e", "et", "y", "o", "ou", "ed"}
ROMANCE = {"fr", "es", "pt", "it"}
#: a participle before its noun in English, Dutch and German ("the returned items", "het geretourneerde product", "die
#: zurückgesandte Ware"), and the words after it that make it a verb instead ("returned within", "returned to")
_PARTICIPLE_BEFORE = {"en": re.compile(r"\w+ed", re.I), "nl": re.compile(r"(?:\w*ge\w+[dt]e|\w*ge\w+en)", re.I),
                      "de": re.compile(r"\w*ge\w+(?:t|en)e[nrms]?", re.I)}
_NOT_AFTER_A_NOUN = re.compile(r"(?:to|by|within|in|on|at|for|from|of|and|or|under|after|before|as|is|are|be|"
                               r"door|binnen|na|voor|aan|op|naar|en|of|is|zijn|wordt|worden|"
                               r"durch|innerhalb|nach|vor|an|auf|zu|und|oder|ist|sind|wird|werden)\b", re.I)


def _adjectival(text: str, start: int, language: str) -> bool:
    """Whether the cue at ``start`` is a past participle describing a noun: after it in French, Spanish, Portuguese
    and Italian ("le remboursement des Produits retournés", "la recepción del Artículo devuelto"), before it in English,
    Dutch and German ("the returned items", "het geretourneerde product"). It names what a thing is, not the step a
    deadline limits, so it counts only like a weak subject (when nothing else is named)."""
    word_start = start - len(re.search(r"\w*$", text[max(0, start - _WORD_REACH):start]).group())
    word = _WORD.match(text, word_start).group()
    if language in _PARTICIPLE_BEFORE:  # "het geretourneerde product": a participle before a noun
        following = re.match(r" +(\w+)", text[word_start + len(word):])
        return bool(_PARTICIPLE_BEFORE[language].fullmatch(word) and following
                    and not _NOT_AFTER_A_NOUN.fullmatch(following.group(1)))
    if language not in ROMANCE:
        return False
    previous = re.search(r"(\w+) +$", text[max(0, word_start - 40):word_start])
    return bool(_PARTICIPLE.fullmatch(word) and previous and len(previous.group(1)) >= 3
                and previous.group(1).isalpha() and previous.group(1).lower() not in _NOT_A_NOUN)


def _german_object(text: str, position: int, unit_end: int, b: int, hits: list[tuple[int, int, str]]) -> str:
    """The cue right before the clause's last word when that word is a verb (lower case: "… über das System eine
    Beschwerde einreichen"), at most one word between: the object of the verb that governs the time phrase."""
    last = re.search(r"([a-zäöüß]\w*)\W*$", text[unit_end:b])
    if not last:
        return ""
    verb_at = unit_end + last.start(1)
    objects = [(s, k) for s, e, k in hits if position < s and e <= verb_at
               and re.fullmatch(r"\W*(?:\w+\W*)?", text[e:verb_at]) and "," not in text[e:verb_at]]
    return max(objects)[1] if objects else ""


def _weak_cues(text: str, hits: list[tuple[int, int, str]], a: int, deadline: bool, language: str) -> set[tuple]:
    """Where the cues that count only when no other stands in the clause start, with their keys (a strong cue may
    start where a weak one does: "informar el problema", "inform"): a weak subject
    (:data:`WEAK_SUBJECTS`) unless, for a deadline, it is a notice after a light verb (:data:`_LIGHT_VERB_BEFORE`),
    and a participle that describes a noun (:func:`_adjectival`)."""
    return {(s, k) for s, e, k in hits if (k in WEAK_SUBJECTS and not (
        deadline and k == "notice" and _LIGHT_VERB_BEFORE.search(text, max(a, s - 40), s)))
        or (deadline and _adjectival(text, s, language))}


#: "and" / "or" after a German verb (a word in lower case, :func:`_is_verb`): what follows is a second predicate
#: ("binnen zwei Werktagen abhilft und dies nachweist"), not the one governing the time phrase
_SECOND_PREDICATE = re.compile(r"\b[a-zäöüß]{3,}\s(?:und|oder|sowie)\s")


def _verb_after(text: str, hits: list[tuple[int, int, str]], position: int, unit_end: int, b: int, weak_at: set[tuple],
                language: str) -> str:
    """The key of the German or Dutch verb after the number that governs its time phrase (:func:`_is_verb`), the
    nearest one that is not weak, before a second predicate (:data:`_SECOND_PREDICATE`); ``""`` when none."""
    second = _SECOND_PREDICATE.search(text, unit_end, b) if language == "de" else None
    named_before = any(e <= position and (s, k) not in weak_at for s, e, k in hits)
    verbs = [((s, k) in weak_at, s - position, k) for s, e, k in hits
             if s > position and _is_verb(text, s, b, language) and not (second and s >= second.end())
             and not (named_before and _CARRY_OUT.match(text, s))]
    return min(verbs)[2] if verbs else ""


#: Dutch "uitvoeren" (to carry out): it fulfils orders (delivery) only when its object names no step of its own; "de
#: terugbetaling binnen 14 dagen uitvoeren" carries out the refund, so the cue before the number names it
_CARRY_OUT = re.compile(r"uitvoeren\b", re.I)


@lru_cache(maxsize=256)
def _clause_hits(text: str, table: str, a: int, b: int) -> tuple[tuple[int, int, str], ...]:
    """Every cue of ``table`` in ``text[a:b]``, as ``(start, end, key)``: found once per clause, not once per number in
    it (a clause of many numbers would read in quadratic time)."""
    folded = _fold(text[a:b])  # a cue none of whose strings the clause holds is not looked for (:func:`_cue_anchors`)
    return tuple((m.start(), m.end(), key) for (key, pattern), anchors in zip(_cue_table(table), _cue_anchors(table))
                 if anchors is None or any(map(folded.__contains__, anchors)) for m in pattern.finditer(text, a, b))


def _nearest_cue(text: str, position: int, table: str, verb_final: bool, object_after: bool = False,
                 span: tuple[int, int] | None = None, language: str = "", unit_end: int | None = None,
                 fronted: bool = False) -> str:
    """The key of the cue that names what the number in ``text`` at ``position`` is about, or ``""``.

    Within the number's clause, the cue governing the number: for a language whose verb comes last (Chinese,
    Japanese) the nearest cue after the number, else the nearest before; for the others the nearest cue before
    the number ("if your refund is rejected, file an appeal within 14 days": appeal), else the nearest after; with
    ``object_after`` ("have 3 days to respond") the nearest after first. Distances count from the cue's end to
    the number (before) and from the number to the cue's start (after). A weak subject (:data:`WEAK_SUBJECTS`)
    counts only when no other cue stands in the clause, and so does a participle that describes a noun
    (:func:`_adjectival`). ``span``: the clause when the caller knows it (a table row).

    For a deadline (``unit_end``: where its unit ends, and ``language``): a cue in the moment it counts from
    (:func:`_anchor_span`) is left out; a German or Dutch verb after the number (:func:`_is_verb`) governs it
    before any other cue; and a cue after the number counts only within :data:`AFTER_REACH` characters past the
    start's phrase and before the next comma; when the time phrase opens its clause (``fronted``: "Within 3 days
    of a buyer message, sellers must respond") or a relative clause ("che entro 30 giorni verrà contattato"), the
    cue after it comes first, past the comma that closes it. With ``object_after`` the first cue after the number
    names it, weak or not ("possui 10 dias para disponibilizar a informação"; Chinese: :func:`_is_cjk`).
    """
    a, b = span or _clause(text, position)
    hits = [h for h in _clause_hits(text, table, a, b) if not (h[0] <= position < h[1])]
    deadline = unit_end is not None and bool(language)
    if deadline:  # "rimborso …, compresi i costi di consegna": a cost named after a step is not that step; "si ha
        # ejercido su derecho de desistimiento": a right already exercised is a condition met, not the step limited
        hits = [(s, e, k) for s, e, k in hits if not (_COST_BEFORE.search(text, max(0, s - 24), s)
                                                     or _COST_AFTER.match(text, e)
                                                     or _RIGHT_EXERCISED.search(text, max(0, s - 80), s))]
    anchor = _anchor_span(text, unit_end, b, language) if deadline else None
    if anchor:
        hits = [h for h in hits if not anchor[0] <= h[0] < anchor[1] or _is_verb(text, h[0], b, language)]
    reach_from = anchor[1] if anchor else unit_end  # the start's phrase is read past, like a parenthesis
    if fronted:  # "Within 3 days of a buyer message, sellers must respond": the comma (and a short parenthesis after
        # it: "Binnen 7 werkdagen na ontvangst, zoals bedoeld in lid 1, zal … contact opnemen") closes the opening phrase
        comma = re.match(r"\s*,(?:\s*(?:[^\W\d]+\s+){0,4}[\w.]+\s*,)?", text[reach_from:b])
        reach_from += comma.end() if comma else 0
    weak_at = _weak_cues(text, hits, a, deadline, language)
    governed = deadline and (_verb_after(text, hits, position, unit_end, b, weak_at, language) or (
        _german_object(text, position, unit_end, b, hits) if language == "de" else ""))
    if governed:
        return governed
    if object_after or (verb_final and deadline):  # "possui 10 dias para disponibilizar a informação", "5天内提交证明材料"
        after = sorted((s, k) for s, e, k in hits if s > position)
        if after:
            return after[0][1]
    for weak in (False, True):
        chosen = sorted((s, e, k) for s, e, k in hits if ((s, k) in weak_at) == weak)
        before = [(position - e, k) for s, e, k in _verbs_over_objects(text, [h for h in chosen if h[0] < position])]
        after = [(s - position, k) for s, e, k in chosen if s > position and (
            verb_final or object_after or not deadline
            or ((fronted or s - reach_from <= AFTER_REACH) and "," not in text[reach_from:s]))]
        nearest_before, nearest_after = min(before, default=None), min(after, default=None)
        order = (nearest_after, nearest_before) if verb_final or object_after or fronted else \
            (nearest_before, nearest_after)
        pick = order[0] or order[1]
        if pick:
            return pick[1]
    return ""


def _strong_cue(text: str, position: int, unit_end: int) -> bool:
    """Whether a subject that is not weak (:data:`WEAK_SUBJECTS`) is named anywhere in the number's clause, on either
    side, in the moment it counts from too; a cost named after a step ("Rücksendekosten") names none."""
    a, b = _clause(text, position)
    return any(key not in WEAK_SUBJECTS and not position <= s < unit_end
               and not (_COST_BEFORE.search(text, max(0, s - 24), s) or _COST_AFTER.match(text, e))
               for s, e, key in _clause_hits(text, "subjects", a, b))


#: languages written without spaces between words: a "word" there runs to the sentence's start
UNSPACED = {"zh", "ja", "th"}


def _named_period(text: str, cue_start: int, cue: str = "", language: str = "") -> str:
    """The subject a deadline's own name gives: the limiting cue names the period ("antecedência mínima de 30 dias",
    "préavis de 30 jours") or is part of a word that does ("Kündigungsfrist 1 Monat", "Widerrufsfrist beträgt 14
    Tage", "opzegtermijn van ten hoogste 1 maand"); that says what is limited whatever else the clause mentions.
    ``""`` for a cue that names nothing ("within", "dans un délai de"). In a language written without spaces the
    name is the cue and the few characters before it ("申诉时限为7天"), never the run of text before the number."""
    if language in UNSPACED:
        names = text[max(0, cue_start - 4):cue_start] + cue if cue else ""
        return next((key for key, pattern in _cue_table("subjects") if pattern.search(names)), "")
    word_start = cue_start - len(re.search(r"\w*$", text[max(0, cue_start - _WORD_REACH):cue_start]).group())
    word = _WORD.match(text, word_start).group()
    names = cue if word_start == cue_start or len(word) < 6 else word + cue
    return next((key for key, pattern in _cue_table("subjects") if pattern.search(names)), "")


def _is_cjk(language: str) -> bool:
    """Whether the language puts the verb after its time phrase (Chinese, Japanese): see :func:`_nearest_cue`; the
    cue after a deadline then names it, weak or not ("收到纠纷通知后5天内提交证明材料": documents)."""
    return language in ("zh", "ja")


#: how much of the text right after a deadline's unit its ``within_after`` cue may take ("days' written or email
#: notice")
AFTER_UNIT = 40
#: right after a duration's unit, a period counted back from a request ("the 30-day period preceding such request"):
#: a look-back, no deadline
_PERIOD_PRECEDING = re.compile(r"\s*(?:period|window)\s+(?:immediately\s+)?preceding\b", re.I)
#: "within" right before a duration that "precedes" a moment ("Transactions made within 60 calendar days preceding
#: the date of the qualification"): a window counted back from that moment, no deadline (a bound before it, "no later
#: than 30 days preceding the renewal", still is one)
_WITHIN_BEFORE = re.compile(r"\bwithin\s+(?:the\s+)?$", re.I)
_PRECEDING = re.compile(r"\s+(?:immediately\s+)?preceding\b", re.I)
#: after a deadline, a parenthesis or nothing, then "or" and a second duration ("extended to up to 7 days (in the case
#: of refund related to withdrawal) or 14 days (…)"): the other case's deadline of the same step
_OR_ANOTHER = re.compile(r"\s*(?:\([^()]{1,100}\)\s*)?,?\s*or\s+(?:up\s+to\s+)?", re.I)
#: a clause that opens on the words for every other case ("…, and in all other cases within 5 business days", "y en
#: los demás casos en un plazo de"), or a clause that is no more than "and" / "or" and a second time phrase ("…,
#: and within 2 business days after such receipt …"): a second deadline of the step the deadline before it limits
_OTHER_CASES = re.compile(
    r"^\s*(?:in\s+(?:all|any)\s+other\s+cases?|otherwise|in\s+other\s+cases|dans\s+(?:tous\s+)?les\s+autres\s+cas|"
    r"en\s+(?:los\s+demás|todos\s+los\s+demás|los\s+otros)\s+casos|in\s+allen\s+(?:anderen|übrigen)\s+Fällen|"
    r"(?:in\s+tutti\s+gli\s+|negli\s+)altri\s+casi|n[oa]s\s+(?:demais|outros)\s+casos|in\s+alle\s+andere\s+gevallen)"
    r"\s*,?\s*$", re.I)
_CONJUNCTION_BEFORE = re.compile(r"(?:^|[\s,])(?:and|or|und|oder|et|ou|y|o|e|en|of)\s*$", re.I)
#: in the rest of such a clause, what gives it a predicate of its own ("…, and within 30 days you must pay …")
_OWN_PREDICATE = re.compile(r",|\b(?:must|shall|should|will|may|can|need|has|have|is|are|muss|doit|debe|deve|moet)\b",
                            re.I)


#: a clause whose predicate is a light verb and a pronoun for the step named before it ("…, unless you bring it
#: within six months", "but only if you do so within 14 days"): the deadline limits that step
_PRONOUN_STEP = re.compile(r"^\s*(?:[^\W\d]+\s+){0,4}?(?:do(?:es)?\s+so|(?:bring|file|submit|make|commence|initiate|"
                           r"lodge|send|raise|exercise)s?\s+(?:it|them|this|that))\s*$", re.I)


def _pronoun_step(text: str, start: int, language: str) -> str:
    """The step a deadline with no subject limits when its clause's predicate stands for the step named before it in
    the sentence (:data:`_PRONOUN_STEP`): the cue nearest that clause's start, strong before weak; else ``""``."""
    a, _ = _clause(text, start)
    if language != "en" or not a or not _PRONOUN_STEP.match(text[a:start]):
        return ""
    return _nearest_cue(text, a, "subjects", False, span=(0, a))


def _same_step(text: str, start: int, unit_end: int, subject: str, previous: RuleValue | None) -> str:
    """The step of the deadline before, for a second deadline of the same step in the sentence: its clause opens on
    the words for every other case (:data:`_OTHER_CASES`), or is "and" / "or" and a time phrase counted from a moment
    with no predicate of its own (:data:`_OWN_PREDICATE`: "…, and within 2 business days after such receipt in
    connection with a withdrawal request"; a cue there names the start). Else ``subject``, as read."""
    if not previous or not previous.subject:
        return subject
    a, b = _clause(text, start)
    if _OTHER_CASES.match(text[a:start]):
        return previous.subject if not subject else subject
    if text[a:start].strip() or not _CONJUNCTION_BEFORE.search(text, max(0, a - 6), a):
        return subject
    return previous.subject if not _OWN_PREDICATE.search(text, unit_end, b) else subject


#: "up to" right before a duration that ends "in advance": the earliest moment, not a notice period
_UP_TO_IN_ADVANCE = re.compile(r"\bup\s+to\s+$", re.I)
#: a period opening a clause with "beyond" or "after" and a step not done ("Beyond five (5) calendar days without
#: acceptance or refusal …, the order will be cancelled", "Au-delà des 5 jours calendaires sans …", "après 30 jours
#: sans réponse"): the step's deadline (:data:`_WITHOUT_AFTER` right after the unit)
_LAPSE_BEFORE = re.compile(r"(?:^|[\s,(;:])(?:beyond|after|au-delà\s+d(?:es?|u|.)|après|passée?s?)\s+(?:the\s+|les\s+)?$",
                           re.I)
#: "after" right before a period, in a clause that forbids the step after it ("Users may not modify the basic
#: information in their Advertisements after 24 hours of their placement"): the step's deadline (:func:`_time_limits`)
_AFTER_BEFORE = re.compile(r"\bafter\s+$", re.I)
_PROHIBITED = re.compile(r"\b(?:may|can|shall|must)\s+not\b|\bcannot\b|\bcan[’']t\b|\bno\s+longer\b", re.I)
_WITHOUT_AFTER = re.compile(r"\s*(?:\([^()]{1,30}\)\s*)?(?:without|sans)\b", re.I)


@lru_cache(maxsize=32)
def _withdrawal_sentence(text: str) -> bool:
    """Whether a text states the right of withdrawal (:data:`_WITHOUT_REASON`): looked for once per text, not once per
    number in it."""
    return bool(_WITHOUT_REASON.search(text))


# Long: one pass over a sentence's durations, each test a step on the same number and cue (the cues found before are
# split out: :func:`_implied_cue`, :func:`_no_deadline`, :func:`_deadline_subject`)
def _time_limits(text: str, sentence: str, language: str, within: bool = False) -> list[RuleValue]:
    """Durations with a limiting cue right before the number or right after the unit, or one :func:`_implied_cue`
    finds (none counted from an event in a definition, :data:`_DEFINITION`)."""
    pats = _patterns(language)
    out = []
    definition = bool(_DEFINITION.match(text))
    previous_end = 0
    for m in _NUMBER_RE.finditer(text):
        unit_m = pats["unit"].match(text, m.end())
        if not unit_m:
            continue
        value = _to_number(m.group(1))
        unit = unit_m.lastgroup
        after = text[unit_m.end():unit_m.end() + AFTER_UNIT]
        if value is None or value <= 0 or (unit == "year" and value > 50) or after[:1].isdigit():
            continue
        # a range ("2 à 3 jours", "1-5 days") is limited by its upper end: the cue stands before the lower one
        before = _RANGE_START.sub("", text[max(0, m.start() - 60):m.start()])
        cue_before = pats["within"] and pats["within"].search(before)
        cue_after = pats["within_after"] and pats["within_after"].search(after)
        cue_before, forbidden = (cue_before, None) if cue_before or cue_after else \
            _implied_cue(text, m.start(), before, after, within and not out, language)
        pickup = not (cue_before or cue_after) and bool(_KEPT_FOR_PICKUP.search(before) and _PICKUP_PLACE.search(text))
        during = pickup or (not (cue_before or cue_after) and _DURING.search(before) and _withdrawal_sentence(text))
        # "during the 15-day notice period", "that 100 day period": a period named again, kept only when the section
        # stated that deadline before (:func:`extract`)
        mention = not (cue_before or during) and _named_again(text, before, unit_m.end())
        ruled_out = bool(pats["not_before"] and pats["not_before"].search(before))  # "during the last 30 days"
        # "the 15-day notice period" is a notice period anyway; "before the 48-hour window" names a window the
        # section stated (or did not) before, no new deadline
        mention = mention and (ruled_out or not cue_after or bool(_BARE_WINDOW.match(cue_after.group())))
        # "7 days (for a withdrawal) or 14 days (for a complaint)": the second case's deadline, as the first
        alternative = not (cue_before or cue_after or during or mention) and bool(out) and language == "en" and \
            out[-1].comparator == "within" and bool(_OR_ANOTHER.fullmatch(text, previous_end, m.start()))
        if not (cue_before or cue_after or during or mention or alternative) or (ruled_out and not mention) or (
                pats["not_after"] and pats["not_after"].match(after)):
            continue
        if _counted_back(text, before, unit_m.end(), language):
            continue  # "Rechnungen aus den letzten 15 Monaten vor der Prüfung": a period counted back, no deadline
        has = bool(cue_before and pats["has"] and pats["has"].search(cue_before.group()))
        if has and not (pats["has_to"] and pats["has_to"].match(text[unit_m.end():unit_m.end() + 80])):
            continue  # "have 3 days to accept" is a deadline, "have 3 days" alone is not
        start = m.start() - (len(cue_before.group()) if cue_before else 0)
        end = unit_m.end() + (cue_after.end() if cue_after else 0)
        if _no_deadline(text, m.start(), start, before, after, bool(cue_before), bool(cue_after), mention) or (
                definition and pats["anchor"] and pats["anchor"].match(text, unit_m.end())):
            continue  # '"Eligible Purchase" means a purchase … within five years after … was first registered'
        subject = "" if pickup else _deadline_subject(text, m.start(), unit_m.end(), start, cue_before, cue_after, has,
                                                      language)
        subject = "" if forbidden and subject in WEAK_SUBJECTS else subject  # "may not modify the information …"
        if not subject and _withdrawal_sentence(text):
            subject = "cancellation"  # "…, no prazo de 14 dias …, terminar o contrato … sem apresentar qualquer motivo"
        if not subject and out and _FALLBACK.fullmatch(text[previous_end:start]):
            subject = out[-1].subject  # "within 48 hours, but in any case not later than within 5 days": one step
        if out and (alternative or _ALTERNATIVE_IN_ABSENCE.search(text, previous_end, start)):
            subject = out[-1].subject  # "binnen 14 dagen na …, of bij het ontbreken van een bedenktermijn binnen 14"
        subject = _same_step(text, start, unit_m.end(), subject, out[-1] if out else None) or \
            _pronoun_step(text, start, language)
        previous_end = end
        out.append(RuleValue("time_limit", value, unit, subject, "restated" if mention else "within", sentence,
                             text[start:end].strip(), position=m.start()))
    return out


def _implied_cue(text: str, position: int, before: str, after: str, item: bool, language: str) -> tuple:
    """``(cue, forbidden)`` for a period with no cue of its own (:func:`_time_limits`): the opening of an item whose
    lead-in ended in a deadline's cue (``item``: "c) if, within:" / "- up to 7 days – for …"); "beyond" or "after" a
    period in which a step is not done ("Beyond five (5) calendar days without acceptance or refusal …, the order
    will be automatically cancelled", "Au-delà des cinq (5) jours calendaires sans …"): the step's deadline; or, in
    English, "after" in a clause that forbids the step ("may not modify … after 24 hours of their placement",
    ``forbidden`` then the same match: what the step changes, a weak subject, is no step); else ``(None, None)``."""
    if item and (opening := _ITEM_OPENING.match(text)).end() == position:
        return opening, None
    if _WITHOUT_AFTER.match(after) and (lapse := _LAPSE_BEFORE.search(before)):
        return lapse, None
    if language == "en" and (late := _AFTER_BEFORE.search(before)) and \
            _PROHIBITED.search(text, _clause(text, position)[0], position):
        return late, late  # "may not modify … after 24 hours of their placement": the step's deadline
    return None, None


def _named_again(text: str, before: str, unit_end: int) -> bool:
    """Whether a duration is a period named again: a determiner before its number and "period" or "window" after its
    unit ("during the 15-day notice period"), or "a" and a period said to be one named before ("without a 15-day
    period, referred to above")."""
    return bool(_MENTION_BEFORE.search(before)) and bool(_MENTION_AFTER.match(text, unit_end)) or \
        bool(_A_BEFORE.search(before)) and bool(_REFERRED_ABOVE.match(text, unit_end))


def _counted_back(text: str, before: str, unit_end: int, language: str) -> bool:
    """Whether a duration is a period counted back from now or from a moment, no deadline: the language's look-back
    words ("the last 12 months", "den letzten 15 Monaten"); in English, "the 30-day period preceding such request" or
    "within 60 calendar days preceding the date of the qualification"."""
    pats = _patterns(language)
    if (pats["look_back_before"] and pats["look_back_before"].search(before)) or (
            pats["look_back_after"] and pats["look_back_after"].match(text, unit_end)):
        return True
    return language == "en" and bool(_PERIOD_PRECEDING.match(text, unit_end) or (
        _WITHIN_BEFORE.search(before) and _PRECEDING.match(text, unit_end)))


def _no_deadline(text: str, position: int, start: int, before: str, after: str, cue_before: bool, cue_after: bool,
                 mention: bool) -> bool:
    """Whether a duration with a limiting cue (its number at ``position``, its time phrase from ``start``) is still
    no deadline: a period named again after "before" ("may resolve an order issue before the 48-hour window": earlier
    than the window ends), how early something may be done ("list up to 365 days in advance"), a condition after a
    time with nothing left undone ("If, after 7 days, the country is provided, …": :data:`_IF_AFTER`), a step taking
    effect or something staying valid (:data:`_NOT_A_DEADLINE`), or a presumption or a keeping that governs the
    period (:func:`_governs`: "si presume che … entro 12 mesi", "conservées pendant une durée de cinq ans")."""
    if mention and _BEFORE_MENTION.search(before):
        return True
    if (mention or cue_after) and not cue_before and _AFTER_MENTION.search(before):
        return True  # "After the 60 days deadline, it will not be possible to log in": the moment after it, no deadline
    if _UP_TO_IN_ADVANCE.search(before) and cue_after and not cue_before and \
            re.match(r"\W{0,2}\s*in\s+advance", after, re.I):
        return True
    clause_start = _clause(text, position)[0]
    if _IF_AFTER.search(before) and not _NOT_DONE.search(after[:160]):
        return True  # "If, after 7 days, the delivery country is provided, …": a condition, nothing left undone
    return bool(_NOT_A_DEADLINE.search(text, max(0, start - 60), start)) or \
        bool(_BECOMES_AMENDMENT.search(text, clause_start, start)) or \
        _governs(_PRESUMED, text, clause_start, start, _PUNCTUATION) or _governs(_KEPT, text, clause_start, start) or \
        _governs(_DURATION, text, clause_start, start, _DURATION_ENDS)


#: a deadline's or a period's name after "after (the lapse of) the" ("After the 60 days deadline, …", "after the lapse
#: of the 3-month period indicated above, …"): the moment it is over, no deadline stated
_AFTER_MENTION = re.compile(r"\b(?:after|upon|following)\s+(?:the\s+(?:lapse|expiry|expiration|end)\s+of\s+)?"
                            r"(?:the|that|this|such|said)\s+$", re.I)
#: what something lasts or how long it stays valid ("The duration of Charity Offers may not exceed …, i.e., a maximum
#: of 90 days", "the duration of the Fundraiser Goal may not exceed the period of 1 year", "the validity and ordering
#: period of a single advertisement service … may not exceed one year"): a duration, however bounded, no deadline; its reach
#: ends at a semicolon, a bracket, "and" / "but" or a modal of another predicate
_DURATION = re.compile(r"\bduration\s+of\b|\bvalidity(?:\s+and\s+\w+)?\s+period\b|\bvalidity\s+of\b", re.I)
_DURATION_ENDS = re.compile(r"[;:()]|\b(?:and|but|must|shall|should|will)\b", re.I)


#: "If, after 14 days, …" / "When, after 3 days, …" opening a clause: a deadline only when what follows says something
#: has not been done by then (:data:`_NOT_DONE`: "If, after 14 days, we have not been informed, …")
_IF_AFTER = re.compile(r"\b(?:if|when)\s*,\s*after\s+$", re.I)
_NOT_DONE = re.compile(r"\b(?:not|no|never|fails?|failed)\b|n't\b", re.I)


#: a new version of the terms becoming part of the contract ("constituera un avenant automatique … dans le délai de
#: quinze jours de sa communication", "will constitute an automatic amendment … within 15 days"): when it takes effect,
#: no deadline anyone must meet
_BECOMES_AMENDMENT = re.compile(r"\b(?:constitu\w*|vaudra|deviendra|become|becomes)\s+(?:un|an)\s+(?:automatic\s+)?"
                                r"(?:avenant|amendment)\b[^,;.]{0,90}$", re.I)


#: a definition: a term in quotes (or bold) at the sentence's start, said to mean or refer to something ('"Eligible
#: Purchase" means a purchase that …', '« Vendeur » désigne', '"Artikel" bezeichnet'); a period in it counted from an
#: event says what the term covers ("a purchase that occurs within five years after the product was first
#: registered"): nobody must act within it (a requirement it states still is a deadline: "accettazione ordini
#: inferiore alle 48 ore")
_DEFINITION = re.compile(
    r"^\W{0,3}(?:[\"“„«‘']|\*\*)[^\"”“»’*]{1,80}(?:[\"”“»’']|\*\*)\s*(?:\([^)]{0,40}\)\s*)?,?\s*(?:means|shall\s+mean|refers\s+to|"
    r"is\s+defined\s+as|bezeichnet|meint|désigne|signifie|significa|designa|indica|betekent|wordt\s+verstaan)\b", re.I)
#: right before a duration, a step taking effect after it ("la résiliation prendra effet au terme d'un délai de 30
#: jours", "produz efeitos no prazo de 15 dias", "takes effect 30 days after"): when something happens, no deadline;
#: nor is how long something must stay valid ("votre carte bancaire doit être valide dans les 90 jours qui suivent")
_NOT_A_DEADLINE = re.compile(
    r"(?:(?:be|être|sein|ser|essere|zijn|estar)\s+(?:valid|valide|valable|válid[oa]|valid[oa]|gültig|geldig)|"
    r"tak(?:e|es|ing)\s+effect|becomes?\s+effective|prend\w*\s+effet|produz\w*\s+efeitos?|surt\w*\s+efeitos?|"
    r"surt\w*\s+efecto|entra\w*\s+en\s+vigor|wird\s+wirksam|wirksam\s+wird|in\s+werking\s+treedt)"
    r"(?:\s+(?:au\s+terme\s+d.un|à\s+l.expiration\s+d.un|no|al\s+cabo\s+de|en\s+el|dans\s+un))?[^,;.]{0,12}$", re.I)
#: keeping something before the duration in its clause ("conservées pendant une durée de cinq ans", "keep the proof of
#: shipment for 30 days", "sera conservé dans un délai de trois mois"): how long it is kept (a retention), no deadline
_KEPT = re.compile(r"\b(?:conserv(?!a[zcç]i|ation)\w*|retain\w*|retention|kept|keep(?!\s+in\s+mind)|stored|processed\s+for|aufbewahr\w*|gespeichert|bewaar\w*|bewaard|"
                   r"guardad\w*|armazenad\w*)\b", re.I)
#: a legal presumption ("si presume che i difetti che si manifestano entro i 12 mesi …", "presumed to have existed"):
#: the period says what is presumed, no deadline
_PRESUMED = re.compile(r"\b(?:si\s+presume|presum(?!ptiv)\w*|présum(?!pti)\w*|se\s+presume|vermutet|vermoed\w*)", re.I)
#: between a keeping or a presumption and the duration, what ends its reach: a punctuation mark, a conjunction or a
#: subordinator opening another predicate ("keep tracking information and ship within", "Keep in mind that you must
#: respond within"), a modal verb ("To retain your status, ship orders within")
_REACH_ENDS = re.compile(
    r"[,;:()]|\b(?:and|or|that|then|but|must|should|shall|will|et|ou|que|qui|doit|doivent|und|oder|dass|muss|müssen|"
    r"en|dat|moet|moeten|y|e|o|che|deve|devono|debe|deben|deve|devem)\b", re.I)


_PUNCTUATION = re.compile(r"[,;:()]")


def _governs(cue: re.Pattern, text: str, clause_start: int, start: int, ends: re.Pattern = _REACH_ENDS) -> bool:
    """Whether ``cue`` (a keeping, :data:`_KEPT`, or a presumption, :data:`_PRESUMED`) in the clause governs the
    duration starting at ``start``: the period is how long the keeping lasts ("kept for 90 days", "conservées pendant
    une durée de cinq ans") or what is presumed ("si presume che i difetti che si manifestano entro i 12 mesi"), with
    nothing that ends its reach between (``ends``: :data:`_REACH_ENDS`; for a presumption, whose "that" clause is
    what is presumed, a punctuation mark only); a keep-word before an unrelated deadline ("Sellers must
    keep tracking information and ship within 2 business days") is none."""
    found = list(cue.finditer(text, max(clause_start, start - 160), start))
    return bool(found) and not ends.search(text, found[-1].end(), start)


#: between two deadlines of one step, the words that make the second a fallback for the first ("within 48 hours,
#: but in any case not later than within 5 calendar days", "en tout cas", "comunque", "spätestens") or an
#: alternative ("within 7 days or 10 business days")
_FALLBACK = re.compile(
    r"[\s,;]*(?:(?:but|and|or|mais|et|ou|pero|y|o|mas|e|ma|aber|und|oder|maar|en|of)[\s,]+)?(?:in\s+any\s+(?:case|event)|"
    r"at\s+the\s+latest|en\s+tout\s+(?:cas|état\s+de\s+cause)|en\s+(?:todo|cualquier)\s+caso|em\s+(?:qualquer|todo\s+o)\s+"
    r"caso|in\s+ogni\s+caso|comunque|in\s+jedem\s+Fall|jedenfalls|spätestens|in\s+ieder\s+geval|uiterlijk)[\s,]*"
    r"(?:(?:not|no)\s+later\s+than|at\s+the\s+latest|au\s+plus\s+tard|a\s+más\s+tardar|o\s+mais\s+tardar|non\s+oltre)?\s*|"
    r"[\s,]*(?:or|ou|o|oder|of|atau|hoặc)\s+", re.I)
#: between two deadlines, an alternative for when something is missing ("…, of bij het ontbreken van een
#: bedenktermijn binnen 14 dagen", "ou, en l'absence de délai de rétractation, dans les 14 jours", "or, in the
#: absence of …, within"): the same step, and the cue in it names what is missing, not what is limited
_ALTERNATIVE_IN_ABSENCE = re.compile(
    r"\b(?:or|ou|o|oder|of)[\s,]+(?:bij\s+(?:het\s+)?ontbreken\s+van|in\s+the\s+absence\s+of|failing"
    r"|in\s+(?:mancanza|assenza)\s+d\w*|en\s+l.absence\s+d\w*|(?:a|na|en)\s+(?:falta|ausencia)\s+d\w*|mangels"
    r"|in\s+Ermangelung)\s+[^,.;]{0,60}?[\s,]*$", re.I)
#: right before a duration, "during" ("gedurende 30 dagen zonder opgave van redenen ontbinden", "pendant 14 jours"):
#: a limit only in a sentence stating the right of withdrawal (:data:`_WITHOUT_REASON`), else how long something lasts
_DURING = re.compile(r"(?:^|\s)(?:during|for\s+a\s+period\s+of|gedurende|durante|pendant|während|selama)\s+(?:(?:a|un|une|een|el|la|o|um|uma|il)\s+)?$",
                     re.I)
#: "available for" a time at a pick-up place ("sera disponible pendant 8 jours à l'agence", "is kept at the pick-up
#: point for 10 days"): how long the buyer has to collect it, a limit like a withdrawal period's "during"; it limits
#: the collection, a step no subject names (not the delivery it replaces: "ne pourra pas être livré à domicile mais
#: sera disponible pendant 8 jours à l'agence")
_KEPT_FOR_PICKUP = re.compile(r"\b(?:available|held|kept|disponibles?|disponibil[ei]|disponíve(?:l|is)|verfügbar|"
                              r"beschikbaar|gelagert|bewaard)\s+(?:[\w’'-]+\s+){0,5}?(?:during|for|pendant|durante|per|für|"
                              r"gedurende|selama)\s+\S*\s*$", re.I)
_PICKUP_PLACE = re.compile(r"pick[\s-]?up\s+(?:point|location|store)|collection\s+point|parcel\s+(?:shop|locker)|agence|"
                           r"point\s+relais|relais\s+colis|bureau\s+de\s+poste|post\s+office|Packstation|Filiale|"
                           r"Abholstation|punto\s+de\s+recogida|punto\s+di\s+ritiro|ophaalpunt|afhaalpunt|"
                           r"ponto\s+de\s+recolha", re.I)
#: a period named again with its number before its name ("during the 15-day notice period", "that 100 day period",
#: "the above-mentioned 15-days period"): a determiner right before the number, "period" or "window" right after it
_MENTION_BEFORE = re.compile(r"(?:^|\s)(?:the|that|this|such|said|(?:above|afore)[\s-]?mentioned)\s+$", re.I)
_MENTION_AFTER = re.compile(r"\s+(?:(?:notice|notification|withdrawal|return|review|cooling[\s-]+off)\s+)?(?:period|window)\b",
                            re.I)
#: "a" right before the number, and the period said to be one named before ("without a 15-day period, referred to
#: above"): a period named again too
_A_BEFORE = re.compile(r"(?:^|\s)an?\s+$", re.I)
_REFERRED_ABOVE = re.compile(r"\s+(?:(?:notice|notification)\s+)?period\W{0,3}\s*(?:referred\s+to|mentioned|indicated|specified)\s+"
                             r"(?:above|earlier|before)", re.I)
#: a cue after the unit that is only the word "window" ("the 48-hour window"): with a determiner before the number, a
#: period named again (:data:`_MENTION_BEFORE`), not a deadline stated there
_BARE_WINDOW = re.compile(r"\W{0,2}\s*window\b", re.I)
#: "before" right before a period named again ("before the 48-hour window"): a moment earlier than that period ends
_BEFORE_MENTION = re.compile(r"\b(?:before|prior\s+to|ahead\s+of)\s+(?:the|that|this|such|said)\s+$", re.I)
#: the right of withdrawal's own words, as the EU consumer rules write them in each language ("without giving any
#: reason", "sem apresentar qualquer motivo", "ohne Angabe von Gründen"): a deadline in such a sentence that names no
#: other step is the withdrawal period
_WITHOUT_REASON = re.compile(
    r"without\s+(?:giving|stating|providing|naming)\s+(?:any\s+)?reasons?|sans\s+(?:avoir\s+à\s+)?(?:justifier|motiver|indiquer)\s+"
    r"(?:de\s+)?(?:motifs?|raisons?|sa\s+décision)|sin\s+(?:necesidad\s+de\s+)?(?:indicar|justificar|alegar)\s+"
    r"(?:(?:el|los|ningún|ninguna)\s+)?(?:motivos?|causas?|razón|razones)|sem\s+(?:necessidade\s+de\s+)?(?:apresentar|indicar|"
    r"invocar)\s+(?:qualquer\s+|o\s+|os\s+)?(?:motivos?|justificação|razão)|senza\s+(?:dover\s+)?(?:indicar\w*|fornire|"
    r"specificar\w*)\s+(?:alcuna\s+|le\s+)?(?:motivazione|ragioni|motivi)|ohne\s+Angabe\s+von\s+Gründen|"
    r"zonder\s+opgave\s+van\s+(?:redenen|reden)", re.I)
#: a step taking effect ("before the changes take effect", "antes de que entren en vigor", "Inkrafttreten"): a period
#: before it, or counted from the notice of it, is a notice period whatever the clause names
_TAKES_EFFECT = re.compile(
    r"effective\s+date|(?:take|takes|taking|took)\s+effect|(?:come|comes|coming)\s+into\s+(?:force|effect)|"
    r"becomes?\s+effective|entr\w*\s+en\s+vigu?eur|prend\w*\s+effet|entr\w*\s+(?:en|em)\s+vigor|entr\w*\s+in\s+vigore|"
    r"Inkrafttreten|in\s+Kraft\s+tr|wirksam\s*w|in\s+werking\s+tr|van\s+kracht|mulai\s+berlaku|berkuat\s+kuasa|"
    r"มีผลบังคับ|có\s+hiệu\s+lực|生效|発効", re.I)
#: a decision: a complaint against one, or counted from one, is an appeal ("Beschwerden gegen die Entscheidungen",
#: "innerhalb von sechs Monaten nach Mitteilung der Entscheidung … eine Beschwerde einreichen")
_DECISION = r"(?:decision|Entscheidung|décision|decisión|decisão|decisione|besluit|beslissing|keputusan|决定|決定)"
_AGAINST_DECISION = re.compile(rf"(?:against|gegen|contre|contra|contro|tegen|terhadap)\s+(?:\w+\s+){{0,3}}?{_DECISION}",
                               re.I)


#: something handed in to the platform before an event ("provide marketing communications to us at least ten
#: business days before your planned use"): a period before it is a submission's, not a notice
_SUBMITTED_TO_US = re.compile(r"\b(?:provide|submit|upload)\s+(?:[\w-]+\s+){1,4}?to\s+us\b", re.I)
#: a character that is more than a quote, bracket or space before a time phrase (none: the phrase opens its clause)
_OPENING_WORD = re.compile(r"[^ \"'“(]")
#: a comma right before a time phrase (", within 3 days")
_COMMA_BEFORE = re.compile(r",\s*$")
#: a relative pronoun or "that" right before a time phrase: the phrase opens its clause, whose verb follows
_RELATIVE_BEFORE = re.compile(r"(?:^|\s)(?:che|que|qui|that|which|who|dass|dat)\s*$", re.I)


#: a verb's infinitive marker a few words before a cue ("180 days from the date of the transaction *to request*
#: refunds", "14 jours *pour exercer* son droit de rétractation"): the cue is what the period is for, however far
_INFINITIVE_BEFORE = re.compile(r"(?:^|\s)(?:to|pour|para|per|zu|om|afin\s+de)\s+(?:[^\W\d]+\s+){0,5}$", re.I)
#: a relative clause or an "it being …" aside between a deadline and a cue after it ("dal giorno in cui il Venditore è
#: informato della decisione di recedere", "following the date it is debited, it being their responsibility to"):
#: the cue describes the moment counted from or an aside, not the step the deadline limits
_RELATIVE_BETWEEN = re.compile(r"\b(?:in\s+cui|nel\s+quale|dans\s+lequel|où|en\s+que|em\s+que|which|who|whom|whose|"
                               r"dont|qui|che|cui|cuyo|cuya|onde|it\s+being|à\s+charge)\b", re.I)
#: a quoted name in brackets opening right before a cue ("entro 7 giorni … (“Termine di Risposta”)", '("Response
#: Period")'): the period's own name, given however far from the number
_DEFINED_NAME_BEFORE = re.compile(r"\(\s*[\"“„«‘']\W*(?:[^\W\d]+\s+){0,2}$")
#: how many words a cue after a deadline may stand from its unit and still name it without a link of syntax
REMOTE_WORDS = 6
_WORD_RUN = re.compile(r"[^\W\d]+")


def _remote_after(text: str, position: int, unit_end: int, a: int, b: int, subject: str, language: str) -> bool:
    """Whether the cue that gave a deadline its subject is weak evidence, so the deadline is better left without one:
    it stands only after the number (no cue of that key before it in the clause), more than :data:`REMOTE_WORDS` words
    past the unit, across the moment the period counts from (the language's ``anchor`` right after the unit) or a
    relative clause (:data:`_RELATIVE_BETWEEN`), and no infinitive marker links it to the period
    (:data:`_INFINITIVE_BEFORE`). A clause-final verb (German, Dutch: :func:`_verb_after`) and a verb after the
    number (Chinese, Japanese) are the grammar of those languages, not weak evidence: not checked there. Measured
    on the tuned documents by removing each subject's cues in turn (what the extractor then picks is what a missing
    cue on an unseen page gives): README, "Rule values"."""
    if language in ("de", "nl") or _is_cjk(language):
        return False
    hits = [(s, e) for s, e, k in _clause_hits(text, "subjects", a, b) if k == subject and not s <= position < e]
    if not hits or any(s < position for s, _ in hits):
        return False
    between = text[unit_end:min(s for s, _ in hits)]
    if len(_WORD_RUN.findall(between)) <= REMOTE_WORDS or _INFINITIVE_BEFORE.search(between) or \
            _DEFINED_NAME_BEFORE.search(between):
        return False
    anchor = _patterns(language).get("anchor")
    return bool((anchor and anchor.match(text, unit_end)) or _RELATIVE_BETWEEN.search(between))


#: in the moment a deadline counts from, a complaint or claim received ("after receiving the complaint", "of the
#: receipt of a duly lodged complaint"): the receiver's time to handle it
_COMPLAINT_RECEIVED = re.compile(r"\b(?:receiv\w*|receipt\s+of)\s+(?:(?:the|a|an|such|this|that|its|their|your)\s+)?"
                                 r"(?:(?:duly\s+lodged|written|relevant)\s+)?(?:complaints?|claims?)\b", re.I)


#: a time phrase set off by commas or a bracket inside its clause ("the User shall, within 7 days of receiving such
#: a request, provide copies of documents", "shall, without undue delay (no later than within 14 days of …), return
#: the amount due"): what opens it, and what closes it (the moment counted from included)
_SET_OFF_OPENS = re.compile(r"[,(]\s*$")
_SET_OFF_CLOSES = re.compile(r"[^,;()]{0,100}?\)?\s*,\s*")
#: how far after the closing comma the predicate's cue may stand
SET_OFF_REACH = 60
#: right after the closing comma, a verb of the predicate the phrase was set into: a word that is no subject or
#: object opening a clause of its own ("…, you will deliver a monthly report", "…, all amounts paid by the User")
_PREDICATE_NEXT = re.compile(r"(?!(?:you|we|they|he|she|it|i|the|a|an|this|that|these|those|such|all|any|each|its|"
                             r"their|your|our|his|her)\b)[a-z]+\b")


def _set_off_predicate(text: str, start: int, unit_end: int, a: int, b: int) -> str:
    """For a time phrase set off inside its clause (:data:`_SET_OFF_OPENS`, :data:`_SET_OFF_CLOSES`) and followed by a
    verb (:data:`_PREDICATE_NEXT`), the subject cue nearest after it, within :data:`SET_OFF_REACH` characters: the
    predicate the phrase was set into names the step
    ("…, within 7 days from receiving such request, provide … copies of documents"), not a cue before it ("complaints
    handled by payment card issuers"); else ``""``."""
    if not _SET_OFF_OPENS.search(text, max(a, start - 3), start):
        return ""
    close = _SET_OFF_CLOSES.match(text, unit_end, b)
    if not close or not _PREDICATE_NEXT.match(text, close.end()):
        return ""
    after = [(s, k) for s, _, k in _clause_hits(text, "subjects", a, b) if close.end() <= s <= close.end() + SET_OFF_REACH]
    return min(after)[1] if after else ""


def _deadline_subject(text: str, position: int, unit_end: int, start: int, cue_before, cue_after, has: bool,
                      language: str) -> str:
    """What the deadline whose number stands at ``position`` limits: the period's own name, before the number
    ("préavis de 30 jours") or after the unit ("dos meses de antelación", "30 days' notice"), else the cue that
    governs it in its clause (:func:`_nearest_cue`); a period before a step takes effect (or counted from the notice
    of it) is a notice, one before an event for something provided "to us" a submission (documents), and a complaint
    against a decision (or counted from one) an appeal; with no step named, one counted from a dispute is the
    dispute's."""
    pats = _patterns(language)
    a, b = _clause(text, position)
    # "have 3 days to respond": what the number limits is the verb after "to"
    # a parenthesis after words that name nothing ("Il Venditore procederà quindi, nel termine di 15 giorni …, al
    # rimborso") opens the predicate too
    fronted = not _OPENING_WORD.search(text, a, start) or bool(_RELATIVE_BEFORE.search(text, max(a, start - 24), start)) \
        or (bool(_COMMA_BEFORE.search(text, max(a, start - 24), start))
            and not any(s < start for s, _, _ in _clause_hits(text, "subjects", a, b)))
    subject = _named_period(text, start, cue_before.group() if cue_before else "", language) or (
        cue_after and next((key for key, p in _cue_table("subjects") if p.search(cue_after.group())), ""))
    if not subject and language == "en":
        subject = _set_off_predicate(text, start, unit_end, a, b)
    if not subject:
        subject = _nearest_cue(text, position, "subjects", _is_cjk(language), object_after=has, language=language,
                               unit_end=unit_end, fronted=fronted)
        if subject and not (has or fronted) and _remote_after(text, position, unit_end, a, b, subject, language):
            subject = ""  # weak evidence: no subject rather than a guess
    advance = pats["advance"] and pats["advance"].match(text, unit_end)
    anchor = _anchor_span(text, unit_end, b, language)
    cues = dict(_cue_table("subjects"))
    notice = cues["notice"]
    if (advance and _TAKES_EFFECT.search(text, unit_end, b)) or (
            anchor and notice.search(text, *anchor) and _TAKES_EFFECT.search(text, a, b)):
        return "notice"  # "se pondrán en conocimiento cuatro semanas antes de que entren en vigor"
    handed_in = advance and _SUBMITTED_TO_US.search(text, a, position)
    if subject in WEAK_SUBJECTS | {""} and handed_in and not any(
            cues[k].search(handed_in.group()) for k in ("notice", "payment")):
        # "you must provide marketing communications to us at least ten business days before"; a notice or a
        # payment provided to us is that ("provide written notice to us at least 30 days before")
        return "documents"
    if subject in WEAK_SUBJECTS | {""} and advance and not _strong_cue(text, position, unit_end):
        # "30 days before the effective date", "vier Wochen im Voraus": an advance notice, when nothing else
        # stands in the clause ("orders placed up to 2 days before the holiday ship": no notice)
        return "notice"
    if not subject and anchor and not advance and any(k == "dispute" for _, _, k in _clause_hits(text, "subjects", *anchor)):
        # "Unless otherwise agreed … within 14 days of notice of the dispute": a step counted from a dispute, in a
        # clause that names no other, is part of settling it; counted from the receipt of a complaint ("it may not
        # exceed 35 working days after receiving the complaint"), the time to handle it
        subject = "review" if _COMPLAINT_RECEIVED.search(text, *anchor) else "dispute"
    if subject == "dispute" and (_AGAINST_DECISION.search(text, a, b) or (
            anchor and re.search(_DECISION, text[anchor[0]:anchor[1]], re.I))):
        return "appeal"
    return subject


def _duration_text(number: float, unit: str) -> str:
    """A duration as a window is written (``7 days``, ``1 business day``): one spelling for windows and the
    deadlines compared with them."""
    name = unit.replace("_", " ")
    return f"{number:g} {name}{'s' if number != 1 else ''}"


def _window_text(value: RuleValue) -> str:
    """A duration as :func:`_windows` writes it (``7 days``)."""
    return _duration_text(int(value.value), value.unit)


#: a unit counted in working time ("48 working hours", "48 heures ouvrées", "2 business days"): a rate is measured over
#: calendar time, so such a period in a metric's clause is the deadline whose misses the metric counts ("laisse sans
#: réponse plus de 3% des demandes clients dans un délai de 48 heures ouvrées"), no window
_WORKING_TIME = re.compile(r"working|business|ouvr|hábil|laborab|lavorativ|úte|werk|arbeit|営業|工作", re.I)


def _windows(text: str, a: int, b: int, exclude: tuple[int, int], language: str) -> str:
    """The windows a metric clause gives (``"10 days, 30 days"``, ``"1 week"`` for a calendar week), not counting
    the threshold itself, nor a period in working time (:data:`_WORKING_TIME`: a deadline the metric counts the misses
    of)."""
    pats = _patterns(language)
    unit_re = pats["unit"]
    found = []
    for m in _NUMBER_RE.finditer(text, a, b):  # the clause only (its look-behind still sees the character before a)
        if exclude[0] <= m.start() < exclude[1]:
            continue
        unit_m = unit_re.match(text, m.end() + (1 if text[m.end():m.end() + 1] == "-" else 0))
        number = _to_number(m.group(1))
        if unit_m and number and unit_m.lastgroup in TIME_UNITS and not (
                language == "en" and pats["anchor"] and _WITHIN_BEFORE.search(text, max(0, m.start() - 12), m.start())
                and pats["anchor"].match(text, unit_m.end())) and not (
                unit_m.lastgroup == "business_day" or _WORKING_TIME.search(text, m.end(), unit_m.end() + 10)):
            # "for more than 10% of them … has not given their response … within 24 hours from being accused": a
            # deadline counted from an event, which the metric counts the misses of; not the window it is measured over
            found.append(_duration_text(number, unit_m.lastgroup))
    for m in _CALENDAR_PERIOD_RE.finditer(text, a, b):
        found.append("1 week" if re.search(r"week|周|週", m.group(), re.I) else "1 month")
    return ", ".join(dict.fromkeys(found))


def _comparison(before: str, after: str, pats: dict) -> tuple[str, int, bool]:
    """``(below|above|"", length of the cue before the number, whether the cue is a sign ≥ ≤)``."""
    sign = _SIGN_RE.search(before)
    if sign:
        return ("above" if sign.group(1) in "≥>" else "below"), len(sign.group()), True
    for name in ("below", "above"):
        cue = pats[name] and pats[name].search(before)
        if cue or (pats[name + "_after"] and pats[name + "_after"].search(after)):
            return name, len(cue.group()) if cue else 0, False
    return "", 0, False


#: "and" (or "or") with an article or preposition right before a percentage: a second threshold of the comparison
#: before it ("over 10% of orders in a month and 3% in a year", "superiore al 10% … e al 3%")
_AND_THEN = re.compile(r"(?:^|\s)(?:and|or|e|ed|o|ou|et|y|und|oder|en|of|dan|atau)\s+(?:(?:al|a|à|au|to|the|il|el|"
                       r"le|la|del|de|di|ai|aux|bei|bij)\s+)?$", re.I)
#: how far (characters) the second threshold may stand from the first
SECOND_REACH = 120


#: right after a percentage, the items it is a share of ("98% of the items are delivered within the delivery time",
#: "98 procent van de Artikelen worden geleverd binnen de levertijd"): with no comparison, a share the clause requires
#: of a metric it names is a minimum (``above``)
_SHARE_OF = re.compile(
    r"\s+(?:of|van|des|de|di|der)\s+(?:(?:the|all|your|de|het|alle|uw|les|vos|los|las|sus|i|gli|tutti\s+gli|die|alle|ihre)\s+)?"
    r"(?:(?:totaal|totale|total)\s+(?:aantal\s+|number\s+of\s+)?)?"
    r"(?:orders?|items?|shipments?|parcels?|packages?|products?|artikel\w*|bestelling\w*|zending\w*|verzending\w*|"
    r"pakket\w*|commandes?|articles?|colis|expéditions?|pedidos?|art[ií]culos?|env[ií]os?|ordini|articoli|spedizioni|"
    r"Bestellungen|Sendungen|Pakete)\b(?![’']|\s+(?:prices?|values?|amounts?|costs?|fees?|totals?|prijs|waarde|bedrag|prix|"
    r"montant|precio|importe|prezzo|valor|Preis|Wert|Betrag)\b)", re.I)


#: right after a percentage, a share of what a shop counts: its orders, transactions, agreements, parcels or sales,
#: by number or value ("of the value of Transactions", "of the number of all agreements", "of all Transactions",
#: "of them")
_COUNTED_SHARE = re.compile(
    r"\s+of\s+(?:them\b|(?:the\s+)?(?:(?:total\s+)?(?:value|number)\s+of\s+)?(?:(?:all|the|its|their|your|his|her)\s+)*"
    r"(?:(?:the\s+)?Seller[’']s\s+)?(?:orders|transactions|agreements|contracts|parcels|shipments|packages|sales|"
    r"items|discussions|offers|listings)\b)", re.I)


def _metric_thresholds(text: str, sentence: str, language: str, row: bool) -> list[RuleValue]:
    """Percentages with a comparison, in a clause (or table row) that names a metric; or that names a rate in other
    words before the number (the language's ``rate`` cue: "numero di reclami superiore al 15%") or, with a sign
    (≥ 98%), a threshold whatever it measures (its subject then empty); or, with no comparison, a share of the items
    (:data:`_SHARE_OF`) in a clause that names a metric: a minimum ("98% of the items are delivered within the
    delivery time"); one alone on its line is kept as ``share`` until its label line names the metric
    (:func:`_labelled`; :func:`extract` drops it otherwise)."""
    pats = _patterns(language)
    out: list[RuleValue] = []
    for m in _PERCENT_RE.finditer(text):
        before, after = text[max(0, m.start() - 40):m.start()], text[m.end():m.end() + 16]
        comparator, cue_len, sign = _comparison(before, after, pats)
        if not comparator and out and _AND_THEN.search(before) and m.start() - out[-1].position <= SECOND_REACH \
                and _clause(text, m.start()) == _clause(text, out[-1].position):
            # "superiore al 10% degli ordini in un mese e al 3% in un anno": the second threshold of one comparison
            a, b = _clause(text, m.start())
            out.append(replace(out[-1], value=float(m.group(1).replace(",", ".")), position=m.start(),
                               phrase=text[m.start():m.end()].strip(),
                               window=_windows(text, m.end(), b, (m.start(), m.end()), language)))
            continue
        share = not comparator and bool(_SHARE_OF.match(text, m.end()))
        if not comparator and not share:
            continue
        a, b = (0, len(text)) if row else _clause(text, m.start())
        # a table row is one clause whatever its cells hold: the metric nearest the cell, before it first
        metric = _nearest_cue(text, m.start(), "metrics", _is_cjk(language) and not row, span=(a, b))
        value = float(m.group(1).replace(",", "."))
        # a rate named in other words ("numero di reclami superiore al 15%", "percentuale di ordini elaborati")
        rate = pats["rate"] and pats["rate"].search(text, a, m.start())
        opens = share and not row and bool(_OPENS_LINE.search(text[:m.start()]))
        # "at least 25% of the value of Transactions", "has exceeded 0.2% of the number of all agreements": a
        # comparison and a share of what a shop counts is a threshold whatever it measures (its subject then empty)
        counted = bool(comparator) and language == "en" and bool(_COUNTED_SHARE.match(text, m.end()))
        if not 0 <= value <= 100 or not (metric or rate or opens or counted or (sign and value > 0 and
                                                                     _LEADING_SIGN_RE.search(text[:m.start()]))):
            continue  # without a metric, only a sign that opens the line or cell ("≥ 98% of shipments") says threshold
        if share and not (metric or opens):
            continue  # a share with no comparison is a threshold only of a metric named in its clause, or of the one
            # its label line names when it opens its line ("9. Track & Trace-nummer" / "100% van totaal aantal
            # pakketverzendingen": :func:`_labelled`)
        # a share opening its line with no metric of its own: "share" until its label names one (:func:`_labelled`)
        out.append(RuleValue("metric_threshold", value, "percent", metric,
                             comparator or ("above" if metric else "share"), sentence,
                             text[m.start() - cue_len:m.end()].strip(),
                             window=_windows(text, a, b, (m.start(), m.end()), language), position=m.start()))
    return out


def _point_thresholds(text: str, sentence: str, language: str) -> list[RuleValue]:
    """"reaches 12 points", "累计达到12分的，…": the level and the action that follows it in the sentence."""
    pats = _patterns(language)
    out = []
    for m in re.finditer(_NUMBER, text):
        points_m = pats["points"].match(text, m.end())
        if not points_m:
            continue
        before, after = text[max(0, m.start() - 30):m.start()], text[m.end():m.end() + 30]
        if not ((pats["reach"] and pats["reach"].search(before)) or (pats["reach_after"] and pats["reach_after"]
                                                                     .match(after))):
            continue
        value = _to_number(m.group(1))
        if value is None or value <= 0:
            continue
        a, b = _clause(text, m.start())
        rest = text[points_m.end():]
        action = re.split(r"[。；;.]", re.sub(r"^[^，,:：]*[，,:：]\s*", "", rest, count=1), maxsplit=1)[0].strip()
        out.append(RuleValue("point_threshold", value, "points", "penalty_points", "reach", sentence,
                             text[max(a, m.start() - 8):points_m.end()].strip(), action=action[:160],
                             position=m.start()))
    return out


def _table_points(rows: list[list[str]], language: str) -> list[RuleValue]:
    """A table whose header counts points and whose rows start with a number: one level per row."""
    if len(rows) < 2 or not _patterns(language)["points"].search(rows[0][0] if rows[0] else ""):
        return []
    out = []
    for cells in rows[1:]:
        m = re.fullmatch(r"(\d+)(?:\s*(?:\+|or more|及以上|以上))?", cells[0]) if cells else None
        if not m or len(cells) < 2:
            continue
        row_text = "| " + " | ".join(cells) + " |"
        out.append(RuleValue("point_threshold", float(m.group(1)), "points", "penalty_points", "reach", row_text,
                             f"{rows[0][0]}: {cells[0]}", action=cells[1][:160]))
    return out


def _cells(row: str) -> list[str]:
    return [plain_text(c, collapse_space=True) for c in _CELL_SPLIT.split(row.strip().strip("|"))]


def extract(markdown: str, language: str) -> list[RuleValue]:
    """Every rule value one section states, in reading order.

    :param markdown: the section's text (Markdown, as stored)
    :param language: the version's language or the document's locale (``en``, ``zh-Hans``, ``ja-JP`` ...);
        a language without cues gives nothing (an English sentence on such a page too); a sentence in English on a
        page in another language with cues is read in English (:func:`reading_language`); a table's rows are read
        in the page's language

    A section read before in the same language gives the values it gave then (the last :data:`SECTION_CACHE`
    sections are remembered, by a hash of their text), in a new list.
    """
    language = base_language(language)
    if not language:
        return []
    key = (hashlib.blake2b(markdown.encode("utf-8", "surrogatepass"), digest_size=16).digest(), language)
    with _SECTIONS_LOCK:  # the reading itself outside: two threads may read one section, never lose the order
        values = _SECTIONS.get(key)
        if values is not None:
            _SECTIONS.move_to_end(key)
    if values is None:
        values = _read_section(markdown, language)
        with _SECTIONS_LOCK:
            _SECTIONS[key] = values
            while len(_SECTIONS) > SECTION_CACHE:
                _SECTIONS.popitem(last=False)
    return list(values)


#: how many sections :func:`extract` remembers the values of (by a 128-bit hash of the text, and the language): a
#: section met again (the same terms published under several addresses, a platform's boilerplate in each of its
#: documents) is read once; the reading is a function of the text and the language only. The n200 build of issue 19
#: read 15,046 sections, 4,354 of them distinct, a section met again 3,000 sections later (the median)
SECTION_CACHE = 16_384
#: the values of the sections read last, least recently used first
_SECTIONS: OrderedDict[tuple[bytes, str], tuple[RuleValue, ...]] = OrderedDict()
_SECTIONS_LOCK = threading.Lock()


def _read_section(markdown: str, language: str) -> tuple[RuleValue, ...]:
    """:func:`extract` of a section in a language of the cue file (:func:`base_language`), not remembered."""
    if _section_holds_nothing(markdown, language):
        return ()  # no sentence or row of it could hold a value: not split into lines and sentences at all
    gate = _gate(language)
    out: list[RuleValue] = []
    table: list[list[str]] = []
    label = previous = ""
    # the lead-in line bulleted items continue, and the language it is read in: what it names (:func:`_lead_subject`)
    # is read only for a deadline of an item that names no step, the one value that takes it (:func:`_labelled`)
    lead_line = ("", language)
    lead_within = False  # the lead-in line ends in a deadline's cue ("if, within:"): its items' periods are deadlines
    for sentence, is_row, is_label, bullet in _lines(markdown) + [("", False, False, False)]:
        if is_row:
            if not re.fullmatch(r"\|?[\s:|-]+\|?", sentence):
                table.append(_cells(sentence))
            continue
        if table:
            out.extend(_table_values(table, language))
            table = []
        if sentence:
            # a sentence whose folded NFKC text holds none of the gate's strings matches neither language's
            # worth_reading: it is read in the page's language (reading_language) and gives nothing
            # (_sentence_values), both known without their cue searches
            skip = gate is not None and not gate.search(_fold(unicodedata.normalize("NFKC", sentence)))
            read_as = language if skip else reading_language(sentence, language)
            for v in () if skip else _sentence_values(sentence, read_as, within=bullet and lead_within):
                lead = _lead_subject(*lead_line) if bullet and v.kind == "time_limit" and not v.subject else ""
                v = _anaphoric(_restated(_labelled(v, label, read_as, lead), out, read_as), previous, read_as)
                if v.comparator == "restated":  # a period named again: only one the section stated before
                    v = _mentioned(v, out)
                if v and v.comparator == "share":  # a share whose label line names no metric either: no threshold
                    v = None
                if v:
                    out.append(v)
            previous = sentence
            label = sentence if is_label else ""
            lead_line = lead_line if bullet else (sentence, read_as)
            lead_within = lead_within if bullet else sentence.endswith(":") and bool(_LEAD_WITHIN.search(sentence))
    return tuple(out)


#: a period named again, with a demonstrative or as the subject of its sentence ("Le délai de 72 heures commence à
#: courir …", "this period of 30 days", "el referido plazo de"; not "en el plazo de", which is "within"): the same
#: deadline as the one stated before it
_RESTATED_PERIOD = re.compile(
    r"(?:^\W*(?:le|la|the|el|o|il|der|die|het|de)|(?:^|\s)(?:ce|cet|this|that|such|said|este|ese|dicho|referido|"
    r"questo|tale|dieser|diese|deze|esse))\s+(?:délai|period|periodo|período|plazo|prazo|termine|Frist|termijn|deadline|"
    r"time\s+limit)\s+"
    r"(?:de\s+|d.|of\s+|di\s+|von\s+|van\s+)?$", re.I)


def _restated(value: RuleValue, before: list[RuleValue], language: str) -> RuleValue:
    """A deadline that names no step but names its period again ("Le délai de 72 heures commence à courir au jour de
    la sortie", :data:`_RESTATED_PERIOD`) takes the step of the deadline right before it in the section when that one
    has the same number and unit: it is that deadline, restated."""
    if value.kind != "time_limit" or value.subject or not _RESTATED_PERIOD.search(
            digits(value.sentence, language)[:value.position]):
        return value
    last = next((v for v in reversed(before) if v.kind == "time_limit"), None)
    same = last and (last.value, last.unit) == (value.value, value.unit) and last.subject
    return replace(value, subject=last.subject) if same else value


#: a sentence that opens on a step named again with a demonstrative ("Tale procedura dovrà essere avviata entro 90
#: giorni", "This request must be made within 30 days", "Ce délai ne peut excéder 5 jours"): the step is the one the
#: sentence before it names
_ANAPHORA = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s+)?(?:this|that|such|these|those|tale|tali|questo|questa|detto|detta|ce|cet|cette|"
    r"ledit|ladite|este|esta|ese|esa|dicho|dicha|tal|esse|essa|dieser|diese|dieses|deze|dit)\s+[^\W\d]{3,}\s", re.I)


#: a period named with a demonstrative ("este periodo no podrá ser inferior a", "this period shall be at least", "ce
#: délai ne peut excéder"), within a few words before a deadline's number: the period the sentence before named
_PERIOD_ANAPHORA = re.compile(
    r"\b(?:this|that|such|the\s+said|este|ese|dicho|esse|referido|ce|cet|ledit|questo|tale|detto|dieser|diese|deze|"
    r"dit)\s+(?:period|periodo|período|plazo|prazo|délai|termine|Frist|termijn)\b(?![^,;.]*\b(?:of|de|di|van|von)\s*$)",
    re.I)


def _mentioned(value: RuleValue, before: list[RuleValue]) -> RuleValue | None:
    """A period named again with no cue of its own ("during the 15-day notice period"): the deadline the section
    stated before with the same number and unit, with that one's step (a cue in its own clause names what happens
    in the period: "edit their review during that 100 day period"); ``None`` when the section
    stated no such deadline (then it is a duration: "over a 90-day period")."""
    last = next((v for v in reversed(before) if v.kind == "time_limit" and (v.value, v.unit) == (value.value, value.unit)),
                None)
    return replace(value, comparator="within", subject=last.subject) if last else None


def _anaphoric(value: RuleValue, previous: str, language: str) -> RuleValue:
    """A deadline that names no step in a sentence opening on a demonstrative and a noun (:data:`_ANAPHORA`: "Tale
    termine non sarà superiore a 5 giorni lavorativi"), or whose own period is named with a demonstrative just before
    it (:data:`_PERIOD_ANAPHORA`: "…, este periodo no podrá ser inferior a 30 días"), takes the step the sentence
    right before it names (its subject cue nearest the end, strong before weak): the demonstrative points back to
    it. Nothing when that sentence names no step either. (A start named as one named before, "within 48 hours of
    the aforementioned email", points back to the start, not the step: no rule.)"""
    if value.kind != "time_limit" or value.subject or not previous or language in UNSPACED:
        return value
    own = digits(value.sentence, language)
    if not (_ANAPHORA.match(own) or _PERIOD_ANAPHORA.search(own, max(0, value.position - 60), value.position)):
        return value
    text = digits(previous, language)
    subject = _nearest_cue(text, len(text), "subjects", False, span=(0, len(text)))
    return replace(value, subject=subject) if subject else value


#: a lead-in that excludes what it lists ("Returns are not accepted for:", "Folgende Waren sind nicht …:", "No se
#: aceptan devoluciones de:", "Ne sont pas repris :"): its items are exceptions, so they take no step from it
_EXCLUDING_LEAD = re.compile(
    r"\b(?:not|no|never|cannot|can.t|won.t|except|excluding|excluded|exempt\w*|nicht|kein\w*|keine|ausgenommen|"
    r"ausgeschlossen|pas|jamais|sauf|exclu\w*|non|nunca|excepto|salvo|exclui\w*|excluid\w*|esclus\w*|tranne|niet|geen|"
    r"uitgezonderd|uitgesloten|behalve)\b|\bn['’](?=\w)", re.I)


#: a lead-in opening on a condition ("If you have no tracking number, …:", "Si no ha recibido el artículo, …:"): a
#: negation inside the condition states when, it does not exclude the items; only one after its comma does
_CONDITION_OPENING = re.compile(r"^\W*(?:if|when|where|si|wenn|falls|se|als|indien|cuando|quand|lorsque|quando)\b[^,]*(?:,|$)",
                                re.I)


#: a lead-in line ending in an English deadline's cue and a colon ("c) if, within:"): each bulleted item after it
#: that continues it (:func:`_lines`) and opens on a period ("- up to 7 days – for Transactions covered by withdrawal;
#: or") states a deadline, the cue read before it (:func:`_time_limits`, ``within``)
_LEAD_WITHIN = re.compile(r"(?:^|[\s,])(?:within|no\s+later\s+than)\s*:$", re.I)
#: an item's opening before its period, when its lead-in line ended in a deadline's cue (:data:`_LEAD_WITHIN`)
_ITEM_OPENING = re.compile(r"[\W_]*(?:up\s+to\s+)?", re.I)


def _lead_subject(sentence: str, language: str) -> str:
    """What a lead-in line names ("You can open a buyer protection claim:", "Puede activar la Protección al Comprador
    …:"): the subject cue nearest its end, strong before weak; ``""`` for a line that leads nothing in or that
    excludes its items (:data:`_EXCLUDING_LEAD`, read past a condition it opens on: :data:`_CONDITION_OPENING`)."""
    condition = _CONDITION_OPENING.match(sentence)
    if not sentence.rstrip().endswith(":") or _EXCLUDING_LEAD.search(sentence, condition.end() if condition else 0):
        return ""
    text = digits(sentence, language)
    return _nearest_cue(text, len(text), "subjects", False)


def _labelled(value: RuleValue, label: str, language: str, lead: str = "") -> RuleValue:
    """A metric threshold whose own line names no metric ("≥ 98% van totaal aantal verzendingen") takes the one its
    label line names (:func:`_lines`: a numbered or list item right before it, "1. Op tijd geleverd"), by a metric's
    cue only: a label that names a step or a topic ("Returns and cancellations") names no rate. A deadline in a
    bulleted item that names no step ("- within 14 days of delivery;") takes the one its lead-in line names
    (``lead``, :func:`_lead_subject`)."""
    if value.kind == "time_limit" and not value.subject and lead:
        return replace(value, subject=lead)
    if value.kind != "metric_threshold" or value.subject or not label:
        return value
    text = digits(label, language)
    metric = _nearest_cue(text, len(text), "metrics", False, span=(0, len(text)))
    return replace(value, subject=metric, comparator="above" if value.comparator == "share" else value.comparator) \
        if metric else value


@lru_cache(maxsize=None)
def _common_words(language: str) -> frozenset[str]:
    """A language's 100 most frequent words (wordfreq's list; none for a language it has no list of)."""
    from wordfreq import top_n_list

    try:
        return frozenset(top_n_list(language, 100))
    except LookupError:
        return frozenset()


_LATIN_WORD = re.compile(rf"[{_LETTERS}]{{2,}}")  # a word of one letter ("a", "s", "l") is in several lists
_UNSPACED_SCRIPT = re.compile(f"[{UNSPACED_CHARS}]")


#: how many sentences :func:`_sentence_values` remembers the values of: a sentence is read once however many
#: sections hold it (the N=1000 first build of issue 19: 171k sentences worth reading in 57k distinct sections, 88k
#: of them distinct: a policy's boilerplate, a document's other versions and locales)
SENTENCE_CACHE = 8192


@lru_cache(maxsize=SENTENCE_CACHE)
def reading_language(sentence: str, language: str) -> str:
    """The language a sentence is read in: the page's, or English for a sentence in English on a page in another
    language. Bilingual pages are common where sellers read them (a French merchant agreement with its English
    translation after it, a Chinese notice with an English paragraph, Malay and English on one help page), and a
    sentence read with another language's cues gives nothing ("within 14 days" holds no French unit). A sentence
    is English when it has at least two of English's most common words and more than twice as many as of the
    page language's (wordfreq's lists; words of two letters or more), and no character of a script written
    without spaces on a Chinese, Japanese or Thai page; only a sentence that may hold a value (English's
    ``worth_reading``) is looked at. Remembered for the last :data:`SENTENCE_CACHE` sentences (a function of its
    arguments)."""
    if language == "en" or not _patterns("en")["worth_reading"].search(unicodedata.normalize("NFKC", sentence)):
        return language
    if language in UNSPACED and _UNSPACED_SCRIPT.search(sentence):
        return language
    words = _LATIN_WORD.findall(sentence.lower())
    english, own = _common_words("en"), _common_words(language)
    in_english = sum(w in english for w in words)
    return "en" if in_english >= 2 and in_english > 2 * sum(w in own for w in words) else language


@lru_cache(maxsize=SENTENCE_CACHE)
def _sentence_values(sentence: str, language: str, row: bool = False, within: bool = False) -> tuple[RuleValue, ...]:
    """The values one sentence (or a table row's cells) states, read on their own: a function of the arguments only
    (the section around it is :func:`_read_section`'s to apply), so remembered (:data:`SENTENCE_CACHE`; the values
    are frozen). ``within``: the sentence is an item of a lead-in line that ends in a deadline's cue
    (:data:`_LEAD_WITHIN`)."""
    if not _patterns(language)["worth_reading"].search(unicodedata.normalize("NFKC", sentence)):
        return ()
    text = digits(sentence, language)
    metrics = _metric_thresholds(text, sentence, language, row)
    windows = {w for v in metrics for w in v.window.split(", ") if w}
    # a duration that is a metric's window ("under 5% within 7 days") is no deadline
    found = [v for v in _time_limits(text, sentence, language, within)
             if _window_text(v) not in windows] + metrics
    if not row:
        found += _point_thresholds(text, sentence, language)
    return tuple(sorted(found, key=lambda v: v.position))


def _table_values(rows: list[list[str]], language: str) -> list[RuleValue]:
    """A table's values: point levels when its header counts points, else each row read as a sentence."""
    points = _table_points(rows, language)
    if points:
        return points
    out = []
    for cells in rows[1:]:
        row_text = "| " + " | ".join(cells) + " |"
        # a period named again in a cell ("the 30-day period") has no deadline before it to be: left out
        out.extend(replace(v, sentence=row_text) for v in _sentence_values(" | ".join(cells), language, row=True)
                   if v.comparator != "restated")
    return out


def slot(section_key: str, value: RuleValue) -> tuple:
    """What a value is about, independent of its number: section, kind, subject and unit family."""
    return (section_key, value.kind, value.subject, UNIT_FAMILY.get(value.unit, value.unit))


def value_changes(old: list[tuple[str, RuleValue]], new: list[tuple[str, RuleValue]]) -> list[tuple]:
    """Pairs ``(section_key, old_value, new_value)`` whose number, unit or window changed between two versions.

    Values are paired by :func:`slot` and their order within it; a slot holding a different count of values
    in the two versions is left out (which value replaced which is then a guess, and a wrong "this replaced
    that" is worse than none). Values without a subject pair only when their sentences are one sentence
    reworded around the number (:func:`_same_sentence`). The pairs come in section-key order (then in ``old``'s
    order): the same for ``old`` in reading order or as the KB returns it, sorted by section key.
    """
    def grouped(values):
        groups: dict[tuple, list] = {}
        for key, v in values:
            groups.setdefault(slot(key, v), []).append(v)
        return groups

    before, after = grouped(old), grouped(new)
    out = []
    for key, olds in sorted(before.items(), key=lambda item: item[0][0]):
        news = after.get(key, [])
        if len(news) != len(olds):
            continue
        for o, n in zip(olds, news):
            if (o.value, o.unit, o.window) != (n.value, n.unit, n.window) and (key[2] or _same_sentence(o, n)):
                out.append((key[0], o, n))
    return out


#: how alike (rapidfuzz ``ratio``, 0-100, numbers aside) two evidence sentences must be for values about nothing
#: named to be one value changing
SAME_SENTENCE = 90


def _same_sentence(old: RuleValue, new: RuleValue) -> bool:
    """Whether two values without a subject stand in what is one sentence reworded around its number: only then
    is the new one what replaced the old (two unrelated "≥ 98%" lines of a section are not one value)."""
    from rapidfuzz.fuzz import ratio

    def bare(v: RuleValue) -> str:
        return re.sub(r"\d+(?:[.,]\d+)?", "#", unicodedata.normalize("NFKC", v.sentence)).casefold()

    return ratio(bare(old), bare(new)) >= SAME_SENTENCE
