"""The answers: current, changed, removed, not found, and what the page said on a date."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime

from rapidfuzz import fuzz

from kb import timemodel
from kb.cite.candidates import (FEW_DOCUMENTS, Unindexed, candidate_versions, every_word_passages, quote_shingles,
                                quote_tokens, unindexed)
from kb.cite.citation import citation, message, permalink, wording, wording_markdown
from kb.cite.dates import now_utc, parse_when, zh_date
from kb.cite.errors import CiteError
from kb.cite.keytext import key_form, key_text, quote_weight
from kb.cite.locate import NUMERAL_RE, Match, locate, sentence_bounds
from kb.cite.sentences import line_sentences
from kb.cite.redline import redline_ops, redline_text, replacement_span
from kb.cite.versions import (_Versions, _change_into, _conn, _documents, _last_success, _rows,
                              _version_info)
from pipeline import timeutil
from pipeline.timeutil import iso

MIN_QUOTE_WEIGHT = 12  # key characters, CJK counting double
MAX_VERSIONS_PER_DOC = 40
NEAR_PAIRS = 2  # candidates with this many fewer word pairs than the best are not looked at
MAX_DOCUMENTS = 25
#: Key-form similarity (rapidfuzz ``ratio``, 0-100) from which the passage standing where a quote stood may be
#: its replacement (with the same section and a diff-aligned position); measured by ``bench/eval_cite.py``.
REPLACEMENT_SIMILARITY = 55.0
#: Without a diff-aligned position (the neighbourhood was rewritten), a passage of the same section must be at
#: least this similar to count as the replacement.
UNALIGNED_SIMILARITY = 80.0
HIGH_SIMILARITY = 75.0  # a replacement at least this similar (and diff-aligned) is answered with confidence "high"
#: A new sentence elsewhere in the current text (the quote moved and was reworded) at least this similar
#: (rapidfuzz ``ratio`` of key forms) counts as its replacement when each is the other's closest; measured by
#: ``bench/eval_cite.py``.
MOVED_SIMILARITY = 80.0
#: A quote whose words stand almost whole (rapidfuzz ``partial_ratio``) inside a longer new clause of the same
#: section (two sentences merged into one, a clause widened) was merged into it.
CONTAINED_SIMILARITY = 85.0


def _public(info: dict) -> dict:
    return {k: v for k, v in info.items() if not k.startswith("_")}


@dataclass
class _Case:
    """What one document's versions say about a quote: the inputs every kind of answer is built from."""

    conn: object
    doc: dict
    versions: _Versions
    matches: dict  # seq -> Match | None, for every version looked at
    current_seq: int | None
    best_score: tuple
    last_seq: int  # the newest version with the best match
    last_checked: str | None
    base_url: str
    now: datetime
    judge_now: datetime | None = None  # the moment staleness is judged against, when the caller gave one

    @property
    def lang(self) -> str | None:
        """The document's declared language (where its sentences end: :mod:`kb.cite.sentences`)."""
        return self.doc.get("locale")

    @property
    def gone(self) -> bool:
        return self.doc.get("state") == "gone"

    @property
    def current(self) -> dict | None:
        return self.versions.get(self.current_seq) if self.current_seq else None

    @property
    def last(self) -> dict:
        return self.versions.get(self.last_seq)

    @property
    def m_last(self) -> Match:
        return self.matches[self.last_seq]

    def info(self, version: dict, raw_pos: int) -> dict:
        return _version_info(self.conn, self.doc, version, raw_pos, self.base_url, self.now)


def _current_seq(conn, doc) -> int | None:
    if not doc.get("current_version_id"):
        return None
    row = conn.execute("select seq from versions where id = ?", [doc["current_version_id"]]).fetchone()
    return row[0] if row else None


def _locate_in_versions(versions, quote_key, seqs, current_seq, full) -> dict[int, Match | None]:
    """Locate the quote in the current version, then in the candidates likeliest to hold it.

    The likeliest have most of its words and word pairs, newest first among
    equals: a perfect match (no error, nothing skipped) cannot be beaten, so the
    search stops there. Versions far below the best candidate are left out.
    """
    top = max(seqs.values(), default=(0, 0))
    # Some version has every word of the quote and its word pairs but those a dropped word breaks.
    full = top[0] >= full[0] and top[1] >= full[1] - NEAR_PAIRS
    likely = [s for s, rank in seqs.items() if rank[1] >= top[1] - NEAR_PAIRS and s != current_seq]
    order = ([current_seq] if current_seq else []) + sorted(likely, key=lambda s: (seqs[s], s), reverse=True)
    matches: dict[int, Match | None] = {}
    for i, seq in enumerate(order[:MAX_VERSIONS_PER_DOC]):
        matches[seq] = locate(quote_key, versions.key(seq))
        if matches[seq] is not None and matches[seq].score == (0, 0):
            break
        if i >= 2 and not full and not any(matches.values()):
            break  # no version has all the quote's words and pairs, and the likeliest hold nothing close
    return matches


def _answer_for(conn, doc, quote, quote_key, seqs, as_of, now, stale_hours, base_url,
                full=(0, 0), judge_now=None) -> dict | None:
    """The answer for one document, or None when no version of it holds the quote."""
    versions = _Versions(conn, doc["id"])
    current_seq = _current_seq(conn, doc)
    as_of_version = versions.at(as_of) if as_of else None
    matches = _locate_in_versions(versions, quote_key, seqs, current_seq, full)
    if as_of_version and as_of_version["seq"] not in matches:
        matches[as_of_version["seq"]] = locate(quote_key, versions.key(as_of_version["seq"]))
    found = {s: m for s, m in matches.items() if m is not None}
    if not found:
        return None
    best_score = min(m.score for m in found.values())
    last_seq = max(s for s, m in found.items() if m.score == best_score)
    case = _Case(conn, doc, versions, matches, current_seq, best_score, last_seq, _last_success(conn, doc),
                 base_url, now, judge_now)
    answer = _answer_head(case, stale_hours)
    match_info = _match_info(quote, case)
    cur_match = matches.get(current_seq)
    if cur_match is not None and cur_match.score == best_score and not case.gone:
        if not cur_match.exact:
            return None  # only a near miss, and the current version is as close as any: not verbatim anywhere
        answer.update(_current_answer(case, cur_match, match_info))
    else:
        answer.update(_outdated_answer(case, quote_key, match_info))
    if as_of is not None:
        answer.update(_as_of(conn, doc, versions, as_of_version, matches, best_score, as_of, base_url, now,
                                     stale_hours))
    answer["message"] = message(answer)
    return answer


def _answer_head(case: _Case, stale_hours: float | None) -> dict:
    """The fields every answer for a document starts with (``status`` is filled in later).

    ``stale`` is the one rule (:func:`kb.timemodel.staleness`): no successful check for twice the document's
    own interval (``stale_hours`` overrides that age), judged against ``now`` when it was given, else the
    clock (the KB's latest check for a demo platform, whose clock is the demo's dates)."""
    doc, last_checked = case.doc, case.last_checked
    interval = stale_hours * 3600 / timeutil.STALE_FACTOR if stale_hours else None
    judged = timemodel.staleness(case.conn, {**doc, "last_success": last_checked}, case.judge_now, interval)
    return {
        "status": None, "stale": judged["stale"], "stale_after_hours": round(judged["stale_after_s"] / 3600, 1),
        "platform": doc["platform_id"], "platform_name": doc["platform_name"],
        "platform_name_zh": doc.get("platform_name_zh"), "document": doc["id"], "title": doc["title"],
        "title_zh": doc.get("title_zh"), "title_en": doc.get("title_en"), "url": doc["url"],
        "document_state": doc.get("state"), "gone_since": doc.get("gone_since"), "last_checked": last_checked,
        "last_checked_label": "last_success",
    }


def _match_info(quote: str, case: _Case) -> dict:
    """How the quote matched its best version: exact or approximate, and the differences if approximate."""
    m_last = case.m_last
    match_info = {"kind": "exact" if m_last.exact else "approximate", "quote_chars_not_found": m_last.q_err,
                  "skipped_chars": m_last.gaps, "omitted": m_last.omitted}
    if not m_last.exact:
        source = wording(case.last["text_markdown"][m_last.raw_start:m_last.raw_end])
        trimmed = re.sub(r"^[\W_]+|[\W_]+$", "", quote)
        match_info["differences"] = redline_text(redline_ops(trimmed, source))
    return match_info


def _current_answer(case: _Case, cur_match: Match, match_info: dict) -> dict:
    """``current``: in the current version, and no older version matches better."""
    current = case.current
    info = case.info(current, cur_match.raw_start)
    s, e = sentence_bounds(current["text_markdown"], cur_match.raw_start, cur_match.raw_end, lang=case.lang)
    day = case.now.date().isoformat()
    info["in_force"] = timemodel.in_force(True, info["effective_date"], info["effective_date_source"], day)
    return dict(status="current", **_public(info), basis=["match"],
                confidence="high" if cur_match.gaps == 0 else "medium",
                match=match_info | {"omitted": cur_match.omitted},
                quoted_wording=wording(current["text_markdown"][s:e]),
                quoted_wording_markdown=wording_markdown(current["text_markdown"][s:e]),
                citation=citation(case.doc, info, case.last_checked))


def _replaced_span(case: _Case, quote_key: str, nxt: dict | None,
                   evidence: dict | None = None) -> tuple[int, int] | None:
    """The span of the current text (whole sentences) that stands where the quote stood, or None if nothing
    does (``evidence["aligned"]``: found by a diff between unchanged anchors, see ``replacement_span``)."""
    current = case.current
    if not (nxt and current):
        return None
    enough = max(3, len(quote_key) // 5)
    for fine in (True, False):  # word by word; if that finds little (a rewrite), the whole block
        ns, ne = replacement_span(case.versions.key(case.last_seq), case.versions.key(case.current_seq),
                                  case.m_last, fine=fine, evidence=evidence)
        if len(key_form(current["text_markdown"][ns:ne])) >= enough:
            return sentence_bounds(current["text_markdown"], ns, ne, lang=case.lang)
    return None


def _outdated_answer(case: _Case, quote_key: str, match_info: dict, depth: int = 0) -> dict:
    """``changed`` or ``removed``: the last version with the quote, and what replaced it (if anything): in the
    current text when it is the version right after, else in that version, its history followed from there
    (:func:`_followed`)."""
    last, m_last = case.last, case.m_last
    old_info = case.info(last, m_last.raw_start)
    os_, oe = sentence_bounds(last["text_markdown"], m_last.raw_start, m_last.raw_end, lang=case.lang)
    quoted = wording(last["text_markdown"][os_:oe])
    quoted_md = wording_markdown(last["text_markdown"][os_:oe])
    nxt = case.versions.get(case.last_seq + 1)
    change = _change_into(case.conn, nxt["id"]) if nxt else None
    evidence: dict = {}
    replaced = _replaced_span(case, quote_key, nxt, evidence) if not case.gone else None
    last_version = _public(old_info) | {"quoted_wording": quoted, "quoted_wording_markdown": quoted_md}
    # Versions came between the quote's last one and the current one: what replaced it is decided in the version
    # right after (the date of the change), and followed from there (:func:`_followed`), not by a jump to the
    # current text (which may have gained similar wording later: a passage removed on D1 is not "changed on D1"
    # into one added on D3).
    later = bool(nxt and case.current and not case.gone and nxt["seq"] != case.current_seq and depth < MAX_FOLLOWED)
    step = _step_replacement(case, quote_key, old_info, quoted, (os_, oe), nxt) if later else None
    if later and step is not None:
        answer = _removed_answer(case, old_info, quoted, nxt, change, match_info, last_version)
        followed = _followed(case, old_info, quoted, (os_, oe), nxt, answer, depth, step)
        if followed is not None:
            return followed
    judged = None
    if replaced:
        judged = _replacement_evidence(case, old_info, quoted, replaced, evidence.get("aligned", False),
                                       allowed=not (later and step is None))
        if judged["replacement"]:
            return _changed_answer(case, replaced, quoted, nxt, change, match_info, last_version) | judged["fields"]
    if nxt and case.current and not case.gone and not (later and step is None):
        moved = _counterpart(case, old_info, quoted, (os_, oe))
        if moved is not None:
            return _changed_answer(case, moved["span"], quoted, nxt, change, match_info, last_version) | moved["fields"]
    answer = _removed_answer(case, old_info, quoted, nxt, change, match_info, last_version)
    if judged is not None:
        return answer | judged["fields"]
    if case.gone and not nxt:
        return answer | {"basis": ["page"], "confidence": "high"}
    return answer | {"basis": [], "confidence": "high", "now_in_place": None}


#: How many rewordings of a rewording :func:`_followed` follows through the history.
MAX_FOLLOWED = 3


def _step_replacement(case: _Case, quote_key: str, old_info: dict, quoted: str, old_span, nxt: dict) -> dict | None:
    """What replaced the quote in the version right after its last one (``nxt``), by the same evidence as
    against the current text (:func:`_replacement_evidence`, then :func:`_counterpart`): ``{"span", "fields"}``
    in ``nxt``'s text, or None (nothing there replaced it: it was removed then)."""
    step = replace(case, current_seq=nxt["seq"])
    evidence: dict = {}
    span = _replaced_span(step, quote_key, nxt, evidence)
    if span:
        judged = _replacement_evidence(step, old_info, quoted, span, evidence.get("aligned", False))
        if judged["replacement"]:
            return {"span": span, "fields": judged["fields"]}
    return _counterpart(step, old_info, quoted, old_span)


def _followed(case: _Case, old_info: dict, quoted: str, old_span, nxt: dict, removed: dict,
              depth: int, step: dict | None = None) -> dict | None:
    """The quote was reworded into W in ``nxt`` but W is not in the current text: follow W through the history.

    Nothing in the current text replaced the quote, but the version right after its last one may have: then
    the quote did not vanish on that date, it changed into W (``nxt``'s wording). W is then looked up in the
    versions after ``nxt`` (the last one with it, exactly), and its own fate is answered the same way (it may
    be current, reworded again, or removed). The answer says every step (``history``: ``changed`` into W on
    D1, then ``removed`` on D2, or ``changed`` again), each with its date and the version's permalink:
    ``changed`` when the last wording stands in the current text, else ``removed`` with
    ``removed_with: "successor"`` and ``removed_at``. None when ``nxt`` holds no replacement either (the quote
    was removed on D1) or the chain is longer than :data:`MAX_FOLLOWED`."""
    if depth >= MAX_FOLLOWED or not case.current or nxt["seq"] == case.current_seq:
        return None
    quote_key = key_form(quoted)
    step = step or _step_replacement(case, quote_key, old_info, quoted, old_span, nxt)
    if step is None:
        return None
    ws, we = step["span"]
    w_md = nxt["text_markdown"][ws:we]
    w_key = key_form(w_md)
    if quote_weight(w_key) < MIN_QUOTE_WEIGHT:
        return None
    last_w, m_w = nxt["seq"], locate(w_key, case.versions.key(nxt["seq"]))
    if m_w is None or not m_w.exact:
        return None
    w_info = case.info(nxt, ws)
    for seq in range(nxt["seq"] + 1, case.current_seq + 1):
        if case.versions.get(seq) is None:
            break
        m = locate(w_key, case.versions.key(seq))
        # W's own occurrence: the same words standing in another section (there before, or copied there)
        # are not W, and never its successor's evidence
        if m is None or not m.exact or not _same_section(w_info, case.info(case.versions.get(seq), m.raw_start)):
            break
        last_w, m_w = seq, m
    first = {"step": "changed", "at": nxt["observed_at"], "wording": wording(w_md),
             "wording_markdown": wording_markdown(w_md), "section": w_info["section"],
             "section_key": w_info["section_key"], "version_date": w_info["version_date"],
             "version_seq": nxt["seq"], "permalink": w_info["permalink"], **step["fields"]}
    if last_w == case.current_seq:  # W stands in the current text: the quote changed into it
        s, e = sentence_bounds(case.current["text_markdown"], m_w.raw_start, m_w.raw_end, lang=case.lang)
        change = _change_into(case.conn, nxt["id"])
        answer = _changed_answer(case, (s, e), quoted, nxt, change, removed["match"],
                                 removed["last_version_with_quote"])
        return answer | step["fields"] | {"history": [first]}
    w_case = replace(case, matches={last_w: m_w}, best_score=m_w.score, last_seq=last_w)
    then = _outdated_answer(w_case, w_key, {"kind": "exact"}, depth + 1)
    return _chained(case, old_info, quoted, nxt, removed, step, first, then)


def _chained(case: _Case, old_info: dict, quoted: str, nxt: dict, removed: dict, step: dict, first: dict,
             then: dict) -> dict:
    """The quote's answer from the first step (changed into W in ``nxt``) and the answer for W (``then``):
    ``changed`` into the current wording if W's history ends there, else ``removed`` by its successor."""
    history = [first, *(then.get("history") or [_step_of(then)])]
    if then["status"] == "changed":  # reworded again, and that wording is current
        answer = dict(then)
        ops = redline_ops(quoted, then["current_wording"])
        answer.update(match=removed["match"], quoted_wording=quoted,
                      quoted_wording_markdown=removed["quoted_wording_markdown"], redline=ops,
                      redline_text=redline_text(ops), changed_at=nxt["observed_at"],
                      last_version_with_quote=removed["last_version_with_quote"],
                      **_change_effective(case, nxt, answer["section_key"]))
        return answer | {"history": history}
    last = history[-1]
    when = last["at"]
    note_en = f"passage changed {first['at'][:10]}, its new wording removed {when[:10]}" if when else ""
    note_zh = (f"该段落于{zh_date(first['at'])}变更，变更后的措辞于{zh_date(when)}删除" if when else "")
    retrieved = old_info["last_seen"] or case.last_checked
    return removed | {"removed_with": "successor", "removed_at": when, "history": history,
                      "basis": ["history", *step["fields"].get("basis", [])],
                      "similarity": step["fields"].get("similarity"),
                      "confidence": step["fields"].get("confidence", "medium"), "now_in_place": None,
                      "citation": citation(case.doc, old_info, retrieved, note_en, note_zh)}


def _step_of(answer: dict) -> dict:
    """One step of a ``history`` from the answer for a wording of the quote's history (W): ``changed`` into
    the current wording, or ``removed`` (the version that no longer has W, and the last one that did)."""
    if answer["status"] == "changed":
        return {"step": "changed", "at": answer["changed_at"], "wording": answer["current_wording"],
                "wording_markdown": answer.get("current_wording_markdown"), "section": answer["section"],
                "section_key": answer["section_key"], "version_date": answer["version_date"],
                "version_seq": answer["version_seq"], "permalink": answer["permalink"],
                "basis": answer.get("basis"), "similarity": answer.get("similarity")}
    gone = answer.get("removed_with") == "page"
    return {"step": "removed", "at": answer.get("changed_at"), "removed_with": "page" if gone else "passage",
            "section": answer.get("section"), "section_key": answer.get("section_key"),
            "first_version_without": answer.get("first_version_without"),
            "last_version_with": {"version_date": answer["version_date"], "version_seq": answer["version_seq"],
                                  "permalink": answer["permalink"]}}


def _same_section(old_info: dict, new_info: dict) -> bool:
    """The passage stands in the quote's section: the same key, or the section it moved to (the heading's
    words under another number, or its number under other words); a document without sections is one, and so
    is the whole document for a quote that stood in its title section or before its first heading (the
    scope rule of :func:`kb.timemodel.is_document_wide`: such text encloses every section)."""
    if old_info["section_key"] == new_info["section_key"]:
        return True
    if old_info.get("_section") is not None and timemodel.is_document_wide(old_info["_section"]):
        return True  # the quote stood in the title section or before the first heading: the whole document's
    old, new = key_form(old_info.get("section_heading") or ""), key_form(new_info.get("section_heading") or "")
    words = NUMERAL_RE.sub("", old)
    number = "".join(NUMERAL_RE.findall(old))
    # renumbered ("Article 12 – Médiation" → "Article 13 - Médiation") or renamed under its number
    # ("Pro. 10 - Dispositions générales" → "Pro. 10 - Stipulations générales")
    return bool(old and new and ((words and words == NUMERAL_RE.sub("", new))
                                 or (number and number == "".join(NUMERAL_RE.findall(new)))))


def _replacement_evidence(case: _Case, old_info: dict, quoted: str, span: tuple[int, int], aligned: bool,
                          allowed: bool = True) -> dict:
    """Whether the passage standing where the quote stood replaced it, from the evidence (``basis``): the same
    section (or the one it moved to), a position aligned by the diff, and key-form similarity of at least
    ``REPLACEMENT_SIMILARITY``. All three (or, when the neighbourhood was rewritten so that no diff aligns it,
    the same section and ``UNALIGNED_SIMILARITY``): ``changed``. Otherwise the quote was removed, and the
    passage is only what is ``now_in_place`` (never called its replacement). Never a passage of another
    section. The section it moved to counts when the diff aligned the passage (:func:`_moved_section`: the
    old and new sections are each the other's closest, e.g. ``4.1.`` renumbered ``5.1.`` when a section was
    inserted before it; ``basis`` then also says ``moved_section``): the section order and the alignment
    both say it, not the similarity alone. The thresholds are measured by ``bench/eval_cite.py`` (its
    ``similarity`` lines). A passage that stood elsewhere in the quote's last version already
    (:func:`_stood_elsewhere`) replaced nothing: only new wording replaces, as for :func:`_counterpart`.
    ``allowed=False``: the history already says nothing replaced the quote on the date it
    went (the version right after its last one holds no replacement): whatever stands in its place now is only
    ``now_in_place``, with ``confidence`` ``medium`` when it looks like one."""
    cs, ce = span
    new_info = case.info(case.current, cs)
    now = wording(case.current["text_markdown"][cs:ce])
    similarity = round(fuzz.ratio(key_form(quoted), key_form(now)), 1)
    same = _same_section(old_info, new_info)
    moved = not same and aligned and _moved_section(case, old_info, new_info)
    held = {"section": same or moved, "alignment": aligned, "similarity": similarity >= REPLACEMENT_SIMILARITY}
    basis = [name for name, ok in held.items() if ok] + (["moved_section"] if moved else [])
    if allowed and _stood_elsewhere(case, (cs, ce)):
        allowed = False  # only new wording replaces: this passage stood elsewhere in the quote's last version
    if allowed and held["section"] and held["similarity"] and (aligned or similarity >= UNALIGNED_SIMILARITY):
        high = aligned and similarity >= HIGH_SIMILARITY
        return {"replacement": True, "fields": {"basis": basis, "similarity": similarity,
                                                "confidence": "high" if high else "medium"}}
    return {"replacement": False, "fields": {
        "basis": basis, "similarity": similarity, "confidence": "medium" if len(basis) >= 2 else "high",
        "now_in_place": {"label": "now in this place", "label_zh": "此处现为", "wording": now,
                         "wording_markdown": wording_markdown(case.current["text_markdown"][cs:ce]),
                         "section": new_info["section"], "section_key": new_info["section_key"],
                         "version_date": new_info["version_date"], "permalink": new_info["permalink"],
                         "similarity": similarity}}}


def _stood_elsewhere(case: _Case, span: tuple[int, int]) -> bool:
    """Whether the passage at ``span`` of the current text is a copy that already stood in the quote's last
    version outside the quote and still stands: then the page did not gain it, and it replaced nothing (a page
    that held two copies of its terms kept the new one when it dropped the old). Counted as runs of whole
    sentences (a sibling sentence that held these words inside it and was edited the same day is no copy), at
    most as many now as then, and an old copy still stands when a sentence that was beside it is beside a copy
    now (a FAQ holding the words, deleted the day the quote was reworded into them in its own place, leaves the
    passage new there, as does a wording copied into the quote's place from another section)."""
    text = case.current["text_markdown"]
    key = key_form(text[span[0]:span[1]])
    if len(key) < 12:
        return False
    kt, m = case.versions.key(case.last_seq), case.m_last
    if not (kt.key[:m.start].count(key) + kt.key[m.end:].count(key)):  # cheap: not even a substring of the rest
        return False
    wanted = [k for _, _, k in _sentence_spans(text[span[0]:span[1]], case.lang)] or [key]

    def copies(version_text: str, skip=None) -> list[tuple]:
        spans = _sentence_spans(version_text, case.lang)
        keys, n = [k for _, _, k in spans], len(wanted)
        return [(keys[i - 1] if i else None, keys[i + n] if i + n < len(keys) else None)
                for i in range(len(keys) - n + 1)
                if keys[i:i + n] == wanted and not (skip and spans[i][0] < skip[1] and spans[i + n - 1][1] > skip[0])]

    before, now = copies(case.last["text_markdown"], (m.raw_start, m.raw_end)), copies(text)
    beside_now = {k for pair in now for k in pair if k}
    return bool(before) and len(now) <= len(before) and any(k in beside_now for pair in before for k in pair if k)


def _sentence_spans(text: str, lang: str | None = "en") -> list[tuple[int, int, str]]:
    """The sentences of a text with their raw spans and key forms: ``[(start, end, key)]`` (lines split at
    sentence ends and colons by :func:`kb.cite.sentences.line_sentences` in the document's language ``lang``, so
    "Inc." or "sog." does not cut a sentence in two; pieces of fewer than 12 key characters are left out)."""
    out = []
    for line in re.finditer(r"[^\n]+", text):
        for s, e in line_sentences(line.group(), lang, colons=True):
            key = key_form(line.group()[s:e])
            if len(key) >= 12:
                out.append((line.start() + s, line.start() + e, key))
    return out


def _counterpart(case: _Case, old_info: dict, quoted: str, old_span: tuple[int, int]) -> dict | None:
    """The quote's replacement when it is not the passage standing in its place: a sentence of the current text
    that is new (not in the last version with the quote), and the quote's closest while the quote is its
    closest in that version (``basis`` ``counterpart``). It replaced the quote when it is in the quote's section
    (or the one it moved to) and at least ``REPLACEMENT_SIMILARITY`` alike, or in another section and at least
    ``MOVED_SIMILARITY`` alike (``moved``). A quote merged into a longer new clause of its section, its words
    standing there almost whole (``CONTAINED_SIMILARITY``, ``partial_ratio``), was replaced by that clause
    (``contained``). None otherwise: the quote was removed."""
    from rapidfuzz import process

    qk = key_form(quoted)
    if len(qk) < 12:
        return None
    old_text, new_text = case.last["text_markdown"], case.current["text_markdown"]
    # Only new wording can replace: a sentence that stood elsewhere in the last version already is not the quote's.
    elsewhere = key_form(old_text[:old_span[0]]) + "|" + key_form(old_text[old_span[1]:])
    news = [x for x in _sentence_spans(new_text, case.lang) if x[2] not in elsewhere]
    others = [x[2] for x in _sentence_spans(old_text, case.lang) if x[1] <= old_span[0] or x[0] >= old_span[1]]
    if not news:
        return None
    keys = [x[2] for x in news]
    best = process.extractOne(qk, keys, scorer=fuzz.ratio)
    longer = [i for i, k in enumerate(keys) if len(k) > len(qk) * 1.2]
    contained = (process.extractOne(qk, [keys[i] for i in longer], scorer=fuzz.partial_ratio)
                 if longer and quote_weight(qk) >= 30 else None)
    tried = []
    if best is not None:
        tried.append((best[2], round(best[1], 1), "ratio"))
    if contained is not None and contained[1] >= CONTAINED_SIMILARITY:
        tried.append((longer[contained[2]], round(contained[1], 1), "contained"))
    for i, score, how in tried:
        start, end, key = news[i]
        if how == "ratio":
            rival = process.extractOne(key, others, scorer=fuzz.ratio) if others else None
            if rival is not None and rival[1] > score:
                continue  # another sentence of the last version is closer to it: it is that one's rewording
        new_info = case.info(case.current, start)
        section = _same_section(old_info, new_info) or _moved_section(case, old_info, new_info)
        if how == "contained":  # merged into a longer clause: the other sentences in it may be closer to it
            ok, basis = section, ["section", "counterpart", "contained"]
        elif section:
            ok, basis = score >= REPLACEMENT_SIMILARITY, ["section", "counterpart", "similarity"]
        else:
            ok, basis = score >= MOVED_SIMILARITY, ["counterpart", "moved", "similarity"]
        if ok:
            while start < end and new_text[start] in " \t#>|*-+":
                start += 1
            return {"span": (start, end), "fields": {"basis": basis, "similarity": score,
                                                     "confidence": "high" if score >= 90 else "medium"}}
    return None


def _moved_section(case: _Case, old_info: dict, new_info: dict) -> bool:
    """The quote's section moved (renumbered and renamed at once): of the current version's sections, the
    new passage's is the one whose text is closest to the old section's, and the old section's closest in the
    last version is the old section itself (each the other's closest, rapidfuzz ``ratio`` of key forms, at
    least ``REPLACEMENT_SIMILARITY``)."""
    from rapidfuzz import process

    from kb.cite.versions import section_spans

    old_sec, new_sec = old_info.get("_section"), new_info.get("_section")
    if not old_sec or not new_sec:
        return False
    old_keys = {r["key"]: key_form(r["text_markdown"] or "") for r, _, _ in section_spans(case.conn, case.last)}
    new_keys = {r["key"]: key_form(r["text_markdown"] or "") for r, _, _ in section_spans(case.conn, case.current)}
    mine = old_keys.get(old_sec["key"])
    if not mine or new_sec["key"] not in new_keys:
        return False
    best = process.extractOne(mine, new_keys, scorer=fuzz.ratio)
    if best is None or best[2] != new_sec["key"] or best[1] < REPLACEMENT_SIMILARITY:
        return False
    back = process.extractOne(new_keys[new_sec["key"]], old_keys, scorer=fuzz.ratio)
    return back is not None and back[2] == old_sec["key"]


def _change_effective(case: _Case, nxt: dict | None, key: str | None) -> dict:
    """The effective date of the change into ``nxt`` for the section ``key`` (never a sibling's stated date:
    a change that rewords §3.2 and adds §3.4 "starting August 1" does not make §3.2 effective in August)."""
    if not nxt:
        return {}
    sections = [r for r in _rows(case.conn, "select key, level, ordinal from sections where version_id = ?",
                                 [nxt["id"]])]
    if key is not None and key not in {s["key"] for s in sections}:
        key = None
    eff = timemodel.section_effective(case.conn, nxt, key)
    if not eff["date"]:
        eff = {"date": (nxt["observed_at"] or "")[:10], "source": "detected", "label": "detected"}
    return {"change_effective_date": eff["date"], "change_effective_date_source": eff["source"],
            "change_effective_date_label": eff["label"]}


def _changed_answer(case, replaced, quoted, nxt, change, match_info, last_version) -> dict:
    """``changed``: the current wording that replaced the quote, a redline, and when it changed."""
    cs, ce = replaced
    current = wording(case.current["text_markdown"][cs:ce])
    info = case.info(case.current, cs)
    ops = redline_ops(quoted, current)
    return dict(status="changed", **_public(info), match=match_info, quoted_wording=quoted,
                quoted_wording_markdown=last_version["quoted_wording_markdown"], current_wording=current,
                current_wording_markdown=wording_markdown(case.current["text_markdown"][cs:ce]), redline=ops, redline_text=redline_text(ops),
                changed_at=nxt["observed_at"], **_change_effective(case, nxt, info["section_key"]),
                in_force="no", last_version_with_quote=last_version,
                citation=citation(case.doc, info, case.last_checked))


def _removed_answer(case, old_info, quoted, nxt, change, match_info, last_version) -> dict:
    """``removed``: the passage (or the whole page) is gone; when, and the last version that had it."""
    doc = case.doc
    when = nxt["observed_at"] if nxt else doc.get("gone_since")
    page_gone = case.gone and not nxt
    retrieved = old_info["last_seen"] or case.last_checked
    note_en = (f"page removed {when[:10]}" if page_gone else f"passage removed {when[:10]}") if when else ""
    note_zh = ((f"该页面已于{zh_date(when)}下线" if page_gone else f"该段落已于{zh_date(when)}删除")
               if when else "")
    return dict(status="removed", **_public(old_info), match=match_info, quoted_wording=quoted,
                quoted_wording_markdown=last_version["quoted_wording_markdown"],
                changed_at=when, removed_with="page" if page_gone else "passage",
                **_change_effective(case, nxt, old_info["section_key"]), in_force="no",
                last_version_with_quote=last_version,
                first_version_without=({"version_date": (nxt["observed_at"] or "")[:10], "version_seq": nxt["seq"],
                                        "permalink": permalink(doc["id"], nxt["seq"], case.base_url)}
                                       if nxt else None),
                citation=citation(doc, old_info, retrieved, note_en, note_zh))


def _as_of(conn, doc, versions, version, matches, best_score, as_of, base_url, now, stale_hours=None) -> dict:
    """What the document said on a date, from what the KB knew by then: the version current then and whether
    it held the quote (``as_of_status``: present / absent / not_tracked / not_checked), and separately whether
    that wording was in force (``in_force``: yes / no / announced / unknown, see :mod:`kb.timemodel`)."""
    day = as_of.date().isoformat()
    first, last = conn.execute("select min(checked_at), max(checked_at) from checks where document_id = ?",
                               [doc["id"]]).fetchone()
    if not first or parse_when(first) > as_of:
        out = {"date": day, "status": "not_tracked", "in_force": "unknown", "first_checked": first,
               "reason": "not yet tracked on that date" + (f" (first checked {first[:10]})" if first else "")}
        return {"as_of_status": "not_tracked", "as_of": out}
    interval = timemodel.interval_of(conn, doc["id"])
    if stale_hours:
        interval = stale_hours * 3600 / timeutil.STALE_FACTOR
    if timeutil.is_stale(last, as_of.timestamp(), interval):
        out = {"date": day, "status": "not_checked", "in_force": "unknown", "last_checked": last,
               "reason": f"not checked since {last[:10]}"}
        return {"as_of_status": "not_checked", "as_of": out}
    if version is None:  # checked by then, but no check had got a text yet
        out = {"date": day, "status": "absent", "in_force": "unknown",
               "reason": "no version of the page recorded by that date"}
        return {"as_of_status": "absent", "as_of": out}
    m = matches.get(version["seq"])
    gone_then = bool(doc.get("gone_since") and parse_when(doc["gone_since"]) <= as_of)
    present = m is not None and m.exact and m.score == best_score and not gone_then
    info = _version_info(conn, doc, version, m.raw_start if m else 0, base_url, as_of)
    if not present:
        info["section"] = info["section_key"] = info["section_heading"] = None
        info["_section"] = None
    seen = conn.execute("select max(checked_at) from checks where document_id = ? and version_id = ?"
                        " and checked_at <= ?", [doc["id"], version["id"], iso(as_of)]).fetchone()[0]
    info["last_seen"] = seen or info["last_seen"]
    out = {"date": day, "status": "present" if present else "absent", **_public(info),
           "in_force": timemodel.in_force(present, info["effective_date"], info["effective_date_source"], day),
           "citation": citation(doc, info, info["last_seen"])}
    if gone_then:
        out["reason"] = "the page was taken down on that date"
    return {"as_of_status": out["status"], "as_of": out}


def _closest(conn, docs, quote, quote_key, candidates, base_url, now) -> dict | None:
    """The nearest passage for a quote found nowhere verbatim (a typo, or a misremembered quote)."""
    best = None
    for doc_id, seqs in candidates.items():
        doc = docs.get(doc_id)
        if not doc or not doc.get("current_version_id"):
            continue
        row = _rows(conn, "select * from versions where id = ?", [doc["current_version_id"]])
        if not row:
            continue
        version = row[0]
        kt = key_text(version["text_markdown"])
        found = fuzz.partial_ratio_alignment(quote_key, kt.key)
        if found is None or found.score < 70:
            continue
        if best is None or found.score > best[0]:
            best = (found.score, doc, version, kt, found)
    if best is None:
        return None
    score, doc, version, kt, found = best
    # The passage the quote is closest to: where locate aligns it (its span widened over a number that runs
    # on), else rapidfuzz's window; the redline of the quote against it shows every word and number that differ.
    m = locate(quote_key, kt)
    rs, re_ = ((m.raw_start, m.raw_end) if m is not None else
               kt.raw_span(found.dest_start, max(found.dest_start + 1, found.dest_end)))
    s, e = sentence_bounds(version["text_markdown"], rs, re_, lang=doc.get("locale"))
    info = _version_info(conn, doc, version, rs, base_url, now)
    ops = redline_ops(re.sub(r"^[\W_]+|[\W_]+$", "", quote), wording(version["text_markdown"][rs:re_]))
    return {"document": doc["id"], "title": doc["title"], "score": round(score, 1),
            "redline": ops, "differences": redline_text(ops),
            "wording": wording(version["text_markdown"][s:e]),
            "wording_markdown": wording_markdown(version["text_markdown"][s:e]), "version_date": info["version_date"],
            "section": info["section"], "permalink": info["permalink"]}


def cite(db, quote: str, platform: str | None = None, url: str | None = None, as_of=None, now=None,
         stale_hours: float | None = None, limit: int = 5, base_url: str = "") -> list[dict]:
    """Check a quote against the KB; one answer per document that holds (or held) it.

    :param db: a ``sqlite3.Connection`` or ``sqlite_utils.Database`` on the KB
    :param quote: the text to check, as pasted
    :param platform: only this platform's documents
    :param url: only the document at this URL (or with this ``platform/document`` id)
    :param as_of: a date (``YYYY-MM-DD``): also say whether the quote was in the version current then
    :param now: the current time (default: now, or ``$POLICYKB_NOW``)
    :param stale_hours: a last successful check older than this makes the answer ``stale`` (default: twice the
        document's own check interval, the one stale rule of :mod:`kb.timemodel`)
    :param limit: at most this many answers (best first)
    :param base_url: Datasette's address, for permalinks (``""`` gives paths)
    :returns: answers (dicts); a single ``not_found`` answer when nothing matches. Each carries
        ``index_behind`` (versions) when the search index is further behind than a check reads
        (:func:`kb.cite.candidates.unindexed`)
    :raises CiteError: for a quote too short to check or a bad date
    """
    conn = _conn(db)
    quote_key = key_form(quote or "")
    if quote_weight(quote_key) < MIN_QUOTE_WEIGHT:
        raise CiteError("the quote is too short to check: give at least a few words (6 Chinese characters) "
                        "(引文太短，无法核查：请至少给出几个词或 6 个汉字)")
    now_dt = now_utc(now)
    judge_now = now_dt if now is not None or os.environ.get("POLICYKB_NOW") else None
    as_of_dt = parse_when(as_of, end_of_day=True) if as_of else None
    docs = None
    if platform or url:
        docs = _documents(conn, platform, url)
        if not docs:
            raise CiteError(f"no tracked document matches {'--url ' + url if url else '--platform ' + platform} "
                            "(没有匹配的已跟踪文件)")
    # the wordings a build stored but has not indexed yet (killed, or still running) are checked too
    few = docs is not None and len(docs) <= FEW_DOCUMENTS
    pending = Unindexed() if few else unindexed(conn)
    answers, ranked, known = [], [], docs
    answer_for = functools.partial(_answer_for, conn, quote=quote, quote_key=quote_key, as_of=as_of_dt, now=now_dt,
                                   stale_hours=stale_hours, base_url=base_url, judge_now=judge_now,
                                   full=(len(quote_tokens(quote)), len(quote_shingles(quote))))
    # Two rounds (see _candidate_rounds): the versions with a passage that holds every word of the quote,
    # then, only when none of them answered, every candidate (a document of the first round read again, with
    # all its candidate versions: the second round is the check as it is without the first).
    for ranked in _candidate_rounds(conn, quote, docs, url, pending, few):
        known = docs if docs is not None else _documents(conn, ids=[doc_id for doc_id, _ in ranked])
        answers = _answers_of_round(ranked, known, answer_for, limit)
        if answers:
            break
    docs = known  # the last round's documents (the whole KB's check reads those it ranked, once)
    order = {"current": 0, "changed": 1, "removed": 2}
    answers.sort(key=lambda a: (a["match"]["quote_chars_not_found"], order[a["status"]], a["match"]["skipped_chars"],
                                a["document"]))
    return _index_behind(answers[:limit] or [_not_found(conn, docs, quote, quote_key, ranked, platform, url,
                                                        as_of_dt, base_url, now_dt)], pending)


def _answers_of_round(ranked, known: dict, answer_for, limit: int) -> list[dict]:
    """The answers of one round of candidates (documents likeliest first), at most ``limit``: ``answer_for(doc,
    seqs=...)`` is :func:`_answer_for` with the check's own arguments."""
    answers = []
    top_pairs = max((max(seqs.values())[1] for _, seqs in ranked), default=0)
    for doc_id, seqs in ranked:
        doc = known.get(doc_id)
        if doc is None:
            continue
        if answers and max(seqs.values())[1] < top_pairs - NEAR_PAIRS:
            break  # the rest hold fewer word pairs of the quote than a document already answered
        answer = answer_for(doc=doc, seqs=seqs)
        if answer:
            answers.append(answer)
            if len(answers) >= limit:
                break
    return answers


def _index_behind(answers: list[dict], pending) -> list[dict]:
    """With more unindexed wordings than a check reads, each answer says how far behind the index is (the
    check may have missed versions): never a silent ``not_found``."""
    if not pending.complete:
        for answer in answers:
            answer["index_behind"] = pending.versions_behind
            answer["message"] = message(answer)
    return answers


def _candidate_rounds(conn, quote, docs, url, pending, few):
    """The candidates of :func:`cite`, a round at a time (:func:`_ranked_candidates`'s lists), the next one
    computed only when the answers of the last are none.

    A check of the whole KB (or of more than ``FEW_DOCUMENTS`` documents) first reads the versions with a
    section wording that holds every word of the quote (:func:`kb.cite.candidates.every_word_passages`):
    where the quote may stand whole. When one of them answers, the documents that hold the quote's words
    only scattered (its near misses in other documents: a policy's other copies) are not read: on a large
    KB of shared text they are dozens, each a few versions of a long page to read and align (issue 19). When
    none answers (a typo, a changed word, a quote across two sections), the second round is every candidate,
    as a check with no first round reads them."""
    if not few:
        every = every_word_passages(conn, quote, pending)
        if every.versions:
            yield _ranked_candidates(conn, quote, docs, None, pending, within=every)
    yield _ranked_candidates(conn, quote, docs, url, pending)


def _ranked_candidates(conn, quote, docs, url, pending, within=None) -> list[tuple[str, dict]]:
    """Candidate versions per document, the documents likeliest to hold the quote first (at most
    ``MAX_DOCUMENTS``); for a ``url`` naming one document without candidates, all its versions. ``within``:
    only these passages (:func:`kb.cite.candidates.candidate_versions`)."""
    candidates = candidate_versions(conn, quote, set(docs) if docs is not None else None, pending, within)
    if url and len(docs) == 1 and not candidates:
        doc_id = next(iter(docs))
        candidates = {doc_id: {r[0]: (0, 0) for r in conn.execute("select seq from versions where document_id = ?",
                                                                  [doc_id])}}
    ranked = sorted(candidates.items(), key=lambda kv: (tuple(-x for x in max(kv[1].values())), kv[0]))
    return ranked[:MAX_DOCUMENTS]


def _not_found(conn, docs, quote, quote_key, ranked, platform, url, as_of_dt, base_url, now_dt) -> dict:
    """The one answer when no document holds the quote, with the closest passage if there is a near miss."""
    answer = {"status": "not_found", "basis": [], "confidence": "high", "stale": False, "platform": platform, "document": None, "url": url,
              "section": None, "version_date": None, "effective_date": None, "last_checked": None,
              "permalink": None, "citation": None,
              "closest": _closest(conn, docs, quote, quote_key, dict(ranked), base_url, now_dt)}
    if as_of_dt is not None:
        answer.update(as_of_status="absent", as_of={"date": as_of_dt.date().isoformat(), "status": "absent"})
    answer["message"] = message(answer)
    return answer
