"""Recognize a response that is not the policy page: a login wall, a robot check.

Real sites answer 200 with a sign-in form, a captcha, a cookie-consent wall or
another country's site instead of the page; such a response must become a
failed check with a clear reason, never a version. ``detect_blocked`` is a
pure function of the archived response; :func:`redirect_reason` and
:func:`page_reason` are its two halves, which the spider also uses (a
redirect to a login host outside the declared domains never reaches the
archive as a response).

What is recognised, and why each rule is safe on a real policy page:

* **login redirects**: the final URL is a sign-in page (``/ap/signin``,
  ``/account/login``, ``signin.ebay.com``, ``login.aliexpress.com``, ...) and
  differs from the declared URL;
* **region redirects**: the final URL is another country's site (same brand,
  other suffix: amazon.de → amazon.com), another region's subdomain
  (seller-uk → seller-us), another locale path segment or ``locale=`` value
  (/en-gb/ → /en-us/), or a country chooser;
* **robot checks and captchas**: markers that only challenge pages carry
  (Amazon's ``/errors/validateCaptcha`` form and "Type the characters you see
  in this image", Cloudflare, PerimeterX "Robot or human?", DataDome, Alibaba's
  slider ``punish`` page used by AliExpress and Lazada, TikTok's and Shopee's
  verify pages); generic widgets (reCAPTCHA, hCaptcha) count only on a page
  with little text, since a long policy page may embed one in a feedback form;
* **consent walls**: a ``consent.`` host or ``/consent`` path after a
  redirect, or a short page with next to no text outside its cookie /
  consent dialog (a banner over a policy, long or short, is normal and is
  removed by selectors);
* **login walls without a redirect**: a short page with a password field and
  a "sign in" heading.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

LOGIN_PATH_RE = re.compile(
    r"/(?:ap/)?(?:sign-?in|log-?in|auth|account/login|passport|oauth2?|sso|uc/login|member/login)\b", re.IGNORECASE
)
LOGIN_HOST_RE = re.compile(r"^(?:signin|login|passport|accounts?|sso|auth|idp)[.-]", re.IGNORECASE)
LOGIN_QUERY_RE = re.compile(r"(?:^|&)(?:SignIn|signin|login)(?:=|&|$)")

REGION_CHOOSER_RE = re.compile(
    r"/(?:region|country|locale|market)[-_]?(?:select(?:or|ion)?|chooser|picker|switch)|/(?:choose|select)[-_]?"
    r"(?:your[-_])?(?:region|country|market)|/intl/?$|/international/?$",
    re.IGNORECASE,
)
LOCALE_SEGMENT_RE = re.compile(r"^[a-z]{2}(?:[-_][a-z]{2,4})?$", re.IGNORECASE)
LOCALE_PARAMS = {"locale", "lang", "language", "hl", "region", "country", "mkt", "market", "site"}
#: Subdomain tokens that name a region (seller-us, seller-uk, us.shein.com, ...).
REGION_TOKEN_RE = re.compile(r"^(?:[a-z]{2}|global|intl|eu|latam|sea|mena)$")

#: Markers only a challenge page carries (matched case-insensitively in the first 256 KB).
CAPTCHA_MARKERS = (
    ("/errors/validatecaptcha", "Amazon robot check (/errors/validateCaptcha)"),
    ("type the characters you see in this image", "Amazon robot check (captcha)"),
    ("enter the characters you see below", "Amazon robot check (captcha)"),
    ("sorry, we just need to make sure you're not a robot", "Amazon robot check (captcha)"),
    ("cf-chl-", "Cloudflare challenge page"),
    ("challenges.cloudflare.com", "Cloudflare challenge page"),
    ("<title>just a moment...</title>", "Cloudflare challenge page"),
    ("attention required! | cloudflare", "Cloudflare block page"),
    ("px-captcha", "PerimeterX robot check (\"Robot or human?\")"),
    ("captcha-delivery.com", "DataDome captcha"),
    ("_____tmd_____/punish", "Alibaba slider captcha (punish page)"),
    ("x5secdata", "Alibaba slider captcha (punish page)"),
    ("baxia-punish", "Alibaba slider captcha (punish page)"),
    ("secsdk-captcha", "TikTok captcha"),
    ("captcha_container", "TikTok captcha"),
    ("/verify/traffic", "Shopee traffic verification page"),
    ("/verify/captcha", "Shopee captcha"),
    ("访问验证", "robot check (访问验证)"),
    ("请完成安全验证", "robot check (安全验证)"),
    ("画像認証", "robot check (画像認証)"),
)
#: Widgets that also appear on real pages: they count only on a short page.
WEAK_CAPTCHA_MARKERS = (
    ("g-recaptcha", "reCAPTCHA challenge"),
    ("h-captcha", "hCaptcha challenge"),
    ("robot or human", "robot check (\"Robot or human?\")"),
    ("are you a robot", "robot check"),
    ("unusual traffic", "robot check (unusual traffic)"),
    ("access denied", "access denied page"),
    ("验证码", "captcha (验证码)"),
)
CONSENT_MARKERS = (
    "before you continue", "cookie consent", "accept all cookies", "accept cookies", "manage cookies",
    "cookie preferences", "consent to", "we value your privacy", "tout accepter", "alle akzeptieren",
    "cookie-einstellungen", "同意する", "接受所有cookie", "同意并继续",
)
LOGIN_HEADINGS = ("sign in", "sign-in", "log in", "login", "登录", "登入", "ログイン", "connexion", "anmelden")
#: A page with less visible text than this is not a policy page that merely embeds a widget.
SHORT_PAGE_CHARS = 1500


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _split_host(host: str):
    """``(subdomain, brand, suffix)`` of a host, with the public-suffix list bundled in tldextract (offline)."""
    import tldextract

    global _EXTRACT
    try:
        extract = _EXTRACT
    except NameError:
        extract = _EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    parts = extract(host)
    return parts.subdomain, parts.domain, parts.suffix


def _region_tokens(subdomain: str) -> set[str]:
    return {t for t in re.split(r"[.-]", subdomain.lower()) if REGION_TOKEN_RE.match(t)}


def redirect_reason(declared_url: str | None, final_url: str | None) -> str | None:
    """Why a redirect from the declared URL to ``final_url`` means "not the page", or None.

    :param declared_url: the URL the declaration asked for
    :param final_url: where the response came from after redirects
    """
    if not declared_url or not final_url or final_url == declared_url:
        return None
    declared, final = urlsplit(declared_url), urlsplit(final_url)
    d_host, f_host = (declared.hostname or "").lower(), (final.hostname or "").lower()
    if (LOGIN_PATH_RE.search(final.path or "") or (f_host != d_host and LOGIN_HOST_RE.match(f_host))
            or LOGIN_QUERY_RE.search(final.query or "")):
        return f"redirected to a login page ({final_url})"
    if final.path and re.search(r"(^|/)consent(/|$)|/gdpr[-_/]?consent", final.path, re.IGNORECASE) or \
            f_host.startswith("consent."):
        return f"redirected to a consent wall ({final_url})"
    if REGION_CHOOSER_RE.search(final.path or ""):
        return f"redirected to a region chooser ({final_url})"
    if _strip_www(d_host) != _strip_www(f_host):
        d_sub, d_brand, d_suffix = _split_host(d_host)
        f_sub, f_brand, f_suffix = _split_host(f_host)
        if d_brand == f_brand and d_suffix != f_suffix:
            return f"redirected to another country's site ({d_host} → {f_host})"
        if d_brand == f_brand and d_suffix == f_suffix and _region_tokens(d_sub) != _region_tokens(f_sub):
            return f"redirected to another region's site ({d_host} → {f_host})"
    d_segments = [s for s in (declared.path or "").split("/") if s][:2]
    f_segments = [s for s in (final.path or "").split("/") if s][:2]
    for d_seg, f_seg in zip(d_segments, f_segments):
        if LOCALE_SEGMENT_RE.match(d_seg) and LOCALE_SEGMENT_RE.match(f_seg) and d_seg.lower() != f_seg.lower():
            return f"redirected to another region or language ({d_seg} → {f_seg}: {final_url})"
    d_params = {k.lower(): v for k, v in parse_qsl(declared.query) if k.lower() in LOCALE_PARAMS}
    f_params = {k.lower(): v for k, v in parse_qsl(final.query) if k.lower() in LOCALE_PARAMS}
    for name, value in d_params.items():
        if name in f_params and f_params[name].lower() != value.lower():
            return f"redirected to another region or language ({name}={value} → {name}={f_params[name]})"
    return None


CONSENT_CONTAINER_RE = re.compile(r"consent|cookie|gdpr|\bcmp\b|onetrust|truste|didomi|usercentrics", re.IGNORECASE)
#: A consent wall leaves less text than this outside its consent dialog.
CONSENT_OUTSIDE_CHARS = 100


def visible_text(body: bytes, drop_consent: bool = False) -> str:
    """The text a reader would see: no scripts, styles or hidden templates.

    :param drop_consent: also leave out dialogs and cookie / consent banners
    """
    import lxml.html

    try:
        root = lxml.html.fromstring(body)
    except Exception:  # lxml raises ParserError (a ValueError) or XMLSyntaxError on junk
        return ""
    for el in root.xpath("//script|//style|//noscript|//template"):
        el.drop_tree()
    if drop_consent:
        for el in root.xpath("//*[@role='dialog' or @role='alertdialog' or @aria-modal='true' or @id or @class]"):
            if el.getparent() is None:
                continue
            label = f"{el.get('id') or ''} {el.get('class') or ''}"
            if el.get("role") in ("dialog", "alertdialog") or el.get("aria-modal") == "true" or \
                    CONSENT_CONTAINER_RE.search(label):
                el.drop_tree()
    return re.sub(r"\s+", " ", root.text_content()).strip()


def page_reason(body: bytes, content_type: str | None = None) -> str | None:
    """Why a page body is a robot check, consent wall or login wall rather than a policy, or None.

    :param body: the response body
    :param content_type: its Content-Type, if known (only HTML is inspected)
    """
    ct = (content_type or "").split(";")[0].strip().lower()
    if not body or (ct and ct not in ("text/html", "application/xhtml+xml")):
        return None
    head = body[: 256 * 1024].decode("utf-8", errors="ignore").lower()
    for marker, what in CAPTCHA_MARKERS:
        if marker in head:
            return f"blocked: {what}"
    text = None
    weak = [what for marker, what in WEAK_CAPTCHA_MARKERS if marker in head]
    consent = [m for m in CONSENT_MARKERS if m in head]
    password = re.search(r"<input[^>]+type=[\"']?password", head) is not None
    if weak or consent or password:
        text = visible_text(body)
    if text is not None and len(text) < SHORT_PAGE_CHARS:
        if weak:
            return f"blocked: {weak[0]} (a short page that is only a challenge)"
        lowered = text.lower()
        if password and any(h in lowered for h in LOGIN_HEADINGS):
            return "the page is a login form, not the policy (login wall)"
        if consent and len(visible_text(body, drop_consent=True)) < CONSENT_OUTSIDE_CHARS:
            # nothing but the consent dialog: a banner over a (short) policy page is not a wall
            return f"the page is a cookie/consent wall, not the policy ({consent[0]!r})"
    return None


def detect_blocked(record, declared_url: str | None = None) -> str | None:
    """The reason a response is a block page rather than the document, or None.

    :param record: an :class:`pipeline.archive.Snapshot` (final URL, status, headers, body)
    :param declared_url: the URL the declaration asked for
    """
    reason = redirect_reason(declared_url, record.url or "")
    if reason:
        return reason
    return page_reason(record.body or b"", record.header("Content-Type"))
