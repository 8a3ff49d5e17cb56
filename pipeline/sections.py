"""Split a version's Markdown into sections with stable keys, and compare them.

Consultants cite "Section 6.1" or 第三条, not a whole page. A section starts at
a Markdown heading, or at a paragraph or list item that opens with a clause
number in one of the forms platforms use:

=====================  ==========  ==========================================
text                   key         note
=====================  ==========  ==========================================
``6.1`` / ``3.2.1``    ``6.1``     dotted numbers: global, so kept as they are
``Section 3``          ``3``       also Article, Clause, Artikel, Art., §
``1\\. General``       ``1``       a numbered paragraph (Markdown escapes it)
``(a)`` / ``a)``       ``3.2(a)``  local: prefixed with the enclosing clause
``第三条`` / ``第3条``  ``第3条``   also 章, 节, 款 (chapter, section, paragraph)
``一、``               ``1、``     Chinese enumeration
``（一）``             ``3(1)``    local, like (a)
=====================  ==========  ==========================================

A heading without a number is keyed by a slug of its text. So the same
section keeps its key from one version to the next when its wording changes.
Text before the first section is ``_preamble``; a key used twice gets ``~2``.

:func:`compare_sections` says, for two versions, which sections were added,
removed, modified or moved (a section whose text is unchanged but which now
stands elsewhere, or under another number, is *moved*, not removed + added).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

from pipeline.text import plain_text

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CN_NUM = "零〇一二三四五六七八九十百千两"
ROMAN = "ivxlcdm"


def cn_to_int(text: str) -> int:
    """Chinese numerals (or digits) to an int: 三 → 3, 十二 → 12, 二十一 → 21, 一百零五 → 105."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digits.update({"〇": 0, "两": 2})
    total, current = 0, 0
    for ch in text:
        if ch in digits:
            current = digits[ch]
        elif ch in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


#: (pattern, key builder, local?) in the order they are tried on the start of a line.
CLAUSE_RES = [
    # 第三条 / 第3条 / 第三章 / 第3节 (Chinese article, chapter, section, paragraph)
    (re.compile(rf"^第\s*([{CN_NUM}\d]+)\s*([条章节款])"), lambda m: f"第{cn_to_int(m.group(1))}{m.group(2)}", False),
    # 6.1 / 3.2.1 / 6.1. at the start
    (re.compile(r"^(\d+(?:\.\d+)+)\.?(?=[\s*_)]|$)"), lambda m: m.group(1), False),
    # Section 3 / Article 12 / Art. 4 / § 4 / Clause 2.1
    (re.compile(r"^(?:section|article|art\.|clause|artikel|artículo|articolo|§)\s*(\d+(?:\.\d+)*)", re.IGNORECASE),
     lambda m: m.group(1), False),
    # 3. Title / 3\. Title (a single number and a period, then a space)
    (re.compile(r"^(\d{1,3})\\?\.(?=\s)"), lambda m: m.group(1), False),
    # 一、 二、 (Chinese enumeration) and 1、
    (re.compile(rf"^([{CN_NUM}]+|\d{{1,3}})、"), lambda m: f"{cn_to_int(m.group(1))}、", False),
    # （一） (一) (Chinese parenthesized numerals): local
    (re.compile(rf"^[（(]([{CN_NUM}]+)[）)]"), lambda m: f"({cn_to_int(m.group(1))})", True),
    # (a) / a) / (iv) / (1): local
    (re.compile(rf"^\(([a-z]|[{ROMAN}]{{1,5}}|\d{{1,2}})\)(?=\s)|^([a-z])\)(?=\s)", re.IGNORECASE),
     lambda m: f"({(m.group(1) or m.group(2)).lower()})", True),
]
SINGLE_NUMBER_RE = CLAUSE_RES[3][0]
#: Every pattern of :data:`CLAUSE_RES` in one (each under its own flags): a line none of them matches (most
#: lines) is told so by one match instead of one per pattern
ANY_CLAUSE_RE = re.compile("|".join(f"(?i:{p.pattern})" if p.flags & re.IGNORECASE else f"(?:{p.pattern})"
                                    for p, _, _ in CLAUSE_RES))
#: a link's opening bracket at the start, and every link target: what :func:`clause_match` reads past
_LINK_PARTS_RE = re.compile(r"^\[|\]\(.*?\)")
LIST_MARKER_RE = re.compile(r"^\s*(?:[-*+]\s+)")
LEADING_FORMAT_RE = re.compile(r"^[*_\s]+")


@dataclass
class Section:
    key: str
    heading: str
    level: int
    ordinal: int
    text: str
    start_line: int = 1  # 1-based line of the version's text where the section starts

    # computed once per section (its fields are never reassigned): compare_sections reads each several times
    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @cached_property
    def body(self) -> str:
        """The text without its number: without a heading line, or without the clause number it opens with."""
        first, _, rest = self.text.partition("\n")
        if HEADING_RE.match(first):
            return rest.strip()
        plain = LEADING_FORMAT_RE.sub("", LIST_MARKER_RE.sub("", first))
        for pattern, _, _ in CLAUSE_RES:
            m = pattern.match(plain)
            if m:
                return (plain[m.end():].lstrip("*_ \t") + "\n" + rest).strip()
        return self.text

    @cached_property
    def body_hash(self) -> str:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


def _heading_text(line: str) -> str:
    """A heading's title as plain text: the shared Markdown → plain text, then backslash escapes dropped (1\\. → 1.).

    Was its own rule (only ``*`` and heading marks removed): it now also drops link targets and ``_`` emphasis,
    as the glossary always did ("[1. Introduction](#1)" → "1. Introduction"). Only headings shown change
    (463 of 54,465 in the corpus); section keys and bodies, hence change detection, do not.
    """
    return plain_text(LEADING_FORMAT_RE.sub("", line)).replace("\\", "").strip()


def _after_start(pattern: re.Pattern, line: str) -> str:
    """``pattern.sub("", line)`` for a pattern anchored at the start (``^``, no MULTILINE) that matches no empty
    string: the line past its match at the start, if any."""
    m = pattern.match(line)
    return line[m.end():] if m else line


def clause_match(line: str, in_heading: bool = True):
    """``(key, local)`` for a line that starts with a clause number, else None.

    :param in_heading: the line is a heading's text; outside headings a bare
        ``1. `` is an ordered list item, not a clause (a numbered paragraph is
        escaped, ``1\\. ``, or bold)
    """
    # each pattern's sub("", ...), done where it can match: the two anchored ones match at the start only (so one
    # match(), not a search along the line), the link parts past the start only where a "](" stands (their
    # pattern, starting with an anchor, is tried at every position of a line that has none)
    unlisted = _after_start(LIST_MARKER_RE, line)
    plain = _after_start(LEADING_FORMAT_RE, unlisted)
    plain = _LINK_PARTS_RE.sub("", plain) if "](" in plain else plain[1:] if plain[:1] == "[" else plain
    if ANY_CLAUSE_RE.match(plain) is None:
        return None
    for pattern, key, local in CLAUSE_RES:
        m = pattern.match(plain)
        if m:
            if (not in_heading and pattern is SINGLE_NUMBER_RE and "\\" not in m.group(0)
                    and not unlisted.startswith(("**", "__"))):
                return None
            return key(m), local
    return None


def clause_digits(line: str) -> bool:
    """The line's clause number is written in digits (1、), not Chinese numerals (一、)."""
    return bool(re.match(r"^\d", LEADING_FORMAT_RE.sub("", LIST_MARKER_RE.sub("", line))))


def clause_key(line: str) -> str | None:
    """The clause number a line starts with, normalized, or None."""
    found = clause_match(line)
    return found[0] if found else None


def slug(text: str) -> str:
    text = re.sub(r"[*_`\[\]()\\]", "", text).strip().lower()
    text = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-")
    return text[:80] or "section"


def _heading_of(line: str) -> str:
    """The title of a clause line: its number and the bold/bracketed title that follows, else its first words."""
    plain = LIST_MARKER_RE.sub("", line)
    if LEADING_FORMAT_RE.sub("", plain).startswith("第"):
        return re.match(r"^\**[^*【\s]+\**\s*(?:【[^】]*】)?", plain).group(0).replace("*", "").strip()
    m = re.match(r"^\*\*(.+?)\*\*(?:\s*【[^】]*】)?", plain)
    if m:
        return _heading_text(m.group(0))[:120]
    m = re.match(r"^(\S+?)\s*(【[^】]*】)", plain)
    if m:
        return _heading_text(m.group(0))
    text = _heading_text(plain)
    return text if len(text) <= 80 else text[:80].rsplit(" ", 1)[0] + "…"


def _level(key: str, heading_level: int | None) -> int:
    if heading_level:
        return heading_level
    if key.startswith("第"):
        return {"章": 1, "节": 2, "条": 3, "款": 4}.get(key[-1], 3)
    if key.endswith(")"):
        return 8
    return 2 + key.count(".")


def split_sections(markdown: str) -> list[Section]:
    """Sections of a version, in order, with unique stable keys.

    :param markdown: a version's normalized Markdown
    """
    sections: list[Section] = []
    key, heading, level, lines, start = "_preamble", "", 0, [], 1
    parent = None  # key of the enclosing numbered clause, for local keys such as (a)
    previous_blank = True

    def close():
        text = "\n".join(lines).strip()
        if text or heading:
            sections.append(Section(key, heading, level, len(sections), text, start))

    for number, line in enumerate(markdown.splitlines(), 1):
        m = HEADING_RE.match(line)
        starts = None
        if m:
            title = m.group(2).strip()
            found = clause_match(title)
            if found and found[1]:
                starts = ((parent or "") + found[0], title, len(m.group(1)))
            else:
                starts = (found[0] if found else slug(title), title, len(m.group(1)))
                parent = found[0] if found else None
        elif line.strip() and (previous_blank or LIST_MARKER_RE.match(line)):
            found = clause_match(line, in_heading=False)
            if found and not (LIST_MARKER_RE.match(line) and not found[1] and "." not in found[0]
                              and not found[0].startswith("第")):
                k, local = found
                if k.endswith("、") and parent and parent.endswith("条") and clause_digits(line):
                    local = True  # 1、 2、 inside an article are its items
                if local:
                    starts = ((parent or "") + k, _heading_of(line), None)
                else:
                    parent = k
                    starts = (k, _heading_of(line), None)
        if starts:
            close()
            key, heading, hl = starts
            level, lines, start = _level(key, hl), [line], number
        else:
            lines.append(line)
        previous_blank = not line.strip()
    close()
    seen: dict[str, int] = {}
    for s in sections:
        n = seen.get(s.key, 0) + 1
        seen[s.key] = n
        if n > 1:
            s.key = f"{s.key}~{n}"
    return sections


@dataclass
class SectionChange:
    """How one section differs between two versions.

    ``status`` is ``added``, ``removed``, ``modified`` or ``moved``; a section
    both modified and moved is ``modified`` with ``moved`` True.
    """

    key: str
    status: str
    heading: str
    old_key: str | None = None
    old_text: str = ""
    new_text: str = ""
    moved: bool = False
    old_ordinal: int | None = None
    new_ordinal: int | None = None


def _longest_increasing(seq: list[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence of ``seq`` (patience sorting)."""
    import bisect

    tails, tails_idx, prev = [], [], [-1] * len(seq)
    for i, x in enumerate(seq):
        j = bisect.bisect_left(tails, x)
        if j == len(tails):
            tails.append(x)
            tails_idx.append(i)
        else:
            tails[j] = x
            tails_idx[j] = i
        prev[i] = tails_idx[j - 1] if j else -1
    keep, i = set(), tails_idx[-1] if tails_idx else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


def _ratio_bound(a: int, b: int) -> float:
    """An upper bound of rapidfuzz's ``fuzz.ratio`` of two texts ``a`` and ``b`` characters long, plus a margin
    for rounding (``100 - 100 * |a - b| / (a + b)``: at least ``|a - b|`` characters are inserted or deleted).
    rapidfuzz computes the whole bit-parallel distance even when the lengths alone rule the cutoff out (1.7 ms
    for 3 KB against 22 KB)."""
    return 200.0 * min(a, b) / (a + b) + 1e-6 if a + b else 100.0


# Long: one matching algorithm in four passes, each commented; split, its shared match state would travel
# between functions as six arguments.
def compare_sections(old: list[Section], new: list[Section]) -> list[SectionChange]:
    """Sections added, removed, modified or moved from ``old`` to ``new`` (unchanged ones are left out).

    Sections are matched, in this order: same key and same body; same body
    under another key (renumbered or relocated: moved, with ``old_key``);
    same key (modified); similar body (a section whose heading was reworded:
    modified, with ``old_key``). Among sections matched by key, those outside
    the longest run kept in the same order are moved.

    :param old: sections of the earlier version
    :param new: sections of the later version
    """
    old_by_key = {s.key: s for s in old}
    paired_old, paired_new = set(), set()
    same = []  # same key, same body: unchanged (or moved)
    for n in new:
        o = old_by_key.get(n.key)
        if o is not None and o.body_hash == n.body_hash:
            same.append((o, n))
            paired_old.add(o.key)
            paired_new.add(n.key)
    by_body = {}
    for o in old:
        if o.key not in paired_old and o.body.strip():
            by_body.setdefault(o.body_hash, []).append(o)
    renamed = []  # the same body under another key: renumbered or relocated
    for n in new:
        candidates = by_body.get(n.body_hash) if n.key not in paired_new and n.body.strip() else None
        if candidates:
            o = candidates.pop(0)
            renamed.append((o, n))
            paired_old.add(o.key)
            paired_new.add(n.key)
    pairs = sorted(same + [(old_by_key[n.key], n) for n in new
                           if n.key not in paired_new and n.key in old_by_key and n.key not in paired_old],
                   key=lambda p: p[1].ordinal)
    for o, n in pairs:
        paired_old.add(o.key)
        paired_new.add(n.key)
    lone_old = [s for s in old if s.key not in paired_old]
    lone_new = [s for s in new if s.key not in paired_new]
    reworded = []
    if lone_old and lone_new and len(lone_old) * len(lone_new) <= 400:
        from rapidfuzz.fuzz import ratio as similarity  # Indel similarity in C++ (difflib took 0.25 s a pair)

        for s in list(lone_new):
            best, best_ratio = None, 60.0
            for o in lone_old:
                if _ratio_bound(len(o.body), len(s.body)) < best_ratio:
                    continue  # cannot beat it: the Indel distance is at least the difference in length
                ratio = similarity(o.body, s.body, score_cutoff=best_ratio)
                if ratio > best_ratio:
                    best, best_ratio = o, ratio
            if best is not None:
                lone_old.remove(best)
                lone_new.remove(s)
                reworded.append((best, s))
    changes = []
    in_order = _longest_increasing([o.ordinal for o, _ in pairs])
    for i, (o, n) in enumerate(pairs):
        moved = i not in in_order
        if o.content_hash != n.content_hash:
            changes.append(SectionChange(n.key, "modified", n.heading, o.key, o.text, n.text, moved, o.ordinal,
                                         n.ordinal))
        elif moved:
            changes.append(SectionChange(n.key, "moved", n.heading, o.key, o.text, n.text, True, o.ordinal, n.ordinal))
    for o, n in renamed:
        status = "moved" if o.content_hash == n.content_hash or o.body_hash == n.body_hash else "modified"
        changes.append(SectionChange(n.key, status, n.heading, o.key, o.text, n.text, True, o.ordinal, n.ordinal))
    for o, n in reworded:  # same place in the text, reworded heading and body: one section, modified
        changes.append(SectionChange(n.key, "modified", n.heading, o.key, o.text, n.text, False, o.ordinal, n.ordinal))
    for o in lone_old:
        changes.append(SectionChange(o.key, "removed", o.heading, o.key, o.text, "", False, o.ordinal, None))
    for n in lone_new:
        changes.append(SectionChange(n.key, "added", n.heading, None, "", n.text, False, None, n.ordinal))
    changes.sort(key=lambda c: (c.new_ordinal if c.new_ordinal is not None else c.old_ordinal + 0.5))
    return changes
