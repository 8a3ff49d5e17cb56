"""Evaluate the rule-value extraction against our hand-checked reference of real policy versions.

    python bench/eval_rules.py [--corpus DIR] [--reference FILE] [--docs TEXT ...] [--json] [--verbose] [--ignore-subject]
    python bench/eval_rules.py --candidates versions/<service>/<document>/<version>.md LANG

The reference (``tests/rules_reference.yml``) names versions of the shared corpus (``../shared/corpus``, read in
place, never copied) and every deadline and metric threshold a person counted in each, as (kind, value, unit) and
``subject``, what it limits or measures (``appeal``, ``notice``, ``late_shipment_rate`` ...; ``""`` when none of the
cue file's subjects fits). Each version's Markdown goes through ``pipeline.rules.extract`` with the reference's
language; extracted and expected values are matched as multisets per version, once as (kind, value, unit) ("numbers
only") and once as (kind, value, unit, subject) ("with subject": a right number about the wrong thing is wrong):

* precision = matched / extracted (a value the reference does not hold is wrong);
* recall = matched / expected.

A value extracted with no subject (``""``: the extractor abstains, no cue in its clause says what it limits) counts
like a wrong subject when the reference names one. The with-subject tables therefore also print, beside the headline
figures (which stay as defined above), ``subj.prec``: precision among the values given a subject (matched with
subject / extracted with a subject other than ``""``), and ``coverage``: the share of extracted values given a
subject.

The reference is split in two halves by document (:func:`half`: the SHA-1 of ``service/document``, even → ``tune``,
odd → ``held-out``), fixed before the cues were last tuned: cues are tuned on the tune half only, and the held-out
half says how well they carry to documents nobody tuned them on. Documents marked ``blind: true`` are in neither half:
labelled before the extractor ever ran on them, and measured apart, each set by its ``blind_set`` number (the
``blind 2``, ``blind 3`` tables), the one figure no cue was fitted to since. A blind set whose misses cues were then
built from is blind no more: its documents say ``tuned_on: true`` instead and are measured in their halves (the
first blind set, since extractor 8; the third, labelled with extractor 10, since extractor 11), and a set that keeps
its ``blind_set`` number is still printed apart (the ``set 3, tuned on`` tables). A set may be tuned on in part: since
extractor 13 Rue du Commerce (set 4) is tuned on and printed as ``set 4, tuned on`` while the rest of set 4 stays
in ``blind 4``. Set 5 (Allegro's Terms & Conditions and Boulanger's ranking description) is tuned on since extractor
15 and printed as ``set 5, tuned on``; its first blind score stays quoted in the README and the reference's header. Allegro
falls in the held-out half, which therefore holds, since extractor 15, a document cues were built from: the held-out
figures less the ``set 5, tuned on`` table are those of the documents nobody tuned on.

Prints, per language and overall, precision and recall numbers-only and with subject, on all documents, on the
tuned documents (both halves together), on the tune and held-out halves and on each blind set (``--ignore-subject``:
the numbers-only tables alone); then
(``--verbose``) each version's wrong and missed values with subject, each wrong one with its sentence. Without the corpus it says so and exits 0 (nothing to
measure). ``--candidates`` lists every sentence of one version with a number followed by a time unit or a
percentage (each sentence's units those of the language it is read in: an English sentence on a French page has
English units), and what the extraction made of it: how the reference was checked. ``--docs``: only the documents
whose path holds one of the given texts (``--docs vinted/ wish/``), e.g. the reference's blind set.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
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


def half(path: str) -> str:
    """``"tune"`` or ``"held-out"``: the reference's halves, by document (every version of one document falls in one
    half), from the SHA-1 of ``service/document``: deterministic, and blind to what a document holds."""
    document = "/".join(Path(path).parts[1:3])
    return "tune" if int(hashlib.sha1(document.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "held-out"


def scope(doc: dict) -> str:
    """``"blind 2"``, ``"blind 3"`` ... for a document marked ``blind: true`` (labelled before the extractor ever ran
    on it, measured apart and in neither half), by its ``blind_set``; else its :func:`half`."""
    return f"blind {doc.get('blind_set', 2)}" if doc.get("blind") else half(doc["path"])


def within(doc: dict, only: str | None) -> bool:
    """Whether a document is in ``only``: None (all), ``"tuned"`` (both halves: every document not blind), ``"blind"``
    (every blind set), a half, one blind set (``"blind 2"``), or one labelled set, blind or tuned on since
    (``"set 3"``: the documents with that ``blind_set``)."""
    if only is None:
        return True
    if only == "tuned":
        return not doc.get("blind")
    if only == "blind":
        return bool(doc.get("blind"))
    if only.startswith("set "):  # its documents tuned on since (a set partly tuned on keeps the rest in "blind N")
        return str(doc.get("blind_set")) == only[4:] and not doc.get("blind")
    return scope(doc) == only


def set_scopes(reference: dict) -> list[tuple[str, str]]:
    """``(title, scope)`` of each labelled set (``blind_set``): ``set N, tuned on`` for its documents cues were built
    from since (they count in the halves too), ``blind N`` for those still blind; a set partly tuned on (set 4: Rue
    du Commerce since extractor 13) gets both tables."""
    out = []
    for n in sorted({d["blind_set"] for d in reference["documents"] if "blind_set" in d}):
        docs = [d for d in reference["documents"] if d.get("blind_set") == n]
        if any(not d.get("blind") for d in docs):
            out.append((f"set {n}, tuned on", f"set {n}"))
        if any(d.get("blind") for d in docs):
            out.append((f"blind {n}", f"blind {n}"))
    return out


def _rates(c: collections.Counter) -> dict:
    out = {**c, "precision": c["matched"] / c["extracted"] if c["extracted"] else 1.0,
           "recall": c["matched"] / c["expected"] if c["expected"] else 1.0}
    if "given" in c:  # with subject: precision among the values given a subject, and the share given one
        out["given_precision"] = c["matched_given"] / c["given"] if c["given"] else 1.0
        out["coverage"] = c["given"] / c["extracted"] if c["extracted"] else 1.0
    return out


def evaluate(reference: dict, corpus: Path, subjects: bool = True, only: str | None = None) -> dict:
    """``{"languages": {lang: {"extracted", "expected", "matched", "precision", "recall"}}, "overall": {...},
    "documents": [...]}``; ``subjects``: a value is right only when its subject is too; ``only``: the documents of
    one half (:func:`half`), of both (``"tuned"``), of one blind set or all of them (:func:`within`), else all."""
    per_lang = collections.defaultdict(collections.Counter)
    documents = []
    for doc in reference["documents"]:
        if not within(doc, only):
            continue
        text = (corpus / doc["path"]).read_text(encoding="utf-8")
        values = extract(text, doc["language"])
        got = collections.Counter(_key(v.kind, v.value, v.unit, v.subject if subjects else None) for v in values)
        want = collections.Counter(_key(v["kind"], v["value"], v["unit"], v["subject"] if subjects else None)
                                   for v in doc["values"])
        matched = got & want
        counts = per_lang[doc["language"]]
        counts["extracted"] += sum(got.values())
        counts["expected"] += sum(want.values())
        counts["matched"] += sum(matched.values())
        if subjects:  # the values given a subject (not abstaining with ""), and how many of them are right
            given = collections.Counter({k: n for k, n in got.items() if k[3]})
            counts["given"] += sum(given.values())
            counts["matched_given"] += sum((given & want).values())
        wrong = got - want
        evidence = {}
        for v in values:
            key = _key(v.kind, v.value, v.unit, v.subject if subjects else None)
            if key in wrong:
                evidence.setdefault(key, []).append(v.sentence)
        documents.append({"path": doc["path"], "language": doc["language"], "half": scope(doc),
                          "wrong": sorted(wrong.elements()), "missed": sorted((want - got).elements()),
                          "evidence": {" ".join(map(str, k)): s for k, s in evidence.items()}})
    total = collections.Counter()
    for c in per_lang.values():
        total.update(c)
    return {"languages": {lang: _rates(c) for lang, c in sorted(per_lang.items())}, "overall": _rates(total),
            "documents": documents}


def candidates(path: Path, language: str) -> None:
    """Every sentence with a number followed by a time unit or a percentage, and what the extraction found in it."""
    from pipeline.rules import (_NUMBER, _PERCENT_RE, _patterns, _to_number, base_language, digits, reading_language,
                                sentences)

    text = path.read_text(encoding="utf-8")
    found: dict = {}
    for v in extract(text, language):
        found.setdefault(v.sentence, []).append(v)
    page = base_language(language)
    n = 0
    for sentence, _ in sentences(text):
        lang = reading_language(sentence, page)  # the English half of a bilingual page is read in English
        pats = _patterns(lang)
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
    parser.add_argument("--docs", nargs="+", metavar="TEXT", help="only the documents whose path holds one of these")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}: nothing to measure")
        return 0
    if args.candidates:
        candidates(args.corpus / args.candidates[0], args.candidates[1])
        return 0
    import yaml

    reference = yaml.safe_load(args.reference.read_text(encoding="utf-8"))
    if args.docs:
        reference["documents"] = [d for d in reference["documents"] if any(t in d["path"] for t in args.docs)]
        if not reference["documents"]:
            print(f"no document of the reference matches {' '.join(args.docs)}", file=sys.stderr)
            return 2
    modes = [("numbers only", False)] + ([] if args.ignore_subject else [("with subject", True)])
    blind_sets = sorted({scope(d) for d in reference["documents"] if d.get("blind")})
    scopes = [("all", None), ("tuned", "tuned"), ("tune", "tune"), ("held-out", "held-out")] + set_scopes(reference)
    results = {f"{name}, {scope_}": evaluate(reference, args.corpus, subjects=subjects, only=only)
               for name, subjects in modes for scope_, only in scopes}
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return 0
    halves = collections.Counter((scope(d), d["language"]) for d in reference["documents"])
    print("documents per half: " + "; ".join(
        f"{h}: " + ", ".join(f"{lang} {n}" for (hh, lang), n in sorted(halves.items()) if hh == h)
        for h in ("tune", "held-out", *blind_sets)))
    for title, result in results.items():
        if not result["languages"]:  # --docs left this half empty
            print(f"\n{title}\n(no document)")
            continue
        given = "given_precision" in result["overall"]
        print(f"\n{title}\n{'language':10} {'expected':>8} {'extracted':>9} {'matched':>7} {'precision':>9} "
              f"{'recall':>7}" + (f" {'subj.prec':>9} {'coverage':>8}" if given else ""))
        for lang, c in list(result["languages"].items()) + [("all", result["overall"])]:
            print(f"{lang:10} {c['expected']:8d} {c['extracted']:9d} {c['matched']:7d} {c['precision']:9.1%} "
                  f"{c['recall']:7.1%}" + (f" {c['given_precision']:9.1%} {c['coverage']:8.1%}" if given else ""))
    if args.verbose:
        last = results[f"{modes[-1][0]}, all"]
        for doc in last["documents"]:
            if doc["wrong"] or doc["missed"]:
                print(f"\n{doc['path']} ({doc['language']}, {doc['half']})\n  missed: {doc['missed']}")
                for key, sentences in doc["evidence"].items():  # every sentence that gave a value of that key
                    for sentence in sentences:
                        print(f"  wrong {key} (in one of): {sentence[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
