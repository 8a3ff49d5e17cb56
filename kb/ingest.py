"""Ingest: archived fetches → checks, versions and changes in the KB.

``ingest_archive(db, data_dir, platforms)`` reads every closed WARC file not yet fully
ingested, in archive order, and turns each record into exactly one check and
at most one new version (and then one change). Each record is one
transaction, keyed by its ``WARC-Record-ID``: a build killed at any moment
leaves the KB consistent, and running it again skips what is done and
converges to the KB of an uninterrupted run.

This module is the only writer of checks, versions and changes.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

from pipeline import archive
from pipeline.blocked import detect_blocked
from pipeline.classify import (
    FLIP_FLOP_WINDOW, Classification, canonical_hash, classify, cosmetic_reasons, locale_mismatch,
)
from pipeline.dates import find_dates, summarize
from pipeline.diff import diff
from pipeline.extract import ExtractionError, extract
from pipeline.normalize import NO_RULES, apply_rules, content_hash, rules_at, rules_hash
from pipeline.sections import compare_sections, split_sections
from pipeline.timeutil import now_iso

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What one archived fetch means for its document."""

    outcome: str  # new_version | unchanged | not_modified | failed | gone
    reason: str | None = None
    text: str | None = None
    content_hash: str | None = None
    language: str | None = None
    rules_hash: str | None = None
    extracted_hash: str | None = None  # of the text before the noise rules


@dataclass
class BuildStats:
    records: int = 0
    skipped: int = 0
    files: int = 0
    salvaged: list = field(default_factory=list)  # (file, records, bytes cut) of killed crawls' WARCs
    outcomes: dict = field(default_factory=dict)

    def count(self, outcome):
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def sync_declarations(db, platforms):
    """Upsert declared platforms and documents (their declared metadata only)."""
    with db.atomic():
        for p in platforms:
            db["platforms"].upsert(
                {"id": p.id, "name": p.name, "name_zh": p.name_zh, "homepage": p.homepage,
                 "source_file": p.source_file, "demo": int(p.demo)},
                pk="id",
            )
            for d in p.documents:
                _sync_rules(db, d)
                db["documents"].upsert(
                    {"id": d.key, "platform_id": p.id, "slug": d.id, "title": d.title, "title_en": d.title_en,
                     "title_zh": d.title_zh, "url": d.url, "locale": d.locale, "doc_type": d.type, "js": int(d.js)},
                    pk="id",
                )


def _sync_rules(db, document):
    """The declaration's rules, current and past (``history``), in ``declaration_rules``."""
    db.execute("delete from declaration_rules where document_id = ?", [document.key])
    epochs = list(getattr(document, "history", ()) or ()) + [rules_at(document, None)]
    db["declaration_rules"].insert_all(
        ({"id": f"{document.key}@{e.valid_until or 'current'}", "document_id": document.key,
          "valid_until": e.valid_until or None, "select_css": json.dumps(list(e.select)),
          "remove_css": json.dumps(list(e.remove)), "ignore_patterns": json.dumps(list(e.rules.ignore_patterns)),
          "sort_lists": int(e.rules.sort_lists), "rules_hash": rules_hash(e.select, e.remove, e.rules)}
         for e in epochs), pk="id")


def classify_fetch(record: archive.ArchivedRecord, select=(), remove=(), declared_url=None, rules=NO_RULES,
                   locale=None) -> Outcome:
    """Decide what a fetch (with its body) is: a text to version, or a failed check.

    A pure function: no database, no network.

    :param record: the archived fetch
    :param select: CSS selectors of the policy text (none: main-content extraction)
    :param remove: CSS selectors of noise inside it
    :param declared_url: the URL the declaration asks for (to spot login redirects)
    :param rules: the declaration's normalization rules (:class:`pipeline.normalize.Rules`)
    :param locale: the declared locale; a page plainly in another language is a failed check
    """
    if record.kind == "failure":
        return Outcome("failed", record.error or "no response")
    status = record.status
    if status in (404, 410):
        return Outcome("gone", f"HTTP {status}")
    if status == 429:
        return Outcome("failed", f"HTTP 429 rate limited (Retry-After: {record.header('Retry-After') or 'none'})")
    if status >= 400:
        return Outcome("failed", f"HTTP {status}")
    if status < 200 or status >= 300:
        return Outcome("failed", f"HTTP {status} without a usable page")
    blocked = detect_blocked(record, declared_url)
    if blocked:
        return Outcome("failed", blocked)
    try:
        extracted = extract(record.body, record.header("Content-Type"), select, remove)
    except ExtractionError as exc:
        return Outcome("failed", exc.reason)
    text = apply_rules(extracted.markdown, rules or NO_RULES)
    if not text.strip():
        return Outcome("failed", "nothing left after the normalization rules (ignore_patterns too broad?)")
    wrong, language = locale_mismatch(text, locale)
    if wrong:
        return Outcome("failed", wrong, language=language)
    return Outcome("new_version", text=text, content_hash=content_hash(text), language=language,
                   rules_hash=rules_hash(select, remove, rules or NO_RULES),
                   extracted_hash=content_hash(extracted.markdown))


def classify_with_declaration(record, declared) -> Outcome:
    """:func:`classify_fetch` with the rules the declaration had when the record was observed."""
    epoch = rules_at(declared, record.observed_at or record.fetched_at)
    return classify_fetch(record, epoch.select, epoch.remove, declared.url, epoch.rules, declared.locale)


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
    original = archive.read_record(data_dir, row[0], row[1])
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
        "select content_hash, extracted_hash, detected_language from checks"
        " where warc_record_id = ? and content_hash is not null", [record.refers_to],
    ).fetchone()
    current = db.execute("select content_hash, rules_hash from versions where id = ?", [current_id]).fetchone()
    if seen is None or current is None or seen[0] != current[0] or not current[1]:
        return None
    epoch = rules_at(declared, observed)
    if rules_hash(epoch.select, epoch.remove, epoch.rules or NO_RULES) != current[1]:
        return None
    if record.kind == "not-modified":
        record.status = 200
    return Outcome("new_version", content_hash=seen[0], extracted_hash=seen[1], language=seen[2],
                   rules_hash=current[1])


VERSION_COLUMNS = "id, content_hash, text_markdown, effective_date, observed_at, rules_hash, canonical_hash, seq"


def _current(db, version_id):
    if not version_id:
        return None
    row = db.execute(f"select {VERSION_COLUMNS} from versions where id = ?", [version_id]).fetchone()
    return dict(zip([c.strip() for c in VERSION_COLUMNS.split(",")], row)) if row else None


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
        db.execute("update versions set rules_hash = ? where id = ?", [result.rules_hash, current["id"]])
        current["rules_hash"] = result.rules_hash
        return None
    return again


def _insert_version(db, doc_id, seq, observed, outcome, locale, previous_sections=None, kind=None, check_id=None):
    """Insert a version with its sections and dated statements; returns ``(version_id, sections, statements)``."""
    version_id = _version_id(db, doc_id, observed)
    statements = find_dates(outcome.text, locale)
    dates = summarize(statements)
    db["versions"].insert(
        {"id": version_id, "document_id": doc_id, "seq": seq, "observed_at": observed,
         "content_hash": outcome.content_hash, "text_markdown": outcome.text, "chars": len(outcome.text),
         "rules_hash": outcome.rules_hash, "canonical_hash": canonical_hash(outcome.text, observed),
         "language": outcome.language, "check_id": check_id, **dates},
        pk="id",
    )
    sections = split_sections(outcome.text)
    return version_id, sections, statements, dates


def _section_rows(version_id, doc_id, observed, sections, previous, changed_keys):
    """Section rows, each with when it last changed substantively (inherited when it did not).

    :param changed_keys: from :func:`record_change`: ``"changed"`` (changed substantively now) or
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


def record_change(db, doc_id, current, version_id, observed, text, new_sections, statements, dates,
                  classification):
    """Insert the change from ``current`` to the new version, with its sections and effective date.

    Returns a mapping ``key -> "changed" | (old_key,)`` for the section history (see :func:`_section_rows`).
    """
    old_text = current["text_markdown"]
    d = diff(old_text, text)
    old_sections = split_sections(old_text)
    section_changes = compare_sections(old_sections, new_sections)
    substantive = classification.kind == "substantive"
    by_status = {"added": [], "removed": [], "modified": [], "moved": []}
    changed_keys, rows = {}, []
    for n, sc in enumerate(section_changes, 1):
        by_status[sc.status].append(sc.key)
        if sc.status in ("added", "removed") or not substantive:
            kind = classification.kind
        else:  # in a substantive change, a section may itself have changed only cosmetically
            same = sc.old_text == sc.new_text or cosmetic_reasons(sc.old_text, sc.new_text) is not None
            kind = "cosmetic" if same else "substantive"
        if sc.status != "removed":
            changed_keys[sc.key] = "changed" if kind == "substantive" else (sc.old_key or sc.key,)
        sd = diff(sc.old_text, sc.new_text) if sc.old_text != sc.new_text else None
        rows.append({"id": f"{version_id}#{n}", "change_id": version_id, "document_id": doc_id, "key": sc.key,
                     "old_key": sc.old_key if sc.old_key != sc.key else None, "status": sc.status,
                     "moved": int(sc.moved), "heading": sc.heading, "kind": kind,
                     "chars_added": sd.chars_added if sd else 0, "chars_removed": sd.chars_removed if sd else 0,
                     "patch": sd.patch if sd else ""})
    # the change's effective date: a statement in a section it added or modified, else a newly stated one
    touched = {r["key"] for r in rows if r["status"] in ("added", "modified")}
    starts = {s.key: s.start_line for s in new_sections}
    effective, source = None, "detected"
    for st in statements:
        if st.kind != "effective":
            continue
        key = max(((line, k) for k, line in starts.items() if line <= st.line), default=(0, None))[1]
        if key in touched and st.date != current["effective_date"]:
            effective, source = st.date, "stated"
            break
    if effective is None and dates["effective_date"] and dates["effective_date"] != current["effective_date"]:
        effective, source = dates["effective_date"], "stated"
    db["changes"].insert(
        {"id": version_id, "document_id": doc_id, "from_version_id": current["id"], "to_version_id": version_id,
         "detected_at": observed, "kind": classification.kind, "reasons": json.dumps(classification.reasons),
         "returns_to_version_id": classification.returns_to,
         "chars_added": d.chars_added, "chars_removed": d.chars_removed, "patch": d.patch,
         "effective_date": effective or observed[:10], "effective_date_source": source,
         **{f"sections_{k}": json.dumps(v, ensure_ascii=False) for k, v in by_status.items()}},
        pk="id",
    )
    db["change_sections"].insert_all(rows, pk="id")
    return changed_keys


def _new_version(db, doc_id, current, versions_count, observed, outcome, locale, kind_override=None):
    """Record a new version (and its change from ``current``); returns its id."""
    version_id, sections, statements, dates = _insert_version(db, doc_id, versions_count + 1, observed, outcome, locale)
    changed_keys = {}
    previous_sections = None
    if current:
        if kind_override:
            classification = Classification(kind_override, ["the extraction rules changed, not the page"])
        else:
            earlier = db.execute(
                "select id, content_hash, canonical_hash from versions where document_id = ? and seq < ? "
                "order by seq desc limit ?", [doc_id, current["seq"], FLIP_FLOP_WINDOW * 3],
            ).fetchall()
            classification = classify(
                current["text_markdown"], outcome.text, outcome.content_hash, [tuple(r) for r in earlier],
                old_observed=current["observed_at"], new_observed=observed,
                old_canonical_hash=current["canonical_hash"],
                new_canonical_hash=db.execute("select canonical_hash from versions where id = ?",
                                              [version_id]).fetchone()[0],
            )
        changed_keys = record_change(db, doc_id, current, version_id, observed, outcome.text, sections, statements,
                                     dates, classification)
        previous_sections = [dict(zip(("key", "changed_at", "changed_version_id"), r)) for r in db.execute(
            "select key, changed_at, changed_version_id from sections where version_id = ?", [current["id"]])]
    db["sections"].insert_all(_section_rows(version_id, doc_id, observed, sections, previous_sections, changed_keys),
                              pk="id")
    db["dated_statements"].insert_all(_statement_rows(version_id, doc_id, observed, statements, sections), pk="id")
    return version_id, (classification.kind if current else "first")


#: A text under this share of the current version's is implausible as one step (a body cut short, a
#: half-rendered app shell, a page emptied by a failed include); the real corpus's largest one-step
#: shrink keeps 49% (eMAG's terms, Sept. 2023).
SHRINK_MIN_SHARE = 0.25
#: ... when the current version is at least this long (a short page may well lose most of its text).
SHRINK_MIN_CHARS = 1000
SHRANK = "the text shrank implausibly"


def _held_shrink(db, doc_id, current, result) -> Outcome | None:
    """A failed check for a text that shrank implausibly since the current version, unless confirmed.

    The first fetch of such a text is a failed check (with the text's hash); a
    second fetch in a row giving the same text confirms it, and it becomes a
    version. So a glitch never becomes a version, and a page that really was cut
    down is recorded one check later. Returns None when the text is plausible.
    """
    old, new = len(current["text_markdown"] or ""), len(result.text or "")
    if old < SHRINK_MIN_CHARS or new >= SHRINK_MIN_SHARE * old:
        return None
    last = db.execute("select outcome, reason, content_hash from checks where document_id = ? order by id desc"
                      " limit 1", [doc_id]).fetchone()
    if last and last[0] == "failed" and (last[1] or "").startswith(SHRANK) and last[2] == result.content_hash:
        result.reason = f"{SHRANK}, and the next fetch confirmed it ({old} → {new} characters)"
        return None
    return Outcome("failed", f"{SHRANK}: {old} → {new} characters ({100 * new / old:.0f}% of the current version);"
                             " held as a failed check until the next fetch gives the same text",
                   content_hash=result.content_hash, language=result.language, rules_hash=result.rules_hash,
                   extracted_hash=result.extracted_hash)


def ingest_record(db, record: archive.ArchivedRecord, documents: dict, data_dir) -> str:
    """Turn one archived record into one check (and maybe versions and changes).

    Runs inside the caller's transaction. Returns the check's outcome.
    """
    doc_id = record.document
    declared = documents.get(doc_id)
    doc_row = db.execute(
        "select current_version_id, versions_count, state, gone_since, first_seen, last_checked, consecutive_failures"
        " from documents where id = ?", [doc_id],
    ).fetchone()
    if doc_row is None:
        platform_id = doc_id.split("/")[0]
        db["platforms"].insert({"id": platform_id, "name": platform_id}, pk="id", ignore=True)
        db["documents"].insert(
            {"id": doc_id, "platform_id": platform_id, "slug": doc_id.split("/", 1)[-1], "title": doc_id,
             "url": record.url},
            pk="id", ignore=True,
        )
        doc_row = (None, 0, "unchecked", None, None, None, 0)
    current_id, versions_count, state, gone_since, first_seen, last_checked, failures = doc_row
    versions_count = versions_count or 0
    observed = record.observed_at or record.fetched_at
    locale = declared.locale if declared else None

    kind = record.kind
    result = None
    if kind in ("revisit", "not-modified") and declared is not None:
        result = _unchanged_without_extraction(db, record, declared, current_id, observed)
    if result is None and kind in ("revisit", "not-modified") and _resolve_revisit(db, data_dir, record) is None:
        result = Outcome("failed", f"revisit refers to a record not in the KB ({record.refers_to})")
    if result is None:
        if declared is None:
            result = Outcome("failed", "no declaration for this document (removed from the sources?)")
        else:
            result = classify_with_declaration(record, declared)

    version_id, change_kind = None, None
    if result.outcome == "new_version":
        current = _current(db, current_id)
        if current and current["rules_hash"] and current["rules_hash"] != result.rules_hash:
            again = _reextract_current(db, data_dir, doc_id, current, declared, record, result)
            if again is not None:  # a labelled re-extraction, never a policy change
                current_id, _ = _new_version(db, doc_id, current, versions_count, observed, again, locale,
                                             kind_override="reextraction")
                versions_count += 1
                current = _current(db, current_id)
        held = _held_shrink(db, doc_id, current, result) if current and current["content_hash"] != \
            result.content_hash else None
        if held is not None:
            result = held
        elif current and current["content_hash"] == result.content_hash:
            result.outcome = "not_modified" if kind == "not-modified" else "unchanged"
            version_id = current["id"]
            last = db.execute("select extracted_hash from checks where document_id = ? and version_id is not null"
                              " order by id desc limit 1", [doc_id]).fetchone()
            if last and last[0] and last[0] != result.extracted_hash:
                result.reason = "only page noise changed (removed by the normalization rules)"
        else:
            version_id, change_kind = _new_version(db, doc_id, current, versions_count, observed, result, locale)
            versions_count += 1
            current_id = version_id

    check_id = db["checks"].insert(
        {"document_id": doc_id, "checked_at": observed, "fetched_at": record.fetched_at, "url": record.url,
         "final_url": record.url, "status_code": record.status, "outcome": result.outcome, "reason": result.reason,
         "content_hash": result.content_hash, "payload_digest": record.payload_digest, "version_id": version_id,
         "warc_file": record.warc_file, "warc_offset": record.offset, "warc_record_id": record.record_id,
         "record_kind": kind, "locale": locale, "detected_language": result.language,
         "extracted_hash": result.extracted_hash},
    ).last_pk
    db.execute("update versions set check_id = ? where document_id = ? and check_id is null", [check_id, doc_id])

    update = {"last_checked": max(filter(None, [last_checked, observed])), "first_seen": first_seen or observed}
    if result.outcome in ("new_version", "unchanged", "not_modified"):
        update.update(state="ok", last_success=observed, consecutive_failures=0, gone_since=None,
                      last_failure_reason=None, current_version_id=current_id, versions_count=versions_count)
        if change_kind in ("first", "substantive"):
            update["last_changed"] = observed  # feeds, counts and "last changed" follow substantive changes
    else:
        # a failure observed at the very moment of the last failed check repeats that observation (a crawl
        # of the same replay date run again after it was killed), so it is not one more failure in a row
        repeat = observed == last_checked and state in ("failing", "gone")
        failures = (failures or 0) + (0 if repeat else 1)
        if result.outcome == "gone":
            update.update(state="gone", gone_since=gone_since or observed, last_failure_reason=result.reason,
                          consecutive_failures=failures)
        else:
            update.update(state="failing" if state != "gone" else "gone", last_failure_reason=result.reason,
                          consecutive_failures=failures)
    if current_id != doc_row[0]:
        update["current_version_id"] = current_id
        update["versions_count"] = versions_count
    db["documents"].update(doc_id, update)
    return result.outcome


def ingest_archive(db, data_dir, platforms, progress=None) -> BuildStats:
    """Ingest every closed WARC file not yet fully ingested (first closing those that killed crawls left).

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
    for path in archive.closed_warcs(data_dir):
        if path.name in done:
            continue
        stats.files += 1
        count = 0
        for record in archive.iter_records(data_dir, [path]):
            count += 1
            if db.execute("select 1 from checks where warc_record_id = ?", [record.record_id]).fetchone():
                stats.skipped += 1
                continue
            with db.atomic():
                outcome = ingest_record(db, record, documents, data_dir)
            stats.records += 1
            stats.count(outcome)
            if progress:
                progress(stats.records)
        with db.atomic():
            db["warc_files"].insert({"name": path.name, "records": count, "ingested_at": now_iso()}, pk="name",
                                    replace=True)
    open_files = list(archive.warc_dir(data_dir).glob("*.warc.gz.open")) if archive.warc_dir(data_dir).is_dir() else []
    if open_files:
        logger.warning("%d WARC file(s) still open by a running crawl (their fetches reach the KB after it): %s",
                       len(open_files), ", ".join(p.name for p in open_files))
    return stats
