"""The peer benchmark's harness (bench/peers), run at a tiny scale so it cannot rot.

policykb only: the peers (Open Terms Archive's engine, changedetection.io) are
installed by hand into bench/peers and are not test dependencies. One of them is
pointed at a missing install to check that the harness says why it cannot run and
still measures the rest. Real crawls over the replay server, a real KB; no figure
is asserted, only that the harness measures, counts and reports what happened.
"""

from __future__ import annotations

import json
import sys

import pytest

from conftest import CORPUS, ROOT

if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CORPUS / "versions").is_dir(), reason=f"needs the shared corpus at {CORPUS}"),
]

# A first cycle, the same date again (nothing changed), then a date where the first corpus
# document (Alibaba.com's sellers' conditions) has changed, then that date with per-request
# tokens in every page (bytes changed, texts not).
DATES = "2023-01-01,2023-01-01,2024-08-06,2024-08-06+tokens"


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    from bench.peers import run, tools

    tmp = tmp_path_factory.mktemp("peers")
    results = tmp / "results.json"
    missing = tmp / "no-engine"
    saved = tools.OTA_ENGINE
    tools.OTA_ENGINE = missing  # as if `npm install` had never run in bench/peers/ota
    try:
        code = run.main(["--n", "2", "--hosts", "2", "--tools", "policykb,ota", "--dates", DATES,
                         "--timeout", "120", "--work", str(tmp / "work"), "--results", str(results)])
    finally:
        tools.OTA_ENGINE = saved
    assert code == 0
    return {e["tool"]: e for e in json.loads(results.read_text())}, tmp


def test_policykb_cycles_are_measured(bench_run):
    entries, _ = bench_run
    pk = entries["policykb"]
    assert [c["kind"] for c in pk["cycles"]] == ["first", "no change", "change", "tokens only"]
    for c in pk["cycles"]:
        assert c["status"] == "ok", c
        assert c["wall_s"] > 0 and c["cpu_s"] > 0 and c["peak_rss"] > 0
    first, same, change, tokens = pk["cycles"]
    assert first["served"].get("200") == 2
    assert first["stored_bytes"] > 0
    # Nothing changed: conditional requests, revisit records, no content stored.
    assert same["served"].get("304") == 2 and "200" not in same["served"]
    assert same["content_bytes"] == 0 and same["warc_records"].get("revisit") == 2
    assert change["changed_docs"] >= 1 and change["content_bytes"] > 0
    # Tokens only: every page fetched again (its bytes changed), no new version (its text did not).
    assert tokens["changed_docs"] == 0 and tokens["served"].get("200") == 2 and "304" not in tokens["served"]
    assert tokens["content_bytes"] > 0 and tokens["versions_after"] == change["versions_after"]


def test_policykb_records_the_corpus_versions(bench_run):
    entries, _ = bench_run
    pk = entries["policykb"]
    assert pk["expected_versions"] > pk["n"]  # the last date brings at least one new version
    assert pk["versions"] == pk["expected_versions"]


def test_a_peer_that_cannot_run_says_why(bench_run):
    entries, tmp = bench_run
    ota = entries["ota"]
    assert "not installed" in ota["unavailable"] and str(tmp / "no-engine") in ota["unavailable"]
    assert ota["cycles"] == []


def test_report_renders_the_figures(bench_run):
    from bench.peers import report

    _, tmp = bench_run
    entries = report.load(tmp / "results.json")
    md = report.render(entries, tmp / "out").read_text()
    pk = next(e for e in entries if e["tool"] == "policykb")
    assert "| policykb" in md and "cannot run here: not installed" in md
    assert f"| {pk['versions']} | {pk['expected_versions']} | exact |" in md
    assert f"{pk['cycles'][0]['wall_s']:.1f}" in md


def test_memory_of_forked_workers_is_counted_once_in_the_pss_sum(tmp_path):
    """A parent holding 200 MiB forks two workers that only read it: the RSS sum counts those pages three times,
    the PSS sum (what the memory goal is judged on) about once. The workers stay 4 s (20 sampling intervals), so
    that the sampler, a thread that reads each process's memory in turn, sees the three of them whole even on a
    loaded machine (with 1.5 s, under `nice -n 19` beside a busy core, it saw 438 MiB of RSS and 144 MiB of PSS)."""
    from bench.peers.measure import run_command

    script = (
        "import os, time\n"
        "block = bytearray(os.urandom(1 << 20)) * 200\n"  # 200 MiB, touched
        "kids = []\n"
        "for _ in range(2):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        sum(block[::4096]); time.sleep(4); os._exit(0)\n"
        "    kids.append(pid)\n"
        "for pid in kids: os.waitpid(pid, 0)\n"
    )
    m = run_command([sys.executable, "-c", script], timeout=60, log_path=tmp_path / "log")
    assert m.ok, m.status
    mib = 2**20
    assert m.peak_rss > 550 * mib  # three processes each mapping the 200 MiB
    assert 190 * mib < m.peak_pss < 300 * mib, (m.peak_rss / mib, m.peak_pss / mib)
