#!/usr/bin/env python3
"""Check the rules engine's gate (``pipeline.rules._gate``) on every section of a KB and of the corpus: a section it
passes over holds no sentence or row worth reading, and a sentence it passes over is worth reading in neither its
page's language nor English. Prints a digest of every section's values too, to compare two checkouts' readings of
the KB's sections (as ``bench/rules_digest.py`` does for the corpus's).

    python bench/rules_gate_check.py [--kb DB] [--corpus DIR] [--step N]
    PYTHONPATH=/path/to/other/checkout python bench/rules_gate_check.py --kb DB --digest-only

The KB is opened read-only; each distinct (section text, language) is read once, the language being the version's
(else its document's locale), as ``kb.rules`` reads it. Exit status 1 when the gate passes over something worth
reading (it must never: the shortcut would change values).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: another checkout given there is the one measured

from rules_digest import read as read_values  # noqa: E402  (this script's folder: bench/)
from rules_digest import work as corpus_sections  # noqa: E402
from pipeline import rules  # noqa: E402


def kb_sections(db: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute("""select s.text_markdown, coalesce(nullif(v.language, ''), d.locale, '') from sections s
                           join versions v on v.id = s.version_id join documents d on d.id = v.document_id
                           order by v.seq, v.id, s.ordinal""")
    return list(dict.fromkeys((text or "", language) for text, language in rows))


def worth(text: str, language: str) -> bool:
    return bool(rules._patterns(language)["worth_reading"].search(unicodedata.normalize("NFKC", text)))


def check(markdown: str, language: str) -> list[str]:
    """What the gate got wrong in one section (nothing, when it is exact)."""
    gate, wrong = rules._gate(language), []
    if gate is None:
        return wrong
    nothing = rules._section_holds_nothing(markdown, language)
    for sentence, row, _, _ in rules._lines(markdown):
        if row:
            cells = rules._cells(sentence)
            if nothing and (worth(" | ".join(cells), language) or rules._patterns(language)["points"].search(cells[0])):
                wrong.append(f"row passed over: {sentence!r}")
            continue
        readable = worth(sentence, language) or worth(sentence, "en")
        if readable and not gate.search(rules._fold(unicodedata.normalize("NFKC", sentence))):
            wrong.append(f"sentence passed over: {sentence!r}")
        if readable and nothing:
            wrong.append(f"section passed over: {sentence!r}")
    return wrong


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", help="a KB (opened read-only)")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--step", type=int, default=1, help="only every N-th section")
    parser.add_argument("--digest-only", action="store_true", help="only the digest of the KB's sections' values")
    args = parser.parse_args(argv)
    sources = {}
    if args.kb:
        sources["kb"] = kb_sections(args.kb)
    if not args.digest_only and (args.corpus / "versions").is_dir():
        sources["corpus"] = corpus_sections(args.corpus, None)
    status = 0
    for name, pairs in sources.items():
        pairs = [(m, rules.base_language(lang)) for m, lang in pairs[::args.step] if rules.base_language(lang)]
        if name == "kb":
            values, cpu, digest = read_values(pairs)
            print(f"code {Path(rules.__file__).parent.parent}: {name}: {len(pairs)} sections, "
                  f"{sum(map(len, values))} values, digest {digest}, rules CPU {cpu:.2f} s")
        if args.digest_only:
            continue
        passed = sum(rules._section_holds_nothing(m, lang) for m, lang in pairs)
        wrong = [w for m, lang in pairs for w in check(m, lang)]
        print(f"{name}: {len(pairs)} sections, {passed} passed over by the gate, {len(wrong)} wrong")
        for w in wrong[:20]:
            print("  " + w)
        status = status or bool(wrong)
    return status


if __name__ == "__main__":
    sys.exit(main())
