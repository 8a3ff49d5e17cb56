"""Evaluate the rule-value extraction against our hand-checked reference of real policy versions.

    python bench/eval_rules.py [--corpus DIR] [--reference FILE] [--json] [--verbose] [--ignore-subject]
    python bench/eval_rules.py --candidates versions/<service>/<document>/<version>.md LANG

The reference (``tests/rules_reference.yml``) names versions of the shared corpus (``../shared/corpus``, read in
place, never copied) and every deadline and metric threshold a person counted in each, as (kind, value, unit) and
``subject``, what it limits or measures (``appeal``, ``notice``, ``late_shipment_rate`` ...; ``""`` when none of the
cue file's subjects fits). Each version's Markdown goes through ``pipeline.rules.extract`` with the reference's
language; extracted and expected values are matched as multisets of (kind, value, unit, subject) per version, so
a right number about the wrong thing counts as wrong (``--ignore-subject``: as (kind, value, unit), the figure
before the subjects were checked):

* precision = matched / extracted (a value the reference does not hold is wrong);
* recall = matched / expected.

Prints a table per language and overall, then (``--verbose``) each version's wrong and missed values. Without the
corpus it says so and exits 0 (nothing to measure). ``--candidates`` lists every sentence of one version with a
number followed by a time unit or a percentage, and what the extraction made of it: how the reference was checked.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.rules import extract  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
REFERENCE = ROOT / "tests" / "rules_reference.yml"


def _key(kind, value, unit, subject=None) -> tuple:
    return (kind, round(float(value), 3), unit) + (() if subject is None else (subject,))


def evaluate(reference: dict, corpus: Path, subjects: bool = True) -> dict:
    """``{"languages": {lang: {"extracted", "expected", "matched", "precision", "recall"}}, "documents": [...]}``;
    ``subjects``: a value is right only when its subject is too."""
    per_lang = collections.defaultdict(lambda: collections.Counter())
    documents = []
    for doc in reference["documents"]:
        text = (corpus / doc["path"]).read_text(encoding="utf-8")
        got = collections.Counter(_key(v.kind, v.value, v.unit, v.subject if subjects else None)
                                  for v in extract(text, doc["language"]))
        want = collections.Counter(_key(v["kind"], v["value"], v["unit"], v["subject"] if subjects else None)
                                   for v in doc["values"])
        matched = got & want
        counts = per_lang[doc["language"]]
        counts["extracted"] += sum(got.values())
        counts["expected"] += sum(want.values())
        counts["matched"] += sum(matched.values())
        documents.append({"path": doc["path"], "language": doc["language"],
                          "wrong": sorted((got - want).elements()), "missed": sorted((want - got).elements())})
    languages = {}
    for lang, c in sorted(per_lang.items()):
        languages[lang] = {**c, "precision": c["matched"] / c["extracted"] if c["extracted"] else 1.0,
                           "recall": c["matched"] / c["expected"] if c["expected"] else 1.0}
    total = collections.Counter()
    for c in per_lang.values():
        total.update(c)
    overall = {**total, "precision": total["matched"] / total["extracted"] if total["extracted"] else 1.0,
               "recall": total["matched"] / total["expected"] if total["expected"] else 1.0}
    return {"languages": languages, "overall": overall, "documents": documents}


def candidates(path: Path, language: str) -> None:
    """Every sentence with a number followed by a time unit or a percentage, and what the extraction found in it."""
    from pipeline.rules import _NUMBER, _PERCENT_RE, _patterns, _to_number, base_language, digits, sentences

    text = path.read_text(encoding="utf-8")
    found: dict = {}
    for v in extract(text, language):
        found.setdefault(v.sentence, []).append(v)
    lang = base_language(language)
    pats = _patterns(lang)
    n = 0
    for sentence, _ in sentences(text):
        d = digits(sentence, lang)
        cands = [f"{m.group(1)} {u.lastgroup}" for m in re.finditer(_NUMBER, d)
                 if (u := pats["unit"].match(d, m.end())) and _to_number(m.group(1))]
        cands += [f"{m.group(1)}%" for m in _PERCENT_RE.finditer(d)]
        values = found.get(sentence, [])
        if cands or values:
            n += 1
            got = "; ".join(f"{v.kind} {v.value:g} {v.unit} [{v.subject}]" for v in values)
            print(f"[{n}] candidates: {', '.join(cands)} | extracted: {got}\n    {sentence[:400]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--ignore-subject", action="store_true", help="match on (kind, value, unit) only")
    parser.add_argument("--candidates", nargs=2, metavar=("VERSION", "LANG"))
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}: nothing to measure")
        return 0
    if args.candidates:
        candidates(args.corpus / args.candidates[0], args.candidates[1])
        return 0
    import yaml

    result = evaluate(yaml.safe_load(args.reference.read_text(encoding="utf-8")), args.corpus,
                      subjects=not args.ignore_subject)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"{'language':10} {'expected':>8} {'extracted':>9} {'matched':>7} {'precision':>9} {'recall':>7}")
    for lang, c in list(result["languages"].items()) + [("all", result["overall"])]:
        print(f"{lang:10} {c['expected']:8d} {c['extracted']:9d} {c['matched']:7d} {c['precision']:9.1%} "
              f"{c['recall']:7.1%}")
    if args.verbose:
        for doc in result["documents"]:
            if doc["wrong"] or doc["missed"]:
                print(f"\n{doc['path']} ({doc['language']})\n  wrong:  {doc['wrong']}\n  missed: {doc['missed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
