"""Split a version's Markdown into sections with stable keys.

Consultants cite "Section 6.1" or 第三条, not a whole page. A section starts at
a Markdown heading, or at a paragraph that opens with a clause number
(``**第三条**``, ``第3章``, ``6.1``). Its key is the clause number where there
is one (``6.1``, ``第3条``), else a slug of the heading, so the same section
keeps its key from one version to the next even when its wording changes.
Text before the first heading is the ``_preamble`` section.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CN_NUM = "零〇一二三四五六七八九十百千两"
CLAUSE_RES = [
    # 第三条 / 第3条 / 第三章 / 第3节 (Chinese clause, chapter, section)
    (re.compile(rf"^第\s*([{CN_NUM}\d]+)\s*([条章节款])"), lambda m: f"第{cn_to_int(m.group(1))}{m.group(2)}"),
    # 6.1 / 3.2.1 / 6.1. at the start
    (re.compile(r"^(\d+(?:\.\d+)+)\.?(?=\s|$)"), lambda m: m.group(1)),
    # Section 3 / Article 12 / § 4
    (re.compile(r"^(?:section|article|clause|artikel|§)\s*(\d+(?:\.\d+)*)", re.IGNORECASE), lambda m: m.group(1)),
    # 3. Title (a single number followed by a period and a space)
    (re.compile(r"^(\d+)\.\s"), lambda m: m.group(1)),
    # 一、 二、 (Chinese enumerations used as headings)
    (re.compile(rf"^([{CN_NUM}]+)、"), lambda m: f"{cn_to_int(m.group(1))}、"),
]


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


@dataclass
class Section:
    key: str
    heading: str
    level: int
    ordinal: int
    text: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def clause_key(line: str) -> str | None:
    """The clause number a line starts with, normalized, or None."""
    plain = re.sub(r"^[*_\s]+", "", line)
    plain = re.sub(r"^\[|\]\(.*?\)", "", plain)
    for pattern, key in CLAUSE_RES:
        m = pattern.match(plain)
        if m:
            return key(m)
    return None


def slug(text: str) -> str:
    text = re.sub(r"[*_`\[\]()]", "", text).strip().lower()
    text = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-")
    return text[:80] or "section"


def split_sections(markdown: str) -> list[Section]:
    """Sections of a version, in order, with unique stable keys."""
    sections: list[Section] = []
    key, heading, level, lines = "_preamble", "", 0, []

    def close():
        text = "\n".join(lines).strip()
        if text or heading:
            sections.append(Section(key, heading, level, len(sections), text))

    for line in markdown.splitlines():
        m = HEADING_RE.match(line)
        if m:
            close()
            heading, level = m.group(2).strip(), len(m.group(1))
            key, lines = clause_key(heading) or slug(heading), [line]
            continue
        ck = clause_key(line) if line.startswith(("**第", "第", "**")) else None
        if ck and ck.startswith("第"):
            close()
            heading = re.match(r"^\**[^*【\s]+\**\s*(?:【[^】]*】)?", line).group(0).replace("*", "").strip()
            key, level, lines = ck, 7, [line]
            continue
        lines.append(line)
    close()
    seen: dict[str, int] = {}
    for s in sections:
        n = seen.get(s.key, 0) + 1
        seen[s.key] = n
        if n > 1:
            s.key = f"{s.key}~{n}"
    return sections
