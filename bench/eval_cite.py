"""Evaluate the cite check on real policy history: ``../shared/corpus/``.

    python bench/eval_cite.py [--corpus DIR] [--data DIR] [--json] [--quotes N] [--seed N]
                              [--max-dates N] [--matchers] [--misses] [--exclude-kb DIR]...

The KB: a KB already in ``--data`` is reused (``bench/eval_changes.py`` leaves
one of the whole corpus there, in ``data/eval`` by default); otherwise a small
one is built there: documents of the corpus's ``versions/`` part with 3 to 12
versions, picked with the seed until their versions fall on ``--max-dates``
dates, served by ``replay.corpus.CorpusSite`` through a ``ReplayServer`` and
crawled at each of those dates by the real ``policykb crawl --replay`` (only
the documents with a version then), then ``policykb build``. Declarations
(selector ``#policykb-replay-content``) are generated into ``DATA/sources``.

``--exclude-kb DIR`` builds a held-out KB: none of the documents of the KB in
DIR (tune thresholds on one seed's KB, report on another's); given twice, none of either KB's (a third,
fresh KB that checks the held-out one was not overfitted too).

The quotes: sentences (8 to 40 words, no links or tables) sampled with a
fixed seed from the corpus's own version files, not from the KB, split by the Moses rules of
``sentence-splitter`` in each document's language (so "zum 1. Januar", "Inc.", "z. B." do not cut a
quote into fragments; then at semicolons and at Chinese and Japanese sentence ends). The same seed
gives the same quotes, damaged alike, whether the KB was built just now or
reused (each use of the seed has its own generator), so figures compare. A sentence
of the latest version is expected ``current``; a sentence of an older
version that the latest one lacks is expected ``changed`` or ``removed``, dated
the first version after the last one that has it (presence is decided on
letters and digits only, by a normalizer of this script's own). Each quote
is asked clean and damaged (curly quotes, case, line breaks, full-width
digits, a dropped word). An outdated quote is expected `changed` or `removed` by this
script's own alignment of the two versions' sentences (:func:`truth_step`, difflib: the sentences the diff
puts in the quote's changed run, or one there that holds the quote nearly whole, or else the unaligned new sentence
that pairs up with it both ways, :func:`mutual_pair`, or one moved elsewhere nearly whole; a sentence the old
version has already, or next to the run a new one closer to another old one, is never W). A quote that changed into W, W later removed
(:func:`truth_chain` follows W through the versions), is counted with ``changed`` (its first step, as the
labels always had it) but is right only when the answer says both steps: ``removed`` by its successor
(``removed_with: successor``), ``changed_at`` the first date and ``removed_at`` the second; the line
"reworded, then that wording removed" gives their own share. Each outdated quote
is also asked ``--as-of`` the day of the last version with it (expected present) and of the first without
(expected absent), and sentences of corpus documents outside the KB are asked (expected not found).
``--misses`` prints every wrong answer (default: the first 12).
Printed: the share answered right per kind (current, changed, removed, not-found, as-of), the
answers' split between changed and removed, and the time per answer.

``--matchers`` also compares, on the same damaged quotes and the corpus
texts, how often diff-match-patch's Bitap match (``match_main``, pure Python,
at most 32 characters of pattern; the C++ binding's ``match``, at most 64) and
``kb.cite.locate`` put the quote at the right place, and how long each takes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
NON_ALNUM = re.compile(r"[\W_]+")
LINK_TARGET = re.compile(r"\]\([^)\s]*\)")


def norm(text: str) -> str:
    """Letters and digits only, NFKC, lower case, link targets left out (a reader does not see them):
    this script's own idea of "the same wording"."""
    return NON_ALNUM.sub("", unicodedata.normalize("NFKC", LINK_TARGET.sub("]", text)).lower())


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


CJK_END = re.compile(r"(?<=[。！？；])")
SEMICOLON = re.compile(r"(?<=;)\s+")
_SPLITTERS: dict = {}


def split_sentences(line: str, lang: str = "en") -> list[str]:
    """The sentences of one line: the Koehn & Schroeder splitter of ``sentence-splitter`` (the Moses rules with
    each language's non-breaking prefixes, so "zum 1. Januar", "Inc." and "z. B." do not end a sentence;
    English rules for a language it has none for), then at semicolons (clauses a consultant quotes apart) and
    at the Chinese and Japanese sentence ends."""
    from sentence_splitter import SentenceSplitter, SentenceSplitterException

    lang = (lang or "en").split("-")[0].lower()
    if lang not in _SPLITTERS:
        try:
            _SPLITTERS[lang] = SentenceSplitter(language=lang)
        except SentenceSplitterException:
            _SPLITTERS[lang] = _SPLITTERS.get("en") or SentenceSplitter(language="en")
    out = []
    for piece in _SPLITTERS[lang].split(line):
        for part in SEMICOLON.split(piece):
            out += [x for x in CJK_END.split(part) if x.strip()]
    return out


def clean_line(line: str) -> str:
    """A line as a reader sees its words: Markdown escapes undone (``7\\.`` is ``7.``), then a list marker
    (``-``, ``7.``) and bold markers left out. The quotes and the alignment of versions (:func:`all_sentences`)
    both read lines so, or a quote's sentence is not found in its own version."""
    line = re.sub(r"\\([\\`*_{}\[\]()#+.!|-])", r"\1", line.strip()).replace("**", "").replace("__", "")
    return re.sub(r"^([-*+]|\d+\.)\s+", "", line)


def sentences(markdown: str, lang: str = "en"):
    for line in markdown.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "|", ">", "```")) or "](" in line or "<" in line:
            continue
        line = clean_line(line)
        for s in split_sentences(line, lang):
            words = s.split()
            if 8 <= len(words) <= 40 and len(norm(s)) >= 30:
                yield s


def damage(text: str, rng: random.Random | None = None, seed: int = 0) -> str:
    """The quote as a careless paste has it. Without ``rng``, the damage depends only on ``seed`` and the
    text (so that the same quote is damaged alike however many were sampled before it)."""
    rng = rng or random.Random(f"{seed}:{text}")
    words = text.split(" ")
    if len(words) > 10:
        del words[rng.randrange(2, len(words) - 2)]
    words = [w.upper() if i % 5 == 3 else w for i, w in enumerate(words)]
    out = " ".join(words[:4]) + "\n   " + " ".join(words[4:])
    out = out.replace("'", "’").translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)})
    return "“" + out + "”"


# --- the KB ---------------------------------------------------------------------------------------

def pick_documents(corpus_docs, rng, max_dates, exclude=frozenset()):
    """Documents for a small KB: 3-12 versions, one URL, at most ``max_dates`` crawl dates in all; none
    whose folder is in ``exclude`` (the documents of another KB, so that a held-out KB shares none)."""
    fit = [d for d in corpus_docs if d.part == "versions" and 3 <= len(d.versions) <= 12 and d.dir not in exclude
           and len({v.url for v in d.versions}) == 1 and max(v.file.stat().st_size for v in d.versions) < 300_000]
    rng.shuffle(fit)
    chosen, dates = [], set()
    for d in fit:
        more = {v.when for v in d.versions}
        if len(dates | more) <= max_dates:
            chosen.append(d)
            dates |= more
    return chosen


def language(doc) -> str:
    """The language to declare for a document: that of its latest version (the pipeline checks it)."""
    try:
        from pipeline.classify import detect_language
    except ImportError:  # a pipeline without language detection accepts any declared locale
        return "en"
    return detect_language(doc.versions[-1].file.read_text(encoding="utf-8"))[0] or "en"


def build_kb(corpus, data: Path, docs):
    """Crawl the chosen documents at each of their dates through the replay server, then build."""
    import yaml

    from replay.corpus import CONTENT_SELECTOR, CorpusSite
    from replay.server import ReplayServer

    sources = data / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    by_platform: dict[str, list] = {}
    keys = {}
    for d in docs:
        platform = slug(d.service)
        by_platform.setdefault(platform, []).append(d)
        keys[d.dir] = f"{platform}/{slug(d.document)}"
    for platform, ds in by_platform.items():
        host = re.match(r"https?://([^/]+)", ds[0].url).group(1)
        (sources / f"{platform}.yml").write_text(yaml.safe_dump({
            "platform": platform, "name": ds[0].service, "homepage": f"https://{host}/",
            "documents": [{"id": slug(d.document), "title": d.document, "url": d.url, "locale": language(d),
                           "type": "other", "select": [CONTENT_SELECTOR]} for d in ds]},
            allow_unicode=True, sort_keys=False), encoding="utf-8")
    rounds: dict = {}
    for d in docs:
        for v in d.versions:
            rounds.setdefault(v.when, set()).add(keys[d.dir])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cli = [sys.executable, "-m", "kb.cli"]
    started = time.monotonic()
    with ReplayServer(CorpusSite(corpus, parts=("versions",)), "2000-01-01") as server:
        for n, when in enumerate(sorted(rounds), 1):
            server.as_of = when
            args = [f"--document={k}" for k in sorted(rounds[when])]
            subprocess.run([*cli, "crawl", "--data", str(data), "--sources", str(sources), "--replay", server.url,
                            "--log-level", "ERROR", *args], check=True, env=env, cwd=ROOT, capture_output=True)
            print(f"\rcrawled {n}/{len(rounds)} dates ({time.monotonic() - started:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    subprocess.run([*cli, "build", "--data", str(data)], check=True, env=env, cwd=ROOT, capture_output=True)


def kb_documents(conn, corpus_docs):
    """Corpus document folder → KB document id, matched by URL."""
    by_url = {}
    for doc_id, url in conn.execute("select id, url from documents"):
        by_url.setdefault(url, doc_id)
    out = {}
    for d in corpus_docs:
        for url in [d.url, *d.urls, *(v.url for v in d.versions)]:
            if url in by_url:
                out[d.dir] = by_url[url]
                break
    return out


# --- quotes ---------------------------------------------------------------------------------------

def seen_by_kb(conn, corpus_docs, mapping):
    """Per corpus document, its versions that the KB's crawl fetched successfully (by time of the check).

    A version whose check failed (a page in another language than declared, a
    fetch error) never reached the KB: the cite check cannot know it, so the
    truth leaves it out too.
    """
    out, left_out = {}, 0
    for d in corpus_docs:
        if d.dir not in mapping:
            continue
        ok = {r[0] for r in conn.execute("select checked_at from checks where document_id = ? and outcome in "
                                         "('new_version', 'unchanged', 'not_modified')", [mapping[d.dir]])}
        kept = [v for v in d.versions if v.when.strftime("%Y-%m-%dT%H:%M:%SZ") in ok]
        left_out += len(d.versions) - len(kept)
        if kept:
            out[d.dir] = kept
    return out, left_out


def all_sentences(markdown: str, lang: str = "en") -> list[str]:
    """Every sentence of a text (no length limit), in order, split as the quotes are (:func:`split_sentences`):
    what :func:`truth_kind` aligns."""
    out = []
    for line in markdown.splitlines():
        out += [x for x in split_sentences(clean_line(line), lang) if norm(x)]
    return out


#: difflib ratio from which the sentence at the aligned position of the next version counts as a rewording.
TRUTH_SIMILARITY = 0.5
#: difflib ratio from which a sentence anywhere in the next version is the quote moved and reworded.
TRUTH_MOVED = 0.8


def truth_kind(old_text: str, new_text: str, key: str, lang: str = "en") -> str:
    """``changed`` or ``removed`` (see :func:`truth_step`)."""
    return truth_step(old_text, new_text, key, lang)[0]


def truth_step(old_text: str, new_text: str, key: str, lang: str = "en") -> tuple[str, str | None]:
    """``(changed, W)`` or ``(removed, None)``, by this script's own means (independent of :mod:`kb.cite`): the
    two versions' sentences are aligned by ``difflib.SequenceMatcher``. The quote changed when a sentence of the
    next version in its changed run (or two sentences either side of it: the split into sentences may shift)
    is at least ``TRUTH_SIMILARITY`` alike (difflib's ratio of the normalized sentences), or one there at least
    half as long again holds it nearly whole (:func:`partial` at least ``TRUTH_MOVED``: a clause widened, two
    sentences merged, or a sentence end the splitter does not see, "verstoßen. mobile.de kann"), or when a
    sentence anywhere in it is at least ``TRUTH_MOVED`` alike (moved and reworded); otherwise removed. Only new
    wording counts: a sentence the old version already has word for word (the unchanged neighbour next to the
    run; the copy that stays of a page that held its terms twice) is not the quote's rewording, nor is one
    next to the run that another old sentence is more alike to (:func:`closer_elsewhere`: each must be the
    other's closest). ``W``: the normalized sentence it changed into (the most alike of
    those)."""
    import difflib

    old = [norm(x) for x in all_sentences(old_text, lang)]
    new = [norm(x) for x in all_sentences(new_text, lang)]
    at = next((i for i, x in enumerate(old) if key in x), None)
    if at is None:  # the quote spans sentences as split here: the pieces it covers are aligned as one
        span = next(((i, j) for i in range(len(old)) if key[:20] in old[i]
                     for j in range(i + 2, min(len(old), i + 4) + 1) if key in "".join(old[i:j])), None)
        if span is not None:
            old = old[:span[0]] + ["".join(old[span[0]:span[1]])] + old[span[1]:]
            at = span[0]
        else:
            at = next((i for i in range(len(old)) if key[:20] in old[i]), None)
    if at is None:  # not found in its own version as split here: no label (left out of the figures)
        return "unknown", None
    if not new:
        return "removed", None

    def ratio(k):
        return difflib.SequenceMatcher(None, old[at], new[k], autojunk=False).ratio()

    kept = set(old)
    fresh = [k for k in range(len(new)) if new[k] not in kept]  # new wording (see the docstring)
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in opcodes:
        if i1 <= at < i2 and tag != "equal":
            window = [k for k in fresh if j1 - 2 <= k < j2 + 2]
            near = [k for k in window if ratio(k) >= TRUTH_SIMILARITY and not closer_elsewhere(old, at, new[k], ratio(k))]
            if near:
                return "changed", new[max(near, key=ratio)]
            # the quote stands nearly whole inside a longer new sentence (a clause widened, sentences merged, or a
            # sentence end the splitter does not see: "verstoßen. mobile.de kann ...")
            merged = [k for k in window if len(new[k]) > 1.5 * len(old[at]) and partial(old[at], new[k]) >= TRUTH_MOVED]
            if merged:
                return "changed", new[max(merged, key=lambda k: partial(old[at], new[k]))]
    paired = mutual_pair(old, new, at, opcodes)
    if paired is not None:
        return "changed", new[paired]
    quick = [k for k in fresh if difflib.SequenceMatcher(None, old[at], new[k]).real_quick_ratio() >= TRUTH_MOVED]
    moved = [k for k in quick if ratio(k) >= TRUTH_MOVED]
    return ("changed", new[max(moved, key=ratio)]) if moved else ("removed", None)


def closer_elsewhere(old: list[str], at: int, sentence: str, score: float) -> bool:
    """Whether another sentence of the old version is more alike to ``sentence`` than ``old[at]`` is (``score``):
    then ``sentence`` is that one's rewording ("The arbitrator(s) shall have the authority to grant any
    non-monetary remedy" is the old "The arbitrator shall have the authority to grant any non-monetary remedy",
    not the quote next to it that also speaks of the arbitrator's authority)."""
    import difflib

    for i, other in enumerate(old):
        if i == at:
            continue
        m = difflib.SequenceMatcher(None, sentence, other, autojunk=False)
        if m.real_quick_ratio() > score and m.quick_ratio() > score and m.ratio() > score:
            return True
    return False


def partial(short: str, long: str) -> float:
    """difflib's ratio of ``short`` and the stretch of ``long`` most like it (as long as ``short``, placed by each
    of the two strings' matching blocks): how nearly whole ``short`` stands inside ``long``."""
    import difflib

    best = 0.0
    for a, b, size in difflib.SequenceMatcher(None, short, long, autojunk=False).get_matching_blocks():
        if size:
            start = max(0, b - a)
            window = long[start:start + len(short)]
            best = max(best, difflib.SequenceMatcher(None, short, window, autojunk=False).ratio())
    return best


def mutual_pair(old: list[str], new: list[str], at: int, opcodes) -> int | None:
    """The new sentence that is ``old[at]`` reworded when the diff's runs do not put them side by side: of the
    new version's sentences the diff left unaligned (``opcodes``: not in an ``equal`` run), the one most alike
    to ``old[at]``, at least ``TRUTH_SIMILARITY`` alike, whose most alike among the old version's unaligned
    sentences is ``old[at]`` itself: the two pair up with each other and with nothing better (the pairing that
    move and rename detection uses). A restructured document breaks the sequence alignment (a sentence kept
    word for word but moved is matched across the rewritten block and splits its runs), not this pairing. A new
    sentence that stands word for word inside another old unaligned sentence (the splitter cut the two versions
    differently: "... Paslaugomis. „Turinys“ ..." is one sentence to it) comes from that one: no pair."""
    import difflib

    if any(tag == "equal" and i1 <= at < i2 for tag, i1, i2, _, _ in opcodes):
        return None
    inserted = [k for tag, _, _, j1, j2 in opcodes if tag != "equal" for k in range(j1, j2)]
    deleted = [i for tag, i1, i2, _, _ in opcodes if tag != "equal" for i in range(i1, i2)]

    def best(x: str, among: list[int], texts: list[str]):
        scored = []
        for k in among:
            m = difflib.SequenceMatcher(None, x, texts[k], autojunk=False)
            if m.real_quick_ratio() >= TRUTH_SIMILARITY and m.quick_ratio() >= TRUTH_SIMILARITY:
                scored.append((m.ratio(), k))
        return max(scored, default=(0.0, None))

    score, k = best(old[at], inserted, new)
    if k is None or score < TRUTH_SIMILARITY:
        return None
    if any(new[k] in old[i] for i in deleted if i != at):
        return None  # it stands word for word inside another old sentence (split otherwise there): that one's
    _, back = best(new[k], deleted, old)
    return k if back == at else None


#: How many rewordings of a rewording :func:`truth_chain` follows (as :data:`kb.cite.answer.MAX_FOLLOWED`).
TRUTH_FOLLOWED = 3


def truth_chain(texts: list[str], last: int, key: str, lang: str = "en") -> list[tuple[str, int]]:
    """What became of a quote whose last version is ``texts[last]``: ``[(kind, index of the first version
    without it)]``, one step per wording. The first step is :func:`truth_step`'s; when it is ``changed`` into W
    and W is not in the latest version, W is followed the same way from the last version that has it (at most
    ``TRUTH_FOLLOWED`` steps). A chain that ends in ``removed`` means: reworded on the first date, and the last
    wording removed on the last date."""
    out = []
    while True:
        kind, successor = truth_step(texts[last], texts[last + 1], key, lang)
        if kind == "unknown" and out:
            return out
        out.append((kind, last + 1))
        if kind in ("removed", "unknown") or len(out) > TRUTH_FOLLOWED or not successor:
            return out
        normed = [norm(t) for t in texts]
        j = last + 1
        if successor not in normed[j]:
            return out
        while j + 1 < len(texts) and successor in normed[j + 1]:
            j += 1
        if j == len(texts) - 1:
            return out  # the last wording is current
        key, last = successor, j


def sample_quotes(corpus_docs, mapping, rng, per_kind, seen=None, langs=None):
    """``[{kind, quote, dir, document, expected_at}]``: current and outdated sentences with their truth.

    Candidates are the sentences of each document's versions that occur once in
    their version and in no other document; they are sampled round-robin over
    documents, and only then is each one's history worked out (which versions
    have it), so the big documents cost little. ``seen`` (see :func:`seen_by_kb`)
    limits each document to the versions the KB saw; ``langs`` gives each document's language (for the
    sentence splitter, default English).
    """
    langs = langs or {}
    docs = [d for d in corpus_docs if d.dir in mapping and (seen is None or d.dir in seen)]
    history = {d.dir: (seen[d.dir] if seen is not None else d.versions) for d in docs}
    texts = {d.dir: [v.file.read_text(encoding="utf-8") for v in history[d.dir]] for d in docs}
    norms = {k: [norm(t) for t in ts] for k, ts in texts.items()}
    keys_of = {}
    for d in docs:
        keys_of[d.dir] = {}
        for i, text in enumerate(texts[d.dir]):
            for s in sentences(text, langs.get(d.dir, "en")):
                keys_of[d.dir].setdefault(norm(s), (i, s))
    owners: dict[str, int] = {}
    for keys in keys_of.values():
        for key in keys:
            owners[key] = owners.get(key, 0) + 1
    current, outdated = {}, {}
    for d in docs:
        final = norms[d.dir][-1]
        for key, (i, s) in keys_of[d.dir].items():
            if owners[key] > 1:
                continue
            if key in final:
                current.setdefault(d.dir, []).append((key, s))
            else:
                outdated.setdefault(d.dir, []).append((key, s))
    out = []
    for kind, pool in (("current", current), ("outdated", outdated)):
        for qs in pool.values():
            qs.sort()
            rng.shuffle(qs)
        picked = []
        while len(picked) < per_kind and any(pool.values()):  # round-robin over documents
            for folder in sorted(pool):
                if pool[folder] and len(picked) < per_kind:
                    key, s = pool[folder].pop()
                    ns = norms[folder]
                    if any(n.count(key) > 1 for n in ns if key in n):
                        continue  # twice in one version: no single place to point at
                    q = {"kind": kind, "quote": s, "dir": folder, "document": mapping[folder]}
                    if kind == "outdated":
                        last = max(j for j, n in enumerate(ns) if key in n)
                        versions = history[folder]
                        q["expected_at"] = versions[last + 1].when.strftime("%Y-%m-%dT%H:%M:%SZ")
                        q["last_version_at"] = versions[last].when.strftime("%Y-%m-%dT%H:%M:%SZ")
                        chain = truth_chain(texts[folder], last, key, langs.get(folder, "en"))
                        if chain[0][0] == "unknown":
                            continue
                        q["truth"] = chain[0][0]
                        if len(chain) > 1 and chain[-1][0] == "removed":  # reworded, that wording removed later
                            q["then_removed_at"] = versions[chain[-1][1]].when.strftime("%Y-%m-%dT%H:%M:%SZ")
                    picked.append(q)
        out += picked
    return out, texts


def right(answers, q):
    mine = [a for a in answers if a.get("document") == q["document"]]
    if not mine:
        return False, answers[0]["status"], None
    a = mine[0]
    if q["kind"] == "current":
        return a["status"] == "current", a["status"], None
    if q.get("then_removed_at"):  # reworded on one date, that wording removed on a later one: both steps
        ok = (a["status"] == "removed" and a.get("removed_with") == "successor"
              and (a.get("changed_at") or "")[:10] == q["expected_at"][:10]
              and (a.get("removed_at") or "")[:10] == q["then_removed_at"][:10])
        return ok, a["status"] + ("→successor" if a.get("removed_with") == "successor" else ""), a.get("changed_at")
    ok = a["status"] == q["truth"] and (a.get("changed_at") or "")[:10] == q["expected_at"][:10]
    return ok, a["status"], a.get("changed_at")


def ask_as_of(conn, quotes, now):
    """Each outdated quote (clean) asked ``--as-of`` the day of the last version that had it (expected
    ``present``) and the day of the first that lacks it (expected ``absent``); days with both versions are
    left out (a day's answer is the version current at its end)."""
    from kb.cite import cite

    out = []
    for q in quotes:
        if q["kind"] != "outdated" or q["last_version_at"][:10] == q["expected_at"][:10]:
            continue
        for variant, day in (("present", q["last_version_at"][:10]), ("absent", q["expected_at"][:10])):
            t0 = time.perf_counter()
            answers = cite(conn, q["quote"], now=now, as_of=day)
            ms = (time.perf_counter() - t0) * 1000
            mine = [a for a in answers if a.get("document") == q["document"]]
            got = mine[0].get("as_of_status") if mine else answers[0].get("as_of_status")
            out.append({**q, "kind": "as-of", "truth": None, "variant": variant, "ok": got == variant,
                        "status": got or answers[0]["status"], "changed_at": None, "asked": q["quote"], "ms": ms,
                        "similarity": None, "basis": None})
    return out


def ask_not_found(conn, corpus_docs, mapping, texts, rng, n, now, langs=None):
    """Sentences of corpus documents that are not in the KB, in no version of a KB document: expected
    ``not_found``."""
    from kb.cite import cite

    known = "|".join(norm(t) for ts in texts.values() for t in ts)
    pool = []
    for d in sorted(corpus_docs, key=lambda d: d.dir):
        if d.dir in mapping or not d.versions:
            continue
        pool += [(d.dir, s) for s in sentences(d.versions[-1].file.read_text(encoding="utf-8"),
                                               (langs or {}).get(d.dir) or language(d))]
    pool.sort()
    rng.shuffle(pool)
    out = []
    for folder, s in pool:
        if len(out) >= n:
            break
        if norm(s) in known:
            continue
        t0 = time.perf_counter()
        answers = cite(conn, s, now=now)
        ms = (time.perf_counter() - t0) * 1000
        out.append({"kind": "not-found", "quote": s, "dir": folder, "document": None, "variant": "clean",
                    "ok": answers[0]["status"] == "not_found", "status": answers[0]["status"], "changed_at": None,
                    "asked": s, "ms": ms, "similarity": None, "basis": None})
    return out


# --- matchers -------------------------------------------------------------------------------------

def compare_matchers(quotes, texts, rng):
    """Locate each damaged quote in the last corpus version that has it: Bitap vs key form + rapidfuzz."""
    from diff_match_patch import diff_match_patch

    from kb.cite import key_form, key_text, locate

    try:
        import fast_diff_match_patch as fast
    except ImportError:
        fast = None
    dmp = diff_match_patch()
    dmp.Match_Threshold = 0.5
    results = {"dmp_match_main (pure, 32-char prefix)": [], "dmp match (C++, 64-char prefix)": [],
               "key form + rapidfuzz (kb.cite.locate)": []}
    for q in quotes:
        versions = texts[q["dir"]]
        clean = norm(q["quote"])
        text = next(t for t in reversed(versions) if clean in norm(t))
        kt = key_text(text)
        truth = kt.key.find(key_form(q["quote"]))
        if truth < 0:
            continue
        damaged = key_form(damage(q["quote"], rng))
        dmp.Match_Distance = len(kt.key)  # no expected location: any place is as likely
        t0 = time.perf_counter()
        at = dmp.match_main(kt.key, damaged[:dmp.Match_MaxBits], 0)
        t1 = time.perf_counter()
        m = locate(damaged, kt)
        t2 = time.perf_counter()
        results["dmp_match_main (pure, 32-char prefix)"].append((at >= 0 and abs(at - truth) <= 3, (t1 - t0) * 1000))
        results["key form + rapidfuzz (kb.cite.locate)"].append(
            (m is not None and abs(m.start - truth) <= 3 and m.q_err == 0, (t2 - t1) * 1000))
        if fast is not None:
            t0 = time.perf_counter()
            at = fast.match(kt.key, damaged[:64], 0, match_threshold=0.5, match_distance=len(kt.key), match_maxbits=64)
            t1 = time.perf_counter()
            results["dmp match (C++, 64-char prefix)"].append((at >= 0 and abs(at - truth) <= 3, (t1 - t0) * 1000))
    return {name: {"n": len(r), "located": round(sum(ok for ok, _ in r) / max(1, len(r)), 3),
                   "median_ms": round(statistics.median(t for _, t in r), 2) if r else None,
                   "p95_ms": round(sorted(t for _, t in r)[int(0.95 * (len(r) - 1))], 2) if r else None}
            for name, r in results.items() if r}


# --- main -----------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--data", default="data/eval", help="a KB to reuse, or where to build a small one")
    parser.add_argument("--quotes", type=int, default=150, help="quotes per kind (current, outdated)")
    parser.add_argument("--dump", default=None, help="write every asked quote with its answer's fields here (JSON)")
    parser.add_argument("--seed", type=int, default=20260701)
    parser.add_argument("--max-dates", type=int, default=45, help="crawl dates when building a KB")
    parser.add_argument("--exclude-kb", action="append", default=[],
                        help="when building a KB: leave out the documents of the KB in this folder (a held-out KB); "
                             "may be given more than once")
    parser.add_argument("--matchers", action="store_true", help="also compare dmp match_main with kb.cite.locate")
    parser.add_argument("--misses", action="store_true", help="print every wrong answer (default: the first 12)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    corpus, data = Path(args.corpus), Path(args.data)
    if not (corpus / "versions").is_dir():
        print(f"skipped: no corpus at {corpus}", file=sys.stderr)
        return 0
    from kb.cite import cite
    from replay.corpus import load_corpus

    corpus_docs = load_corpus(corpus, parts=("versions",))
    built = False
    if not (data / "policykb.db").exists():
        exclude = set()
        for folder in args.exclude_kb:
            other = sqlite3.connect(f"file:{Path(folder) / 'policykb.db'}?mode=ro", uri=True)
            exclude |= set(kb_documents(other, corpus_docs))
            other.close()
        docs = pick_documents(corpus_docs, random.Random(args.seed), args.max_dates, exclude)
        print(f"building a KB of {len(docs)} documents in {data}", file=sys.stderr)
        build_kb(corpus, data, docs)
        built = True
    conn = sqlite3.connect(f"file:{data / 'policykb.db'}?mode=ro", uri=True)
    mapping = kb_documents(conn, corpus_docs)
    if not mapping:
        print(f"error: no document of {data}/policykb.db has a URL of the corpus", file=sys.stderr)
        return 2
    now = conn.execute("select max(checked_at) from checks").fetchone()[0]
    seen, left_out = seen_by_kb(conn, corpus_docs, mapping)
    # Its own generator: the same quotes whether the KB was built just now (which draws from another) or reused.
    locales = dict(conn.execute("select id, locale from documents"))
    langs = {d.dir: (locales.get(mapping[d.dir]) or "en") for d in corpus_docs if d.dir in mapping}
    quotes, texts = sample_quotes(corpus_docs, mapping, random.Random(args.seed), args.quotes, seen, langs)
    rows = []
    rows += ask_as_of(conn, quotes, now)
    rows += ask_not_found(conn, corpus_docs, mapping, texts, random.Random(args.seed), args.quotes // 3, now, langs)
    for q in quotes:
        for variant in ("clean", "damaged"):
            quote = q["quote"] if variant == "clean" else damage(q["quote"], seed=args.seed)
            t0 = time.perf_counter()
            answers = cite(conn, quote, now=now)
            ms = (time.perf_counter() - t0) * 1000
            ok, status, changed_at = right(answers, q)
            mine = [a for a in answers if a.get("document") == q["document"]]
            rows.append({**q, "variant": variant, "ok": ok, "status": status, "changed_at": changed_at,
                         "asked": quote, "ms": ms, "similarity": mine[0].get("similarity") if mine else None,
                         "basis": mine[0].get("basis") if mine else None})

    plain = [r for r in rows if r["kind"] not in ("as-of", "not-found")]
    extra = [r for r in rows if r["kind"] in ("as-of", "not-found")]
    rows = plain + extra
    summary = {"kb": str(data / "policykb.db"), "built_here": built, "documents": len(set(mapping.values())),
               "corpus_versions_not_in_kb": left_out,
               "versions": conn.execute("select count(*) from versions").fetchone()[0], "kinds": {}}
    for kind in ("current", "changed", "removed", "not-found", "as-of"):
        for variant in ("clean", "damaged", "present", "absent"):
            sel = [r for r in rows if (r.get("truth") or r["kind"]) == kind and r["variant"] == variant]
            if not sel:
                continue
            statuses: dict[str, int] = {}
            for r in sel:
                statuses[r["status"]] = statuses.get(r["status"], 0) + 1
            summary["kinds"][f"{kind}/{variant}"] = {
                "n": len(sel), "right": round(sum(r["ok"] for r in sel) / len(sel), 3), "answers": statuses,
                "documents": len({r["dir"] for r in sel})}
    chains = [r for r in rows if r.get("then_removed_at")]
    if chains:  # truly changed, then that wording removed: counted with "changed" (its first step), both steps asked
        summary["changed_then_removed"] = {"n": len(chains), "right": round(sum(r["ok"] for r in chains) / len(chains), 3)}
    # How the threshold was chosen: the similarity of the passage standing where the quote stood, per truth,
    # for the outdated quotes whose passage also has the same section and a diff-aligned position.
    summary["similarity"] = {}
    for truth in ("changed", "removed"):
        sims = sorted(r["similarity"] for r in rows if r.get("truth") == truth and r.get("similarity") is not None
                      and {"section", "alignment"} <= set(r.get("basis") or []))
        summary["similarity"][truth] = sims
    times = sorted(r["ms"] for r in rows)
    if times:
        summary["time_ms"] = {"median": round(statistics.median(times), 1),
                              "p95": round(times[int(0.95 * (len(times) - 1))], 1), "max": round(times[-1], 1)}
    summary["wrong"] = [{k: r[k] for k in ("kind", "truth", "variant", "document", "status", "changed_at", "asked",
                                           "expected_at", "then_removed_at") if r.get(k)} for r in rows if not r["ok"]]
    if args.dump:
        Path(args.dump).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.matchers:
        summary["matchers"] = compare_matchers([q for q in quotes], texts, random.Random(args.seed))
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    print(f"KB {summary['kb']}: {summary['documents']} corpus documents, {summary['versions']} versions"
          + (" (built here)" if built else " (reused)")
          + f"; {left_out} corpus versions whose check failed are left out of the truth")
    print(f"{'quotes':<20} {'n':>4} {'docs':>5} {'right':>7}  answers")
    for name, s in summary["kinds"].items():
        print(f"{name:<20} {s['n']:>4} {s['documents']:>5} {s['right']:>7.1%}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(s["answers"].items())))
    if summary.get("changed_then_removed"):
        c = summary["changed_then_removed"]
        print(f"  of the changed: reworded, then that wording removed (both steps asked): n {c['n']}, right {c['right']:.1%}")
    for truth, sims in summary["similarity"].items():
        if sims:
            print(f"similarity where section and alignment agree, truly {truth}: n {len(sims)}, "
                  f"min {sims[0]}, quartiles {[sims[int(q * (len(sims) - 1))] for q in (0.25, 0.5, 0.75)]}, "
                  f"max {sims[-1]}")
    if times:
        t = summary["time_ms"]
        print(f"time per answer: median {t['median']} ms, p95 {t['p95']} ms, max {t['max']} ms")
    for name, m in summary.get("matchers", {}).items():
        print(f"matcher {name:<38} located {m['located']:.1%} of {m['n']} damaged quotes; "
              f"median {m['median_ms']} ms, p95 {m['p95_ms']} ms")
    for w in summary["wrong"][:None if args.misses else 12]:
        print(f"  wrong: {w.get('truth') or w['kind']}/{w['variant']} {w['document']} → {w['status']}"
              f"{' ' + w['changed_at'][:10] if w.get('changed_at') else ''}"
              f"{' (expected ' + w['expected_at'][:10] + ')' if w.get('expected_at') else ''}"
              f"{' (then removed ' + w['then_removed_at'][:10] + ')' if w.get('then_removed_at') else ''}: "
              f"{' '.join(w['asked'].split())[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
