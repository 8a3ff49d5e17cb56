"""Read, validate and write the glossary data files; store the glossary in the KB.

The data is plain YAML in ``glossary/`` (reviewable in a diff):

* ``platforms.yml``: the platforms terms belong to, with the KB platform ids
  (declaration files) each one covers;
* ``concepts/*.yml``: one file per subject field, each a list of concepts with
  their terms (see ``glossary/README.md`` for the fields).

A mistake is a :class:`~glossary.model.GlossaryError` whose message names the
file, the concept and the field, so ``policykb glossary load`` can say it in
one line.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from glossary.model import (
    EQUIVALENCES, GENERAL, STATUSES, ZH, Concept, Glossary, GlossaryError, Platform, Term, norm_lang,
)
from pipeline.yamlload import safe_load

DATA_DIR = Path(__file__).resolve().parent
_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TERM_FIELDS = {"platform", "lang", "term", "status", "equivalence", "note", "definition", "source", "cite",
               "gloss_formal", "gloss_plain", "case_sensitive"}
CITE_FIELDS = {"url", "title", "quote", "read"}
QUOTE_MAX = 200  # one short sentence: we quote the platform's wording, never its text
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# RFC 3986: what a URL may hold once its host is past; anything else (spaces, [ ], quotes) must be percent-encoded
# (TBX checks source URLs as xsd:anyURI, and a CAT tool or browser may cut a URL there).
_URL_RE = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d+)?([/?#][A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]*)?$")
CONCEPT_FIELDS = {"id", "label", "definition", "zh", "note", "terms"}


def _only_fields(raw: dict, fields, where: str) -> None:
    """Refuse a mapping with a field the format does not have (a typo would otherwise be ignored)."""
    unknown = set(raw) - set(fields)
    if unknown:
        raise GlossaryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")


def _text(value, where: str, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise GlossaryError(f"{where}: expected text, got {type(value).__name__}")
    value = " ".join(str(value).split())
    if required and not value:
        raise GlossaryError(f"{where}: missing")
    return value


def parse_source(source: str) -> tuple[str, str, str]:
    """``https://...`` → (url, "", ""); ``platform/document#section`` → ("", document, section)."""
    source = (source or "").strip()
    if not source:
        return "", "", ""
    if re.match(r"^https?://", source):
        check_url(source, "source")
        return source, "", ""
    document, _, section = source.partition("#")
    if document.count("/") != 1:
        raise GlossaryError(f"source {source!r}: expected a URL or platform/document#section")
    return "", document, section


def check_url(url: str, where: str):
    """An http(s) URL with only the characters RFC 3986 allows (percent-encode the rest: ``[`` → ``%5B``)."""
    if not _URL_RE.match(url):
        raise GlossaryError(f"{where}: expected an http(s) URL with any space, bracket or quote percent-encoded "
                            f"(%20, %5B, %5D), got {url!r}")


def parse_cite(raw, where: str) -> tuple[str, str, str, str]:
    """A term's ``cite: {url, title, quote, read}`` → (url, title, quote, read); every field is required.

    ``quote`` is one short sentence of the page (at most 200 characters) that uses the term; ``read`` the
    ISO date the page was read.
    """
    if raw is None:
        return "", "", "", ""
    if not isinstance(raw, dict):
        raise GlossaryError(f"{where}: expected a mapping {{url, title, quote, read}}")
    _only_fields(raw, CITE_FIELDS, where)
    url = _text(raw.get("url"), f"{where}.url", True)
    check_url(url, f"{where}.url")
    title = _text(raw.get("title"), f"{where}.title", True)
    quote = _text(raw.get("quote"), f"{where}.quote", True)
    if len(quote) > QUOTE_MAX:
        raise GlossaryError(f"{where}.quote: {len(quote)} characters; quote one short sentence "
                            f"(at most {QUOTE_MAX}), not the page")
    read = raw.get("read")
    read = read.isoformat() if hasattr(read, "isoformat") else _text(read, f"{where}.read", True)
    if not _DATE_RE.match(read):
        raise GlossaryError(f"{where}.read: expected the date the page was read as YYYY-MM-DD, got {read!r}")
    return url, title, quote, read


def format_source(term: Term) -> str:
    if term.source_url:
        return term.source_url
    if term.source_document:
        return term.source_document + (f"#{term.source_section}" if term.source_section else "")
    return ""


def read_platforms(path: Path) -> dict[str, Platform]:
    raw = safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("platforms"), dict):
        raise GlossaryError(f"{path.name}: expected a mapping `platforms:` of platform id → fields")
    platforms = {GENERAL: Platform(GENERAL, "All platforms (general)", "通用")}
    for pid, spec in raw["platforms"].items():
        where = f"{path.name}: platform {pid}"
        if not isinstance(pid, str) or not _ID_RE.match(pid):
            raise GlossaryError(f"{where}: the id must be a lower-case slug")
        if not isinstance(spec, dict):
            raise GlossaryError(f"{where}: expected a mapping")
        _only_fields(spec, {"name", "name_zh", "homepage", "kb", "languages", "demo"}, where)
        kb = spec.get("kb") or []
        if not isinstance(kb, list) or not all(isinstance(k, str) and k for k in kb):
            raise GlossaryError(f"{where}.kb: expected a list of KB platform ids (a trailing * matches a prefix)")
        platforms[pid] = Platform(
            id=pid, name=_text(spec.get("name"), f"{where}.name", True), name_zh=_text(spec.get("name_zh"), where),
            homepage=_text(spec.get("homepage"), where), kb=list(kb),
            languages=[norm_lang(x) for x in spec.get("languages") or []], demo=bool(spec.get("demo", False)),
        )
    return platforms


def _term(raw, where: str, platforms: dict[str, Platform]) -> Term:
    if not isinstance(raw, dict):
        raise GlossaryError(f"{where}: expected a mapping with platform, lang, term")
    _only_fields(raw, TERM_FIELDS, where)
    term_text = _text(raw.get("term"), f"{where}.term", True)
    where = f"{where} ({term_text})"
    platform = _text(raw.get("platform"), f"{where}.platform", True)
    if platform not in platforms:
        raise GlossaryError(f"{where}.platform: unknown platform {platform!r} (declare it in platforms.yml)")
    try:
        language = norm_lang(str(raw.get("lang", "")))
    except GlossaryError as exc:
        raise GlossaryError(f"{where}.lang: {exc}") from None
    status = _text(raw.get("status", "preferred"), f"{where}.status")
    if status not in STATUSES:
        raise GlossaryError(f"{where}.status: {status!r} is not one of {', '.join(STATUSES)}")
    equivalence = _text(raw.get("equivalence", "exact"), f"{where}.equivalence")
    if equivalence not in EQUIVALENCES:
        raise GlossaryError(f"{where}.equivalence: {equivalence!r} is not one of {', '.join(EQUIVALENCES)}")
    note = _text(raw.get("note"), f"{where}.note")
    if equivalence in ("false-friend", "partial") and not note:
        raise GlossaryError(f"{where}.note: a {equivalence} term needs a note on the difference")
    try:
        url, document, section = parse_source(_text(raw.get("source"), f"{where}.source"))
    except GlossaryError as exc:
        raise GlossaryError(f"{where}.{exc}") from None
    cite_url, title, quote, read = parse_cite(raw.get("cite"), f"{where}.cite")
    if cite_url and url:
        raise GlossaryError(f"{where}: give the page either as source: URL or as cite.url, not both")
    url = cite_url or url
    gloss_formal = _text(raw.get("gloss_formal"), f"{where}.gloss_formal")
    gloss_plain = _text(raw.get("gloss_plain"), f"{where}.gloss_plain")
    if (gloss_formal or gloss_plain) and language != ZH:
        raise GlossaryError(f"{where}: glosses belong to Chinese (zh) terms only")
    return Term(term=term_text, platform=platform, language=language, status=status, equivalence=equivalence,
                note=note, definition=_text(raw.get("definition"), f"{where}.definition"), source_url=url,
                source_document=document, source_section=section, source_title=title, source_quote=quote,
                source_read=read, gloss_formal=gloss_formal, gloss_plain=gloss_plain, case_sensitive=bool(raw.get("case_sensitive", False)))


def read_concepts(path: Path, platforms: dict[str, Platform]) -> list[Concept]:
    raw = safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("concepts"), list):
        raise GlossaryError(f"{path.name}: expected `subject_field:` and a list `concepts:`")
    subject = _text(raw.get("subject_field"), f"{path.name}: subject_field", True)
    concepts = []
    for i, item in enumerate(raw["concepts"]):
        if not isinstance(item, dict):
            raise GlossaryError(f"{path.name}: concept #{i + 1}: expected a mapping")
        cid = _text(item.get("id"), f"{path.name}: concept #{i + 1}.id", True)
        where = f"{path.name}: concept {cid}"
        if not _ID_RE.match(cid):
            raise GlossaryError(f"{where}.id: must be a lower-case slug such as order-defect-rate")
        _only_fields(item, CONCEPT_FIELDS, where)
        zh = item.get("zh")
        if not isinstance(zh, dict):
            raise GlossaryError(f"{where}.zh: missing; every concept needs zh: {{label, formal, plain}}")
        concept = Concept(
            id=cid, label=_text(item.get("label"), f"{where}.label", True),
            definition=_text(item.get("definition"), f"{where}.definition", True), subject_field=subject,
            label_zh=_text(zh.get("label"), f"{where}.zh.label", True),
            gloss_formal=_text(zh.get("formal"), f"{where}.zh.formal", True),
            gloss_plain=_text(zh.get("plain"), f"{where}.zh.plain", True),
            note=_text(item.get("note"), f"{where}.note"), source_file=path.name,
        )
        for j, raw_term in enumerate(item.get("terms") or []):
            concept.terms.append(_term(raw_term, f"{where}: term #{j + 1}", platforms))
        seen = set()
        for term in concept.all_terms():
            key = (term.platform, term.language, term.term.casefold())
            if key in seen:
                raise GlossaryError(f"{where}: term {term.term!r} is listed twice for {term.platform}/{term.language}")
            seen.add(key)
        concepts.append(concept)
    return concepts


def read_glossary(data_dir=None) -> Glossary:
    """Read and validate a glossary folder (``platforms.yml`` + ``concepts/*.yml``).

    :param data_dir: the folder; default the seed terminology shipped in ``glossary/``
    """
    data_dir = Path(data_dir) if data_dir else DATA_DIR
    platforms_file = data_dir / "platforms.yml"
    if not platforms_file.exists():
        raise GlossaryError(f"{data_dir}: no platforms.yml")
    try:
        platforms = read_platforms(platforms_file)
        glossary = Glossary(platforms=platforms)
        for path in sorted((data_dir / "concepts").glob("*.yml")):
            glossary.concepts.extend(read_concepts(path, platforms))
    except yaml.YAMLError as exc:
        raise GlossaryError(f"YAML syntax: {exc}") from None
    ids = [c.id for c in glossary.concepts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise GlossaryError(f"concept id(s) used twice: {', '.join(duplicates)}")
    return glossary


# --- writing data files (used by `policykb glossary import`) -------------------------------------------------


def _term_dict(term: Term) -> dict:
    out = {"platform": term.platform, "lang": term.language, "term": term.term}
    if term.status != "preferred":
        out["status"] = term.status
    if term.equivalence != "exact":
        out["equivalence"] = term.equivalence
    for name in ("note", "definition"):
        if getattr(term, name):
            out[name] = getattr(term, name)
    if term.source_document:
        out["source"] = term.source_document + (f"#{term.source_section}" if term.source_section else "")
    if term.source_url and (term.source_title or term.source_quote or term.source_read):
        out["cite"] = {"url": term.source_url, "title": term.source_title, "quote": term.source_quote,
                       "read": term.source_read}
    elif term.source_url and not term.source_document:
        out["source"] = term.source_url
    for name in ("gloss_formal", "gloss_plain"):
        if getattr(term, name):
            out[name] = getattr(term, name)
    if term.case_sensitive:
        out["case_sensitive"] = True
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "concepts"


def write_glossary(glossary: Glossary, data_dir) -> list[Path]:
    """Write a glossary as data files: ``platforms.yml`` and one ``concepts/<subject field>.yml`` per field.

    :param glossary: what to write
    :param data_dir: target folder (created; existing concept files there are replaced)
    """
    data_dir = Path(data_dir)
    (data_dir / "concepts").mkdir(parents=True, exist_ok=True)
    for old in (data_dir / "concepts").glob("*.yml"):
        old.unlink()
    platforms = {}
    for p in glossary.platforms.values():
        if p.id == GENERAL:
            continue
        spec = {"name": p.name}
        if p.name_zh:
            spec["name_zh"] = p.name_zh
        if p.homepage:
            spec["homepage"] = p.homepage
        if p.kb:
            spec["kb"] = p.kb
        if p.languages:
            spec["languages"] = p.languages
        if p.demo:
            spec["demo"] = True
        platforms[p.id] = spec
    written = [data_dir / "platforms.yml"]
    _dump({"platforms": platforms}, written[0])
    by_field: dict[str, list[Concept]] = {}
    for concept in glossary.concepts:
        by_field.setdefault(concept.subject_field, []).append(concept)
    for subject, concepts in by_field.items():
        items = []
        for c in concepts:
            item = {"id": c.id, "label": c.label, "definition": c.definition,
                    "zh": {"label": c.label_zh, "formal": c.gloss_formal, "plain": c.gloss_plain}}
            if c.note:
                item["note"] = c.note
            item["terms"] = [_term_dict(t) for t in c.terms]
            items.append(item)
        path = data_dir / "concepts" / f"{_slug(subject)}.yml"
        _dump({"subject_field": subject, "concepts": items}, path)
        written.append(path)
    return written


def _dump(data, path: Path):
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")
