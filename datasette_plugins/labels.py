"""The one table of labels for every page: enumerated values stored in the KB, and the home page's words.

Every page says a stored value (``new_version``, ``substantive``, ``preferred``, ``exact`` ...) through
:func:`label`, never as it is stored; platform names through :func:`platform_name` (跨境通 rather
than "Kuajingtong" in Chinese). The language of a page is :func:`language`: ``?hl=zh|en`` (remembered
in the ``pkb_lang`` cookie, set on the browser only: the site stays read-only), else the cookie, else
``Accept-Language``. (``?lang=`` is taken: the glossary's language filter.)

Why a dict and not gettext yet: the pages are still mostly "English 中文" side by side, so a catalogue
of msgids would have to be extracted from every template at once; the enumerations and the home
page's sentences are a closed, small set, and one table with both languages in one row is what a
reviewer checks (a test asserts every row has both). When whole pages switch language, this table is
the seed of a Babel ``.po`` catalogue (zh-Hans, en; zh-Hant generated with OpenCC).
"""

from __future__ import annotations

from markupsafe import Markup, escape

LANGUAGES = ("zh", "en")
COOKIE = "pkb_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

#: key → (English, 中文). Stored enumerated values first (their key is the value as stored).
LABELS: dict[str, tuple[str, str]] = {
    # check outcomes (checks.outcome)
    "new_version": ("new version", "新版本"),
    "not_modified": ("not modified (304)", "未修改 (304)"),
    "unchanged": ("unchanged", "未变"),
    "failed": ("failed", "失败"),
    "error": ("error", "出错"),
    "blocked": ("blocked", "被拦截"),
    "redirected": ("redirected", "已重定向"),
    "gone": ("taken down", "已下线"),
    # change kinds (changes.kind)
    "substantive": ("substantive", "实质性"),
    "cosmetic": ("cosmetic only", "仅格式"),
    "reorder": ("reordered", "仅调整顺序"),
    # document states
    "ok": ("ok", "正常"),
    "failing": ("check failing", "检查失败"),
    "stale": ("possibly stale", "可能过时"),
    "not_tracked": ("not yet tracked", "尚未跟踪"),
    "current": ("current", "现行有效"),
    "superseded": ("superseded", "已被取代"),
    # glossary term status
    "preferred": ("preferred term", "首选术语"),
    "admitted": ("admitted term", "许用术语"),
    "deprecated": ("deprecated term", "已弃用术语"),
    # glossary equivalence between a platform's term and the concept
    "exact": ("exact equivalent", "完全对等"),
    "partial": ("partial equivalent", "部分对等"),
    "close": ("close equivalent", "近似对等"),
    "false-friend": ("false friend", "形似义异"),
    # date sources
    "stated": ("stated on the page", "页面注明"),
    "detected": ("detected by us", "检测到"),
    # redline section status
    "added": ("added", "新增"),
    "removed": ("removed", "删除"),
    "changed": ("changed", "修改"),
    # citation states (citations.state; current, changed, removed, not_found: above and below)
    "moved": ("moved to another section", "已移至其他部分"),
    "not_checked": ("not checked yet", "尚未核查"),
    # home page and chrome
    "home": ("policykb home", "policykb 首页"),
    "site_title": ("policykb: marketplace seller policies", "policykb：跨境平台卖家政策库"),
    "about": ("policykb keeps every version of the marketplaces' seller policy and help pages, shows what "
              "changed and when it takes effect, and checks a quoted clause against the current text.",
              "policykb 收录各跨境电商平台的卖家政策与帮助页面的每一个版本：哪里改了、何时生效，"
              "并可核查引用的条款是否仍是现行有效的原文。"),
    "search": ("Search", "搜索"),
    "search_placeholder": ("e.g. 申诉, counterfeit", "例如：申诉、counterfeit"),
    "cite": ("Cite check", "引文核查"),
    "cite_help": ("Paste a clause: is it still the current wording, and since when?",
                  "粘贴一段条款：它是否仍是现行原文？自何时起？"),
    "glossary": ("Glossary", "术语表"),
    "glossary_help": ("The same concept under each platform's own term.", "同一概念在各平台的不同叫法。"),
    "overview": ("Overview by platform", "各平台概览"),
    "recent": ("Recent substantive changes", "最近实质性变更"),
    "upcoming": ("Upcoming effective dates", "即将生效"),
    "health": ("Health", "抓取状态"),
    "health_counts": ("{stale} possibly stale, {failing} failing, {gone} taken down, of {total} documents",
                      "共 {total} 份文件：{stale} 份可能过时，{failing} 份检查失败，{gone} 份已下线"),
    "health_page": ("Health page", "抓取状态页"),
    "none": ("none", "无"),
    "all_tables": ("All tables", "全部数据表"),
    "feed": ("Atom feed", "订阅"),
    "announced": ("announced, first seen", "已公告，首次发现于"),
    "detected_on": ("detected", "检测到变更"),
    "stated_effective": ("stated effective", "页面注明生效"),
    "no_date": ("no effective date stated", "未注明生效日期"),
    "only_for": ("for “{section}” only", "仅适用于“{section}”"),
    "switch": ("中文", "English"),
    "not_found": ("Not found", "未找到"),
    "error_page": ("Error", "出错了"),
    "bad_request": ("Bad request", "请求有误"),
    "forbidden": ("Forbidden", "无权访问"),
    "go_home": ("Back to the home page", "返回首页"),
    "no_document": ("No document {id}", "没有文件 {id}"),
    "no_version": ("No document {id} version {seq}", "文件 {id} 没有第 {seq} 版"),
    "no_versions": ("No versions {a} and {b} of {id}", "文件 {id} 没有第 {a} 版和第 {b} 版"),
    "no_platform": ("No platform {id}", "没有平台 {id}"),
    "versions_numbers": ("Versions must be numbers", "版本号必须是数字"),
    "choose_versions": ("Choose two versions", "请选择两个版本"),
    "no_feed": ("No such feed", "没有这个订阅源"),
    "citations": ("Saved citations", "已保存的引用"),
    "citations_help": ("The clauses you have cited, checked again after every build: each says whether its wording "
                       "is still current, or changed, was removed, moved, or has a new effective date.",
                       "您引用过的条款，每次构建后都会重新核查：是否仍为现行措辞，或已变更、删除、移动，或公布了新的生效日期。"),
    "no_citations": ("No saved citations yet.", "尚未保存任何引用。"),
    "citation_state": ("State", "状态"),
    "citation_cited": ("As cited", "引用时"),
    "citation_now": ("Now", "现为"),
    "citation_label": ("Client or case", "客户或案件"),
    "citation_checked": ("Last checked", "最近核查"),
    "citation_new_effective": ("new effective date {date}", "新生效日期 {date}"),
}

#: the stored enumerations: a page in Chinese must not show any of these as it is stored
ENUMERATIONS = ("new_version", "not_modified", "substantive", "cosmetic", "not_tracked", "preferred", "admitted",
                "deprecated", "exact", "partial", "false-friend", "superseded")


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


def label(key, lang: str = "zh", **values) -> str:
    """The word for ``key`` in ``lang``; an unknown key is given back as it is (a test catches those)."""
    row = LABELS.get(str(key))
    if row is None:
        return str(key)
    text = row[1] if lang == "zh" else row[0]
    return text.format(**values) if values else text


def bilingual(key, lang: str = "zh", **values) -> str:
    """Both words, the page's language first: ``实质性 substantive`` / ``substantive 实质性``."""
    en, zh = label(key, "en", **values), label(key, "zh", **values)
    return f"{zh} {en}" if lang == "zh" else f"{en} {zh}"


def platform_name(row: dict | None, lang: str = "zh", name: str = "name", name_zh: str = "name_zh") -> str:
    """A platform's name in ``lang``: ``name_zh`` in Chinese when the KB has one."""
    if not row:
        return ""
    if lang == "zh" and row.get(name_zh):
        return row[name_zh]
    return row.get(name) or row.get(name_zh) or ""


def jinja_helpers(lang: str) -> dict:
    """What every template gets: ``lang``, ``L(key)``, ``LL(key)`` (both languages), ``pname(row)``."""
    return {"lang": lang, "L": lambda key, **v: label(key, lang, **v),
            "LL": lambda key, **v: bilingual(key, lang, **v),
            "pname": lambda row, name="name", name_zh="name_zh": platform_name(row, lang, name, name_zh)}


def switch_link(request, path: str) -> Markup:
    """The visible zh/en switch: a link to the same page in the other language (remembered by cookie)."""
    lang = language(request)
    other = "en" if lang == "zh" else "zh"
    return Markup(f'<a class="pkb-lang" href="{escape(path)}?hl={other}" hreflang="{other}" '
                  f'lang="{other}">{escape(label("switch", lang))}</a>')
