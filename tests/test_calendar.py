"""The calendar of effective dates (``policykb calendar``, ``/-/policykb/calendar.ics``), read by ``icalendar`` and
by ``vobject`` (an independent parser): one event per date the demo announces, recent stated dates besides,
stable UIDs, the document, its sections and the permalink in each event."""

from __future__ import annotations

import re
from datetime import date, timedelta

import icalendar
import pytest
import vobject
from click.testing import CliRunner

from kb.calendar import RECENT_DAYS
from kb.cli import cli
from test_feeds import _datasette


def announced(expected) -> set[tuple[str, str]]:
    """(document, date) of every effective date EXPECTED.yml says a page announced (later than its crawl)."""
    return {(doc, when) for doc, e in expected["documents"].items()
            for day, when in e.get("effective", {}).items() if when > day}


def stated_recently(expected) -> set[tuple[str, str]]:
    last = date.fromisoformat(expected["dates"][-1])
    return {(doc, when) for doc, e in expected["documents"].items() for day, when in e.get("effective", {}).items()
            if when <= day and date.fromisoformat(when) >= last - timedelta(days=RECENT_DAYS)}


def calendar_bytes(demo_kb, *args) -> bytes:
    result = CliRunner().invoke(cli, ["calendar", "--data", str(demo_kb), *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def events_by_icalendar(body: bytes) -> dict[tuple[str, str], dict]:
    out = {}
    for ev in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        uid = str(ev["uid"])
        doc = uid.removeprefix("urn:policykb:effective:").rsplit(":", 1)[0]
        out[(doc, ev.decoded("dtstart").isoformat())] = {
            "uid": uid, "summary": str(ev["summary"]), "description": str(ev["description"]), "url": str(ev["url"]),
            "categories": [str(c) for c in ev["categories"].cats]}
    return out


def events_by_vobject(body: bytes) -> dict[tuple[str, str], dict]:
    cal = vobject.readOne(body.decode("utf-8"))
    out = {}
    for ev in cal.vevent_list:
        doc = ev.uid.value.removeprefix("urn:policykb:effective:").rsplit(":", 1)[0]
        out[(doc, ev.dtstart.value.isoformat())] = {"uid": ev.uid.value, "description": ev.description.value,
                                                    "url": ev.url.value, "summary": ev.summary.value}
    return out


def test_one_event_per_announced_date_and_recent_stated_ones_read_by_two_parsers(demo_kb, expected):
    body = calendar_bytes(demo_kb, "--lang", "en")
    by_ical, by_vobject = events_by_icalendar(body), events_by_vobject(body)
    assert set(by_ical) == set(by_vobject) == announced(expected) | stated_recently(expected)
    assert announced(expected), "the demo announces no date: the test would prove nothing"
    for key, ev in by_ical.items():
        assert by_vobject[key]["uid"] == ev["uid"] and by_vobject[key]["description"] == ev["description"]
        assert ("announced" in ev["description"]) == (key in announced(expected)), key
        assert ev["url"].startswith("http") and f"/-/policykb/doc/{key[0]}/v/" in ev["url"]
        assert expected["documents"][key[0]]["url"] in ev["description"]
        assert ev["url"] in ev["description"]


def test_events_name_the_sections_the_date_applies_to(demo_kb, expected):
    """EXPECTED.yml: penalty-points announces its date in the clause it adds (3.4), which alone it governs; the
    kuajing pages state theirs in the preamble (生效日期), for the whole document."""
    by_ical = events_by_icalendar(calendar_bytes(demo_kb, "--lang", "en"))
    for (doc, when), ev in by_ical.items():
        day = next(d for d, w in expected["documents"][doc]["effective"].items() if w == when)
        if doc == "shoptide/penalty-points":
            added = expected["documents"][doc]["sections_added"][day]
            assert all(k in ev["description"] for k in added) and "whole document" not in ev["description"]
        else:
            assert "Applies to: the whole document" in ev["description"], (doc, when)


def test_the_same_kb_gives_the_same_bytes(demo_kb):
    first, second = calendar_bytes(demo_kb), calendar_bytes(demo_kb)
    assert first == second


@pytest.mark.asyncio
async def test_the_served_calendar_parses_and_answers_conditional_gets(demo_kb, expected):
    ds = _datasette(demo_kb, "https://kb.example.org")
    response = await ds.client.get("/-/policykb/calendar.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    served = events_by_icalendar(response.content)
    assert set(served) == set(events_by_vobject(response.content)) == set(
        events_by_icalendar(calendar_bytes(demo_kb)))
    assert all(ev["url"].startswith("https://kb.example.org/-/policykb/doc/") for ev in served.values())
    again = await ds.client.get("/-/policykb/calendar.ics", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    one = await ds.client.get("/-/policykb/calendar.ics?platform=shoptide")
    assert {doc for doc, _ in events_by_icalendar(one.content)} == {"shoptide/penalty-points"}


def test_the_chinese_calendar_shows_no_english_label(demo_kb):
    from test_brief import english_labels

    zh = events_by_icalendar(calendar_bytes(demo_kb))
    en = events_by_icalendar(calendar_bytes(demo_kb, "--lang", "en"))
    for key, ev in zh.items():
        text = ev["summary"] + "\n" + ev["description"]
        for quoted in [ev["url"], *re.findall(r"“[^”]*”|https?://\S+", text)]:  # the page's words and links
            text = text.replace(quoted, " ")
        for line in en[key]["description"].splitlines():  # section headings come from the page
            if line.startswith("Applies to: "):
                for heading in line.removeprefix("Applies to: ").split("; "):
                    text = text.replace(heading, " ")
        assert english_labels(text) == [], (key, text)
    assert english_labels("\n".join(e["description"] for e in en.values()))  # the check can fail


def test_the_brief_and_the_calendar_share_their_helpers():
    """A document's title and a day in the reader's language are written by one function each (kb.labels,
    kb.cite.dates), not by a copy in each module that drifts."""
    import ast
    import inspect

    import kb.brief
    import kb.calendar

    def defined(module):
        return {n.name for n in ast.parse(inspect.getsource(module)).body if isinstance(n, ast.FunctionDef)}

    assert defined(kb.brief) & defined(kb.calendar) == set()


@pytest.fixture(scope="module")
def postponed_kb(tmp_path_factory):
    """penalty-points announces "Starting August 1, 2026" on 2026-07-01; on 2026-07-15 the page says September
    instead (postponed, before August came)."""
    import shutil

    import kbfactory

    site = tmp_path_factory.mktemp("postponed") / "site"
    shutil.copytree(kbfactory.DEMO_SITE, site)
    folder = site / "seller.shoptide.example" / "university" / "penalty-points"
    page = (folder / "2026-07-01.html").read_text(encoding="utf-8")
    assert "Starting August 1, 2026" in page
    (folder / "2026-07-15.html").write_text(page.replace("Starting August 1, 2026", "Starting September 1, 2026"),
                                            encoding="utf-8")
    data = tmp_path_factory.mktemp("postponed") / "data"
    return kbfactory.build_kb(data, ["2026-07-01", "2026-07-15"], kbfactory.DEMO_SOURCES, site)


def test_a_postponed_date_is_cancelled_under_its_own_uid_and_the_new_one_announced(postponed_kb):
    body = calendar_bytes(postponed_kb, "--lang", "en")
    doc = "shoptide/penalty-points"
    old, new = (doc, "2026-08-01"), (doc, "2026-09-01")
    by_ical = {(str(ev["uid"]).removeprefix("urn:policykb:effective:").rsplit(":", 1)[0], ev.decoded("dtstart").isoformat()): ev
               for ev in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    by_vobject = {(ev.uid.value.removeprefix("urn:policykb:effective:").rsplit(":", 1)[0], ev.dtstart.value.isoformat()): ev
                  for ev in vobject.readOne(body.decode("utf-8")).vevent_list}
    assert {old, new} <= set(by_ical) and set(by_ical) == set(by_vobject)
    assert str(by_ical[old]["uid"]) == f"urn:policykb:effective:{doc}:2026-08-01"  # the UID subscribers have
    assert str(by_ical[old]["status"]) == by_vobject[old].status.value == "CANCELLED"
    assert int(by_ical[old]["sequence"]) > 0 and int(by_vobject[old].sequence.value) > 0
    assert "postponed or withdrawn" in str(by_ical[old]["summary"])
    assert str(by_ical[new]["status"]) == by_vobject[new].status.value == "CONFIRMED"
    assert "announced" in str(by_ical[new]["summary"])
    # nothing else is cancelled: the other pages state the same dates as before
    assert [k for k, ev in by_ical.items() if str(ev["status"]) == "CANCELLED"] == [old]
