"""Discovery: policy pages found in help centres, and the discovery WARCs read so far.

Derived from the discovery records of the WARCs (``spiders.pipelines``) and
the declared documents, so ``policykb rebuild`` re-creates it; filled by
``kb.cli.sources.after_build``.
"""

from kb.db import migrations


@migrations(name="m0500_discovery")
def m0500_discovery(db):
    db["discovered_documents"].create(
        {
            "id": int, "platform_id": str, "url": str, "title": str, "link_text": str, "found_on": str,
            "depth": int, "status": str, "status_code": int, "reason": str, "suggested_type": str,
            "first_seen": str, "last_seen": str, "times_seen": int, "document_id": str,
        },
        pk="id",
        not_null={"platform_id", "url"},
        defaults={"status": "new", "times_seen": 0},
    )
    db["discovered_documents"].create_index(["url"], unique=True)
    db["discovered_documents"].create_index(["platform_id", "status"])
    db["discovery_files"].create({"name": str, "records": int, "ingested_at": str}, pk="name")
