"""Import Open Terms Archive declarations as policykb declarations.

An OTA declaration (``<Service>.json``) names, per terms type, the page to
``fetch``, the CSS selectors to ``select`` and ``remove``, whether scripts
must run (``executeClientScripts``), ``combine`` for a document assembled
from several pages, and ``filter`` for named custom JavaScript filters.
:func:`convert` turns one into the data of a ``<platform>.yml`` plus one
:class:`Outcome` per document, which says what was imported, what was
changed on the way, or why a document could not be.

How each OTA feature maps:

* ``fetch`` → ``url``; ``select`` / ``remove`` (CSS strings) → ``select`` /
  ``remove``; ``executeClientScripts`` → ``js``. OTA's ``select`` list takes
  every selector's matches, ours lists alternatives tried in order, so several
  OTA selectors become one selector joined with commas (the same elements);
* a PDF (no ``select``, a ``.pdf`` URL) → a document without selectors
  (policykb extracts PDF text);
* ``combine`` → one document per page (``<type>-part-1``, ...): policykb
  tracks one page per document;
* ``filter`` → imported with a warning: OTA's filters are JavaScript
  functions in the OTA collection, not data, and are not applied;
* range selectors (``{"startBefore": ..., "endBefore": ...}``) are **not
  supported**: policykb selects elements with CSS, not DOM ranges. A ``remove``
  range is dropped with a warning; a ``select`` range makes the document fail
  with that reason (in a ``combine``, only that page);
* the terms type → a policykb document type (:data:`TERMS_TYPES`); the
  locale, which OTA does not declare, is guessed from the URL (``?locale=``,
  a ``/de-de/`` path segment, the country domain) and marked as guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from pipeline.sources import DOCUMENT_TYPES, LOCALE_RE

#: OTA terms types (the ones in the P2B collection and common others) → policykb document types.
TERMS_TYPES = {
    "Marketplace Sellers Conditions": "seller-agreement",
    "Commercial Terms": "seller-agreement",
    "Premium Partner Conditions": "seller-agreement",
    "Developer Terms": "seller-agreement",  # app stores: developers are the business users that sell
    "Seller Warranty": "returns",
    "Terms of Service": "terms-of-service",
    "Marketplace Buyers Conditions": "terms-of-service",
    "Privacy Policy": "privacy",
    "Business Privacy Policy": "privacy",
    "Parent Organization Privacy Policy": "privacy",
    "Ranking Parameters Description": "ranking",
    "Complaints Policy": "appeals",
    "Business Mediation Policy": "appeals",
    "Ad Publishing Policy": "listing",
    "Community Guidelines": "code-of-conduct",
    "Acceptable Use Policy": "code-of-conduct",
    "Copyright Claims Policy": "intellectual-property",
    "Trademark Policy": "intellectual-property",
    "Intellectual Property Policy": "intellectual-property",
    "Review Guidelines": "reviews",
    "Platform to Business Notice": "other",
    "Imprint": "other",
}
RANGE_KEYS = {"startBefore", "startAfter", "endBefore", "endAfter"}
#: Country-code domains → a default locale (used only when the URL says nothing better).
TLD_LOCALES = {
    "fr": "fr-FR", "de": "de-DE", "at": "de-AT", "ch": "de-CH", "it": "it-IT", "es": "es-ES", "pt": "pt-PT",
    "nl": "nl-NL", "be": "nl-BE", "pl": "pl-PL", "cz": "cs-CZ", "sk": "sk-SK", "hu": "hu-HU", "ro": "ro-RO",
    "bg": "bg-BG", "gr": "el-GR", "cy": "el-CY", "se": "sv-SE", "dk": "da-DK", "fi": "fi-FI", "no": "nb-NO",
    "lt": "lt-LT", "lv": "lv-LV", "ee": "et-EE", "si": "sl-SI", "hr": "hr-HR", "ie": "en-IE", "uk": "en-GB",
    "lu": "fr-LU", "jp": "ja-JP", "cn": "zh-CN", "tw": "zh-TW", "hk": "zh-HK", "kr": "ko-KR", "br": "pt-BR",
    "mx": "es-MX", "sg": "en-SG", "my": "ms-MY", "id": "id-ID", "th": "th-TH", "vn": "vi-VN", "ph": "en-PH",
}
LOCALE_PATH_RE = re.compile(r"^([a-z]{2})[-_]([a-z]{2})$", re.IGNORECASE)
LANG_PATH_RE = re.compile(r"^(fr|de|it|es|pt|nl|pl|cs|sk|hu|ro|bg|el|sv|da|fi|lt|lv|et|sl|hr|ja|zh|ko|en)$")


class OTAError(ValueError):
    """The file is not an OTA declaration at all (as opposed to one document that cannot be imported)."""


@dataclass
class Outcome:
    """What happened to one OTA terms type: ``imported`` (maybe with ``warnings``) or ``skipped`` (``reason``)."""

    terms_type: str
    status: str
    documents: list = field(default_factory=list)  # policykb document ids written
    reason: str | None = None
    warnings: list = field(default_factory=list)


@dataclass
class Conversion:
    platform: str
    data: dict
    outcomes: list

    @property
    def imported(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "imported")

    @property
    def skipped(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "skipped")


def slugify(text: str) -> str:
    """``"TikTok Shop"`` → ``"tiktok-shop"`` (ASCII letters and digits; other runs become ``-``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "service"


def guess_locale(url: str) -> str:
    """A BCP 47 locale for a page, from its URL: ``?locale=``/``?lang=``, a ``/de-de/`` or ``/fr/``
    path segment, the host's language subdomain or country domain; ``en-US`` when nothing says.

    :param url: the page URL
    """
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query):
        if key.lower() in ("locale", "lang", "language", "hl") and value:
            value = value.replace("_", "-")
            if LOCALE_RE.match(value):
                return value
    for segment in [s for s in parts.path.split("/") if s][:3]:
        m = LOCALE_PATH_RE.match(segment)
        if m:
            return f"{m.group(1).lower()}-{m.group(2).upper()}"
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    tld = labels[-1] if labels else ""
    for segment in [s for s in parts.path.split("/") if s][:2]:
        if LANG_PATH_RE.match(segment.lower()):
            lang = segment.lower()
            country = tld.upper() if len(tld) == 2 and tld not in ("uk", "eu", "io", "co") else None
            if lang == "en" and not country:
                return "en-US"
            return f"{lang}-{country}" if country else TLD_LOCALES.get(lang, lang)
    if labels and LANG_PATH_RE.match(labels[0]) and len(labels) > 2:
        lang = labels[0]
        if lang != "en":
            return TLD_LOCALES.get(tld, lang) if TLD_LOCALES.get(tld, "").startswith(lang) else lang
    if tld in TLD_LOCALES:
        return TLD_LOCALES[tld]
    return "en-US"


def _selectors(value, what):
    """CSS selectors of an OTA ``select``/``remove``: ``(strings, ranges)``."""
    if value is None:
        return [], []
    items = value if isinstance(value, list) else [value]
    strings, ranges = [], []
    for item in items:
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict) and set(item) & RANGE_KEYS:
            ranges.append("{" + ", ".join(f"{k}: {v!r}" for k, v in item.items()) + "}")
        else:
            raise ValueError(f"{what} entry {item!r} is neither a CSS selector nor a range")
    return strings, ranges


def _page(part: dict, inherited: dict, label: str):
    """One fetched page of an OTA document → ``(document fields, warnings)``; raises ValueError to skip it."""
    url = part.get("fetch")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{label}: 'fetch' is missing or not an http(s) URL ({url!r})")
    warnings = []
    select, select_ranges = _selectors(part.get("select", inherited.get("select")), "select")
    remove, remove_ranges = _selectors(part.get("remove", inherited.get("remove")), "remove")
    if select_ranges:
        raise ValueError(f"{label}: range selector {select_ranges[0]} is not supported "
                         "(policykb selects elements with CSS selectors, not DOM ranges)")
    if remove_ranges:
        warnings.append(f"{label}: range in 'remove' dropped ({remove_ranges[0]}): not supported, "
                        "so that text stays in the versions")
    from pipeline.sources import DeclarationError, _check_selector

    for selector in select + remove:
        try:
            _check_selector(selector, label, None, "select")
        except DeclarationError:
            raise ValueError(f"{label}: CSS selector {selector!r} is not valid for policykb's selector engine "
                             "(soupsieve)") from None
    filters = part.get("filter", inherited.get("filter"))
    if filters:
        names = filters if isinstance(filters, list) else [filters]
        warnings.append(f"{label}: OTA filter(s) {', '.join(map(str, names))} not applied "
                        "(OTA filters are JavaScript code, not declarations)")
    is_pdf = urlsplit(url).path.lower().endswith(".pdf") or "ext=.pdf" in url.lower()
    if not select and not is_pdf:
        warnings.append(f"{label}: no 'select': the whole page's main content is extracted")
    js = part.get("executeClientScripts", inherited.get("executeClientScripts", False))
    doc = {"url": url, "locale": guess_locale(url)}
    if select:
        # OTA keeps the matches of all its selectors; a policykb list is alternatives: one comma-joined selector
        doc["select"] = [", ".join(select)] if len(select) > 1 else select
    if remove:
        doc["remove"] = remove
    doc["js"] = bool(js)
    return doc, warnings


# Long: one OTA declaration mapped field by field, in the order of its format.
def convert(declaration: dict, source_name: str = "") -> Conversion:
    """Convert one OTA declaration (parsed JSON) to policykb declaration data.

    :param declaration: ``{"name": ..., "terms": {terms type: {fetch, select, ...} | {combine: [...]}}}``
    :param source_name: the file name, for messages
    :raises OTAError: when it is not an OTA service declaration at all
    """
    if not isinstance(declaration, dict) or not isinstance(declaration.get("terms"), dict):
        if isinstance(declaration, dict) and declaration and all(isinstance(v, list) for v in declaration.values()):
            raise OTAError(f"{source_name}: an OTA history file (older declarations with validUntil), "
                           "not a service declaration: import the service's current <Service>.json")
        raise OTAError(f"{source_name}: not an Open Terms Archive declaration (no 'terms' mapping)")
    name = declaration.get("name")
    if not isinstance(name, str) or not name.strip():
        raise OTAError(f"{source_name}: the declaration has no service 'name'")
    platform = slugify(name)
    documents, outcomes = [], []
    for terms_type, decl in declaration["terms"].items():
        doc_type = TERMS_TYPES.get(terms_type)
        base_id = slugify(terms_type)
        if doc_type is None or doc_type not in DOCUMENT_TYPES:
            outcomes.append(Outcome(terms_type, "skipped", reason=f"OTA terms type {terms_type!r} has no "
                                    "policykb document type (add it to pipeline.ota.TERMS_TYPES)"))
            continue
        if not isinstance(decl, dict):
            outcomes.append(Outcome(terms_type, "skipped", reason="the terms entry is not a mapping"))
            continue
        parts = decl.get("combine")
        outcome = Outcome(terms_type, "imported")
        if parts is not None:
            if not isinstance(parts, list) or not parts:
                outcomes.append(Outcome(terms_type, "skipped", reason="'combine' is not a non-empty list"))
                continue
            outcome.warnings.append(f"combine of {len(parts)} pages imported as {len(parts)} documents "
                                    f"({base_id}-part-1 …): policykb tracks one page per document")
            candidates = [(f"{base_id}-part-{i}", f"{terms_type} (part {i})", p, f"page {i}")
                          for i, p in enumerate(parts, 1)]
        else:
            candidates = [(base_id, terms_type, decl, "page")]
        failures = []
        for doc_id, title, part, label in candidates:
            if not isinstance(part, dict):
                failures.append(f"{label}: not a mapping")
                continue
            try:
                fields, warnings = _page(part, decl if parts is not None else {}, label)
            except ValueError as exc:
                failures.append(str(exc))
                continue
            outcome.warnings.extend(warnings)
            documents.append({"id": doc_id, "title": f"{name} {title}", "type": doc_type,
                              "url": fields["url"], "locale": fields["locale"],
                              **{k: fields[k] for k in ("select", "remove") if k in fields}, "js": fields["js"]})
            outcome.documents.append(doc_id)
        if not outcome.documents:
            outcome.status = "skipped"
            outcome.reason = "; ".join(failures)
        elif failures:
            outcome.warnings.extend(f"{f} (page left out)" for f in failures)
        outcomes.append(outcome)
    homepage = None
    if documents:
        first = urlsplit(documents[0]["url"])
        homepage = f"{first.scheme}://{first.netloc}/"
    data = {"platform": platform, "name": name.strip(), "homepage": homepage, "documents": documents}
    return Conversion(platform=platform, data=data, outcomes=outcomes)


def convert_file(path) -> Conversion:
    """Read and convert one OTA ``<Service>.json`` file.

    :raises OTAError: unreadable JSON, or not a service declaration
    """
    path = Path(path)
    try:
        declaration = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise OTAError(f"{path.name}: cannot be read ({exc})") from None
    except ValueError as exc:
        raise OTAError(f"{path.name}: not valid JSON ({exc})") from None
    return convert(declaration, path.name)


def to_yaml(conversion: Conversion, source: str = "") -> str:
    """The declaration as YAML text, with a header saying where it came from and what to check.

    :param conversion: from :func:`convert`
    :param source: the OTA file it came from
    """
    import yaml

    lines = [f"# Imported from the Open Terms Archive declaration {source or conversion.data['name']}",
             "# by `policykb sources import-ota`. Check before tracking: locales are guessed from the URLs,",
             "# OTA filters are not applied, and range selectors are not supported.",
             ""]
    for outcome in conversion.outcomes:
        if outcome.status == "skipped":
            lines.append(f"# not imported: {outcome.terms_type}: {outcome.reason}")
        for warning in outcome.warnings:
            lines.append(f"# note: {outcome.terms_type}: {warning}")
    if len(lines) > 4:
        lines.append("")
    body = yaml.safe_dump(conversion.data, allow_unicode=True, sort_keys=False, width=120,
                          default_flow_style=None)
    # the locale is a guess: say so where it is written
    body = re.sub(r"^(\s+locale: .*)$", r"\1  # guessed from the URL", body, flags=re.M)
    return "\n".join(lines) + body

