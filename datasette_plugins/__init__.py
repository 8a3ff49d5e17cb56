"""policykb's Datasette plugins, registered through the ``datasette`` entry point.

The hooks live in flat modules; this package re-exports them so one entry
point registers them all, and ``templates/`` is found beside it.
"""

from datasette_plugins.pages import extra_template_vars, handle_exception, register_routes, render_cell
from datasette_plugins.private import permission_allowed, prepare_connection
from datasette_plugins.tablesearch import filters_from_request

__all__ = ["extra_template_vars", "filters_from_request", "handle_exception", "permission_allowed",
           "prepare_connection", "register_routes", "render_cell"]
