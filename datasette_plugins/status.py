"""Health page and JSON endpoint: ``/-/policykb/status`` and ``/-/policykb/status.json``.

Both answer from :func:`kb.ops.status.collect`, like ``policykb status``. The JSON
is for an external monitor (the same shape as ``policykb status --json``).
Registered as its own plugin (entry point ``policykb_status``), so its
``register_routes`` does not clash with the pages plugin's.
"""

from __future__ import annotations

from datasette import Response, hookimpl

from kb.ops import status as status_mod

DB_NAME = "policykb"


def _database(datasette):
    if DB_NAME in datasette.databases:
        return datasette.get_database(DB_NAME)
    return datasette.get_database()


async def _collect(datasette, request):
    db = _database(datasette)
    now = request.args.get("now") or None
    return db, await db.execute_fn(lambda conn: status_mod.collect(conn, now))


async def status_json(datasette, request):
    try:
        _, result = await _collect(datasette, request)
    except ValueError as exc:
        return Response.json({"error": str(exc)}, status=400)
    return Response.json(result, headers={"Cache-Control": "no-store"})


async def status_page(datasette, request):
    try:
        db, result = await _collect(datasette, request)
    except ValueError:
        return Response.html("<h1>Bad request: now must be a UTC time</h1>", status=400)
    problems = [d for d in result["documents"] if d["state"] != "ok"]
    return Response.html(await datasette.render_template(
        "status.html", {"status": result, "problems": problems, "db_name": db.name}, request=request))


@hookimpl
def register_routes():
    return [
        (r"^/-/policykb/status\.json$", status_json),
        (r"^/-/policykb/status$", status_page),
    ]
