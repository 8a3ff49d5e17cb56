"""TBX-Basic export and import (ISO 30042:2019, DCA style), for CAT tools.

translate-toolkit's TBX store is bilingual TBX v2 (``martif``) and has no
place for a platform or a third language, so a multilingual, multi-platform
termbase is written here with lxml, in the TBX-Basic dialect that CAT tools
read (Trados MultiTerm, memoQ, Phrase, Crowdin, ...), and checked against our
RELAX NG encoding of the dialect's rules (``tbx_basic.rng``, see its header).

How the glossary maps onto TBX-Basic, and what has no data category of its own:

=====================================  =============================================================
concept id                             ``conceptEntry/@id``
subject field                          ``descrip type="subjectField"`` (concept level)
English definition                     ``descrip type="definition"`` in the ``en`` langSec
Chinese formal gloss                   ``descrip type="definition"`` in the ``zh-Hans`` langSec
Chinese plain gloss                    ``note`` "plain-language gloss: ..." in the ``zh-Hans`` langSec
concept note                           ``note`` (concept level)
label / Chinese label                  the first termSec without a platform in the en / zh langSec
platform                               ``admin type="customerSubset"`` (termSec; none = general)
status preferred/admitted/deprecated   ``termNote type="administrativeStatus"`` preferred/admitted/
  /former                              deprecated/supersededTerm-admn-sts
status jargon                          admittedTerm-admn-sts + ``note`` "status: jargon"
equivalence (if not exact)             ``note`` "equivalence: close|partial|false-friend"
note on the difference                 ``note`` (no prefix)
platform's own definition              ``note`` "platform definition: ..." (TBX-Basic allows
                                       definitions at concept and language level only)
source URL                             ``xref type="externalCrossReference"``
source document#section (KB)           ``admin type="source"``
term glosses (Chinese)                 ``note`` "formal gloss: ..." / "plain-language gloss: ..."
case-sensitive matching                ``note`` "match: case-sensitive"
platforms (names, KB ids, languages)   ``back/refObjectSec type="customerSubsets"``
=====================================  =============================================================

A CAT tool shows the prefixed notes as text; :func:`import_tbx` reads them
back, so export → import gives the same glossary.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lxml import etree

from glossary.model import (
    GENERAL, ZH, Concept, Glossary, GlossaryError, Platform, Term, norm_lang,
)

NS = "urn:iso:std:iso:30042:ed-2"
NS_V3 = "urn:iso:std:iso:30042:ed:3.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA = Path(__file__).resolve().parent / "tbx_basic.rng"
RNG_MODEL = ('<?xml-model href="https://raw.githubusercontent.com/LTAC-Global/TBX-Basic_dialect/master/DCA/'
             'TBXcoreStructV03_TBX-Basic_integrated.rng" type="application/xml" '
             'schematypens="http://relaxng.org/ns/structure/1.0"?>')

STATUS_TO_TBX = {"preferred": "preferredTerm-admn-sts", "admitted": "admittedTerm-admn-sts",
                 "deprecated": "deprecatedTerm-admn-sts", "former": "supersededTerm-admn-sts",
                 "jargon": "admittedTerm-admn-sts"}
TBX_TO_STATUS = {"preferredTerm-admn-sts": "preferred", "admittedTerm-admn-sts": "admitted",
                 "deprecatedTerm-admn-sts": "deprecated", "supersededTerm-admn-sts": "former"}
P_EQUIVALENCE, P_STATUS, P_DEFINITION = "equivalence: ", "status: ", "platform definition: "
P_FORMAL, P_PLAIN, P_MATCH = "formal gloss: ", "plain-language gloss: ", "match: "
TITLE = "policykb: cross-platform seller-policy terminology"
MAPPING = ("customerSubset = platform id (none = general); notes prefixed 'equivalence:', 'status:', "
           "'platform definition:', 'formal gloss:', 'plain-language gloss:' and 'match:' carry the fields "
           "TBX-Basic has no data category for; platforms are described in back/refObjectSec.")


def _el(parent, tag, text=None, **attrs):
    el = etree.SubElement(parent, f"{{{NS}}}{tag}")
    for k, v in attrs.items():
        el.set(XML_LANG if k == "lang" else k, v)
    if text is not None:
        el.text = text
    return el


def _term_sec(lang_sec, term: Term):
    sec = _el(lang_sec, "termSec")
    _el(sec, "term", term.term)
    _el(sec, "termNote", STATUS_TO_TBX[term.status], type="administrativeStatus")
    if term.platform != GENERAL:
        _el(sec, "admin", term.platform, type="customerSubset")
    if term.source_document:
        src = term.source_document + (f"#{term.source_section}" if term.source_section else "")
        _el(sec, "admin", src, type="source")
    if term.source_url:
        _el(sec, "xref", "source", type="externalCrossReference", target=term.source_url)
    if term.status == "jargon":
        _el(sec, "note", P_STATUS + "jargon")
    if term.equivalence != "exact":
        _el(sec, "note", P_EQUIVALENCE + term.equivalence)
    if term.note:
        _el(sec, "note", term.note)
    if term.definition:
        _el(sec, "note", P_DEFINITION + term.definition)
    if term.gloss_formal:
        _el(sec, "note", P_FORMAL + term.gloss_formal)
    if term.gloss_plain:
        _el(sec, "note", P_PLAIN + term.gloss_plain)
    if term.case_sensitive:
        _el(sec, "note", P_MATCH + "case-sensitive")


def export_tbx(glossary: Glossary, today: str | None = None) -> bytes:
    """The glossary as a TBX-Basic (DCA) file, UTF-8.

    :param glossary: what to export
    :param today: date for the header (default: today), so a test can pin it
    """
    root = etree.Element(f"{{{NS}}}tbx", nsmap={None: NS})
    root.set("type", "TBX-Basic")
    root.set("style", "dca")
    root.set(XML_LANG, "en")
    header = _el(root, "tbxHeader")
    file_desc = _el(header, "fileDesc")
    _el(_el(file_desc, "titleStmt"), "title", TITLE)
    _el(_el(file_desc, "sourceDesc"), "p",
        f"Exported by policykb on {today or date.today().isoformat()}: {len(glossary.concepts)} concepts.")
    _el(_el(header, "encodingDesc"), "p", MAPPING)
    body = _el(_el(root, "text"), "body")
    for concept in glossary.concepts:
        entry = _el(body, "conceptEntry", id=concept.id)
        _el(entry, "descrip", concept.subject_field, type="subjectField")
        if concept.note:
            _el(entry, "note", concept.note)
        languages = ["en", ZH] + sorted({t.language for t in concept.terms} - {"en", ZH})
        labels = {"en": Term(concept.label, GENERAL, "en"), ZH: Term(concept.label_zh, GENERAL, ZH)}
        for lang in languages:
            lang_sec = _el(entry, "langSec", lang=lang)
            if lang == "en":
                _el(lang_sec, "descrip", concept.definition, type="definition")
            if lang == ZH:
                _el(lang_sec, "descrip", concept.gloss_formal, type="definition")
                _el(lang_sec, "note", P_PLAIN + concept.gloss_plain)
            if lang in labels:
                _term_sec(lang_sec, labels[lang])
            for term in concept.terms:
                if term.language == lang:
                    _term_sec(lang_sec, term)
    platforms = [p for p in glossary.platforms.values() if p.id != GENERAL]
    if platforms:
        section = _el(_el(root.find(f"{{{NS}}}text"), "back"), "refObjectSec", type="customerSubsets")
        for p in platforms:
            obj = _el(section, "refObject", id=f"platform-{p.id}")
            _el(obj, "item", p.id, type="customerSubset")
            _el(obj, "item", p.name, type="name")
            for key, value in (("nameZh", p.name_zh), ("homepage", p.homepage), ("kbPlatforms", " ".join(p.kb)),
                               ("languages", " ".join(p.languages)), ("demo", "yes" if p.demo else "")):
                if value:
                    _el(obj, "item", value, type=key)
    xml = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True).decode("utf-8")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + RNG_MODEL + "\n" + xml).encode("utf-8")


# --- validation ---------------------------------------------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse(data: bytes):
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise GlossaryError(f"not well-formed XML: {exc}") from None


def _to_ed2(root):
    """A copy of a TBX v3 (ed:3.0 namespace) document moved into the ed-2 namespace our schema names."""
    text = etree.tostring(root).replace(NS_V3.encode(), NS.encode())
    return etree.fromstring(text, _PARSER)


def validate_tbx(data: bytes) -> list[str]:
    """Check a TBX file against the TBX-Basic rules (``tbx_basic.rng``); an empty list means valid.

    :param data: the file's bytes
    :returns: one message per problem, each with its line number
    """
    try:
        root = _parse(data)
    except GlossaryError as exc:
        return [str(exc)]
    if etree.QName(root).localname == "martif":
        return ["this is TBX v2 (martif); export TBX-Basic v3 (ISO 30042:2019) from your tool instead"]
    if etree.QName(root).namespace == NS_V3:
        root = _to_ed2(root)
    if etree.QName(root).namespace != NS:
        return [f"root element {root.tag!r} is not a TBX element in namespace {NS} or {NS_V3}"]
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


# --- import -------------------------------------------------------------------------------------------------------


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _children(el, tag):
    return el.findall(f"{{{NS}}}{tag}")


def _read_term_sec(sec, language: str, where: str) -> Term:
    term = Term(term=_text(sec.find(f"{{{NS}}}term")), platform=GENERAL, language=language)
    if not term.term:
        raise GlossaryError(f"{where}: a termSec has an empty term")
    statuses = [_text(n) for n in _children(sec, "termNote") if n.get("type") == "administrativeStatus"]
    term.status = TBX_TO_STATUS.get(statuses[0], "preferred") if statuses else "admitted"
    for admin in _children(sec, "admin"):
        if admin.get("type") == "customerSubset":
            term.platform = _text(admin)
        elif admin.get("type") == "source":
            document, _, section = _text(admin).partition("#")
            term.source_document, term.source_section = document, section
    for xref in _children(sec, "xref"):
        if xref.get("type") == "externalCrossReference":
            term.source_url = xref.get("target", "")
    notes = []
    for note in _children(sec, "note"):
        text = _text(note)
        if text.startswith(P_STATUS):
            term.status = text[len(P_STATUS):]
        elif text.startswith(P_EQUIVALENCE):
            term.equivalence = text[len(P_EQUIVALENCE):]
        elif text.startswith(P_DEFINITION):
            term.definition = text[len(P_DEFINITION):]
        elif text.startswith(P_FORMAL):
            term.gloss_formal = text[len(P_FORMAL):]
        elif text.startswith(P_PLAIN):
            term.gloss_plain = text[len(P_PLAIN):]
        elif text == P_MATCH + "case-sensitive":
            term.case_sensitive = True
        else:
            notes.append(text)
    term.note = " ".join(notes)
    return term


# Long: one pass over a TBX file, element by element, in the order of its format.
def import_tbx(data: bytes) -> Glossary:
    """Read a TBX-Basic file (ours, or a CAT tool's) into a glossary; invalid files are refused.

    A concept needs an English term and definition and a Chinese term, definition (formal gloss) and
    plain-language gloss to become a policykb concept; the error names the concept that lacks one.

    :param data: the file's bytes
    """
    problems = validate_tbx(data)
    if problems:
        raise GlossaryError("not valid TBX-Basic: " + "; ".join(problems[:5])
                            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    root = _parse(data)
    if etree.QName(root).namespace == NS_V3:
        root = _to_ed2(root)
    glossary = Glossary(platforms={GENERAL: Platform(GENERAL, "All platforms (general)", "通用")})
    for obj in root.iter(f"{{{NS}}}refObject"):
        items = {i.get("type"): _text(i) for i in _children(obj, "item")}
        if items.get("customerSubset"):
            pid = items["customerSubset"]
            glossary.platforms[pid] = Platform(
                id=pid, name=items.get("name", pid), name_zh=items.get("nameZh", ""),
                homepage=items.get("homepage", ""), kb=items.get("kbPlatforms", "").split(),
                languages=items.get("languages", "").split(), demo=items.get("demo") == "yes")
    for n, entry in enumerate(root.iter(f"{{{NS}}}conceptEntry"), 1):
        cid = entry.get("id") or f"c{n}"
        where = f"conceptEntry {cid}"
        subject = next((_text(d) for d in entry.iter(f"{{{NS}}}descrip") if d.get("type") == "subjectField"), "")
        concept_notes = [_text(x) for x in _children(entry, "note")]
        concept = Concept(id=cid, label="", definition="", subject_field=subject or "general", label_zh="",
                          gloss_formal="", gloss_plain="", note=" ".join(concept_notes))
        for lang_sec in _children(entry, "langSec"):
            try:
                language = norm_lang(lang_sec.get(XML_LANG, ""))
            except GlossaryError as exc:
                raise GlossaryError(f"{where}: {exc}") from None
            definition = next((_text(d) for d in lang_sec.iter(f"{{{NS}}}descrip")
                               if d.get("type") == "definition"), "")
            plain = next((_text(x)[len(P_PLAIN):] for x in _children(lang_sec, "note")
                          if _text(x).startswith(P_PLAIN)), "")
            terms = [_read_term_sec(sec, language, where) for sec in _children(lang_sec, "termSec")]
            if language == "en":
                concept.definition = definition
            elif language == ZH:
                concept.gloss_formal, concept.gloss_plain = definition, plain
            for term in terms:
                if language in ("en", ZH) and term.platform == GENERAL and not (
                        concept.label if language == "en" else concept.label_zh):
                    if language == "en":
                        concept.label = term.term
                    else:
                        concept.label_zh = term.term
                    continue
                if term.platform not in glossary.platforms:
                    glossary.platforms[term.platform] = Platform(term.platform, term.platform)
                concept.terms.append(term)
        missing = [name for name, value in (("English term", concept.label), ("English definition",
                   concept.definition), ("Chinese term", concept.label_zh), ("Chinese definition",
                   concept.gloss_formal), ("Chinese plain-language gloss", concept.gloss_plain)) if not value]
        if missing:
            raise GlossaryError(f"{where}: no {', '.join(missing)}")
        glossary.concepts.append(concept)
    return glossary
