"""A page whose bytes change while nothing the extraction reads does (a per-request token) is unchanged, and the
build says so without converting it again; any change the extraction would see still makes a version.

Pages are the fault site's real "shrink" page; fetches are written with the real WARC writer and built with
the real ``policykb build`` (as in ``test_shrink.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import rows

from pipeline.extract import extract

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "fixtures" / "faults_site" / "shrink.faultmart.example" / "help" / "policy"
URL = "https://shrink.faultmart.example/help/policy"
CT = "text/html; charset=utf-8"
SELECT = ("#policy-content",)


def page(token: str | None = None, edit=None) -> bytes:
    """The shrink page; with a token in an attribute and a comment of its content; ``edit(html)`` changes it."""
    html = (SITE / "2026-01-01.html").read_text(encoding="utf-8")
    assert 'id="policy-content"' in html
    if token:
        html = html.replace('id="policy-content"', f'id="policy-content" data-request-token="{token}"', 1)
        html = html.replace("</p>", f"</p>\n<!-- request {token} -->", 1)  # and a line more of white space
    return (edit(html) if edit else html).encode("utf-8")


def test_a_token_leaves_the_fingerprint_and_a_change_does_not():
    first = extract(page(), CT, SELECT)  # no token yet: the comment and attribute that come later leave no trace
    assert first.fingerprint and not first.same_page
    tokened = extract(page(uuid.uuid4().hex), CT, SELECT, unless=first.fingerprint)
    assert tokened.same_page and tokened.fingerprint == first.fingerprint
    # what the Markdown would show: a word, a link target, the page's title
    word = lambda h: h.replace("</p>", " Added words.</p>", 1)  # noqa: E731
    link = lambda h: h.replace("</p>", ' <a href="https://example.org/x">terms</a></p>', 1)  # noqa: E731
    title = lambda h: h.replace("<title>", "<title>New ", 1)  # noqa: E731
    for edit in (word, link, title):
        changed = extract(page(uuid.uuid4().hex, edit), CT, SELECT, unless=first.fingerprint)
        assert not changed.same_page and changed.fingerprint != first.fingerprint
        assert changed.markdown
    # the full extraction of the tokened page is the first page's text (the fingerprint's promise)
    assert extract(page(uuid.uuid4().hex), CT, SELECT).markdown == first.markdown


def build(tmp_path, bodies, workers="0"):
    from pipeline.archive import Fetch, WarcArchive

    data = tmp_path / "data"
    data.mkdir()
    (data / ".policykb-sources").write_text(str(ROOT / "tests" / "fixtures" / "faults_sources" / "faults"))
    for day, body in enumerate(bodies, 1):  # one crawl (and one build) per fetch, as from cron
        stamp = f"2026-03-{day:02d}T00:00:00Z"
        with WarcArchive(data) as warc:
            warc.write(Fetch(document="faultmart/shrink", url=URL, final_url=URL, status=200,
                             headers=[("Content-Type", CT)], body=body, fetched_at=stamp, observed_at=stamp))
        result = subprocess.run([sys.executable, "-m", "kb.cli", "build", "--data", str(data)], cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=str(ROOT), POLICYKB_BUILD_WORKERS=workers), capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
    db = data / "policykb.db"
    return (rows(db, "select outcome, content_hash, page_fingerprint, version_id from checks order by checked_at"),
            rows(db, "select id, text_markdown from versions order by seq"))


@pytest.mark.parametrize("workers", ["0", "2"])  # extracted in this process, or by two worker processes
def test_tokens_only_fetches_are_unchanged_and_a_real_change_is_a_version(tmp_path, workers):
    word = lambda h: h.replace("</p>", " Sellers must also keep receipts.</p>", 1)  # noqa: E731
    checks, versions = build(tmp_path, [page("a" * 32), page("b" * 32), page("c" * 32, word), page("d" * 32, word)],
                             workers)
    assert [c["outcome"] for c in checks] == ["new_version", "unchanged", "new_version", "unchanged"]
    assert len(versions) == 2 and "keep receipts" in versions[1]["text_markdown"]
    fps = [c["page_fingerprint"] for c in checks]
    assert fps[0] == fps[1] != fps[2] == fps[3] and all(fps)
    assert checks[1]["content_hash"] == checks[0]["content_hash"]
    assert checks[3]["version_id"] == versions[1]["id"]
