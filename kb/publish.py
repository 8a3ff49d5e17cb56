"""Publishing: the Datasette command that serves a KB, read-only, on loopback.

An instance is public unless it is started private (``policykb serve --private``): a public one never serves
the watch list of citations (table ``citations``, ``/-/policykb/citations``; :mod:`datasette_plugins.private`).
"""

from __future__ import annotations

import os
import sys

from kb.data import METADATA, kb_path

#: A query that runs longer than this is stopped (ms): the public instance stays responsive.
SQL_TIME_LIMIT_MS = 3000


#: The environment variable that makes an instance private (``metadata.yml``: ``plugins: policykb: private``).
PRIVATE_ENV = "POLICYKB_PRIVATE"


def datasette_command(data_dir, port: int, host: str = "127.0.0.1") -> list[str]:
    """The ``datasette serve`` command line for the KB of a data folder, with our metadata and plugins."""
    return [sys.executable, "-m", "datasette", "serve", str(kb_path(data_dir)), "--metadata", str(METADATA),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS)]


def datasette_env(private: bool = False, environ=None) -> dict[str, str]:
    """The environment to run :func:`datasette_command` in. Public (the default): the watch list of citations
    (its labels name a consultant's clients) is refused however it is asked for
    (:mod:`datasette_plugins.private`); ``private``: the consultant's own machine, which serves it."""
    env = dict(os.environ if environ is None else environ)
    env.pop(PRIVATE_ENV, None)  # an instance is private only when asked for on its command line
    if private:
        env[PRIVATE_ENV] = "1"
    return env
