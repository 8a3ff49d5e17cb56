"""``policykb sources ...``: list, check, import from Open Terms Archive, discovered pages, promote.

The ``sources`` group is defined in :mod:`kb.cli`; its commands live here.
Discovery and promotion are in :mod:`kb.discovery`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb.cli import sources
from kb.cli.options import (data_option, did_you_mean, fail, load_declarations, load_or_exit, locale_option,
                            platform_option, sources_option, time_option, type_option)


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


def provenance(doc) -> str:
    """``verified url+select 2026-12-06`` (what was checked, the latest date), or ``unverified``."""
    if not doc.verified:
        return "unverified"
    checked = [c for c in ("url", "select", "remove", "js") if doc.verified_for(c)]
    return f"verified {'+'.join(checked)} {max(v.date for v in doc.verified)}"


def coverage_table(platforms) -> str:
    """Document types × platforms; each cell the number of documents; then how many documents' URL and
    selectors were verified against the real page (their ``verified`` provenance), and every platform's
    locales."""
    types, ids, cells = coverage(platforms)
    width = max([len(t) for t in types] + [13])
    cols = [max(len(i), 3) for i in ids]
    lines = ["coverage: documents per type (rows) and platform (columns)",
             f"{'type':<{width}}  " + "  ".join(f"{i:>{w}}" for i, w in zip(ids, cols))]
    for t in types:
        row = [str(len(cells[(t, i)])) if (t, i) in cells else "·" for i in ids]
        lines.append(f"{t:<{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(row, cols)))
    for label, what in (("verified url", "url"), ("verified css", "select")):
        row = [str(sum(1 for d in p.documents if d.verified_for(what))) for p in platforms]
        lines.append(f"{label:<{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(row, cols)))
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

    Each document says where its URL and selectors were verified (``verified
    url+select DATE``) or ``unverified``; the table counts verified documents.

    Example: policykb sources list --json
    """
    platforms = load_or_exit(sources_dir)
    if as_json:
        out = {"platforms": [
            {"platform": p.id, "documents": [
                {"id": d.id, "title": d.title, "url": d.url, "locale": d.locale, "type": d.type, "js": d.js,
                 "verified": [{"source": v.source, "date": v.date, "checked": list(v.checked)} for v in d.verified]}
                for d in p.documents]}
            for p in platforms]}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for p in platforms:
        click.echo(f"{p.id} ({p.name}): {len(p.documents)} documents")
        for d in p.documents:
            js = " js" if d.js else ""
            click.echo(f"  {d.id:<36} {d.type:<22} {d.locale:<6}{js:<3} {d.url}")
            click.echo(f"  {'':<36} {provenance(d)}" + (f" ({d.verified[-1].source})" if d.verified else ""))
    click.echo()
    click.echo(coverage_table(platforms))
    docs = [d for p in platforms for d in p.documents]
    click.echo(f"{len(platforms)} platforms, {len(docs)} documents "
               f"({sum(1 for d in docs if d.verified_for('url'))} with a verified URL)")


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
            snapshots = [f for _, f in directory.snapshots(parts.hostname or "", parts.path, parts.query)
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
              help="Also extract every declared page saved in this replay site folder with its selectors "
                   "(pages rendered by scripts need --live).")
@click.option("--live", is_flag=True,
              help="Fetch every declared URL once through the real spider (JavaScript pages in the browser) and "
                   "report per document: matched, fallback, redirected, blocked, wrong locale, layout changed, "
                   "empty, gone or failed.")
@click.option("--platform", "platforms", multiple=True, help="With --live: only this platform (repeatable).")
@click.option("--replay", default=None, help="With --live: fetch through this replay server instead of the sites.")
@click.option("--report", "report_file", default=None, type=click.Path(dir_okay=False),
              help="With --live: write the JSON report to this file.")
@click.option("--json", "as_json", is_flag=True, help="With --live: print the JSON report.")
@click.option("--setting", "-s", "settings", multiple=True, metavar="NAME=VALUE",
              help="With --live: extra Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=5.")
def sources_check(sources_dir, site, live, platforms, replay, report_file, as_json, settings):
    """Validate every declaration; exit 2 with one line per error.

    With --live, also fetch every declared URL once, politely (robots.txt, delays
    and the User-Agent of a crawl), and say for each document what its
    declaration gives on the real page; exit 1 when any document does not give
    its text from its own URL with its own selectors.

    Example: policykb sources check --site replay/sites/platforms
    Example: policykb sources check --live --platform temu --report temu-check.json
    """
    if not live and (platforms or replay or report_file or as_json or settings):
        fail("--platform, --replay, --report, --json and --setting go with --live (只能与 --live 一起使用)")
    platforms_loaded = load_or_exit(sources_dir)
    for unknown in [p for p in platforms if p not in {d.id for d in platforms_loaded}]:
        did_you_mean("--platform", unknown, "a declared platform", sorted(d.id for d in platforms_loaded))
    for setting in settings:
        if "=" not in setting:
            fail(f"--setting {setting!r} is not NAME=VALUE (应为 NAME=VALUE)")
    problems = check_platforms(platforms_loaded, site)
    for line in problems:
        click.echo(f"error: {line}", err=True)
    if problems:
        sys.exit(2)
    js = sum(1 for p in platforms_loaded for d in p.documents if d.js)
    summary = (f"ok: {len(platforms_loaded)} platforms, {sum(len(p.documents) for p in platforms_loaded)} documents "
               f"({js} rendered with JavaScript), {sum(len(p.families) for p in platforms_loaded)} page families, "
               f"{sum(1 for p in platforms_loaded if p.discovery)} with discovery")
    if site and js:
        summary += f"; {js} rendered documents not extracted from the site folder (use --live)"
    if not live:
        click.echo(summary)
        return
    click.echo(summary, err=True)
    _check_live(sources_dir, platforms_loaded, platforms, replay, report_file, as_json, settings)


def _check_live(sources_dir, loaded, platforms, replay, report_file, as_json, settings):
    """``sources check --live``: one real crawl of the declared documents into a scratch folder, then each
    document's fetch through :func:`pipeline.livecheck.live_status`."""
    import tempfile

    from pipeline import archive, livecheck
    from pipeline.sources import DEFAULT_SOURCES
    from pipeline.timeutil import now_iso
    from spiders.launch import run_crawl

    docs = [d for p in loaded if not platforms or p.id in platforms for d in p.documents]
    checked_at = now_iso()
    with tempfile.TemporaryDirectory(prefix="policykb-check-") as scratch:
        # naming every document turns discovery off: each declared URL is fetched once, nothing else
        code = run_crawl(scratch, sources_dir or DEFAULT_SOURCES, documents=[d.key for d in docs], replay=replay,
                         log_level="ERROR", settings=settings)
        if code >= 128:
            fail(f"the crawl was interrupted (exit {code}) (抓取被中断)", code=1)
        latest = {}
        for record in archive.iter_records(scratch):
            latest[record.document] = record
        rows = [livecheck.live_status(latest[d.key], d) if d.key in latest else livecheck.not_fetched(d)
                for d in docs]
    report = livecheck.report(rows, checked_at)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if report_file:
        Path(report_file).write_text(text + "\n", encoding="utf-8")
    if as_json:
        click.echo(text)
    else:
        for row in rows:
            detail = f"selector {row['selector']!r}" if row["status"] == "matched" else (row["reason"] or "")
            click.echo(f"{row['status']:<15} {row['document']:<48} {detail}")
        click.echo(", ".join(f"{n} {status}" for status, n in report["counts"].items()))
    good = {"matched", "fallback"}
    sys.exit(0 if all(r["status"] in good for r in rows) else 1)


# -- try a saved page ----------------------------------------------------------------------------

#: Content types of saved pages, by file name suffix (anything else: sniffed from the bytes)
SAVED_TYPES = {".html": "text/html", ".htm": "text/html", ".xhtml": "application/xhtml+xml",
               ".pdf": "application/pdf", ".txt": "text/plain"}


@sources.command("try")
@click.argument("document_id", metavar="PLATFORM/DOCUMENT")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@sources_option
@time_option("--at", help="Use the rules the declaration had at this time (its history); default: the current ones.")
@click.option("--url", default=None, help="The URL the page was served from, if not the declared one (a redirect).")
@click.option("--json", "as_json", is_flag=True,
              help='Print JSON: {"ok", "reason", "title", "markdown", "selector"}.')
def sources_try(document_id, file, sources_dir, at, url, as_json):
    """Extract a saved page with a document's declaration: the text, or why it fails.

    The page goes through the build's own decision (login and robot pages,
    selectors tried in order, normalization rules, locale), as a check would.
    For a `js: true` document, save the page as the browser rendered it.
    Exit 0 with the text; exit 1 with the reason (layout changed, empty,
    wrong language, a login page, an unreadable PDF, ...).

    Example: policykb sources try amazon/us-conditions-of-use saved.html --json
    """
    from pipeline.decide import try_page
    from pipeline.sources import documents_by_key

    documents = documents_by_key(load_or_exit(sources_dir))
    declared = documents.get(document_id)
    if declared is None:
        did_you_mean("PLATFORM/DOCUMENT", document_id, "a declared document", sorted(documents))
    path = Path(file)
    result = try_page(path.read_bytes(), SAVED_TYPES.get(path.suffix.lower()), declared, at=at, url=url)
    ok = result.outcome == "new_version"
    if as_json:
        click.echo(json.dumps({"ok": ok, "reason": None if ok else result.reason, "title": result.title,
                               "markdown": result.text if ok else None, "selector": result.selector},
                              ensure_ascii=False, indent=2))
    elif ok:
        matched = f"selector {result.selector!r} matched" if result.selector else "no selector: main content"
        click.echo(f"ok: {document_id}: {matched}; title: {result.title or '(none)'}", err=True)
        click.echo(result.text)
    else:
        click.echo(f"failed: {document_id}: {result.reason} (提取失败)", err=True)
    sys.exit(0 if ok else 1)


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


@sources.command("discovered")
@data_option
@click.option("--all", "show_all", is_flag=True, help="Also show tracked and unreachable pages.")
@platform_option(help="Only this platform.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows.")
def sources_discovered(data_dir, show_all, platform, as_json):
    """List policy pages that discovery found and no declaration tracks yet.

    Each row: its id (for `promote`), platform, suggested type, URL, title and
    the page it was found on. Run `policykb build` after a crawl first.

    Example: policykb sources discovered --platform amazon
    """
    from kb.db import open_db

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


@sources.command("promote")
@click.argument("discovered_id", type=int)
@data_option
@sources_option
@click.option("--id", "doc_id", default=None, help="Document id (slug); default: from the title or URL.")
@type_option(help="Document type; default: the suggested type.")
@click.option("--title", default=None, help="Title; default: the page's title.")
@locale_option(help="Locale (BCP 47); default: the platform's most common locale.")
def sources_promote(discovered_id, data_dir, sources_dir, doc_id, doc_type, title, locale):
    """Track a discovered page: add it to its platform's declaration file.

    It is appended to the ``documents`` of ``<platform>.yml`` (comments and
    layout kept) and inherits the selectors of the page family its URL
    matches. The next crawl fetches it.

    Example: policykb sources promote 12 --type fees
    """
    from kb.discovery import PromoteError, promote

    try:
        message = promote(data_dir, discovered_id, load_declarations(data_dir, sources_dir), doc_id=doc_id,
                          doc_type=doc_type, title=title, locale=locale)
    except PromoteError as exc:
        fail(str(exc))
    click.echo(message)
