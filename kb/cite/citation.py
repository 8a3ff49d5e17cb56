"""How an answer reads: section labels, permalinks, ready-to-paste citations and the answer's message."""

from __future__ import annotations

import re

from kb.cite.dates import zh_date
from pipeline.text import plain_text


def wording(markdown: str) -> str:
    """A passage as a reader sees it (:func:`pipeline.text.plain_text`): no Markdown markup, a link as its
    text, white space collapsed. ``quoted_wording``, ``current_wording`` and the redlines are this."""
    return plain_text(markdown or "", collapse_space=True)


def wording_markdown(markdown: str) -> str:
    """The same passage with its links kept as Markdown links and nothing else of the markup, for a page
    that renders the links (sanitized)."""
    return plain_text(markdown or "", collapse_space=True, keep_links=True)


def permalink(document_id: str, seq: int, base_url: str = "") -> str:
    """Link to one version of a document in the KB: its page ``/-/policykb/doc/<platform>/<doc>/v/<seq>``.

    :param document_id: ``platform/document``
    :param seq: the version's number (1, 2, ...)
    :param base_url: Datasette's address (``""`` gives a path)
    """
    return f"{base_url.rstrip('/')}/-/policykb/doc/{document_id}/v/{seq}"


CLAUSE_KEY_RE = re.compile(r"^第(\d+)([条章节款])$")
CLAUSE_EN = {"条": "article", "章": "chapter", "节": "section", "款": "paragraph"}
ZH_CLAUSE_RE = re.compile(r"^第[^条章节款\s]{1,8}[条章节款]")


def section_labels(section: dict | None) -> tuple[str | None, str | None, str | None]:
    """(short label, English citation part, Chinese citation part) of a section, or Nones.

    The document's title heading and the text before the first heading are not sections worth citing.
    """
    if not section or section["key"] == "_preamble" or (section["ordinal"] == 0 and section["level"] == 1):
        return None, None, None
    key = section["key"].split("~")[0]
    heading = plain_text(section["heading"] or "", collapse_space=True)
    if re.fullmatch(r"\d+(?:\.\d+)*", key):
        return key, f"section {key}", f"第{key}节"
    m = CLAUSE_KEY_RE.match(key)
    if m:
        zh = ZH_CLAUSE_RE.match(heading)
        return (zh.group(0) if zh else key), f"{CLAUSE_EN[m.group(2)]} {m.group(1)}", (zh.group(0) if zh else key)
    label = heading or key
    return label, f'section "{label}"', f"“{label}”部分"


def citation(doc: dict, info: dict, retrieved: str | None, note_en: str = "", note_zh: str = "") -> dict:
    """Ready-to-paste citations of a version, in English and Chinese."""
    _, sec_en, sec_zh = section_labels(info.get("_section"))
    zh_doc = (doc.get("locale") or "").lower().startswith("zh")
    title_en = (doc.get("title_en") or doc["title"]) if zh_doc else doc["title"]
    title_zh = doc["title"] if zh_doc else (doc.get("title_zh") or doc["title"])
    eff = info["effective_date"] if info.get("effective_date_source") == "stated" else None
    since = info.get("wording_since") if info.get("wording_unchanged") and sec_en else None
    since_eff = since["effective_date"] if since and since.get("effective_date_source") == "stated" else None
    en = f'{doc["platform_name"]}, "{title_en}"'
    if zh_doc and title_en != doc["title"]:
        en += f" ({doc['title']})"
    if sec_en:
        en += f", {sec_en}"
    en += f", version of {info['version_date']}"
    notes = [f"effective {eff}"] if eff else []
    if since:
        notes.append(f"wording unchanged since the version of {since['version_date']}"
                     + (f", effective {since_eff}" if since_eff else ""))
    if notes:
        en += f" ({'; '.join(notes)})"
    if retrieved:
        en += f", retrieved {retrieved[:10]}"
    en += f", {doc['url']}"
    if note_en:
        en += f" ({note_en})"
    zh = f"{doc.get('platform_name_zh') or doc['platform_name']}《{title_zh}》{sec_zh or ''}，{zh_date(info['version_date'])}版本"
    notes = [f"{zh_date(eff)}生效"] if eff else []
    if since:
        notes.append(f"该措辞自{zh_date(since['version_date'])}版本起未变"
                     + (f"，该版本{zh_date(since_eff)}生效" if since_eff else ""))
    if notes:
        zh += f"（{'；'.join(notes)}）"
    if retrieved:
        zh += f"，{zh_date(retrieved)}核实"
    zh += f"，{doc['url']}"
    if note_zh:
        zh += f"（{note_zh}）"
    return {"en": en, "zh": zh}


def history_steps(history: list[dict] | None) -> list[tuple[str, str]]:
    """Each step of an answer's ``history`` (the quote reworded, its new wording reworded or removed later) as
    ``(English, Chinese)``, with its date and the permalink of the version that shows it."""
    out = []
    for step in history or []:
        day = (step.get("at") or "")[:10]
        if step["step"] == "changed":
            out.append((f"changed on {day or 'an unknown date'} into “{step['wording']}” (version of "
                        f"{step['version_date']}, {step['permalink']})",
                        f"于{zh_date(day) or '日期不详'}变更为“{step['wording']}”（{zh_date(step['version_date'])}版本，"
                        f"{step['permalink']}）"))
        else:
            last = step.get("last_version_with") or {}
            first = step.get("first_version_without") or {}
            what_en = "the page was removed" if step.get("removed_with") == "page" else "that wording was removed"
            what_zh = "该页面下线" if step.get("removed_with") == "page" else "该措辞被删除"
            out.append((f"{what_en} on {day or 'an unknown date'} (last in the version of {last.get('version_date')}, "
                        f"{last.get('permalink')}" + (f"; gone from {first['permalink']}" if first else "") + ")",
                        f"{zh_date(day) or '日期不详'}{what_zh}（最后出现在{zh_date(last.get('version_date'))}版本，"
                        f"{last.get('permalink')}" + (f"；{first['permalink']}中已无" if first else "") + "）"))
    return out


# Long: one sentence per kind of answer, then one per note (wording since, announced, stale, match, as of).
def message(a: dict) -> dict:
    """One or two sentences that say the answer, in English and Chinese."""
    status = a["status"]
    checked = (a.get("last_checked") or "")[:10] or "never"
    if status == "current" and a.get("stale"):
        en = (f"The quote was in the version that was current at the last successful check, on {checked} "
              f"(version of {a['version_date']}); the KB may be stale, so it cannot say the wording is current today.")
        zh = (f"引文见于最近一次成功核实（{zh_date(checked) or '—'}）时的当前版本（{zh_date(a['version_date'])}版本）；"
              "知识库可能已过时，无法确认该措辞今天仍然有效。")
    elif status == "current":
        en = (f"The quote is in the current version (version of {a['version_date']}), "
              f"as of the last successful check on {checked}.")
        zh = f"引文与当前版本一致（{zh_date(a['version_date'])}版本），以{zh_date(checked) or '—'}的最近一次成功核实为准。"
    elif status == "changed":
        en = (f"The quote is no longer in the current text: it changed on {a['changed_at'][:10]} "
              f"(last in the version of {a['last_version_with_quote']['version_date']}). Current wording: "
              f"{a['current_wording']}")
        zh = (f"引文已不在当前文本中：于{zh_date(a['changed_at'])}变更（最后出现在"
              f"{zh_date(a['last_version_with_quote']['version_date'])}版本）。当前措辞：{a['current_wording']}")
        if len(a.get("history") or []) > 1:
            steps = history_steps(a["history"])
            en += " Step by step: it " + "; then ".join(e for e, _ in steps) + "."
            zh += " 逐步经过：" + "；随后".join(z for _, z in steps) + "。"
    elif status == "removed" and a.get("removed_with") == "successor":
        steps = history_steps(a.get("history"))
        en = ("The quote is no longer published, and nothing in the current text replaces it: it "
              + "; then ".join(e for e, _ in steps) + f". The last version that had the quote is the version of "
              f"{a['version_date']}.")
        zh = ("引文已不再刊载，当前文本中也没有替代条款：" + "；随后".join(z for _, z in steps)
              + f"。最后包含该引文的是{zh_date(a['version_date'])}版本。")
    elif status == "removed":
        what_en = "the page was removed" if a.get("removed_with") == "page" else "the passage was removed"
        what_zh = "该页面已下线" if a.get("removed_with") == "page" else "该段落已删除"
        when = (a.get("changed_at") or "")[:10]
        en = f"The quote is no longer published: {what_en} on {when or 'an unknown date'}; the last version that had it is the version of {a['version_date']}."
        zh = f"引文已不再刊载：{what_zh}（{zh_date(when) or '日期不详'}）；最后包含该引文的是{zh_date(a['version_date'])}版本。"
        place = a.get("now_in_place")
        if place:
            where = f" ({place['section']})" if place.get("section") else ""
            en += (f" Now in this place{where}, not a replacement (the evidence does not show one): "
                   f"{place['wording']}")
            zh += f" 此处现为{('（' + place['section'] + '）') if place.get('section') else ''}（并非替代条款，证据不足以认定）：{place['wording']}"
    else:
        en = "The quote was not found in any version of the tracked documents."
        zh = "在已跟踪文件的所有版本中均未找到该引文。"
        if (a.get("closest") or {}).get("differences"):
            en += " The closest passage differs from it: " + a["closest"]["differences"]
            zh += " 最接近的段落与引文的差异：" + a["closest"]["differences"]
    since = a.get("wording_since") if a.get("wording_unchanged") and a.get("section") else None
    if status == "current" and since:
        since_eff = since["effective_date"] if since.get("effective_date_source") == "stated" else None
        en += (f" The wording of {a['section']} is unchanged since the version of {since['version_date']}"
               + (f" (effective {since_eff})." if since_eff else "."))
        zh += (f"{a['section']}的措辞自{zh_date(since['version_date'])}版本起未变"
               + (f"（该版本{zh_date(since_eff)}生效）。" if since_eff else "。"))
    if status == "current" and a.get("effective_in_future"):
        en += f" That version states an effective date of {a['effective_date']}, later than today."
        zh += f"该版本注明的生效日期为{zh_date(a['effective_date'])}，尚未到来。"
    if a.get("stale") and status != "current":
        en += (f" Warning: the last successful check of this page was on {checked}; the KB may be stale, "
               "so check the live page before relying on this answer.")
        zh += f" 注意：该页面最近一次成功核实是在{zh_date(checked) or '—'}，知识库可能已过时，引用前请核对线上页面。"
    if a.get("index_behind"):
        n = a["index_behind"]
        en += (f" Warning: the KB's text index is behind by {n} versions (a build was interrupted or is running); "
               "this check may have missed some of them: `policykb build` finishes it.")
        zh += f" 注意：知识库的文本索引落后 {n} 个版本（构建被中断或仍在运行），本次核查可能遗漏其中部分版本；运行 `policykb build` 即可补全。"
    if a.get("match", {}).get("kind") == "approximate":
        en += " Your quote does not match that wording exactly either: " + a["match"]["differences"]
        zh += " 引文与该措辞也不完全一致：" + a["match"]["differences"]
    if a.get("match", {}).get("omitted"):
        en += " Your quote leaves out: " + "; ".join(f"“{w}”" for w in a["match"]["omitted"]) + "."
        zh += " 引文省略了：" + "；".join(f"“{w}”" for w in a["match"]["omitted"]) + "。"
    if "as_of_status" in a:
        d = a["as_of"]["date"]
        ao = a["as_of"]
        if a["as_of_status"] == "present":
            en += f" On {d} the page had this wording (version of {ao['version_date']})."
            zh += f" 在{zh_date(d)}，页面上有这一措辞（{zh_date(ao['version_date'])}版本）。"
            if ao.get("in_force") == "announced":
                en += f" It was announced but not yet in force then: it takes effect on {ao['effective_date']}."
                zh += f"但当时尚未生效：自{zh_date(ao['effective_date'])}起生效。"
        elif a["as_of_status"] == "not_tracked":
            first = (ao.get("first_checked") or "")[:10]
            en += f" On {d} the page was not yet tracked" + (f" (first checked {first})." if first else ".")
            zh += f" 在{zh_date(d)}，该页面尚未被跟踪" + (f"（首次核实于{zh_date(first)}）。" if first else "。")
        elif a["as_of_status"] == "not_checked":
            last = (ao.get("last_checked") or "")[:10]
            en += f" The KB cannot say what the page said on {d}: not checked since {last}."
            zh += f" 知识库无法确认{zh_date(d)}页面的内容：自{zh_date(last)}以来未再核实。"
        else:
            en += f" On {d} the page did not have this wording."
            zh += f" 在{zh_date(d)}，页面上没有这一措辞。"
    return {"en": en, "zh": zh}
