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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

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


def _url(value, path, doc, name):
    if not isinstance(value, str):
        raise DeclarationError(path, "is required and must be an http(s) URL", doc, name)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeclarationError(path, f"{value!r} is not an http(s) URL", doc, name)
    return value


def load_platform(path) -> Platform:
    """Load and validate one declaration file.

    :param path: path of a ``<platform>.yml`` file
    :raises DeclarationError: with one line naming file, document and field
    """
    path = Path(path)
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
    known = {"platform", "name", "name_zh", "homepage", "documents", "demo", "domains"}
    for key in data:
        if key not in known:
            raise DeclarationError(path, f"unknown key (known: {', '.join(sorted(known))})", field_name=key)

    documents, seen = [], set()
    for index, d in enumerate(docs_data):
        if not isinstance(d, dict):
            raise DeclarationError(path, f"documents[{index}] must be a mapping")
        doc_id = d.get("id")
        label = doc_id if isinstance(doc_id, str) else f"#{index + 1}"
        if not isinstance(doc_id, str) or not SLUG_RE.match(doc_id):
            raise DeclarationError(path, "is required: a lowercase slug", label, "id")
        if doc_id in seen:
            raise DeclarationError(path, "is declared twice", label, "id")
        seen.add(doc_id)
        doc_known = {"id", "title", "title_en", "title_zh", "url", "locale", "type", "select", "remove", "js"}
        for key in d:
            if key not in doc_known:
                raise DeclarationError(path, f"unknown key (known: {', '.join(sorted(doc_known))})", label, key)
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
                path, f"{doc_type!r} is not a document type (one of: {', '.join(DOCUMENT_TYPES)})", label, "type"
            )
        js = d.get("js", False)
        if not isinstance(js, bool):
            raise DeclarationError(path, "must be true or false", label, "js")
        select = _str_list(d.get("select"), path, label, "select")
        remove = _str_list(d.get("remove"), path, label, "remove")
        documents.append(
            Document(
                platform=platform_id, id=doc_id, title=title.strip(), url=url, locale=locale, type=doc_type,
                select=select, remove=remove, js=js, title_en=d.get("title_en"), title_zh=d.get("title_zh"),
            )
        )
    domains = tuple(data.get("domains") or ()) + tuple(
        sorted({urlsplit(doc.url).hostname for doc in documents} | {urlsplit(homepage).hostname})
    )
    return Platform(
        id=platform_id, name=name.strip(), name_zh=data.get("name_zh"), homepage=homepage,
        documents=tuple(documents), source_file=str(path), demo=bool(data.get("demo", False)),
        domains=tuple(dict.fromkeys(domains)),
    )


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
