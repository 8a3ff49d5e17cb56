"""Datasette's ``?_search=`` on a table that has no full-text index: a clear 400, never every row.

Datasette applies ``_search`` and ``_search_<column>`` only to a table with a full-text index (its own
detection, ``fts_table`` in ``metadata.yml`` or ``?_fts_table=``); on any other table it drops them and
answers with every row, as if every row matched. Since migration ``0780_one_text_index`` no KB table has
its own index (search and cite share ``search_sections``), so an old bookmark such as
``/policykb/versions?_search=申诉`` would list every version. This hook refuses the request instead and
names policykb's search, which does search every wording (both scripts of Chinese, CJK by trigrams).
"""

from __future__ import annotations

from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import BadRequest

SEARCH_PAGE = "/-/policykb/search"


def _search_args(request) -> dict[str, str]:
    return {key: request.args.get(key) for key in request.args
            if key.startswith("_search") and key != "_searchmode"}


@hookimpl
def filters_from_request(request, database, table, datasette):
    async def refuse_unindexed_search():
        searched = _search_args(request)
        if not searched:
            return None
        db = datasette.get_database(database)
        if request.args.get("_fts_table") or datasette.table_metadata(database, table).get("fts_table") \
                or await db.fts_table(table):
            return None  # Datasette can search this table itself
        terms = " ".join(v for v in searched.values() if v)
        raise BadRequest(
            f"Table {table} has no full-text index, so ?_search would list every row as a match; "
            f"search the KB at {SEARCH_PAGE}?q={quote(terms)} instead. "
            f"此表没有全文索引，?_search 会把每一行都当作结果；请在 {SEARCH_PAGE} 搜索。")

    return refuse_unindexed_search
