"""Full-text search over sections, in Chinese and in English.

Two FTS5 indexes over the distinct wordings of every section, current or not:

- ``search_trigram`` (FTS5 ``trigram`` tokenizer): any substring of three
  characters or more, for the scripts written without spaces between words
  (``知识产权``, ``申诉材料``, Thai). It holds only the wordings with a
  character of those scripts (the only ones its terms can match): a trigram
  index is two to three times the text it indexes (UTF-8 bytes: about 2.1x for
  Chinese, 2.8x for English: ``bench/trigram_ratio.py``),
  and most policy text is in spaced scripts (``bench/storage.py``).
- ``search_short`` (FTS5 ``porter unicode61`` with a one-character prefix
  index) over a segmented copy of the text, where every run of Chinese,
  Japanese or Korean characters becomes its overlapping bigrams plus its last
  character. A two-character term (``申诉``, ``侵权``) is then one token, and a
  one-character term (``税``) a prefix query. Words of spaced scripts stay
  words, stemmed by Porter: every term of those (``EU``, ``counterfeit``,
  ``"late shipment rate"``) matches whole words, so "rate" finds "rates" and
  "late" never matches inside "calculated". Every term of a query that mixes
  short and long terms is served here too.

A trigram index alone matches nothing shorter than three characters, and on
SQLite 3.40 a ``LIKE '%申诉%'`` on a trigram table silently returns no rows;
an ``instr()`` scan of the content table is correct but grows with the KB
(about 0.2 s per 300,000 sections for a term with no hit). ``bench/search.py``
measures the choice on a million sections.

Both indexes are contentless (``content=''``): the text is in ``sections``;
what is indexed is its plain text (:func:`index_text`: link targets and
Markdown marks dropped, white space collapsed), folded by :func:`pipeline.fold.fold`
(Traditional Chinese to Simplified, full-width to ASCII, case), so a phrase matches across a
line break or bold marks, a URL in a link does not match a word, and 申訴 finds 申诉.
Queries are folded the same way; snippets are cut from the unfolded text.
Each distinct wording of a section (document, key, content hash) is indexed
once, at its first version; a hit says whether the current version still has
that wording. :func:`sync` keeps the indexes up to date after every build;
SQL triggers on ``sections`` queue deleted and updated rows (with their old
text, which a contentless index needs to forget them), and any change the
triggers cannot see (a table rebuilt, rows replaced) is caught by counting
and answered by re-indexing everything.

A second column, ``meta``, holds filter tokens (platform, document, type,
locale, month first seen, and whether the current version has the wording),
so that FTS5 itself narrows a filtered search; the SQL re-checks every filter.
``search_wordings`` keeps, per wording, only its rowid (its first section's),
its own tokens (month, current) and whether it is pending; the document's
tokens are in ``search_documents``, the document, key and content hash are the
section's, and the view ``search_sections`` puts them together (layout 7,
migration 0820).

A hit's snippet is cut from the stretch of its section's text around the first
match, made plain and folded a run of lines at a time, the same snippet as one
cut from the whole text (:func:`~kb.search.snippets.snippet`): sections of long
pages run to 100 KB, and whole texts made a page of hits slow.

Results come newest wording first (FTS5 walks the index by descending rowid
and stops at the page size), so a query for a character found in half the KB
costs no more than one found in ten sections; relevance ranking (``bm25``)
would have to score every match first.

The cite check finds its candidate versions in these indexes too (:mod:`kb.cite.candidates`).

Modules, one job each: :mod:`~kb.search.parse` (query terms and CJK
segmentation), :mod:`~kb.search.query` (the search itself),
:mod:`~kb.search.snippets` (plain text and snippets), :mod:`~kb.search.meta`
(filter tokens). Every write of the index (its tables, triggers, ``sync``
and ``reindex``) is in :mod:`kb.store.search_index`.
"""

from kb.search.meta import CURRENT_TOKEN, document_meta
from kb.search.parse import CJK_CHAR, CJK_CLASS, CJK_RUN, QUERY_TERM, TRIGRAM_MIN, Term, parse_query, segment
from kb.search.query import (CURRENT_SQL, MAX_FILTER_MONTHS, Filters, SearchResult, search, section_anchor)
from kb.search.snippets import index_text, normalized, snippet

__all__ = [
    "CJK_CHAR", "CJK_CLASS", "CJK_RUN", "CURRENT_SQL", "CURRENT_TOKEN", "MAX_FILTER_MONTHS",
    "QUERY_TERM", "TRIGRAM_MIN", "Filters", "SearchResult", "Term", "document_meta", "normalized", "parse_query",
    "index_text", "search", "section_anchor", "segment", "snippet",
]
