"""How long the current rule values take to read with their first seen (the view ``rule_value_spans``).

    python bench/bench_rule_spans.py [--documents 300] [--versions 4] [--values 5]

A synthetic KB (a temporary file): each document has ``--versions`` versions, each stating ``--values`` values that
alternate between two numbers (4 → 3 → 4 ...), so every value has runs to find. Prints the seconds of
``kb.rules.current_values`` and of a full read of the view. Reading the view once per current value (a correlated
subquery) took 63 s at the defaults; joining it once takes about 0.1 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.db import open_db  # noqa: E402
from kb.rules import current_values  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--versions", type=int, default=4)
    parser.add_argument("--values", type=int, default=5)
    args = parser.parse_args(argv)
    docs, vers, vals = args.documents, args.versions, args.values
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(path=Path(tmp) / "kb.db")
        db["platforms"].insert({"id": "p", "name": "P"}, pk="id", alter=True)
        db["documents"].insert_all([{"id": f"p/{i}", "platform_id": "p", "title": "D", "url": "u",
                                     "current_version_id": f"p/{i}/{vers}"} for i in range(docs)], pk="id", alter=True)
        db["versions"].insert_all([{"id": f"p/{i}/{s}", "document_id": f"p/{i}", "seq": s,
                                    "observed_at": f"2026-01-{s:02d}"} for i in range(docs) for s in range(1, vers + 1)],
                                  pk="id", alter=True)
        db["rule_values"].insert_all([{
            "id": f"p/{i}/{s}/{k}/0", "version_id": f"p/{i}/{s}", "document_id": f"p/{i}", "platform_id": "p",
            "section_key": str(k), "ordinal": 0, "kind": "time_limit", "value": float(s % 2 + k), "unit": "day",
            "subject": "appeal", "comparator": "within", "time_window": "", "observed_at": f"2026-01-{s:02d}"}
            for i in range(docs) for s in range(1, vers + 1) for k in range(vals)])
        db.conn.commit()
        start = time.perf_counter()
        rows = current_values(db.conn)
        print(f"current_values: {len(rows)} values in {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        spans = db.execute("select count(*) from rule_value_spans").fetchone()[0]
        print(f"rule_value_spans: {spans} rows in {time.perf_counter() - start:.2f} s")
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
