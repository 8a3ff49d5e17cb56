"""Documents taken out of their declaration (issue 17: the feeds have an entry when one is).

``undeclared_documents``: one row per document that the KB tracked and that its platform's declaration no
longer lists, with when a build first found it missing. Declared again, the row goes. Its checks, versions
and changes stay; only the fact that it is no longer followed is recorded.
"""

from kb.db import migrations


@migrations(name="m0720_undeclared")
def m0720_undeclared(db):
    db["undeclared_documents"].create(
        {"document_id": str, "platform_id": str, "undeclared_at": str}, pk="document_id",
    )  # no foreign key: a rebuild copies these rows in before the documents exist
