"""Time the brief's parts on a KB: impact by concept (all changes again, as after a glossary change), the
brief over the KB's whole history (Markdown, Chinese, and sanitized HTML), and the calendar.

    python bench/brief_speed.py --data DATA [--repeat 5]

Prints one JSON object: the KB's substantive changes and sections touched, and the best of ``--repeat``
runs of each part, in milliseconds. It writes ``change_concepts`` (as a build does), so point it at a copy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import brief, calendar  # noqa: E402
from kb.db import open_db  # noqa: E402
from kb.impact import refresh_change_concepts  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(min(times) * 1000, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    db = open_db(args.data)
    conn = db.conn
    whole = ("1970-01-01", "9999-12-31")
    result = {
        "substantive_changes": conn.execute("select count(*) from changes where kind = 'substantive'").fetchone()[0],
        "sections_touched": conn.execute("select count(*) from change_sections where kind = 'substantive'"
                                         " or kind is null").fetchone()[0],
        "impact_all_ms": best(lambda: refresh_change_concepts(db, force=True), args.repeat),
        "impact_nothing_new_ms": best(lambda: refresh_change_concepts(db), args.repeat),
        "brief_md_zh_ms": best(lambda: brief.markdown(brief.brief(conn, *whole), "zh"), args.repeat),
        "brief_html_zh_ms": best(lambda: brief.html_page(brief.brief(conn, *whole), "zh"), args.repeat),
        "calendar_ms": best(lambda: calendar.ics(calendar.effective_events(conn)), args.repeat),
    }
    db.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
