"""``policykb watch`` sends the weekly brief through the alert channels (Apprise; here a JSON webhook on
127.0.0.1): once per interval, each window starting the day after the last one sent; a failed send is recorded
and the same window tried again."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from conftest import DEMO_SITE, DEMO_SOURCES, ROOT, rows
from kb.db import open_db
from kb.ops.alerts import NotifyConfig
from kb.ops.briefs import WEEK, deliver_due
from pipeline.timeutil import parse_iso
from test_ops import Receiver


def test_the_brief_is_sent_once_a_week_through_the_alert_channels(demo_copy, expected):
    receiver = Receiver()
    db = open_db(demo_copy)
    try:
        start = parse_iso(expected["dates"][-1] + "T12:00:00Z")
        config = NotifyConfig((receiver.url,))
        first = deliver_due(db, config, now=start)
        last_day = expected["dates"][-1]
        assert first["until"] == last_day and first["error"] is None
        assert first["since"] == (date.fromisoformat(last_day) - timedelta(days=6)).isoformat()
        assert len(receiver.received) == 1
        hook = receiver.received[0]["body"]
        assert "政策简报" in hook["title"]
        changed = [doc for doc, e in expected["documents"].items() if last_day in e.get("versions", [])[1:]]
        assert changed and all(f"/-/policykb/diff/{doc}/" in hook["message"] for doc in changed)
        assert deliver_due(db, config, now=start + WEEK - 60) is None  # not due yet
        # due a week later, but the KB's day has not moved: the next window would be empty, nothing is sent
        assert deliver_due(db, config, now=start + WEEK) is None
        assert len(receiver.received) == 1
        sent = db.execute("select since, until, listed, error from brief_deliveries").fetchall()
        assert sent == [(first["since"], last_day, first["listed"], None)]
    finally:
        db.close()
        receiver.shutdown()


def test_a_failed_brief_is_recorded_and_its_window_tried_again(demo_copy, expected):
    db = open_db(demo_copy)
    receiver = Receiver()
    try:
        start = parse_iso(expected["dates"][-1] + "T12:00:00Z")
        receiver.shutdown()
        receiver.server_close()
        failed = deliver_due(db, NotifyConfig((receiver.url,)), now=start)
        assert failed["error"]
        again = Receiver()
        try:
            retried = deliver_due(db, NotifyConfig((again.url,)), now=start + 60)
            assert (retried["since"], retried["until"], retried["error"]) == (failed["since"], failed["until"], None)
            assert len(again.received) == 1
        finally:
            again.shutdown()
    finally:
        db.close()


def test_a_change_detected_later_on_the_day_a_brief_was_sent_is_in_the_next_one(demo_copy, expected, tmp_path):
    """A brief sent on the KB's last day; a build later that day records a change dated that same day: the next
    brief lists it (and only it), and says from when it lists changes."""
    import shutil

    import kbfactory

    receiver = Receiver()
    db = open_db(demo_copy)
    try:
        last_day = expected["dates"][-1]
        start = parse_iso(last_day + "T12:00:00Z")
        config = NotifyConfig((receiver.url,))
        first = deliver_due(db, config, now=start)
        assert first["error"] is None and first["until"] == last_day
        site = tmp_path / "site"
        shutil.copytree(DEMO_SITE, site)
        folder = site / "seller.shoptide.example" / "university" / "returns-refunds"
        page = (folder / "2026-04-01.html").read_text(encoding="utf-8")
        assert "must respond to a return or refund request within 48 hours" in page
        (folder / f"{last_day}T18:00:00Z.html").write_text(page.replace(
            "must respond to a return or refund request within 48 hours",
            "must respond to a return or refund request within 24 hours"), encoding="utf-8")
        kbfactory.crawl(demo_copy, f"{last_day}T18:00:00Z", DEMO_SOURCES, site)
        kbfactory.build(demo_copy, DEMO_SOURCES)
        late = db.execute("select detected_at from changes where document_id = 'shoptide/returns-refunds'"
                          " and kind = 'substantive'").fetchall()
        assert [r[0][:10] for r in late] == [last_day]

        second = deliver_due(db, config, now=start + WEEK)
        assert second is not None, "the change detected after the last brief was never sent"
        assert (second["since"], second["until"], second["listed"], second["error"]) == (last_day, last_day, 1, None)
        message = receiver.received[-1]["body"]["message"]
        assert "/-/policykb/diff/shoptide/returns-refunds/" in message
        assert "/-/policykb/diff/shoptide/penalty-points/" not in message  # already in the first brief
        # and nothing is sent twice: the day has not moved and nothing new was detected
        assert deliver_due(db, config, now=start + 2 * WEEK) is None
        assert len(receiver.received) == 2
    finally:
        db.close()
        receiver.shutdown()


@pytest.mark.slow
def test_watch_once_sends_the_brief_after_its_build(tmp_path, expected):
    """A real ``policykb watch --once`` (Scrapy over the replay server, the build) sends the brief to --notify."""
    from replay.server import ReplayServer

    receiver = Receiver()
    data = tmp_path / "data"
    try:
        with ReplayServer(DEMO_SITE, expected["dates"][-1]) as server:
            result = subprocess.run(
                [sys.executable, "-m", "kb.cli", "watch", "--once", "--data", str(data), "--sources",
                 str(DEMO_SOURCES), "--replay", server.url, "--notify", receiver.url, "--brief-lang", "en"],
                cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        briefs = [r["body"] for r in receiver.received if "Policy brief" in r["body"]["title"]]
        assert len(briefs) == 1, [r["body"]["title"] for r in receiver.received]
        assert "Not listed" in briefs[0]["message"]
        assert rows(data / "policykb.db", "select count(*) as n from brief_deliveries where error is null")[0]["n"] == 1
    finally:
        receiver.shutdown()
