"""The data folder (``--data DIR``): where a KB lives, and what it remembers.

A data folder holds the KB file (``DIR/policykb.db``), the WARCs
(``DIR/warcs/``) and run statistics (``DIR/runs/``), so two KBs never mix.
It also remembers the declarations folder and the glossary folder it was
built with (``DIR/.policykb-sources``, ``DIR/.policykb-glossary``), so later
commands on it need not repeat them, and which declaration texts passed the checks
(``DIR/.declarations-checked.json``, :class:`pipeline.sources.CheckedDeclarations`), so
the crawl and the build of a cycle check each text once.
"""

from __future__ import annotations

from pathlib import Path

KB_FILE = "policykb.db"
SOURCES_FILE = ".policykb-sources"
GLOSSARY_FILE = ".policykb-glossary"
#: ``policykb rebuild`` builds in this sub-folder of the data folder, which reads its parent's memory
REBUILD_DIR = ".rebuild"


class NoKB(LookupError):
    """A command that reads a KB was given a data folder that holds none."""

    def __init__(self, data_dir):
        self.path = kb_path(data_dir)
        super().__init__(f"no KB at {self.path}; check --data, or create one with `policykb demo` or "
                         "`policykb crawl` then `policykb build` (此处没有知识库：请检查 --data，或先运行 "
                         "`policykb demo`，或 `policykb crawl` 后 `policykb build`)")


def kb_path(data_dir) -> Path:
    """The KB file of a data folder."""
    return Path(data_dir) / KB_FILE


def require_kb(data_dir) -> Path:
    """The KB file of a data folder that must already hold one (raises :class:`NoKB` otherwise).

    Only commands that create a KB (crawl, build, demo, rebuild) may start from an empty folder:
    a mistyped ``--data`` must not look like an empty KB.
    """
    path = kb_path(data_dir)
    if not path.is_file():
        raise NoKB(data_dir)
    return path


def remembered_folder(data_dir, filename, given=None):
    """A folder a data folder remembers in ``DATA/<filename>``: the one given (and remembered), else the
    remembered one, else None. ``policykb rebuild`` builds in ``DATA/.rebuild``, which reads its parent's."""
    remembered = Path(data_dir) / filename
    if given:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        remembered.write_text(str(Path(given).resolve()) + "\n")
        return str(given)
    if not remembered.exists() and Path(data_dir).name == REBUILD_DIR:
        remembered = Path(data_dir).parent / filename
    if remembered.exists():
        return remembered.read_text().strip() or None
    return None


def sources_folder(data_dir, given=None):
    """The declarations folder for a data folder: the one given (and remembered), else the remembered one."""
    return remembered_folder(data_dir, SOURCES_FILE, given)


def glossary_folder(data_dir, given=None):
    """The glossary folder for a data folder: the one given (and remembered), else the remembered one."""
    return remembered_folder(data_dir, GLOSSARY_FILE, given)


#: The checkout (or installed tree) policykb runs from
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Datasette's metadata: titles, descriptions, licences, canned queries
METADATA = PROJECT_ROOT / "metadata.yml"
#: The demo help centre that ``policykb demo`` crawls through the replay server
DEMO_SITE = PROJECT_ROOT / "replay" / "sites" / "demo"
