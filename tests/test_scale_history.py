"""bench/scale.py's history writer at a tiny scale: the pages it renders a segment at a time are Python-Markdown's
pages of the whole text (numbered block by block: documents that start from one corpus text share no block), the
WARCs hold the versions asked for (an unchanged page as a revisit) and read back."""

import json

import markdown
import pytest

from bench import scale
from bench.peers.synthetic_site import copy_label, number_blocks
from pipeline.archive import iter_records, warc_dir
from pipeline.extract import extract
from replay.corpus import PAGE

#: Every construct whose rendering crosses a blank line in Python-Markdown: loose lists (bullets and numbers, the
#: next item after a blank line), an item's indented second paragraph, an indented code block with a blank line
#: inside, a list right after a heading in the same block, a table, and paragraphs around them.
TEXT = """# Terms of sale

These terms apply to every order placed on the [marketplace](https://example.com/market).

- Sellers list their goods.

- Buyers pay within 14 days.

    The payment is held until delivery.

- Disputes go to the [help centre](https://example.com/help) first.

Section 2 follows.

1. First numbered clause.

2. Second numbered clause, after a blank line.

## Fees
- a fee of 5 %

- a fee of 10 % for [late](https://example.com/late) payment

| Fee | Amount |
| --- | --- |
| listing | 0.10 EUR |
| sale | 5 % |

    code line one

    code line two

Last paragraph with a [link](https://example.com/last) and *emphasis*."""


def whole(text: str) -> str:
    return markdown.markdown(text, extensions=scale.EXTENSIONS)


def extracted(html: str) -> str:
    page = PAGE.format(lang="en", title="t", body=html, service="s").encode("utf-8")
    return extract(page, "text/html; charset=utf-8", select=[scale.SELECTOR]).markdown


def test_segments_render_as_the_whole_text():
    parts = scale.segments(TEXT)
    assert 3 < len(parts) < TEXT.count("\n\n") + 1  # cut, but not at every blank line
    html, memo = scale.PageRenderer().render(TEXT)
    assert html == whole(TEXT)
    assert extracted(html) == extracted(whole(TEXT))
    assert set(memo) == set(parts)


def test_an_edit_renders_only_its_segments_again():
    renderer = scale.PageRenderer()
    _, memo = renderer.render(TEXT)
    first = renderer.rendered
    edited = TEXT.replace("Section 2 follows.", "Section 2 follows, as amended on 3 May.")
    html, _ = renderer.render(edited, memo)
    assert renderer.rendered == first + 1
    assert html == whole(edited)
    # an item added between two loose items joins their list, as in the whole text
    added = TEXT.replace("- Buyers pay", "- Returns within 30 days.\n\n- Buyers pay")
    assert renderer.render(added, memo)[0] == whole(added)


def test_a_text_with_a_reference_definition_is_rendered_whole():
    text = "See [the rules][r].\n\nMore text.\n\n[r]: https://example.com/rules"
    assert scale.segments(text) is None
    renderer = scale.PageRenderer()
    assert renderer.render(text)[0] == whole(text)
    assert renderer.whole == 1


def make_corpus(root):
    """Two documents in the corpus's layout (``versions/<service>/<document>/manifest.json``)."""
    for service, text in (("svc-a", TEXT), ("svc-b", TEXT.replace("Terms of sale", "Seller terms"))):
        folder = root / "versions" / service / "terms"
        folder.mkdir(parents=True)
        (folder / "v1.md").write_text(text, encoding="utf-8")
        (folder / "manifest.json").write_text(json.dumps({
            "service": service, "document": "Terms", "urls": [f"https://{service}.example/terms"],
            "versions": [{"recorded_at": "2022-01-01T00:00:00Z", "file": "v1.md", "kind": "start-tracking"}],
        }), encoding="utf-8")
    return root


def test_archive_history_writes_the_versions_asked_for(tmp_path):
    corpus = make_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    history = scale.archive_history(data, versions=9, docs=3, rate=0.5, corpus=corpus, seed=5)
    assert history["versions_written"] == 9
    assert history["warc_bytes"] == sum(p.stat().st_size for p in warc_dir(data).glob("*.warc.gz"))
    records = list(iter_records(data))
    responses = [r for r in records if r.kind == "response"]
    revisits = [r for r in records if r.kind == "revisit"]
    assert len(responses) == 9
    assert revisits  # an unchanged page is archived as a revisit of its last response
    by_id = {r.record_id: r for r in responses}
    for r in revisits:
        assert by_id[r.refers_to].document == r.document
    assert len(list(warc_dir(data).glob("*.warc.gz"))) == history["crawls"]
    first = {r.document: r.body for r in responses if r.fetched_at.startswith("2020-01-01")}
    assert len(first) == 3  # every document's first version, from corpus document i % 2
    for document, body in first.items():
        i = int(document.rsplit("-", 1)[1])
        source = (corpus / "versions" / ("svc-a", "svc-b")[i % 2] / "terms" / "v1.md").read_text(encoding="utf-8")
        assert number_blocks(whole(source), i) in body.decode("utf-8")  # numbered, block by block
    # documents 0 and 2 start from the same corpus text, yet share no paragraph, item or table (headings and
    # code blocks are left as they are, as the peers' synthetic site leaves them)
    blocks = [{b for b in extract(first[f"scale-d{i}/doc-{i}"], "text/html; charset=utf-8",
                                  select=[scale.SELECTOR]).markdown.split("\n\n")
               if not b.startswith(("#", "    ")) and "```" not in b} for i in (0, 2)]
    assert len(blocks[0]) > 5 and not blocks[0] & blocks[1]
    for r in responses:  # every version is a page policykb reads its text from
        assert extract(r.body, "text/html; charset=utf-8", select=[scale.SELECTOR]).markdown.strip()
    assert len({r.payload_digest for r in responses}) == 9
    assert (tmp_path / "sources" / "scale-d0.yml").is_file()


def test_archive_only_writes_the_history_and_builds_nothing(tmp_path, capsys):
    corpus = make_corpus(tmp_path / "corpus")
    data = tmp_path / "run" / "data"
    assert scale.main(["--versions", "5", "--docs", "2", "--data", str(data), "--corpus", str(corpus),
                       "--archive-only", "--json"]) == 0
    saved = json.loads((data.parent / "history.json").read_text())
    assert saved["versions_written"] == 5 and saved["docs"] == 2
    assert json.loads(capsys.readouterr().out)["history"]["versions_written"] == 5
    assert not (data / "policykb.db").exists()
    assert sum(r.kind == "response" for r in iter_records(data)) == 5



def _result(versions_written: int) -> dict:
    return {"docs": versions_written // 20, "change_rate": 0.5,
            "history": {"crawls": 39, "versions_written": versions_written, "markdown_bytes_written": 2**30,
                        "archive_wall_s": 100.0},
            "rebuild": {"wall_s": 600.0, "cpu_s": 900.0, "peak_rss_mib": 900, "peak_pss_mib": 700},
            "kb": {"versions": versions_written - versions_written // 50, "kb_bytes": 2 * 2**30,
                   "markdown_bytes": 2**30, "kb_over_markdown": 2.0, "failed_checks": {}, "largest_tables": {}},
            "search": {"n": 10, "p50_ms": 20.0, "p95_ms": 60.0},
            "cite": {"n": 10, "p50_ms": 150.0, "p95_ms": 390.0, "cpu_p50_ms": 120.0, "cpu_p95_ms": 250.0}}


def test_the_report_measures_the_goals_size_and_estimates_below_it():
    """At the goal's 100,000 versions the rebuild is the measured one; below, an estimate says it is one (900 CPU s
    for the KB's 4,900 versions: 306 CPU minutes per 100,000)."""
    at_goal = scale.report(_result(100_000), "python bench/scale.py")
    assert "Rebuild of the 100,000 versions archived (98,000 in the KB): 10 minutes wall, 15 CPU minutes" in at_goal
    assert "estimate" not in at_goal
    assert "CPU time p50 120.0 ms, p95 250.0 ms" in at_goal
    below = scale.report(_result(5_000), "python bench/scale.py")
    assert "Rebuild of the" not in below
    assert "about 306 CPU minutes at this rate" in below and "an estimate from this run" in below


def test_a_copy_label_never_looks_like_a_year():
    """Four digits in a row are a possible year to the date finder: a label on every line must not hold them."""
    from pipeline.dates import YEAR_RE, find_dates

    assert copy_label(7) == " [7]" and copy_label(999) == " [999]"  # the peers' N=1,000 pages as before
    assert copy_label(4321) == " [4 321]" and copy_label(12345) == " [12 345]"
    assert not any(YEAR_RE.search(copy_label(i)) for i in range(0, 100_000, 7))
    html = number_blocks("<p>Sellers ship within 2 days.</p><ul><li>Fees</li></ul><table><tr><td>5</td></tr></table>", 2019)
    assert html.count(" [2 019]<") == 3
    assert find_dates("Sellers ship within 2 days. [2 019]", "en-US") == []


def test_measure_only_finishes_a_run_without_rebuilding(tmp_path, capsys):
    """A 100,000-version rebuild takes hours, and a session can end while its figures are still being measured:
    ``--measure-only`` measures the KB in place and reports the rebuild that made it (``rebuild.json``), and
    only while the KB is the one that rebuild made."""
    corpus = make_corpus(tmp_path / "corpus")
    data = tmp_path / "run" / "data"
    common = ["--data", str(data), "--corpus", str(corpus), "--queries", "4", "--json"]
    assert scale.main(["--versions", "6", "--docs", "2", "--archive-only", *common]) == 0
    full = tmp_path / "full.md"
    assert scale.main(["--reuse", "--out", str(full), *common]) == 0
    capsys.readouterr()
    rebuilt = json.loads((data.parent / "rebuild.json").read_text())["rebuild"]
    assert rebuilt["wall_s"] > 0 and rebuilt["cpu_s"] > 0
    again = tmp_path / "again.md"
    assert scale.main(["--measure-only", "--out", str(again), *common]) == 0
    measured = json.loads(capsys.readouterr().out)
    assert measured["rebuild"] == rebuilt and measured["kb"]["versions"] >= 1
    assert measured["search"]["n"] == 4 and measured["cite"]["n"] >= 1
    line = next(x for x in full.read_text().splitlines() if x.startswith("- Rebuild:"))
    assert line in again.read_text().splitlines()  # the same rebuild's figures, word for word
    import os
    import time

    kb = data / "policykb.db"
    os.utime(kb, ns=(time.time_ns(), kb.stat().st_mtime_ns + 1_000_000_000))  # another KB now stands there
    assert scale.main(["--measure-only", "--out", str(again), *common]) == 0
    assert json.loads(capsys.readouterr().out)["rebuild"] is None
    assert "- Rebuild: not measured by this command" in again.read_text()
    (data.parent / "history.json").unlink()
    with pytest.raises(SystemExit):
        scale.main(["--measure-only", *common])
    assert "no history.json" in capsys.readouterr().err
