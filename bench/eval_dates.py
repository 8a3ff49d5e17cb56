"""Evaluate the date finder against our hand-checked reference of real policy versions.

    python bench/eval_dates.py [--corpus DIR] [--reference FILE] [--json] [--verbose]

The reference (``tests/date_reference.yml``) names versions of the shared corpus
(``../shared/corpus``, read in place, never copied) and, per kind, the
last-updated / effective date a person read off that version. For each, the
version's text (Markdown as is; raw HTML through the real extraction with the
manifest's selectors) goes through ``pipeline.dates.find_dates`` with the
page's language and ``summarize`` (what the KB stores), and the result is:

* ``found``: the date the reference expects (or nothing, where it expects none);
* ``wrong``: another date (or a date where the page states none);
* ``missed``: no date where the reference expects one.

Prints a table per language, then every wrong and missed statement. Without the
corpus it says so and exits 0 (nothing to measure).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_REFERENCE = ROOT / "tests" / "date_reference.yml"
KINDS = {"last_updated": "last_updated", "effective": "effective_date"}


def load_reference(path=DEFAULT_REFERENCE) -> list[dict]:
    """One row per (document, version, kind): ``{doc, version, lang, kind, expected}``."""
    import yaml

    rows = []
    for entry in yaml.safe_load(Path(path).read_text(encoding="utf-8"))["documents"]:
        for version, kinds in entry["versions"].items():
            for kind, expected in kinds.items():
                rows.append({"doc": entry["doc"], "version": str(version), "lang": entry["lang"], "kind": kind,
                             "expected": str(expected) if expected is not None else None})
    return rows


def version_text(corpus: Path, doc: str, version: str) -> str:
    """The text of one corpus version as the pipeline sees it: Markdown as is, raw HTML extracted."""
    folder = corpus / doc
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = [v["file"] for v in manifest["versions"] if v["file"].rsplit(".", 1)[0] == version]
    if not files:
        raise FileNotFoundError(f"{doc}: no version {version}")
    raw = (folder / files[0]).read_bytes()
    if doc.startswith("versions/"):
        return raw.decode("utf-8", "replace")
    from bench.eval_changes import _ota_selectors
    from pipeline.extract import ExtractionError, extract

    select, remove = _ota_selectors(manifest.get("selectors"))
    try:
        return extract(raw, "text/html", select, remove).markdown
    except ExtractionError:
        return ""


def evaluate(corpus=DEFAULT_CORPUS, reference=DEFAULT_REFERENCE) -> dict:
    """``{"rows": [...each with got and outcome], "languages": {lang: Counter}, "seconds": ...}``."""
    from pipeline.dates import find_dates, summarize

    corpus = Path(corpus)
    rows = load_reference(reference)
    texts, summaries = {}, {}
    started = time.perf_counter()
    finding = 0.0
    for row in rows:
        key = (row["doc"], row["version"], row["lang"])
        if key not in summaries:
            text = texts[key[:2]] = texts.get(key[:2]) or version_text(corpus, row["doc"], row["version"])
            t = time.perf_counter()
            summaries[key] = summarize(find_dates(text, row["lang"]))
            finding += time.perf_counter() - t
        got = summaries[key][KINDS[row["kind"]]]
        row["got"] = got
        row["evidence"] = summaries[key][KINDS[row["kind"]].replace("_date", "") + "_evidence"]
        if got == row["expected"]:
            row["outcome"] = "found"
        elif got is None:
            row["outcome"] = "missed"
        else:
            row["outcome"] = "wrong"
    languages = collections.defaultdict(collections.Counter)
    for row in rows:
        languages[row["lang"]][row["outcome"]] += 1
    return {"rows": rows, "languages": dict(sorted(languages.items())),
            "seconds": round(time.perf_counter() - started, 2), "find_seconds": round(finding, 3)}


def print_table(result, verbose=False):
    head = f"{'language':<9} {'statements':>10} {'found':>6} {'wrong':>6} {'missed':>7}"
    print(head)
    print("-" * len(head))
    total = collections.Counter()
    for lang, c in result["languages"].items():
        n = sum(c.values())
        total.update(c)
        print(f"{lang:<9} {n:>10} {c['found']:>6} {c['wrong']:>6} {c['missed']:>7}")
    print("-" * len(head))
    n = sum(total.values())
    print(f"{'all':<9} {n:>10} {total['found']:>6} {total['wrong']:>6} {total['missed']:>7}")
    dated = [r for r in result["rows"] if r["expected"] is not None]
    found = sum(r["outcome"] == "found" for r in dated)
    print(f"stated dates found: {found}/{len(dated)} = {100 * found / max(1, len(dated)):.1f} %; "
          f"{len(result['languages'])} languages; {result['seconds']} s "
          f"({result['find_seconds']} s in find_dates)")
    for r in result["rows"]:
        if r["outcome"] != "found" or verbose:
            print(f"{r['outcome']:>6}: {r['doc']} {r['version']} [{r['lang']}] {r['kind']}: expected {r['expected']}, "
                  f"got {r['got']}" + (f" ({r['evidence'][:100]!r})" if r["got"] else ""))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="corpus folder (layout of shared/corpus)")
    parser.add_argument("--reference", default=str(DEFAULT_REFERENCE), help="hand-checked reference (YAML)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--verbose", action="store_true", help="list every statement, not only wrong and missed")
    args = parser.parse_args(argv)
    if not Path(args.reference).is_file():
        parser.error(f"no reference file at {args.reference}")
    if not Path(args.corpus).is_dir():
        print(f"skipped: no corpus at {args.corpus} (the reference reads it in place)")
        return 0
    result = evaluate(args.corpus, args.reference)
    if args.json:
        print(json.dumps({"languages": {k: dict(v) for k, v in result["languages"].items()},
                          "rows": result["rows"], "seconds": result["seconds"]}, ensure_ascii=False, indent=1))
    else:
        print_table(result, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
