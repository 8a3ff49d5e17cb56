"""``policykb cite``: is this quote the current, effective wording? (logic in :mod:`kb.cite`)."""

from __future__ import annotations

import json
import os
import sys

import click

from pipeline.timeutil import STALE_HOURS

from kb.cli import cli
from kb.cli.options import data_option, date_option, platform_option, time_option

DEFAULT_BASE_URL = "http://127.0.0.1:8001"  # where `policykb serve` listens

STATUS_LABELS = {
    "current": ("CURRENT", "现行有效", "green"),
    "changed": ("CHANGED", "已变更", "yellow"),
    "removed": ("REMOVED", "已删除", "red"),
    "not_found": ("NOT FOUND", "未找到", "magenta"),
}


IN_FORCE_LABELS = {"yes": "yes 是", "no": "no 否", "announced": "announced, not yet in force 已公告、尚未生效",
                   "unknown": "unknown 未知"}
AS_OF_LABELS = {"present": "present 有", "absent": "absent 没有", "not_tracked": "not yet tracked 尚未跟踪",
                "not_checked": "unknown 未知 (not checked since 此后未核实)"}


def _label(name: str | None) -> str:
    """What kind of date it is, in English and Chinese (:data:`kb.timemodel.DATE_LABELS`)."""
    from kb.timemodel import DATE_LABELS

    en, zh = DATE_LABELS.get(name or "", (name or "", ""))
    return f"{en} {zh}".strip()


def _redline(answer: dict, color: bool) -> str:
    out = []
    for op in answer.get("redline") or []:
        text = op["text"]
        if op["op"] == "=":
            out.append(text)
        elif op["op"] == "-":
            out.append(click.style(f"[-{text}-]", fg="red") if color else f"[-{text}-]")
        else:
            out.append(click.style(f"{{+{text}+}}", fg="green") if color else f"{{+{text}+}}")
    return "".join(out)


def _history_lines(history: list[dict]) -> list[str]:
    """The steps of a quote reworded, and that wording reworded or removed later: each with its date and the
    permalink of the version that shows it."""
    lines = []
    for n, step in enumerate(history):
        day = (step.get("at") or "?")[:10]
        if step["step"] == "changed":
            label = "Changed into 变更为" if n == 0 else "Then changed into 随后变更为"
            lines.append(f"  {label} ({day}, version of {step['version_date']}"
                         f"{', ' + step['section'] if step.get('section') else ''}, {step['permalink']}):"
                         f" {step['wording']}")
        else:
            last = step.get("last_version_with") or {}
            first = step.get("first_version_without") or {}
            what = "Then taken down 随后下线" if step.get("removed_with") == "page" else "Then removed 随后删除"
            lines.append(f"  {what} ({day}; last in 最后见于 the version of {last.get('version_date')},"
                         f" {last.get('permalink')}" + (f"; gone from 已不见于 {first['permalink']}" if first else "")
                         + ")")
    return lines


# Long: one line per fact of the answer, in the order a reader checks them; each date says what it is.
def format_answer(a: dict, color: bool = False) -> str:
    """An answer as text for a terminal, in English and Chinese."""
    label, label_zh, fg = STATUS_LABELS[a["status"]]
    head = f"{label} {label_zh}"
    if a.get("stale"):
        head += " · STALE? 可能过时"
    head = click.style(head, fg=fg, bold=True) if color else head
    lines = []
    if a["status"] == "not_found":
        lines.append(head)
        lines += ["  " + a["message"]["en"], "  " + a["message"]["zh"]]
        closest = a.get("closest")
        if closest:
            lines.append(f"  Closest passage 最接近的段落 ({closest['score']:.0f}%): {closest['document']}"
                         f"{', ' + closest['section'] if closest.get('section') else ''}, version of "
                         f"{closest['version_date']}:")
            lines.append(f"    {closest['wording']}")
            lines.append(f"    {closest['permalink']}")
        return "\n".join(lines)
    title = a["title"] + (f" · {a['title_zh']}" if a.get("title_zh") and a["title_zh"] != a["title"] else "")
    where = f"{a['platform_name']} · {title} ({a['document']})"
    if a.get("section"):
        where += f" · {a['section']}"
    lines.append(f"{head}  {where}")
    lines += ["  " + a["message"]["en"], "  " + a["message"]["zh"]]
    if a["status"] == "changed":
        old = a["last_version_with_quote"]
        lines.append(f"  Quoted wording 原措辞 (version of {old['version_date']}): {a['quoted_wording']}")
        lines.append(f"  Current wording 现措辞 (version of {a['version_date']}): {a['current_wording']}")
        lines.append(f"  Redline 修订对照: {_redline(a, color)}")
    if a["status"] == "removed" and a.get("removed_with") == "successor":
        lines.append(f"  Quoted wording 原措辞 (version of {a['version_date']}): {a['quoted_wording']}")
    if len(a.get("history") or []) > (0 if a["status"] == "removed" else 1):
        lines += _history_lines(a["history"])
    if a["status"] == "removed" and a.get("now_in_place"):
        place = a["now_in_place"]
        lines.append(f"  Quoted wording 原措辞 (version of {a['version_date']}): {a['quoted_wording']}")
        lines.append(f"  Now in this place 此处现为 (version of {place['version_date']}"
                     f"{', ' + place['section'] if place.get('section') else ''}; not a replacement 并非替代条款):"
                     f" {place['wording']}")
    if a.get("basis") is not None and a["status"] in ("changed", "removed"):
        lines.append(f"  Decided by 判定依据: {', '.join(a['basis']) or 'no evidence of a replacement 无替代证据'}"
                     + (f" (similarity 相似度 {a['similarity']:g})" if a.get("similarity") is not None else "")
                     + f"; confidence 置信度 {a.get('confidence')}")
    if a["status"] == "removed" and a.get("removed_with") == "page":
        lines.append(f"  Taken down 已下线: {(a.get('changed_at') or '?')[:10]} (the first check that found the page gone"
                     " 首次发现页面下线的检查)")
        if a.get("last_seen"):
            lines.append(f"  Last seen 最后一次见到: {a['last_seen']} (the last check that found this version)")
    elif a["status"] in ("changed", "removed"):
        lines.append(f"  Changed 变更于: {(a.get('changed_at') or '?')[:10]} ({_label('detected')})")
    if a["status"] in ("changed", "removed") and a.get("removed_with") != "page":
        if a.get("change_effective_date_source") == "stated":
            lines.append(f"  Effective for this section 本条生效: {a['change_effective_date']}"
                         f" ({_label(a.get('change_effective_date_label') or 'stated_effective')})")
        else:
            lines.append("  Effective for this section 本条生效: not stated 页面未注明")
    lines.append(f"  Version 版本: {a['version_date']} (#{a['version_seq']}, {_label('first_seen')})"
                 + (f", {_label('stated_last_updated')} {a['last_updated']}" if a.get("last_updated") else ""))
    if a.get("effective_date_source") == "stated":
        scope = {"section": "this section 本条", "parent": "the enclosing section 上级条款",
                 "document": "the whole document 全文"}.get(a.get("effective_date_scope"), "")
        lines.append(f"  Effective 生效: {a['effective_date']} ({_label(a.get('effective_date_label'))}"
                     + (f", stated for {scope}" if scope else "") + ")")
    elif a.get("effective_date"):
        lines.append(f"  Effective 生效: not stated 页面未注明; {a['effective_date']} is when the change was detected"
                     " 仅为检测到变更的日期")
    since = a.get("wording_since")
    if since and a.get("wording_unchanged"):
        since_eff = since.get("effective_date") if since.get("effective_date_source") == "stated" else None
        lines.append(f"  Wording unchanged since 措辞未变自: version of {since['version_date']} (#{since['version_seq']})"
                     + (f", effective then 当时生效 {since_eff}" if since_eff else ""))
    if a.get("in_force"):
        lines.append(f"  In force 是否生效: {IN_FORCE_LABELS.get(a['in_force'], a['in_force'])}")
    lines.append(f"  {_label('last_success')}: {a.get('last_checked') or 'never 从未'}"
                 + (f" (stale: more than {a['stale_after_hours']:g} h ago, twice its check interval"
                    " 可能过时：超过检查周期两倍时间)" if a.get("stale") and a.get("stale_after_hours") else ""))
    if "as_of" in a:
        ao = a["as_of"]
        lines.append(f"  As of 截至 {ao['date']}: on the page 页面上: {AS_OF_LABELS.get(ao['status'], ao['status'])}"
                     + (f" (version of {ao['version_date']}, {ao['permalink']})" if ao.get("version_date") else "")
                     + (f"; {ao['reason']}" if ao.get("reason") else ""))
        if ao.get("in_force"):
            lines.append(f"    In force then 当时是否生效: {IN_FORCE_LABELS.get(ao['in_force'], ao['in_force'])}")
        if ao.get("status") == "present":
            lines.append(f"    Cite then 当时引用: {ao['citation']['en']}")
    lines.append(f"  Permalink 永久链接: {a['permalink']}")
    lines.append(f"  Cite 引用 (en): {a['citation']['en']}")
    lines.append(f"  Cite 引用 (zh): {a['citation']['zh']}")
    return "\n".join(lines)


@cli.command()
@data_option
@click.argument("quote")
@platform_option(help="Only this platform's documents.")
@click.option("--url", default=None, help="Only the document at this URL (or with this platform/document id).")
@date_option("--as-of", "Also say what the page said on this date.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per answer, one per line.")
@click.option("--stale-hours", default=None, type=float,
              help="A last successful check older than this makes the answer say the KB may be stale "
                   f"(default: twice the document's own check interval, {STALE_HOURS} h at the default interval).")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100),
              help="At most this many answers (documents).")
@click.option("--base-url", default=lambda: os.environ.get("POLICYKB_BASE_URL", DEFAULT_BASE_URL),
              show_default=f"$POLICYKB_BASE_URL or {DEFAULT_BASE_URL}", help="Datasette address for permalinks.")
@time_option("--now", "Pretend it is this time (tests; also $POLICYKB_NOW).", hidden=True)
def cite(data_dir, quote, platform, url, as_of, as_json, stale_hours, limit, base_url, now):
    """Check a quote: current, changed (and what replaced it), removed, or not found.

    QUOTE is the text as pasted (``-`` reads it from standard input). Copy-paste
    damage is tolerated: whitespace, case, curly quotes, full-width characters,
    Markdown, a dropped word or two. Exit status: 0 when the quote was found in
    some version, 1 when not found, 2 on an error.

    Example: policykb cite "Sellers must keep their late shipment rate under 3%" --platform demomart
    """
    from kb.cite import CiteError, cite as check
    from kb.db import open_db

    if quote == "-":
        quote = sys.stdin.read()
    db = open_db(data_dir)
    try:
        answers = check(db, quote, platform=platform, url=url, as_of=as_of, now=now, stale_hours=stale_hours,
                        limit=limit, base_url=base_url)
    except CiteError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        db.close()
    if as_json:
        for a in answers:
            click.echo(json.dumps(a, ensure_ascii=False))
    else:
        color = sys.stdout.isatty()
        click.echo("\n\n".join(format_answer(a, color) for a in answers))
    sys.exit(1 if answers[0]["status"] == "not_found" else 0)
