"""The watch list of citations (issue 16): clauses a consultant has cited, checked again after every build.

``citations``: one row per saved citation. What was cited is fixed when it is added, as a W3C Web
Annotation target would hold it (:mod:`kb.cite.watchlist`): the version it was found in (its permalink is
the annotation's ``source``), a TextQuoteSelector (``exact``, ``prefix``, ``suffix``) and a
TextPositionSelector (``start``, ``end``) on that version's text as a reader sees it, plus the section
and the stated effective date that applied then. The ``state`` columns hold the latest check:
``current``, ``moved`` (same wording, another section), ``changed``, ``removed`` or ``not_found``, where
it stands now, and the effective date that applies now. Not derived from the WARCs: ``policykb rebuild``
carries the rows over (``kb.build.CARRY_OVER``), and the first build of the new KB checks them again.

Two indexes for the cite check, which the watch list runs once per citation after a build: ``changes`` by
``to_version_id`` (the change into a version: its date, its effective date) and ``documents`` by ``url``
(a check limited to one document). Without them each is a scan of its table (measured by
``bench/citations_speed.py``).
"""

from kb.db import migrations


@migrations(name="m0750_citations")
def m0750_citations(db):
    db["citations"].create(
        {
            "id": int, "uri": str, "quote": str, "label": str, "platform_id": str, "document_id": str,
            "created_at": str,
            # what was cited (the annotation's target)
            "version_id": str, "version_seq": int, "exact": str, "prefix": str, "suffix": str,
            "start": int, "end": int, "section_key": str, "section": str, "effective_date": str,
            # the latest check
            "state": str, "state_since": str, "checked_at": str, "checked_version_id": str,
            "checked_document_state": str, "now_version_id": str,
            "now_section_key": str, "now_section": str, "now_effective_date": str, "now_wording": str,
            "changed_at": str, "answer_json": str,
        },
        pk="id",
    )  # no foreign key: a rebuild copies these rows in before the documents exist
    db["citations"].create_index(["uri"], unique=True)
    db["citations"].create_index(["document_id"])
    db["changes"].create_index(["to_version_id"], if_not_exists=True)
    db["documents"].create_index(["url"], if_not_exists=True)
