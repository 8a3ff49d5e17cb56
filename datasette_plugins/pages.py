"""policykb's own pages on Datasette: overview, search, document, version, redline diff, Atom feeds.

Stable URLs (all under ``/-/policykb``):

==========================================  ==============================================
``/-/policykb``                             overview per platform, chart, document index
``/-/policykb/platform/<platform>``         the same for one platform
``/-/policykb/search?q=``                   search page; ``/-/policykb/search.json?q=`` the API
``/-/policykb/doc/<platform>/<doc>``        document: current text, dates, outline, versions
``/-/policykb/doc/<platform>/<doc>/v/<n>``  one version (a permalink to cite)
``/-/policykb/diff/<platform>/<doc>/<a>..<b>``  redline between any two versions
``/-/policykb/feed.atom``                   substantive changes; also ``/feed/<platform>.atom``
                                            and ``/feed/<platform>/<doc>.atom``; ``?concept=ID``: only
                                            the changes that touch a glossary concept
``/-/policykb/calendar.ics``                 effective dates (announced, recent) as iCalendar
``/-/policykb/brief``                        the policy brief, printable (``?since=&until=&lang=``)
``/-/policykb/briefs.atom``                  the weekly briefs
``/-/policykb/rules?concept=``              deadlines and thresholds of one concept, platforms side by side
``/-/policykb/citations``                   the watch list of saved citations, each with its state
==========================================  ==============================================

The handlers only fetch (through :mod:`kb.read` and :mod:`kb.search`, in
Datasette's read-only connections) and render; the HTML-producing logic is in
:mod:`datasette_plugins.render` and :mod:`datasette_plugins.charts`, where
everything scraped is sanitized or escaped. Labels are English and Chinese
side by side.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from datasette import Response, hookimpl
from datasette.utils.asgi import NotFound

from datasette_plugins import charts, feeds, labels, private
from datasette_plugins.render import diff_sections, render_markdown
from kb import read, timemodel
from kb.search import Filters, section_anchor
from pipeline.http import not_modified
from pipeline.timeutil import STALE_EXPLANATION
from kb.search import search as run_search

DB_NAME = "policykb"
SLUG = r"[a-z0-9][a-z0-9-]*"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: the label of an error page's title, by HTTP status (others: "error_page")
ERROR_TITLES = {400: "bad_request", 403: "forbidden", 404: "not_found"}


def _database(datasette):
    for name in datasette.databases:
        if name == DB_NAME:
            return datasette.get_database(name)
    return datasette.get_database()


async def _error(datasette, request, status: int, key: str | None, message: str = "", **values) -> Response:
    """An error page in the house style (``error.html``), in the page's language with the other beside it:
    the message is the label ``key`` (both languages), or ``message`` as given (already bilingual)."""
    lang = labels.language(request)
    title = ERROR_TITLES.get(status, "error_page")
    return Response.html(await datasette.render_template("error.html", {
        "status": status, "title": labels.bilingual(title, lang),
        "error": labels.bilingual(key, lang, **values) if key else message,
        "db_name": _database(datasette).name}, request=request), status=status)


def _arg_date(request, name):
    value = (request.args.get(name) or "").strip()
    return value if DATE_RE.match(value) else None


async def _render(datasette, request, template, context):
    db = _database(datasette)
    return Response.html(await datasette.render_template(
        template, {"db_name": db.name, "anchor": section_anchor, **context},
        request=request))


# --- overview -----------------------------------------------------------------------


async def overview_page(datasette, request):
    db = _database(datasette)
    platform = request.url_vars.get("platform")
    as_of = _arg_date(request, "as_of")

    def fetch(conn):
        now = read.reference_time(as_of)
        cut = read.iso(now) if as_of else None
        documents = [d for d in read.list_documents(conn, as_of) if not platform or d["platform_id"] == platform]
        return {
            "platforms": read.platform_overview(conn, now if as_of else None, platform, as_of=as_of),
            "documents": [d for d in documents if d["state"] != "not_tracked"],
            "not_tracked": [d for d in documents if d["state"] == "not_tracked"],
            "per_month": read.changes_per_month(conn, platform, until=cut),
            "now": read.iso(now),
            "latest_check": read.latest_check(conn, as_of),
            "platform_by_id": {p["id"]: p for p in read.list_platforms(conn)},
            "all_platforms": read.list_platforms(conn),
            "stale_explanation": STALE_EXPLANATION,
        }

    data = await db.execute_fn(fetch)
    if platform and not data["platforms"]:
        return await _error(datasette, request, 404, "no_platform", id=platform)
    chart = charts.heatmap(
        data["per_month"], data["platforms"], link=lambda p: datasette.urls.path(f"/-/policykb/platform/{p}"),
        title="Substantive changes per platform per month 各平台每月实质性变更")
    return await _render(datasette, request, "policykb_index.html", {
        **data, "platform": platform, "as_of": as_of, "chart_svg": chart})


# --- home ---------------------------------------------------------------------------


def _home_data(conn):
    """The home page's facts, from the overview's own read functions (kb.read: platform_overview)."""
    platforms = read.platform_overview(conn, recent=8)
    by_id = {p["id"]: p for p in platforms}
    recent = sorted((c for p in platforms for c in p["recent_changes"]),
                    key=lambda c: (c["detected_at"], c["id"]), reverse=True)[:8]
    upcoming = sorted((u for p in platforms for u in p["upcoming"]), key=lambda u: (u["effective_date"], u["document_id"]))
    attention = [a for p in platforms for a in p["attention"]]
    health = {problem: sum(1 for a in attention if a["problem"] == problem) for problem in ("stale", "failing", "gone")}
    health["total"] = sum(p["documents"] for p in platforms)
    for row in (*recent, *upcoming):
        row["platform"] = by_id.get(row["platform_id"])
    return {"platforms": platforms, "recent": recent, "upcoming": upcoming, "health": health,
            "latest_check": read.latest_check(conn)}


async def home_page(datasette, request):
    """``/``: what policykb is, search, the cite check, the glossary, recent changes, upcoming dates, health."""
    data = await _database(datasette).execute_fn(_home_data)
    response = await _render(datasette, request, "policykb_home.html", {
        **data, "switch": labels.switch_link(request, datasette.urls.path("/"))})
    return labels.remember(response, request)


async def datasette_index(datasette, request):
    """Datasette's own index of databases, moved from ``/`` (our home page) to ``/-/databases``."""
    from datasette.views.index import IndexView

    request.scope.setdefault("url_route", {}).setdefault("kwargs", {})["format"] = None
    return await IndexView(datasette).dispatch_request(request)


# --- search -------------------------------------------------------------------------


class BadParameter(ValueError):
    """A query-string value that cannot be used: one line, said like the command line says it."""


def _strict_date(request, name):
    """``?since=`` / ``?until=``: empty, or a real date, read and given back as ``policykb search --since`` does."""
    from pipeline.timeutil import iso, parse_when

    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        moment = parse_when(value)  # a time too: the whole of it must be valid
    except ValueError:
        raise BadParameter(f"{name} {value!r} is not a date: use YYYY-MM-DD (不是有效日期，请用 YYYY-MM-DD)") from None
    return moment.date().isoformat() if len(value) <= 10 else iso(moment)


def _search_params(request):
    """The search's query, filters, limit and offset (:class:`BadParameter` for an impossible date)."""
    args = request.args
    filters = Filters(
        platform=args.get("platform") or None, doc_type=args.get("type") or None, locale=args.get("locale") or None,
        since=_strict_date(request, "since"), until=_strict_date(request, "until"),
        current_only=args.get("current") in ("1", "on", "true", "yes"), document=args.get("document") or None)
    try:
        limit = max(1, min(int(args.get("limit") or 20), 200))
        offset = max(0, int(args.get("offset") or 0))
    except ValueError:
        limit, offset = 20, 0
    return (args.get("q") or "").strip(), filters, limit, offset


async def search_json(datasette, request):
    db = _database(datasette)
    try:
        query, filters, limit, offset = _search_params(request)
    except BadParameter as exc:
        return Response.json({"error": str(exc)}, status=400)
    result = await db.execute_fn(lambda conn: run_search(conn, query, filters, limit, offset))
    status = {"empty query": 400, None: 200, "no searchable term in the query": 200}.get(result.error, 503)
    return Response.json({
        "query": query, "hits": result.hits, "more": result.more, "offset": offset, "limit": limit,
        "method": result.method, "took_ms": result.took_ms, "error": result.error,
    }, status=status)


async def search_page(datasette, request):
    db = _database(datasette)
    try:
        query, filters, limit, offset = _search_params(request)
    except BadParameter as exc:
        return await _error(datasette, request, 400, None, str(exc))

    def fetch(conn):
        facets = {
            "platforms": read.list_platforms(conn),
            "types": [r[0] for r in conn.execute("select distinct doc_type from documents order by 1") if r[0]],
            "locales": [r[0] for r in conn.execute("select distinct locale from documents order by 1") if r[0]],
        }
        return facets, (run_search(conn, query, filters, limit, offset) if query else None)

    facets, result = await db.execute_fn(fetch)
    base = {k: request.args.get(k) for k in request.args.keys() if k != "offset"}
    next_url = (datasette.urls.path("/-/policykb/search") + "?" + urlencode({**base, "offset": offset + limit})
                if result and result.more else None)
    return await _render(datasette, request, "policykb_search.html", {
        "platform_by_id": {p["id"]: p for p in facets["platforms"]}, "q": query, "filters": filters, "result": result, "next_url": next_url, **facets})


# --- rule values ----------------------------------------------------------------------


async def rules_page(datasette, request):
    """One concept's deadlines, thresholds and point levels on every platform, side by side (:mod:`kb.rules`)."""
    from kb import rules

    db = _database(datasette)
    concept = (request.args.get("concept") or "").strip() or None

    def fetch(conn):
        topics = rules.topics(conn)
        names = {}
        try:
            names = {r[0]: (r[1], r[2]) for r in conn.execute("select id, label, label_zh from glossary_concepts")}
        except Exception:  # noqa: BLE001 - a KB without the glossary: topics keep their ids
            pass
        chosen = concept or (topics[0]["topic"] if topics else None)
        values = rules.current_values(conn, chosen) if chosen else []
        changes = rules.value_changes(conn, chosen) if chosen else []
        platforms = {p["id"]: p for p in read.list_platforms(conn)}
        return topics, names, chosen, values, changes, platforms

    topics, names, chosen, values, changes, platforms = await db.execute_fn(fetch)
    if concept and concept not in {t["topic"] for t in topics}:
        return await _error(datasette, request, 404, "unknown_concept", id=concept)
    by_platform = {}
    for v in values:
        by_platform.setdefault(v["platform_id"], []).append(v)
    lang = labels.language(request)

    def topic_name(topic):
        if topic in names:
            en, zh = names[topic]
            return f"{zh} {en}" if lang == "zh" else f"{en} {zh}"
        return labels.bilingual(f"subject_{topic}", lang)

    return labels.remember(await _render(datasette, request, "policykb_rules.html", {
        "topics": topics, "chosen": chosen, "topic_name": topic_name, "by_platform": by_platform,
        "changes": changes, "platforms": platforms, "switch": labels.switch_link(request, datasette.urls.path("/-/policykb/rules"), {"concept": chosen})}),
        request)


# --- documents and versions -----------------------------------------------------------


def _doc_id(request):
    return f"{request.url_vars['platform']}/{request.url_vars['document']}"


def _document_context(conn, doc_id, seq=None):
    doc = read.get_document(conn, doc_id)
    if doc is None:
        return None
    version = read.get_version(conn, doc_id, seq) if seq is not None else doc["current"]
    if seq is not None and version is None:
        return None
    sections = read.version_sections(conn, version) if version else []
    last_changed = read.section_last_changed(conn, doc_id, version["seq"] if version else None)
    times = {s["key"]: timemodel.section_time(conn, version, s["key"]) for s in sections} if version else {}
    return {"doc": doc, "version": version, "sections": sections, "last_changed": last_changed,
            "section_times": times, "date_labels": timemodel.DATE_LABELS}


def _timeline(datasette, doc):
    effective = []
    if doc["current"] and doc["current"].get("effective_date"):
        effective.append({"date": doc["current"]["effective_date"], "label": "stated effective 页面注明生效"})
    return charts.timeline(
        doc["versions"], doc["changes"], doc["checks"], effective,
        link=lambda a, b: datasette.urls.path(f"/-/policykb/diff/{doc['id']}/{a}..{b}"),
        title=f"History of {doc['title']} 变更时间线")


async def document_page(datasette, request):
    db = _database(datasette)
    doc_id = _doc_id(request)
    seq = request.url_vars.get("seq")
    context = await db.execute_fn(lambda conn: _document_context(conn, doc_id, int(seq) if seq else None))
    if context is None:
        return await (_error(datasette, request, 404, "no_version", id=doc_id, seq=seq) if seq
                      else _error(datasette, request, 404, "no_document", id=doc_id))
    rendered = [{**s, "html": render_markdown(s["text_markdown"])} for s in context["sections"]]
    return await _render(datasette, request, "policykb_document.html", {
        **context, "rendered": rendered, "is_current": seq is None or (
            context["doc"]["current"] and context["version"]["id"] == context["doc"]["current"]["id"]),
        "timeline_svg": _timeline(datasette, context["doc"])})


# --- diff ---------------------------------------------------------------------------


async def diff_page(datasette, request):
    db = _database(datasette)
    doc_id = _doc_id(request)
    try:
        a, b = int(request.url_vars["from"]), int(request.url_vars["to"])
    except ValueError:
        return await _error(datasette, request, 400, "versions_numbers")
    only_substantive = request.args.get("substantive") in ("1", "on", "true", "yes")

    def fetch(conn):
        doc = read.get_document(conn, doc_id)
        old, new = read.get_version(conn, doc_id, a), read.get_version(conn, doc_id, b)
        if doc is None or old is None or new is None:
            return None
        new_sections = read.version_sections(conn, new)
        return {"doc": doc, "old": old, "new": new, "old_sections": read.version_sections(conn, old),
                "new_sections": new_sections, "steps": read.changes_between(conn, doc_id, a, b),
                "section_times": {s["key"]: timemodel.section_time(conn, new, s["key"]) for s in new_sections},
                "document_time": timemodel.section_time(conn, new, None), "date_labels": timemodel.DATE_LABELS}

    data = await db.execute_fn(fetch)
    if data is None:
        return await _error(datasette, request, 404, "no_versions", id=doc_id, a=a, b=b)
    sections = diff_sections(data["old_sections"], data["new_sections"])
    kinds = sorted({s["kind"] or read.SUBSTANTIVE for s in data["steps"]})
    no_substantive_step = bool(data["steps"]) and read.SUBSTANTIVE not in kinds
    hidden = 0
    if only_substantive:
        keep = [s for s in sections if s.status not in ("cosmetic", "unchanged")] if not no_substantive_step else []
        hidden = sum(1 for s in sections if s.changed) - len(keep)
        sections = keep
    changed = [s for s in sections if s.changed]
    path = f"/-/policykb/diff/{doc_id}/{a}..{b}"
    return await _render(datasette, request, "policykb_diff.html", {
        **data, "sections": sections, "changed": changed, "kinds": kinds, "only_substantive": only_substantive,
        "no_substantive_step": no_substantive_step, "hidden": hidden, "permalink": path})


async def diff_redirect(datasette, request):
    """``/-/policykb/diff/<p>/<d>?from=1&to=3`` (the compare form) → the permalink ``.../1..3``."""
    try:
        a, b = int(request.args.get("from", "")), int(request.args.get("to", ""))
    except ValueError:
        return await _error(datasette, request, 400, "choose_versions")
    suffix = "?substantive=1" if request.args.get("substantive") else ""
    return Response.redirect(datasette.urls.path(f"/-/policykb/diff/{_doc_id(request)}/{a}..{b}") + suffix)


# --- feeds --------------------------------------------------------------------------


async def feed(datasette, request):
    """An Atom feed (:mod:`datasette_plugins.feeds`): all platforms, one platform, or one document."""
    db = _database(datasette)
    platform = request.url_vars.get("platform")
    document = request.url_vars.get("document")
    doc_id = f"{platform}/{document}" if document else None

    def fetch(conn):
        if doc_id:
            doc = read.get_document(conn, doc_id)
            if doc is None:
                return None
            label = f"{doc['platform_name']}: {doc['title']}"
        elif platform:
            rows = [p for p in read.list_platforms(conn) if p["id"] == platform]
            if not rows:
                return None
            label = labels.platform_name(rows[0], "zh") + (
                f" {rows[0]['name']}" if rows[0]["name_zh"] and rows[0]["name_zh"] != rows[0]["name"] else "")
        else:
            label = "all platforms 全部平台"
        concept = request.args.get("concept") or None
        if concept:  # an unknown concept gives an empty feed
            label += f" · {concept}"
        events = feeds.feed_events(conn, platform=platform, document=doc_id, concept=concept)
        return label, events, feeds.change_sections(conn, [e["id"] for e in events if e["kind"] == "change"])

    data = await db.execute_fn(fetch)
    if data is None:
        return await _error(datasette, request, 404, "no_feed")
    label, events, sections = data
    self_path = request.path[len(datasette.urls.path("/")) - 1:]  # without a base_url prefix
    if request.args.get("concept"):  # its own feed, with its own id
        self_path += "?" + urlencode({"concept": request.args["concept"]})
    config = datasette.plugin_config("policykb") or {}
    public = (config.get("public_url") or "").rstrip("/")

    def absolute(path):
        return datasette.absolute_url(request, datasette.urls.path(path))

    def ident(path):
        return public + path if public else absolute(path)

    body, updated = feeds.atom_feed(events, sections, absolute, ident, self_path,
                                    f"policykb — changes 政策变更: {label}", author=config.get("feed_author"))
    headers = feeds.validators(body, updated)
    if not_modified(request.headers, headers):
        return Response("", status=304, headers=headers)
    return Response(body, content_type="application/atom+xml; charset=utf-8", headers=headers)


# --- briefs and the calendar ----------------------------------------------------------


def _query(request) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(request.query_string or "", keep_blank_values=False)


def _scope_args(request) -> tuple[tuple[str, ...], str]:
    """(platforms, language) of a feed or calendar request: ``?platform=`` (repeatable), ``?hl=en`` (else
    Chinese: a subscription has no browser to ask)."""
    return tuple(request.args.getlist("platform")), "en" if request.args.get("hl") == "en" else "zh"


async def brief_page(datasette, request):
    """``/-/policykb/brief``: the policy brief (:mod:`kb.brief`) as a printable, read-only page: ``?since=``,
    ``?until=`` (YYYY-MM-DD), ``?platform=`` (repeatable), ``?concept=``. ``?lang=zh|en`` (as the CLI's
    ``--lang``) becomes ``?hl=``, the language of every page, so the page and its chrome agree."""
    from markupsafe import Markup

    from kb import brief

    query = _query(request)
    if request.args.get("lang") in labels.LANGUAGES and not request.args.get("hl"):
        args = [(k, v) for k, v in query if k != "lang"] + [("hl", request.args["lang"])]
        return Response.redirect(datasette.urls.path("/-/policykb/brief") + "?" + urlencode(args))
    lang = labels.language(request)
    platforms = tuple(request.args.getlist("platform"))
    base = datasette.urls.path("/").rstrip("/")

    def fetch(conn):
        known = {p["id"] for p in read.list_platforms(conn)}
        if set(platforms) - known:
            return None
        return brief.brief(conn, _arg_date(request, "since"), _arg_date(request, "until"), platforms,
                           request.args.get("concept") or None, base)

    data = await _database(datasette).execute_fn(fetch)
    if data is None:
        return await _error(datasette, request, 404, "no_platform", id=", ".join(platforms))
    switch = labels.switch_link(request, datasette.urls.path("/-/policykb/brief"), query)
    response = await _render(datasette, request, "policykb_brief.html", {
        "title": f"{labels.label('brief_title', lang)} {data['since']} – {data['until']}",
        "brief_html": Markup(brief.html_fragment(data, lang)), "since": data["since"], "until": data["until"],
        "lang": lang, "switch": switch})
    return labels.remember(response, request)


async def briefs_feed(datasette, request):
    """``/-/policykb/briefs.atom``: the weekly briefs of the latest weeks with a substantive change
    (:func:`datasette_plugins.feeds.briefs_atom`); ``?hl=en`` for English, ``?platform=`` narrows."""
    from kb import brief

    platforms, lang = _scope_args(request)
    base = absolute_base(datasette, request)
    briefs = await _database(datasette).execute_fn(lambda conn: [
        brief.brief(conn, a, b, platforms, None, base) for a, b in brief.weeks_with_changes(conn, platforms)])
    self_path = request.path[len(datasette.urls.path("/")) - 1:] + (
        "?" + urlencode(_query(request)) if request.query_string else "")
    config = datasette.plugin_config("policykb") or {}
    public = (config.get("public_url") or "").rstrip("/")

    def absolute(path):
        return datasette.absolute_url(request, datasette.urls.path(path))

    body, updated = feeds.briefs_atom(briefs, lang, absolute, lambda path: public + path if public else absolute(path),
                                      self_path, labels.bilingual("brief_feed", lang), author=config.get("feed_author"))
    headers = feeds.validators(body, updated)
    if not_modified(request.headers, headers):
        return Response("", status=304, headers=headers)
    return Response(body, content_type="application/atom+xml; charset=utf-8", headers=headers)


def absolute_base(datasette, request) -> str:
    """The deployment's public URL (``public_url`` in the plugin config), else the one the request came to."""
    config = datasette.plugin_config("policykb") or {}
    return (config.get("public_url") or datasette.absolute_url(request, datasette.urls.path("/"))).rstrip("/")


async def calendar_ics(datasette, request):
    """``/-/policykb/calendar.ics``: the effective dates as an iCalendar (:mod:`kb.calendar`); ``?platform=``
    (repeatable) narrows it, ``?hl=en`` writes its text in English (Chinese by default)."""
    from kb import calendar

    platforms, lang = _scope_args(request)
    base = absolute_base(datasette, request)
    events = await _database(datasette).execute_fn(
        lambda conn: calendar.effective_events(conn, platforms, base_url=base))
    body = calendar.ics(events, lang)
    headers = feeds.validators(body, max((e["first_seen"] for e in events), default=feeds.EPOCH))
    if not_modified(request.headers, headers):
        return Response("", status=304, headers=headers)
    return Response(body, content_type="text/calendar; charset=utf-8", headers=headers)


# --- citations ----------------------------------------------------------------------


async def citations_page(datasette, request):
    """``/-/policykb/citations``: the saved citations (:mod:`kb.cite.watchlist`) with their state; read-only
    (they are added with ``policykb citations add``)."""
    from kb.cite.watchlist import list_citations

    if not private.is_private(datasette):  # a consultant's clients are never published (datasette_plugins.private)
        raise NotFound("Not found: the watch list is served only by a private instance (policykb serve --private) "
                       "引用监控仅在私有实例中提供")
    if request.method not in ("GET", "HEAD"):
        return Response.text("Method not allowed: the list of citations is read-only (GET); add them with "
                             "`policykb citations add` 只读页面", status=405, headers={"Allow": "GET, HEAD"})

    def fetch(conn):
        rows = list_citations(conn)
        for row in rows:
            row["new_effective"] = bool(row["state"] in ("current", "moved") and row["now_effective_date"]
                                        and row["now_effective_date"] != row["effective_date"])
        return rows

    rows = await _database(datasette).execute_fn(fetch)
    response = await _render(datasette, request, "citations.html", {
        "rows": rows, "switch": labels.switch_link(request, datasette.urls.path("/-/policykb/citations"))})
    return labels.remember(response, request)


@hookimpl
def register_routes():
    doc = rf"(?P<platform>{SLUG})/(?P<document>{SLUG})"
    return [
        (r"^/$", home_page),
        (r"^/-/databases$", datasette_index),
        (r"^/-/policykb$", overview_page),
        (rf"^/-/policykb/platform/(?P<platform>{SLUG})$", overview_page),
        (r"^/-/policykb/search$", search_page),
        (r"^/-/policykb/rules$", rules_page),
        (r"^/-/policykb/search\.json$", search_json),
        (rf"^/-/policykb/doc/{doc}$", document_page),
        (rf"^/-/policykb/doc/{doc}/v/(?P<seq>\d+)$", document_page),
        (rf"^/-/policykb/diff/{doc}/(?P<from>\d+)\.\.(?P<to>\d+)$", diff_page),
        (rf"^/-/policykb/diff/{doc}$", diff_redirect),
        (r"^/-/policykb/citations$", citations_page),
        (r"^/-/policykb/feed\.atom$", feed),
        (rf"^/-/policykb/feed/(?P<platform>{SLUG})\.atom$", feed),
        (rf"^/-/policykb/feed/{doc}\.atom$", feed),
        (r"^/-/policykb/calendar\.ics$", calendar_ics),
        (r"^/-/policykb/brief$", brief_page),
        (r"^/-/policykb/briefs\.atom$", briefs_feed),
    ]



@hookimpl
def handle_exception(datasette, request, exception):
    """Datasette's own 400/403/404 pages (a table or database that does not exist...) in the house style,
    titled in the page's language with the other beside it; JSON requests and 500s keep Datasette's handler."""
    from datasette.utils.asgi import Base400

    if not isinstance(exception, Base400) or request.path.split("?")[0].endswith(".json"):
        return None

    async def inner():
        lang = labels.language(request)
        title = ERROR_TITLES.get(exception.status, "error_page")
        return Response.html(await datasette.render_template("error.html", {
            "status": exception.status, "title": labels.bilingual(title, lang), "error": str(exception.args[0]),
            "db_name": DB_NAME}, request=request), status=exception.status)

    return inner


@hookimpl
def extra_template_vars(request, datasette):
    """Every template gets the page's language and the one table of labels (:mod:`datasette_plugins.labels`),
    and ``pkb_private``: this instance serves the watch list of citations (:mod:`datasette_plugins.private`)."""
    return labels.jinja_helpers(labels.language(request)) | {"pkb_private": private.is_private(datasette)}


@hookimpl
def render_cell(value, column, datasette):
    """Link the ``page_url`` / ``diff_url`` columns of our canned queries to our pages."""
    if column in ("page_url", "diff_url") and isinstance(value, str) and value.startswith("/-/policykb/"):
        from markupsafe import Markup, escape

        return Markup(f'<a href="{escape(datasette.urls.path(value))}">{escape(value)}</a>')
    return None
