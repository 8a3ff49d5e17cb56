"""The short cuts of a cycle where nothing changed (issue 19): each must give what the long way gives.

- a declaration file whose text passed the checks before (``DATA/.declarations-checked.json``) is not checked
  against the JSON Schema again, nor are its selectors compiled; an edited file is checked in full;
- ``policykb crawl`` reads how many fetches it archived from the crawl's run statistics, not from the WARC.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from pipeline.sources import CHECKED_FILE, DEFAULT_SOURCES, DeclarationError, load_sources


@pytest.fixture()
def folders(tmp_path):
    sources, data = tmp_path / "sources", tmp_path / "data"
    sources.mkdir()
    data.mkdir()
    for path in sorted(DEFAULT_SOURCES.glob("*.yml"))[:3]:
        shutil.copy(path, sources / path.name)
    return sources, data


def _load_in_new_process(sources, data):
    """Load the declarations in a fresh process; returns (platform ids and documents, whether jsonschema and
    soupsieve were imported)."""
    code = ("import json, sys; from pipeline.sources import load_sources; "
            f"ps = load_sources({str(sources)!r}, checked_in={str(data)!r}); "
            "print(json.dumps([[p.id, [list(map(str, (d.key, d.url, d.select, d.remove, d.rules))) "
            "for d in p.documents]] for p in ps])); "
            "print(json.dumps(['jsonschema' in sys.modules, 'soupsieve' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    return json.loads(out[0]), json.loads(out[1])


def test_checked_declarations_load_the_same_without_the_checks(folders):
    sources, data = folders
    first, loaded_checkers = _load_in_new_process(sources, data)
    assert loaded_checkers == [True, True]
    recorded = json.loads((data / CHECKED_FILE).read_text(encoding="utf-8"))
    assert len(recorded["digests"]) == 3
    again, loaded_checkers = _load_in_new_process(sources, data)
    assert again == first
    assert loaded_checkers == [False, False]  # neither the schema nor the selectors were checked again
    assert [p.id for p in load_sources(sources)] == [p for p, _ in first]  # as without the record


def test_an_edited_declaration_is_checked_again(folders):
    sources, data = folders
    load_sources(sources, checked_in=data)
    path = sorted(sources.glob("*.yml"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace("documents:", "documents:\n  - bogus: 1", 1),
                    encoding="utf-8")
    with pytest.raises(DeclarationError) as without:
        load_sources(sources)
    with pytest.raises(DeclarationError) as recorded:
        load_sources(sources, checked_in=data)
    assert str(recorded.value) == str(without.value)
    # a selector that does not compile, in a file edited after it passed, is refused as well
    path.write_text(path.read_text(encoding="utf-8").replace("  - bogus: 1\n", "", 1).replace(
        "select:", "select: ['p:nth-child(x)'] #", 1), encoding="utf-8")
    with pytest.raises(DeclarationError) as bad_selector:
        load_sources(sources, checked_in=data)
    assert "invalid CSS selector" in str(bad_selector.value)


def test_a_record_of_another_schema_is_not_trusted(folders):
    sources, data = folders
    load_sources(sources, checked_in=data)
    record = data / CHECKED_FILE
    stored = json.loads(record.read_text(encoding="utf-8"))
    stored["checker"] = "another schema or library"
    record.write_text(json.dumps(stored), encoding="utf-8")
    _, loaded_checkers = _load_in_new_process(sources, data)
    assert loaded_checkers == [True, True]
    assert json.loads(record.read_text(encoding="utf-8"))["checker"] != "another schema or library"


@pytest.mark.parametrize("damaged", ["[]", "null", '"x"', "{", '{"checker": 1, "digests": 2}', "\x00\xff"])
def test_a_damaged_record_is_not_trusted_and_breaks_nothing(folders, damaged):
    """A record that is not one this checker wrote (damaged, hand-edited) is ignored: every file is checked again,
    and the declarations load as without it."""
    sources, data = folders
    (data / CHECKED_FILE).write_text(damaged, encoding="utf-8")
    _, loaded_checkers = _load_in_new_process(sources, data)
    assert loaded_checkers == [True, True]
    assert len(json.loads((data / CHECKED_FILE).read_text(encoding="utf-8"))["digests"]) == 3
