"""Cite check: is this quote the current, effective wording, and what replaced it?

``cite(conn, quote)`` answers, for every document that holds the quote (or
held it), one of:

* ``current``: the quote is in the document's current version;
* ``changed``: it is no longer there, but the passage that replaced it is: the
  answer gives the current wording, a redline from the old wording, and when it
  changed (the first version without it);
* ``removed``: it is gone without a replacement, or the page itself is gone:
  the answer says when, and which was the last version that had it, the
  section it stood in, and ``now_in_place``: what now stands where it stood,
  labelled "now in this place", never as its replacement; or it was reworded
  into W and W was removed later (``removed_with: "successor"``): ``changed_at``
  the first date, ``removed_at`` the second, and ``history``, one step each with
  its version's permalink (a quote reworded twice, the last wording current, is
  ``changed`` with both steps in ``history``);
* ``not_found``: no version of any tracked document holds it (the closest
  passage, if there is a near miss, is given as ``closest``, with a redline of
  the quote against it: ``redline``, ``differences``).

Wording is text as the page shows it (:func:`~kb.cite.citation.wording`, on
:func:`pipeline.text.plain_text`): ``quoted_wording``, ``current_wording``, the
closest passage's ``wording``, the redline (diffed from these very strings) and
the citation carry no Markdown markup, a link being its text; the
``*_wording_markdown`` fields keep the links as Markdown links for a page to render.

Removed or changed is decided from evidence, and every answer says which
(``basis``) with a ``confidence`` (``high`` / ``medium``): the passage standing
where the quote stood (mapped through a word diff) is its replacement only
when it is in the same section (same key, or the section it moved to: the
heading's words under another number, or its number under other words), its position was aligned by a diff between unchanged
anchors (not merely the most similar stretch of a rewritten page; without
one, ``UNALIGNED_SIMILARITY``, 80, is needed instead), and its key form is at
least ``REPLACEMENT_SIMILARITY`` (55, rapidfuzz ``ratio``) alike;
``basis`` lists the ones that held and ``similarity`` the measure. Failing that,
the quote's *counterpart* may be its replacement (``basis`` ``counterpart``): a
sentence of the current text that is new wording (not elsewhere in the last
version with the quote) and the quote's closest, while no other sentence of that
version is closer to it; it replaced the quote in the quote's section (or the
one it moved to, also a renumbered and renamed section whose text is, both ways,
the closest to the old one's) at ``REPLACEMENT_SIMILARITY``, in another section
at ``MOVED_SIMILARITY`` (80: ``moved``); a quote whose words stand almost whole
(``CONTAINED_SIMILARITY``, 85, ``partial_ratio``) in a longer new clause of its
section was merged into it (``contained``). A diff-aligned passage in the section the quote's moved to by
position alone (``4.1.`` renumbered ``5.1.``, the two sections each other's closest) counts as its section
(``moved_section``). Otherwise the answer is ``removed``. When versions came between the quote's last one
and the current one, all this is asked of the version right after (the date of the change) and what replaced
the quote there is followed to the current text: a passage removed on D1 is never "changed on D1" into
wording the page gained on D3 (that is at most ``now_in_place``). ``current`` answers have basis ``["match"]``, a page taken
down ``["page"]``. ``bench/eval_cite.py`` measures it on ``../shared/corpus/``
against its own difflib alignment of sentences (see its docstring).

Every answer names platform, document, section, version date, the effective
date that applies to that section (:mod:`kb.timemodel`: its own, an enclosing
section's or the whole document's statement, never a sibling's), since when the
section's wording is unchanged (``wording_since``), whether it is in force
(``in_force``: yes / no / announced / unknown), the last successful check and a
permalink, with a ready-to-paste citation in English and Chinese. ``stale`` is
the one stale rule (no successful check for twice the document's own check
interval; ``stale_hours`` overrides): the KB may then be out of date, and the
answer says so instead of claiming the wording is current. With ``as_of``,
``as_of_status`` says what the page said then as far as the KB knew it:
``present``, ``absent``, ``not_tracked`` (before its first check) or
``not_checked`` (after its last one).

How a quote is matched
----------------------
Copy-paste damages text: whitespace and line breaks, case, curly vs straight
quotes, en/em dashes, full-width vs half-width characters (，vs ,, ２４ vs 24),
Markdown markup that the web page does not show, and a dropped word or two.
Both the quote and each version are reduced to a **key form**: NFKC, lower
case, Traditional Chinese folded to Simplified (:mod:`pipeline.fold`, the fold
search uses too), letters and digits only (every other character, including all quotes,
dashes and punctuation of every width, is dropped; link targets and HTML tags
are masked first). The key form keeps a map back to the raw text, so a match
is cut from the real wording. CJK characters are letters, so Chinese quotes
work the same way.

1. *Candidates* (:func:`candidate_versions`) come from search's own indexes
   (:mod:`kb.cite.candidates`: ``search_short`` for words of spaced scripts,
   ``search_trigram`` for pieces of the scripts written without spaces: Chinese,
   Japanese, Korean, Thai; each distinct section
   wording maps back to every version that has it): each of the quote's 8
   longest words is probed with a
   ``LIMIT`` (a common word stops early), the versions holding the rare ones
   are read and checked in Python for every word and word pair of the quote (a
   quote of common words only: the versions of the wordings that hold them
   together, which the index finds by intersecting the words' lists itself;
   never every version that has each word somewhere, tens of thousands on a
   large KB). A check of the whole KB first reads only the versions with a
   section wording that holds every word of the quote but the function words,
   short words and numbers included
   (:func:`~kb.cite.candidates.every_word_passages`, one index query): where it
   may stand whole, checked in those wordings alone. When none of them answers (a typo, a changed word, a quote
   across two sections), every candidate is read, as above. On a KB of shared
   text (a policy's copies on a marketplace's country sites) the one copy a
   quote names by a number or a site's name is then found however many copies
   hold its longer words, and their near misses are not read (issue 19).
   So a check reads a handful of versions, not the KB (each distinct section
   wording once, its lower-cased text kept per process by its content hash; a
   version drops out of the pool as soon as it misses more words or word pairs
   than it may). The wordings stored
   since the index was last synced (a build killed before its last step, or
   still running) are looked for in Python (:func:`~kb.cite.candidates.unindexed`,
   at most ``MAX_UNINDEXED``, newest first); beyond that every answer says
   how many versions the index is behind (``index_behind``) and that
   ``policykb build`` finishes it, instead of a silent ``not_found``.
2. *Locate* (:func:`locate`) in each candidate: an exact ``str.find`` of the
   key form (a long version is keyed a paragraph at a time, each paragraph's key
   kept per process by its own text, so a document's versions, which share most
   of their paragraphs, are keyed once: the very key and offsets of keying the
   whole text, :func:`~kb.cite.keytext.key_text`); failing that, rapidfuzz's ``partial_ratio_alignment`` (and every
   place where the quote's first or last 16 key characters occur) gives a
   window, aligned to the quote by a minimal diff (diff-match-patch, C++). It
   gives two numbers: ``q_err``, quote characters that are not in the text (a
   changed word or a typo), and ``gaps``, text characters the quote skips
   (dropped words: at most a third of the quote, or 16 letters / 6 CJK
   characters for a short one). A number is never a dropped word: a skipped
   digit or Chinese numeral, or one that runs on from a number at either end
   of the match (the quote's ``3`` in ``30-day``, ``5`` in ``15个``), counts
   in ``q_err`` (:data:`~kb.cite.locate.NUMERAL_RE`), so the match is not exact
   and the redline shows the number.
3. *Decide* per document by comparing the current version with older ones:
   ``current`` needs ``q_err == 0`` in the current version and no older version
   matching better (so "must not sell" → "must sell" is caught although a
   dropped word is tolerated); otherwise the newest version with the best
   match is the last that had it, and a word diff from it to the current
   version, of a window anchored on unchanged text around the quote, maps the
   quote onto its replacement: some text → ``changed``, nothing → ``removed``.

Why not diff-match-patch's ``match_main`` (Bitap): a pattern is at most 32
characters in the pure-Python implementation (64 in the C++ binding's
``match``), so a quote can only be located by its first 32 or 64 key
characters, and damage there (a dropped word) loses it; it scores errors
against the distance from an expected place that we do not have; the pure one
is slow on a long page. Measured by ``bench/eval_cite.py --matchers`` on 300
damaged quotes (curly quotes, case, line breaks, full-width digits, a dropped
word) sampled from 57 documents of ``../shared/corpus/``: ``match_main`` put
44.3 % at the right place (median 28 ms, p95 217 ms), the C++ ``match`` with
64 characters 14.0 % (1 ms), :func:`locate` 99.3 % (median 1.9 ms, p95 9.5 ms).

Modules, one job each: :mod:`~kb.cite.keytext` (key form and offset map),
:mod:`~kb.cite.locate` (fuzzy location), :mod:`~kb.cite.sentences` (where a sentence ends: "Inc.", "sog.",
"point 8. of" do not end one, by Moses' non-breaking prefixes of the document's language), :mod:`~kb.cite.candidates` (full-text
candidates), :mod:`~kb.cite.redline` (what replaced a passage; redlines, on
:mod:`pipeline.diff`), :mod:`~kb.cite.versions` (what the check reads from the
KB), :mod:`~kb.cite.citation` (citations and messages), :mod:`~kb.cite.answer`
(the answers and :func:`cite`), :mod:`~kb.cite.dates`, :mod:`~kb.cite.errors`, and
:mod:`~kb.cite.watchlist` (the saved citations, checked again after every build with :func:`cite`).
"""

from kb.cite.answer import (MAX_DOCUMENTS, MAX_VERSIONS_PER_DOC, MIN_QUOTE_WEIGHT, NEAR_PAIRS,
                            cite)
from kb.cite.candidates import (MAX_CANDIDATES, MAX_TOKENS, PROBE_LIMIT, STOPWORDS, candidate_versions,
                                quote_shingles, quote_tokens)
from kb.cite.citation import citation, message, permalink, section_labels, wording, wording_markdown
from kb.cite.dates import now_utc, parse_when, zh_date
from pipeline.timeutil import iso
from kb.cite.errors import CiteError
from kb.cite.keytext import CJK_RE, KeyText, key_form, key_text, quote_weight
from kb.cite.locate import Match, align, error_allowance, gap_allowance, locate, sentence_bounds
from kb.cite.redline import map_span, redline_ops, redline_text, replacement_span, word_diff
from kb.cite.versions import section_at, section_spans

__all__ = [
    "CJK_RE", "MAX_CANDIDATES", "MAX_DOCUMENTS", "MAX_TOKENS", "MAX_VERSIONS_PER_DOC", "MIN_QUOTE_WEIGHT",
    "NEAR_PAIRS", "PROBE_LIMIT", "STOPWORDS", "CiteError", "KeyText", "Match", "align",
    "candidate_versions", "citation", "cite", "error_allowance", "gap_allowance", "iso", "key_form", "key_text",
    "locate", "map_span", "message", "now_utc", "parse_when", "permalink", "quote_shingles", "quote_tokens",
    "quote_weight", "redline_ops", "redline_text", "replacement_span", "section_at", "section_labels",
    "section_spans", "sentence_bounds", "word_diff", "wording", "wording_markdown", "zh_date",
]
