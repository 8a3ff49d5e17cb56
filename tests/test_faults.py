"""Faults at the server, through a real crawl: retried where that helps, a failed check, never a version.

The FaultMart site (``tests/fixtures/faults_site/``) is served normally as of
2026-01-01 and crawled; from 2026-02-01 every host answers with the fault that
``FAULTS.yml`` plans for it (hangs, resets, truncated bodies, 5xx, 429, redirect
loops, login / captcha / consent pages, lost selectors, a shrunken page, ...),
and the site is crawled again with ``-s DOWNLOAD_TIMEOUT=2``. Each planned
fault is one test case, held to the ``expect`` block beside it in the plan.
The plan's request log says how often, and how patiently, the crawler asked.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, rows
from replay.faults import KINDS, Fault, FaultPlan, url_key
from replay.server import ReplayServer, parse_when

SITE = ROOT / "tests" / "fixtures" / "faults_site"
SOURCES = ROOT / "tests" / "fixtures" / "faults_sources" / "faults"
PLAN_FILE = SITE / "FAULTS.yml"
BEFORE, AFTER = "2026-01-01", "2026-02-01"
CRAWL_SETTINGS = ["-s", "DOWNLOAD_TIMEOUT=2"]

#: Planned faults the code does not handle yet: {document: reason}. Each is a strict
#: xfail, so the test turns red (XPASS) the day the bug is fixed: then remove it here.
KNOWN_BUGS: dict[str, str] = {}
#: Faults whose retries must wait longer each time (exponential backoff), and why they don't yet.
BACKOFF_BUGS: dict[str, str] = {}

PLAN = FaultPlan.load(PLAN_FILE)
ENTRIES = [(url, fault) for url, fault in PLAN.entries()]


def doc_of(url: str) -> str:
    return "faultmart/" + urlsplit(url).hostname.split(".")[0]


def policykb_timed(*args, timeout=180):
    """Run the CLI with a hard time limit (a hung crawl fails the test instead of the suite)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "kb.cli", *map(str, args)], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=timeout)
    assert result.returncode == 0, f"policykb {args[0]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass
class FaultRun:
    data: Path
    plan: FaultPlan
    split: float  # monotonic time at which the faulty crawl began
    crawl_seconds: float

    @property
    def db(self):
        return self.data / "policykb.db"

    def attempts(self, url):
        return [t for t in self.plan.requests(url) if t >= self.split]


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory):
    """Crawl + build FaultMart as of 2026-01-01 (healthy), then as of 2026-02-01 (faulty)."""
    data = tmp_path_factory.mktemp("faults") / "data"
    plan = FaultPlan.load(PLAN_FILE)
    with ReplayServer(SITE, BEFORE, faults=plan) as server:
        policykb_timed("crawl", "--data", data, "--sources", SOURCES, "--replay", server.url, "--log-level", "ERROR",
                       *CRAWL_SETTINGS)
        policykb_timed("build", "--data", data)
        server.as_of = parse_when(AFTER)
        split = time.monotonic()
        policykb_timed("crawl", "--data", data, "--sources", SOURCES, "--replay", server.url, "--log-level", "ERROR",
                       *CRAWL_SETTINGS)
        crawl_seconds = time.monotonic() - split
        policykb_timed("build", "--data", data)
    run = FaultRun(data, plan, split, crawl_seconds)
    yield run
    out = os.environ.get("POLICYKB_RELIABILITY_DIR")
    if out:  # bench/reliability.sh: versions that should be in the KB and are not
        (Path(out) / "faults.json").write_text(json.dumps({"lost": lost_versions(run), "crawl_seconds": crawl_seconds}))


def lost_versions(run: FaultRun) -> int:
    """Versions a correct tracker records here that the KB lacks: every page as of 2026-01-01, and
    the 2026-02-01 page of the control and of every transient fault that a retry overcame."""
    docs = {doc_of(url) for url, _ in ENTRIES} | {"faultmart/control"}
    recovered = {doc_of(url) for url, f in ENTRIES if f.extra["expect"]["outcome"] == "new_version"}
    lost = 0
    for doc in docs:
        for date, wanted in ((BEFORE, True), (AFTER, doc in recovered or doc == "faultmart/control")):
            if wanted and not rows(run.db, "select 1 from versions where document_id = ? and observed_at like ?",
                                   [doc, date + "%"]):
                lost += 1
    return lost


def test_the_plan_has_every_kind_of_fault():
    planned = {fault.kind for _, fault in ENTRIES}
    assert planned == set(KINDS), f"kinds without a test case: {set(KINDS) - planned}"
    assert len(planned) >= 12


def _case_id(entry):
    return doc_of(entry[0]).split("/")[1]


def _params(bugs):
    return [pytest.param(e, id=_case_id(e), marks=[pytest.mark.xfail(reason=bugs[doc_of(e[0])], strict=True)]
                         if doc_of(e[0]) in bugs else []) for e in ENTRIES]


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("entry", _params(KNOWN_BUGS))
def test_fault_is_a_failed_check_never_a_version(fault_run, entry):
    url, fault = entry
    expect = fault.extra["expect"]
    doc = doc_of(url)
    checks = rows(fault_run.db, "select * from checks where document_id = ? and checked_at >= ?", [doc, AFTER])
    assert len(checks) == 1, f"{doc}: one fetch is one check, got {checks}"
    check = checks[0]
    after = rows(fault_run.db, "select * from versions where document_id = ? and observed_at >= ?", [doc, AFTER])
    first = rows(fault_run.db, "select id from versions where document_id = ? and observed_at < ?", [doc, AFTER])
    assert len(first) == 1, f"{doc}: the healthy crawl's version is kept"
    document = rows(fault_run.db, "select * from documents where id = ?", [doc])[0]

    lo, hi = expect["attempts"]
    attempts = fault_run.attempts(url)
    assert lo <= len(attempts) <= hi, f"{doc}: {len(attempts)} requests, expected {lo}..{hi}"
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    if "min_gap" in expect:
        assert gaps and min(gaps) >= expect["min_gap"] * 0.95, f"{doc}: retried after {gaps}s"

    outcome = expect["outcome"]
    if outcome == "failed_or_correct":
        outcome = "new_version" if check["outcome"] == "new_version" else "failed"
    if outcome == "failed":
        assert check["outcome"] == "failed", f"{doc}: {fault.kind} gave {check['outcome']} ({check['reason']})"
        assert check["reason"] and re.search(expect["reason"], check["reason"], re.IGNORECASE), check["reason"]
        assert check["version_id"] is None
        assert after == [], f"{doc}: a {fault.kind} became a version: {after[0]['text_markdown'][:200]!r}"
        assert document["state"] == "failing"
        assert document["current_version_id"] == first[0]["id"], "the last good version stays current"
        assert document["last_failure_reason"] == check["reason"]
    else:
        assert check["outcome"] == "new_version", f"{doc}: {check['outcome']} ({check['reason']})"
        assert len(after) == 1 and check["version_id"] == after[0]["id"]
        assert expect["text"] in after[0]["text_markdown"], f"{doc}: the new clause is missing"
        assert "\ufffd" not in after[0]["text_markdown"], f"{doc}: undecodable characters in the version"
        assert document["state"] == "ok" and document["current_version_id"] == after[0]["id"]


@pytest.mark.parametrize("entry", [p for p in _params(BACKOFF_BUGS) if p.values[0][1].extra["expect"].get("backoff")])
def test_retries_back_off(fault_run, entry):
    """A server error is retried, and each wait is at least twice the one before: 1 s, 2 s, 4 s, ...

    Each observed gap is compared with the wait the backoff schedules (``POLICYKB_RETRY_BACKOFF``
    = 1 s, doubled at each retry), a lower bound a loaded machine cannot break: a sleep can wake
    late, never early. (Comparing observed gaps with each other failed when one wake-up ran late.)
    """
    url, fault = entry
    attempts = fault_run.attempts(url)
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    assert len(gaps) >= 2, f"{url}: {len(attempts)} attempts"
    scheduled = [2.0 ** i for i in range(len(gaps))]
    assert all(g >= 0.95 * s for g, s in zip(gaps, scheduled)), \
        f"{doc_of(url)}: waits between retries {[round(g, 2) for g in gaps]}s, less than the backoff's {scheduled}s"


def test_nothing_is_lost(fault_run):
    assert lost_versions(fault_run) == 0


def test_healthy_document_beside_the_faults(fault_run):
    checks = rows(fault_run.db, "select outcome from checks where document_id = 'faultmart/control' order by id")
    assert [c["outcome"] for c in checks] == ["new_version", "new_version"]


def test_no_request_left_the_declared_domains(fault_run):
    """An offsite redirect must not be followed: the attacker's host never sees a request."""
    hosts = fault_run.plan.hosts_seen()
    assert all(h.endswith(".faultmart.example") for h in hosts), sorted(hosts)


def test_no_version_is_a_bogus_or_empty_text(fault_run):
    """Across all documents and both dates: no version without words, no U+FFFD, none from the attacker."""
    for v in rows(fault_run.db, "select id, text_markdown, chars from versions"):
        assert re.search(r"\w{3}", v["text_markdown"]), v["id"]
        assert "\ufffd" not in v["text_markdown"], v["id"]
        assert "ATTACKER-CONTROLLED" not in v["text_markdown"], v["id"]


def test_the_faulty_crawl_was_time_bound(fault_run):
    # every hang is cut by DOWNLOAD_TIMEOUT=2 (3 attempts), the redirect loop by REDIRECT_MAX_TIMES
    assert fault_run.crawl_seconds < 120, fault_run.crawl_seconds


# ---------------------------------------------------------------------------
# The fault server on the wire (no crawler): each kind does what it says.


@pytest.fixture(scope="module")
def wire_server():
    plan = FaultPlan({f"https://{k}.wire.example/p": k for k in KINDS})
    for k in ("timeout", "slow_body"):
        plan.faults[url_key(f"https://{k}.wire.example/p")].seconds = 1.5
    plan.add("https://once.wire.example/p", Fault("http_503", times=1))
    with ReplayServer(SITE, AFTER, faults=plan) as server:
        yield server, plan


def raw_get(server, url, timeout=5):
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.request("GET", "/" + url)
    resp = conn.getresponse()
    return resp, resp.read()


def test_wire_status_faults(wire_server):
    server, _ = wire_server
    for kind, status in (("http_500", 500), ("http_502", 502), ("http_503", 503), ("rate_limited", 429),
                         ("redirect_loop", 302), ("login_redirect", 302), ("offsite_redirect", 302),
                         ("captcha", 200), ("consent", 200), ("empty", 200), ("binary", 200)):
        resp, body = raw_get(server, f"https://{kind}.wire.example/p")
        assert resp.status == status, kind
    resp, _ = raw_get(server, "https://rate_limited.wire.example/p")
    assert resp.getheader("Retry-After") == "1"
    resp, _ = raw_get(server, "https://redirect_loop.wire.example/p")
    loop = resp.getheader("Location")
    resp, _ = raw_get(server, loop)
    assert resp.getheader("Location") == "https://redirect_loop.wire.example/p"
    resp, _ = raw_get(server, "https://login_redirect.wire.example/p")
    resp, body = raw_get(server, resp.getheader("Location"))
    assert resp.status == 200 and b'type="password"' in body


def test_wire_transient_fault_then_the_page(wire_server):
    server, plan = wire_server
    assert raw_get(server, "https://once.wire.example/p")[0].status == 503
    assert raw_get(server, "https://once.wire.example/p")[0].status == 404  # no page there: served as usual
    assert len(plan.requests("https://once.wire.example/p")) == 2


def test_wire_connection_faults(wire_server):
    server, _ = wire_server
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        raw_get(server, "https://reset.wire.example/p")
    started = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        raw_get(server, "https://timeout.wire.example/p", timeout=0.5)
    assert time.monotonic() - started < 3


def test_wire_truncated_and_reshaped_pages(tmp_path):
    page = tmp_path / "shop.wire.example" / "p"
    page.mkdir(parents=True)
    original = (SITE / "control.faultmart.example" / "help" / "policy" / "2026-02-01.html").read_bytes()
    (page / "2026-01-01.html").write_bytes(original)
    with ReplayServer(tmp_path, AFTER, faults=FaultPlan({"https://shop.wire.example/p": "truncated"})) as server:
        with pytest.raises(http.client.IncompleteRead):
            raw_get(server, "https://shop.wire.example/p")
    for kind, check in (
        ("no_selectors", lambda b: b'id="policy-content"' not in b and b"Seller Fees Schedule" in b),
        ("shrink", lambda b: len(b) < len(original) / 2 and b'id="policy-content"' in b),
        ("wrong_charset", lambda b: b"Seller Fees Schedule" in b),
    ):
        with ReplayServer(tmp_path, AFTER, faults=FaultPlan({"https://shop.wire.example/p": kind})) as server:
            resp, body = raw_get(server, "https://shop.wire.example/p")
            assert resp.status == 200 and check(body), kind


def test_plan_errors_are_clear(tmp_path):
    bad = tmp_path / "plan.yml"
    bad.write_text("- url: https://x.example/\n  fault: meteor_strike\n")
    with pytest.raises(ValueError, match="entry 1.*meteor_strike"):
        FaultPlan.load(bad)
