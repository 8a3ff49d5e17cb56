"""``policykb term`` as a reader sees it: the terms' status and degree of equivalence in words, not the codes
the KB stores."""

from click.testing import CliRunner

from kb.cli import cli
from kb.labels import label


def test_term_prints_status_and_equivalence_as_labels(demo_kb):
    result = CliRunner().invoke(cli, ["term", "申诉", "--data", str(demo_kb)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("  kuajing ")]
    assert rows, result.output
    assert all(label("preferred", "zh") in r for r in rows)
    assert any(label("exact", "zh") in r for r in rows) and any(label("partial", "zh") in r for r in rows)
    assert not [r for r in rows if " preferred " in r or " exact " in r or " partial " in r]
