"""``policykb sources ...``: list, check, import from Open Terms Archive, discovered pages, promote.

The ``sources`` group is defined in :mod:`kb.cli`; its commands live here.
``after_build`` turns the discovery records of new WARC files into the
``discovered_documents`` table after every build.

Promotion writes the page into the platform's own declaration file, at the
end of its ``documents`` list (comments and layout of the file are kept,
with ruamel.yaml's round trip), so a promoted page is an ordinary declared
document from then on: it inherits its page family's selectors, and the
next crawl fetches it.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from kb.cli import data_option, load_or_exit, resolve_sources, sources, sources_option


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- list / check ---------------------------------------------------------------------------------

def coverage(platforms) -> tuple[list[str], list[str], dict]:
    """The coverage cube: ``(types, platform ids, {(type, platform): [locales]})``."""
    from pipeline.sources import DOCUMENT_TYPES

    cells: dict = {}
    for p in platforms:
        for d in p.documents:
            cells.setdefault((d.type, p.id), []).append(d.locale)
    types = [t for t in DOCUMENT_TYPES if any(k[0] == t for k in cells)]
    return types, [p.id for p in platforms], cells


def coverage_table(platforms) -> str:
    """Document types × platforms; each cell the number of documents, then every platform's locales."""
    types, ids, cells = coverage(platforms)
    width = max([len(t) for t in types] + [13])
    cols = [max(len(i), 3) for i in ids]
    lines = ["coverage: documents per type (rows) and platform (columns)",
             f"{'type':<{width}}  " + "  ".join(f"{i:>{w}}" for i, w in zip(ids, cols))]
    for t in types:
        row = [str(len(cells[(t, i)])) if (t, i) in cells else "·" for i in ids]
        lines.append(f"{t:<{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(row, cols)))
    lines.append("locales:")
    for p in platforms:
        locales = sorted({d.locale for d in p.documents})
        lines.append(f"  {p.id:<{width}}{', '.join(locales)}")
    return "\n".join(lines)


@sources.command("list")
@sources_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {\"platforms\": [{\"platform\", \"documents\"}]}.")
def sources_list(sources_dir, as_json):
    """List declared platforms and documents, with the coverage table (type × platform × locale).

    Example: policykb sources list --json
    """
    platforms = load_or_exit(sources_dir)
    if as_json:
        out = {"platforms": [
            {"platform": p.id, "documents": [
                {"id": d.id, "title": d.title, "url": d.url, "locale": d.locale, "type": d.type, "js": d.js}
                for d in p.documents]}
            for p in platforms]}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for p in platforms:
        click.echo(f"{p.id} ({p.name}): {len(p.documents)} documents")
        for d in p.documents:
            js = " js" if d.js else ""
            click.echo(f"  {d.id:<36} {d.type:<22} {d.locale:<6}{js:<3} {d.url}")
    click.echo()
    click.echo(coverage_table(platforms))
    click.echo(f"{len(platforms)} platforms, {sum(len(p.documents) for p in platforms)} documents")


def check_platforms(platforms, site=None) -> list[str]:
    """Problems beyond what loading validates: one line each (empty when all is well).

    * the same URL declared twice;
    * a discovery start page outside the platform's domains;
    * with ``site`` (a replay site folder): a declared page saved there whose
      selectors extract nothing (the reason extraction gives).
    """
    problems, seen = [], {}
    for p in platforms:
        for d in p.documents:
            other = seen.get(d.url)
            if other:
                problems.append(f"{p.source_file}: document {d.id!r}: field 'url': also declared as {other}")
            seen[d.url] = d.key
        if p.discovery:
            for url in p.discovery.start:
                if not p.on_domain(url):
                    problems.append(f"{p.source_file}: field 'discovery.start': {url} is outside the domains")
    if site:
        problems.extend(_check_against_site(platforms, site))
    return problems


def _check_against_site(platforms, site):
    from urllib.parse import urlsplit

    from pipeline.extract import ExtractionError, extract
    from replay.server import DirectorySite

    directory = DirectorySite(site)
    problems = []
    for p in platforms:
        for d in p.documents:
            parts = urlsplit(d.url)
            snapshots = [f for _, f in directory.snapshots(parts.hostname or "", parts.path)
                         if f.suffix in (".html", ".htm", ".pdf")]
            if not snapshots or d.js:
                continue  # no saved page (or one that needs its scripts run: the crawl tests check those)
            body = snapshots[-1].read_bytes()
            ctype = "application/pdf" if snapshots[-1].suffix == ".pdf" else None
            headers = snapshots[-1].with_name(snapshots[-1].name + ".headers")
            if headers.exists():
                from replay.server import read_headers_file

                ctype = read_headers_file(headers).get("Content-Type", ctype)
            try:
                extract(body, ctype, d.select, d.remove)
            except ExtractionError as exc:
                problems.append(f"{p.source_file}: document {d.id!r}: {snapshots[-1]}: {exc.reason}")
    return problems


@sources.command("check")
@sources_option
@click.option("--site", default=None, type=click.Path(exists=True, file_okay=False),
              help="Also extract every declared page saved in this replay site folder with its selectors.")
def sources_check(sources_dir, site):
    """Validate every declaration; exit 2 with one line per error.

    Example: policykb sources check --site replay/sites/platforms
    """
    platforms = load_or_exit(sources_dir)
    problems = check_platforms(platforms, site)
    for line in problems:
        click.echo(f"error: {line}", err=True)
    if problems:
        sys.exit(2)
    js = sum(1 for p in platforms for d in p.documents if d.js)
    click.echo(f"ok: {len(platforms)} platforms, {sum(len(p.documents) for p in platforms)} documents "
               f"({js} rendered with JavaScript), {sum(len(p.families) for p in platforms)} page families, "
               f"{sum(1 for p in platforms if p.discovery)} with discovery")


# -- Open Terms Archive ---------------------------------------------------------------------------

@sources.command("import-ota")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Write <platform>.yml into this folder (default: print the YAML).")
@click.option("--force", is_flag=True, help="Overwrite an existing <platform>.yml in --out.")
def import_ota(files, out_dir, force):
    """Turn Open Terms Archive declarations (<Service>.json) into policykb declarations.

    Prints one line per OTA document: imported (with notes) or not imported
    (with the reason), then a count. Exit 1 when nothing could be imported.

    Example: policykb sources import-ota ../shared/ota-declarations/eBay.json --out spiders/sources/ota
    """
    from pipeline.ota import OTAError, convert_file, to_yaml
    from pipeline.sources import DeclarationError, load_platform

    imported = skipped = 0
    for file in files:
        try:
            conversion = convert_file(file)
        except OTAError as exc:
            click.echo(f"error: {exc}", err=True)
            skipped += 1
            continue
        for o in conversion.outcomes:
            if o.status == "imported":
                imported += 1
                click.echo(f"imported: {conversion.platform}: {o.terms_type} → {', '.join(o.documents)}", err=True)
                for warning in o.warnings:
                    click.echo(f"  note: {warning}", err=True)
            else:
                skipped += 1
                click.echo(f"not imported: {conversion.platform}: {o.terms_type}: {o.reason}", err=True)
        if not conversion.data["documents"]:
            continue
        text = to_yaml(conversion, Path(file).name)
        if out_dir is None:
            click.echo(text)
            continue
        target = Path(out_dir) / f"{conversion.platform}.yml"
        if target.exists() and not force:
            click.echo(f"error: {target} exists (use --force to overwrite)", err=True)
            sys.exit(2)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        try:
            load_platform(target)
        except DeclarationError as exc:  # should not happen: say so rather than leave a bad file quietly
            click.echo(f"error: the written declaration does not validate: {exc}", err=True)
            sys.exit(2)
        click.echo(f"wrote {target}", err=True)
    click.echo(f"{imported} documents imported, {skipped} not imported", err=True)
    sys.exit(0 if imported else 1)


# -- discovery ------------------------------------------------------------------------------------

def ingest_discovery(db, data_dir) -> int:
    """Read the discovery records of WARC files not read yet into ``discovered_documents``.

    :returns: the number of records read
    """
    from warcio.archiveiterator import ArchiveIterator

    from pipeline.archive import warc_dir
    from pipeline.sources import suggest_type
    from spiders.pipelines import DISCOVERY_HEADER, DISCOVERY_PREFIX

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
                seen = rec.rec_headers.get_header("PolicyKB-Observed-At") or page.get("observed_at") or _now()
                db["platforms"].insert({"id": platform, "name": platform}, pk="id", ignore=True)
                if page.get("kind") == "document":
                    _upsert(db, platform, page["url"], seen, title=page.get("title"), depth=page.get("depth"),
                            found_on=page.get("found_on"), status_code=page.get("status"),
                            reason=page.get("error"), fetched=True)
                for link in page.get("links") or []:
                    if link.get("kind") in ("document", "tracked"):
                        _upsert(db, platform, link["url"], seen, link_text=link.get("text"), found_on=page["url"],
                                depth=(page.get("depth") or 0) + 1)
                count += 1
            db["discovery_files"].insert({"name": path.name, "records": count, "ingested_at": _now()}, pk="name",
                                         replace=True)
        total += count
    _refresh_status(db, suggest_type)
    return total


def _upsert(db, platform, url, seen, fetched=False, **fields):
    row = db.execute("select id, first_seen, times_seen, found_on, title, link_text, depth from discovered_documents"
                     " where url = ?", [url]).fetchone()
    if row is None:
        values = {k: v for k, v in fields.items() if v is not None}
        db["discovered_documents"].insert(
            {"platform_id": platform, "url": url, "first_seen": seen, "last_seen": seen, "times_seen": 1, **values})
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
    db["discovered_documents"].update(row[0], update)


def _refresh_status(db, suggest_type):
    """tracked (a declared document's URL) / unreachable (its fetch failed) / new; and a suggested type."""
    from spiders.discovery import canonical_url

    declared = {}
    for doc_id, url in db.execute("select id, url from documents"):
        declared[canonical_url(url)] = doc_id
    with db.atomic():
        for row_id, url, code, reason, title, text in db.execute(
                "select id, url, status_code, reason, title, link_text from discovered_documents").fetchall():
            document = declared.get(url)
            if document:
                status = "tracked"
            elif reason or (code is not None and code != 200):
                status = "unreachable"
            else:
                status = "new"
            db["discovered_documents"].update(row_id, {"status": status, "document_id": document,
                                                       "suggested_type": suggest_type(title, text, url)})


def after_build(db, data_dir):
    """After every build: read new discovery records (and re-mark tracked pages)."""
    ingest_discovery(db, data_dir)


@sources.command("discovered")
@data_option
@click.option("--all", "show_all", is_flag=True, help="Also show tracked and unreachable pages.")
@click.option("--platform", default=None, help="Only this platform.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows.")
def sources_discovered(data_dir, show_all, platform, as_json):
    """List policy pages that discovery found and no declaration tracks yet.

    Each row: its id (for `promote`), platform, suggested type, URL, title and
    the page it was found on. Run `policykb build` after a crawl first.

    Example: policykb sources discovered --platform amazon
    """
    from kb.db import kb_path, open_db

    if not kb_path(data_dir).exists():
        click.echo(f"error: no KB at {kb_path(data_dir)}; run `policykb crawl` and `policykb build` first", err=True)
        sys.exit(2)
    db = open_db(data_dir)
    where, params = [], []
    if not show_all:
        where.append("status = 'new'")
    if platform:
        where.append("platform_id = ?")
        params.append(platform)
    sql = ("select id, platform_id, status, suggested_type, url, title, link_text, found_on, first_seen, last_seen,"
           " status_code, reason, document_id from discovered_documents"
           + (" where " + " and ".join(where) if where else "") + " order by platform_id, url")
    rows = [dict(zip([c[0] for c in cur.description], r)) for cur in [db.execute(sql, params)] for r in cur]
    db.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        label = r["title"] or r["link_text"] or ""
        extra = f" [{r['status']}{': ' + r['reason'] if r['reason'] else ''}]" if show_all else ""
        click.echo(f"{r['id']:>4}  {r['platform_id']:<14} {r['suggested_type'] or '?':<22} {r['url']}{extra}")
        click.echo(f"      {label[:90]}  (found on {r['found_on'] or 'a start page'})")
    click.echo(f"{len(rows)} {'pages' if show_all else 'new policy pages'}")


def _slug(text):
    import re

    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:60]


@sources.command("promote")
@click.argument("discovered_id", type=int)
@data_option
@sources_option
@click.option("--id", "doc_id", default=None, help="Document id (slug); default: from the title or URL.")
@click.option("--type", "doc_type", default=None, help="Document type; default: the suggested type.")
@click.option("--title", default=None, help="Title; default: the page's title.")
@click.option("--locale", default=None, help="Locale (BCP 47); default: the platform's most common locale.")
def sources_promote(discovered_id, data_dir, sources_dir, doc_id, doc_type, title, locale):
    """Track a discovered page: add it to its platform's declaration file.

    It is appended to the ``documents`` of ``<platform>.yml`` (comments and
    layout kept) and inherits the selectors of the page family its URL
    matches. The next crawl fetches it.

    Example: policykb sources promote 12 --type fees
    """
    from collections import Counter

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    from kb.db import kb_path, open_db
    from pipeline.sources import DOCUMENT_TYPES, DeclarationError, load_platform

    if not kb_path(data_dir).exists():
        click.echo(f"error: no KB at {kb_path(data_dir)}", err=True)
        sys.exit(2)
    db = open_db(data_dir)
    row = db.execute("select platform_id, url, title, link_text, status, suggested_type, found_on, document_id"
                     " from discovered_documents where id = ?", [discovered_id]).fetchone()
    db.close()
    if row is None:
        click.echo(f"error: no discovered page {discovered_id} (see `policykb sources discovered`)", err=True)
        sys.exit(2)
    platform_id, url, page_title, link_text, status, suggested, found_on, tracked_as = row
    if status == "tracked":
        click.echo(f"error: {url} is already tracked as {tracked_as}", err=True)
        sys.exit(2)
    platforms = load_or_exit(resolve_sources(data_dir, sources_dir))
    platform = next((p for p in platforms if p.id == platform_id), None)
    if platform is None:
        click.echo(f"error: no declaration for platform {platform_id!r} in the sources folder", err=True)
        sys.exit(2)
    doc_type = doc_type or suggested
    if doc_type not in DOCUMENT_TYPES:
        click.echo(f"error: give --type (one of: {', '.join(DOCUMENT_TYPES)}); no type could be suggested"
                   if not doc_type else f"error: {doc_type!r} is not a document type", err=True)
        sys.exit(2)
    title = title or page_title or link_text or url
    doc_id = doc_id or _slug(title) or _slug(url)
    existing = {d.id for d in platform.documents}
    base, n = doc_id, 2
    while doc_id in existing:
        doc_id, n = f"{base}-{n}", n + 1
    locale = locale or Counter(d.locale for d in platform.documents).most_common(1)[0][0]

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
    entry.yaml_set_start_comment(f"promoted from discovery on {_now()[:10]}: found on {found_on or 'a start page'}"
                                 + (f"; selectors from family {family.id!r}" if family else
                                    "; no page family matches: add select/remove"), indent=2)
    data["documents"].append(entry)
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    try:
        load_platform(path)
    except DeclarationError as exc:
        path.write_text(original, encoding="utf-8")
        click.echo(f"error: the declaration would not validate, left unchanged: {exc}", err=True)
        sys.exit(2)
    click.echo(f"promoted {url} to {platform_id}/{doc_id} ({doc_type}, {locale}) in {path}"
               + (f"; selectors from family {family.id!r}" if family else "; no page family: whole-page extraction"))
