"""Each version's section wordings from an index (issue 19: cite p95 1.3 s on the 5,000-version KB of
``bench/scale.py``).

The cite check reads, for each of up to 400 candidate versions, the wordings (content hashes) of its sections
(:mod:`kb.cite.candidates`: ``_POOL_WORDINGS``; about 45,000 section rows a quote on that KB), and then the few
sections whose wording it has not read yet, by version and content hash. ``section_spans`` had an index on
``(version_id, key)`` only, so each row was read from the table: 70 to 90 ms a quote. A covering index on
``(version_id, content_hash)`` answers both from the index (about 20 ms), for 6 % of that KB's size (42 MiB of
667). Nothing else changes: same rows, same answers.
"""

from kb.db import migrations


@migrations(name="m0830_section_wordings_index")
def m0830_section_wordings_index(db):
    db.execute("create index if not exists section_spans_version_wording on section_spans (version_id, content_hash)")
