"""Atom feeds of substantive changes, built with feedgen.

Our own routes rather than a datasette-atom canned query: a feed for one
document is often empty, and datasette-atom 0.9 fails on an empty result
(``max()`` of no rows); it also cannot make the absolute links to our diff
pages that feed readers need. feedgen (the library datasette-atom uses)
writes and escapes the XML.
"""

from __future__ import annotations

from html import escape

from feedgen.feed import FeedGenerator

FEED_ID_PREFIX = "tag:policykb,2026:"


def diff_path(change: dict) -> str:
    return f"/-/policykb/diff/{change['document_id']}/{change['from_seq']}..{change['to_seq']}"


def atom_feed(changes: list[dict], absolute, self_path: str, title: str, subtitle: str = "",
              updated: str | None = None) -> bytes:
    """An Atom document with one entry per change, each linking to its diff.

    :param changes: rows from ``kb.read.substantive_changes``
    :param absolute: ``absolute(path) -> URL``: makes our paths absolute (feed readers need absolute links)
    :param self_path: the feed's own path (its id and ``rel="self"`` link)
    :param title: the feed title
    :param updated: the feed's updated time when it has no entries (ISO)
    """
    fg = FeedGenerator()
    fg.id(FEED_ID_PREFIX + self_path)
    fg.title(title)
    fg.subtitle(subtitle or title)
    fg.link(href=absolute(self_path), rel="self")
    fg.link(href=absolute("/-/policykb"), rel="alternate")
    fg.generator("policykb")
    fg.updated(max((c["detected_at"] for c in changes), default=None) or updated or "1970-01-01T00:00:00Z")
    for c in reversed(changes):  # feedgen prepends: add oldest first so the newest comes first
        entry = fg.add_entry()
        entry.id(FEED_ID_PREFIX + "change/" + c["id"])
        name = c["title"] + (f" · {c['title_zh']}" if c.get("title_zh") and c["title_zh"] != c["title"] else "")
        entry.title(f"[{c['platform_name']}] {name}: #{c['from_seq']} → #{c['to_seq']}")
        entry.link(href=absolute(diff_path(c)), rel="alternate")
        entry.updated(c["detected_at"])
        entry.published(c["detected_at"])
        stated = c.get("effective_date") if c.get("effective_date_source") == "stated" else None
        entry.content(
            f"<p>{escape(c['kind'])} change detected {escape(c['detected_at'][:10])} 检测到变更; "
            f"+{int(c['chars_added'] or 0)} / −{int(c['chars_removed'] or 0)} characters 字符.</p>"
            + (f"<p>Stated effective 页面注明生效: {escape(stated)}"
               + (f" (for “{escape(c['effective_section'])}” only 仅适用于该条款; each section's own date is on the"
                  " redline 各条款的生效日期见对比页)" if c.get("effective_section") else "") + "</p>" if stated
               else "<p>No effective date stated 页面未注明生效日期</p>")
            + f'<p><a href="{escape(absolute(diff_path(c)))}">Redline 对比</a></p>',
            type="html")
    return fg.atom_str(pretty=True)
