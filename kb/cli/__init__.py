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

import sys

import click


class OneLineErrors(click.Group):
    """The top-level group: a usage error (a bad option value, a missing argument, an unknown command) is
    one line on standard error, ``error: ...`` with where to look, and exit code 2, like every refusal
    of :mod:`kb.cli.options` (click's own form is three lines with the usage)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            # returns the code of a ctx.exit() (sys.exit() in a command passes through as SystemExit)
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            where = f"`{e.ctx.command_path} --help`" if e.ctx else "`policykb --help`"
            click.echo(f"error: {e.format_message()} (see {where}; 参数有误，请查看 {where})", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=OneLineErrors)
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
COMMANDS = ("core", "search", "cite", "citations", "brief", "glossary", "rules", "sources", "ops")


def _register():
    import importlib

    for name in COMMANDS:
        importlib.import_module(f"kb.cli.{name}")


def main():
    cli()


_register()
