"""Declarations: validation with one clear line, through the library and the CLI."""

import pytest
import yaml

from conftest import DEMO_SOURCES, policykb
from pipeline.sources import DOCUMENT_TYPES, DeclarationError, load_platform, load_sources

GOOD = {
    "platform": "shop", "name": "Shop", "homepage": "https://shop.example/",
    "documents": [{"id": "fees", "title": "Fees", "url": "https://shop.example/fees", "locale": "en-US",
                   "type": "fees", "select": ["#c"], "remove": [".ad"], "js": False}],
}


def write(tmp_path, data, name="shop.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_demo_declarations_are_valid():
    platforms = load_sources(DEMO_SOURCES)
    assert len(platforms) >= 3
    docs = [d for p in platforms for d in p.documents]
    assert len(docs) >= 8
    assert all(d.type in DOCUMENT_TYPES for d in docs)
    assert any(d.locale.startswith("zh") and d.type == "appeals" for d in docs)


def test_good_declaration_loads(tmp_path):
    platform = load_platform(write(tmp_path, GOOD))
    assert platform.documents[0].key == "shop/fees"
    assert platform.documents[0].select == ("#c",)
    assert "shop.example" in platform.domains


def mutate(doc=None, top=None):
    import copy

    data = copy.deepcopy(GOOD)
    data["documents"][0].update(doc or {})
    data.update(top or {})
    return data


@pytest.mark.parametrize("data,document,field,message", [
    (mutate(doc={"type": "terms"}), "fees", "type", "is not a document type"),
    (mutate(doc={"url": "ftp://x"}), "fees", "url", "not an http(s) URL"),
    (mutate(doc={"locale": "English"}), "fees", "locale", "BCP 47"),
    (mutate(doc={"select": ["div[["]}), "fees", "select", "invalid CSS selector"),
    (mutate(doc={"js": "yes"}), "fees", "js", "true or false"),
    (mutate(doc={"selector": "#c"}), "fees", "selector", "unknown key"),
    (mutate(doc={"id": "Fees Page"}), "Fees Page", "id", "lowercase slug"),
    (mutate(top={"platform": "other"}), None, "platform", "must match the file name"),
    (mutate(top={"documents": []}), None, "documents", "non-empty list"),
])
def test_bad_declarations_name_file_document_and_field(tmp_path, data, document, field, message):
    path = write(tmp_path, data)
    with pytest.raises(DeclarationError) as err:
        load_platform(path)
    line = str(err.value)
    assert "\n" not in line and str(path) in line and message in line
    assert err.value.field == field and err.value.document == document


def test_cli_exits_2_with_one_line(tmp_path):
    write(tmp_path, mutate(doc={"type": "terms"}))
    result = policykb("sources", "check", "--sources", tmp_path, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "document 'fees': field 'type'" in lines[0]
    result = policykb("crawl", "--sources", tmp_path, "--data", tmp_path / "d", check=False)
    assert result.returncode == 2


def test_crawling_a_document_nobody_declared_is_an_error_not_an_empty_crawl(tmp_path):
    result = policykb("crawl", "--sources", DEMO_SOURCES, "--data", tmp_path, "--document", "demomart/appeal",
                      check=False)
    assert result.returncode == 2 and "no declared document 'demomart/appeal'" in result.stderr
    assert "demomart/appeals" in result.stderr  # the near miss is named
    assert not (tmp_path / "warcs").exists()


def test_broken_yaml_is_one_line(tmp_path):
    (tmp_path / "shop.yml").write_text("platform: shop\ndocuments: [\n")
    result = policykb("sources", "check", "--sources", tmp_path, check=False)
    assert result.returncode == 2 and "is not valid YAML" in result.stderr


def test_sources_list_json():
    import json

    out = json.loads(policykb("sources", "list", "--json", "--sources", DEMO_SOURCES).stdout)
    first = out["platforms"][0]
    assert set(first) >= {"platform", "documents"}
    assert set(first["documents"][0]) == {"id", "title", "url", "locale", "type", "js", "verified"}
