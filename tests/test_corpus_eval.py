"""Real history from ../shared/corpus through the real spider and build (a sample; the full run is the bench).

``bench/eval_changes.py`` crawls every corpus document through the replay
server; here a few documents chosen for what they exercise go through the
same code: Reverb (Updated / Effective date), Etsy ("Last updated on",
10 versions), Autoplius (a page that switched between English and
Lithuanian), Doubao (更新日期 / 生效日期, raw Chinese HTML).
"""

import importlib.util
import re
import sqlite3

import pytest

from conftest import CORPUS, ROOT

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CORPUS / "versions").is_dir(), reason=f"no corpus at {CORPUS}")]

SAMPLE = ["versions/reverb/terms-of-service", "versions/etsy/marketplace-sellers-conditions",
          "versions/autoplius-lt/terms-of-service", "html/doubao/terms-of-service"]
STATES = re.compile(r"(last\s+updated|updated:|effective\s+date|更新日期|生效日期)", re.IGNORECASE)


def load_bench():
    spec = importlib.util.spec_from_file_location("eval_changes", ROOT / "bench" / "eval_changes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    bench = load_bench()
    data = tmp_path_factory.mktemp("corpus-eval") / "data"
    rows, totals = bench.run(CORPUS, data, SAMPLE, quiet=True)
    return bench, data, {r["dir"]: r for r in rows}, totals


def test_every_sampled_document_went_through(evaluated):
    _, _, rows, totals = evaluated
    assert sorted(rows) == sorted(SAMPLE)
    assert totals["versions_in"] == sum(r["versions_in"] for r in rows.values()) > 30


def test_no_version_is_silently_lost(evaluated):
    """Every version whose text differs beyond white space is a change, a failed check, or a noted normalization."""
    _, data, rows, _ = evaluated
    for row in rows.values():
        if row["lost"] is not None:
            assert row["lost"] == 0, row
        assert row["substantive"] >= 1, row
    conn = sqlite3.connect(data / "policykb.db")
    kinds = {k for (k,) in conn.execute("select distinct kind from changes")}
    assert kinds <= {"substantive", "cosmetic", "flip_flop", "reextraction"}
    # a failed check always says why
    assert conn.execute("select count(*) from checks where outcome = 'failed' and coalesce(reason, '') = ''"
                        ).fetchone()[0] == 0


def test_a_page_in_the_wrong_language_is_a_failed_check(evaluated):
    _, data, rows, _ = evaluated
    row = rows["versions/autoplius-lt/terms-of-service"]
    assert row["locale"] == "en"
    assert any(r.startswith("wrong locale: the page is in 'lt'") for r in row["failed_reasons"]), row


def test_stated_dates_are_found_with_evidence(evaluated):
    bench, data, rows, _ = evaluated
    site_docs = {d.dir: d for d in bench.load_corpus_documents(CORPUS, SAMPLE)}
    checked = 0
    for folder, row in rows.items():
        doc = site_docs[folder]
        latest = bench._text_of(doc, doc.versions[-1])
        if not any(STATES.search(line) and re.search(r"\d{4}", line) for line in latest.splitlines()):
            continue
        assert row["last_updated"] or row["effective"], row
        for date, evidence in ((row["last_updated"], row["last_updated_evidence"]),
                               (row["effective"], row["effective_evidence"])):
            if date:
                assert evidence and date[:4] in evidence, row
                assert " ".join(evidence.split()) in " ".join(latest.replace("*", "").split()) or \
                    evidence.split()[0] in latest, row
        checked += 1
    assert checked >= 3
    doubao = rows["html/doubao/terms-of-service"]
    assert "更新日期" in doubao["last_updated_evidence"] and "生效日期" in doubao["effective_evidence"]
    assert doubao["effective"] > doubao["last_updated"]


def test_dates_are_those_of_the_latest_version(evaluated):
    """The bench's dates are the latest version's (its newest statement of each kind), read by hand in
    tests/date_reference.yml: Reverb 2023-09-11, Etsy 2023-12-21, Doubao 2026-07-15."""
    _, _, rows, _ = evaluated
    expected = {"versions/reverb/terms-of-service": ("2023-08-01", "2023-09-06"),
                "versions/etsy/marketplace-sellers-conditions": ("2023-12-06", None),
                "html/doubao/terms-of-service": ("2026-07-15", "2026-07-22")}
    for folder, (last_updated, effective) in expected.items():
        assert (rows[folder]["last_updated"], rows[folder]["effective"]) == (last_updated, effective), rows[folder]
