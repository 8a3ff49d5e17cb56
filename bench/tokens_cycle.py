#!/usr/bin/env python3
"""Append a tokens-only cycle to a data folder: every document's latest page again, its bytes changed, its text not.

    python bench/tokens_cycle.py DATA [--at 2023-09-01T00:00:00Z]

For measuring a build on such a cycle without the peers harness (``bench/peers`` serves the same cycle over HTTP,
``2023-07-01+tokens``): one new WARC, written by :class:`pipeline.archive.WarcArchive` as a crawl writes it, holding
for each document of the folder's WARCs its latest archived page with a per-request token in an attribute and a
comment of its content (the harness's form), as a 200 response. A build should record no version for it.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The content element, with the token an earlier tokens-only cycle gave it, if any.
MAIN_RE = re.compile(rb'<main id="policykb-replay-content"(?: data-request-token="[0-9a-f]+")?>(?:\n<!-- request [0-9a-f]+ -->)?')


def main(argv=None) -> int:
    from pipeline.archive import Fetch, WarcArchive, iter_records

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--at", default="2023-09-01T00:00:00Z", help="the cycle's fetch time")
    args = parser.parse_args(argv)
    latest = {}
    for record in iter_records(args.data):
        if record.kind == "response" and record.body:
            latest[record.document] = record
    with WarcArchive(args.data) as warc:
        for doc, record in sorted(latest.items()):
            token = uuid.uuid4().hex.encode()
            body = MAIN_RE.sub(b'<main id="policykb-replay-content" data-request-token="' + token + b'">\n<!-- request '
                               + token + b" -->", record.body, count=1)
            warc.write(Fetch(document=doc, url=record.url, final_url=record.url, status=200, headers=record.headers,
                             body=body, fetched_at=args.at, observed_at=args.at))
    print(f"{len(latest)} pages with tokens archived at {args.at}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
