"""The key form of a text (NFKC, lower case, :func:`pipeline.fold.fold`, letters and digits only) with a map
back to raw offsets. The fold makes a quote in Traditional Chinese match a page in Simplified, and back.

See :mod:`kb.cite` ("How a quote is matched").
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from pipeline.fold import fold
from pipeline.text import CJK_RE  # noqa: F401  (kana, ideographs and Hangul: one weight each, one token each)

WORD_RE = re.compile(r"[^\W_]+")
BLOCK = 2048  # characters per block of a KeyText's lazy offset map
NON_WORD_RE = re.compile(r"[\W_]+")
#: A word of a raw text with its combining marks: text copied in decomposed form (NFD: ``u`` + U+0308 for ``ü``,
#: ``か`` + U+3099 for ``が``, as some systems paste it) keys as its composed form, not as the bare letter.
COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a"
RAW_WORD_RE = re.compile(rf"(?:[^\W_]|[{COMBINING}])+")
# Masked (replaced by spaces of the same length) before keying: Markdown link
# targets and images' URLs, and HTML tags. The page shows neither.
MASK_RE = re.compile(r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)|<[^>\n]{1,300}>")


def _key_chars(text: str) -> str:
    """The key characters of a short string: NFKC, lower case, letters and digits only."""
    norm = fold(unicodedata.normalize("NFKC", text).lower())
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
        starts = self.key_starts
        if starts is None:
            # built whole, then published in one assignment: a KeyText is shared by the threads that answer
            # quotes (kb.cite.versions.keyed_version), and none may read a list still being filled
            starts, total = [], 0
            for b in range(0, len(self.normalized), BLOCK):
                starts.append(total)
                total += len(NON_WORD_RE.sub("", self.normalized[b:b + BLOCK]))
            self.key_starts = starts
        i = max(0, bisect.bisect_right(starts, k) - 1)
        while True:  # a block may hold no word character at all: go on to the next
            base, kpos = i * BLOCK, starts[i]
            for m in WORD_RE.finditer(self.normalized, base, min(len(self.normalized), base + BLOCK)):
                size = m.end() - m.start()
                if k < kpos + size:
                    return (kpos, size, m.start(), size)
                kpos += size
            if i + 1 >= len(starts):
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
        normalized = fold(unicodedata.normalize("NFKC", masked).lower())
        if len(normalized) != len(masked):
            masked = masked.translate(_expanding_punctuation())
            normalized = fold(unicodedata.normalize("NFKC", masked).lower())
    if len(normalized) == len(masked):
        return KeyText(text, NON_WORD_RE.sub("", normalized), normalized=normalized)
    parts, starts, runs, kpos = [], [], [], 0
    for m in RAW_WORD_RE.finditer(masked):
        s = m.group()
        k = s.lower() if s.isascii() else fold(unicodedata.normalize("NFKC", s).lower())
        if (len(k) == len(s) and (s.isascii() or k.isalnum())) or (k.isalnum() and re.search(f"[{COMBINING}]", s)):
            parts.append(k)  # (a word with combining marks maps as a whole: its key is shorter)
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
