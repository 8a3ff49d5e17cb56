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

Markdown link targets are dropped before matching, so the words of a URL
(``/help/report-abuse?ref=...``) never count as evidence.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

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
    norms = _NORMS.get((language, case_sensitive))
    if norms is None or len(norms) > _NORMS_MAX:
        norms = _NORMS[(language, case_sensitive)] = {}
    out = []
    for m in _TOKEN_RE.finditer(text):
        raw = m.group()
        norm = norms.get(raw)
        if norm is None:
            norm = norms[raw] = _token_norm(raw, language, case_sensitive)
        out.append((norm, m.start(), m.end()))
    return out


#: :func:`_token_norm`'s answers per ``(language, case_sensitive)``: a plain dict look-up per token (the memoized
#: call with three arguments cost more than the rest of tokenizing, and tokenizing the current texts is most of the
#: glossary's evidence step); emptied when it holds more than :data:`_NORMS_MAX` words.
_NORMS: dict[tuple[str, bool], dict[str, str]] = {}
_NORMS_MAX = 200_000


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


def term_tokens(term: str, language: str, case_sensitive: bool = False) -> tuple[str, ...]:
    """The normalized token sequence of a term (what :func:`find` looks for)."""
    return tuple(t for t, _, _ in tokenize(term, language, case_sensitive))


class TokenIndex:
    """A text tokenized once, with the positions of each token, to find many terms quickly."""

    def __init__(self, text: str, language: str, case_sensitive: bool = False):
        self.text = text
        self.tokens = tokenize(text, language, case_sensitive)
        self.norms = [t for t, _, _ in self.tokens]
        self.positions: dict[str, list[int]] = {}
        for i, norm in enumerate(self.norms):
            self.positions.setdefault(norm, []).append(i)

    def find(self, seq: tuple[str, ...]) -> list[tuple[int, int]]:
        """Token ranges [start, end) where ``seq`` occurs, without overlaps."""
        if not seq:
            return []
        n = len(seq)
        found, last_end = [], -1
        for i in self.positions.get(seq[0], ()):
            if i >= last_end and tuple(self.norms[i:i + n]) == seq:
                found.append((i, i + n))
                last_end = i + n
        return found

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Character span of tokens [start, end)."""
        return self.tokens[start][1], self.tokens[end - 1][2]

    def snippet(self, start: int, end: int, width: int = 70) -> str:
        """The occurrence in brackets with some context either side, on one line."""
        a, b = self.span(start, end)
        left = re.sub(r"\s+", " ", self.text[max(0, a - width):a]).lstrip()
        right = re.sub(r"\s+", " ", self.text[b:b + width]).rstrip()
        middle = re.sub(r"\s+", " ", self.text[a:b])
        return f"{'…' if a > width else ''}{left}[{middle}]{right}{'…' if b + width < len(self.text) else ''}"
