"""Charts as inline SVG, drawn on the server: no JavaScript, no CDN, nothing to load.

Two small charts do not justify a plotting library and its scripts (our pages
must work offline and stay inert), so they are drawn here by hand: every
label goes through ``html.escape`` and every coordinate is a number we
computed, so the SVG carries no scraped markup.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from datasette_plugins.labels import bilingual

PALETTE = {"substantive": "#c0392b", "other": "#95a5a6", "version": "#34495e", "effective": "#2471a3",
           "check": "#17702a", "failed": "#a33"}


def _day(value: str) -> date:
    return datetime.strptime(value[:10], "%Y-%m-%d").date()


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def heatmap(counts: list[dict], platforms: list[dict], link=None, title="") -> str:
    """Changes per platform per month as a grid: one row per platform, one column per month.

    :param counts: rows with ``platform_id``, ``month`` (YYYY-MM), ``n``
    :param platforms: rows with ``id`` and ``name`` (row order and labels)
    :param link: optional ``link(platform_id) -> url`` for the row labels
    :param title: accessible title
    """
    if not counts:
        return ""
    months = _months(min(c["month"] for c in counts), max(c["month"] for c in counts))
    values = {(c["platform_id"], c["month"]): c["n"] for c in counts}
    top = max(values.values())
    label_w, cell, head = 150, 34, 36
    width = label_w + cell * len(months) + 10
    height = head + cell * len(platforms) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pkb-chart" role="img" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    for j, month in enumerate(months):
        x = label_w + j * cell + cell / 2
        label = month[2:] if j and month[5:] != "01" else month
        out.append(f'<text x="{x:.0f}" y="{head - 8}" font-size="10" text-anchor="middle">{escape(label)}</text>')
    for i, p in enumerate(platforms):
        y = head + i * cell
        name = escape(p.get("name") or p["id"])
        label = f'<text x="{label_w - 8}" y="{y + cell / 2 + 4:.0f}" font-size="12" text-anchor="end">{name}</text>'
        if link:
            label = f'<a href="{escape(link(p["id"]))}">{label}</a>'
        out.append(label)
        for j, month in enumerate(months):
            n = values.get((p["id"], month), 0)
            shade = 0.08 if not n else 0.25 + 0.75 * n / top
            x = label_w + j * cell
            out.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" rx="3" '
                       f'fill="{PALETTE["substantive"]}" fill-opacity="{shade:.2f}">'
                       f"<title>{name} {escape(month)}: {n}</title></rect>")
            if n:
                out.append(f'<text x="{x + cell / 2:.0f}" y="{y + cell / 2 + 4:.0f}" font-size="11" '
                           f'text-anchor="middle" fill="{"#fff" if shade > 0.6 else "#000"}">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def timeline(versions: list[dict], changes: list[dict], checks: list[dict] = (), effective: list[dict] = (),
             link=None, title="", width=760) -> str:
    """A document's history on a time axis: versions, changes (substantive ones tall and red),
    stated effective dates and the latest check.

    :param versions: rows with ``seq``, ``observed_at``
    :param changes: rows with ``to_seq``, ``from_seq``, ``detected_at``, ``kind``
    :param checks: rows with ``checked_at``, ``outcome`` (the latest is drawn)
    :param effective: rows with ``date`` (YYYY-MM-DD) and ``label``
    :param link: optional ``link(from_seq, to_seq) -> url`` for change markers
    """
    dates = [v["observed_at"] for v in versions] + [c["detected_at"] for c in changes]
    dates += [c["checked_at"] for c in checks[:1]] + [e["date"] for e in effective]
    dates = [d for d in dates if d]
    if not dates:
        return ""
    start, end = _day(min(dates)), _day(max(dates))
    span = max((end - start).days, 30)
    left, right, height, axis = 20, 20, 110, 78

    def x(value: str) -> float:
        return left + (width - left - right) * (_day(value) - start).days / span

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pkb-chart" role="img" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>",
           f'<line x1="{left}" y1="{axis}" x2="{width - right}" y2="{axis}" stroke="#888"/>']
    for month in _months(start.isoformat(), end.isoformat()):
        mx = x(month + "-01")
        if mx < left:
            continue
        out.append(f'<line x1="{mx:.1f}" y1="{axis}" x2="{mx:.1f}" y2="{axis + 4}" stroke="#888"/>')
        if month.endswith("-01") or month == start.isoformat()[:7] or span < 400:
            out.append(f'<text x="{mx:.1f}" y="{axis + 16}" font-size="10" text-anchor="middle">'
                       f"{escape(month)}</text>")
    for v in versions:
        out.append(f'<circle cx="{x(v["observed_at"]):.1f}" cy="{axis}" r="4" fill="{PALETTE["version"]}">'
                   f'<title>#{int(v["seq"])} {escape(v["observed_at"][:10])}</title></circle>')
    for c in changes:
        substantive = (c.get("kind") or "substantive") == "substantive"
        cx, top = x(c["detected_at"]), (18 if substantive else 50)
        colour = PALETTE["substantive"] if substantive else PALETTE["other"]
        mark = (f'<line x1="{cx:.1f}" y1="{axis - 6}" x2="{cx:.1f}" y2="{top}" stroke="{colour}" stroke-width="3"/>'
                f'<text x="{cx:.1f}" y="{top - 4}" font-size="11" text-anchor="middle" fill="{colour}">'
                f'#{int(c["from_seq"])}→#{int(c["to_seq"])}</text>'
                f'<title>{escape(bilingual(c.get("kind") or "substantive", "en"))} {escape(c["detected_at"][:10])}</title>')
        if link:
            mark = f'<a href="{escape(link(c["from_seq"], c["to_seq"]))}">{mark}</a>'
        out.append(f"<g>{mark}</g>")
    for e in effective:
        ex = x(e["date"])
        out.append(f'<path d="M{ex:.1f},{axis - 22} l6,6 l-6,6 l-6,-6 z" fill="{PALETTE["effective"]}">'
                   f'<title>{escape(e.get("label") or "effective")} {escape(e["date"][:10])}</title></path>')
    for c in checks[:1]:
        colour = PALETTE["failed"] if c.get("outcome") in ("failed", "gone") else PALETTE["check"]
        cx, outcome = x(c["checked_at"]), bilingual(c.get("outcome") or "", "en")
        out.append(f'<path d="M{cx:.1f},{axis + 2} l5,9 l-10,0 z" fill="{colour}">'
                   f'<title>last check 最近检查 {escape(c["checked_at"][:10])}: {escape(outcome)}</title></path>')
    out.append("</svg>")
    return "".join(out)
