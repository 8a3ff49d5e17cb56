"""The KB on Datasette: metadata, our pages, sanitizing; in-process through ds.client."""

import pytest
import yaml
from datasette.app import Datasette

from conftest import ROOT, rows
from datasette_plugins.pages import redline, render_markdown

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))


@pytest.fixture
def ds(demo_kb):
    return Datasette([str(demo_kb / "policykb.db")], metadata=METADATA)


def test_metadata_describes_every_table_and_only_real_ones(demo_kb):
    described = METADATA["databases"]["policykb"]["tables"]
    names = {r["name"] for r in rows(demo_kb / "policykb.db",
                                     "select name from sqlite_master where type in ('table', 'view')")}
    user_tables = {n for n in names if not n.startswith(("_", "versions_fts", "sqlite_"))}
    assert set(described) == user_tables
    for table, spec in described.items():
        assert spec.get("description"), table
        columns = {r["name"] for r in rows(demo_kb / "policykb.db", f"pragma table_info([{table}])")}
        assert set(spec.get("columns", {})) <= columns, table


@pytest.mark.asyncio
async def test_plugin_is_registered(ds):
    plugins = (await ds.client.get("/-/plugins.json")).json()
    assert any("register_routes" in p["hooks"] for p in plugins)


@pytest.mark.asyncio
async def test_index_lists_every_document(ds, expected):
    response = await ds.client.get("/-/policykb")
    assert response.status_code == 200
    for doc in expected["documents"]:
        assert f"/-/policykb/doc/{doc}" in response.text


@pytest.mark.asyncio
async def test_document_page_shows_history_and_sanitized_text(ds, demo_kb, expected):
    doc = next(d for d, s in expected["documents"].items() if len(s["versions"]) > 1)
    response = await ds.client.get(f"/-/policykb/doc/{doc}")
    assert response.status_code == 200
    current = rows(demo_kb / "policykb.db", "select v.text_markdown from documents d join versions v "
                                            "on v.id = d.current_version_id where d.id = ?", [doc])[0]
    first_heading = current["text_markdown"].splitlines()[0].lstrip("# ")
    assert first_heading in response.text
    assert f"/-/policykb/diff/{doc}/1..2" in response.text
    diff = await ds.client.get(f"/-/policykb/diff/{doc}/1..2")
    assert diff.status_code == 200 and '<ins class="pkb-ins">' in diff.text


@pytest.mark.asyncio
async def test_gone_document_shows_its_state(ds, expected):
    gone = next(d for d, s in expected["documents"].items() if s.get("gone"))
    response = await ds.client.get(f"/-/policykb/doc/{gone}")
    assert "gone" in response.text and "HTTP 404" in response.text


@pytest.mark.asyncio
async def test_unknown_document_is_404(ds):
    assert (await ds.client.get("/-/policykb/doc/nope/nothing")).status_code == 404


HOSTILE = """# Policy <script>alert(1)</script>

<img src=x onerror="alert(2)"> [click](javascript:alert(3)) [data](data:text/html,<script>alert(4)</script>)
<svg onload="alert(5)"><script>alert(6)</script></svg> <a href="https://ok.example/" onclick="alert(7)">ok</a>
<style>body{display:none}</style><iframe src="https://evil.example"></iframe>
"""


def test_render_markdown_makes_hostile_text_inert():
    out = render_markdown(HOSTILE).lower()
    for bad in ("<script", "onerror", "onload", "onclick", "javascript:", "data:text", "<svg", "<style", "<iframe",
                "<img"):
        assert bad not in out, bad
    assert 'href="https://ok.example/"' in out


def test_redline_escapes_text():
    out = redline("a <b>bold</b> claim", "a <script>alert(1)</script> claim")
    assert "<script" not in out and "<b>" not in out and "&lt;" in out and "alert(1)" in out
    assert '<del class="pkb-del">' in out and '<ins class="pkb-ins">' in out
