"""The JSON Schema of declarations (``pipeline/declaration.schema.json``), as Open Terms Archive keeps one:
valid and invalid fixtures (``tests/fixtures/declarations/``), each invalid one failing with one line that
names its file, document and field; and every declaration of the project valid against the schema alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from conftest import ROOT, policykb
from pipeline.normalize import DECLARATION_KEYS
from pipeline.sources import DOCUMENT_TYPES, DeclarationError, as_json_data, declaration_schema, load_platform

FIXTURES = Path(__file__).parent / "fixtures" / "declarations"
INVALID = sorted((FIXTURES / "invalid").glob("*.yml"))


def expectations(path):
    head = dict(re.findall(r"^# (expect|document|field): ?(.*)$", path.read_text(encoding="utf-8"), re.MULTILINE))
    return head["expect"], head["document"] or None, head["field"] or None


def test_the_schema_is_a_valid_json_schema_that_knows_every_type_and_key():
    schema = declaration_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["documentType"]["enum"] == list(DOCUMENT_TYPES)
    assert DECLARATION_KEYS <= set(schema["$defs"]["document"]["properties"])


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.yml")), ids=lambda p: p.stem)
def test_valid_fixtures_load(path):
    platform = load_platform(path)
    assert platform.id == path.stem and platform.documents


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixtures_fail_with_one_line_naming_file_document_and_field(path):
    expect, document, field = expectations(path)
    with pytest.raises(DeclarationError) as err:
        load_platform(path)
    line = str(err.value)
    assert "\n" not in line and line.startswith(str(path)) and expect in line, line
    assert (err.value.document, err.value.field) == (document, field), line


def test_the_cli_says_the_same_line_and_exits_2(tmp_path):
    path = FIXTURES / "invalid" / "bad-type.yml"
    (tmp_path / path.name).write_bytes(path.read_bytes())
    result = policykb("sources", "check", "--sources", tmp_path, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1
    assert "document 'fees': field 'type': 'terms' is not a document type" in lines[0]


@pytest.mark.parametrize("path", sorted((ROOT / "spiders" / "sources").rglob("*.yml"))
                         + sorted((ROOT / "replay" / "sites" / "platforms" / "_sources").glob("*.yml")),
                         ids=lambda p: p.stem)
def test_every_project_declaration_is_valid_against_the_schema_alone(path):
    data = as_json_data(yaml.safe_load(path.read_text(encoding="utf-8")))
    errors = list(Draft202012Validator(declaration_schema()).iter_errors(data))
    assert not errors, [e.message for e in errors]
