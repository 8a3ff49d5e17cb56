"""The watch list's web page says both steps of a saved citation that was reworded and whose new wording was
then removed, in the same words as the cite page (one template macro serves both)."""
import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from conftest import copy_data
from kb.cli import cli
from test_cite import CH_HAZARD, CH_HAZARD_W, chain_kb  # noqa: F401  (the three-version chain KB fixture)


@pytest.mark.asyncio
async def test_the_watch_list_page_shows_both_steps_of_a_reworded_then_removed_citation(chain_kb, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setenv("POLICYKB_NOW", "2026-03-11")
    data = tmp_path / "kb"
    copy_data(chain_kb, data)
    for args in (["citations", "add", "--data", str(data), CH_HAZARD, "--label", "case-7"],
                 ["citations", "check", "--data", str(data)]):
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 0, out.output
    ds = Datasette([str(data / "policykb.db")], metadata={"plugins": {"policykb": {"private": True}}})
    page = await ds.client.get("/-/policykb/citations?hl=en")
    assert page.status_code == 200
    assert 'data-state="removed"' in page.text
    assert 'data-step="changed"' in page.text and 'data-step="removed"' in page.text, page.text
    assert CH_HAZARD_W in page.text and "2026-02-10" in page.text and "2026-03-10" in page.text
    assert "/doc/chtest/shipping/v/2" in page.text and "/doc/chtest/shipping/v/3" in page.text
    assert "先变更、后删除" in page.text
