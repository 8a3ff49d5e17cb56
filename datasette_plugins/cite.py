"""Cite check on the web: a form at ``/-/policykb/cite`` and a JSON API at ``/-/policykb/cite.json``.

Both answer from :func:`kb.cite.cite`, like ``policykb cite``; both are GET
only and read-only. Query parameters: ``q`` (the quote), ``platform``, ``url``,
``as_of`` (YYYY-MM-DD), ``stale_hours`` (default: twice the document's own check interval, 48 h at the default), ``limit``. The JSON is
``{"quote": ..., "answers": [...]}`` with the answers of ``policykb cite --json``
(permalinks absolute). Registered as its own plugin (entry point
``policykb_cite``), so its ``register_routes`` does not clash with the others'.

Quoted policy text is scraped, hence hostile: the template escapes it, and
the redline is built here from escaped pieces only.
"""

from __future__ import annotations

import html

from datasette import Response, hookimpl
from markupsafe import Markup

from kb.cite import CiteError, cite
from datasette_plugins.render import render_markdown

DB_NAME = "policykb"
METHODS = ("GET", "HEAD")


def _database(datasette):
    if DB_NAME in datasette.databases:
        return datasette.get_database(DB_NAME)
    return datasette.get_database()


def redline_html(ops) -> Markup:
    """A redline (``[{"op", "text"}]``) as HTML with ``<del>``/``<ins>``; every piece of text escaped."""
    out = []
    for op in ops or []:
        text = html.escape(op["text"])
        if op["op"] == "=":
            out.append(text)
        elif op["op"] == "-":
            out.append(f'<del class="pkb-del">{text}</del>')
        else:
            out.append(f'<ins class="pkb-ins">{text}</ins>')
    return Markup("".join(out))


def wording_html(markdown: str | None) -> Markup:
    """A wording (its ``*_markdown`` form: plain text but for its links) as HTML: the links stay links,
    sanitized like every scraped page (:func:`datasette_plugins.render.render_markdown`)."""
    return Markup(render_markdown(markdown or "")) if markdown else Markup("")


def _params(request) -> dict:
    args = request.args
    try:
        stale = float(args["stale_hours"]) if args.get("stale_hours") else None  # None: the document's own rule
        limit = int(args.get("limit") or 5)
    except ValueError:
        raise CiteError("stale_hours and limit must be numbers") from None
    return {"platform": args.get("platform") or None, "url": args.get("url") or None,
            "as_of": args.get("as_of") or None, "stale_hours": stale, "limit": max(1, min(limit, 25))}


async def _answers(datasette, request, absolute: bool):
    db = _database(datasette)
    quote = request.args.get("q") or ""
    params = _params(request)
    root = datasette.urls.path("/").rstrip("/")
    base = datasette.absolute_url(request, root + "/").rstrip("/") if absolute else root
    answers = await db.execute_fn(lambda conn: cite(conn, quote, base_url=base, **params))
    return db, quote, params, answers


def _method_not_allowed():
    return Response.text("Method not allowed: the cite check is read-only (GET)", status=405,
                         headers={"Allow": "GET, HEAD"})


async def cite_json(datasette, request):
    if request.method not in METHODS:
        return _method_not_allowed()
    if not (request.args.get("q") or "").strip():
        return Response.json({"error": "give the quote to check as ?q=..."}, status=400)
    try:
        _, quote, _, answers = await _answers(datasette, request, absolute=True)
    except CiteError as exc:
        return Response.json({"error": str(exc)}, status=400)
    return Response.json({"quote": quote, "answers": answers}, headers={"Cache-Control": "no-store"})


async def cite_page(datasette, request):
    if request.method not in METHODS:
        return _method_not_allowed()
    db = _database(datasette)
    quote, answers, error, params = request.args.get("q") or "", None, None, {}
    if quote.strip():
        try:
            db, quote, params, answers = await _answers(datasette, request, absolute=False)
        except CiteError as exc:
            error = str(exc)
    platforms = await db.execute_fn(
        lambda conn: [dict(zip(("id", "name", "name_zh"), r))
                      for r in conn.execute("select id, name, name_zh from platforms order by id")])
    for a in answers or []:
        a["redline_html"] = redline_html(a.get("redline"))
        for field in ("quoted_wording", "current_wording"):
            a[field + "_html"] = wording_html(a.get(field + "_markdown") or a.get(field))
        if a.get("closest"):
            a["closest"]["wording_html"] = wording_html(a["closest"].get("wording_markdown"))
            a["closest"]["redline_html"] = redline_html(a["closest"].get("redline"))
    return Response.html(await datasette.render_template(
        "cite.html",
        {"quote": quote, "answers": answers, "error": error, "platforms": platforms, "db_name": db.name,
         "args": {k: request.args.get(k) or "" for k in ("platform", "url", "as_of", "stale_hours")},
         "json_url": datasette.urls.path("/-/policykb/cite.json") + ("?" + request.query_string
                                                                       if request.query_string else "")},
        request=request), status=400 if error else 200)


@hookimpl
def register_routes():
    return [
        (r"^/-/policykb/cite\.json$", cite_json),
        (r"^/-/policykb/cite$", cite_page),
    ]
