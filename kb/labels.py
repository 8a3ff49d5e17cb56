"""The one table of labels (en + zh): enumerated values stored in the KB, and the words pages and briefs use.

Every page and brief says a stored value (``new_version``, ``substantive``, ``preferred``, ``exact`` ...)
through :func:`label`, never as it is stored; platform names through :func:`platform_name` (跨境通 rather
than "Kuajingtong" in Chinese). It lives in ``kb/`` so that both the Datasette pages
(:mod:`datasette_plugins.labels`, which adds the request's language and the zh/en switch) and what ``kb``
renders itself (:mod:`kb.brief`) use the same table: there is no second one.

Why a dict and not gettext yet: the pages are still mostly "English 中文" side by side, so a catalogue
of msgids would have to be extracted from every template at once; the enumerations and the home
page's sentences are a closed, small set, and one table with both languages in one row is what a
reviewer checks (a test asserts every row has both). When whole pages switch language, this table is
the seed of a Babel ``.po`` catalogue (zh-Hans, en; zh-Hant generated with OpenCC).
"""

from __future__ import annotations

from kb.timemodel import DATE_LABELS

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
    "flip_flop": ("flip-flop (back to an earlier text)", "反复（改回旧版文字）"),
    "reextraction": ("re-extraction (our rules changed)", "重新抽取（抽取规则变化）"),
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
    "modified": ("changed", "修改"),
    "moved": ("moved", "移动"),
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
    # the policy brief (kb/brief.py)
    "brief_title": ("Policy brief", "政策简报"),
    "brief_nothing": ("No substantive change in this period.", "本期没有实质性变更。"),
    "brief_change": ("Version {a} → {b}", "第 {a} 版 → 第 {b} 版"),
    "brief_sections": ("Sections touched", "涉及条款"),
    "brief_effective": ("effective", "执行节点"),
    "brief_concepts": ("Concerns", "影响范围"),
    "brief_links": ("Links", "链接"),
    "brief_version": ("version {n}", "第 {n} 版"),
    "brief_redline": ("full redline", "完整对比"),
    "brief_original": ("original page", "原文页面"),
    "brief_not_listed": ("Not listed (counted only)", "未列出的变更（仅计数）"),
    "brief_not_listed_any": ("Not listed (counted only, any concept: a change that is not substantive has no "
                             "concepts)", "未列出的变更（仅计数，不分概念：非实质性变更不归入概念）"),
    "brief_values": ("Deadlines and thresholds changed", "时限与指标变更"),
    "brief_after": ("Changes detected after {at} (the previous brief covered those before).",
                    "仅列出 {at} 之后检测到的变更（此前的已在上一期简报中）。"),
    "brief_since": ("From", "起始日期"),
    "brief_until": ("To", "结束日期"),
    "brief_show": ("Show", "查看"),
    "brief_feed": ("Weekly briefs (Atom)", "每周简报订阅"),
    # the calendar of effective dates (kb/calendar.py)
    "cal_name": ("policykb: effective dates", "policykb：政策生效日期"),
    "cal_announced": ("takes effect (announced)", "生效（已公告）"),
    "cal_stated_effective": ("took effect (stated on the page)", "已生效（页面注明）"),
    "cal_cancelled": ("no longer announced (postponed or withdrawn)", "已撤回或推迟（页面不再注明）"),
    "cal_dropped": ("No longer stated on the page since", "页面自此不再注明"),
    "cal_document": ("Document", "文件"),
    "cal_applies": ("Applies to", "适用范围"),
    "cal_whole_document": ("the whole document", "全文"),
    "cal_first_seen": ("First seen on the page", "首次发现于"),
    "cal_evidence": ("The page says", "页面原文"),
    "former": ("former term", "旧称"),
    "jargon": ("seller jargon", "卖家口语"),
    # glossary candidate kinds (glossary_candidates.kind)
    "capitalized": ("capitalized phrase", "大写短语"),
    "quoted": ("quoted phrase", "引号短语"),
    # document types (documents.doc_type; pipeline.sources.DOCUMENT_TYPES), keyed "type:<type>"
    "type:seller-agreement": ("seller agreement", "卖家协议"),
    "type:code-of-conduct": ("code of conduct", "卖家行为准则"),
    "type:account-health": ("account health", "账户健康与绩效"),
    "type:appeals": ("appeals", "申诉与恢复"),
    "type:prohibited-products": ("prohibited products", "禁售与限售商品"),
    "type:intellectual-property": ("intellectual property", "知识产权与假货"),
    "type:product-compliance": ("product compliance", "产品合规与安全"),
    "type:fees": ("fees", "费用与佣金"),
    "type:shipping": ("shipping", "发货与配送"),
    "type:returns": ("returns", "退货、退款与买家保障"),
    "type:reviews": ("reviews", "评价与反馈"),
    "type:related-accounts": ("related accounts", "关联账户"),
    "type:penalties": ("penalties", "违规与处罚"),
    "type:privacy": ("privacy", "隐私与数据保护"),
    "type:listing": ("listing standards", "商品发布标准"),
    "type:ranking": ("search ranking", "搜索排名"),
    "type:terms-of-service": ("terms of service", "服务条款"),
    "type:other": ("other policy", "其他政策"),
    "glossary_order": ("those used in the tracked documents first", "已跟踪文件中用到的平台在前"),
    "show": ("Show", "显示"),
    "renamed": ("Renamed", "更名"),
    # citation states (citations.state; current, changed, removed, not_found: above and below)
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
    "not_checked": ("not checked yet", "尚未核查"),
    # rule values (rule_values.kind, .unit, .comparator, .subject)
    "time_limit": ("time limit", "时限"),
    "metric_threshold": ("metric threshold", "指标阈值"),
    "point_threshold": ("penalty-point level", "扣分节点"),
    "minute": ("minutes", "分钟"),
    "hour": ("hours", "小时"),
    "day": ("days", "天"),
    "business_day": ("business days", "个工作日"),
    "calendar_day": ("calendar (natural) days", "个自然日"),
    "week": ("weeks", "周"),
    "month": ("months", "个月"),
    "year": ("years", "年"),
    "percent": ("percent", "百分比"),
    "points": ("points", "分"),
    "within": ("within", "时限"),
    "below": ("under", "低于"),
    "above": ("over", "高于"),
    "reach": ("at", "累计达到"),
    "subject_appeal": ("appeal", "申诉"),
    "subject_takedown": ("takedown", "下架/删除"),
    "subject_response": ("response", "回复"),
    "subject_dispatch": ("dispatch", "发货"),
    "subject_delivery": ("delivery", "送达"),
    "subject_refund": ("refund", "退款"),
    "subject_return": ("return", "退货"),
    "subject_dispute": ("dispute or claim", "纠纷/投诉"),
    "subject_documents": ("documents", "提交材料"),
    "subject_review": ("review by the platform", "平台审核"),
    "subject_notice": ("notice", "通知"),
    "subject_payment": ("payment", "付款/结算"),
    "subject_validity": ("validity", "有效期"),
    "subject_cancellation": ("cancellation", "取消"),
    "subject_order_defect_rate": ("order defect rate", "订单缺陷率"),
    "subject_late_shipment_rate": ("late shipment rate", "迟发率"),
    "subject_cancellation_rate": ("cancellation rate", "取消率"),
    "subject_valid_tracking_rate": ("valid tracking rate", "有效追踪率"),
    "subject_on_time_delivery_rate": ("on-time delivery rate", "准时交货率"),
    "subject_response_rate": ("response rate", "回复率"),
    "subject_negative_feedback_rate": ("negative feedback rate", "差评率"),
    "subject_acceptance_rate": ("order acceptance rate", "接单率"),
    "subject_account_health_rating": ("account health rating", "账户健康评级"),
    "subject_penalty_points": ("penalty points", "违规扣分"),
    "rules": ("Deadlines and thresholds", "时限与指标"),
    "rules_help": ("Each platform's deadlines, metric targets and penalty-point levels for one concept, "
                   "side by side, each with its sentence.",
                   "同一概念在各平台的时限、考核指标与扣分节点并列对比，每一项附原文。"),
    "rules_topics": ("Concepts with values", "有数值的概念"),
    "rules_changes": ("Values that changed", "数值变更"),
    "rules_none": ("No value for this concept in the current policies.", "现行政策中没有该概念的数值。"),
    "unknown_concept": ("No rule values for {id}", "没有 {id} 的数值"),
    "window": ("window", "考核周期"),
    "section": ("section", "条款"),
    "platform": ("Platform", "平台"),
    "value": ("Value", "数值"),
}
#: the kinds of date are named where the time model defines them (:data:`kb.timemodel.DATE_LABELS`): a page,
#: the brief and ``cite`` say "最近一次成功核实", never a word of their own for the same date
LABELS.update({key: DATE_LABELS[key] for key in ("first_seen", "last_seen", "last_success", "stated_last_updated",
                                                 "gone_since")})


#: the stored enumerations: a page in Chinese must not show any of these as it is stored
ENUMERATIONS = ("new_version", "not_modified", "substantive", "cosmetic", "not_tracked", "preferred", "admitted",
                "deprecated", "exact", "partial", "false-friend", "superseded", "flip_flop", "reextraction",
                "time_limit", "metric_threshold", "point_threshold", "business_day", "calendar_day",
                "former", "jargon", "capitalized", "quoted", "not_checked")


def label(key, lang: str = "zh", **values) -> str:
    """The word for ``key`` in ``lang``; an unknown key is given back as it is (a test catches those)."""
    row = LABELS.get(str(key))
    if row is None:
        return str(key)
    text = row[1] if lang == "zh" else row[0]
    return text.format(**values) if values else text


def subject_label(subject: str | None, lang: str = "zh") -> str:
    """What a rule value limits or measures, in ``lang``; a value about nothing named (or a subject without a
    label) is a "value", never a raw key."""
    key = f"subject_{subject}"
    return label(key if subject and key in LABELS else "value", lang)


def quantity(value: float, unit: str, lang: str = "zh") -> str:
    """A rule value as a reader writes it: ``3 %``, ``2 个工作日``, ``24 hours`` (the unit's label)."""
    number = f"{value:g}"
    if unit == "percent":
        return f"{number} %"
    return f"{number} {label(unit, lang)}"


def window_text(window: str | None, lang: str = "zh") -> str:
    """A metric's windows as stored (``"10 days, 30 days"``: :func:`pipeline.rules._windows`) in ``lang``."""
    out = []
    for part in (window or "").split(", "):
        number, _, unit = part.partition(" ")
        key = unit.rstrip("s").replace(" ", "_")
        out.append(quantity(float(number), key, lang) if number.isdigit() and key in LABELS else part)
    return ("、" if lang == "zh" else ", ").join(p for p in out if p)


def bilingual(key, lang: str = "zh", **values) -> str:
    """Both words, the page's language first: ``实质性 substantive`` / ``substantive 实质性``."""
    en, zh = label(key, "en", **values), label(key, "zh", **values)
    return f"{zh} {en}" if lang == "zh" else f"{en} {zh}"


def document_title(row: dict, lang: str = "zh", both: bool = True) -> str:
    """A document's title in ``lang`` (``title_zh`` in Chinese when the KB has one), followed by the other
    language's where both exist and ``both``; its id when it has no title. Plain text: escape it for the page."""
    first, second = (row.get("title_zh"), row.get("title")) if lang == "zh" else (row.get("title"), row.get("title_zh"))
    first = first or second or row.get("document_id") or row.get("id") or ""
    return first + (f" · {second}" if both and second and second != first else "")


def platform_name(row: dict | None, lang: str = "zh", name: str = "name", name_zh: str = "name_zh") -> str:
    """A platform's name in ``lang``: ``name_zh`` in Chinese when the KB has one."""
    if not row:
        return ""
    if lang == "zh" and row.get(name_zh):
        return row[name_zh]
    return row.get(name) or row.get(name_zh) or ""
