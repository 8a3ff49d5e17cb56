"""Labels for the Datasette pages: the request's language, and the zh/en switch.

The table itself (stored enumerations, the pages' and the brief's words, en + zh) is :mod:`kb.labels`,
re-exported here: pages say a stored value through :func:`label`, never as it is stored. The language of a
page is :func:`language`: ``?hl=zh|en`` (remembered in the ``pkb_lang`` cookie, set on the browser only:
the site stays read-only), else the cookie, else ``Accept-Language``. (``?lang=`` is taken: the glossary's
language filter.)
"""

from __future__ import annotations

from markupsafe import Markup, escape

from kb.labels import ENUMERATIONS, LABELS, bilingual, label, platform_name, window_text  # noqa: F401  (the one table)

LANGUAGES = ("zh", "en")
COOKIE = "pkb_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def language(request) -> str:
    """``zh`` or ``en`` for this request: ``?hl=``, else the ``pkb_lang`` cookie, else ``Accept-Language``
    (the first language tag with q > 0 that we have; Chinese when none)."""
    if request is None:
        return "zh"
    asked = (request.args.get("hl") or "").strip().lower()[:2]
    if asked in LANGUAGES:
        return asked
    remembered = (request.cookies.get(COOKIE) or "")[:2]
    if remembered in LANGUAGES:
        return remembered
    ranked = []
    for i, part in enumerate((request.headers.get("accept-language") or "").split(",")):
        tag, _, params = part.strip().partition(";")
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if q > 0 and tag[:2].lower() in LANGUAGES:
            ranked.append((-q, i, tag[:2].lower()))
    return sorted(ranked)[0][2] if ranked else "zh"


def remember(response, request):
    """Set the cookie when the page was asked for in a language explicitly (``?hl=``)."""
    asked = (request.args.get("hl") or "").strip().lower()[:2]
    if asked in LANGUAGES:
        response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="lax")
    return response


def document_type(value: str | None, lang: str = "zh") -> str:
    """A document type (``appeals``) in ``lang``; a type this table does not know is shown as it is."""
    key = f"type:{value}"
    return label(key, lang) if key in LABELS else (value or "")


def jinja_helpers(lang: str) -> dict:
    """What every template gets: ``lang``, ``L(key)``, ``LL(key)`` (both languages), ``pname(row)``,
    ``dtype(doc_type)``."""
    return {"lang": lang, "L": lambda key, **v: label(key, lang, **v),
            "LL": lambda key, **v: bilingual(key, lang, **v),
            "dtype": lambda value: document_type(value, lang),
            "window": lambda value: window_text(value, lang),
            "pname": lambda row, name="name", name_zh="name_zh": platform_name(row, lang, name, name_zh)}


def switch_link(request, path: str, params=None) -> Markup:
    """The visible zh/en switch: a link to the same page in the other language (remembered by cookie).

    :param params: the page's own query parameters to keep (e.g. the rules page's ``concept``): a dict, or
        ``(name, value)`` pairs where a name repeats (the brief's ``platform``)
    """
    from urllib.parse import urlencode

    lang = language(request)
    other = "en" if lang == "zh" else "zh"
    pairs = params.items() if isinstance(params, dict) else (params or ())
    query = urlencode([(k, v) for k, v in pairs if v and k not in ("hl", "lang")] + [("hl", other)])
    return Markup(f'<a class="pkb-lang" href="{escape(path)}?{escape(query)}" hreflang="{other}" '
                  f'lang="{other}">{escape(label("switch", lang))}</a>')
