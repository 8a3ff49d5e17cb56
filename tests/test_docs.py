"""The docs tell the truth: every command has help and is in the README; the two commands work as documented."""

import click
import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def all_commands():
    from kb.cli import cli

    def walk(group, prefix):
        for name, command in sorted(group.commands.items()):
            if getattr(command, "hidden", False):
                continue
            yield f"{prefix} {name}", command
            if isinstance(command, click.Group):
                yield from walk(command, f"{prefix} {name}")

    return list(walk(cli, "policykb"))


@pytest.mark.parametrize("path,command", all_commands(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_has_help_and_is_in_the_readme(path, command):
    assert (command.help or "").strip(), f"{path} has no help text"
    assert path in README, f"README does not mention `{path}`"


def test_readme_names_the_two_commands():
    assert "make demo" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()
