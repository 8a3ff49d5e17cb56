"""Turn ``results.json`` (from ``run.py``) into ``bench/results/peers.md`` and ``peers.png``.

Every figure in the page comes from the JSON; the ratios and the goal checks are
computed here, never typed in.

Example::

    .venv/bin/python bench/peers/report.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
OUT_DIR = HERE.parent / "results"
OBSERVATIONS = HERE / "observations.md"
MIB = 2**20
GIB = 2**30
ORDER = {"policykb": 0, "ota": 1, "cdio": 2}


def load(path) -> list[dict]:
    return json.loads(Path(path).read_text()) if Path(path).exists() else []


#: The kinds of cycle, in the order the tables show them (``run.cycle_kinds``); an older run lacks the last.
KINDS = ("first", "no change", "change", "tokens only")


def cycle_of(entry: dict, kind: str) -> dict | None:
    """The first cycle of a kind (one of :data:`KINDS`) in an entry."""
    for c in entry.get("cycles", []):
        if c["kind"] == kind:
            return c
    return None


def ran(c: dict | None) -> bool:
    return bool(c) and c.get("status") == "ok"


def fmt_s(c: dict | None, key="wall_s") -> str:
    if not c:
        return "–"
    if c.get("status") != "ok":
        status = c.get("status", "")
        if status.startswith("timed out"):
            # The wall cell says so; the CPU cell gives what it had used by then (a lower bound).
            if key == "cpu_s":
                return f"> {c[key]:.0f}" if c.get(key) is not None else "not captured"
            return status
        return "skipped" if status.startswith("skipped") else "not measured"
    v = c[key]
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def fmt_mib(v) -> str:
    if v is None:
        return "–"
    return f"{v / MIB:.0f}" if abs(v) >= 10 * MIB else f"{v / MIB:.1f}"


def fmt_peak(cycle) -> str:
    """A cycle's peak memory: the PSS sum with the RSS sum beside it, or the RSS sum alone (a run before PSS)."""
    if not cycle or "peak_rss" not in cycle:
        return "–"
    if "peak_pss" not in cycle:
        return fmt_mib(cycle["peak_rss"])
    return f"{fmt_mib(cycle['peak_pss'])} ({fmt_mib(cycle['peak_rss'])} RSS)"


def fmt_bytes(v) -> str:
    """A byte count for small deltas: bytes, KiB or MiB, signed."""
    if v is None:
        return "–"
    if abs(v) < 10 * 1024:
        return f"{v:+,d} B"
    if abs(v) < 10 * MIB:
        return f"{v / 1024:+,.0f} KiB"
    return f"{v / MIB:+,.0f} MiB"


def ratio(a: dict | None, b: dict | None, key="wall_s") -> str:
    """a / b, or a bound when one of them timed out (its figure is then a lower bound)."""
    if not a or not b:
        return "–"
    if ran(a) and b.get("status", "").startswith("timed out"):
        bound = b.get("timeout_s") if key == "wall_s" else b.get(key)
        return f"< {a[key] / bound:.2f}×" if bound else "–"
    if not ran(b):
        return "–"
    if ran(a):
        r = a[key] / b[key]
        return f"{r:.0f}×" if r >= 10 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"
    if a.get("status", "").startswith("timed out"):
        bound = a.get("timeout_s") if key == "wall_s" else a.get(key)
        if bound is None:
            return "–"
        return f"> {bound / b[key]:.1f}×" if bound else "–"
    return "–"


def reason(entry: dict) -> str:
    if entry.get("unavailable"):
        return f"cannot run here: {entry['unavailable']}"
    if entry.get("setup") and entry["setup"].get("status") != "ok":
        return f"setup failed: {entry['setup']['status']}"
    return ""


def label(entry: dict) -> str:
    version = f" {entry['version']}" if entry.get("version") else ""
    return f"{entry['label']}{version}"


def _with_timeout(entries):
    for e in entries:
        for c in e.get("cycles", []):
            c.setdefault("timeout_s", e.get("timeout_s"))
    return entries


def tables(entries: list[dict]) -> str:
    entries = _with_timeout(sorted(entries, key=lambda e: (e["n"], ORDER.get(e["tool"], 9))))
    polite = [e for e in entries if e["politeness"]]
    fast = [e for e in entries if not e["politeness"]]
    base = {e["n"]: e for e in polite if e["tool"] == "policykb"}
    out = []

    out.append("## Cycle time, politeness on (each tool's defaults)\n")
    out.append("Wall and CPU seconds of one tracking cycle (the tool's whole process tree). \"× policykb\" is "
               "the tool's wall time over policykb's for the same cycle: above 1 policykb was faster, below 1 "
               "the peer was. CPU time is the steadier figure on this shared machine (see the last table).\n")
    out.append("| tool | N | " + " | ".join(f"{k}: wall s | CPU s" for k in KINDS)
               + f" | wall × policykb ({' / '.join(KINDS)}) | CPU × policykb |")
    out.append("|---|---:|" + "---:|---:|" * len(KINDS) + "---|---|")
    for e in polite:
        why = reason(e)
        if why:
            out.append(f"| {label(e)} | {e['n']} | {why} |" + "|" * (2 * len(KINDS) + 1))
            continue
        cycles = [cycle_of(e, k) for k in KINDS]
        b = base.get(e["n"])
        ratios = "–" if e["tool"] == "policykb" or not b else " / ".join(
            ratio(c, cycle_of(b, k)) for c, k in zip(cycles, KINDS))
        cpu_ratios = "–" if e["tool"] == "policykb" or not b else " / ".join(
            ratio(c, cycle_of(b, k), "cpu_s") for c, k in zip(cycles, KINDS))
        cells = []
        for c, k in zip(cycles, KINDS):
            changed = f" ({c['changed_docs']} docs changed)" if c and k == "change" else ""
            cells += [fmt_s(c) + changed, fmt_s(c, "cpu_s")]
        out.append(f"| {label(e)} | {e['n']} | {' | '.join(cells)} | {ratios} | {cpu_ratios} |")

    split = [e for e in polite if e["tool"] == "policykb" and not reason(e)]
    if split:
        out.append("\npolicykb's cycle in its two processes (CPU s): `policykb crawl` (fetch, archive to WARC) "
                   "and `policykb build` (extract, normalize, diff, write the KB).\n")
        out.append("| N | " + " | ".join(f"{k}: crawl / build" for k in KINDS) + " |")
        out.append("|---:|" + "---|" * len(KINDS))
        for e in split:
            cells = []
            for kind in KINDS:
                c = cycle_of(e, kind)
                if c and "crawl_cpu_s" in c:
                    cells.append(f"{c['crawl_cpu_s']:.1f} / {c['build_cpu_s']:.1f}"
                                 + ("" if ran(c) else " (timed out)"))
                else:
                    cells.append("–")
            out.append(f"| {e['n']} | {' | '.join(cells)} |")

    out.append("\n## Memory, storage, requests\n")
    out.append("Peak memory of the tool's process tree during the cycle: the sum of PSS over its processes (each shared "
               "page split between the processes that map it), with the sum of RSS beside it where the run measured "
               "both (older runs: RSS only); bytes stored in its data folder after the "
               "last cycle, and added by the no-change cycle; the replay server's answers in the no-change cycle "
               "(304 = a conditional request answered \"not modified\").\n")
    out.append("| tool | N | peak MiB: " + " / ".join(KINDS) + " | stored MiB | added by no-change cycle "
               "| content bytes stored by no-change cycle | answers in no-change cycle |")
    out.append("|---|---:|---|---:|---:|---:|---|")
    for e in polite:
        if reason(e):
            continue
        cycles = [cycle_of(e, k) for k in KINDS]
        peaks = " / ".join(fmt_peak(c) for c in cycles)
        same = cycles[1]
        added = fmt_bytes(same.get("added_bytes")) if same and "added_bytes" in same else "–"
        content = "–"
        if same and "content_bytes" in same:
            content = f"{same['content_bytes']:,} (WARC: {same.get('warc_records')})"
        elif e["tool"] != "policykb" and same and "added_bytes" in same:
            content = "not separable"
        served = ", ".join(f"{k}: {v}" for k, v in (same or {}).get("served", {}).items()) or "–"
        out.append(f"| {label(e)} | {e['n']} | {peaks} | {fmt_mib(e.get('stored_bytes'))} | {added} | {content} "
                   f"| {served} |")

    out.append("\n## Versions recorded over the whole history\n")
    out.append("The corpus's own count: for each document, one version per run of equal texts served at the "
               "cycle dates (a text that comes back after another counts again).\n")
    out.append("| tool | N | versions recorded | corpus's own count | agreement |")
    out.append("|---|---:|---:|---:|---|")
    for e in polite:
        if reason(e) or e.get("versions") is None:
            continue
        complete = all(c.get("status") == "ok" for c in e["cycles"]) and len(e["cycles"]) == len(e["dates"])
        got, want = e["versions"], e.get("expected_versions_so_far", e["expected_versions"])
        verdict = "exact" if got == want else (f"{want - got} missing" if got < want else f"{got - want} extra")
        if not complete:
            verdict += " (not every cycle finished: not a verdict on accuracy)"
        out.append(f"| {label(e)} | {e['n']} | {got} | {want} | {verdict} |")

    if fast:
        out.append("\n## Cost per document, politeness off\n")
        out.append("Milliseconds per document of a cycle with the tool's politeness delays switched off, which "
                   "isolates the processing cost.\n")
        out.append("| tool | N | " + " | ".join(f"{k}: wall ms/doc | CPU ms/doc" for k in KINDS)
                   + " | politeness off means |")
        out.append("|---|---:|" + "---:|---:|" * len(KINDS) + "---|")
        for e in fast:
            why = reason(e)
            if why:
                out.append(f"| {label(e)} | {e['n']} | {why} |" + "|" * (2 * len(KINDS)))
                continue
            cells = []
            for kind in KINDS:
                c = cycle_of(e, kind)
                for key in ("wall_s", "cpu_s"):
                    cells.append(f"{1000 * c[key] / e['n']:.0f}" if ran(c) else fmt_s(c, key))
            out.append(f"| {label(e)} | {e['n']} | {' | '.join(cells)} | {e.get('politeness_note', '')} |")
    return "\n".join(out) + "\n"


def goals(entries: list[dict]) -> str:
    """The issue's goals, each checked against the figures."""
    polite = [e for e in entries if e["politeness"] and not reason(e)]
    pk = {e["n"]: e for e in polite if e["tool"] == "policykb"}
    # the wall-time goal is judged on policykb's run with its politeness off (a per-host delay is a deliberate cost;
    # the peers have none to switch off), its defaults' run where none was made
    pk_fast = {e["n"]: e for e in entries if not e["politeness"] and not reason(e) and e["tool"] == "policykb"}
    lines = ["## Goals\n"]

    # 1. >= 10x faster than the fastest peer by wall time, and no slower by CPU, at N >= 1000.
    verdicts = []
    for n in sorted(set(pk) | set(pk_fast)):
        b = pk_fast.get(n) or pk[n]
        mode = "politeness off" if n in pk_fast else "politeness on: no run with it off"
        if n < 1000:
            continue
        for kind in KINDS:
            mine = cycle_of(b, kind)
            peers = [cycle_of(e, kind) for e in polite if e["n"] == n and e["tool"] != "policykb"]
            peers = [c for c in peers if c]
            if not ran(mine) or not peers:
                continue
            finished = [c for c in peers if ran(c)]
            if not finished:
                verdicts.append(f"N={n}, {kind}: every peer timed out, policykb took {mine['wall_s']:.0f} s")
                continue
            fastest = min(finished, key=lambda c: c["wall_s"])
            r = fastest["wall_s"] / mine["wall_s"]
            r_cpu = min(c["cpu_s"] for c in finished) / mine["cpu_s"]
            verdicts.append(f"N={n}, {kind}: fastest peer {fastest['wall_s']:.0f} s vs policykb ({mode}) "
                            f"{mine['wall_s']:.0f} s wall = {r:.2f}× (goal 10×), least peer CPU / policykb CPU = "
                            f"{r_cpu:.2f}× (goal 1×): {'met' if r >= 10 and r_cpu >= 1 else 'not met'}")
    if not verdicts:  # no complete policykb cycle at N >= 1000: say what the largest complete N shows
        for n, b in sorted(pk.items(), reverse=True):
            mine = cycle_of(b, "first")
            if ran(mine):
                peers = [cycle_of(e, "first") for e in polite if e["n"] == n and e["tool"] != "policykb"]
                finished = [c for c in peers if ran(c)]
                if finished:
                    fastest = min(finished, key=lambda c: c["wall_s"])
                    verdicts.append(f"no policykb cycle finished at N ≥ 1,000 (see the table); at N={n}, the "
                                    f"fastest peer's first cycle took {fastest['wall_s']:.0f} s against policykb's "
                                    f"{mine['wall_s']:.0f} s ({fastest['wall_s'] / mine['wall_s']:.2f}×): not met")
                break
    lines.append("- **policykb's cycle ≥ 10× faster than the fastest peer by wall time, and no slower by CPU, at "
                 "N ≥ 1,000**: "
                 + ("; ".join(verdicts) if verdicts else "not measured") + ".")

    # 1b. The byte-identical cycle (nothing changed, every page answered 304 or the same bytes) under 10 s at N = 1,000.
    same = []
    for n in sorted(set(pk) | set(pk_fast)):
        b = pk_fast.get(n) or pk[n]
        cycle = cycle_of(b, "no change")
        if n == 1000 and ran(cycle):
            same.append(f"N={n} ({'politeness off' if n in pk_fast else 'politeness on'}): {cycle['wall_s']:.1f} s "
                        f"wall ({'met' if cycle['wall_s'] < 10 else 'not met'})")
    lines.append("- **The byte-identical cycle under 10 s at N = 1,000**: " + ("; ".join(same) or "not measured") + ".")

    # 2. A no-change cycle cheaper than a first cycle.
    items = []
    for e in polite:
        first, same = cycle_of(e, "first"), cycle_of(e, "no change")
        if ran(first) and ran(same):
            cheaper = same["cpu_s"] < first["cpu_s"]
            items.append(f"{e['tool']} N={e['n']}: {same['cpu_s']:.1f} vs {first['cpu_s']:.1f} CPU s "
                         f"({'yes' if cheaper else 'no'})")
    lines.append("- **A no-change cycle cheaper than a first cycle** (CPU): " + ("; ".join(items) or "not measured")
                 + ".")

    # 3. No content bytes stored for unchanged pages.
    items = []
    for e in polite:
        same = cycle_of(e, "no change")
        if ran(same):
            if "content_bytes" in same:
                items.append(f"{e['tool']} N={e['n']}: {same['content_bytes']} content bytes, "
                             f"{same['added_bytes']:,} bytes added in all")
            else:
                items.append(f"{e['tool']} N={e['n']}: {same['added_bytes']:,} bytes added")
    lines.append("- **No content bytes stored for unchanged pages**: " + ("; ".join(items) or "not measured") + ".")

    # 4. Peak memory < 1 GiB at N = 5000 and sub-linear.
    # Judged on the PSS sum where the run measured it (a page a forked build worker shares with its parent counts
    # once in all), else on the RSS sum (once per process: errs high).
    peaks = []
    for n, b in sorted(pk.items()):
        kind = "PSS" if all("peak_pss" in c for c in b["cycles"] if "peak_rss" in c) else "RSS"
        measured = [c[f"peak_{kind.lower()}"] for c in b["cycles"] if "peak_rss" in c]
        if measured:
            peaks.append((n, max(measured), all(ran(c) for c in b["cycles"]), b.get("version", ""), kind))
    text = ", ".join(f"N={n} ({version}): {p / MIB:.0f} MiB {kind} summed{'' if ok else ' (not every cycle finished)'}"
                     for n, p, ok, version, kind in peaks)
    verdict = []
    at5000 = [(p, ok) for n, p, ok, *_ in peaks if n >= 5000]
    if at5000:
        verdict.append("under 1 GiB at N=5,000: " + ("met" if max(p for p, _ in at5000) < GIB else "not met")
                       + ("" if all(ok for _, ok in at5000) else " for the part of the cycle that ran before its cap"))
    if len(peaks) >= 2 and len({(version, kind) for *_, version, kind in peaks}) > 1:
        verdict.append("growth in N not computed: the rows measure different versions of policykb or different measures")
    elif len(peaks) >= 2:
        (n0, p0, *_), (n1, p1, *_) = peaks[0], peaks[-1]
        growth = (p1 / p0) / (n1 / n0)
        verdict.append(f"memory grew {p1 / p0:.1f}× for {n1 / n0:.0f}× the documents "
                       f"({'sub-linear' if growth < 1 else 'not sub-linear'})")
    lines.append("- **policykb's peak memory < 1 GiB at N = 5,000 and sub-linear in N**: " + (text or "not measured")
                 + ("; " + "; ".join(verdict) if verdict else "") + ".")

    # 5. Every version and no extra.
    items = []
    for n, b in sorted(pk.items()):
        if b.get("versions") is not None:
            complete = all(ran(c) for c in b["cycles"]) and len(b["cycles"]) == len(b["dates"])
            want = b.get("expected_versions_so_far", b["expected_versions"])
            if complete or all(ran(c) for c in b["cycles"]):
                items.append(f"N={n}: {b['versions']} of {want}" + (" (exact)" if b["versions"] == want else
                                                                     " (differs)")
                             + ("" if complete else f" after the {len(b['cycles'])} cycle(s) that ran"))
            else:
                items.append(f"N={n}: a cycle did not finish, no verdict")
    lines.append("- **policykb records every version the corpus has, and no extra**: " + ("; ".join(items) or
                                                                                            "not measured") + ".")
    return "\n".join(lines) + "\n"


def runs(entries: list[dict]) -> str:
    out = ["## The runs\n", "| tool | N | politeness | started (UTC) | load before | timeout s/cycle | statuses | note |",
           "|---|---:|---|---|---:|---:|---|---|"]
    for e in sorted(entries, key=lambda e: (e["n"], not e["politeness"], ORDER.get(e["tool"], 9))):
        statuses = reason(e) or "; ".join(f"{c['cycle']} ({c['kind']}): {c.get('status', '–')}"
                                          for c in e.get("cycles", []))
        out.append(f"| {label(e)} | {e['n']} | {'on' if e['politeness'] else 'off'} | {e['started']} | "
                   f"{e.get('load_before', 0):.1f} | {e['timeout_s']:.0f} | {statuses} | {e.get('note', '')} |")
    return "\n".join(out) + "\n"


def plot(entries: list[dict], path: Path) -> bool:
    """Cycle time vs N, one line per tool: wall time (left) and CPU time (right).

    First cycles solid, no-change cycles dashed; a cycle that hit its cap is a triangle at the cap
    (wall) or at the CPU it had used by then (CPU): lower bounds, not measurements.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot", file=sys.stderr)
        return False
    polite = [e for e in entries if e["politeness"] and not reason(e)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.8), dpi=110)
    colours = {"policykb": "#1f77b4", "ota": "#d62728", "cdio": "#2ca02c"}
    for ax, key, title in ((axes[0], "wall_s", "wall time"), (axes[1], "cpu_s", "CPU time (process tree)")):
        for tool in sorted({e["tool"] for e in polite}, key=lambda t: ORDER.get(t, 9)):
            rows = sorted((e for e in polite if e["tool"] == tool), key=lambda e: e["n"])
            name = rows[0]["label"]
            for kind, style in (("first", "-"), ("no change", "--")):
                xs, ys, xt, yt = [], [], [], []
                for e in rows:
                    c = cycle_of(e, kind)
                    if ran(c):
                        xs.append(e["n"])
                        ys.append(c[key])
                    elif c and c.get("status", "").startswith("timed out"):
                        xt.append(e["n"])
                        yt.append(e["timeout_s"] if key == "wall_s" else c.get(key, 0))
                if xs:
                    ax.plot(xs, ys, style, marker="o", color=colours.get(tool), label=f"{name}: {kind} cycle")
                if xt:
                    ax.plot(xt, yt, linestyle="none", marker="^", markersize=9, color=colours.get(tool),
                            label=f"{name}: {kind} cycle hit the cap (lower bound)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("documents tracked (N)")
        ax.set_ylabel(f"one cycle, {title}, s")
        ax.set_title(f"{title} vs N (politeness on)")
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return True


HEADER = """# policykb vs Open Terms Archive's engine and changedetection.io

Generated by `bench/peers/report.py` from `bench/peers/results.json` (written by `bench/peers/run.py`;
see `bench/peers/README.md` for the method and how to re-run). Do not edit by hand.

Same pages for all three tools: the real documents of `shared/corpus/versions/` (58 documents of
50 marketplaces), served by policykb's replay server on 127.0.0.1 under N synthetic URLs spread
over 50 hostnames, as of each cycle's date; since session 35 every copy's number closes each of
its paragraphs, list items and table cells, so no two addresses share a block of text (earlier
runs: one line per copy, the rest of the text repeated every 58 addresses). Cycle dates: {dates} (a first cycle, the same date
again: nothing changed, then a date where part of the corpus changed, and, where a date ends in
`+tokens`, the same date with a per-request token in every page's content: every page's bytes
change, no text does, as on real pages with session tokens). Each tool keeps its own
politeness defaults; figures are for one cycle each, on a 2-core machine shared with other jobs
(load average before each run in the last table), so wall times are noisy and CPU times are the
steadier measure. A cycle that exceeded its time cap reads "timed out after X s"; nothing is
extrapolated.

![cycle time vs N](peers.png)
"""


def render(entries: list[dict], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    dates = sorted({", ".join(e["dates"]) for e in entries}) or ["–"]
    page = HEADER.format(dates=" / ".join(dates)) + "\n" + tables(entries) + "\n" + goals(entries) + "\n" + runs(entries)
    if OBSERVATIONS.exists():  # hand-written reading of the figures (profiles, causes), kept apart from them
        page += "\n" + OBSERVATIONS.read_text(encoding="utf-8")
    md = out_dir / "peers.md"
    md.write_text(page, encoding="utf-8")
    plot(entries, out_dir / "peers.png")
    return md


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--out", default=str(OUT_DIR), help="folder for peers.md and peers.png")
    args = parser.parse_args(argv)
    entries = load(args.results)
    if not entries:
        print(f"error: no results in {args.results}; run bench/peers/run.py first", file=sys.stderr)
        return 2
    print(f"wrote {render(entries, Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
