"""Finding a term in a policy text: inflection-tolerant for alphabetic languages, substring for CJK and Thai.

Text and terms are cut into the same kind of tokens, so one matcher serves
every language:

* letters of scripts written without spaces (Chinese, Japanese kana and
  kanji, Thai, Korean) are one token per character, so a term matches as a
  substring: 申诉 is found inside 二次申诉 and 申诉材料;
* other words are lower-cased and reduced to their Snowball stem in the
  term's language (English, German, Indonesian, French, ...), so "policy
  warnings" finds "Policy Warning", "deactivated" finds "deactivation" and
  "fulfilment" finds "fulfillment". We use the Snowball stemmers
  (``snowballstemmer``, the algorithms of the Snowball project, pure Python
  and maintained) rather than regex plural rules because plural rules miss
  -ed/-ing/-ion forms and irregular spellings (policies → polici ← policy);
  a language with no Snowball stemmer (Vietnamese, Malay) matches whole
  words, which suits Vietnamese, a language without inflection.

A text is cut into raw tokens once (:class:`Tokens`: the cut does not depend on the language), and each
:class:`TokenIndex` over it maps them to their normalized forms for one language and case rule; a caller
with many terms reads the positions of all their first tokens in one pass (:meth:`TokenIndex.positions_of`)
rather than searching for each term.

Markdown link targets are dropped before matching, so the words of a URL
(``/help/report-abuse?ref=...``) never count as evidence.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import accumulate, compress

import snowballstemmer

from glossary.model import ZH
from pipeline.text import UNSPACED, plain_text  # noqa: F401 - plain_text is part of this module's API

# Scripts written without spaces between words (Thai, Lao, Khmer, kana, ideographs, Hangul): one token per character.
_CHAR_SCRIPTS = UNSPACED
_TOKEN_RE = re.compile(rf"[{_CHAR_SCRIPTS}]|[^\W_{_CHAR_SCRIPTS}]+", re.UNICODE)
_CHAR_RE = re.compile(rf"[{_CHAR_SCRIPTS}]")
# British → American spelling before stemming, applied to texts and terms alike (authorisation ↔ authorization).
_EN_SPELLING = [(re.compile(r"is(e|es|ed|ing|ation|ations)$"), r"iz\1"), (re.compile(r"^licenc"), "licens"),
                (re.compile(r"ogue$"), "og")]

STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "pt": "portuguese",
            "nl": "dutch", "id": "indonesian", "tr": "turkish", "pl": "polish", "sv": "swedish", "da": "danish"}
SUBSTRING_LANGUAGES = {ZH, "zh-Hant", "ja", "th", "ko", "lo", "km"}


@lru_cache(maxsize=None)
def _stemmer(language: str):
    name = STEMMERS.get(language.split("-")[0])
    return snowballstemmer.stemmer(name) if name else None


@lru_cache(maxsize=200_000)
def _normalize_word(word: str, language: str) -> str:
    """A word's lower-case Snowball stem (memoized: a policy corpus repeats a small vocabulary)."""
    lowered = word.casefold()
    if language.startswith("en"):
        for pattern, repl in _EN_SPELLING:
            lowered = pattern.sub(repl, lowered)
    stemmer = _stemmer(language)
    return stemmer.stemWord(lowered) if stemmer else lowered


def tokenize(text: str, language: str, case_sensitive: bool = False) -> list[tuple[str, int, int]]:
    """Tokens of ``text`` as (normalized form, start, end) in the original string.

    :param text: plain text (see :func:`plain_text`)
    :param language: the language whose stemmer applies to alphabetic words
    :param case_sensitive: a capitalized word then differs from its lower-case form (ODR ≠ odr)
    """
    split = Tokens(text)
    return list(zip(_norms(split.raws, language, case_sensitive), *split.offsets()))


#: :func:`_token_norm`'s answers per ``(language, case_sensitive)``: a plain dict look-up per token (the memoized
#: call with three arguments cost more than the rest of tokenizing, and tokenizing the current texts is most of the
#: glossary's evidence step); emptied when it holds more than :data:`_NORMS_MAX` words.
_NORMS: dict[tuple[str, bool], dict[str, str]] = {}
_NORMS_MAX = 200_000
_SPLIT_RE = re.compile(f"({_TOKEN_RE.pattern})")  # the tokens and, between them, what separates them
_SCANS = 8  # tokens looked up by TokenIndex.occurrences with list.index before it reads every token's positions


class Tokens:
    """A text cut into raw tokens once, whatever the language and case rule they are then normalized by.

    The cut does not depend on the language (:data:`_TOKEN_RE`), so one text's indexes in several languages or
    case rules share it; the tokens' character offsets are computed only when a span or snippet needs them.
    """

    def __init__(self, text: str):
        self.text = text
        self.raws: list[str] = _TOKEN_RE.findall(text)
        self._offsets = None

    def offsets(self) -> tuple[list[int], list[int]]:
        """``(starts, ends)``: the character offsets of each token (one C-speed pass: the lengths of the pieces of
        ``re.split`` with the token pattern captured, added up)."""
        if self._offsets is None:
            ends = list(accumulate(map(len, _SPLIT_RE.split(self.text))))
            self._offsets = (ends[0:-1:2], ends[1::2])
        return self._offsets


def _norms(raws: list[str], language: str, case_sensitive: bool) -> list[str]:
    """The normalized form of each raw token (:func:`_token_norm`, through the :data:`_NORMS` dict)."""
    norms = _NORMS.get((language, case_sensitive))
    if norms is None or len(norms) > _NORMS_MAX:
        norms = _NORMS[(language, case_sensitive)] = {}
    out = list(map(norms.get, raws))
    if None in out:  # words not seen yet
        for i, norm in enumerate(out):
            if norm is None:
                raw = raws[i]
                norm = norms.get(raw)
                if norm is None:
                    norm = norms[raw] = _token_norm(raw, language, case_sensitive)
                out[i] = norm
    return out


@lru_cache(maxsize=200_000)
def _token_norm(raw: str, language: str, case_sensitive: bool) -> str:
    """The normalized form of one token as matched in a text (memoized: texts repeat a small vocabulary)."""
    word = unicodedata.normalize("NFKC", raw)
    if len(word) == 1 and _CHAR_RE.match(word):
        return word
    norm = _normalize_word(word, language)
    if case_sensitive and word != word.casefold():
        norm = f"{norm}\x00{word}"  # distinct from the lower-case word
    return norm


@lru_cache(maxsize=100_000)
def term_tokens(term: str, language: str, case_sensitive: bool = False) -> tuple[str, ...]:
    """The normalized token sequence of a term (what :func:`find` looks for; memoized: candidates ask again for
    the same phrases)."""
    return tuple(_norms(_TOKEN_RE.findall(term), language, case_sensitive))


class TokenIndex:
    """A text tokenized once, to find many terms quickly.

    Only the normalized tokens are made up front (``norms``, one regex pass and one dict look-up per token);
    the character offsets (``tokens``) and the positions of every token (``positions``) are made when first
    read. :meth:`find` answers an absent first token with a set look-up (``vocabulary``) and otherwise reads
    the positions of that one token (:meth:`occurrences`, found with ``list.index`` and kept).

    :param tokens: the text already cut (:class:`Tokens`, shared by a text's indexes in several languages or
        case rules); default: cut here
    """

    def __init__(self, text: str, language: str, case_sensitive: bool = False, tokens: Tokens | None = None):
        self.text = text
        self._split = tokens if tokens is not None else Tokens(text)
        self.norms = _norms(self._split.raws, language, case_sensitive)
        self._vocabulary = self._tokens = self._positions = None
        self._occurrences: dict[str, list[int]] = {}

    @property
    def vocabulary(self) -> set[str]:
        """The distinct normalized tokens of the text."""
        if self._vocabulary is None:
            self._vocabulary = set(self.norms)
        return self._vocabulary

    @property
    def tokens(self) -> list[tuple[str, int, int]]:
        """(normalized form, start, end) of each token, as :func:`tokenize` gives them."""
        if self._tokens is None:
            self._tokens = list(zip(self.norms, *self._split.offsets()))
        return self._tokens

    @property
    def positions(self) -> dict[str, list[int]]:
        """The token indexes where each normalized token occurs."""
        if self._positions is None:
            self._positions = {}
            for i, norm in enumerate(self.norms):
                self._positions.setdefault(norm, []).append(i)
        return self._positions

    def occurrences(self, norm: str) -> list[int]:
        """The token indexes where ``norm`` occurs, in order: found with ``list.index`` and kept, for the first few
        tokens asked; after :data:`_SCANS` of them, from ``positions`` (one pass over every token)."""
        if self._positions is not None:
            return self._positions.get(norm, [])
        found = self._occurrences.get(norm)
        if found is None:
            if len(self._occurrences) >= _SCANS:
                return self.positions.get(norm, [])
            found = self._occurrences[norm] = []
            if norm in self.vocabulary:
                index, i = self.norms.index, -1
                try:
                    while True:
                        i = index(norm, i + 1)
                        found.append(i)
                except ValueError:
                    pass
        return found

    def positions_of(self, wanted) -> dict[str, list[int]]:
        """The token indexes of each token that is in ``wanted`` (a set or dict) and in the text, in order: one
        pass at C speed (``compress`` over ``wanted.__contains__``), then a step per occurrence."""
        norms, out = self.norms, {}
        for i in compress(range(len(norms)), map(wanted.__contains__, norms)):
            found = out.get(norms[i])
            if found is None:
                out[norms[i]] = [i]
            else:
                found.append(i)
        return out

    def find(self, seq: tuple[str, ...], positions: list[int] | None = None) -> list[tuple[int, int]]:
        """Token ranges [start, end) where ``seq`` occurs, without overlaps.

        :param positions: the token indexes of ``seq[0]`` when the caller has them (:meth:`positions_of`)
        """
        if not seq:
            return []
        if positions is None:
            if seq[0] not in self.vocabulary:
                return []
            positions = self.occurrences(seq[0])
        n = len(seq)
        if n == 1:
            return [(i, i + 1) for i in positions]
        norms, found, last_end = self.norms, [], -1
        for i in positions:
            if i >= last_end and tuple(norms[i:i + n]) == seq:
                found.append((i, i + n))
                last_end = i + n
        return found

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Character span of tokens [start, end)."""
        starts, ends = self._split.offsets()
        return starts[start], ends[end - 1]

    def snippet(self, start: int, end: int, width: int = 70) -> str:
        """The occurrence in brackets with some context either side, on one line."""
        a, b = self.span(start, end)
        left = re.sub(r"\s+", " ", self.text[max(0, a - width):a]).lstrip()
        right = re.sub(r"\s+", " ", self.text[b:b + width]).rstrip()
        middle = re.sub(r"\s+", " ", self.text[a:b])
        return f"{'…' if a > width else ''}{left}[{middle}]{right}{'…' if b + width < len(self.text) else ''}"
