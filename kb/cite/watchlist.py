"""The watch list: clauses a consultant has cited, saved in the KB and checked again after every build.

A citation is saved (:func:`add_citation`) from the answer of :func:`kb.cite.cite` for its quote: the
version that holds it (current, or the last that had it) and where, written down the way a W3C Web
Annotation anchors a quote (https://www.w3.org/TR/annotation-model/): a ``TextQuoteSelector`` (``exact``:
the cited wording as a reader sees it, :func:`kb.cite.citation.wording`; ``prefix`` and ``suffix``:
:data:`CONTEXT` characters either side) and a ``TextPositionSelector`` (``start``, ``end``: offsets in the
version's whole text as :func:`~kb.cite.citation.wording` gives it), with the version's permalink as the
annotation's ``source``. :func:`export_annotations` writes them as an ``AnnotationCollection`` (JSON-LD)
and :func:`import_annotations` reads one back (or a page, a list, a single annotation), so tools that
anchor quotes this way can read them.

:func:`check_citations` (a step of :func:`kb.build.build`, and ``policykb citations check``) checks each
again with the cite check itself (:func:`kb.cite.cite` on ``exact``, in the citation's document; no second
matcher), and re-anchors it the way annotation tools do: where the wording still stands, among the places
that hold it the one whose ``prefix``/``suffix`` agree best, the old position breaking ties. Its
``state``: ``current``; ``moved`` (the wording stands in another section than the one cited, by the cite
check's rule: a heading renumbered, or renamed under its number, is the same section); ``changed``
(the cite check found its replacement); ``removed`` (passage or page gone, or reworded and that wording
removed later: ``removed_at`` and the steps in ``history``, from the answer); ``not_found`` (no version of its
document holds it any more, e.g. after a rebuild from other WARCs). ``now_effective_date`` is the stated
effective date that applies to where it stands now; one differing from the cited one is a new effective
date announced for its section. :mod:`kb.ops.alerts` turns each of these into an alert
(``citation_changed``, ``citation_removed``, ``citation_moved``, ``citation_effective``).

After a build only citations whose document has a new current version or was taken down (or that were never
checked) are checked again: the others' answers cannot have changed.
"""

from __future__ import annotations

import json
import re
import uuid

from rapidfuzz import fuzz

from kb.cite.answer import _same_section, cite
from kb.cite.citation import permalink, wording
from kb.cite.dates import now_utc
from kb.cite.errors import CiteError
from kb.cite.keytext import key_form, key_text
from kb.cite.locate import locate
from kb.cite.versions import _conn, _documents, _version_info, section_spans
from kb.store import citations as store
from pipeline.sqlrows import rows as _rows
from pipeline.timeutil import iso

#: characters of context kept either side of the cited wording (``prefix``, ``suffix``)
CONTEXT = 32
STATES = ("current", "moved", "changed", "removed", "not_found")
ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
PERMALINK_RE = re.compile(r"/-/policykb/doc/(?P<document>[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*)/v/(?P<seq>\d+)/?$")
MAX_LABEL = 200


class WatchlistError(ValueError):
    """A citation cannot be saved, found or read (the message says why, in English then Chinese)."""


class QuoteNotFound(WatchlistError):
    """No version of any tracked document holds the quote to save."""


# --- anchoring ----------------------------------------------------------------------------------------------


def _occurrences(kt, exact_key: str):
    """Every key-form offset where ``exact_key`` stands in a key text."""
    found, at = [], kt.key.find(exact_key)
    while at >= 0 and exact_key:
        found.append(at)
        at = kt.key.find(exact_key, at + 1)
    return found


def _raw_place(md: str, exact: str, prefix: str = "", suffix: str = "", hint: int | None = None):
    """Where the cited wording stands in a version's Markdown, as annotation tools re-anchor a quote: every
    place holding its key form scored by how well its context agrees with ``prefix`` and ``suffix`` (the
    position ``hint``, a plain-text offset, breaking ties); failing any, the cite check's own
    :func:`~kb.cite.locate.locate`. Returns the raw span, or None."""
    kt = key_text(md)
    exact_key, pre_key, suf_key = key_form(exact), key_form(prefix), key_form(suffix)
    spots = _occurrences(kt, exact_key)
    if not spots:
        m = locate(exact_key, kt)
        return (m.raw_start, m.raw_end) if m is not None else None

    def score(at):
        before = kt.key[max(0, at - len(pre_key)):at]
        after = kt.key[at + len(exact_key):at + len(exact_key) + len(suf_key)]
        context = (fuzz.ratio(pre_key, before) if pre_key else 0) + (fuzz.ratio(suf_key, after) if suf_key else 0)
        distance = abs(len(wording(md[:kt.raw_span(at, at + 1)[0]])) - hint) if hint is not None else 0
        return (-context, distance)

    best = spots[0] if len(spots) == 1 else min(spots, key=score)
    return kt.raw_span(best, best + len(exact_key))


def _selectors(md: str, raw_start: int, raw_end: int) -> dict:
    """The TextQuoteSelector and TextPositionSelector of a raw span, on the version's text as a reader sees it."""
    exact = wording(md[raw_start:raw_end])
    plain = wording(md)
    hint = len(wording(md[:raw_start]))
    spots, at = [], plain.find(exact) if exact else -1
    while at >= 0:
        spots.append(at)
        at = plain.find(exact, at + 1)
    start = min(spots, key=lambda s: abs(s - hint)) if spots else min(hint, len(plain))
    end = start + len(exact)
    return {"exact": exact, "prefix": plain[max(0, start - CONTEXT):start].lstrip(),
            "suffix": plain[end:end + CONTEXT].rstrip(), "start": start, "end": end}


def _section_and_date(conn, doc: dict, version: dict, raw_start: int) -> dict:
    """The section a place stands in and the stated effective date that applies to it (None if not stated)."""
    info = _version_info(conn, doc, version, raw_start, "", now_utc(None))
    stated = info.get("effective_date") if info.get("effective_date_source") == "stated" else None
    return {"section_key": info["section_key"], "section": info["section"], "effective_date": stated}


def _version(conn, document_id: str, seq: int | None = None, version_id: str | None = None) -> dict | None:
    sql, params = (("select * from versions where id = ?", [version_id]) if version_id else
                   ("select * from versions where document_id = ? and seq = ?", [document_id, seq]))
    found = _rows(conn, sql, params)
    return found[0] if found else None


# --- add, list, remove ---------------------------------------------------------------------------------------


def _cited_version(conn, answer: dict) -> dict:
    """The version a cite answer found the quote in: the current one, or the last that had it."""
    if answer["status"] == "current":
        return _version(conn, answer["document"], version_id=answer["version_id"])
    last = answer.get("last_version_with_quote") or {}
    return _version(conn, answer["document"], version_id=last.get("version_id") or answer["version_id"])


def add_citation(db, quote: str, platform: str | None = None, url: str | None = None, label: str | None = None,
                 now=None) -> dict:
    """Save a citation of ``quote`` (as pasted) in the one document whose versions hold it; returns the row,
    checked. Raises :class:`~kb.cite.errors.CiteError` (a quote too short) or :class:`WatchlistError`
    (found nowhere, or in several documents: name one with ``url``)."""
    conn = _conn(db)
    label = check_label(label)
    answers = [a for a in cite(conn, quote, platform=platform, url=url, limit=10) if a["status"] != "not_found"]
    if not answers:
        raise QuoteNotFound("the quote is in no version of the tracked documents; nothing saved "
                             "(任何已跟踪文件的任何版本中都没有这段引文，未保存)")
    if len({a["document"] for a in answers}) > 1:
        names = ", ".join(sorted({a["document"] for a in answers}))
        raise WatchlistError(f"the quote is in {len(answers)} documents ({names}): choose one with --url "
                             f"(引文见于多份文件，请用 --url 指定其一)")
    answer = answers[0]
    doc = _documents(conn, ids=[answer["document"]])[answer["document"]]
    version = _cited_version(conn, answer)
    span = _raw_place(version["text_markdown"], quote)
    if span is None:
        raise WatchlistError("the quote could not be anchored in its version; nothing saved (无法定位引文，未保存)")
    row = {"uri": f"urn:uuid:{uuid.uuid4()}", "quote": quote.strip(), "label": label,
           "platform_id": doc["platform_id"], "document_id": doc["id"], "created_at": iso(now_utc(now)),
           "version_id": version["id"], "version_seq": version["seq"],
           **_selectors(version["text_markdown"], *span),
           **_section_and_date(conn, doc, version, span[0])}
    citation_id = store.add_citation(db, row)
    check_citations(db, ids=[citation_id], now=now)
    return get_citation(conn, citation_id)


def check_label(label: str | None) -> str | None:
    """A label (client or case) as saved: stripped; one of at most :data:`MAX_LABEL` characters without
    control characters, else :class:`WatchlistError`."""
    if label is None:
        return None
    label = label.strip()
    if not label or len(label) > MAX_LABEL or any(ord(c) < 32 for c in label):
        raise WatchlistError(f"--label must be 1 to {MAX_LABEL} characters on one line "
                             f"(--label 须为一行 1 至 {MAX_LABEL} 个字符)")
    return label


def list_citations(conn, ids=None) -> list[dict]:
    """Saved citations, in the order they were added (with ``answer`` decoded from ``answer_json``)."""
    where = f"where c.id in ({','.join('?' * len(ids))})" if ids else ""
    found = _rows(_conn(conn), "select c.*, substr(v.observed_at, 1, 10) as version_date from citations c "
                               f"left join versions v on v.id = c.version_id {where} order by c.id", list(ids or []))
    for row in found:
        row["answer"] = json.loads(row.pop("answer_json") or "null")
        # a quote reworded and that wording removed later: both steps (``history``), and when the last went
        row["removed_at"] = (row["answer"] or {}).get("removed_at") if row["state"] == "removed" else None
        row["history"] = (row["answer"] or {}).get("history") if row["state"] in ("changed", "removed") else None
        row["permalink"] = permalink(row["document_id"], row["version_seq"])
    return found


def get_citation(conn, citation_id: int) -> dict | None:
    found = list_citations(conn, [citation_id])
    return found[0] if found else None


def remove_citation(db, citation_id: int) -> None:
    """Delete a saved citation; :class:`WatchlistError` when there is none with this id."""
    if not store.remove_citation(db, citation_id):
        raise WatchlistError(f"no citation {citation_id} (没有编号为 {citation_id} 的引用)")


# --- check ---------------------------------------------------------------------------------------------------


def _unchanged(row: dict, doc: dict | None) -> bool:
    """Its document has the same current version (and is still up or still gone) as at its last check."""
    return bool(row["checked_at"] and doc and row["checked_version_id"] == doc.get("current_version_id")
                and row["checked_document_state"] == _doc_state(doc))


def _doc_state(doc: dict | None) -> str:
    return "missing" if doc is None else ("gone" if doc.get("state") == "gone" else "present")


def _where_now(conn, row: dict, doc: dict, answer: dict) -> dict:
    """Where a current citation stands in the current version: the cite answer's place, or, when the wording
    stands there more than once, the place its prefix and suffix pick (re-anchored as annotation tools do)."""
    version = _version(conn, doc["id"], version_id=answer["version_id"])
    stated = answer["effective_date"] if answer.get("effective_date_source") == "stated" else None
    here = {"now_version_id": version["id"], "now_section_key": answer["section_key"],
            "now_section": answer["section"], "now_wording": row["exact"], "now_effective_date": stated}
    md = version["text_markdown"]
    exact_key = key_form(row["exact"])
    if md.count(row["exact"]) <= 1 and key_text(md).key.count(exact_key) <= 1:
        return here
    span = _raw_place(md, row["exact"], row["prefix"] or "", row["suffix"] or "", row["start"])
    if span is None:
        return here
    place = _section_and_date(conn, doc, version, span[0])
    return here | {"now_section_key": place["section_key"], "now_section": place["section"],
                   "now_effective_date": place["effective_date"], "now_wording": wording(md[span[0]:span[1]])}


def _section_info(conn, version: dict | None, key: str | None) -> dict:
    """The section ``key`` of a version, as the cite check's :func:`~kb.cite.answer._same_section` reads one."""
    section = next((s for s, _, _ in section_spans(conn, version) if s["key"] == key), None) if version else None
    return {"section_key": key, "section_heading": section["heading"] if section else None, "_section": section}


def _same_place(conn, row: dict, state: dict) -> bool:
    """The wording still stands in the section it was cited in: the same key, or the cite check's own rule for
    the same section under another key (its heading renumbered, or renamed under its number): one rule, so a
    renumbered heading is no "moved" here when the cite check calls it the same section."""
    if state["now_section_key"] == row["section_key"]:
        return True
    cited = _version(conn, row["document_id"], version_id=row["version_id"])
    now = _version(conn, row["document_id"], version_id=state["now_version_id"])
    return _same_section(_section_info(conn, cited, row["section_key"]),
                         _section_info(conn, now, state["now_section_key"]))


def _check_one(conn, row: dict, doc: dict | None, stamp: str, now) -> dict:
    """The state of one citation now, from the cite check's answer for its wording in its document."""
    try:
        answer = cite(conn, row["exact"], url=row["document_id"], limit=1, now=now)[0] if doc else None
    except CiteError:
        answer = None
    status = answer["status"] if answer else "not_found"
    state = {"checked_at": stamp, "checked_version_id": (doc or {}).get("current_version_id"),
             "checked_document_state": _doc_state(doc), "changed_at": None}
    if status == "current":
        state |= _where_now(conn, row, doc, answer)
        status = "current" if _same_place(conn, row, state) else "moved"
    elif status in ("changed", "removed"):
        place = answer.get("now_in_place") or {}
        state |= {"now_version_id": answer["version_id"] if status == "changed" else None,
                  "now_section_key": answer["section_key"] if status == "changed" else place.get("section_key"),
                  "now_section": answer["section"] if status == "changed" else place.get("section"),
                  "now_wording": answer.get("current_wording") or place.get("wording"),
                  "now_effective_date": None, "changed_at": answer.get("changed_at")}
    else:
        state |= {"now_version_id": None, "now_section_key": None, "now_section": None, "now_wording": None,
                  "now_effective_date": None}
    state["state"] = status
    state["state_since"] = row["state_since"] if row["state"] == status and row["state_since"] else stamp
    keep = ("status", "basis", "confidence", "similarity", "version_date", "permalink", "message", "removed_with",
            "removed_at", "history")
    state["answer_json"] = json.dumps({k: answer.get(k) for k in keep} if answer else None, ensure_ascii=False)
    return state


def check_citations(db, everything: bool = False, ids=None, now=None) -> list[dict]:
    """Check saved citations again and save each one's state; returns the citations checked, checked.

    :param everything: check every citation (default: only those whose document has a new current version
        or was taken down since their last check, and those never checked)
    :param ids: only these citations
    :param now: the time of the check (default: now, or ``$POLICYKB_NOW``)
    """
    conn = _conn(db)
    saved = _rows(conn, "select * from citations" + (f" where id in ({','.join('?' * len(ids))})" if ids else ""),
                  list(ids or []))
    if not saved:
        return []
    docs = _documents(conn, ids=sorted({r["document_id"] for r in saved}))
    stamp = iso(now_utc(now))
    states = {row["id"]: _check_one(conn, row, docs.get(row["document_id"]), stamp, now) for row in saved
              if everything or ids or not _unchanged(row, docs.get(row["document_id"]))}
    store.save_states(db, states)
    return list_citations(conn, sorted(states)) if states else []


# --- W3C Web Annotation ---------------------------------------------------------------------------------------


def to_annotation(row: dict, base_url: str = "") -> dict:
    """A saved citation as a W3C Web Annotation (JSON-LD): its ``target`` the cited version's permalink with
    a TextQuoteSelector and a TextPositionSelector; its label, if any, a tagging ``TextualBody``."""
    annotation = {"@context": ANNO_CONTEXT, "id": row["uri"], "type": "Annotation", "motivation": "bookmarking",
                  "created": row["created_at"],
                  "target": {"source": permalink(row["document_id"], row["version_seq"], base_url),
                             "selector": [{"type": "TextQuoteSelector", "exact": row["exact"],
                                           "prefix": row["prefix"] or "", "suffix": row["suffix"] or ""},
                                          {"type": "TextPositionSelector", "start": row["start"],
                                           "end": row["end"]}]}}
    if row.get("label"):
        annotation["body"] = {"type": "TextualBody", "value": row["label"], "purpose": "tagging"}
    return annotation


def export_annotations(conn, base_url: str = "") -> dict:
    """Every saved citation, as one ``AnnotationCollection`` whose first (and only) page holds them all."""
    items = [to_annotation(row, base_url) for row in list_citations(conn)]
    for item in items:
        item.pop("@context")  # given once, on the collection
    return {"@context": ANNO_CONTEXT, "id": "urn:policykb:citations", "type": "AnnotationCollection",
            "label": "policykb citations", "total": len(items),
            "first": {"id": "urn:policykb:citations:page:0", "type": "AnnotationPage", "startIndex": 0,
                      "items": items}}


def _types(obj) -> set:
    value = obj.get("type") if isinstance(obj, dict) else None
    return set(value) if isinstance(value, list) else {value}


def annotation_problems(annotation, embedded: bool = False) -> list[str]:
    """What keeps ``annotation`` from being a Web Annotation policykb can anchor: the data model's required
    fields (``@context``, unless embedded in a collection that gives it; ``id``; ``type`` Annotation;
    ``target``), a target with a ``source`` and a TextQuoteSelector (``exact``), and a TextPositionSelector,
    if any, with whole ``start`` ≤ ``end``. An empty list: none."""
    if not isinstance(annotation, dict):
        return ["not a JSON object"]
    problems = []
    context = annotation.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not embedded and ANNO_CONTEXT not in contexts:
        problems.append(f"@context must be {ANNO_CONTEXT}")
    if not isinstance(annotation.get("id"), str) or not annotation["id"]:
        problems.append("id (an IRI) is missing")
    if "Annotation" not in _types(annotation):
        problems.append("type must be Annotation")
    target = annotation.get("target")
    target = target[0] if isinstance(target, list) and target else target
    if not isinstance(target, dict) or not isinstance(target.get("source"), str):
        return problems + ["target with a source is missing"]
    selectors = target.get("selector")
    selectors = selectors if isinstance(selectors, list) else [selectors]
    quote = [s for s in selectors if "TextQuoteSelector" in _types(s)]
    if not quote or not isinstance(quote[0].get("exact"), str) or not quote[0]["exact"].strip():
        problems.append("target has no TextQuoteSelector with exact")
    for s in quote[:1]:
        if any(not isinstance(s.get(k, ""), str) for k in ("prefix", "suffix")):
            problems.append("TextQuoteSelector prefix and suffix must be strings")
    for s in (s for s in selectors if "TextPositionSelector" in _types(s)):
        start, end = s.get("start"), s.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
            problems.append("TextPositionSelector needs whole numbers 0 <= start <= end")
    return problems


def _annotations_in(data) -> list[tuple[dict, bool]]:
    """The annotations of a JSON document: a collection (its ``first`` page), a page, a list, or one."""
    if isinstance(data, list):
        return [(a, False) for a in data]
    if isinstance(data, dict) and "AnnotationCollection" in _types(data):
        data = data.get("first") or {}
    if isinstance(data, dict) and "AnnotationPage" in _types(data):
        return [(a, True) for a in data.get("items") or []]
    return [(data, False)]


def _row_from_annotation(conn, annotation: dict) -> dict:
    """The ``citations`` row of an annotation whose source is a version of this KB."""
    target = annotation["target"][0] if isinstance(annotation["target"], list) else annotation["target"]
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]+", "", target["source"].split("?")[0].split("#")[0])
    m = PERMALINK_RE.search(path)
    if not m:
        raise WatchlistError(f"{annotation['id']}: source is not a policykb version permalink "
                             f"(来源不是 policykb 版本的永久链接)")
    doc_id, seq = m.group("document"), int(m.group("seq"))
    docs, version = _documents(conn, ids=[doc_id]), _version(conn, doc_id, seq)
    if not docs or version is None:
        raise WatchlistError(f"{annotation['id']}: this KB has no version {seq} of {doc_id} "
                             f"(本知识库没有 {doc_id} 的第 {seq} 版)")
    selectors = target["selector"] if isinstance(target["selector"], list) else [target["selector"]]
    quote = next(s for s in selectors if "TextQuoteSelector" in _types(s))
    position = next((s for s in selectors if "TextPositionSelector" in _types(s)), {})
    span = _raw_place(version["text_markdown"], quote["exact"], quote.get("prefix", ""), quote.get("suffix", ""),
                      position.get("start"))
    if span is None:
        raise WatchlistError(f"{annotation['id']}: its exact text is not in version {seq} of {doc_id} "
                             f"(引文不在 {doc_id} 第 {seq} 版中)")
    bodies = annotation.get("body")
    bodies = bodies if isinstance(bodies, list) else [bodies] if bodies else []
    label = next((b["value"] for b in bodies if isinstance(b, dict) and isinstance(b.get("value"), str)), None)
    sel = _selectors(version["text_markdown"], *span)
    return {"uri": annotation["id"], "quote": quote["exact"], "label": check_label(label) if label else None,
            "platform_id": docs[doc_id]["platform_id"], "document_id": doc_id,
            "created_at": annotation.get("created") or iso(now_utc(None)), "version_id": version["id"],
            "version_seq": seq, "exact": quote["exact"], "prefix": quote.get("prefix", ""),
            "suffix": quote.get("suffix", ""), "start": position.get("start", sel["start"]),
            "end": position.get("end", sel["end"]), **_section_and_date(conn, docs[doc_id], version, span[0])}


def import_annotations(db, data, now=None) -> dict:
    """Save the annotations of ``data`` (parsed JSON-LD) as citations, their selectors kept as they are, and
    check them; one already saved (same ``id``) is left alone. Every annotation is validated first
    (:func:`annotation_problems`): one that is not valid stops the import before anything is saved.

    :returns: ``{"added": [ids], "skipped": [annotation ids already saved]}``
    """
    conn = _conn(db)
    found = _annotations_in(data)
    for annotation, embedded in found:
        problems = annotation_problems(annotation, embedded)
        if problems:
            name = annotation.get("id") if isinstance(annotation, dict) else None
            raise WatchlistError(f"not a Web Annotation policykb can read ({name or 'no id'}): "
                                 f"{'; '.join(problems)} (不是可读取的 Web Annotation)")
    known = {r[0] for r in conn.execute("select uri from citations")}
    fresh = list({a["id"]: a for a, _ in found if a["id"] not in known}.values())
    rows = [_row_from_annotation(conn, a) for a in fresh]
    added = [store.add_citation(db, row) for row in rows]
    if added:
        check_citations(db, ids=added, now=now)
    return {"added": added, "skipped": [a["id"] for a, _ in found if a["id"] in known]}
