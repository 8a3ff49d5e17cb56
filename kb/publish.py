"""Publishing: the Datasette command that serves a KB, read-only, on loopback."""

from __future__ import annotations

import sys

from kb.data import METADATA, kb_path

#: A query that runs longer than this is stopped (ms): the public instance stays responsive.
SQL_TIME_LIMIT_MS = 3000


def datasette_command(data_dir, port: int, host: str = "127.0.0.1") -> list[str]:
    """The ``datasette serve`` command line for the KB of a data folder, with our metadata and plugins."""
    return [sys.executable, "-m", "datasette", "serve", str(kb_path(data_dir)), "--metadata", str(METADATA),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS)]
