"""The ``policykb`` command line: one click group, verb commands, each a thin call into the library.

The command modules are listed in :data:`COMMANDS` (imported at the end of
this file); each parses its options and calls one library function. The
options that several commands share live in :mod:`kb.cli.options`, so that a
bad value is refused the same way everywhere. No library module imports this
package (``tests/test_architecture.py`` checks the import graph).

Every command takes ``--data DIR`` (default ``./data``): the KB file
(``DIR/policykb.db``) and the WARCs (``DIR/warcs/``) live there, so two KBs
never mix.
"""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="policykb")
def cli():
    """policykb: a knowledge base and change tracker for marketplace seller policies.

    The flow: `crawl` archives fetches to WARC; `build` turns them into the KB
    (its steps are listed, in order, in kb/build.py: build); `serve` publishes it.
    `demo` runs all three on the bundled demo help centre.
    """


@cli.group()
def sources():
    """Inspect and validate the declarations; import, discover and promote pages."""


#: The command modules, in the order of ``policykb --help``'s sections
COMMANDS = ("core", "search", "cite", "glossary", "sources", "ops")


def _register():
    import importlib

    for name in COMMANDS:
        importlib.import_module(f"kb.cli.{name}")


def main():
    cli()


_register()
