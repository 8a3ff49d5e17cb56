"""Scraped text → safe HTML: Markdown rendering, redlines, section-by-section diffs.

Everything scraped from a platform is hostile. Markdown is rendered to HTML
and cleaned by the one sanitizer, :func:`pipeline.safehtml.render_markdown`
(re-exported here). A redline reads like the document: the sections' Markdown is rendered (headings as
headings, lists as lists) and sanitized exactly as above, with the insertions and deletions carried through
as private-use marks and only then turned into our own ``<ins>``/``<del>`` around runs of text (never
around a tag, so they nest). The plain-text :func:`redline` escapes and marks, nothing more. The
functions are pure, so tests call them directly.
"""

from __future__ import annotations

import html
import re
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


#: private-use characters that carry the diff's marks through Markdown and the sanitizer (scraped text loses its own)
INS, DEL, END = "\ue000", "\ue001", "\ue002"
_MARKS = re.compile("[\ue000-\ue002]")
_TAG = re.compile(r"(<[^>]*>)")
#: a Markdown block marker at a line's start (heading, list item, quote, table row) goes before the marks there
_LINE_START = re.compile(r"^([\ue000-\ue002]+)((?:#{1,6}|[-*+]|\d+[.)])[ \t]+|>[ \t]?|\|)", re.M)
_LINE_END = re.compile(r"\|([\ue000-\ue002]+)$", re.M)
_OPEN = {INS: '<ins class="pkb-ins">', DEL: '<del class="pkb-del">'}
_CLOSE = {INS: "</ins>", DEL: "</del>"}


def _place_marks(sanitized: str) -> str:
    """Turn the marks in sanitized HTML into ``<ins>``/``<del>`` around each run of text between tags."""
    out, mode, opened = [], None, None
    for piece in _TAG.split(sanitized):
        if piece.startswith("<"):
            if opened:
                out.append(_CLOSE[opened])
                opened = None
            out.append(piece)
            continue
        for chunk in re.split("([\ue000-\ue002])", piece):
            if chunk in (INS, DEL, END):
                mode = None if chunk == END else chunk
                continue
            if opened != mode and chunk.strip():
                out.append(_CLOSE[opened] if opened else "")
                out.append(_OPEN[mode] if mode else "")
                opened = mode
            out.append(chunk)
    if opened:
        out.append(_CLOSE[opened])
    return "".join(out)


def marked_markdown(marked: str) -> str:
    """Markdown holding :data:`INS`/:data:`DEL` … :data:`END` marks → sanitized HTML with ``<ins>``/``<del>``."""
    marked = _LINE_START.sub(lambda m: m.group(2) + m.group(1), marked)
    marked = _LINE_END.sub(lambda m: m.group(1) + "|", marked)
    return _place_marks(render_markdown(marked))


def redline_markdown(old: str, new: str) -> str:
    """A redline of two Markdown texts that reads like the document: rendered, sanitized, changes marked."""
    parts = []
    for op, text in diff_ops(_MARKS.sub("", old or ""), _MARKS.sub("", new or ""), display=True):
        parts.append(text if op == 0 else (INS if op == 1 else DEL) + text + END)
    return marked_markdown("".join(parts))


def _whole(mark: str, text: str) -> str:
    return marked_markdown(mark + _MARKS.sub("", text or "") + END)


@dataclass
class SectionDiff:
    """One section in a diff: ``status`` is added, removed, changed, cosmetic (only case, width,
    white space or punctuation differ) or unchanged; ``html`` is the section rendered and sanitized, with our own
    ``<ins>``/``<del>``."""

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
        return [SectionDiff(s["key"], s["heading"], "removed", _whole(DEL, s["text_markdown"]))
                for s in removed_after.get(key, [])]

    out = removed(None)
    for s in new:
        o = old_by_key.get(s["key"])
        if o is None:
            out.append(SectionDiff(s["key"], s["heading"], "added", _whole(INS, s["text_markdown"])))
        elif o["text_markdown"] == s["text_markdown"]:
            out.append(SectionDiff(s["key"], s["heading"], "unchanged", render_markdown(s["text_markdown"])))
        else:
            status = "cosmetic" if normalized(o["text_markdown"]) == normalized(s["text_markdown"]) else "changed"
            out.append(SectionDiff(s["key"], s["heading"] or o["heading"], status,
                                   redline_markdown(o["text_markdown"], s["text_markdown"])))
        out.extend(removed(s["key"]))
    return out
