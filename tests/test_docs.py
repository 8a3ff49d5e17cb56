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


def test_the_readme_names_the_client_versions_that_are_installed_and_tested():
    """The README says which versions of the standard formats' clients the tests ran; they are the installed ones."""
    import re
    from importlib.metadata import PackageNotFoundError, version

    tested = README[README.index("**Standard formats are tested with the clients people use**"):]
    tested = " ".join(tested[:tested.index("\n- ")].split())
    for package, name in (("pywb", "pywb"), ("cdxj-indexer", "cdxj-indexer"), ("warcio", "warcio"),
                          ("feedparser", "feedparser"), ("datasette", "Datasette"),
                          ("translate-toolkit", "translate-toolkit"), ("gevent", "gevent"), ("lxml", "lxml")):
        try:
            installed = version(package)
        except PackageNotFoundError:
            pytest.skip(f"{package} is not installed (pip install -e '.[test]')")
        said = re.search(rf"{re.escape(name)} (\d[\w.]*\d)", tested)
        assert said and said.group(1) == installed, \
            f"README: {name} {said and said.group(1)}, installed {installed} (make test installs with -c tests/constraints.txt)"
    import shutil
    import subprocess

    if shutil.which("sqlite3"):  # the shell the export test runs as another user
        shell = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True, check=True).stdout.split()[0]
        assert f"sqlite3 shell {shell}" in tested, f"README does not name the sqlite3 shell {shell}"
