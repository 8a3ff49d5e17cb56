#!/usr/bin/env python3
"""Load test: concurrent clients against a real ``policykb serve`` on 127.0.0.1.

Starts ``policykb serve`` on a KB (``--data``; without it, the demo KB is built
first in a temporary folder), then runs ``--clients`` concurrent HTTP clients
(httpx, asyncio) that search, open documents and open diffs until ``--duration``
seconds have passed or ``--max-requests`` requests were made, whichever comes
first. Prints the request count, throughput, the errors (non-200 answers,
timeouts, refused connections) and p50/p95/p99 latency, overall and per kind;
the last line is ``load: requests=N errors=E p50=…ms p95=…ms p99=…ms rps=…``.

Usage::

    bench/load.py [--data DIR] [--clients 50] [--duration 60] [--max-requests 50000] [--json]

Example: .venv/bin/python bench/load.py --data data/demo --clients 50 --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
#: Search terms: English words, phrases, two-character and longer Chinese words, a miss.
SEARCH_TERMS = ["counterfeit", "appeal", "account health", "refund", "penalty", "intellectual property", "申诉",
                "侵权", "退款", "违规", "知识产权", "卖家", "order defect rate", "nothing-matches-this-xyz"]
WEIGHTS = {"search": 0.4, "document": 0.35, "diff": 0.25}


def percentile(values, q):
    """The q-th percentile (0..100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_demo(data: Path):
    """The demo KB (3 platforms, 10 documents, 3 dates), built by the real CLI."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "kb.cli", "demo", "--no-serve", "--data", str(data)], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL, timeout=900)


def targets(data: Path, base: str) -> dict:
    """Request paths of each kind, from the KB itself."""
    conn = sqlite3.connect(f"file:{data / 'policykb.db'}?mode=ro", uri=True)
    try:
        docs = [r[0] for r in conn.execute("select id from documents where versions_count > 0")]
        pairs = [(r[0], r[1], r[2]) for r in conn.execute(
            "select f.document_id, f.seq, t.seq from changes c join versions f on f.id = c.from_version_id "
            "join versions t on t.id = c.to_version_id")]
    finally:
        conn.close()
    search = "/-/policykb/search?q="
    if httpx.get(base + search + "appeal", timeout=60).status_code == 404:  # no search page: Datasette's FTS
        search = "/policykb/versions?_search="
    return {
        "search": [search + quote(t) for t in SEARCH_TERMS],
        "document": [f"/-/policykb/doc/{d}" for d in docs],
        "diff": [f"/-/policykb/diff/{d}/{a}..{b}" for d, a, b in pairs] or [f"/-/policykb/doc/{d}" for d in docs],
    }


async def client(http, paths, deadline, budget, results, rng):
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    while time.monotonic() < deadline and budget["left"] > 0:
        budget["left"] -= 1
        kind = rng.choices(kinds, weights)[0]
        path = rng.choice(paths[kind])
        started = time.perf_counter()
        try:
            response = await http.get(path)
            await response.aread()
            ok = response.status_code == 200
            error = None if ok else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {str(exc)[:80]}"
        results.append((kind, (time.perf_counter() - started) * 1000, ok, error, path))


#: uvicorn's default ``timeout_keep_alive``, which ``datasette serve`` keeps
SERVER_KEEPALIVE_S = 5


async def run(base, paths, clients, duration, max_requests, timeout, seed, keepalive=True):
    results = []
    budget = {"left": max_requests}
    # An idle pooled connection must expire on the client before the server closes it: Datasette's uvicorn
    # closes idle keep-alive connections after 5 s, httpx's default expiry is also 5 s, and a request sent on a
    # connection the server is closing at that moment fails with ReadError (uvicorn's documented race, not a
    # server fault). A reverse proxy in front needs the same: its upstream idle timeout under 5 s.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients if keepalive else 0,
                          keepalive_expiry=SERVER_KEEPALIVE_S - 1)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as http:
        started = time.monotonic()
        deadline = started + duration
        await asyncio.gather(*(client(http, paths, deadline, budget, results, random.Random(seed + i))
                               for i in range(clients)))
        elapsed = time.monotonic() - started
    return results, elapsed


def summarize(results, elapsed, clients) -> dict:
    def stats(rows):
        ms = [r[1] for r in rows]
        return {"requests": len(rows), "errors": sum(1 for r in rows if not r[2]),
                "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "p99_ms": percentile(ms, 99),
                "mean_ms": statistics.fmean(ms) if ms else None}

    by_kind = defaultdict(list)
    for r in results:
        by_kind[r[0]].append(r)
    errors = defaultdict(int)
    for r in results:
        if not r[2]:
            errors[f"{r[3]} {r[4]}"] += 1
    return {"clients": clients, "seconds": round(elapsed, 1), "rps": round(len(results) / elapsed, 1) if elapsed else 0,
            **stats(results), "kinds": {k: stats(v) for k, v in sorted(by_kind.items())},
            "error_samples": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:10])}


def fmt(v):
    return "-" if v is None else f"{v:.0f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a data folder with policykb.db (default: build the demo KB)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="stop after this many requests")
    parser.add_argument("--timeout", type=float, default=30, help="per-request timeout, seconds (default 30)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-keepalive", action="store_true",
                        help="a new connection per request (tells keep-alive races apart from real errors)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    tmp = None
    data = args.data
    if data is None:
        tmp = tempfile.TemporaryDirectory(prefix="pkb-load-")
        data = Path(tmp.name) / "demo"
        print("building the demo KB ...", file=sys.stderr)
        build_demo(data)
    if not (data / "policykb.db").exists():
        parser.error(f"no KB at {data / 'policykb.db'}")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--data", str(data), "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(os.environ.get("POLICYKB_LOAD_SERVER_LOG", os.devnull), "w"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("policykb serve did not start")
            time.sleep(0.3)
        paths = targets(data, base)
        results, elapsed = asyncio.run(run(base, paths, args.clients, args.duration, args.max_requests,
                                           args.timeout, args.seed, not args.no_keepalive))
    finally:
        server.terminate()
        server.wait(timeout=15)
        if tmp:
            tmp.cleanup()
    summary = summarize(results, elapsed, args.clients)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return summary
    print(f"{summary['requests']} requests from {args.clients} clients in {summary['seconds']} s "
          f"({summary['rps']} requests/s) against policykb serve at {base}")
    print(f"{'kind':<10}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, s in summary["kinds"].items():
        print(f"{kind:<10}{s['requests']:>9}{s['errors']:>8}{fmt(s['p50_ms']):>9}{fmt(s['p95_ms']):>9}"
              f"{fmt(s['p99_ms']):>9}")
    for what, n in summary["error_samples"].items():
        print(f"  error x{n}: {what}")
    print(f"load: requests={summary['requests']} errors={summary['errors']} p50={fmt(summary['p50_ms'])}ms "
          f"p95={fmt(summary['p95_ms'])}ms p99={fmt(summary['p99_ms'])}ms rps={summary['rps']}")
    return summary


if __name__ == "__main__":
    main()
