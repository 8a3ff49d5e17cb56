"""Core tables: platforms, documents, checks, versions, changes, warc_files."""

from kb.db import migrations


# Long: the core schema, one create per table, read top to bottom.
@migrations(name="m001_initial")
def m001_initial(db):
    db["platforms"].create(
        {"id": str, "name": str, "name_zh": str, "homepage": str, "source_file": str, "demo": int},
        pk="id",
    )
    db["documents"].create(
        {
            "id": str, "platform_id": str, "slug": str, "title": str, "title_en": str, "title_zh": str,
            "url": str, "locale": str, "doc_type": str, "js": int,
            "state": str, "first_seen": str, "last_checked": str, "last_success": str,
            "last_failure_reason": str, "consecutive_failures": int, "gone_since": str,
            "current_version_id": str, "versions_count": int, "last_changed": str,
        },
        pk="id",
        foreign_keys=[("platform_id", "platforms", "id")],
        defaults={"state": "unchecked", "consecutive_failures": 0, "versions_count": 0},
    )
    db["versions"].create(
        {
            "id": str, "document_id": str, "seq": int, "observed_at": str, "content_hash": str,
            "text_markdown": str, "chars": int, "last_updated": str, "last_updated_evidence": str,
            "effective_date": str, "effective_evidence": str, "check_id": int,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id")],
    )
    db["checks"].create(
        {
            "id": int, "document_id": str, "checked_at": str, "fetched_at": str, "url": str, "final_url": str,
            "status_code": int, "outcome": str, "reason": str, "content_hash": str, "payload_digest": str,
            "version_id": str, "warc_file": str, "warc_offset": int, "warc_record_id": str, "record_kind": str,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id"), ("version_id", "versions", "id")],
    )
    db["changes"].create(
        {
            "id": str, "document_id": str, "from_version_id": str, "to_version_id": str, "detected_at": str,
            "kind": str, "chars_added": int, "chars_removed": int, "patch": str,
            "effective_date": str, "effective_date_source": str,
        },
        pk="id",
        foreign_keys=[
            ("document_id", "documents", "id"),
            ("from_version_id", "versions", "id"),
            ("to_version_id", "versions", "id"),
        ],
    )
    db["warc_files"].create({"name": str, "records": int, "ingested_at": str}, pk="name")
    db["checks"].create_index(["warc_record_id"], unique=True)
    db["checks"].create_index(["document_id", "checked_at"])
    db["versions"].create_index(["document_id", "seq"], unique=True)
    db["versions"].create_index(["content_hash"])
    db["changes"].create_index(["document_id", "detected_at"])
    db["documents"].create_index(["platform_id"])
    # Full-text search over every version; trigram so Chinese and other
    # unsegmented scripts match substrings of three characters or more.
    db["versions"].enable_fts(["text_markdown"], tokenize="trigram", create_triggers=True)
    db.create_view(
        "current_versions",
        """
        select d.platform_id, d.id as document_id, d.title, d.doc_type, d.locale, d.url, d.state,
               d.last_checked, d.last_success, v.id as version_id, v.observed_at as version_date,
               v.last_updated, v.effective_date, v.text_markdown
        from documents d join versions v on v.id = d.current_version_id
        """,
    )
