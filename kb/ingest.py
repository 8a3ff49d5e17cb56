"""Ingest: archived fetches → checks, versions and changes in the KB (step 2 of :func:`kb.build.build`).

``ingest_archive(db, data_dir, platforms)`` reads every closed WARC file not yet fully
ingested, in archive order, and turns each record into exactly one check and
at most one new version (and then one change). Records are stored in
transactions of :data:`BATCH` (a record's check is keyed by its ``WARC-Record-ID``):
a build killed at any moment leaves the KB consistent, and running it again
skips what is done and converges to the KB of an uninterrupted run.

For one record (:func:`ingest_record`): read the document's state, decide
(:mod:`pipeline.decide`: extract → normalize → new version / unchanged /
failed / gone / held), and store the result through :mod:`kb.store.records`,
the only writer of these tables.
"""

from __future__ import annotations

import json
import logging
import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline import archive
from kb import timemodel
from kb.store import records as store
from pipeline.classify import FLIP_FLOP_WINDOW, Classification, canonical_hash, classify, is_cosmetic
from pipeline.dates import find_dates, summarize
from pipeline.diff import diff
from pipeline.decide import DocumentState, Outcome, classify_fetch, classify_with_declaration, document_update, held_shrink
from pipeline.normalize import NO_RULES, rules_at, rules_hash
from pipeline.sections import Section, compare_sections, split_sections
from pipeline.sqlrows import version_section_texts
from pipeline.timeutil import now_iso

logger = logging.getLogger(__name__)


@dataclass
class BuildStats:
    records: int = 0
    skipped: int = 0
    files: int = 0
    salvaged: list = field(default_factory=list)  # (file, records, bytes cut) of killed crawls' WARCs
    outcomes: dict = field(default_factory=dict)

    def count(self, outcome):
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def _version_id(db, document_id, observed_at):
    stamp = re.sub(r"[^0-9TZ]", "", observed_at or now_iso())
    candidate, n = f"{document_id}/{stamp}", 1
    while db.execute("select 1 from versions where id = ?", [candidate]).fetchone():
        n += 1
        candidate = f"{document_id}/{stamp}-{n}"
    return candidate


def _resolve_revisit(db, data_dir, record):
    """A revisit carries no payload: read the body of the record it refers to."""
    row = db.execute(
        "select warc_file, warc_offset from checks where warc_record_id = ?", [record.refers_to]
    ).fetchone()
    if row is None:
        return None
    try:
        original = archive.read_record(data_dir, row[0], row[1])
    except (OSError, LookupError):  # its WARC was lost or moved: a failed check, not a failed build
        return None
    if original.kind in ("revisit", "not-modified") and original.refers_to:
        original = _resolve_revisit(db, data_dir, original) or original
    record.body = original.body
    if record.kind == "not-modified" or not record.headers:
        record.headers, record.status = original.headers, original.status
    return record


def _unchanged_without_extraction(db, record, declared, current_id, observed):
    """A revisit of bytes already extracted, under the same rules, into the current text: unchanged.

    Re-extracting the same payload with the same rules gives the same text, so
    the check can say "unchanged" (or "not_modified") without reading the WARC
    again; this keeps a cycle where nothing changed about as cheap as the crawl.
    Returns None whenever that is not certain, and the record is extracted.
    """
    if not current_id or not record.refers_to:
        return None
    seen = db.execute(
        "select content_hash, extracted_hash, detected_language, selector from checks"
        " where warc_record_id = ? and content_hash is not null", [record.refers_to],
    ).fetchone()
    current = db.execute("select content_hash, rules_hash from versions where id = ?", [current_id]).fetchone()
    if seen is None or current is None or seen[0] != current[0] or not current[1]:
        return None
    epoch = rules_at(declared, observed)
    if _rules_hash(epoch.select, epoch.remove, epoch.rules or NO_RULES) != current[1]:
        return None
    if record.kind == "not-modified":
        record.status = 200
    return Outcome("new_version", content_hash=seen[0], extracted_hash=seen[1], language=seen[2],
                   rules_hash=current[1], selector=seen[3])


@lru_cache(maxsize=4096)
def _rules_hash(select, remove, rules) -> str:
    """:func:`pipeline.normalize.rules_hash`, once per set of rules (a build compares it for every revisit)."""
    return rules_hash(select, remove, rules)


def _known_page(db, doc_id, current_id, declared) -> Outcome | None:
    """The outcome of the newest check that gave or confirmed the current version from a page with a fingerprint,
    made under the declared locale; :func:`pipeline.decide.classify_with_declaration` uses it only under the same
    rules. A page with its fingerprint is then unchanged without being converted again (a tokens-only fetch)."""
    if not current_id or declared is None:
        return None
    row = db.execute(
        "select c.page_fingerprint, c.content_hash, c.extracted_hash, c.detected_language, c.selector, v.rules_hash"
        " from checks c join versions v on v.id = c.version_id and v.content_hash = c.content_hash"
        " where c.document_id = ? and c.version_id = ? and c.page_fingerprint is not null"
        " and coalesce(c.locale, '') = ? order by c.id desc limit 1",
        [doc_id, current_id, declared.locale or ""]).fetchone()
    if row is None or not row[5]:
        return None
    return Outcome("new_version", content_hash=row[1], extracted_hash=row[2], language=row[3], selector=row[4],
                   rules_hash=row[5], fingerprint=row[0])


VERSION_COLUMNS = "id, content_hash, effective_date, observed_at, rules_hash, canonical_hash, seq"


class _Version(dict):
    """A stored version's columns (:data:`VERSION_COLUMNS`); its ``text_markdown`` is read on first use: most
    checks find the same text and compare only hashes."""

    def __init__(self, db, row):
        super().__init__(zip([c.strip() for c in VERSION_COLUMNS.split(",")], row))
        self._db = db

    def __missing__(self, key):
        if key != "text_markdown":
            raise KeyError(key)
        text = self[key] = self._db.execute("select text_markdown from versions where id = ?",
                                            [self["id"]]).fetchone()[0]
        return text

    def get(self, key, default=None):
        """As a dict's, the text read on first use too (``dict.get`` would not call :meth:`__missing__`)."""
        return self[key] if key == "text_markdown" else super().get(key, default)


def _current(db, version_id):
    if not version_id:
        return None
    row = db.execute(f"select {VERSION_COLUMNS} from versions where id = ?", [version_id]).fetchone()
    return _Version(db, row) if row else None


def _reextract_current(db, data_dir, doc_id, current, declared, record, result):
    """The rules changed since the current version: re-extract its latest snapshot with the new rules.

    Returns the text the current snapshot gives under the new rules, or None
    when it gives the same text (then the current version is marked as valid
    under the new rules) or cannot be re-extracted.
    """
    row = db.execute(
        "select warc_file, warc_offset from checks where document_id = ? and version_id = ? and warc_file is not null"
        " and outcome in ('new_version', 'unchanged', 'not_modified') order by id desc limit 1",
        [doc_id, current["id"]],
    ).fetchone()
    if row is None:
        return None
    try:
        old = archive.read_record(data_dir, row[0], row[1])
    except (OSError, LookupError):
        return None
    if old.kind in ("revisit", "not-modified") and _resolve_revisit(db, data_dir, old) is None:
        return None
    epoch = rules_at(declared, record.observed_at or record.fetched_at)
    again = classify_fetch(old, epoch.select, epoch.remove, declared.url, epoch.rules, None)
    if again.outcome != "new_version":
        return None
    if again.content_hash == current["content_hash"]:
        store.set_version_rules(db, current["id"], result.rules_hash)
        current["rules_hash"] = result.rules_hash
        return None
    return again


@dataclass
class Prepared:
    """What a new version's text gives by itself, before it is compared with anything in the KB: its dated
    statements, their summary (:func:`pipeline.dates.summarize`), its sections and its canonical hash. A pure
    function of the text, its observation time and the declared locale (:func:`prepare`), so an extraction
    worker computes it with the text it extracted and the writer only stores it."""

    content_hash: str
    observed: str
    locale: str | None
    statements: list
    dates: dict
    sections: list[Section]
    canonical_hash: str
    #: its change from the document's current text when the job was handed out (:func:`draft_change`), if a worker
    #: drafted it; the writer uses it only if that text is still the current one (:meth:`ChangeDraft.fits`)
    change: ChangeDraft | None = None

    def fits(self, outcome, observed, locale) -> bool:
        """Whether it was prepared from this outcome's text, observed then, under that locale."""
        return (self.content_hash, self.observed, self.locale) == (outcome.content_hash, observed, locale)


@dataclass
class ChangeDraft:
    """What a change is by its two texts alone, before the KB is read: the whole text's diff figures and patch,
    and each section that changed (:func:`pipeline.sections.compare_sections`) with its diff and, when ``judged``,
    whether its own texts differ only by noise (:func:`pipeline.classify.is_cosmetic`). Its rows still need
    the change's classification, which reads earlier versions in the KB (:func:`_section_change_rows`)."""

    from_hash: str  # the content hash of the text it was drafted from
    chars_added: int
    chars_removed: int
    patch: str
    sections: list[dict]  # key, old_key, status, moved, heading, cosmetic (None: added, removed or not judged),
    #                       and its diff figures (chars_added, chars_removed, patch)
    judged: bool

    def fits(self, current: dict, substantive: bool) -> bool:
        """Whether it was drafted from ``current``'s text, judging sections if the change is ``substantive``."""
        return self.from_hash == current["content_hash"] and (self.judged or not substantive)


def _diff_figures(old: str, new: str, memo: dict | None = None) -> dict:
    d = diff(old, new, memo=memo) if old != new else None
    return {"chars_added": d.chars_added if d else 0, "chars_removed": d.chars_removed if d else 0,
            "patch": d.patch if d else ""}


def draft_change(old_text: str, from_hash: str, new_text: str, new_sections: list[Section],
                 old_sections: list[Section] | None = None, judge: bool = True) -> ChangeDraft:
    """The :class:`ChangeDraft` from ``old_text`` to a new version's text (a pure function of the two texts).

    :param old_sections: ``old_text``'s sections if known (else split here: the same ones)
    :param judge: whether to judge each modified section cosmetic or not (only a substantive change needs it)
    """
    sections, memo = [], {}  # the word diffs of changed blocks, which the whole text's diff shares with its sections'
    for sc in compare_sections(split_sections(old_text) if old_sections is None else old_sections, new_sections):
        cosmetic = None
        if judge and sc.status not in ("added", "removed"):
            cosmetic = sc.old_text == sc.new_text or is_cosmetic(sc.old_text, sc.new_text)
        sections.append({"key": sc.key, "old_key": sc.old_key, "status": sc.status, "moved": sc.moved,
                         "heading": sc.heading, "cosmetic": cosmetic, **_diff_figures(sc.old_text, sc.new_text, memo)})
    whole = _diff_figures(old_text, new_text, memo)
    return ChangeDraft(from_hash, whole["chars_added"], whole["chars_removed"], whole["patch"], sections, judge)


def prepare(outcome, observed, locale) -> Prepared:
    """The :class:`Prepared` of a new version's text (``outcome.text``)."""
    statements = find_dates(outcome.text, locale)
    return Prepared(outcome.content_hash, observed, locale, statements, summarize(statements),
                    split_sections(outcome.text), canonical_hash(outcome.text, observed))


def _version_row(db, doc_id, seq, observed, outcome, prepared: Prepared) -> dict:
    return {"id": _version_id(db, doc_id, observed), "document_id": doc_id, "seq": seq, "observed_at": observed,
            "content_hash": outcome.content_hash, "text_markdown": outcome.text, "chars": len(outcome.text),
            "rules_hash": outcome.rules_hash, "canonical_hash": prepared.canonical_hash,
            "language": outcome.language, "check_id": None, **prepared.dates}


def _section_rows(version_id, doc_id, observed, sections, previous, changed_keys):
    """Section rows, each with when it last changed substantively (inherited when it did not).

    :param changed_keys: from :func:`_section_change_rows`: ``"changed"`` (changed substantively now) or
        ``(old_key,)`` (inherit from that section of the previous version); absent: unchanged, same key
    """
    before = {s["key"]: s for s in previous or []}
    for sec in sections:
        mark = changed_keys.get(sec.key)
        prev = None if mark == "changed" else before.get(mark[0] if isinstance(mark, tuple) else sec.key)
        yield {"id": f"{version_id}#{sec.key}", "version_id": version_id, "document_id": doc_id, "key": sec.key,
               "heading": sec.heading, "level": sec.level, "ordinal": sec.ordinal, "text_markdown": sec.text,
               "content_hash": sec.content_hash, "start_line": sec.start_line,
               "changed_at": prev["changed_at"] if prev else observed,
               "changed_version_id": prev["changed_version_id"] if prev else version_id}


def _statement_rows(version_id, doc_id, observed, statements, sections):
    starts = [(s.start_line, s.key) for s in sections]
    for n, st in enumerate(statements):
        key = None
        for start, k in starts:
            if start <= st.line:
                key = k
        yield {"id": f"{version_id}@{n + 1}", "version_id": version_id, "document_id": doc_id, "kind": st.kind,
               "date": st.date, "evidence": st.evidence, "line": st.line, "section_key": key,
               "announced": int(st.kind == "effective" and st.date > (observed or "")[:10])}


def _section_change_rows(version_id, doc_id, draft: ChangeDraft, classification):
    """One row per section the change touched, and the section history marks (see :func:`_section_rows`)."""
    substantive = classification.kind == "substantive"
    changed_keys, rows = {}, []
    for n, sc in enumerate(draft.sections, 1):
        if sc["status"] in ("added", "removed") or not substantive:
            kind = classification.kind
        else:  # in a substantive change, a section may itself have changed only cosmetically
            kind = "cosmetic" if sc["cosmetic"] else "substantive"
        if sc["status"] != "removed":
            changed_keys[sc["key"]] = "changed" if kind == "substantive" else (sc["old_key"] or sc["key"],)
        rows.append({"id": f"{version_id}#{n}", "change_id": version_id, "document_id": doc_id, "key": sc["key"],
                     "old_key": sc["old_key"] if sc["old_key"] != sc["key"] else None, "status": sc["status"],
                     "moved": int(sc["moved"]), "heading": sc["heading"], "kind": kind,
                     "chars_added": sc["chars_added"], "chars_removed": sc["chars_removed"], "patch": sc["patch"]})
    return rows, changed_keys


def _change_effective_date(rows, new_sections, statements, dates, previous_effective):
    """The change's stated effective date (:func:`kb.timemodel.change_effective_date`, the one rule), or None
    (the caller uses the detection date: ``detected``)."""
    touched = {r["key"] for r in rows if r["status"] in ("added", "modified")}
    starts = {s.key: s.start_line for s in new_sections}
    placed = [(max(((line, k) for k, line in starts.items() if line <= st.line), default=(0, None))[1], st.date)
              for st in statements if st.kind == "effective"]
    return timemodel.change_effective_date(placed, touched, dates["effective_date"], previous_effective)


#: Per open KB: each document's version whose sections this process split and stored (``{document: version}``).
#: When that document changes next, those sections are read back instead of split again (the same ones: this
#: release's :func:`split_sections` of the same text); a version stored by another process or release is split.
_SPLIT_HERE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sections_of(db, doc_id, version) -> list[Section]:
    """The sections of a stored ``version`` (a :func:`_current` dict), as :func:`split_sections` gives them."""
    if _SPLIT_HERE.get(db, {}).get(doc_id) != version["id"]:
        return split_sections(version["text_markdown"])
    return [Section(r["key"], r["heading"], r["level"], r["ordinal"], r["text_markdown"], r["start_line"])
            for r in version_section_texts(db.conn, version["id"], "s.key, s.heading, s.level, s.ordinal, s.start_line")]


def _record_change(db, doc_id, current, version_id, observed, text, new_sections, statements, dates,
                   classification, draft: ChangeDraft | None = None):
    """Store the change from ``current`` to the new version, with its sections and effective date.

    :param draft: the change as a worker drafted it (:func:`draft_change`), used if it fits ``current``
    Returns a mapping ``key -> "changed" | (old_key,)`` for the section history (see :func:`_section_rows`).
    """
    substantive = classification.kind == "substantive"
    if draft is None or not draft.fits(current, substantive):
        draft = draft_change(current["text_markdown"], current["content_hash"], text, new_sections,
                             _sections_of(db, doc_id, current), judge=substantive)
    rows, changed_keys = _section_change_rows(version_id, doc_id, draft, classification)
    by_status = {"added": [], "removed": [], "modified": [], "moved": []}
    for r in rows:
        by_status[r["status"]].append(r["key"])
    effective = _change_effective_date(rows, new_sections, statements, dates, current["effective_date"])
    store.insert_change(db, {
        "id": version_id, "document_id": doc_id, "from_version_id": current["id"], "to_version_id": version_id,
        "detected_at": observed, "kind": classification.kind, "reasons": json.dumps(classification.reasons),
        "returns_to_version_id": classification.returns_to,
        "chars_added": draft.chars_added, "chars_removed": draft.chars_removed, "patch": draft.patch,
        "effective_date": effective or observed[:10], "effective_date_source": "stated" if effective else "detected",
        **{f"sections_{k}": json.dumps(v, ensure_ascii=False) for k, v in by_status.items()}}, rows)
    return changed_keys


def _classify_change(db, doc_id, current, version_row, outcome, observed, kind_override):
    if kind_override:
        return Classification(kind_override, ["the extraction rules changed, not the page"])
    earlier = db.execute(
        "select id, content_hash, canonical_hash from versions where document_id = ? and seq < ? "
        "order by seq desc limit ?", [doc_id, current["seq"], FLIP_FLOP_WINDOW * 3],
    ).fetchall()
    return classify(current["text_markdown"], outcome.text, outcome.content_hash, [tuple(r) for r in earlier],
                    old_observed=current["observed_at"], new_observed=observed,
                    old_canonical_hash=current["canonical_hash"], new_canonical_hash=version_row["canonical_hash"])


def _new_version(db, doc_id, current, versions_count, observed, outcome, locale, kind_override=None,
                 prepared: Prepared | None = None):
    """Record a new version (its sections, dated statements, and its change from ``current``).

    :param prepared: its text's :class:`Prepared`, if a worker computed it (used only if it :meth:`~Prepared.fits`)
    Returns ``(version_id, kind)``: the kind of its change, or ``first``.
    """
    if prepared is None or not prepared.fits(outcome, observed, locale):
        prepared = prepare(outcome, observed, locale)
    statements, dates = prepared.statements, prepared.dates
    row = _version_row(db, doc_id, versions_count + 1, observed, outcome, prepared)
    store.insert_version(db, row)
    version_id, sections = row["id"], prepared.sections
    changed_keys, previous_sections, kind = {}, None, "first"
    if current:
        classification = _classify_change(db, doc_id, current, row, outcome, observed, kind_override)
        kind = classification.kind
        changed_keys = _record_change(db, doc_id, current, version_id, observed, outcome.text, sections,
                                      statements, dates, classification, prepared.change)
        previous_sections = [dict(zip(("key", "changed_at", "changed_version_id"), r)) for r in db.execute(
            "select key, changed_at, changed_version_id from sections where version_id = ?", [current["id"]])]
    store.insert_sections(db, _section_rows(version_id, doc_id, observed, sections, previous_sections, changed_keys),
                          _statement_rows(version_id, doc_id, observed, statements, sections))
    _SPLIT_HERE.setdefault(db, {})[doc_id] = version_id
    return version_id, kind


def _document_state(db, doc_id) -> DocumentState | None:
    row = db.execute(
        "select current_version_id, versions_count, state, gone_since, first_seen, last_checked, consecutive_failures"
        " from documents where id = ?", [doc_id],
    ).fetchone()
    if row is None:
        return None
    return DocumentState(row[0], row[1] or 0, row[2], row[3], row[4], row[5], row[6] or 0)


def _outcome_of(db, record, declared, current_id, observed, data_dir, extracted=None) -> Outcome:
    """What the fetch is, before comparing it with the current version: extract it unless a revisit of
    bytes already extracted under the same rules says "unchanged" without reading the WARC.

    :param extracted: the outcome a worker process computed for this record, if any
        (:func:`pipeline.decide.classify_with_declaration` run there, with no database)
    """
    result = None
    if extracted is not None and declared is not None and record.kind not in ("revisit", "not-modified"):
        known = _known_page(db, record.document, current_id, declared)
        # a worker's outcome stands, unless it is a copy of a known page that is no longer the one known now
        if not (extracted.outcome == "new_version" and extracted.text is None) or extracted == known:
            return extracted
    if record.kind in ("revisit", "not-modified") and declared is not None:
        result = _unchanged_without_extraction(db, record, declared, current_id, observed)
    if result is None and record.kind in ("revisit", "not-modified") and _resolve_revisit(db, data_dir,
                                                                                          record) is None:
        result = Outcome("failed", f"revisit refers to a record not in the KB or in no WARC of the data folder"
                                   f" ({record.refers_to})")
    if result is None:
        if declared is None:
            result = Outcome("failed", "no declaration for this document (removed from the sources?)")
        else:
            result = classify_with_declaration(record, declared, _known_page(db, record.document, current_id,
                                                                             declared))
    return result


def _apply_text(db, data_dir, doc_id, record, declared, state, result, observed, locale, prepared=None):
    """A fetch that gave a text: unchanged, held (shrank), or a new version (after a labelled re-extraction
    of the current one if the rules changed). Returns ``(result, version_id, current_id, count, kind)``."""
    current_id, versions_count = state.current_version_id, state.versions_count
    current = _current(db, current_id)
    if current and current["rules_hash"] and current["rules_hash"] != result.rules_hash:
        again = _reextract_current(db, data_dir, doc_id, current, declared, record, result)
        if again is not None:  # a labelled re-extraction, never a policy change
            current_id, _ = _new_version(db, doc_id, current, versions_count, observed, again, locale,
                                         kind_override="reextraction")
            versions_count += 1
            current = _current(db, current_id)
    if current and current["content_hash"] != result.content_hash:
        last = db.execute("select outcome, reason, content_hash from checks where document_id = ? order by id desc"
                          " limit 1", [doc_id]).fetchone()
        held = held_shrink(current["text_markdown"], result, last)
        if held is not None:
            return held, None, current_id, versions_count, None
    if current and current["content_hash"] == result.content_hash:
        result.outcome = "not_modified" if record.kind == "not-modified" else "unchanged"
        last = db.execute("select extracted_hash from checks where document_id = ? and version_id is not null"
                          " order by id desc limit 1", [doc_id]).fetchone()
        if last and last[0] and last[0] != result.extracted_hash:
            result.reason = "only page noise changed (removed by the normalization rules)"
        return result, current["id"], current_id, versions_count, None
    version_id, kind = _new_version(db, doc_id, current, versions_count, observed, result, locale,
                                    prepared=prepared)
    return result, version_id, version_id, versions_count + 1, kind


def ingest_record(db, record: archive.Snapshot, documents: dict, data_dir, extracted: Outcome | None = None,
                  prepared: Prepared | None = None) -> str:
    """Turn one archived record into one check (and maybe versions and changes).

    Runs inside the caller's transaction. Returns the check's outcome.

    :param extracted: the record's outcome as a worker process computed it (see :func:`ingest_archive`)
    :param prepared: the :class:`Prepared` of that outcome's text, if the worker found it new
    """
    doc_id = record.document
    declared = documents.get(doc_id)
    state = _document_state(db, doc_id)
    if state is None:
        store.ensure_document(db, doc_id, record.url)
        state = DocumentState()
    observed = record.observed_at or record.fetched_at
    locale = declared.locale if declared else None
    result = _outcome_of(db, record, declared, state.current_version_id, observed, data_dir, extracted)
    version_id, current_id, versions_count, kind = None, state.current_version_id, state.versions_count, None
    if result.outcome == "new_version":
        result, version_id, current_id, versions_count, kind = _apply_text(
            db, data_dir, doc_id, record, declared, state, result, observed, locale, prepared)
    store.insert_check(db, {
        "document_id": doc_id, "checked_at": observed, "fetched_at": record.fetched_at, "url": record.declared_url or record.url,
        "final_url": record.url, "status_code": record.status, "outcome": result.outcome, "reason": result.reason,
        "content_hash": result.content_hash, "payload_digest": record.payload_digest, "version_id": version_id,
        "warc_file": record.warc_file, "warc_offset": record.offset, "warc_record_id": record.record_id,
        "record_kind": record.kind, "locale": locale, "detected_language": result.language,
        "extracted_hash": result.extracted_hash, "selector": result.selector,
        "page_fingerprint": result.fingerprint if version_id else None})
    store.update_document(db, doc_id, document_update(state, result, observed, current_id, versions_count, kind))
    return result.outcome


#: Records stored in one transaction (see :func:`_ingest_file`).
BATCH = 200
#: Below this many bytes of WARC files to ingest the build extracts in its own process (starting workers and
#: sending them pages costs more than it saves on a small build).
PARALLEL_MIN_BYTES = 2_000_000


def workers_for(paths) -> int:
    """How many extraction processes a build of these WARC files uses (:func:`kb.workers.count`: one per core when
    their bytes reach :data:`PARALLEL_MIN_BYTES`, unless ``POLICYKB_BUILD_WORKERS`` says)."""
    from kb.workers import count

    return count(sum(p.stat().st_size for p in paths), PARALLEL_MIN_BYTES)


def _warm_up():
    import pipeline.extract  # noqa: F401  loaded once here, not in each forked worker
    from pipeline.classify import warm_up

    warm_up()  # the language model and date patterns too: the workers inherit them instead of each loading its own


def extract_record(record, declared, known, current_hash, current_utf8=None) -> tuple[Outcome, Prepared | None]:
    """A worker's job: the record's outcome (:func:`pipeline.decide.classify_with_declaration`), and when it gives
    a text other than ``current_hash`` (the document's current text when the job was handed out, ``current_utf8``
    its UTF-8 bytes: SQLite's own, sent as they are and decoded only here, only when needed: a sixth of the cost of a
    str on a page of 80 K characters), that text's :class:`Prepared`, with its change from the current text drafted
    (:func:`draft_change`: the diffs and section comparison, most of a change's cost). No database: the writer
    checks both against the KB when it stores the record."""
    outcome = classify_with_declaration(record, declared, known)
    prepared = None
    if outcome.outcome == "new_version" and outcome.text is not None and outcome.content_hash != current_hash:
        observed = record.observed_at or record.fetched_at
        prepared = prepare(outcome, observed, declared.locale)
        if current_utf8 is not None:
            prepared.change = draft_change(current_utf8.decode("utf-8"), current_hash, outcome.text, prepared.sections)
    return outcome, prepared


def ingest_archive(db, data_dir, platforms, progress=None) -> BuildStats:
    """Ingest every closed WARC file not yet fully ingested (first closing those that killed crawls left).

    Pages are extracted by worker processes (:func:`workers_for`, :class:`kb.workers.Workers`) a window ahead of the
    record being stored, with a new text's dates, sections and canonical hash (:func:`extract_record`); this
    process, the only writer, stores each record in archive order, as a single-process build does (a worker's
    outcome that relied on a page known when it started is checked again against the KB when it is stored).

    :param db: the KB (``kb.db.open_db``)
    :param data_dir: the ``--data`` folder holding ``warcs/``
    :param platforms: declared platforms (``pipeline.sources.load_sources``)
    :param progress: optional callable ``progress(records_done)``
    """
    from pipeline.sources import documents_by_key

    documents = documents_by_key(platforms)
    stats = BuildStats()
    stats.salvaged = archive.salvage_abandoned(data_dir)
    done = {row["name"] for row in db["warc_files"].rows}
    paths = [p for p in archive.closed_warcs(data_dir) if p.name not in done]
    from kb.workers import Workers

    with Workers(workers_for(paths) if paths else 0, warm_up=_warm_up) as pool:
        for path in paths:
            stats.files += 1
            count = _ingest_file(db, data_dir, path, documents, stats, progress, pool)
            store.mark_warc_ingested(db, path.name, count)
    open_files = list(archive.warc_dir(data_dir).glob("*.warc.gz.open")) if archive.warc_dir(data_dir).is_dir() else []
    if open_files:
        logger.warning("%d WARC file(s) still open by a running crawl (their fetches reach the KB after it): %s",
                       len(open_files), ", ".join(p.name for p in open_files))
    return stats


def _ingest_file(db, data_dir, path, documents, stats, progress, pool) -> int:
    """Ingest one WARC file's records in order (extracted ahead by ``pool``, a :class:`kb.workers.Workers`);
    returns its record count.

    Records are stored :data:`BATCH` to a transaction: a build killed at any moment loses at most the batch it
    was storing, which the next build stores again (a record whose check is in the KB is skipped), so the KB is
    always consistent and converges. One transaction per record cost a commit each, a fifth of a build where
    nothing changed.
    """
    counted = [0]

    def jobs():
        """The file's records not ingested yet, in order, each with its extraction job (or None: done here)."""
        for record in archive.iter_records(data_dir, [path]):
            counted[0] += 1
            if db.execute("select 1 from checks where warc_record_id = ?", [record.record_id]).fetchone():
                stats.skipped += 1
                continue
            declared = documents.get(record.document)
            if pool.n and declared is not None and record.kind == "response":
                current = db.execute("select d.current_version_id, v.content_hash, cast(v.text_markdown as blob)"
                                     " from documents d"
                                     " left join versions v on v.id = d.current_version_id where d.id = ?",
                                     [record.document]).fetchone() or (None, None, None)
                known = _known_page(db, record.document, current[0], declared)
                yield record, (record, declared, known, current[1], current[2])
            else:
                yield record, None

    pending, done = pool.map(extract_record, jobs()), False
    while not done:
        with db.atomic():
            for _ in range(BATCH):
                item = next(pending, None)
                if item is None:
                    done = True
                    break
                record, (extracted, prepared) = item[0], item[1] or (None, None)
                outcome = ingest_record(db, record, documents, data_dir, extracted, prepared)
                stats.records += 1
                stats.count(outcome)
                if progress:
                    progress(stats.records)
    return counted[0]
