"""CSV export and import in the row-per-entry shape of spreadsheets and MultiTerm Convert.

One row is one entry: a concept on one platform, with one column group per
language (``en``, ``zh-Hans``, ``ja``, ...) holding that platform's term and
its fields (``en_status``, ``en_equivalence``, ``en_note``,
``en_definition``; where the wording comes from: ``en_source`` (a KB
document ``platform/document#section``), ``en_cite_url``, ``en_cite_title``,
``en_cite_quote`` and ``en_cite_read`` (the platform's page, its title, the
short sentence quoted and the date read), and ``en_sourcing``
(``document`` / ``page`` / ``general`` / ``unsourced``: written so that an
unsourced term shows as such in a spreadsheet; ignored on import); ``zh-Hans_gloss_formal`` and
``zh-Hans_gloss_plain`` for Chinese). The concept's own fields (id, subject
field, English and Chinese labels, definition, glosses, note) repeat on every
row of the concept, so a spreadsheet can be filtered or sorted freely. Where a
platform has two terms in one language (a preferred and a former one), the
entry takes a second row. MultiTerm Convert maps each language column to a
language and the other columns to entry or term fields.

Files are UTF-8 with a byte-order mark, which Excel needs to show Chinese and
Japanese correctly.
"""

from __future__ import annotations

import csv
import io

from glossary.load import parse_cite, parse_source
from glossary.model import GENERAL, ZH, Concept, Glossary, GlossaryError, Platform, Term, norm_lang

CONCEPT_COLUMNS = ["concept_id", "subject_field", "label", "definition", "label_zh-Hans", "gloss_formal_zh-Hans",
                   "gloss_plain_zh-Hans", "concept_note", "platform"]
TERM_FIELDS = ["status", "equivalence", "note", "definition", "sourcing", "source", "cite_url", "cite_title",
               "cite_quote", "cite_read"]
ZH_FIELDS = ["gloss_formal", "gloss_plain"]


def _source_cells(t: Term, lang: str) -> dict:
    """A term's source columns: the KB document, and the cited page (a bare URL without a citation goes to
    ``_source``, as older files wrote it)."""
    cited = bool(t.source_title or t.source_quote or t.source_read)
    document = t.source_document + (f"#{t.source_section}" if t.source_section else "") if t.source_document else ""
    cells = {f"{lang}_source": document or ("" if cited else t.source_url)}
    if cited:
        cells.update({f"{lang}_cite_url": t.source_url, f"{lang}_cite_title": t.source_title,
                      f"{lang}_cite_quote": t.source_quote, f"{lang}_cite_read": t.source_read})
    return cells


def _columns(languages: list[str], case_languages: set[str]) -> list[str]:
    cols = list(CONCEPT_COLUMNS)
    for lang in languages:
        cols.append(lang)
        cols += [f"{lang}_{f}" for f in TERM_FIELDS]
        if lang == ZH:
            cols += [f"{lang}_{f}" for f in ZH_FIELDS]
        if lang in case_languages:
            cols.append(f"{lang}_case_sensitive")
    return cols


def export_csv(glossary: Glossary) -> str:
    """The glossary as CSV text (row per concept × platform entry); write it with ``encoding="utf-8-sig"``."""
    languages = glossary.languages()
    case_languages = {t.language for c in glossary.concepts for t in c.terms if t.case_sensitive}
    columns = _columns(languages, case_languages)
    order = {pid: i for i, pid in enumerate(glossary.platforms)}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for c in glossary.concepts:
        base = {"concept_id": c.id, "subject_field": c.subject_field, "label": c.label, "definition": c.definition,
                "label_zh-Hans": c.label_zh, "gloss_formal_zh-Hans": c.gloss_formal,
                "gloss_plain_zh-Hans": c.gloss_plain, "concept_note": c.note}
        by_platform: dict[str, dict[str, list[Term]]] = {}
        for t in c.terms:
            by_platform.setdefault(t.platform, {}).setdefault(t.language, []).append(t)
        if not by_platform:
            by_platform[GENERAL] = {}
        for platform in sorted(by_platform, key=lambda p: order.get(p, len(order))):
            per_lang = by_platform[platform]
            for i in range(max([len(v) for v in per_lang.values()] or [1])):
                row = dict(base, platform=platform)
                for lang, terms in per_lang.items():
                    if i >= len(terms):
                        continue
                    t = terms[i]
                    row.update({lang: t.term, f"{lang}_status": t.status, f"{lang}_equivalence": t.equivalence,
                                f"{lang}_note": t.note, f"{lang}_definition": t.definition,
                                f"{lang}_sourcing": t.sourcing, **_source_cells(t, lang)})
                    if lang == ZH:
                        row.update({f"{lang}_gloss_formal": t.gloss_formal, f"{lang}_gloss_plain": t.gloss_plain})
                    if t.case_sensitive:
                        row[f"{lang}_case_sensitive"] = "yes"
                writer.writerow(row)
    return out.getvalue()


def import_csv(text: str, platforms: dict[str, Platform] | None = None) -> Glossary:
    """Read CSV in the shape :func:`export_csv` writes (a spreadsheet saved as CSV) into a glossary.

    :param text: the file's text (a leading byte-order mark is ignored)
    :param platforms: platform descriptions to attach (CSV carries only platform ids)
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in CONCEPT_COLUMNS if c not in header]
    if missing:
        raise GlossaryError(f"CSV: missing column(s) {', '.join(missing)}")
    languages = [h for h in header if h not in CONCEPT_COLUMNS and "_" not in h]
    for lang in languages:
        try:
            norm_lang(lang)
        except GlossaryError:
            raise GlossaryError(f"CSV: column {lang!r} is neither a known field nor a language code") from None
    glossary = Glossary(platforms=dict(platforms or {GENERAL: Platform(GENERAL, "All platforms (general)", "通用")}))
    concepts: dict[str, Concept] = {}
    for n, row in enumerate(reader, 2):
        cid = (row.get("concept_id") or "").strip()
        if not cid:
            raise GlossaryError(f"CSV line {n}: empty concept_id")
        if cid not in concepts:
            concepts[cid] = Concept(
                id=cid, label=row["label"].strip(), definition=row["definition"].strip(),
                subject_field=row["subject_field"].strip(), label_zh=row["label_zh-Hans"].strip(),
                gloss_formal=row["gloss_formal_zh-Hans"].strip(), gloss_plain=row["gloss_plain_zh-Hans"].strip(),
                note=row["concept_note"].strip())
            glossary.concepts.append(concepts[cid])
        platform = (row.get("platform") or GENERAL).strip()
        if platform not in glossary.platforms:
            glossary.platforms[platform] = Platform(platform, platform)
        for lang in languages:
            term_text = (row.get(lang) or "").strip()
            if not term_text:
                continue
            try:
                url, document, section = parse_source(row.get(f"{lang}_source") or "")
            except GlossaryError as exc:
                raise GlossaryError(f"CSV line {n}, {lang}: {exc}") from None
            cite = {k: (row.get(f"{lang}_cite_{k}") or "").strip() for k in ("url", "title", "quote", "read")}
            if any(cite.values()):
                try:
                    url, title, quote, read = parse_cite(cite, f"CSV line {n}, {lang}_cite")
                except GlossaryError as exc:
                    raise GlossaryError(str(exc)) from None
            else:
                title = quote = read = ""
            concepts[cid].terms.append(Term(
                term=term_text, platform=platform, language=norm_lang(lang),
                status=(row.get(f"{lang}_status") or "preferred").strip(),
                equivalence=(row.get(f"{lang}_equivalence") or "exact").strip(),
                note=(row.get(f"{lang}_note") or "").strip(), definition=(row.get(f"{lang}_definition") or "").strip(),
                source_url=url, source_document=document, source_section=section, source_title=title,
                source_quote=quote, source_read=read,
                gloss_formal=(row.get(f"{lang}_gloss_formal") or "").strip(),
                gloss_plain=(row.get(f"{lang}_gloss_plain") or "").strip(),
                case_sensitive=(row.get(f"{lang}_case_sensitive") or "").strip().lower() in ("yes", "true", "1")))
    return glossary
