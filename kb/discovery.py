"""Discovery in the KB: pages the spider found on help-centre pages, and which of them are tracked.

:func:`ingest_discovery` turns the discovery records of new WARC files
(``discovery-*.warc.gz``, written by ``spiders.pipelines.DiscoveryArchive``)
into the ``discovered_documents`` table; it is a step of :func:`kb.build.build`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kb.store import discovery as store
from kb.store import records
from pipeline.timeutil import now_iso


def ingest_discovery(db, data_dir) -> int:
    """Read the discovery records of WARC files not read yet into ``discovered_documents``.

    :returns: the number of records read
    """
    from warcio.archiveiterator import ArchiveIterator

    from pipeline.archive import DISCOVERY_HEADER, DISCOVERY_PREFIX, warc_dir
    from pipeline.sources import suggest_type

    folder = warc_dir(data_dir)
    if not folder.is_dir():
        return 0
    done = {r["name"] for r in db["discovery_files"].rows}
    total = 0
    for path in sorted(folder.glob(f"{DISCOVERY_PREFIX}*.warc.gz")):
        if path.name in done:
            continue
        count = 0
        with db.atomic(), open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                platform = rec.rec_headers.get_header(DISCOVERY_HEADER)
                if rec.rec_type != "metadata" or not platform:
                    continue
                page = json.loads(rec.content_stream().read().decode("utf-8"))
                seen = rec.rec_headers.get_header("PolicyKB-Observed-At") or page.get("observed_at") or now_iso()
                records.ensure_platform(db, platform)
                if page.get("kind") == "document":
                    _upsert(db, platform, page["url"], seen, title=page.get("title"), depth=page.get("depth"),
                            found_on=page.get("found_on"), status_code=page.get("status"),
                            reason=page.get("error"), fetched=True)
                for link in page.get("links") or []:
                    if link.get("kind") in ("document", "tracked"):
                        _upsert(db, platform, link["url"], seen, link_text=link.get("text"), found_on=page["url"],
                                depth=(page.get("depth") or 0) + 1)
                count += 1
            store.mark_discovery_file(db, path.name, count)
        total += count
    _refresh_status(db, suggest_type)
    return total


def _upsert(db, platform, url, seen, fetched=False, **fields):
    row = db.execute("select id, first_seen, times_seen, found_on, title, link_text, depth from discovered_documents"
                     " where url = ?", [url]).fetchone()
    if row is None:
        values = {k: v for k, v in fields.items() if v is not None}
        store.insert_discovered(
            db, {"platform_id": platform, "url": url, "first_seen": seen, "last_seen": seen, "times_seen": 1, **values})
        return
    update = {"last_seen": max(seen, row[1] or seen), "times_seen": (row[2] or 0) + 1}
    if fields.get("found_on") and not row[3]:
        update["found_on"] = fields["found_on"]
    for name, index in (("title", 4), ("link_text", 5)):
        if fields.get(name) and not row[index]:
            update[name] = fields[name]
    if fields.get("depth") is not None and (row[6] is None or fields["depth"] < row[6]):
        update["depth"] = fields["depth"]
    if fetched:  # the latest fetch decides whether the page is reachable
        update["status_code"] = fields.get("status_code")
        update["reason"] = fields.get("reason")
    store.update_discovered(db, row[0], update)


def _refresh_status(db, suggest_type):
    """tracked (a declared document's URL) / unreachable (its fetch failed) / new; and a suggested type."""
    from pipeline.normalize import canonical_url

    declared = {}
    for doc_id, url in db.execute("select id, url from documents"):
        declared[canonical_url(url)] = doc_id
    statuses = []
    for row_id, url, code, reason, title, text in db.execute(
            "select id, url, status_code, reason, title, link_text from discovered_documents").fetchall():
        document = declared.get(url)
        if document:
            status = "tracked"
        elif reason or (code is not None and code != 200):
            status = "unreachable"
        else:
            status = "new"
        statuses.append((row_id, {"status": status, "document_id": document,
                                  "suggested_type": suggest_type(title, text, url)}))
    store.set_statuses(db, statuses)


class PromoteError(ValueError):
    """A discovered page cannot be promoted (unknown, already tracked, no type, invalid result)."""


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:60]


def promote(data_dir, discovered_id, platforms, doc_id=None, doc_type=None, title=None, locale=None) -> str:
    """Track a discovered page: append it to its platform's declaration file; returns what was done.

    The page is appended to the ``documents`` of ``<platform>.yml`` (comments and layout kept, with
    ruamel.yaml's round trip) and inherits the selectors of the page family its URL matches, so it
    is an ordinary declared document from then on, and the next crawl fetches it.

    :param platforms: the declared platforms (:func:`pipeline.sources.load_sources`)
    :param doc_id: the document id (default: a slug of the title or URL, made unique)
    :param doc_type: the document type (default: the suggested one)
    :param locale: the locale (default: the platform's most common one)
    :raises PromoteError: with a one-line reason
    """
    from collections import Counter

    from kb.db import open_db
    from pipeline.sources import DOCUMENT_TYPES

    db = open_db(data_dir)
    row = db.execute("select platform_id, url, title, link_text, status, suggested_type, found_on, document_id"
                     " from discovered_documents where id = ?", [discovered_id]).fetchone()
    db.close()
    if row is None:
        raise PromoteError(f"no discovered page {discovered_id} (see `policykb sources discovered`)")
    platform_id, url, page_title, link_text, status, suggested, found_on, tracked_as = row
    if status == "tracked":
        raise PromoteError(f"{url} is already tracked as {tracked_as}")
    platform = next((p for p in platforms if p.id == platform_id), None)
    if platform is None:
        raise PromoteError(f"no declaration for platform {platform_id!r} in the sources folder")
    doc_type = doc_type or suggested
    if doc_type not in DOCUMENT_TYPES:
        raise PromoteError(f"give --type (one of: {', '.join(DOCUMENT_TYPES)}); no type could be suggested"
                   if not doc_type else f"{doc_type!r} is not a document type")
    title = title or page_title or link_text or url
    doc_id = doc_id or _slug(title) or _slug(url)
    existing = {d.id for d in platform.documents}
    base, n = doc_id, 2
    while doc_id in existing:
        doc_id, n = f"{base}-{n}", n + 1
    locale = locale or Counter(d.locale for d in platform.documents).most_common(1)[0][0]
    return _append_document(platform, doc_id, title, url, locale, doc_type, found_on)


def _append_document(platform, doc_id, title, url, locale, doc_type, found_on) -> str:
    """Append one document to a platform's declaration file, keeping it valid (or unchanged)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    from pipeline.sources import DeclarationError, load_platform

    path = Path(platform.source_file)
    original = path.read_text(encoding="utf-8")
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 120
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(original)
    entry = CommentedMap([("id", doc_id), ("title", title), ("url", url), ("locale", locale), ("type", doc_type)])
    family = platform.family_for(url)
    if family is None:
        entry["js"] = False
    entry.yaml_set_start_comment(f"promoted from discovery on {now_iso()[:10]}: found on {found_on or 'a start page'}"
                                 + (f"; selectors from family {family.id!r}" if family else
                                    "; no page family matches: add select/remove"), indent=2)
    data["documents"].append(entry)
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    try:
        load_platform(path)
    except DeclarationError as exc:
        path.write_text(original, encoding="utf-8")
        raise PromoteError(f"the declaration would not validate, left unchanged: {exc}")
    return (f"promoted {url} to {platform.id}/{doc_id} ({doc_type}, {locale}) in {path}"
               + (f"; selectors from family {family.id!r}" if family else "; no page family: whole-page extraction"))

