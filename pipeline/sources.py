"""Declarations: which pages a platform has, and how to extract them.

One YAML file per platform (``spiders/sources/<platform>.yml``). Declarations
are data: adding a platform never needs new Python. This module loads and
validates them; every error names the file, the document and the field, so a
bad declaration is one clear line, not a traceback.

Example::

    platform: demomart
    name: DemoMart
    homepage: https://sellercentral.demomart.example/
    documents:
      - id: account-health
        title: Account Health Policy
        url: https://sellercentral.demomart.example/help/account-health
        locale: en-US
        type: account-health
        select: ["#help-content"]
        remove: [".visit-widget"]
        js: false

``select`` lists **alternatives, tried in order**: the first that matches an
element with text is the policy (a comma inside one selector takes several
parts of the page). When none matches, the check fails with "layout changed"
(see :mod:`pipeline.extract`): there is no silent fallback. A document with
no ``select`` at all is extracted by main-content detection, openly.

``verified`` is the declaration's provenance: where its URL and selectors
were checked against the platform's real page, and when::

        verified:
          - source: https://sellercentral-europe.amazon.com/gp/help/external/GYRKB5RU3FS5TURN
            date: 2026-12-06
            checked: [url, select]

A document without it is *unverified* (``policykb sources list`` says so).

Two optional sections serve help centres with many pages:

* ``families``: selectors for a URL pattern (e.g. every Seller Central help
  page). A document whose URL matches a family (or that names it with
  ``family:``) inherits its ``select``, ``remove`` and ``js`` unless it gives
  its own; discovered pages promoted to documents inherit them the same way.
* ``discovery``: start pages and link patterns inside the help centre; the
  spider follows them (bounded depth, declared domains only) and records the
  policy pages it finds as *discovered* (``policykb sources discovered``).

URL patterns are whole-URL wildcards: ``*`` matches any run of characters,
everything else is literal (``?`` too); a pattern starting ``re:`` is a
regular expression that must match the whole URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from pipeline.normalize import DECLARATION_KEYS as NORMALIZE_KEYS, declaration_rules

#: The controlled list of document types, so that "the code of conduct of
#: every platform" is one query (in the spirit of Open Terms Archive's
#: terms-types).
DOCUMENT_TYPES = {
    "seller-agreement": "Seller agreement / terms of service for sellers",
    "code-of-conduct": "Seller code of conduct",
    "account-health": "Account health and performance standards",
    "appeals": "Appeals, reinstatement and plan of action",
    "prohibited-products": "Prohibited and restricted products",
    "intellectual-property": "Intellectual property and counterfeit policy",
    "product-compliance": "Product compliance, safety and certification",
    "fees": "Fees and commissions",
    "shipping": "Shipping, fulfilment and delivery standards",
    "returns": "Returns, refunds and buyer-protection claims",
    "reviews": "Reviews, ratings and feedback",
    "related-accounts": "Multiple or related accounts",
    "penalties": "Violations, penalty points and enforcement",
    "privacy": "Privacy and data protection",
    "listing": "Listing and content standards",
    "ranking": "Search ranking parameters (as disclosed under the EU P2B regulation)",
    "terms-of-service": "General terms of service / user agreement (buyers and sellers alike)",
    "other": "Other seller policy",
}

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

#: Where the project's declarations live.
DEFAULT_SOURCES = Path(__file__).resolve().parent.parent / "spiders" / "sources"
#: The demo help centre's declarations (our own fictional platforms).
DEMO_SOURCES = DEFAULT_SOURCES / "demo"


class DeclarationError(ValueError):
    """A declaration file is invalid. ``str()`` is one line naming file, document and field."""

    def __init__(self, path, message, document=None, field_name=None):
        self.path = str(path)
        self.document = document
        self.field = field_name
        where = self.path
        if document:
            where += f": document {document!r}"
        if field_name:
            where += f": field {field_name!r}"
        super().__init__(f"{where}: {message}")


#: What a verification may have checked (``verified[].checked``).
CHECKABLE = ("url", "select", "remove", "js")


@dataclass(frozen=True)
class Verification:
    """Where and when a declaration was checked against the real page (its provenance)."""

    source: str  # a URL of the page or of an archive capture, or a description of the source
    date: str  # YYYY-MM-DD
    checked: tuple[str, ...]  # of CHECKABLE


@dataclass(frozen=True)
class Document:
    """One tracked page of a platform."""

    platform: str
    id: str
    title: str
    url: str
    locale: str
    type: str
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    js: bool = False
    title_en: str | None = None
    title_zh: str | None = None
    #: seconds between checks (``interval:``, e.g. ``6h``); None: the scheduler's default
    interval: float | None = None
    #: checked more often (``important: true``): the scheduler's shorter default interval
    important: bool = False
    #: normalization rules (``ignore_patterns``, ``sort_lists``) and earlier rules (``history``): pipeline.normalize
    rules: object = None
    history: tuple = ()
    #: the page family whose selectors it inherited, if any
    family: str | None = None
    #: where its URL and selectors were verified (empty: unverified)
    verified: tuple[Verification, ...] = ()

    def verified_for(self, what: str) -> bool:
        """Whether some verification checked ``what`` (``url``, ``select``, ...)."""
        return any(what in v.checked for v in self.verified)

    @property
    def key(self) -> str:
        """The document's stable id across the KB: ``platform/document``."""
        return f"{self.platform}/{self.id}"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class Platform:
    """A marketplace and the documents declared for it."""

    id: str
    name: str
    homepage: str
    documents: tuple[Document, ...]
    source_file: str
    name_zh: str | None = None
    demo: bool = False
    domains: tuple[str, ...] = field(default=())
    families: tuple["Family", ...] = field(default=())
    discovery: "Discovery | None" = None

    def family_for(self, url: str) -> "Family | None":
        """The first page family whose pattern matches ``url``, or None."""
        return next((f for f in self.families if f.matches(url)), None)

    def on_domain(self, url: str) -> bool:
        """Whether ``url`` is on one of the platform's declared domains (or a subdomain of one)."""
        return host_on_domains(urlsplit(url).hostname or "", self.domains)


def host_on_domains(host: str, domains) -> bool:
    """``host`` is one of ``domains`` or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains))


def compile_pattern(pattern: str) -> re.Pattern:
    """A URL pattern as a compiled regular expression (see the module docstring).

    :param pattern: ``https://host/help/*`` (wildcard) or ``re:<regex>``
    :raises ValueError: for an empty pattern or an invalid regular expression
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError("a URL pattern must be a non-empty string")
    if pattern.startswith("re:"):
        try:
            return re.compile(pattern[3:])
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern[3:]!r} ({exc})") from None
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def matches_any(patterns, url: str) -> str | None:
    """The first of ``patterns`` that matches the whole ``url``, or None."""
    for pattern in patterns:
        if compile_pattern(pattern).fullmatch(url):
            return pattern
    return None


@dataclass(frozen=True)
class Family:
    """Selectors shared by every page whose URL matches a pattern (e.g. every help page of a help centre)."""

    id: str
    match: tuple[str, ...]
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    js: bool | None = None

    def matches(self, url: str) -> bool:
        return matches_any(self.match, url) is not None


@dataclass(frozen=True)
class Discovery:
    """Where to look for policy pages not yet declared.

    :param start: hub pages to start from
    :param documents: patterns of links that are policy pages (recorded as discovered, and followed too)
    :param follow: patterns of links to follow (index and hub pages)
    :param depth: most link hops from a start page
    :param max_pages: most pages fetched for discovery per crawl
    :param js: render the hub pages in the browser
    """

    start: tuple[str, ...]
    documents: tuple[str, ...]
    follow: tuple[str, ...] = ()
    depth: int = 2
    max_pages: int = 200
    js: bool = False

    def wants(self, url: str) -> str | None:
        """``"document"`` for a policy page, ``"follow"`` for a hub page, else None."""
        if matches_any(self.documents, url):
            return "document"
        if matches_any(self.follow, url):
            return "follow"
        return None


def _str_list(value, path, doc, name):
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DeclarationError(path, "must be a CSS selector or a list of CSS selectors", doc, name)
    for selector in value:
        _check_selector(selector, path, doc, name)
    return tuple(value)


def _check_selector(selector, path, doc, name):
    import soupsieve

    try:
        soupsieve.compile(selector)
    except Exception as exc:  # soupsieve raises SelectorSyntaxError and others
        raise DeclarationError(path, f"invalid CSS selector {selector!r} ({exc.__class__.__name__})", doc, name)


INTERVAL_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_interval(value) -> float:
    """``90`` (seconds), ``"30s"``, ``"15m"``, ``"6h"``, ``"1d"`` or ``"2w"`` → seconds.

    :raises ValueError: for anything else, or a value that is not positive
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an interval")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = INTERVAL_RE.match(str(value))
        if not m:
            raise ValueError(f"{value!r} is not an interval: use e.g. 30m, 6h, 1d or a number of seconds")
        seconds = float(m.group(1)) * INTERVAL_UNITS[m.group(2)]
    if seconds <= 0:
        raise ValueError(f"{value!r} is not a positive interval")
    return seconds


def _interval(value, path, doc):
    if value is None:
        return None
    try:
        return parse_interval(value)
    except ValueError as exc:
        raise DeclarationError(path, str(exc), doc, "interval") from None


def _url(value, path, doc, name):
    if not isinstance(value, str):
        raise DeclarationError(path, "is required and must be an http(s) URL", doc, name)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeclarationError(path, f"{value!r} is not an http(s) URL", doc, name)
    return value


def _patterns(value, path, doc, name):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise DeclarationError(path, "must be a URL pattern or a non-empty list of them", doc, name)
    for pattern in value:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            raise DeclarationError(path, str(exc), doc, name) from None
    return tuple(value)


def _families(value, path) -> tuple[Family, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise DeclarationError(path, "must be a list of page families", field_name="families")
    families, seen = [], set()
    for index, f in enumerate(value):
        if not isinstance(f, dict):
            raise DeclarationError(path, f"families[{index}] must be a mapping", field_name="families")
        fam_id = f.get("id")
        label = f"families[{fam_id if isinstance(fam_id, str) else index}]"
        if not isinstance(fam_id, str) or not SLUG_RE.match(fam_id):
            raise DeclarationError(path, "is required: a lowercase slug", None, f"{label}.id")
        if fam_id in seen:
            raise DeclarationError(path, "is declared twice", None, f"{label}.id")
        seen.add(fam_id)
        fam_known = {"id", "match", "select", "remove", "js"}
        for key in f:
            if key not in fam_known:
                raise DeclarationError(path, f"unknown key (known: {', '.join(sorted(fam_known))})", None,
                                       f"{label}.{key}")
        js = f.get("js")
        if js is not None and not isinstance(js, bool):
            raise DeclarationError(path, "must be true or false", None, f"{label}.js")
        families.append(Family(
            id=fam_id, match=_patterns(f.get("match"), path, None, f"{label}.match"),
            select=_str_list(f.get("select"), path, None, f"{label}.select"),
            remove=_str_list(f.get("remove"), path, None, f"{label}.remove"), js=js,
        ))
    return tuple(families)


def _discovery(value, path) -> Discovery | None:
    if value is None:
        return None
    label = "discovery"
    if not isinstance(value, dict):
        raise DeclarationError(path, "must be a mapping with 'start' and 'documents'", field_name="discovery")
    disc_known = {"start", "follow", "documents", "depth", "max_pages", "js"}
    for key in value:
        if key not in disc_known:
            raise DeclarationError(path, f"unknown key (known: {', '.join(sorted(disc_known))})", None,
                                   f"{label}.{key}")
    start = value.get("start")
    if isinstance(start, str):
        start = [start]
    if not isinstance(start, list) or not start:
        raise DeclarationError(path, "must be a start URL or a non-empty list of them", None, f"{label}.start")
    start = tuple(_url(u, path, None, f"{label}.start") for u in start)
    depth = value.get("depth", 2)
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 5:
        raise DeclarationError(path, "must be a whole number from 0 to 5 (link hops from a start page)",
                               field_name=f"{label}.depth")
    max_pages = value.get("max_pages", 200)
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise DeclarationError(path, "must be a positive whole number", None, f"{label}.max_pages")
    js = value.get("js", False)
    if not isinstance(js, bool):
        raise DeclarationError(path, "must be true or false", None, f"{label}.js")
    follow = _patterns(value["follow"], path, None, f"{label}.follow") if value.get("follow") is not None else ()
    return Discovery(start=start, documents=_patterns(value.get("documents"), path, None, f"{label}.documents"),
                     follow=follow, depth=depth, max_pages=max_pages, js=js)


PLATFORM_KEYS = {"platform", "name", "name_zh", "homepage", "documents", "demo", "domains", "families", "discovery"}
DOCUMENT_KEYS = {"id", "title", "title_en", "title_zh", "url", "locale", "type", "select", "remove", "js", "interval",
                 "important", "family", "verified"} | NORMALIZE_KEYS


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DeclarationError(path, f"is not valid YAML{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeclarationError(path, f"cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise DeclarationError(path, "must be a mapping with 'platform' and 'documents'")
    return data


def _platform_header(data: dict, path: Path):
    """The platform's own fields, validated: ``(id, name, homepage, declared domains)``."""
    platform_id = data.get("platform")
    if not isinstance(platform_id, str) or not SLUG_RE.match(platform_id):
        raise DeclarationError(path, "is required: a lowercase slug such as 'amazon-us'", field_name="platform")
    if path.stem != platform_id:
        raise DeclarationError(path, f"{platform_id!r} must match the file name {path.stem!r}", field_name="platform")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DeclarationError(path, "is required", field_name="name")
    homepage = _url(data.get("homepage"), path, None, "homepage")
    docs_data = data.get("documents")
    if not isinstance(docs_data, list) or not docs_data:
        raise DeclarationError(path, "must be a non-empty list", field_name="documents")
    for key in data:
        if key not in PLATFORM_KEYS:
            raise DeclarationError(path, f"unknown key (known: {', '.join(sorted(PLATFORM_KEYS))})", field_name=key)
    declared_domains = data.get("domains") or []
    if not isinstance(declared_domains, list) or not all(isinstance(d, str) and d for d in declared_domains):
        raise DeclarationError(path, "must be a list of host names", field_name="domains")
    return platform_id, name.strip(), homepage, declared_domains


def _bool(d: dict, key: str, default, path, label):
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise DeclarationError(path, "must be true or false", label, key)
    return value


def _verified(value, path, label) -> tuple[Verification, ...]:
    from datetime import date

    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise DeclarationError(path, "must be a non-empty list of {source, date, checked}", label, "verified")
    out = []
    for i, v in enumerate(value):
        where = f"verified[{i}]"
        if not isinstance(v, dict) or set(v) - {"source", "date", "checked"}:
            raise DeclarationError(path, "must be a mapping with source, date and checked", label, where)
        source, when, checked = v.get("source"), v.get("date"), v.get("checked")
        if not isinstance(source, str) or not source.strip():
            raise DeclarationError(path, "is required: where the page was read", label, f"{where}.source")
        if isinstance(when, str):
            try:
                when = date.fromisoformat(when)
            except ValueError:
                pass
        if not isinstance(when, date):
            raise DeclarationError(path, "is required: a date (YYYY-MM-DD)", label, f"{where}.date")
        if isinstance(checked, str):
            checked = [checked]
        if not isinstance(checked, list) or not checked or not set(checked) <= set(CHECKABLE):
            raise DeclarationError(path, f"must list what was checked (of: {', '.join(CHECKABLE)})", label,
                                   f"{where}.checked")
        out.append(Verification(source.strip(), when.isoformat()[:10], tuple(checked)))
    return tuple(out)


def _document(d, index, platform_id, families, path) -> Document:
    """One entry of ``documents``, validated (its slug's uniqueness is the caller's)."""
    if not isinstance(d, dict):
        raise DeclarationError(path, f"documents[{index}] must be a mapping")
    doc_id = d.get("id")
    label = doc_id if isinstance(doc_id, str) else f"#{index + 1}"
    if not isinstance(doc_id, str) or not SLUG_RE.match(doc_id):
        raise DeclarationError(path, "is required: a lowercase slug", label, "id")
    for key in d:
        if key not in DOCUMENT_KEYS:
            raise DeclarationError(path, f"unknown key (known: {', '.join(sorted(DOCUMENT_KEYS))})", label, key)
    title = d.get("title")
    if not isinstance(title, str) or not title.strip():
        raise DeclarationError(path, "is required", label, "title")
    url = _url(d.get("url"), path, label, "url")
    locale = d.get("locale")
    if not isinstance(locale, str) or not LOCALE_RE.match(locale):
        raise DeclarationError(path, "is required: a BCP 47 tag such as 'en-US' or 'zh-CN'", label, "locale")
    doc_type = d.get("type")
    if doc_type not in DOCUMENT_TYPES:
        raise DeclarationError(
            path, f"{doc_type!r} is not a document type (one of: {', '.join(DOCUMENT_TYPES)})", label, "type")
    family = _family_of(d, url, families, path, label)
    js = _bool(d, "js", family.js if family and family.js is not None else False, path, label)
    # a document's own select / remove win; otherwise its family's
    select = _str_list(d.get("select"), path, label, "select") if "select" in d else (family.select if family else ())
    interval = _interval(d.get("interval"), path, label)
    important = _bool(d, "important", False, path, label)
    remove = _str_list(d.get("remove"), path, label, "remove") if "remove" in d else (family.remove if family else ())
    rules, history = declaration_rules(
        d, lambda msg, name, label=label: DeclarationError(path, msg, label, name),
        lambda value, name, label=label: _str_list(value, path, label, name))
    return Document(platform=platform_id, id=doc_id, title=title.strip(), url=url, locale=locale, type=doc_type,
                    select=select, remove=remove, js=js, title_en=d.get("title_en"), title_zh=d.get("title_zh"),
                    interval=interval, important=important, rules=rules, history=history,
                    family=family.id if family else None, verified=_verified(d.get("verified"), path, label))


def load_platform(path) -> Platform:
    """Load and validate one declaration file.

    :param path: path of a ``<platform>.yml`` file
    :raises DeclarationError: with one line naming file, document and field
    """
    path = Path(path)
    data = _read_yaml(path)
    platform_id, name, homepage, declared_domains = _platform_header(data, path)
    families = _families(data.get("families"), path)
    discovery = _discovery(data.get("discovery"), path)
    documents, seen = [], set()
    for index, d in enumerate(data["documents"]):
        document = _document(d, index, platform_id, families, path)
        if document.id in seen:
            raise DeclarationError(path, "is declared twice", document.id, "id")
        seen.add(document.id)
        documents.append(document)
    hosts = {urlsplit(doc.url).hostname for doc in documents} | {urlsplit(homepage).hostname}
    if discovery:
        hosts |= {urlsplit(u).hostname for u in discovery.start}
    domains = tuple(d.lower() for d in declared_domains) + tuple(sorted(hosts))
    return Platform(
        id=platform_id, name=name, name_zh=data.get("name_zh"), homepage=homepage,
        documents=tuple(documents), source_file=str(path), demo=bool(data.get("demo", False)),
        domains=tuple(dict.fromkeys(domains)), families=families, discovery=discovery,
    )


def _family_of(d, url, families, path, label) -> Family | None:
    """The family a document names (``family:``), else the first whose pattern matches its URL."""
    name = d.get("family")
    if name is None:
        return next((f for f in families if f.matches(url)), None)
    found = next((f for f in families if f.id == name), None)
    if found is None:
        known = ", ".join(f.id for f in families) or "none declared"
        raise DeclarationError(path, f"{name!r} is not a family of this platform ({known})", label, "family")
    return found


def load_sources(directory=None, platforms=None) -> list[Platform]:
    """Load every ``*.yml`` declaration in ``directory`` (not its sub-folders).

    :param directory: folder of declarations; defaults to ``spiders/sources``
    :param platforms: optional iterable of platform ids to keep
    :raises DeclarationError: on the first invalid file, or an unknown platform
    """
    directory = Path(directory) if directory else DEFAULT_SOURCES
    if not directory.is_dir():
        raise DeclarationError(directory, "is not a folder of declarations")
    loaded = [load_platform(p) for p in sorted(directory.glob("*.yml"))]
    if platforms:
        wanted = set(platforms)
        unknown = wanted - {p.id for p in loaded}
        if unknown:
            raise DeclarationError(
                directory, f"no declaration for platform(s) {', '.join(sorted(unknown))}", field_name="platform"
            )
        loaded = [p for p in loaded if p.id in wanted]
    return loaded


def documents_by_key(platforms) -> dict[str, Document]:
    """Map ``platform/document`` to its :class:`Document`."""
    return {doc.key: doc for platform in platforms for doc in platform.documents}


#: Words in a page's title or URL that suggest its document type (first match wins; English, Chinese,
#: Japanese, German, French). An ASCII hint matches whole words (plural "s" allowed), or word
#: beginnings when it ends with "*"; a CJK hint matches anywhere. Used to suggest a type for
#: discovered and imported pages.
TYPE_HINTS = (
    ("related-accounts", ("related account", "multiple account", "multiple seller account", "linked account",
                          "关联账户", "多账户", "多店铺", "関連アカウント")),
    ("code-of-conduct", ("code of conduct", "conduct", "house rules", "行为准则", "行動規範", "verhaltenskodex")),
    ("appeals", ("appeal*", "reinstat*", "plan of action", "complaint*", "mediation", "申诉", "申訴", "異議",
                 "réclamation*", "beschwerde*")),
    ("account-health", ("account health", "performance", "metrics", "账户健康", "績效", "アカウント健全性")),
    ("penalties", ("penalt*", "violation*", "enforcement", "suspension", "违规", "處罰", "处罚", "違反")),
    ("prohibited-products", ("prohibited", "restricted", "banned", "forbidden", "禁售", "禁止", "限售",
                             "verbotene")),
    ("intellectual-property", ("intellectual property", "counterfeit*", "infring*", "trademark*", "copyright*",
                               "vero", "知识产权", "智慧財產", "知的財産", "侵权")),
    ("product-compliance", ("compliance", "product safety", "safety", "certificat*", "recall*", "合规", "認証")),
    ("fees", ("fee", "commission*", "pricing", "charges", "费用", "佣金", "手續費", "手数料", "gebühr*", "frais")),
    ("shipping", ("shipping", "drop shipping", "fulfil*", "fulfill*", "delivery", "dispatch*", "logistics", "物流",
                  "发货", "配送", "出荷", "versand", "livraison")),
    ("returns", ("return*", "refund*", "money back", "a-to-z", "buyer protection", "purchase protection",
                 "guarantee", "退货", "退款", "退貨", "返品", "rückgabe", "retour*")),
    ("reviews", ("review*", "feedback", "rating*", "评价", "評價", "レビュー", "bewertung*", "avis")),
    ("listing", ("listing*", "product detail*", "creativity", "刊登", "商品信息", "出品")),
    ("privacy", ("privacy", "personal data", "data protection", "隐私", "隱私", "個人情報", "datenschutz")),
    ("ranking", ("ranking*", "search result*", "排名", "ランキング")),
    ("seller-agreement", ("agreement*", "terms", "conditions", "协议", "協議", "規約", "條款", "agb", "cgv")),
)


def _hint_re(hint: str) -> re.Pattern:
    if not hint.isascii():
        return re.compile(re.escape(hint))
    if hint.endswith("*"):
        return re.compile(r"\b" + re.escape(hint[:-1]))
    return re.compile(r"\b" + re.escape(hint) + r"s?\b")


_TYPE_HINTS_RE = [(doc_type, [_hint_re(h) for h in hints]) for doc_type, hints in TYPE_HINTS]


def suggest_type(*texts: str | None) -> str | None:
    """The document type a title or URL suggests, or None.

    :param texts: the page title, link text, URL, ... (searched together, case-insensitively)
    """
    haystack = " ".join(t for t in texts if t).lower().replace("_", " ").replace("-", " ")
    for doc_type, patterns in _TYPE_HINTS_RE:
        if any(p.search(haystack) for p in patterns):
            return doc_type
    return None


def in_host_turns(pairs):
    """``(platform, document)`` pairs reordered one host at a time, in turns (host A, B, C, A, B, C, ...).

    The order the spider takes start requests in (``spiders.policy.PolicySpider.in_host_turns`` says
    why); the in-memory test crawl (``tests/kbfactory.py``) uses it too.
    """
    turns: dict[str, list] = {}
    for platform, doc in pairs:
        turns.setdefault(urlsplit(doc.url).hostname or "", []).append((platform, doc))
    queues = list(turns.values())
    for i in range(max(map(len, queues), default=0)):
        for queue in queues:
            if i < len(queue):
                yield queue[i]
