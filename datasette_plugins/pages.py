"""Document index, document page and redline diff, as Datasette routes.

Everything scraped from a platform is hostile: Markdown is rendered to HTML
and then cleaned by ``nh3`` (the Ammonia sanitizer) before it reaches a page,
and diff text is HTML-escaped. The logic is in plain functions
(:func:`render_markdown`, :func:`redline`) that tests call directly.
"""

from __future__ import annotations

import html

import markdown as markdown_lib
import nh3
from datasette import Response, hookimpl

from kb import read
from pipeline.diff import diff_ops

DB_NAME = "policykb"
ALLOWED_TAGS = {
    "a", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "b", "i", "u",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "sup", "sub",
}


def render_markdown(text: str) -> str:
    """Markdown from a scraped page → sanitized HTML (no scripts, handlers, or javascript:/data: URLs)."""
    raw = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"])
    return nh3.clean(
        raw, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "td": {"align"}, "th": {"align"}},
        url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
    )


def redline(old: str, new: str) -> str:
    """Inline HTML redline of two texts: ``<del>`` and ``<ins>``, all text escaped."""
    out = []
    for op, text in diff_ops(old or "", new or ""):
        escaped = html.escape(text).replace("\n", "<br>\n")
        if op == 0:
            out.append(escaped)
        elif op == 1:
            out.append(f'<ins class="pkb-ins">{escaped}</ins>')
        else:
            out.append(f'<del class="pkb-del">{escaped}</del>')
    return "".join(out)


def _database(datasette):
    for name in datasette.databases:
        if name == DB_NAME:
            return datasette.get_database(name)
    return datasette.get_database()


async def index_page(datasette, request):
    db = _database(datasette)
    documents = await db.execute_fn(read.list_documents)
    return Response.html(await datasette.render_template(
        "policykb_index.html", {"documents": documents, "db_name": db.name}, request=request))


async def document_page(datasette, request):
    db = _database(datasette)
    doc_id = f"{request.url_vars['platform']}/{request.url_vars['document']}"
    doc = await db.execute_fn(lambda conn: read.get_document(conn, doc_id))
    if doc is None:
        return Response.html(f"<h1>No document {html.escape(doc_id)}</h1>", status=404)
    body = render_markdown(doc["current"]["text_markdown"]) if doc["current"] else ""
    return Response.html(await datasette.render_template(
        "policykb_document.html", {"doc": doc, "body_html": body, "db_name": db.name}, request=request))


async def diff_page(datasette, request):
    db = _database(datasette)
    doc_id = f"{request.url_vars['platform']}/{request.url_vars['document']}"
    try:
        a, b = int(request.url_vars["from"]), int(request.url_vars["to"])
    except ValueError:
        return Response.html("<h1>Versions must be numbers</h1>", status=400)

    def fetch(conn):
        return read.get_document(conn, doc_id), read.get_version(conn, doc_id, a), read.get_version(conn, doc_id, b)

    doc, old, new = await db.execute_fn(fetch)
    if doc is None or old is None or new is None:
        return Response.html("<h1>No such versions</h1>", status=404)
    return Response.html(await datasette.render_template(
        "policykb_diff.html",
        {"doc": doc, "old": old, "new": new, "redline_html": redline(old["text_markdown"], new["text_markdown"]),
         "db_name": db.name},
        request=request))


@hookimpl
def register_routes():
    return [
        (r"^/-/policykb$", index_page),
        (r"^/-/policykb/doc/(?P<platform>[a-z0-9-]+)/(?P<document>[a-z0-9-]+)$", document_page),
        (r"^/-/policykb/diff/(?P<platform>[a-z0-9-]+)/(?P<document>[a-z0-9-]+)/(?P<from>\d+)\.\.(?P<to>\d+)$",
         diff_page),
    ]
