"""The key form of a text (NFKC, lower case, :func:`pipeline.fold.fold`, letters and digits only) with a map
back to raw offsets. The fold makes a quote in Traditional Chinese match a page in Simplified, and back.

A long text (``PIECES_FROM`` characters or more) is keyed a paragraph at a time, each paragraph's work kept per
process by its own text (a document's versions share most of their paragraphs: a check that reads ten versions
of a 100 KB page keys one page's worth); the paragraphs' results are joined into the KeyText that keying the
whole text gives (:func:`_whole_key`, the definition; ``tests/test_cite_speed_paths.py`` holds them equal).

See :mod:`kb.cite` ("How a quote is matched").
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import accumulate

from kb.cite.cache import WeightedCache
from pipeline.fold import fold
from pipeline.text import TranslateTable
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
    #: a long text keyed word by word, a paragraph at a time (:func:`_pieces_key`): ``(key_start, raw_start,
    #: starts, runs)`` of each paragraph, looked up a paragraph at a time (:meth:`_segment_run`)
    segments: list | None = None
    #: the lazy map's blocks: ``(raw_starts, key_starts)`` of each (``BLOCK`` characters each, counted when a
    #: match first needs them; for a text keyed a paragraph at a time, its paragraphs, whose keys give the
    #: counts without reading the text again)
    blocks: tuple | None = field(default=None, repr=False)
    #: for ``segments``: ``(key_starts, segments)`` of the paragraphs that have runs (made when first needed)
    held: tuple | None = field(default=None, repr=False)

    def _run(self, k: int):
        if self.runs is None:
            if self.segments is None:
                return self._lazy_run(k)
            return self._segment_run(k)
        i = bisect.bisect_right(self.key_starts, k) - 1
        return self.runs[max(i, 0)]

    def _segment_run(self, k: int):
        """The run holding key character ``k`` of a text keyed word by word a paragraph at a time: the paragraph's
        own run, never the whole text's runs made (a paragraph's first run starts at its first key character, so
        the last paragraph with runs starting at or before ``k`` holds the run :meth:`_flatten`'s would give)."""
        index = self.held
        if index is None:  # the paragraphs that have runs, and where each starts (published in one assignment)
            held = [s for s in self.segments if s[3]]
            index = self.held = ([s[0] for s in held], held)
        starts, held = index
        if not held:
            self._flatten()
            return self.runs[0]
        kpos, rpos, p_starts, p_runs = held[max(0, bisect.bisect_right(starts, k) - 1)]
        ks, kl, rs, rl = p_runs[max(0, bisect.bisect_right(p_starts, k - kpos) - 1)]
        return (kpos + ks, kl, rpos + rs, rl)

    def _flatten(self) -> None:
        """``key_starts`` and ``runs`` from the paragraphs' (published in that order: a thread that sees ``runs``
        sees its ``key_starts``)."""
        starts, runs = [], []
        for kpos, rpos, p_starts, p_runs in self.segments:
            starts += [kpos + k for k in p_starts]
            runs += [(kpos + ks, kl, rpos + rs, rl) for ks, kl, rs, rl in p_runs]
        self.key_starts = starts
        self.runs = runs

    def _lazy_run(self, k: int):
        """The run holding key character ``k``, from a per-block count of word characters (built once)."""
        blocks = self.blocks
        if blocks is None:
            # built whole, then published in one assignment: a KeyText is shared by the threads that answer
            # quotes (kb.cite.versions.keyed_version), and none may read a list still being filled
            blocks = self.blocks = _blocks(self.normalized)
        raws, starts = blocks
        i = max(0, bisect.bisect_right(starts, k) - 1)
        while True:  # a block may hold no word character at all: go on to the next
            base, kpos = raws[i], starts[i]
            stop = raws[i + 1] if i + 1 < len(raws) else len(self.normalized)
            for m in WORD_RE.finditer(self.normalized, base, stop):
                size = m.end() - m.start()
                if k < kpos + size:
                    return (kpos, size, m.start(), size)
                kpos += size
            if i + 1 >= len(raws):
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
    """``str.translate`` table: characters whose NFKC form is several non-word characters → a space (a
    :class:`pipeline.text.TranslateTable`: a character left alone costs a hit, not a ``KeyError``)."""
    global _EXPANDING
    if _EXPANDING is None:
        table = TranslateTable()
        for cp in range(0x80, 0x10000):
            ch = chr(cp)
            if 0xD800 <= cp < 0xE000:
                continue
            norm = unicodedata.normalize("NFKC", ch)
            if len(norm) > 1 and not any(c.isalnum() for c in norm):
                table[cp] = " "
        _EXPANDING = table
    return _EXPANDING


def _blocks(normalized: str) -> tuple[list[int], list[int]]:
    """``(raw_starts, key_starts)`` of the lazy map's blocks of ``BLOCK`` characters of a normalized text."""
    raws, starts, total = [], [], 0
    for b in range(0, len(normalized), BLOCK):
        raws.append(b)
        starts.append(total)
        total += len(NON_WORD_RE.sub("", normalized[b:b + BLOCK]))
    return raws, starts


def _mask(text: str) -> str:
    """Link targets and HTML tags masked by spaces of the same length (:data:`MASK_RE`)."""
    if "](" not in text and "<" not in text:
        return text  # (nothing to mask: every match starts with one or the other)
    return MASK_RE.sub(lambda m: "]" + " " * (len(m.group()) - 1) if m.group().startswith("]") else
                       " " * len(m.group()), text)


def _normalized(masked: str) -> str:
    return masked.lower() if masked.isascii() else fold(unicodedata.normalize("NFKC", masked).lower())


def _slow_key(masked: str) -> tuple[str, list, list]:
    """``(key, starts, runs)`` of a (masked, translated) text keyed word by word (see :func:`key_text`)."""
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
    return "".join(parts), starts, runs


def key_text(text: str) -> KeyText:
    """Key form of a text (see the module docstring), keeping the offsets.

    A long text is keyed a paragraph at a time, each paragraph's work kept for the next text that has it
    (:func:`_pieces_key`: the versions of a document share most of their paragraphs); the result is the
    same as keying it whole (``tests/test_cite_speed_paths.py``)."""
    text = text or ""
    if len(text) >= PIECES_FROM:
        keyed = _pieces_key(text)
        if keyed is not None:
            return keyed
    return _whole_key(text)


def _whole_key(text: str) -> KeyText:
    """:func:`key_text` of the whole text at once (the definition the paragraph-wise keying must equal)."""
    masked = _mask(text)
    # Fast path: one normalization of the whole text that keeps every offset. Characters whose NFKC
    # form is longer but holds no letter or digit ("…" → "...") are spaces to the key anyway.
    normalized = _normalized(masked)
    if len(normalized) != len(masked):
        masked = masked.translate(_expanding_punctuation())
        normalized = _normalized(masked)
    if len(normalized) == len(masked):
        return KeyText(text, NON_WORD_RE.sub("", normalized), normalized=normalized)
    key, starts, runs = _slow_key(masked)
    return KeyText(text, key, starts, runs)


#: texts from this many characters on are keyed a paragraph at a time (:func:`_pieces_key`)
PIECES_FROM = 4096
#: Paragraphs are cut after a blank line. A boundary right after a line break is one for every step of the
#: key form: NFKC never composes or reorders across it, ``str.lower``'s final-sigma context stops at it, the
#: fold and the punctuation table map character by character, and a word (letters, digits, combining marks)
#: never spans it. The masking (:data:`MASK_RE`) never does either, but for a link whose title, or the space
#: before it, runs over a blank line: a paragraph that ends in such an open link (this pattern) sends the
#: text to :func:`_whole_key`. (Nothing else of :data:`MASK_RE` can hold a line break; a link that ends
#: before a boundary is matched the same in its paragraph as in the whole text, for nothing in the pattern
#: looks past the characters it matches.)
_OPEN_LINK_RE = re.compile(r'\]\((?:[^()\s]|\([^()\s]*\))*\s+(?:"[^"]*)?\Z')


class _Piece:
    """One paragraph's share of the work of :func:`key_text`, each step done when first needed."""

    __slots__ = ("raw", "masked", "open_link", "_plain", "_translated", "_slow")

    def __init__(self, raw: str):
        self.raw = raw
        self.masked = _mask(raw)
        #: whether the paragraph ends in a link that may run on into the next one (see :data:`_OPEN_LINK_RE`)
        self.open_link = "](" in raw and _OPEN_LINK_RE.search(raw) is not None
        self._plain = self._translated = self._slow = None

    def plain(self) -> tuple[str, str]:
        """``(normalized, key)`` of the masked paragraph."""
        if self._plain is None:
            normalized = _normalized(self.masked)
            self._plain = (normalized, NON_WORD_RE.sub("", normalized))
        return self._plain

    def translated(self) -> tuple[str, str]:
        """``(normalized, key)`` of the paragraph with its expanding punctuation made spaces."""
        if self._translated is None:
            moved = self.masked.translate(_expanding_punctuation())
            if moved == self.masked:
                self._translated = self.plain()
            else:
                normalized = _normalized(moved)
                self._translated = (normalized, NON_WORD_RE.sub("", normalized))
        return self._translated

    def slow(self) -> tuple[str, list, list]:
        """``(key, starts, runs)`` of the translated paragraph keyed word by word (offsets from its start)."""
        if self._slow is None:
            slow = _slow_key(self.masked.translate(_expanding_punctuation()))
            _grow(self, slow)
        return self._slow


#: the paragraphs keyed last, for the next texts (the web page and ``citations check`` answer many quotes in
#: one process). Bounded by a weight in characters: a paragraph, masked, normalized and keyed, about four
#: times its length; a paragraph keyed word by word holds a run (a tuple) per word besides. A unit of weight is
#: about 3 bytes of memory (measured on paragraphs keyed word by word): the budget holds about 180 MB.
_PIECES_BUDGET = 60_000_000
_RUN_WEIGHT = 24


def _weight(piece: _Piece) -> int:
    return 4 * len(piece.masked) + (_RUN_WEIGHT * len(piece._slow[2]) if piece._slow else 0)


_PIECES = WeightedCache(_PIECES_BUDGET, _weight)


def _grow(piece: _Piece, slow: tuple) -> None:
    """Give a paragraph its word-by-word keying, counted in the cache's weight while the paragraph is kept."""
    def give():
        if piece._slow is None:
            piece._slow = slow

    _PIECES.reweigh(piece.raw, piece, give)


def _pieces(paragraphs: list[str]) -> list[_Piece]:
    """The cached :class:`_Piece` of each paragraph (a paragraph's text is its own key: never another's work),
    new ones made."""
    out = _PIECES.get_many(paragraphs)
    for i, piece in enumerate(out):
        if piece is None:
            out[i] = _PIECES.put(paragraphs[i], _Piece(paragraphs[i]))
    return out


def _pieces_key(text: str) -> KeyText | None:
    """:func:`key_text` of a long text from its paragraphs' keys (cached by paragraph): the same three paths
    as keying the whole, chosen by the whole (normalization keeps every offset as is, or once the expanding
    punctuation is made spaces; else word by word), each the paragraphs' results joined. None when a link may
    run over a paragraph's end (:data:`_OPEN_LINK_RE`): the text is keyed whole instead."""
    parts = text.split("\n\n")
    pieces = _pieces([p + "\n\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else []))
    if any(p.open_link for p in pieces[:-1]):
        return None
    plain = [p.plain() for p in pieces]
    for parts in (plain, None):
        if parts is None:
            parts = [p.translated() for p in pieces]
        sizes = [len(n) for n, _ in parts]
        if sum(sizes) == len(text):
            # the lazy map's blocks are the paragraphs (their starts summed in C; a long one is read whole)
            keys = [k for _, k in parts]
            blocks = ([0, *accumulate(sizes)][:-1], [0, *accumulate(map(len, keys))][:-1])
            return KeyText(text, "".join(keys), normalized="".join(n for n, _ in parts), blocks=blocks)
    keys, segments, kpos, rpos = [], [], 0, 0
    for p in pieces:
        key, p_starts, p_runs = p.slow()
        keys.append(key)
        segments.append((kpos, rpos, p_starts, p_runs))
        kpos += len(key)
        rpos += len(p.masked)
    return KeyText(text, "".join(keys), segments=segments)


def key_form(text: str) -> str:
    """Only the key string of a text (for quotes)."""
    return key_text(text).key


def quote_weight(key: str) -> int:
    return len(key) + len(CJK_RE.findall(key))
