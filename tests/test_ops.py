"""Operations: the scheduler, run records, health, alerts and their webhook, backup, rebuild, deploy files.

The scheduler's due logic is tested with a fake clock; everything else for
real: ``policykb watch`` in a subprocess crawling the demo site through the
replay server, a webhook receiver on 127.0.0.1, backups while a build writes.
"""

from __future__ import annotations

import configparser
import json
import os
import pty
import random
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from conftest import DEMO_SITE, DEMO_SOURCES, ROOT, crawl_as_of, free_port, policykb, rows
from kb.ops.watch import Planned, Scheduler, load_next_checks, save_next_checks

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
GONE = "demomart/prohibited-products"


def kb(data):
    return Path(data) / "policykb.db"


def wait_for(predicate, timeout=60, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# -- the scheduler's due logic, with a fake clock ----------------------------------------------------


def planned_docs():
    return [
        Planned("a/one", "help.a.example", 3600.0),
        Planned("a/two", "help.a.example", 3600.0),
        Planned("a/urgent", "help.a.example", 600.0, important=True),
        Planned("b/one", "seller.b.example", 7200.0),
    ]


def test_scheduler_picks_due_documents_one_batch_per_domain():
    clock = 1_000_000.0
    s = Scheduler(planned_docs(), jitter=0.0)
    batches = s.due(clock)
    assert {b.domain: sorted(b.documents) for b in batches} == {
        "help.a.example": ["a/one", "a/two", "a/urgent"], "seller.b.example": ["b/one"]}
    # a domain with a crawl running is never given a second one
    assert [b.domain for b in s.due(clock, busy_domains={"help.a.example"})] == ["seller.b.example"]

    s.checked(["a/one", "a/two", "a/urgent", "b/one"], clock)
    assert s.due(clock + 1) == []
    assert s.next_due() == clock + 600
    # the important document comes back first, alone
    assert [(b.domain, b.documents) for b in s.due(clock + 600)] == [("help.a.example", ["a/urgent"])]
    s.checked(["a/urgent"], clock + 600)
    assert s.due(clock + 1199) == []
    assert {k for b in s.due(clock + 3600) for k in b.documents} == {"a/one", "a/two", "a/urgent"}
    assert {k for b in s.due(clock + 7200) for k in b.documents} == {"a/one", "a/two", "a/urgent", "b/one"}
    # documents being crawled are not handed out twice
    assert {k for b in s.due(clock + 7200, exclude={"a/one"}) for k in b.documents} == {"a/two", "a/urgent", "b/one"}


def test_scheduler_jitter_stays_within_bounds_and_spreads_documents():
    docs = [Planned(f"p/d{i}", "x.example", 1000.0) for i in range(50)]
    s = Scheduler(docs, jitter=0.1, rng=random.Random(7))
    nexts = s.checked([d.key for d in docs], 0.0)
    assert all(900.0 <= t <= 1100.0 for t in nexts.values())
    assert len({round(t) for t in nexts.values()}) > 25  # not all at once
    # a crash is retried sooner than the interval, never later
    assert s.retry_later(["p/d0"], 0.0, delay=300)["p/d0"] == 300.0
    assert s.retry_later(["p/d0"], 0.0, delay=5000)["p/d0"] == 1000.0


def test_scheduler_state_resumes_from_the_kb(tmp_path):
    from kb.db import open_db

    db = open_db(tmp_path)
    clock = 2_000_000.0
    first = Scheduler(planned_docs(), jitter=0.1, rng=random.Random(1))
    save_next_checks(db, first.checked(["a/one", "a/urgent"], clock))
    db.close()
    db = open_db(tmp_path)  # a new process: state only from the KB
    second = Scheduler(planned_docs(), load_next_checks(db, planned_docs()), jitter=0.1)
    for key in ("a/one", "a/urgent"):
        assert abs(second.next[key] - first.next[key]) < 1.0  # ISO seconds
    assert {k for b in second.due(clock + 1) for k in b.documents} == {"a/two", "b/one"}
    assert {k for b in second.due(clock + 700) for k in b.documents} == {"a/two", "b/one", "a/urgent"}


def test_interval_and_important_keys_in_declarations(tmp_path):
    from pipeline.sources import DeclarationError, load_platform, parse_interval

    assert parse_interval("90s") == 90 and parse_interval("15m") == 900 and parse_interval("6h") == 21600
    assert parse_interval("1d") == 86400 and parse_interval(120) == 120
    source = (DEMO_SOURCES / "shoptide.yml").read_text(encoding="utf-8")
    path = tmp_path / "shoptide.yml"
    path.write_text(source.replace("    js: false", "    js: false\n    interval: 2h\n    important: true", 1))
    docs = load_platform(path).documents
    assert (docs[0].interval, docs[0].important) == (7200, True)
    assert (docs[1].interval, docs[1].important) == (None, False)
    for bad, field in (("interval: soon", "interval"), ("interval: -5", "interval"), ("important: 'yes'", "important")):
        path.write_text(source.replace("    js: false", f"    js: false\n    {bad}", 1))
        with pytest.raises(DeclarationError) as err:
            load_platform(path)
        assert f"field {field!r}" in str(err.value) and "\n" not in str(err.value)


# -- run records and health ---------------------------------------------------------------------------


def test_every_crawl_leaves_a_run_record_with_scrapy_stats(crawled_demo_kb, expected):
    runs = rows(kb(crawled_demo_kb), "select * from runs order by started_at")
    assert len(runs) == len(expected["dates"])
    n_docs = len(expected["documents"])
    for run in runs:
        assert run["kind"] == "crawl" and run["status"] == "finished" and run["finish_reason"] == "finished"
        assert run["outcomes_complete"] == 1 and run["duration_s"] > 0
        by_status = json.loads(run["responses_by_status"])
        assert sum(by_status.values()) == run["responses"] and run["requests"] >= n_docs
        assert run["items"] == n_docs
        outcomes = rows(kb(crawled_demo_kb), "select outcome, count(*) as n from checks where warc_file in "
                                             "(select value from json_each(?)) group by outcome", [run["warc_files"]])
        got = {o["outcome"]: o["n"] for o in outcomes}
        assert got == {k: run[k if k != "new_version" else "new_versions"] for k in got}
        assert sum(got.values()) == n_docs
    assert [r["new_versions"] for r in runs][0] == n_docs
    assert runs[-1]["gone"] == 1 and "404" in json.loads(runs[-1]["responses_by_status"])


def status_json(data, *extra):
    return json.loads(policykb("status", "--data", data, "--json", *extra).stdout)


def test_status_of_the_demo_kb_shows_the_gone_document_and_why(demo_kb, expected):
    text = policykb("status", "--data", demo_kb).stdout
    assert re.search(rf"gone\s+{GONE}: HTTP 404", text), text
    status = status_json(demo_kb)
    assert set(status) == {"platforms", "documents"}
    docs = {d["id"]: d for d in status["documents"]}
    assert set(docs) == set(expected["documents"])
    for d in docs.values():
        assert set(d) == {"id", "platform", "state", "last_success", "last_failure_reason", "next_check",
                          "stale_after_hours"}
    assert docs[GONE]["state"] == "gone" and docs[GONE]["last_failure_reason"] == "HTTP 404"
    assert {d["state"] for k, d in docs.items() if k != GONE} == {"ok"}
    assert all(d["next_check"] for d in docs.values())
    demomart = next(p for p in status["platforms"] if p["id"] == "demomart")
    assert (demomart["gone"], demomart["ok"]) == (1, 4)
    # four days after the last check, with 24 h intervals, the documents are stale (gone stays gone)
    later = {d["id"]: d["state"] for d in status_json(demo_kb, "--now", "2026-07-05")["documents"]}
    assert later[GONE] == "gone" and {s for k, s in later.items() if k != GONE} == {"stale"}


@pytest.mark.asyncio
async def test_status_page_and_json_endpoint_match_the_command(demo_kb):
    ds = Datasette([str(kb(demo_kb))], metadata=METADATA)
    response = await ds.client.get("/-/policykb/status.json")
    assert response.status_code == 200
    assert response.json() == status_json(demo_kb)
    page = await ds.client.get("/-/policykb/status")
    assert page.status_code == 200
    assert GONE in page.text and "HTTP 404" in page.text and "DemoMart" in page.text


# -- alerts and notifications ------------------------------------------------------------------------


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that keeps what it is sent."""

    def __init__(self):
        self.received = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append({"path": self.path, "body": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


def site_with_broken_layout(tmp_path):
    """The demo site plus a 2026-08-01 snapshot of one page whose content element was renamed."""
    site = tmp_path / "site"
    shutil.copytree(DEMO_SITE, site)
    folder = site / "sellercentral.demomart.example" / "help" / "account-health"
    latest = sorted(folder.glob("*.html"))[-1].read_text(encoding="utf-8")
    assert 'id="help-content"' in latest
    (folder / "2026-08-01.html").write_text(latest.replace('id="help-content"', 'id="help-body"')
                                            .replace('class="help-content"', 'class="help-body"'), encoding="utf-8")
    return site


@pytest.mark.slow
def test_alerts_are_recorded_sent_once_and_resolved(demo_copy, tmp_path, monkeypatch):
    receiver = Receiver()
    sent_file = tmp_path / "alerts.jsonl"
    monkeypatch.setenv("POLICYKB_NOTIFY", receiver.url)
    monkeypatch.setenv("POLICYKB_ALERT_COMMAND", f"cat >> {shlex.quote(str(sent_file))}; echo >> {shlex.quote(str(sent_file))}")
    monkeypatch.setenv("POLICYKB_ALERT_AFTER", "2")
    try:
        # 1. a page is redesigned: its selector suddenly matches nothing
        crawl_as_of(demo_copy, "2026-08-01", site=site_with_broken_layout(tmp_path))
        policykb("build", "--data", demo_copy)
        # (the demo's value changes were value_changed alerts of its own builds: events, resolved since)
        alerts = rows(kb(demo_copy), "select * from alerts where kind != 'value_changed'")
        assert [(a["kind"], a["subject"], a["state"]) for a in alerts] == [
            ("selector_empty", "demomart/account-health", "open")]
        assert "matched nothing" in alerts[0]["message"] and alerts[0]["notified_at"]
        assert len(receiver.received) == 1
        hook = receiver.received[0]["body"]
        assert "selector_empty" in hook["title"] and "demomart/account-health" in hook["title"]
        assert "matched nothing" in hook["message"]
        sent = [json.loads(line) for line in sent_file.read_text().splitlines() if line.strip()]
        assert [(a["kind"], a["subject"]) for a in sent] == [("selector_empty", "demomart/account-health")]

        # 2. the whole site is unreachable: every platform is down; only the document that has now
        #    failed twice in a row (N = 2) alerts, the others failed once
        policykb("crawl", "--data", demo_copy, "--replay", f"http://127.0.0.1:{free_port()}", "--log-level", "ERROR")
        policykb("build", "--data", demo_copy)
        open_alerts = {(a["kind"], a["subject"]) for a in rows(kb(demo_copy), "select * from alerts where state = 'open'")}
        assert open_alerts == {("selector_empty", "demomart/account-health"),
                               ("document_failing", "demomart/account-health"),
                               ("platform_down", "demomart"), ("platform_down", "shoptide"),
                               ("platform_down", "kuajing")}
        titles = [r["body"]["title"] for r in receiver.received]
        assert len(titles) == 5 and len(set(titles)) == 5  # each alert sent once, the first not again
        status = status_json(demo_copy)
        assert sum(p["open_alerts"] for p in status["platforms"]) == 5
        failing = {d["id"]: d for d in status["documents"] if d["state"] == "failing"}
        assert len(failing) == 9 and all("Connection" in d["last_failure_reason"] or "refused" in
                                         d["last_failure_reason"] for d in failing.values())

        # 3. back to normal: everything resolves, nothing new is sent
        crawl_as_of(demo_copy, "2026-07-01")
        policykb("build", "--data", demo_copy)
        assert rows(kb(demo_copy), "select count(*) as n from alerts where state = 'open'")[0]["n"] == 0
        listed = [a for a in json.loads(policykb("alerts", "--data", demo_copy, "--all", "--json").stdout)["alerts"]
                  if a["kind"] != "value_changed"]
        assert len(listed) == 5 and all(a["state"] == "resolved" and a["resolved_at"] for a in listed)
        assert len(receiver.received) == 5
    finally:
        receiver.shutdown()


def test_a_failed_notification_is_recorded_and_tried_again(demo_copy, monkeypatch):
    from kb.ops import alerts
    from kb.db import open_db

    db = open_db(demo_copy)
    db.execute("update documents set state = 'failing', consecutive_failures = 5, "
               "last_failure_reason = 'HTTP 503' where id = 'kuajing/appeals'")
    # the demo's own alerts (its value changes) were already told: this test is about the failing document's
    db.execute("update alerts set notified_at = '2026-07-01T00:00:00Z'")
    assert [a["subject"] for a in alerts.evaluate(db, after=3)] == ["kuajing/appeals"]
    dead = alerts.NotifyConfig((f"http://127.0.0.1:{free_port()}/hook",))
    assert alerts.notify_pending(db, dead) == 1
    row = rows(kb(demo_copy), "select notified_at, notify_error from alerts where subject = 'kuajing/appeals'")[0]
    assert row["notified_at"] is None and row["notify_error"]
    receiver = Receiver()
    try:
        assert alerts.notify_pending(db, alerts.NotifyConfig((receiver.url,))) == 1
        assert len(receiver.received) == 1 and "HTTP 503" in receiver.received[0]["body"]["message"]
        assert alerts.notify_pending(db, alerts.NotifyConfig((receiver.url,))) == 0
    finally:
        receiver.shutdown()
        db.close()


# -- policykb watch, for real ---------------------------------------------------------------------------


def start_watch(data, sources, replay_url, *extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "watch", "--data", str(data), "--sources", str(sources), "--replay",
         replay_url, *map(str, extra)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_watch(proc, timeout=60):
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError(f"watch did not stop within {timeout}s:\n{out}")
    return proc.returncode, out


def checks_per_document(data):
    if not kb(data).exists():
        return {}
    try:
        return {r["document_id"]: r["n"] for r in
                rows(kb(data), "select document_id, count(*) as n from checks group by document_id")}
    except sqlite3.OperationalError:
        return {}


def important_shoptide_sources(tmp_path):
    """The demo declarations, with ShopTide's two documents marked important."""
    sources = tmp_path / "sources"
    shutil.copytree(DEMO_SOURCES, sources)
    path = sources / "shoptide.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("    js: false", "    js: false\n    important: true"),
                    encoding="utf-8")
    return sources


@pytest.mark.slow
def test_watch_checks_on_schedule_and_resumes_after_a_restart(tmp_path, expected):
    from replay.server import ReplayServer, parse_when

    data, sources = tmp_path / "data", important_shoptide_sources(tmp_path)
    options = ["--default-interval", "1h", "--important-interval", "3s", "--jitter", "0"]
    with ReplayServer(DEMO_SITE, "2026-01-15") as server:
        proc = start_watch(data, sources, server.url, *options)
        try:
            # every document checked once; the important ones again after their 3 s
            wait_for(lambda: len(checks_per_document(data)) == 10 and
                     all(checks_per_document(data).get(f"shoptide/{d}", 0) >= 2
                         for d in ("penalty-points", "returns-refunds")), timeout=90, what="first checks")
        finally:
            code, out = stop_watch(proc)
        assert code == 0, out
        before = checks_per_document(data)
        assert {k: v for k, v in before.items() if not k.startswith("shoptide/")} == {
            k: 1 for k in expected["documents"] if not k.startswith("shoptide/")}
        runs = rows(kb(data), "select * from runs")
        assert runs and {r["status"] for r in runs} <= {"finished", "interrupted"}
        assert all(r["kind"] == "watch" and r["domains"].count(",") == 0 for r in runs)  # one domain per run
        finished = [r for r in runs if r["status"] == "finished"]
        assert finished and all(r["requests"] and r["outcomes_complete"] for r in finished)
        schedule = {r["document_id"]: r for r in rows(kb(data), "select * from schedule")}
        assert schedule["demomart/account-health"]["interval_s"] == 3600
        assert schedule["shoptide/penalty-points"]["interval_s"] == 3 and schedule["shoptide/penalty-points"]["important"]

        # restart, with the site moved on: only the important documents are due again
        server.as_of = parse_when("2026-07-01")
        proc = start_watch(data, sources, server.url, *options)
        try:
            wait_for(lambda: checks_per_document(data).get("shoptide/penalty-points", 0) >= before[
                "shoptide/penalty-points"] + 1 and rows(kb(data), "select count(*) as n from versions where "
                                                        "document_id = 'shoptide/penalty-points'")[0]["n"] == 2,
                     timeout=60, what="the important document's next check")
        finally:
            code, out = stop_watch(proc)
        assert code == 0, out
        after = checks_per_document(data)
        for doc in expected["documents"]:
            if not doc.startswith("shoptide/"):
                assert after[doc] == before[doc], f"{doc} was checked again before its interval"
        # the demomart page that changed on 2026-07-01 waits for its own (1 h) check
        assert rows(kb(data), "select count(*) as n from versions where document_id = "
                              "'demomart/intellectual-property'")[0]["n"] == 1
        assert rows(kb(data), "select count(*) as n from runs where status = 'running'")[0]["n"] == 0


@pytest.mark.slow
def test_sigterm_mid_crawl_leaves_a_consistent_kb_and_the_rest_still_due(tmp_path):
    from replay.server import ReplayServer

    data = tmp_path / "data"
    slow = ["-s", "DOWNLOAD_DELAY=1.5", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    with ReplayServer(DEMO_SITE, "2026-01-15") as server:
        proc = start_watch(data, DEMO_SOURCES, server.url, "--default-interval", "1h", "--max-parallel", "1", *slow)
        warcs = data / "warcs"
        try:
            # wait until a crawl has archived at least one fetch, then stop in the middle of it
            wait_for(lambda: any(p.stat().st_size > 2000 for p in warcs.glob("*.warc.gz.open"))
                     if warcs.is_dir() else False, timeout=60, interval=0.05, what="a crawl in progress")
        finally:
            code, out = stop_watch(proc)
        assert code == 0, out
        assert not list(warcs.glob("*.open")), "Scrapy's graceful shutdown closes the WARC"
        closed = {p.name for p in warcs.glob("*.warc.gz")}
        assert closed and closed == {r["name"] for r in rows(kb(data), "select name from warc_files")}
        assert rows(kb(data), "pragma integrity_check")[0]["integrity_check"] == "ok"
        assert rows(kb(data), "pragma foreign_key_check") == []
        interrupted = rows(kb(data), "select * from runs where status = 'interrupted'")
        assert len(interrupted) == 1 and interrupted[0]["finish_reason"] == "shutdown", out
        checked = checks_per_document(data)
        assert 0 < len(checked) < 10
        # nothing was left half-built: a build now finds nothing to do
        before = rows(kb(data), "select count(*) as n from checks")[0]["n"]
        assert "0 records" in policykb("build", "--data", data).stdout
        assert rows(kb(data), "select count(*) as n from checks")[0]["n"] == before
        # what the crawl did not reach is still due; what it checked is not: one pass completes it
        result = subprocess.run(
            [sys.executable, "-m", "kb.cli", "watch", "--once", "--data", str(data), "--replay", server.url,
             "--default-interval", "1h"], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    final = checks_per_document(data)
    assert len(final) == 10
    assert all(final[d] == 1 for d in checked), "documents checked before SIGTERM were not due again"


# -- backup while the KB is written and served ----------------------------------------------------------


@pytest.mark.slow
def test_backup_while_a_build_writes_and_datasette_serves(tmp_path):
    from kb.ops.backup import backup
    from test_end_to_end import synthetic_archive

    none = policykb("backup", "--data", tmp_path / "nothing", tmp_path / "x.db", check=False)
    assert none.returncode == 2 and "no KB" in none.stderr
    data = tmp_path / "data"
    synthetic_archive(data, copies=12)  # 120 fetches: a build of several seconds
    (data / ".policykb-sources").write_text(str(DEMO_SOURCES))
    from kb.db import open_db

    open_db(data).close()  # an empty KB for Datasette to serve from the start
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--data", str(data), "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    builder = subprocess.Popen([sys.executable, "-m", "kb.cli", "build", "--data", str(data)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    copies, served = [], 0
    try:
        wait_for(lambda: rows(kb(data), "select count(*) as n from checks")[0]["n"] > 0, timeout=60,
                 what="the build to start writing")
        while builder.poll() is None and len(copies) < 8:
            target = tmp_path / f"backup-{len(copies)}.db"
            result = backup(kb(data), target)
            copies.append((target, builder.poll() is None))
            try:
                if httpx.get(f"http://127.0.0.1:{port}/policykb/checks.json?_size=1", timeout=5).status_code == 200:
                    served += 1
            except httpx.HTTPError:
                pass
            assert result["pages"] > 0
            time.sleep(0.3)
        cli_copy = tmp_path / "cli-backups"
        cli_copy.mkdir()
        out = policykb("backup", "--data", data, cli_copy).stdout
        assert "backed up" in out and len(list(cli_copy.glob("policykb-*.db"))) == 1
        assert builder.wait(timeout=300) == 0
    finally:
        for proc in (builder, server):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
    during = [path for path, running in copies if running]
    assert len(during) >= 2, "the build finished before two backups could be taken; make the archive larger"
    assert served >= 1, "Datasette served the KB while it was backed up"
    final = rows(kb(data), "select id, warc_record_id, outcome, version_id from checks order by id")
    counts = []
    for path in during + list(cli_copy.glob("*.db")):
        assert rows(path, "pragma integrity_check")[0]["integrity_check"] == "ok"
        assert rows(path, "pragma journal_mode")[0]["journal_mode"] == "delete"
        assert rows(path, "pragma foreign_key_check") == []
        assert rows(path, "select count(*) as n from versions where check_id is null")[0]["n"] == 0
        copied = rows(path, "select id, warc_record_id, outcome, version_id from checks order by id")
        assert copied == final[:len(copied)], "a backup is the KB as of one instant"
        counts.append(len(copied))
    # copies taken while the build wrote differ from each other and from the end result (the builder
    # process may still be running its after-build steps once every check is written)
    assert len(set(counts[:len(during)])) >= 2 and min(counts[:len(during)]) < len(final)


def test_backup_refuses_to_overwrite_the_kb(demo_copy):
    result = policykb("backup", "--data", demo_copy, kb(demo_copy), check=False)
    assert result.returncode == 1 and "must not overwrite" in result.stderr
    assert rows(kb(demo_copy), "pragma integrity_check")[0]["integrity_check"] == "ok"


# -- rebuild keeps what is not in the WARCs ---------------------------------------------------------------


@pytest.mark.slow
def test_rebuild_keeps_runs_alerts_and_schedule(crawled_demo_copy):
    from kb.db import open_db

    db = open_db(crawled_demo_copy)
    db["alerts"].insert({"kind": "document_failing", "subject": "kuajing/appeals", "state": "resolved",
                         "opened_at": "2026-05-01T00:00:00Z", "resolved_at": "2026-05-02T00:00:00Z",
                         "message": "kept through a rebuild"})
    save_next_checks(db, {"kuajing/appeals": 4_102_444_800.0})
    db.close()
    tables = ("runs", "alerts", "schedule")
    before = {t: rows(kb(crawled_demo_copy), f"select * from {t} order by 1") for t in tables}
    assert before["runs"] and before["alerts"]
    policykb("rebuild", "--data", crawled_demo_copy)
    after = {t: rows(kb(crawled_demo_copy), f"select * from {t} order by 1") for t in tables}
    assert after == before


# -- progress on a terminal, quiet in logs ------------------------------------------------------------------


@pytest.mark.slow
def test_crawl_draws_progress_on_a_terminal_only(tmp_path):
    from replay.server import ReplayServer

    def crawl(data, stderr):
        with ReplayServer(DEMO_SITE, "2026-01-15") as server:
            return subprocess.run(
                [sys.executable, "-m", "kb.cli", "crawl", "--data", str(data), "--sources", str(DEMO_SOURCES),
                 "--replay", server.url, "--platform", "shoptide", "--log-level", "WARNING"],
                cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL, stderr=stderr,
                timeout=120)

    master, slave = pty.openpty()
    chunks = []
    reader = threading.Thread(target=lambda: _drain(master, chunks), daemon=True)
    reader.start()
    assert crawl(tmp_path / "tty", slave).returncode == 0
    os.close(slave)
    reader.join(timeout=5)
    on_tty = b"".join(chunks).decode("utf-8", "replace")
    assert "\rcrawl: 2/2 documents fetched" in on_tty
    logged = crawl(tmp_path / "log", subprocess.PIPE).stderr.decode()
    assert "documents fetched" not in logged


def _drain(fd, chunks):
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        chunks.append(data)


# -- deploy files name real commands ---------------------------------------------------------------------


def test_deploy_files_name_real_commands_and_options():
    from click.testing import CliRunner

    from kb.cli import cli

    commands = []
    for unit in sorted((ROOT / "deploy").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read(unit)
        commands.append(parser["Service"]["ExecStart"])
    for line in (ROOT / "deploy" / "crontab.example").read_text().splitlines():
        if line and not line.startswith("#") and "policykb " in line:
            commands.append(line[line.index(".venv/bin/policykb"):].split(" >")[0])
    assert len(commands) >= 6
    runner = CliRunner()
    for command in commands:
        args = shlex.split(command)[1:]
        sub = cli.commands[args[0]]
        known = {opt for p in sub.params for opt in getattr(p, "opts", [])}
        for arg in args[1:]:
            if arg.startswith("--"):
                assert arg in known, f"{command}: {arg} is not an option of policykb {args[0]}"
        assert runner.invoke(cli, [args[0], "--help"]).exit_code == 0
    watch = (ROOT / "deploy" / "policykb-watch.service").read_text()
    assert "KillMode=mixed" in watch
