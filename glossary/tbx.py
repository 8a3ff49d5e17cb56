"""TBX export and import, both ways: TBX-Basic v3 (ISO 30042:2019, DCA style) and TBX v2 (``martif``).

A multilingual, multi-platform termbase is written here with lxml, in the
TBX-Basic dialect that CAT tools read (Trados MultiTerm, memoQ, Phrase,
Crowdin, ...), and checked against our RELAX NG encoding of the dialect's
rules (``tbx_basic.rng``, shipped with the package; see its header). The file
names the dialect's official schemas by URLs that resolve (LTAC Global's
``TBX-Basic_dialect`` repository, ``DCA/TBX-Basic_DCA.rng`` and ``.sch``, in
the ``urn:iso:std:iso:30042:ed:3.0`` namespace they use; the integrated RNG
older files named was deleted in 2023).

Tools built on translate-toolkit (Pootle, Weblate, Virtaal, ``tbx2po``) read
only TBX v2 (ISO 30042:2008, root ``martif``), so :func:`export_tbx_v2` writes
the same entries in that structure: ``termEntry``/``langSet``/``tig`` for
``conceptEntry``/``langSec``/``termSec``, with the same data categories.
:func:`import_tbx` reads either.

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
cited page's title, quote, date read   ``note`` "source title: ..." / "source quote: ..." / "source read: ..."
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
#: The official TBX-Basic (DCA) schemas: RELAX NG for the core structure, Schematron for the dialect's rules.
SCHEMA_URL = "https://raw.githubusercontent.com/LTAC-Global/TBX-Basic_dialect/master/DCA/TBX-Basic_DCA"
RNG_MODEL = (f'<?xml-model href="{SCHEMA_URL}.rng" type="application/xml" '
             'schematypens="http://relaxng.org/ns/structure/1.0"?>\n'
             f'<?xml-model href="{SCHEMA_URL}.sch" type="application/xml" '
             'schematypens="http://purl.oclc.org/dsdl/schematron"?>')
#: TBX v2 names of the v3 elements (the rest are the same in both).
V3_TO_V2 = {"tbx": "martif", "tbxHeader": "martifHeader", "conceptEntry": "termEntry", "langSec": "langSet",
            "termSec": "tig", "refObjectSec": "refObjectList"}
V2_TO_V3 = {v: k for k, v in V3_TO_V2.items()}
V2_DOCTYPE = '<!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd">'
V2_XCS = "TBXBasicXCSV02.xcs"

STATUS_TO_TBX = {"preferred": "preferredTerm-admn-sts", "admitted": "admittedTerm-admn-sts",
                 "deprecated": "deprecatedTerm-admn-sts", "former": "supersededTerm-admn-sts",
                 "jargon": "admittedTerm-admn-sts"}
TBX_TO_STATUS = {"preferredTerm-admn-sts": "preferred", "admittedTerm-admn-sts": "admitted",
                 "deprecatedTerm-admn-sts": "deprecated", "supersededTerm-admn-sts": "former"}
P_EQUIVALENCE, P_STATUS, P_DEFINITION = "equivalence: ", "status: ", "platform definition: "
P_FORMAL, P_PLAIN, P_MATCH = "formal gloss: ", "plain-language gloss: ", "match: "
#: a cited page's title, the sentence of it that uses the term, and the day it was read
P_SOURCE_TITLE, P_SOURCE_QUOTE, P_SOURCE_READ = "source title: ", "source quote: ", "source read: "
_CITATION = ((P_SOURCE_TITLE, "source_title"), (P_SOURCE_QUOTE, "source_quote"), (P_SOURCE_READ, "source_read"))
TITLE = "policykb: cross-platform seller-policy terminology"
MAPPING = ("customerSubset = platform id (none = general); notes prefixed 'equivalence:', 'status:', "
           "'platform definition:', 'formal gloss:', 'plain-language gloss:' and 'match:' carry the fields "
           "TBX-Basic has no data category for; platforms are described in back/refObjectSec (v2: refObjectList).")


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
    for prefix, field in _CITATION:
        if getattr(term, field):
            _el(sec, "note", prefix + getattr(term, field))
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
    """The glossary as a TBX-Basic v3 (DCA) file, UTF-8.

    :param glossary: what to export
    :param today: date for the header (default: today), so a test can pin it
    """
    xml = etree.tostring(_tree(glossary, today), encoding="UTF-8", xml_declaration=False,
                         pretty_print=True).decode("utf-8")
    xml = xml.replace(f'xmlns="{NS}"', f'xmlns="{NS_V3}"', 1)  # the namespace of the official schemas
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + RNG_MODEL + "\n" + xml).encode("utf-8")


def export_tbx_v2(glossary: Glossary, today: str | None = None) -> bytes:
    """The glossary as a TBX v2 (ISO 30042:2008, ``martif``) file, UTF-8: what translate-toolkit reads.

    The same entries and data categories as :func:`export_tbx`, in v2's element names and without a
    namespace; the header names TBX-Basic's v2 constraint file (``TBXBasicXCSV02.xcs``).
    """
    root = _tree(glossary, today)
    for el in root.iter():
        name = etree.QName(el).localname
        el.tag = V3_TO_V2.get(name, name)
    etree.cleanup_namespaces(root)
    root.attrib.pop("style", None)
    encoding = root.find("martifHeader/encodingDesc")
    xcs = etree.Element("p", type="XCSURI")
    xcs.text = V2_XCS
    encoding.insert(0, xcs)
    xml = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True).decode("utf-8")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + V2_DOCTYPE + "\n" + xml).encode("utf-8")


def _tree(glossary: Glossary, today: str | None):
    """The TBX-Basic v3 element tree of ``glossary`` (in the ed-2 namespace our schema names)."""
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
    return root


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


def _from_v2(root):
    """A TBX v2 (``martif``) document as the TBX-Basic v3 tree it corresponds to (ed-2 namespace).

    Element names are mapped (:data:`V2_TO_V3`); an ``ntig``'s ``termGrp`` is flattened into its
    ``termSec``; the v2-only ``p type="XCSURI"`` of the header is dropped.
    """
    root = etree.fromstring(etree.tostring(root), _PARSER)
    for ntig in list(root.iter("ntig")):
        group = ntig.find("termGrp")
        if group is not None:
            index = list(ntig).index(group)
            for child in reversed(list(group)):
                ntig.insert(index, child)
            ntig.remove(group)
        ntig.tag = "tig"
    for p in list(root.iter("p")):
        if p.get("type") == "XCSURI":
            p.getparent().remove(p)
    for el in root.iter():
        if isinstance(el.tag, str):
            name = etree.QName(el).localname
            el.tag = f"{{{NS}}}{V2_TO_V3.get(name, name)}"
    root.set("style", "dca")
    root.set("type", "TBX-Basic")
    etree.cleanup_namespaces(root)
    return etree.fromstring(etree.tostring(root), _PARSER)


def _as_v3(root):
    """Any TBX we read (v2 ``martif``, v3 in either namespace) as a v3 tree in the ed-2 namespace."""
    if etree.QName(root).localname == "martif" and not etree.QName(root).namespace:
        return _from_v2(root)
    if etree.QName(root).namespace == NS_V3:
        return _to_ed2(root)
    return root


def validate_tbx(data: bytes) -> list[str]:
    """Check a TBX file against the TBX-Basic rules (``tbx_basic.rng``); an empty list means valid.

    A TBX v2 (``martif``) file is checked as the v3 file it maps to.

    :param data: the file's bytes
    :returns: one message per problem, each with its line number
    """
    try:
        root = _parse(data)
    except GlossaryError as exc:
        return [str(exc)]
    root = _as_v3(root)
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
        elif any(text.startswith(prefix) for prefix, _ in _CITATION):
            prefix, field = next((p, f) for p, f in _CITATION if text.startswith(p))
            setattr(term, field, text[len(prefix):])
        else:
            notes.append(text)
    term.note = " ".join(notes)
    return term


# Long: one pass over a TBX file, element by element, in the order of its format.
def import_tbx(data: bytes) -> Glossary:
    """Read a TBX-Basic file, v3 or v2 (ours, or a CAT tool's), into a glossary; invalid files are refused.

    A concept needs an English term and definition and a Chinese term, definition (formal gloss) and
    plain-language gloss to become a policykb concept; the error names the concept that lacks one.

    :param data: the file's bytes
    """
    problems = validate_tbx(data)
    if problems:
        raise GlossaryError("not valid TBX-Basic: " + "; ".join(problems[:5])
                            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    root = _as_v3(_parse(data))
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
