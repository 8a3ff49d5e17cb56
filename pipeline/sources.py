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

import importlib.resources

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from pipeline.normalize import declaration_rules
from pipeline.yamlload import safe_load

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


#: The structure of a declaration, as a JSON Schema (draft 2020-12); what it cannot say (selectors and
#: regular expressions that compile, the file name, unique ids, families that exist) is checked below.
#: read through importlib.resources: a spider deployed to scrapyd runs from a zipped egg
SCHEMA_PATH = importlib.resources.files("pipeline").joinpath("declaration.schema.json")
#: Lists of values whose item index a message leaves out (the field is the list: ``select``, not ``select[2]``).
_LIST_FIELDS = {"select", "remove", "match", "start", "follow", "domains", "ignore_patterns", "checked"}


def declaration_schema() -> dict:
    """The JSON Schema of a declaration file (``pipeline/declaration.schema.json``)."""
    import json

    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


_VALIDATOR = None


def _validator():
    global _VALIDATOR
    if _VALIDATOR is None:
        from jsonschema import Draft202012Validator

        _VALIDATOR = Draft202012Validator(declaration_schema())
    return _VALIDATOR


def as_json_data(value):
    """YAML data as JSON data: dates and times (YAML reads ``2026-03-01`` as a date) become ISO strings."""
    from datetime import date

    if isinstance(value, dict):
        return {k: as_json_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_data(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _field_name(parts) -> str:
    out = ""
    for n, part in enumerate(parts):
        if isinstance(part, int):
            if n == len(parts) - 1 and n and parts[n - 1] in _LIST_FIELDS:
                break
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _said(schema: dict) -> str:
    """A property schema's own message (``x-message``, or that of the definition it refers to), unformatted."""
    if "x-message" in schema:
        return schema["x-message"] if "{value" not in schema["x-message"] else ""
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return _said(declaration_schema()["$defs"][ref.split("/")[-1]])
    return ""


def _schema_message(error) -> tuple[str, list]:
    """The one-line message of a schema error, and the path of the field it is about."""
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = next(p for p in error.validator_value if p not in error.instance)
        said = _said(error.schema.get("properties", {}).get(missing, {}))
        if said.startswith("is required"):
            return said, path + [missing]
        return "is required" + (f"; it {said}" if said else ""), path + [missing]
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)[0]
        return f"unknown key (known: {', '.join(known)})", path + [extra]
    found = error
    while found is not None and "x-message" not in found.schema:
        found = found.parent
    if found is None:
        return error.message[:200], path
    return found.schema["x-message"].format(value=found.instance), list(found.absolute_path)


def _check_schema(data: dict, path: Path) -> None:
    """Validate ``data`` against the schema; raise the first error as one line naming document and field."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(as_json_data(data)))
    if error is None:
        return
    message, where = _schema_message(error)
    document = None
    if len(where) >= 2 and where[0] == "documents" and isinstance(where[1], int):
        entry = data["documents"][where[1]]
        doc_id = entry.get("id") if isinstance(entry, dict) else None
        document = doc_id if isinstance(doc_id, str) else f"#{where[1] + 1}"
        where = where[2:]
    elif len(where) >= 2 and where[0] == "families" and isinstance(where[1], int):
        entry = data["families"][where[1]]
        fam_id = entry.get("id") if isinstance(entry, dict) else None
        where = [f"families[{fam_id if isinstance(fam_id, str) else where[1]}]"] + where[2:]
    raise DeclarationError(path, message, document, _field_name(where) or None)


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


def _str_list(value, path, doc, name, checked=False):
    """A selector or list of selectors (its shape checked by the schema) whose selectors compile, as a tuple.

    :param checked: the file is one that passed these checks before (:class:`CheckedDeclarations`): not compiled
    """
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not checked:
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
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeclarationError(path, f"{value!r} is not an http(s) URL", doc, name)
    return value


def _patterns(value, path, doc, name):
    if isinstance(value, str):
        value = [value]
    for pattern in value:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            raise DeclarationError(path, str(exc), doc, name) from None
    return tuple(value)


def _families(value, path, checked=False) -> tuple[Family, ...]:
    families, seen = [], set()
    for f in value or ():
        label = f"families[{f['id']}]"
        if f["id"] in seen:
            raise DeclarationError(path, "is declared twice", None, f"{label}.id")
        seen.add(f["id"])
        families.append(Family(
            id=f["id"], match=_patterns(f["match"], path, None, f"{label}.match"),
            select=_str_list(f.get("select"), path, None, f"{label}.select", checked),
            remove=_str_list(f.get("remove"), path, None, f"{label}.remove", checked), js=f.get("js"),
        ))
    return tuple(families)


def _discovery(value, path) -> Discovery | None:
    if value is None:
        return None
    start = value["start"]
    start = tuple(_url(u, path, None, "discovery.start") for u in ([start] if isinstance(start, str) else start))
    follow = _patterns(value["follow"], path, None, "discovery.follow") if value.get("follow") is not None else ()
    return Discovery(start=start, documents=_patterns(value["documents"], path, None, "discovery.documents"),
                     follow=follow, depth=value.get("depth", 2), max_pages=value.get("max_pages", 200),
                     js=value.get("js", False))


def _read_yaml(path: Path, text: str | None = None) -> dict:
    try:
        data = safe_load(path.read_text(encoding="utf-8") if text is None else text)
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
    """The platform's own fields (their shape checked by the schema): ``(id, name, homepage, declared domains)``."""
    platform_id = data["platform"]
    if path.stem != platform_id:
        raise DeclarationError(path, f"{platform_id!r} must match the file name {path.stem!r}", field_name="platform")
    homepage = _url(data["homepage"], path, None, "homepage")
    return platform_id, data["name"].strip(), homepage, data.get("domains") or []


def _verified(value) -> tuple[Verification, ...]:
    """The ``verified`` entries (their shape checked by the schema)."""
    from datetime import date

    return tuple(Verification(v["source"].strip(), v["date"].isoformat() if isinstance(v["date"], date)
                              else str(v["date"]), tuple(v["checked"])) for v in value or ())


def _document(d, index, platform_id, families, path, checked=False) -> Document:
    """One entry of ``documents`` (its shape checked by the schema; its slug's uniqueness is the caller's)."""
    label = d["id"]
    url = _url(d["url"], path, label, "url")
    family = _family_of(d, url, families, path, label)
    js = d.get("js", family.js if family and family.js is not None else False)
    # a document's own select / remove win; otherwise its family's
    select = _str_list(d.get("select"), path, label, "select", checked) if "select" in d else (
        family.select if family else ())
    interval = _interval(d.get("interval"), path, label)
    remove = _str_list(d.get("remove"), path, label, "remove", checked) if "remove" in d else (
        family.remove if family else ())
    rules, history = declaration_rules(
        d, lambda msg, name, label=label: DeclarationError(path, msg, label, name),
        lambda value, name, label=label: _str_list(value, path, label, name, checked))
    return Document(platform=platform_id, id=label, title=d["title"].strip(), url=url, locale=d["locale"],
                    type=d["type"], select=select, remove=remove, js=js, title_en=d.get("title_en"),
                    title_zh=d.get("title_zh"), interval=interval, important=d.get("important", False), rules=rules,
                    history=history, family=family.id if family else None, verified=_verified(d.get("verified")))


def load_platform(path, checked: "CheckedDeclarations | None" = None) -> Platform:
    """Load and validate one declaration file: its structure against the JSON Schema
    (:data:`SCHEMA_PATH`), then what a schema cannot say.

    :param path: path of a ``<platform>.yml`` file
    :param checked: the files that passed before: one of them (the same text) skips the JSON Schema and the
        compilation of its CSS selectors, which alone cannot fail differently on the same text; a file that
        passes now is added
    :raises DeclarationError: with one line naming file, document and field
    """
    path = Path(path)
    text = digest = None
    if checked is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DeclarationError(path, f"cannot be read ({exc})") from None
        digest = checked.digest(text)
    known = digest is not None and digest in checked
    data = _read_yaml(path, text)
    if not known:
        _check_schema(data, path)
    platform_id, name, homepage, declared_domains = _platform_header(data, path)
    families = _families(data.get("families"), path, known)
    discovery = _discovery(data.get("discovery"), path)
    documents, seen = [], set()
    for index, d in enumerate(data["documents"]):
        document = _document(d, index, platform_id, families, path, known)
        if document.id in seen:
            raise DeclarationError(path, "is declared twice", document.id, "id")
        seen.add(document.id)
        documents.append(document)
    hosts = {urlsplit(doc.url).hostname for doc in documents} | {urlsplit(homepage).hostname}
    if discovery:
        hosts |= {urlsplit(u).hostname for u in discovery.start}
    domains = tuple(d.lower() for d in declared_domains) + tuple(sorted(hosts))
    if digest is not None and not known:
        checked.add(digest)
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


def load_sources(directory=None, platforms=None, checked_in=None) -> list[Platform]:
    """Load every ``*.yml`` declaration in ``directory`` (not its sub-folders).

    :param directory: folder of declarations; defaults to ``spiders/sources``
    :param platforms: optional iterable of platform ids to keep
    :param checked_in: a data folder whose :class:`CheckedDeclarations` to consult and update (each crawl and
        build loads the same declarations, in two or three processes)
    :raises DeclarationError: on the first invalid file, or an unknown platform
    """
    directory = Path(directory) if directory else DEFAULT_SOURCES
    if not directory.is_dir():
        raise DeclarationError(directory, "is not a folder of declarations")
    checked = CheckedDeclarations(checked_in) if checked_in is not None else None
    loaded = [load_platform(p, checked) for p in sorted(directory.glob("*.yml"))]
    if checked is not None:
        checked.save()
    if platforms:
        wanted = set(platforms)
        unknown = wanted - {p.id for p in loaded}
        if unknown:
            raise DeclarationError(
                directory, f"no declaration for platform(s) {', '.join(sorted(unknown))}", field_name="platform"
            )
        loaded = [p for p in loaded if p.id in wanted]
    return loaded


#: The file of a data folder that lists the declaration texts that passed (:class:`CheckedDeclarations`).
CHECKED_FILE = ".declarations-checked.json"


class CheckedDeclarations:
    """The declaration texts of a data folder that passed the checks (``DATA/.declarations-checked.json``).

    Checking 50 declarations of 1,000 documents against the JSON Schema and compiling their CSS selectors
    (importing jsonschema and soupsieve for it) cost each process that loads them about 0.6 CPU s, and a
    crawl's launcher, its crawler and the build load the same files. A text's digest is taken with the schema's
    text and the installed jsonschema and soupsieve (where they are and when they were installed), so a new
    schema or library checks every file again. A file that cannot be written (a read-only data folder) only
    means the next process checks again.
    """

    def __init__(self, data_dir):
        import json

        self.path = Path(data_dir) / CHECKED_FILE
        self._key = self._checker()
        self._added = False
        self._used: set[str] = set()
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = None
        # anything but a record of this checker (a damaged or hand-edited file too) trusts nothing: all checked again
        digests = stored.get("digests") if isinstance(stored, dict) and stored.get("checker") == self._key else None
        self.digests = {d for d in digests if isinstance(d, str)} if isinstance(digests, list) else set()

    @staticmethod
    def _checker() -> str:
        import hashlib
        import importlib.util
        import os

        parts = [SCHEMA_PATH.read_text(encoding="utf-8")]
        for name in ("jsonschema", "soupsieve"):
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec is not None else None
            parts.append(f"{origin}:{os.stat(origin).st_mtime_ns if origin else ''}")
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()

    def digest(self, text: str) -> str:
        import hashlib

        return hashlib.sha256(f"{self._key}\0{text}".encode("utf-8")).hexdigest()

    def __contains__(self, digest) -> bool:
        if digest in self.digests:
            self._used.add(digest)
            return True
        return False

    def add(self, digest: str) -> None:
        self.digests.add(digest)
        self._used.add(digest)
        self._added = True

    def save(self) -> None:
        import json
        import os

        if not self._added or not self.path.parent.is_dir():
            return
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            # the texts this load read (the others are earlier texts of these files, or another folder's)
            tmp.write_text(json.dumps({"checker": self._key, "digests": sorted(self._used)}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)


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
