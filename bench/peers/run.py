"""Run policykb, Open Terms Archive's engine and changedetection.io on the same replayed history.

For each N, a replay server on 127.0.0.1 serves N synthetic documents (the corpus's
real documents under N URLs over 50 hostnames, see ``synthetic_site.py``); each tool
then runs one tracking cycle per date of ``--dates``, the server's clock moved to that
date before each. Every cycle is measured (wall time, CPU time and peak RSS and PSS of the
tool's process tree, bytes stored, answers the server gave) and bounded by
``--timeout``; a tool that exceeds it is reported as "timed out after X s" and its
later cycles at that N are skipped. A tool that cannot run here is recorded with the
reason, and the others still run.

Results are merged into ``--results`` (JSON, one entry per tool, N and politeness);
``report.py`` turns them into ``bench/results/peers.md`` and ``peers.png``.

Example::

    nice -n 19 .venv/bin/python bench/peers/run.py --n 100 --tools policykb,cdio,ota
    nice -n 19 .venv/bin/python bench/peers/run.py --n 1000 --tools policykb --no-politeness
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parents[1]) not in sys.path:  # run as a script: make the repository importable
    sys.path.insert(0, str(HERE.parents[1]))

from bench.peers.synthetic_site import CORPUS, HOSTS, BenchSite, split_date, start_server  # noqa: E402
from bench.peers.tools import TOOLS, export_commit  # noqa: E402

#: First cycle, a cycle where nothing changed (same date again), a cycle where the corpus changed, and a cycle
#: where every page's bytes change (per-request tokens) but no text does.
DEFAULT_DATES = ("2023-01-01", "2023-01-01", "2023-07-01", "2023-07-01+tokens")
RESULTS = HERE / "results.json"


def cycle_kinds(site: BenchSite, dates) -> list[tuple[str, int]]:
    """Label each cycle ``first``, ``no change``, ``change`` or ``tokens only`` (bytes changed, texts not), with
    how many documents changed."""
    kinds = []
    for k, date in enumerate(dates):
        if k == 0:
            kinds.append(("first", len(site.documents)))
            continue
        changed = site.changed_between(dates[k - 1], date)
        kinds.append(("change" if changed else "tokens only" if split_date(date)[1] else "no change", changed))
    return kinds


def run_tool(tool_cls, site: BenchSite, server, dates, work: Path, timeout: float, politeness: bool,
             note: str = "", save=None) -> dict:
    """Set up one tool and run one cycle per date; returns its result entry.

    :param save: called with the entry after every cycle, so a run stopped halfway keeps what it measured
    """
    save = save or (lambda entry: None)
    kinds = cycle_kinds(site, dates)
    tool = tool_cls(work, site, server, politeness=politeness)
    entry = {
        "tool": tool.name, "label": tool.label, "n": len(site.documents), "hosts": len({d.host for d in site.documents}),
        "politeness": politeness, "politeness_note": "" if politeness else tool.politeness_note(),
        "dates": list(dates), "timeout_s": timeout, "expected_versions": site.expected_versions(dates),
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "load_before": os.getloadavg()[0],
        "note": note, "unavailable": tool.unavailable(), "version": None, "setup": None, "cycles": [],
        "versions": None,
    }
    if entry["unavailable"]:
        print(f"  {tool.name}: cannot run here: {entry['unavailable']}", flush=True)
        return entry
    entry["version"] = tool.version()
    work.mkdir(parents=True, exist_ok=True)
    try:
        setup = tool.setup(timeout)
        entry["setup"] = {"wall_s": setup.wall_s, "cpu_s": setup.cpu_s, "peak_rss": setup.peak_rss,
                          "peak_pss": setup.peak_pss, "status": setup.status}
        if not setup.ok:
            print(f"  {tool.name}: setup failed: {setup.status}", flush=True)
            return entry
        stopped = None
        for k, (date, (kind, changed)) in enumerate(zip(dates, kinds)):
            record = {"cycle": k + 1, "date": date, "kind": kind, "changed_docs": changed}
            if stopped:
                record["status"] = stopped
                entry["cycles"].append(record)
                continue
            server.as_of = _when(split_date(date)[0])
            site.tokens = split_date(date)[1]
            with server.count_lock:
                server.status_counts.clear()
            before = tool.stored_bytes()
            m = tool.cycle(timeout)
            with server.count_lock:
                served = {str(k): v for k, v in sorted(server.status_counts.items())}
            after = tool.stored_bytes()
            record.update({"wall_s": round(m.wall_s, 3), "cpu_s": round(m.cpu_s, 3), "peak_rss": m.peak_rss,
                           "peak_pss": m.peak_pss, "stored_bytes": after, "added_bytes": after - before, "served": served,
                           "status": m.status, **m.extra})
            entry["cycles"].append(record)
            record["versions_after"] = tool.versions()
            record["expected_after"] = site.expected_versions(dates[:k + 1])
            entry["versions"], entry["stored_bytes"] = record["versions_after"], after
            entry["expected_versions_so_far"] = record["expected_after"]
            save(entry)
            print(f"  {tool.name} N={len(site.documents)} cycle {k + 1} ({kind}, {date}): {m.wall_s:.1f} s wall, "
                  f"{m.cpu_s:.1f} s CPU, peak {m.peak_rss / 2**20:.0f} MiB RSS / {m.peak_pss / 2**20:.0f} MiB PSS, +{(after - before) / 2**20:.1f} MiB, "
                  f"served {served}: {m.status}", flush=True)
            if not m.ok:
                stopped = f"skipped: cycle {k + 1} {m.status}"
        entry["versions"] = tool.versions()
        entry["stored_bytes"] = tool.stored_bytes()
    finally:
        tool.close()
    print(f"  {tool.name}: {entry['versions']} versions recorded, {entry['expected_versions']} in the corpus "
          f"over these dates", flush=True)
    return entry


def _when(date):
    from replay.server import parse_when

    return parse_when(date)


def merge_results(path: Path, entries: list[dict]) -> None:
    """Replace the entries of the same tool, N and politeness; keep the others.

    Two runs may finish at once (one N per process): the read-modify-write holds a lock.
    """
    import fcntl

    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = json.loads(path.read_text()) if path.exists() else []
        keys = {(e["tool"], e["n"], e["politeness"]) for e in entries}
        kept = [e for e in existing if (e["tool"], e["n"], e["politeness"]) not in keys]
        merged = sorted(kept + entries, key=lambda e: (e["n"], not e["politeness"], e["tool"]))
        path.write_text(json.dumps(merged, indent=1) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="number of synthetic documents (repeatable)")
    parser.add_argument("--tools", default="policykb,ota,cdio", help="comma-separated: " + ",".join(TOOLS))
    parser.add_argument("--dates", default=",".join(DEFAULT_DATES), help="one cycle per date, in order")
    parser.add_argument("--timeout", type=float, default=1500, help="seconds allowed per tool and cycle")
    parser.add_argument("--no-politeness", dest="politeness", action="store_false",
                        help="switch each tool's politeness delays off (cost per document)")
    parser.add_argument("--hosts", type=int, default=HOSTS, help="hostnames the documents are spread over")
    parser.add_argument("--corpus", default=str(CORPUS), help="the corpus folder (shared/corpus)")
    parser.add_argument("--work", default=str(HERE / "work"), help="scratch folder for the tools' data")
    parser.add_argument("--results", default=str(RESULTS), help="JSON file the results are merged into")
    parser.add_argument("--keep", action="store_true", help="keep the tools' data folders after the run")
    parser.add_argument("--note", default="", help="a remark recorded with the results (e.g. what else ran)")
    parser.add_argument("--policykb-commit", default=None,
                        help="measure this commit of policykb (exported with git archive) instead of the working tree")
    args = parser.parse_args(argv)

    dates = [d.strip() for d in args.dates.split(",") if d.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        parser.error(f"unknown tool(s) {', '.join(unknown)}; known: {', '.join(TOOLS)}")
    if not Path(args.corpus).is_dir():
        print(f"error: no corpus at {args.corpus} (shared/corpus beside the repository)", file=sys.stderr)
        return 2
    if args.policykb_commit:
        TOOLS["policykb"].root = Path(args.work) / "policykb-src"
        sha = export_commit(args.policykb_commit, TOOLS["policykb"].root)
        TOOLS["policykb"].source = f"commit {sha}"
    entries = []
    for n in args.n or [100]:
        site = BenchSite(n, args.corpus, hosts=args.hosts)
        site.prepare(dates)
        server = start_server(site, split_date(dates[0])[0])
        print(f"N={n}: {len(site.documents)} documents over {min(n, args.hosts)} hosts, served by {server.url}; "
              f"cycles {', '.join(dates)}; {site.expected_versions(dates)} versions in the corpus", flush=True)
        try:
            for name in tools:
                work = Path(args.work) / f"n{n}-{'polite' if args.politeness else 'fast'}-{name}"
                shutil.rmtree(work, ignore_errors=True)
                entry = run_tool(TOOLS[name], site, server, dates, work, args.timeout, args.politeness, args.note,
                                 save=lambda e: merge_results(Path(args.results), [e]))
                entries.append(entry)
                merge_results(Path(args.results), [entry])
                if not args.keep:
                    shutil.rmtree(work, ignore_errors=True)
        finally:
            server.stop()
    return 0


def _stop(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, _stop)  # `kill PID` stops the tool under test too, keeping finished cycles
    started = time.monotonic()
    code = main()
    print(f"done in {time.monotonic() - started:.0f} s", flush=True)
    sys.exit(code)
