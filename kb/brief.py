"""The policy brief: what changed in a window, for whom (concepts), from when (effective dates).

:func:`brief` collects, from the KB, the **substantive changes** detected in a window, grouped by platform
and document; for each change the sections it touched (key, heading, what happened to it), a short redline
per section (:func:`kb.read.section_redlines`, the feeds' redline), each section's effective date as the
time model labels it (``stated_effective``, ``announced`` when the change stated or altered that date, else
``detected``: :func:`kb.timemodel.change_section_effective`), the change's own effective date,
the concepts the change touches (``change_concepts``, from the glossary's terms in those sections) and the
links (the two versions' permalinks, the redline, the page's own URL). Cosmetic changes, flip-flops and
re-extractions are only counted (``not_listed``).

:func:`render` writes it as Markdown, HTML (that Markdown through the ``markdown`` package and the one
sanitizer, :func:`pipeline.safehtml.render_markdown`) or JSON, in Chinese or English: every heading, label and
stored value through :mod:`kb.labels`, dates in Chinese as ``2026年4月15日``; document titles in both
languages where the KB has both. Text from the pages (headings, redlines, titles) is escaped.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta

from kb import timemodel
from kb.cite.citation import permalink
from kb.cite.dates import day_text as _day
from kb.cite.dates import moment_text as _moment
from kb.read import section_redlines
from kb.labels import document_title, label, platform_name, quantity, subject_label, window_text
from pipeline.sqlrows import rows as _rows
from pipeline.timeutil import iso

#: The window when no ``since`` is given: this many days, ``until`` the last of them.
DEFAULT_DAYS = 7
#: Characters of changed text per section's redline.
REDLINE_CHARS = 300
FORMATS = ("md", "html", "json")


def _today(conn, platforms) -> str:
    """The day a brief ends by default: the time model's clock (for demo platforms, the KB's latest check)."""
    ids = list(platforms) or [r[0] for r in conn.execute("select id from platforms")] or [None]
    return max(iso(timemodel.clock(conn, pid))[:10] for pid in ids)


def window(conn, since: str | None = None, until: str | None = None, platforms=()) -> tuple[str, str]:
    """``(since, until)`` as days, both included: ``until`` defaults to today by the clock, ``since`` so that
    the window is :data:`DEFAULT_DAYS` days."""
    until = (until or _today(conn, platforms))[:10]
    since = (since or (date.fromisoformat(until) - timedelta(days=DEFAULT_DAYS - 1)).isoformat())[:10]
    return since, until


def weeks_with_changes(conn, platforms=(), limit: int = 12) -> list[tuple[str, str]]:
    """The latest ``limit`` weeks (Monday, Sunday) in which the KB detected a substantive change, newest first:
    the entries of the weekly briefs' feed."""
    where, params = ["kind = 'substantive'"], []
    if platforms:
        where.append(f"document_id in (select id from documents where platform_id in ({', '.join('?' * len(platforms))}))")
        params += list(platforms)
    days = [date.fromisoformat(r[0]) for r in conn.execute(
        f"select distinct substr(detected_at, 1, 10) from changes where {' and '.join(where)}", params)]
    mondays = sorted({d - timedelta(days=d.weekday()) for d in days}, reverse=True)[:limit]
    return [(m.isoformat(), (m + timedelta(days=6)).isoformat()) for m in mondays]


def _changes(conn, since, until, platforms, after=None) -> list[dict]:
    where, params = ["substr(c.detected_at, 1, 10) between ? and ?"], [since, until]
    if after:
        where.append("c.detected_at > ?")
        params.append(after)
    if platforms:
        where.append(f"d.platform_id in ({', '.join('?' * len(platforms))})")
        params += list(platforms)
    return _rows(conn, f"""
        select c.id, c.kind, c.document_id, c.detected_at, c.effective_date, c.effective_date_source,
               c.from_version_id, c.to_version_id, f.seq as from_seq, t.seq as to_seq, t.observed_at,
               d.platform_id, d.title, d.title_zh, d.url, p.name as platform_name, p.name_zh as platform_name_zh
        from changes c join documents d on d.id = c.document_id join platforms p on p.id = d.platform_id
        join versions f on f.id = c.from_version_id join versions t on t.id = c.to_version_id
        where {' and '.join(where)} order by p.id, d.id, c.detected_at, c.id""", params)


def _concepts(conn, change_ids) -> dict[tuple[str, str], list[dict]]:
    """``(change id, section key) → [concept]`` from ``change_concepts`` (none before the table exists)."""
    if not change_ids or not conn.execute(
            "select 1 from sqlite_master where name = 'change_concepts'").fetchone():
        return {}
    out: dict[tuple[str, str], list[dict]] = {}
    marks = ", ".join("?" * len(change_ids))
    for r in _rows(conn, f"""select distinct cc.change_id, cc.section_key, cc.concept_id, g.label, g.label_zh
                             from change_concepts cc left join glossary_concepts g on g.id = cc.concept_id
                             where cc.in_change = 1 and cc.change_id in ({marks})
                             order by g.ordinal, cc.concept_id""", list(change_ids)):
        out.setdefault((r["change_id"], r["section_key"]), []).append(
            {"id": r["concept_id"], "label": r["label"] or r["concept_id"], "label_zh": r["label_zh"]})
    return out


def _sections(conn, change: dict, concepts: dict, redlines: dict) -> list[dict]:
    sections = _rows(conn, "select key, heading, level, ordinal, changed_version_id from sections"
                           " where version_id = ? order by ordinal", [change["to_version_id"]])
    out = []
    for s in _rows(conn, """select id, key, heading, status from change_sections
                            where change_id = ? and (kind is null or kind = 'substantive') order by rowid""",
                   [change["id"]]):
        # a removed section is not in the new version: only a date stated for the whole document applies; a
        # date the page kept unchanged is not this change's (the detection day is)
        effective = timemodel.change_section_effective(conn, change, None if s["status"] == "removed" else s["key"],
                                                       sections)
        out.append({"key": s["key"], "heading": s["heading"], "status": s["status"],
                    "redline": [[op, text] for op, text in redlines.get(s["id"], [])],
                    "effective": {"date": effective["date"], "label": effective["label"], "scope": effective["scope"]},
                    "concepts": concepts.get((change["id"], s["key"]), [])})
    return out


def brief(conn, since: str | None = None, until: str | None = None, platforms=(), concept: str | None = None,
          base_url: str = "", after: str | None = None) -> dict:
    """The brief over ``[since, until]`` (days, on when the KB detected each change), as plain data.

    :param platforms: only these platforms (ids); none: all
    :param concept: only changes that touch this concept (a glossary concept id)
    :param base_url: Datasette's address for the permalinks (``""`` gives paths)
    :param after: only changes detected after this moment (ISO): the weekly brief starts where the last one
        sent stopped (:mod:`kb.ops.briefs`)
    """
    since, until = window(conn, since, until, platforms)
    changes = _changes(conn, since, until, platforms, after)
    substantive = [c for c in changes if c["kind"] == "substantive"]
    concepts = _concepts(conn, [c["id"] for c in substantive])
    redlines = section_redlines(conn, [c["id"] for c in substantive], REDLINE_CHARS)
    not_listed: dict[str, int] = {}
    for c in changes:
        if c["kind"] != "substantive":
            not_listed[c["kind"]] = not_listed.get(c["kind"], 0) + 1
    groups: dict[str, dict] = {}
    for c in substantive:
        sections = _sections(conn, c, concepts, redlines)
        touched = _unique(x for s in sections for x in s["concepts"])
        if concept and concept not in {x["id"] for x in touched}:
            continue
        platform = groups.setdefault(c["platform_id"], {
            "id": c["platform_id"], "name": c["platform_name"], "name_zh": c["platform_name_zh"], "documents": {}})
        document = platform["documents"].setdefault(c["document_id"], {
            "id": c["document_id"], "title": c["title"], "title_zh": c["title_zh"], "url": c["url"], "changes": []})
        document["changes"].append({
            "id": c["id"], "detected_at": c["detected_at"], "from_seq": c["from_seq"], "to_seq": c["to_seq"],
            "effective": {"date": c["effective_date"], "label": timemodel.effective_label(
                c["effective_date"], c["effective_date_source"], c["observed_at"])},
            "sections": sections, "concepts": touched,
            "links": {"from": permalink(c["document_id"], c["from_seq"], base_url),
                      "to": permalink(c["document_id"], c["to_seq"], base_url),
                      "diff": f"{base_url.rstrip('/')}/-/policykb/diff/{c['document_id']}/"
                              f"{c['from_seq']}..{c['to_seq']}",
                      "original": c["url"]}})
    _add_value_changes(conn, [c for p in groups.values() for d in p["documents"].values() for c in d["changes"]])
    return {"since": since, "until": until, "after": after, "platforms": list(platforms), "concept": concept,
            "groups": [{**p, "documents": list(p["documents"].values())} for p in groups.values()],
            "listed": sum(len(d["changes"]) for p in groups.values() for d in p["documents"].values()),
            "latest": max((c["detected_at"] for c in changes), default=None),
            "not_listed": not_listed}


def _add_value_changes(conn, changes: list[dict]) -> None:
    """Each listed change's deadlines and thresholds that changed (``rule_value_changes``), listed first."""
    by_id = {c["id"]: c for c in changes}
    for c in changes:
        c["values"] = []
    if not by_id:
        return
    marks = ", ".join("?" * len(by_id))
    for v in _rows(conn, f"""select change_id, section_key, kind, subject, concept_id, old_value, old_unit, new_value,
                                    new_unit, old_window, new_window, new_evidence from rule_value_changes
                             where change_id in ({marks}) order by section_key, ordinal""", list(by_id)):
        by_id[v.pop("change_id")]["values"].append(v)


def _values_md(values: list[dict], lang: str) -> list[str]:
    if not values:
        return []
    lines = [f"{label('brief_values', lang)}{_colon(lang).strip()}", ""]
    for v in values:
        window = (f" ({label('window', lang)}{_colon(lang)}{md_text(window_text(v['old_window'], lang) or '–')} → "
                  f"{md_text(window_text(v['new_window'], lang) or '–')})"
                  if v["old_window"] != v["new_window"] else "")
        lines.append(f"- **{md_text(v['section_key'])}** · {subject_label(v['subject'], lang)}{_colon(lang)}"
                     f"{quantity(v['old_value'], v['old_unit'], lang)} → "
                     f"**{quantity(v['new_value'], v['new_unit'], lang)}**{window}")
    return lines + [""]


def _unique(concepts) -> list[dict]:
    seen, out = set(), []
    for c in concepts:
        if c["id"] not in seen:
            seen.add(c["id"])
            out.append(c)
    return out


# ---- rendering -------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")
#: Marks that only mean something at the start of a line (a list, a heading): escaped there.
_MD_LEADING = re.compile(r"^(\s*)(?:([-+#>])|(\d+)\.)")


def md_text(text: str | None, strip: bool = True) -> str:
    """Text from a page, inert in Markdown: HTML-escaped (no tag, no entity of its own survives), emphasis,
    code, link and table marks backslash-escaped, a leading list or heading mark too; on one line."""
    text = re.sub(r"\s+", " ", text or "")
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(text.strip() if strip else text, quote=False))
    return _MD_LEADING.sub(lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\."), text)


def _title(document: dict, lang: str) -> str:
    """Both titles where both exist, the brief's language first."""
    return md_text(document_title(document, lang))


def _concept_name(c: dict, lang: str) -> str:
    return md_text((c.get("label_zh") or c["label"]) if lang == "zh" else c["label"])


def _redline_md(ops) -> str:
    out = []
    for op, text in ops:
        if op == 0:
            out.append(md_text(text, strip=False))
        else:
            tag = "ins" if op > 0 else "del"
            out.append(f"<{tag}>{md_text(text, strip=False)}</{tag}>")
    return "".join(out).strip()


def _effective_md(effective: dict, lang: str) -> str:
    if not effective.get("label"):
        return label("no_date", lang)
    return (f"{timemodel.DATE_LABELS[effective['label']][1 if lang == 'zh' else 0]}{_colon(lang)}"
            f"{_day(effective['date'], lang)}")


_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:~\d+)?$")


def section_name(s: dict) -> str:
    """A section as a reader names it: its heading, with its key when the key is not just the heading's slug
    and the heading does not say it (``第三条 投诉处理 (第3条)``; ``3.2 Severe violations``)."""
    heading, key = (s.get("heading") or "").strip(), s.get("key") or ""
    if not heading:
        return key
    if key in heading or _SLUG_RE.match(key):
        return heading
    return f"{heading} ({key})"


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _section_md(s: dict, lang: str) -> list[str]:
    name = md_text(section_name(s))
    status = f"（{label(s['status'], lang)}）" if lang == "zh" else f" ({label(s['status'], lang)})"
    lines = [f"- **{name}**{status} · {label('brief_effective', lang)} "
             f"{_effective_md(s['effective'], lang)}"]
    if s["concepts"]:
        lines.append(f"  - {label('brief_concepts', lang)}{_colon(lang)}"
                     + ("、" if lang == "zh" else ", ").join(_concept_name(c, lang) for c in s["concepts"]))
    redline = _redline_md(s["redline"])
    if redline:
        lines.append(f"  - {redline}")
    return lines


def _change_md(c: dict, lang: str) -> list[str]:
    links = c["links"]
    lines = [f"#### {label('brief_change', lang, a=c['from_seq'], b=c['to_seq'])} · "
             f"{label('detected_on', lang)} {_day(c['detected_at'], lang)} · "
             f"{label('brief_effective', lang)} {_effective_md(c['effective'], lang)}", ""]
    if c["concepts"]:
        lines += [f"{label('brief_concepts', lang)}{_colon(lang)}"
                  + ("、" if lang == "zh" else ", ").join(_concept_name(x, lang) for x in c["concepts"]), ""]
    lines += _values_md(c.get("values", []), lang)
    lines.append(f"{label('brief_sections', lang)}{_colon(lang).strip()}")
    lines.append("")
    for s in c["sections"]:
        lines += _section_md(s, lang)
    lines += ["", f"{label('brief_links', lang)}{_colon(lang)}[{label('brief_version', lang, n=c['from_seq'])}]({links['from']}) · "
                  f"[{label('brief_version', lang, n=c['to_seq'])}]({links['to']}) · "
                  f"[{label('brief_redline', lang)}]({links['diff']}) · "
                  f"[{label('brief_original', lang)}](<{html.escape(links['original'] or '')}>)", ""]
    return lines


def markdown(data: dict, lang: str = "zh") -> str:
    """The brief as Markdown (``lang``: ``zh`` or ``en``)."""
    lines = [f"# {label('brief_title', lang)}{_colon(lang)}{_day(data['since'], lang)} – {_day(data['until'], lang)}", ""]
    if data.get("after"):
        lines += [label("brief_after", lang, at=_moment(data["after"], lang)), ""]
    if not data["groups"]:
        lines += [label("brief_nothing", lang), ""]
    for p in data["groups"]:
        lines += [f"## {md_text(platform_name(p, lang))}", ""]
        for d in p["documents"]:
            lines += [f"### {_title(d, lang)}", ""]
            for c in d["changes"]:
                lines += _change_md(c, lang)
    lines += [f"## {label('brief_not_listed_any' if data.get('concept') else 'brief_not_listed', lang)}", ""]
    if data["not_listed"]:
        lines += [f"- {label(kind, lang)}{_colon(lang)}{n}" for kind, n in sorted(data["not_listed"].items())]
    else:
        lines.append(f"- {label('none', lang)}")
    return "\n".join(lines).rstrip() + "\n"


def html_fragment(data: dict, lang: str = "zh") -> str:
    """The brief's Markdown as sanitized HTML (our ``ins``/``del`` kept, anything else from a page inert)."""
    from pipeline.safehtml import render_markdown

    return render_markdown(markdown(data, lang), extra_tags=("ins", "del"))


PRINT_CSS = """body{font:15px/1.6 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:52rem;margin:2rem auto;
padding:0 1rem;color:#111}h1{font-size:1.6rem}h2{border-bottom:2px solid #333;margin-top:2rem}h3{margin-bottom:.2rem}
ins{background:#d4f7d4;text-decoration:none}del{background:#fbd4d4}a{color:#0645ad}
@media print{a{color:inherit}h2,h3,h4{break-after:avoid}li{break-inside:avoid}body{margin:0;max-width:none}}"""


def html_page(data: dict, lang: str = "zh") -> str:
    """A whole printable HTML page of the brief."""
    title = html.escape(f"{label('brief_title', lang)}{_colon(lang)}{_day(data['since'], lang)} – {_day(data['until'], lang)}")
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{title}</title><style>{PRINT_CSS}</style></head><body>\n"
            f"{html_fragment(data, lang)}\n</body></html>\n")


def render(data: dict, fmt: str = "md", lang: str = "zh") -> str:
    """The brief in ``fmt`` (:data:`FORMATS`)."""
    if fmt == "json":
        return json.dumps({**data, "lang": lang}, ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return html_page(data, lang)
    return markdown(data, lang)
