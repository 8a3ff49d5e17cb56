"""Ingest: archived fetches → checks, versions and changes in the KB.

``build(db, data_dir, platforms)`` reads every closed WARC file not yet fully
ingested, in archive order, and turns each record into exactly one check and
at most one new version (and then one change). Each record is one
transaction, keyed by its ``WARC-Record-ID``: a build killed at any moment
leaves the KB consistent, and running it again skips what is done and
converges to the KB of an uninterrupted run.

This module is the only writer of checks, versions and changes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pipeline import archive
from pipeline.blocked import detect_blocked
from pipeline.dates import find_dates, summarize
from pipeline.diff import diff
from pipeline.extract import ExtractionError, extract
from pipeline.normalize import content_hash
from pipeline.sections import split_sections

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What one archived fetch means for its document."""

    outcome: str  # new_version | unchanged | not_modified | failed | gone
    reason: str | None = None
    text: str | None = None
    content_hash: str | None = None


@dataclass
class BuildStats:
    records: int = 0
    skipped: int = 0
    files: int = 0
    outcomes: dict = field(default_factory=dict)

    def count(self, outcome):
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
                db["documents"].upsert(
                    {"id": d.key, "platform_id": p.id, "slug": d.id, "title": d.title, "title_en": d.title_en,
                     "title_zh": d.title_zh, "url": d.url, "locale": d.locale, "doc_type": d.type, "js": int(d.js)},
                    pk="id",
                )


def classify_fetch(record: archive.ArchivedRecord, select=(), remove=(), declared_url=None) -> Outcome:
    """Decide what a fetch (with its body) is: a text to version, or a failed check.

    A pure function: no database, no network.
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
    return Outcome("new_version", text=extracted.markdown, content_hash=content_hash(extracted.markdown))


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
    record.body = original.body
    if record.kind == "not-modified" or not record.headers:
        record.headers, record.status = original.headers, original.status
    return record


def ingest_record(db, record: archive.ArchivedRecord, documents: dict, data_dir) -> str:
    """Turn one archived record into one check (and maybe a version and a change).

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
    observed = record.observed_at or record.fetched_at

    kind = record.kind
    if kind in ("revisit", "not-modified"):
        if _resolve_revisit(db, data_dir, record) is None:
            result = Outcome("failed", f"revisit refers to a record not in the KB ({record.refers_to})")
        else:
            result = None
    else:
        result = None
    if result is None:
        if declared is None:
            result = Outcome("failed", "no declaration for this document (removed from the sources?)")
        else:
            result = classify_fetch(record, declared.select, declared.remove, declared.url)

    version_id = None
    if result.outcome == "new_version":
        current = None
        if current_id:
            current = db.execute(
                "select id, content_hash, text_markdown, effective_date from versions where id = ?", [current_id]
            ).fetchone()
        if current and current[1] == result.content_hash:
            result.outcome = "not_modified" if kind == "not-modified" else "unchanged"
            version_id = current[0]
        else:
            version_id = _version_id(db, doc_id, observed)
            dates = summarize(find_dates(result.text, declared.locale if declared else None))
            db["versions"].insert(
                {"id": version_id, "document_id": doc_id, "seq": (versions_count or 0) + 1, "observed_at": observed,
                 "content_hash": result.content_hash, "text_markdown": result.text, "chars": len(result.text),
                 **dates},
                pk="id",
            )
            db["sections"].insert_all(
                ({"id": f"{version_id}#{sec.key}", "version_id": version_id, "document_id": doc_id, "key": sec.key,
                  "heading": sec.heading, "level": sec.level, "ordinal": sec.ordinal, "text_markdown": sec.text,
                  "content_hash": sec.content_hash} for sec in split_sections(result.text)),
                pk="id",
            )
            if current:
                d = diff(current[2], result.text)
                stated = dates["effective_date"]
                use_stated = bool(stated and stated != current[3])
                db["changes"].insert(
                    {"id": version_id, "document_id": doc_id, "from_version_id": current[0],
                     "to_version_id": version_id, "detected_at": observed, "kind": "substantive",
                     "chars_added": d.chars_added, "chars_removed": d.chars_removed, "patch": d.patch,
                     "effective_date": stated if use_stated else observed[:10],
                     "effective_date_source": "stated" if use_stated else "detected"},
                    pk="id",
                )
            versions_count = (versions_count or 0) + 1
            current_id = version_id

    check_id = db["checks"].insert(
        {"document_id": doc_id, "checked_at": observed, "fetched_at": record.fetched_at, "url": record.url,
         "final_url": record.url, "status_code": record.status, "outcome": result.outcome, "reason": result.reason,
         "content_hash": result.content_hash, "payload_digest": record.payload_digest, "version_id": version_id,
         "warc_file": record.warc_file, "warc_offset": record.offset, "warc_record_id": record.record_id,
         "record_kind": kind},
    ).last_pk
    if result.outcome == "new_version":
        db.execute("update versions set check_id = ? where id = ?", [check_id, version_id])

    update = {"last_checked": max(filter(None, [last_checked, observed])), "first_seen": first_seen or observed}
    if result.outcome in ("new_version", "unchanged", "not_modified"):
        update.update(state="ok", last_success=observed, consecutive_failures=0, gone_since=None,
                      last_failure_reason=None, current_version_id=current_id, versions_count=versions_count)
        if result.outcome == "new_version":
            update["last_changed"] = observed
    elif result.outcome == "gone":
        update.update(state="gone", gone_since=gone_since or observed, last_failure_reason=result.reason,
                      consecutive_failures=(failures or 0) + 1)
    else:
        update.update(state="failing" if state != "gone" else "gone", last_failure_reason=result.reason,
                      consecutive_failures=(failures or 0) + 1)
    db["documents"].update(doc_id, update)
    return result.outcome


def build(db, data_dir, platforms, progress=None) -> BuildStats:
    """Ingest every closed WARC file not yet fully ingested.

    :param db: the KB (``kb.db.open_db``)
    :param data_dir: the ``--data`` folder holding ``warcs/``
    :param platforms: declared platforms (``pipeline.sources.load_sources``)
    :param progress: optional callable ``progress(records_done)``
    """
    from pipeline.sources import documents_by_key

    sync_declarations(db, platforms)
    documents = documents_by_key(platforms)
    stats = BuildStats()
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
        logger.warning("%d WARC file(s) still open (a crawl running, or one that was killed): %s",
                       len(open_files), ", ".join(p.name for p in open_files))
    return stats
