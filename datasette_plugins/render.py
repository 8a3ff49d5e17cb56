"""Scraped text → safe HTML: Markdown rendering, redlines, section-by-section diffs.

Everything scraped from a platform is hostile. Markdown is rendered to HTML
and cleaned by the one sanitizer, :func:`pipeline.safehtml.render_markdown`
(re-exported here). Diff text is never parsed as HTML: it is escaped, and the
only markup is our own ``<ins>``/``<del>``. The functions are pure, so tests
call them directly.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from kb.search import normalized, section_anchor
from pipeline.diff import diff_ops
from pipeline.safehtml import ALLOWED_TAGS, render_markdown  # noqa: F401  (the one sanitizer)


def _escape(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")


def redline(old: str, new: str) -> str:
    """Inline HTML redline of two texts: ``<del>`` and ``<ins>``, all text escaped."""
    out = []
    for op, text in diff_ops(old or "", new or "", display=True):
        if op == 0:
            out.append(_escape(text))
        elif op == 1:
            out.append(f'<ins class="pkb-ins">{_escape(text)}</ins>')
        else:
            out.append(f'<del class="pkb-del">{_escape(text)}</del>')
    return "".join(out)


@dataclass
class SectionDiff:
    """One section in a diff: ``status`` is added, removed, changed, cosmetic (only case, width,
    white space or punctuation differ) or unchanged; ``html`` is escaped text with our own markup."""

    key: str
    heading: str
    status: str
    html: str

    @property
    def anchor(self) -> str:
        return section_anchor(self.key)

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


def diff_sections(old: list[dict], new: list[dict]) -> list[SectionDiff]:
    """Align two versions' sections by key and redline each one.

    The order is the new version's; a removed section is placed after the
    last section before it that survived.

    :param old: sections (``key``, ``heading``, ``text_markdown``, ``content_hash``) of the old version
    :param new: the same for the new version
    """
    old_by_key = {s["key"]: s for s in old}
    new_keys = {s["key"] for s in new}
    removed_after: dict[str | None, list[dict]] = {}
    kept = None
    for s in old:
        if s["key"] in new_keys:
            kept = s["key"]
        else:
            removed_after.setdefault(kept, []).append(s)

    def removed(key):
        return [SectionDiff(s["key"], s["heading"], "removed",
                            f'<del class="pkb-del">{_escape(s["text_markdown"])}</del>')
                for s in removed_after.get(key, [])]

    out = removed(None)
    for s in new:
        o = old_by_key.get(s["key"])
        if o is None:
            out.append(SectionDiff(s["key"], s["heading"], "added",
                                   f'<ins class="pkb-ins">{_escape(s["text_markdown"])}</ins>'))
        elif o["text_markdown"] == s["text_markdown"]:
            out.append(SectionDiff(s["key"], s["heading"], "unchanged", _escape(s["text_markdown"])))
        else:
            status = "cosmetic" if normalized(o["text_markdown"]) == normalized(s["text_markdown"]) else "changed"
            out.append(SectionDiff(s["key"], s["heading"] or o["heading"], status,
                                   redline(o["text_markdown"], s["text_markdown"])))
        out.extend(removed(s["key"]))
    return out
