"""Query parsing and CJK segmentation: the terms of a query, and the text as the short-term index sees it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.fold import fold
from pipeline.text import CJK, UNSPACED

#: Scripts written without spaces between words: Hiragana, Katakana, CJK
#: ideographs (with extension A and compatibility ideographs), Hangul syllables.
CJK_CLASS = CJK
CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
CJK_CHAR = re.compile(f"[{CJK_CLASS}]")
UNSPACED_CHAR = re.compile(f"[{UNSPACED}]")
QUERY_TERM = re.compile(r'"([^"]+)"|(\S+)')
#: A term shorter than this goes to the short-term index.
TRIGRAM_MIN = 3


def segment(text: str) -> str:
    """The text as the short-term index sees it: CJK runs as bigrams plus their last character.

    ``"申诉规则 EU"`` → ``" 申诉 诉规 规则 则  EU"``. Everything else is left to
    the ``unicode61`` tokenizer (words, numbers).

    :param text: a section's Markdown
    """

    def split(m):
        run = m.group(0)
        return " " + " ".join(run[i:i + 2] for i in range(len(run) - 1)) + " " + run[-1] + " "

    if not text or text.isascii():  # (half the sections: no CJK run to find)
        return text or ""
    return CJK_RUN.sub(split, text)


@dataclass
class Term:
    """One term of a query: ``text`` as typed (a word, or a phrase given in double quotes)."""

    text: str

    @property
    def short(self) -> bool:
        """Fewer than three characters: the trigram index cannot serve it."""
        return len(self.text) < TRIGRAM_MIN

    @property
    def words(self) -> bool:
        """A term of a script written with spaces (English, German, Korean...): it matches whole words,
        stemmed ("rate" finds "rates", never "calculated"), not any substring."""
        return not UNSPACED_CHAR.search(self.text)

    @property
    def index(self) -> str:
        """``trigram`` for a term of 3+ characters in a script written without spaces (Chinese, Japanese,
        Thai: any substring matches); ``short`` for every other term: a short one, and words (the
        ``unicode61`` index with Porter stemming, whole words)."""
        if self.short or self.words:
            return "short"
        return "trigram"

    def fts_trigram(self) -> str:
        """This term for the trigram index: a phrase that matches any substring (folded, as the index is)."""
        return '"' + fold(self.text).replace('"', '""') + '"'

    def fts_short(self) -> str:
        """This term for the segmented index, as a phrase of its tokens.

        A CJK run is its bigrams, plus its last character when other text
        follows it in the term (the index has that unigram at the end of every
        run); a lone CJK character at the end of the term is a prefix (it
        starts a bigram or ends a run). Other text is whole words for
        unicode61 (a prefix query on words, without a prefix index for them,
        merges every word that starts so: too slow on a large KB).
        """
        pieces = re.findall(f"[{CJK_CLASS}]+|[^{CJK_CLASS}]+", fold(self.text))
        parts, prefix = [], False
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            if CJK_CHAR.match(piece):
                tokens = [piece[j:j + 2] for j in range(len(piece) - 1)]
                if len(piece) == 1 or not last:
                    tokens.append(piece[-1])
                parts.extend(tokens)
                prefix = last and len(piece) == 1
            else:
                parts.append(piece.replace('"', '""'))
                prefix = False
        return '"' + " ".join(parts) + '"' + (" *" if prefix else "")

    def fts(self) -> str:
        """This term for the index that serves it (:attr:`index`)."""
        return self.fts_trigram() if self.index == "trigram" else self.fts_short()


def parse_query(query: str) -> list[Term]:
    """Split a query into terms: whitespace separates terms, ``"double quotes"`` keep a phrase.

    Terms without a letter or digit are dropped when shorter than three
    characters (the word index has nothing to match them with).

    :param query: the query as typed
    """
    terms = []
    for quoted, bare in QUERY_TERM.findall(query or ""):
        text = (quoted or bare).strip()
        if not text:
            continue
        term = Term(text)
        if term.short and not re.search(r"\w", text):
            continue
        terms.append(term)
    return terms
