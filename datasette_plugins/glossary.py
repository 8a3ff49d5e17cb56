"""The glossary in Datasette: concept × platform matrix, search in any language, evidence, flags, drift.

Routes (registered as their own plugin, ``policykb_glossary``):

* ``/-/glossary``: search (``?q=``, any language, fuzzy), the matrix (``?lang=`` to show one language,
  ``?p=`` (repeatable) to choose platforms; the platforms whose terms the tracked documents use come first, and
  the matrix scrolls sideways inside its own box, never the page), the unattested flag list, term drift and
  candidate terms;
* ``/-/glossary/concept/<id>``: one concept, each term with its evidence (links to the sections);
* ``/-/glossary.json?q=``: the look-up as JSON, in the shape ``policykb term --json`` prints.

The queries are :mod:`glossary.lookup`'s, the same ones the command line uses. Snippets of policy
text are scraped content: the templates escape them (Jinja autoescaping), nothing is marked safe.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from datasette import Response, hookimpl

from datasette_plugins import labels
from glossary import lookup as gl
from kb.search import section_anchor

DB_NAME = "policykb"
MARKS = {"false-friend": "≠", "partial": "⊂", "close": "≈", "exact": ""}


def _database(datasette):
    for name in datasette.databases:
        if name == DB_NAME:
            return datasette.get_database(name)
    return datasette.get_database()


def anchor(term_id: str) -> str:
    """A stable HTML id for a term (term ids hold spaces, slashes and CJK)."""
    return "t-" + hashlib.sha1(term_id.encode("utf-8")).hexdigest()[:10]


def _order_platforms(platforms: list[dict], chosen: list[str]) -> list[dict]:
    """The matrix's columns: the chosen platforms (all when none is), those with evidence first (most attested
    terms first, then the glossary's own order); ``general`` (not a platform: the generic words) last."""
    shown = [p for p in platforms if not chosen or p["id"] in chosen]
    return sorted(shown, key=lambda p: (p["id"] == "general", -(p["attested"] or 0), p["ordinal"]))


def _decorate(terms):
    for t in terms:
        t["anchor"] = anchor(t["id"])
        t["mark"] = MARKS.get(t["equivalence"], "")
    return terms


async def glossary_page(datasette, request):
    db = _database(datasette)
    query = (request.args.get("q") or "").strip()
    language = (request.args.get("lang") or "").strip() or None
    chosen = [p for p in request.args.getlist("p") if p]

    def fetch(conn):
        if not gl.has_glossary(conn):
            return None
        data = gl.matrix(conn, language)
        data["results"] = gl.lookup(conn, query, limit=10) if query else None
        flags = gl.unattested(conn)
        data["not_found"] = [t for t in flags if t["attestation"] == "not_found"]
        groups = OrderedDict()
        for t in flags:
            if t["attestation"] == "no_documents":
                groups.setdefault((t["platform_name"] or t["platform"], t["language"]), []).append(t)
        data["no_documents"] = [{"platform": p, "language": lang, "terms": ts} for (p, lang), ts in groups.items()]
        data["no_documents_count"] = sum(len(ts) for ts in groups.values())
        data["drift"] = gl.drift(conn)
        data["candidates"] = gl.candidates(conn)
        data["coverage"] = gl.coverage(conn)
        return data

    data = await db.execute_fn(fetch)
    if data is None:
        return Response.html(await datasette.render_template(
            "glossary.html", {"missing": True, "db_name": db.name}, request=request))
    for c in data["concepts"]:
        for terms in c["cells"].values():
            _decorate(terms)
    _decorate(data["not_found"])
    if data["results"]:
        for m in data["results"]["matches"]:
            _decorate(m["terms"])
    subjects = OrderedDict()
    for c in data["concepts"]:
        subjects.setdefault(c["subject_field"], []).append(c)
    all_platforms = data["platforms"]
    data["platforms"] = _order_platforms(all_platforms, chosen)
    return Response.html(await datasette.render_template("glossary.html", {
        "missing": False, "db_name": db.name, "query": query, "language": language or "", "subjects": subjects,
        "all_platforms": _order_platforms(all_platforms, []), "chosen": chosen,
        "platform_names": {p["id"]: labels.platform_name(p, labels.language(request)) for p in all_platforms},
        **data}, request=request))


async def concept_page(datasette, request):
    db = _database(datasette)
    concept_id = request.url_vars["concept"]

    def fetch(conn):
        return gl.concept(conn, concept_id) if gl.has_glossary(conn) else None

    concept = await db.execute_fn(fetch)
    if concept is None:
        return Response.html(await datasette.render_template(
            "glossary_concept.html", {"concept": None, "concept_id": concept_id, "db_name": db.name},
            request=request), status=404)
    _decorate(concept["terms"])
    for t in concept["terms"]:
        for e in t["evidence"]:
            # the section on the document's page (evidence is in current versions); sections is a view, no row pages
            e["url"] = (datasette.urls.path(f"/-/policykb/doc/{e['document_id']}") + "#"
                        + section_anchor(e["section_key"] or ""))
    return Response.html(await datasette.render_template(
        "glossary_concept.html", {"concept": concept, "db_name": db.name}, request=request))


async def lookup_json(datasette, request):
    db = _database(datasette)
    query = (request.args.get("q") or "").strip()
    if not query:
        return Response.json({"error": "give ?q=term"}, status=400)

    def fetch(conn):
        return gl.as_json(gl.lookup(conn, query)) if gl.has_glossary(conn) else None

    result = await db.execute_fn(fetch)
    if result is None:
        return Response.json({"error": "no glossary in this KB; run `policykb glossary load`"}, status=404)
    return Response.json(result)


@hookimpl
def register_routes():
    return [
        (r"^/-/glossary$", glossary_page),
        (r"^/-/glossary\.json$", lookup_json),
        (r"^/-/glossary/concept/(?P<concept>[a-z0-9-]+)$", concept_page),
    ]
