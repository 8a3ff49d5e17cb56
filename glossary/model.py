"""The terminology model: concept → language → term, as in ISO 30042 (TBX).

A :class:`Concept` is one idea that sellers deal with (account deactivation,
order defect rate, ...), with an English label, a short definition, a subject
field and a Chinese entry carrying two glosses, a formal one and a plain one.
Under it, each :class:`Term` is what one platform calls that idea in one
language, with a status (preferred / admitted / deprecated / former / jargon),
a degree of equivalence to the concept (exact / close / partial /
false-friend) and a note on the difference that matters.

Platform ``general`` holds platform-neutral words: the concept's labels and
the sellers' own jargon (封号, 开case, ...).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

GENERAL = "general"
SOURCINGS = ("document", "page", "general", "unsourced")
STATUSES = ("preferred", "admitted", "deprecated", "former", "jargon")
EQUIVALENCES = ("exact", "close", "partial", "false-friend")
ZH = "zh-Hans"  # Simplified Chinese; the data files may write plain "zh"

# Language codes as written in the data files → the BCP 47 tag we store.
LANGUAGE_ALIASES = {"zh": ZH, "zh-cn": ZH, "zh-sg": ZH, "zh-hans": ZH, "zh-tw": "zh-Hant", "zh-hk": "zh-Hant",
                    "zh-hant": "zh-Hant"}
LANGUAGE_NAMES = {
    "en": ("English", "英语"), ZH: ("Chinese (Simplified)", "简体中文"), "zh-Hant": ("Chinese (Traditional)", "繁体中文"),
    "ja": ("Japanese", "日语"), "de": ("German", "德语"), "id": ("Indonesian", "印尼语"), "th": ("Thai", "泰语"),
    "vi": ("Vietnamese", "越南语"), "ms": ("Malay", "马来语"), "ko": ("Korean", "韩语"), "fr": ("French", "法语"),
    "es": ("Spanish", "西班牙语"), "it": ("Italian", "意大利语"), "pt": ("Portuguese", "葡萄牙语"),
}
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class GlossaryError(ValueError):
    """A glossary data file (or an imported file) is wrong; the message names the file and the field."""


def norm_lang(code: str) -> str:
    """A language code from a data file, TBX or CSV → our BCP 47 tag (``zh`` → ``zh-Hans``).

    :param code: e.g. ``en``, ``zh``, ``zh-CN``, ``ja``
    """
    code = (code or "").strip()
    if not _LANG_RE.match(code):
        raise GlossaryError(f"not a language code: {code!r}")
    key = code.lower()
    if key in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[key]
    return key.split("-")[0] if key.split("-")[0] in LANGUAGE_NAMES else code


def locale_lang(locale: str | None) -> str:
    """A document's locale (``en-US``, ``zh-CN``, ``ja-JP``) → the language tag terms use."""
    locale = (locale or "").strip().replace("_", "-")
    if not locale:
        return ""
    key = locale.lower()
    if key in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[key]
    if key.startswith("zh-"):
        return "zh-Hant" if key.split("-")[1] in ("tw", "hk", "mo", "hant") else ZH
    return key.split("-")[0]


def normalize(text: str) -> str:
    """Text as compared in look-ups: NFKC (full-width → half-width), case-folded, one space between words."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


@dataclass
class Platform:
    id: str
    name: str
    name_zh: str = ""
    homepage: str = ""
    kb: list[str] = field(default_factory=list)  # KB platform ids it covers; ``*`` ends a prefix pattern
    languages: list[str] = field(default_factory=list)
    demo: bool = False

    def covers(self, kb_platform_id: str) -> bool:
        """Whether a KB platform (a declaration file such as ``amazon-de``) belongs to this glossary platform."""
        if self.id == GENERAL:
            return True
        for pattern in self.kb or [self.id, self.id + "-*"]:
            if pattern.endswith("*") and kb_platform_id.startswith(pattern[:-1]):
                return True
            if kb_platform_id == pattern:
                return True
        return False


@dataclass
class Term:
    term: str
    platform: str
    language: str
    status: str = "preferred"
    equivalence: str = "exact"
    note: str = ""  # the difference that matters, or why the status is what it is
    definition: str = ""  # the platform's own short definition (a paraphrase)
    source_url: str = ""  # the platform's page the wording was read on (``cite.url``)
    source_document: str = ""  # KB document id, e.g. demomart/account-health
    source_section: str = ""  # section key within it
    source_title: str = ""  # the cited page's title (``cite.title``)
    source_quote: str = ""  # one short sentence of the page that uses the term (``cite.quote``)
    source_read: str = ""  # the day the page was read, ISO ``YYYY-MM-DD`` (``cite.read``)
    gloss_formal: str = ""  # Chinese terms: a formal gloss, where it differs from the concept's
    gloss_plain: str = ""  # Chinese terms: a plain-language gloss
    case_sensitive: bool = False

    @property
    def sourcing(self) -> str:
        """Where the wording comes from: ``document`` (a tracked KB document), ``page`` (a cited page of the
        platform), ``general`` (a platform-neutral word, needs no source) or ``unsourced``."""
        if self.platform == GENERAL:
            return "general"
        if self.source_document:
            return "document"
        if self.source_url:
            return "page"
        return "unsourced"

    def key(self, concept_id: str) -> str:
        """The term's stable id: concept/platform/language/term."""
        return f"{concept_id}/{self.platform}/{self.language}/{self.term}"


@dataclass
class Concept:
    id: str
    label: str  # English label (also the general English term)
    definition: str
    subject_field: str
    label_zh: str  # Chinese label (also the general Chinese term)
    gloss_formal: str  # formal Chinese definition
    gloss_plain: str  # plain-language Chinese explanation
    note: str = ""
    terms: list[Term] = field(default_factory=list)
    source_file: str = ""

    @property
    def tricky(self) -> bool:
        """True when a platform's word for this concept is a false friend or only partly equivalent."""
        return any(t.equivalence in ("false-friend", "partial") for t in self.terms)

    def all_terms(self) -> list[Term]:
        """The concept's labels as general preferred terms, then its platform terms."""
        labels = [Term(self.label, GENERAL, "en"), Term(self.label_zh, GENERAL, ZH)]
        return labels + list(self.terms)


@dataclass
class Glossary:
    concepts: list[Concept] = field(default_factory=list)
    platforms: dict[str, Platform] = field(default_factory=dict)

    def concept(self, concept_id: str) -> Concept | None:
        return next((c for c in self.concepts if c.id == concept_id), None)

    def languages(self) -> list[str]:
        """Every language used, English and Chinese first."""
        seen = {t.language for c in self.concepts for t in c.all_terms()}
        rest = sorted(seen - {"en", ZH})
        return [lang for lang in ("en", ZH) if lang in seen] + rest
