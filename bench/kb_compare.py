#!/usr/bin/env python3
"""Compare the derived content of two KB files (versions, sections, changes, section changes, dated statements,
checks' outcomes, rule values, concepts of changes, the glossary's evidence, candidates and drift): prints each
table's row count and whether the rows are identical.

    python bench/kb_compare.py BASE.db NEW.db

For checking that a faster build gives the same KB (``bench/extract_check.py`` checks the Markdown of pages).
Exit code 1 when a table differs.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys

QUERIES = {
    "versions": "select id, document_id, seq, content_hash, text_markdown, effective_date, observed_at, rules_hash,"
                " canonical_hash, language from versions order by id",
    "sections": "select id, version_id, key, heading, level, ordinal, text_markdown, content_hash, start_line,"
                " changed_at, changed_version_id from sections order by id",
    "changes": "select id, from_version_id, to_version_id, kind, reasons, chars_added, chars_removed, patch,"
               " effective_date, effective_date_source from changes order by id",
    "change_sections": "select * from change_sections order by id",
    "dated_statements": "select * from dated_statements order by id",
    "checks": "select document_id, checked_at, outcome, reason, content_hash, version_id, extracted_hash, selector"
              " from checks order by document_id, checked_at, outcome, content_hash",
    "documents": "select id, state, current_version_id, versions_count, last_changed from documents order by id",
    "rule_values": "select * from rule_values order by id",
    "rule_value_changes": "select * from rule_value_changes order by id",
    "change_concepts": "select * from change_concepts order by 1, 2",
    "glossary_evidence": "select * from glossary_evidence order by term_id, version_id, section_id",
    "glossary_candidates": "select * from glossary_candidates order by kb_platform_id, candidate",
    "glossary_drift": "select term_id, concept_id, kb_platform_id, document_id, last_seen_version_id, last_seen_at,"
                      " gone_version_id, gone_at, occurrences_before, replaced_by, replaced_by_count,"
                      " replaced_by_term_id from glossary_drift order by 1, 4, 5, 7",
}


def digest(db: str, query: str):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        h, n = hashlib.sha256(), 0
        for row in conn.execute(query):
            h.update(repr(row).encode())
            n += 1
        return n, h.hexdigest()
    except sqlite3.OperationalError as exc:
        return 0, f"n/a ({exc})"
    finally:
        conn.close()


def main(argv=None) -> int:
    base, new = (argv or sys.argv[1:])[:2]
    bad = 0
    for table, query in QUERIES.items():
        a, b = digest(base, query), digest(new, query)
        same = a == b
        bad += not same
        print(f"{table:19} {a[0]:7} rows {'identical' if same else f'DIFFER ({b[0]} rows)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
