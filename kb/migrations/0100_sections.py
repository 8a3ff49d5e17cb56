"""Sections of each version, with stable keys (see ``pipeline.sections``)."""

from kb.db import migrations


@migrations(name="m0100_sections")
def m0100_sections(db):
    db["sections"].create(
        {"id": str, "version_id": str, "document_id": str, "key": str, "heading": str, "level": int,
         "ordinal": int, "text_markdown": str, "content_hash": str},
        pk="id",
        foreign_keys=[("version_id", "versions", "id"), ("document_id", "documents", "id")],
    )
    db["sections"].create_index(["version_id", "ordinal"])
    db["sections"].create_index(["document_id", "key"])
