"""A text that shrank implausibly is a failed check, until a second fetch in a row confirms it.

Archived fetches are written with the real WARC writer and built with the real
``policykb build``; the page is the fault site's real "shrink" page.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import rows

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "fixtures" / "faults_site" / "shrink.faultmart.example" / "help" / "policy"
URL = "https://shrink.faultmart.example/help/policy"


def page(paragraphs: int) -> bytes:
    """The shrink page with only its first ``paragraphs`` paragraphs of policy text."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((SITE / "2026-01-01.html").read_bytes(), "lxml")
    for n, p in enumerate(soup.select("#policy-content p, #policy-content li")):
        if n >= paragraphs:
            p.decompose()
    return str(soup).encode("utf-8")


def build(tmp_path, bodies):
    from pipeline.archive import Fetch, WarcArchive

    data = tmp_path / "data"
    data.mkdir()
    (data / ".policykb-sources").write_text(str(ROOT / "tests" / "fixtures" / "faults_sources" / "faults"))
    with WarcArchive(data) as warc:
        for day, body in enumerate(bodies, 1):
            stamp = f"2026-03-{day:02d}T00:00:00Z"
            warc.write(Fetch(document="faultmart/shrink", url=URL, final_url=URL, status=200,
                             headers=[("Content-Type", "text/html; charset=utf-8")], body=body, fetched_at=stamp,
                             observed_at=stamp))
    result = subprocess.run([sys.executable, "-m", "kb.cli", "build", "--data", str(data)], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    db = data / "policykb.db"
    return (rows(db, "select outcome, reason from checks order by checked_at"),
            rows(db, "select chars from versions order by seq"))


def test_a_glitch_is_a_failed_check_and_the_page_comes_back_unchanged(tmp_path):
    full = page(1000)
    checks, versions = build(tmp_path, [full, page(1), full])
    assert [c["outcome"] for c in checks] == ["new_version", "failed", "unchanged"]
    assert "shrank implausibly" in checks[1]["reason"] and "held" in checks[1]["reason"]
    assert len(versions) == 1


def test_a_shrink_seen_twice_in_a_row_becomes_a_version(tmp_path):
    full, cut = page(1000), page(1)
    checks, versions = build(tmp_path, [full, cut, cut, cut])
    assert [c["outcome"] for c in checks] == ["new_version", "failed", "new_version", "unchanged"]
    assert "confirmed" in checks[2]["reason"]
    assert len(versions) == 2 and versions[1]["chars"] < 0.25 * versions[0]["chars"]


def test_two_different_short_texts_do_not_confirm_each_other(tmp_path):
    full = page(1000)
    checks, _ = build(tmp_path, [full, page(1), page(2)])
    assert [c["outcome"] for c in checks] == ["new_version", "failed", "failed"]


def test_a_plausible_shrink_is_a_version_at_once(tmp_path):
    full = page(1000)
    paragraphs = len(__import__("bs4").BeautifulSoup(full, "lxml").select("#policy-content p, #policy-content li"))
    checks, versions = build(tmp_path, [full, page(paragraphs * 2 // 3)])
    assert [c["outcome"] for c in checks] == ["new_version", "new_version"]
    assert len(versions) == 2
