"""Evaluate the glossary look-up on the platforms' own wording: ``bench/glossary_reference.yml``.

    python bench/eval_glossary.py [--reference FILE] [--dir GLOSSARY] [--json]

The reference is built from the pages the glossary cites (see its header): per concept, Amazon's
wording (where an Amazon page was read) and other platforms' wording, copied as the pages write it.
The glossary is loaded into an in-memory KB (``kb.glossary.refresh_glossary``) and asked through
``glossary.lookup.lookup``, the function behind ``policykb term`` and ``/-/glossary``. Printed:

* by the Amazon term: the concept is the first match (found), and each other platform's reference
  term is among that concept's equivalents (same platform, same wording after NFKC and case-folding);
* by every other platform's term: the concept is the first match;
* the coverage of the glossary data (concept × platform cells with a term that have a source).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import sqlite_utils
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from glossary import read_glossary  # noqa: E402
from glossary.coverage import coverage  # noqa: E402
from glossary.lookup import lookup  # noqa: E402
from glossary.model import normalize  # noqa: E402
from kb.db import apply_migrations  # noqa: E402
from kb.glossary import refresh_glossary  # noqa: E402


def evaluate(reference: list[dict], conn) -> dict:
    by_amazon = {"asked": 0, "found": 0, "missed": []}
    equivalents = {"asked": 0, "found": 0, "missed": []}
    by_other = {"asked": 0, "found": 0, "missed": []}
    for item in reference:
        concept = item["concept"]
        if item.get("amazon"):
            by_amazon["asked"] += 1
            matches = lookup(conn, item["amazon"])["matches"]
            top = matches[0] if matches else None
            if top and top["concept_id"] == concept:
                by_amazon["found"] += 1
            else:
                by_amazon["missed"].append((item["amazon"], concept, top and top["concept_id"]))
            terms = {(t["platform"], normalize(t["term"])) for t in (top["terms"] if top else [])}
            for other in item.get("others") or []:
                equivalents["asked"] += 1
                if top and top["concept_id"] == concept and (other["platform"], normalize(other["term"])) in terms:
                    equivalents["found"] += 1
                else:
                    equivalents["missed"].append((item["amazon"], other["platform"], other["term"]))
        for other in item.get("others") or []:
            by_other["asked"] += 1
            matches = lookup(conn, other["term"])["matches"]
            if matches and matches[0]["concept_id"] == concept:
                by_other["found"] += 1
            else:
                by_other["missed"].append((other["term"], concept, matches[0]["concept_id"] if matches else None))
    return {"by_amazon_term": by_amazon, "equivalents_of_amazon_term": equivalents, "by_other_term": by_other}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=str(ROOT / "bench" / "glossary_reference.yml"))
    parser.add_argument("--dir", default=None, help="glossary folder (default: the seed in glossary/)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    reference = yaml.safe_load(Path(args.reference).read_text(encoding="utf-8"))["concepts"]
    db = sqlite_utils.Database(memory=True)
    apply_migrations(db)
    refresh_glossary(db, args.dir)
    result = evaluate(reference, db.conn)
    table = coverage(read_glossary(args.dir))
    result["coverage"] = {"cells": table["cells"], "sourced": table["sourced"], "share": round(table["share"], 3),
                          "concepts": len(table["rows"])}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for name, label in (("by_amazon_term", "concept found by its Amazon term"),
                        ("equivalents_of_amazon_term", "other platforms' real terms among the equivalents"),
                        ("by_other_term", "concept found by another platform's term")):
        r = result[name]
        print(f"{label}: {r['found']} of {r['asked']}")
        for miss in r["missed"]:
            print(f"  missed: {miss}")
    c = result["coverage"]
    print(f"coverage: {c['sourced']} of {c['cells']} concept × platform cells with a term are sourced "
          f"({c['share']:.0%}); {c['concepts']} concepts")


if __name__ == "__main__":
    main()
