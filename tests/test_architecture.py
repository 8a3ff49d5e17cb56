"""The house rules, checked on the source: one writer of the KB, imports that point one way, a thin CLI.

These read the code as text (``ast``), so a new module that breaks a rule
fails here, with the file and line, before anyone reads it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("spiders", "pipeline", "kb", "glossary", "datasette_plugins", "replay")

#: Where KB rows may be written: the store, and the schema's migrations.
WRITERS = ("kb/store/", "kb/migrations/")
#: sqlite-utils Table methods that write rows (or the schema)
WRITE_METHODS = {"insert", "insert_all", "upsert", "upsert_all", "update", "delete", "delete_where", "transform",
                 "create", "drop", "enable_fts", "populate_fts", "rebuild_fts", "add_column", "lookup"}
#: an SQL string that writes: INSERT / REPLACE / UPDATE ... SET / DELETE FROM / CREATE / DROP / ALTER
WRITE_SQL = re.compile(r"^\s*(insert\s|replace\s+into|update\s+\[?\w+\]?\s+set\b|delete\s+from\b|create\s+"
                       r"(table|index|virtual|trigger|view|unique)|drop\s|alter\s+table)", re.I)

#: What each folder may import of ours (DESIGN.md: datasette_plugins → kb → {pipeline, glossary} ← spiders).
MAY_IMPORT = {
    "pipeline": {"pipeline"},
    "glossary": {"glossary", "pipeline"},
    "spiders": {"spiders", "pipeline"},
    "kb": {"kb", "pipeline", "glossary", "spiders.launch",
           # the demo and `policykb replay` serve the demo site through the replay server
           "replay.server"},
    "datasette_plugins": {"datasette_plugins", "kb", "pipeline",
                          "glossary.lookup", "glossary.model"},  # the glossary's read queries and its names
    "replay": {"replay", "pipeline"},
}


def sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"), str(path))


def _strings(node):
    """The text of a string literal, or of an f-string's literal parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def writes_in(tree):
    """``(line, what)`` for each statement in ``tree`` that writes KB rows or schema."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # db["table"].insert(...): a write through sqlite-utils' Table
            if node.func.attr in WRITE_METHODS and isinstance(node.func.value, ast.Subscript):
                yield node.lineno, f'[...].{node.func.attr}()'
            # conn.execute("insert ...") / executemany / executescript
            if node.func.attr in ("execute", "executemany", "executescript") and node.args:
                text = _strings(node.args[0])
                if text and WRITE_SQL.match(text):
                    yield node.lineno, text.strip().split("\n")[0][:60]


PENDING_WRITERS = ()  # none left


def test_only_kb_store_writes_the_kb():
    offenders = [f"{path}:{line}: {what}" for path, tree in sources()
                 if not path.startswith(WRITERS) and path not in PENDING_WRITERS
                 for line, what in writes_in(tree)]
    assert not offenders, "KB writes outside kb/store (move them into a kb/store function):\n" + "\n".join(offenders)


def test_the_scan_finds_writes():
    """The scan itself: each form of write is caught (a test that cannot fail is no test)."""
    code = '''
db["checks"].insert({"a": 1})
db["versions"].update("x", {"a": 1})
conn.execute("insert into runs (id) values (?)", [1])
conn.execute(f"update runs set {sets} where id = ?", [1])
conn.execute("DELETE FROM alerts")
conn.executemany("replace into schedule values (?)", rows)
conn.execute("select * from checks")
answer.update(status="current")
'''
    found = [what for _, what in writes_in(ast.parse(code))]
    assert len(found) == 6, found


def imports_of(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if "." in node.module:
                yield node.lineno, node.module
            else:  # `from kb import cli` imports kb.cli; `from glossary import lookup`, glossary.lookup
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}"


def _ours(module):
    return module.split(".")[0] in PACKAGES


def test_no_library_module_imports_the_cli():
    offenders = [f"{path}:{line}: {module}" for path, tree in sources() if not path.startswith("kb/cli/")
                 for line, module in imports_of(tree) if module == "kb.cli" or module.startswith("kb.cli.")]
    assert not offenders, "library code must not import the CLI:\n" + "\n".join(offenders)


@pytest.mark.parametrize("folder", sorted(MAY_IMPORT))
def test_imports_point_one_way(folder):
    allowed = MAY_IMPORT[folder]
    offenders = []
    for path, tree in sources():
        if path.split("/")[0] != folder:
            continue
        for line, module in imports_of(tree):
            if not _ours(module):
                continue
            if not any(module == a or module.startswith(a + ".") for a in allowed):
                offenders.append(f"{path}:{line}: {module}")
    assert not offenders, f"{folder}/ may import only {sorted(allowed)}:\n" + "\n".join(offenders)


def test_build_steps_are_listed_in_one_function():
    """`policykb build --help` names the function that lists the build's steps, and it exists."""
    from click.testing import CliRunner

    from kb.build import build
    from kb.cli import cli

    help_text = CliRunner().invoke(cli, ["build", "--help"]).output
    assert "kb/build.py" in help_text and "build()" in help_text
    source = Path(build.__code__.co_filename).read_text(encoding="utf-8")
    assert "kb.cli" not in source and "after_build" not in source


#: A function longer than this (lines, docstring included) needs a reason written above it.
SCREEN = 60
PENDING_LONG = ()  # none left


def test_every_function_reads_in_one_screen_or_says_why():
    offenders = []
    for path, tree in sources():
        if path in PENDING_LONG:
            continue
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.end_lineno - node.lineno + 1 <= SCREEN:
                continue
            above = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 2
            comment = []
            while above >= 0 and lines[above].lstrip().startswith("#"):
                comment.insert(0, lines[above].strip())
                above -= 1
            if not (comment and comment[0].startswith("# Long:")):
                offenders.append(f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not offenders, ("split these into named steps, or write `# Long: <why>` above them:\n"
                           + "\n".join(offenders))


def _repeated_keys(tree) -> list[tuple[int, object]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            seen = set()
            for key in node.keys:
                if isinstance(key, ast.Constant):
                    if key.value in seen:
                        out.append((key.lineno, key.value))
                    seen.add(key.value)
    return out


def test_no_dict_literal_repeats_a_key():
    """A repeated key in a dict literal silently keeps the last value (the label table lost a label this way twice,
    when two branches each added the same key)."""
    found = [(str(path.relative_to(ROOT)), line, key) for package in PACKAGES
             for path in sorted((ROOT / package).rglob("*.py"))
             for line, key in _repeated_keys(ast.parse(path.read_text(encoding="utf-8")))]
    assert found == []
    assert _repeated_keys(ast.parse("x = {'a': 1, 'b': 2, 'a': 3}")) == [(1, "a")]  # the check can fail
