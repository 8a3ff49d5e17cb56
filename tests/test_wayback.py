"""The WARCs replay in a Wayback: pywb itself, over the real demo crawl, at every capture date.

pywb (the open-source Wayback) is run as people run it: ``wb-manager init`` and ``wb-manager add`` make a
collection of the crawl's WARCs (pywb indexes them itself), and ``wayback`` serves it on 127.0.0.1. Every
check the KB recorded for a demo document is then asked of pywb at its capture time: the page pywb gives back
must be the page the replay site served that day (the independent truth), its text must be the KB's version
for that check, a gone page must replay its 404, and pywb's ``Memento-Datetime`` must be the time the KB says
the check happened. The records that are not captures of a page (failures, discovery, a 304's own headers)
must stay out of the page's captures; a redirect is archived as the declared URL's own 3xx answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from conftest import DEMO_SITE, DEMO_SOURCES, crawl_as_of, free_port, policykb, rows
from pipeline.archive import Fetch, Snapshot, WarcArchive, closed_warcs, iter_records
from pipeline.decide import classify_with_declaration
from pipeline.sources import load_sources
from pipeline.timeutil import parse_when
from replay.server import DirectorySite

BIN = Path(sys.executable).parent
COLLECTION = "policykb"


def _tool(name):
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return str(path)


def wayback_collection(root: Path, warcs) -> Path:
    """A pywb collection of ``warcs`` under ``root``, made and indexed by pywb's own ``wb-manager``."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("wb-manager"), "init", COLLECTION], cwd=root, check=True, capture_output=True, timeout=120)
    subprocess.run([_tool("wb-manager"), "add", COLLECTION, *map(str, warcs)], cwd=root, check=True,
                   capture_output=True, timeout=300)
    return root


class Wayback:
    """pywb's ``wayback`` serving a collection folder on 127.0.0.1 (a process of its own, stopped by its pid)."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([_tool("wayback"), "-b", "127.0.0.1", "-p", str(self.port), "-d", str(root)],
                                        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base + "/", timeout=2)
                break
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("pywb's wayback did not start")
                time.sleep(0.2)
        self.client = httpx.Client(base_url=self.base, timeout=30, follow_redirects=False)

    def capture(self, url: str, moment: str) -> httpx.Response:
        """The capture of ``url`` closest to ``moment`` (ISO), as archived (pywb's ``id_`` mode: no rewriting)."""
        stamp = parse_when(moment).strftime("%Y%m%d%H%M%S")
        return self.client.get(f"/{COLLECTION}/{stamp}id_/{url}")

    def stop(self):
        if getattr(self, "client", None):
            self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def demo_wayback(crawled_demo_kb, tmp_path_factory):
    root = wayback_collection(tmp_path_factory.mktemp("pywb"), closed_warcs(crawled_demo_kb))
    server = Wayback(root)
    yield server
    server.stop()


def _as_snapshot(response: httpx.Response, document: str, url: str, moment: str) -> Snapshot:
    return Snapshot(record_id="", warc_file="", offset=0, kind="response", document=document, url=url,
                    status=response.status_code, headers=list(response.headers.items()), body=response.content,
                    fetched_at=moment, observed_at=moment)


@pytest.mark.slow
def test_pywb_replays_every_capture_of_every_demo_document_as_the_kb_recorded_it(crawled_demo_kb, demo_wayback,
                                                                                   expected):
    db = crawled_demo_kb / "policykb.db"
    declared = {d.key: d for p in load_sources(DEMO_SOURCES) for d in p.documents}
    site = DirectorySite(DEMO_SITE)
    checks = rows(db, "select c.document_id, c.checked_at, c.outcome, c.record_kind, v.content_hash"
                      " from checks c left join versions v on v.id = c.version_id order by c.id")
    assert {c["document_id"] for c in checks} == set(expected["documents"])
    assert len(checks) == len(expected["documents"]) * len(expected["dates"])
    kinds = set()
    for check in checks:
        doc = declared[check["document_id"]]
        got = demo_wayback.capture(doc.url, check["checked_at"])
        where = f"{doc.key} at {check['checked_at']} ({check['record_kind']})"
        kinds.add(check["record_kind"])
        # pywb's capture time is the KB's check time
        assert parsedate_to_datetime(got.headers["Memento-Datetime"]) == parse_when(check["checked_at"]), where
        host, path = doc.url.split("/", 3)[2], "/" + doc.url.split("/", 3)[3]
        served = site.resolve(host, path, "", parse_when(check["checked_at"]))
        if check["outcome"] == "gone":
            assert got.status_code == 404 == served.status, where
            continue
        assert got.status_code == 200, where
        assert got.content == served.body, f"{where}: pywb replays other bytes than the site served that day"
        text = classify_with_declaration(_as_snapshot(got, doc.key, doc.url, check["checked_at"]), doc)
        assert text.content_hash == check["content_hash"], f"{where}: replayed text is not the KB's version"
    # the demo's captures are new bytes and 304s (same bytes again: the redirect test below)
    assert {"response", "not-modified"} <= kinds


@pytest.mark.slow
def test_warcio_check_passes_and_only_page_captures_are_indexed_under_page_urls(crawled_demo_kb):
    warcs = closed_warcs(crawled_demo_kb)
    check = subprocess.run([_tool("warcio"), "check", *map(str, warcs)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([_tool("cdxj-indexer"), *map(str, warcs)], capture_output=True, text=True, check=True)
    lines = [json.loads(line.split(" ", 2)[2]) for line in index.stdout.splitlines() if line.strip()]
    for line in lines:
        if line["url"].startswith(("http://", "https://")):
            assert line["mime"] in ("text/html", "text/plain", "warc/revisit"), line
        else:
            assert line["url"].startswith("urn:policykb:"), line


def test_a_failure_is_a_metadata_record_beside_the_page_not_a_capture_of_it(tmp_path):
    data = tmp_path / "data"
    url = "https://seller.example/help/fees"
    with WarcArchive(data) as archive:
        archive.write(Fetch(document="x/fees", url=url, final_url=url, status=0, error="TimeoutError: took too long",
                            fetched_at="2026-05-01T10:00:05Z", observed_at="2026-05-01T00:00:00Z"))
    index = subprocess.run([_tool("cdxj-indexer"), *map(str, closed_warcs(data))], capture_output=True, text=True,
                           check=True).stdout
    assert "seller,example)/help/fees" not in index and "urn:policykb:failure:x/fees" in index
    (record,) = iter_records(data)
    # the KB still reads it as a failed fetch of the page, observed when the replay clock said, fetched when it was
    assert (record.kind, record.url, record.error) == ("failure", url, "TimeoutError: took too long")
    assert (record.observed_at, record.fetched_at) == ("2026-05-01T00:00:00Z", "2026-05-01T10:00:05Z")


@pytest.mark.slow
def test_a_redirect_is_archived_as_the_declared_urls_own_answer_and_replays(tmp_path):
    site = tmp_path / "site" / "seller.moved.example"
    (site / "help" / "old").mkdir(parents=True)
    (site / "help" / "new").mkdir(parents=True)
    (site / "help" / "old" / "2026-01-01.html").write_text("moved\n")
    (site / "help" / "old" / "2026-01-01.html.headers").write_text(
        "Status: 301\nLocation: https://seller.moved.example/help/new\n")
    page = "<html><body><main id='policy'><h1>Fees</h1><p>Sellers pay a referral fee of 8%.</p></main></body></html>"
    (site / "help" / "new" / "2026-01-01.html").write_text(page)
    (site / "help" / "away").mkdir(parents=True)  # a redirect off the declared domains: refused, a failed check
    (site / "help" / "away" / "2026-01-01.html").write_text("elsewhere\n")
    (site / "help" / "away" / "2026-01-01.html.headers").write_text(
        "Status: 302\nLocation: https://signin.elsewhere.example/login\n")
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "moved.yml").write_text(
        "platform: moved\nname: Moved\nhomepage: https://seller.moved.example/\n"
        "documents:\n  - id: fees\n    title: Fees\n    url: https://seller.moved.example/help/old\n"
        "    locale: en-US\n    type: fees\n    select: ['#policy']\n"
        "  - id: away\n    title: Away\n    url: https://seller.moved.example/help/away\n"
        "    locale: en-US\n    type: other\n    select: ['#policy']\n")
    data = tmp_path / "data"
    # the second crawl asks the declared URL without validators (they are the moved page's): the same bytes again
    for date in ("2026-02-01", "2026-03-01"):
        crawl_as_of(data, date, site=tmp_path / "site", sources=sources, extra=("-s", "DOWNLOAD_DELAY=0"))
        policykb("build", "--data", data)

    from warcio.archiveiterator import ArchiveIterator

    records, headers = [], []
    for path in closed_warcs(data):
        with open(path, "rb") as fh:
            for r in ArchiveIterator(fh):
                records.append((r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                                r.http_headers.get_statuscode() if r.http_headers else None,
                                r.rec_headers.get_header("WARC-Date")))
                headers.append(dict(r.rec_headers.headers))
    for date in ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"):
        assert ("response", "https://seller.moved.example/help/old", "301", date) in records
    assert ("response", "https://seller.moved.example/help/new", "200", "2026-02-01T00:00:00Z") in records
    assert ("revisit", "https://seller.moved.example/help/new", "200", "2026-03-01T00:00:00Z") in records
    # the refused redirect: its 302 is archived under the declared URL, the failure beside it under a URN
    away = "https://seller.moved.example/help/away"
    hops = {h["WARC-Record-ID"] for h in headers if h.get("WARC-Target-URI") == away}
    failures = [h for h in headers if h.get("WARC-Target-URI") == "urn:policykb:failure:moved/away"]
    assert len(hops) == len(failures) == 2 and {h["WARC-Concurrent-To"] for h in failures} == hops
    assert all(h["PolicyKB-Page-URL"] == away for h in failures)
    away_checks = rows(data / "policykb.db", "select outcome, url from checks where document_id = 'moved/away'")
    assert [c["outcome"] for c in away_checks] == ["failed", "failed"]
    assert {c["url"] for c in away_checks} == {away}

    checks = rows(data / "policykb.db", "select outcome, url, final_url, record_kind from checks where document_id ="
                  " 'moved/fees' order by id")
    old, new = "https://seller.moved.example/help/old", "https://seller.moved.example/help/new"
    assert checks == [{"outcome": "new_version", "url": old, "final_url": new, "record_kind": "response"},
                      {"outcome": "unchanged", "url": old, "final_url": new, "record_kind": "revisit"}]

    server = Wayback(wayback_collection(tmp_path / "pywb", closed_warcs(data)))
    try:
        for date in ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"):
            old = server.capture("https://seller.moved.example/help/old", date)
            assert old.status_code == 301 and old.headers["Location"].endswith("https://seller.moved.example/help/new")
            new = server.capture("https://seller.moved.example/help/new", date)
            assert new.status_code == 200 and new.content == page.encode(), date
            assert parsedate_to_datetime(new.headers["Memento-Datetime"]) == parse_when(date)
            # the failed fetch never replays as the page: the page is its 302, never the failure's JSON
            gone_away = server.capture(away, date)
            assert gone_away.status_code == 302 and "json" not in gone_away.headers.get("content-type", "")
    finally:
        server.stop()


def test_a_discovery_record_is_not_a_capture_of_the_page_it_describes(tmp_path):
    from spiders.items import DiscoveredPage
    from spiders.pipelines import DiscoveryArchive

    data = tmp_path / "data"
    archive = DiscoveryArchive(data)
    url = "https://seller.example/help/hub"
    archive.write(DiscoveredPage(platform="x", url=url, final_url=url, status=200, depth=0, kind="start",
                                 links=[{"url": url + "/fees", "text": "Fees", "kind": "document"}],
                                 observed_at="2026-05-01T00:00:00Z", fetched_at="2026-05-01T10:00:05Z"))
    archive.close()
    index = subprocess.run([_tool("cdxj-indexer"), *map(str, closed_warcs(data))], capture_output=True, text=True,
                           check=True).stdout
    assert "seller,example)/help/hub" not in index and "urn:policykb:discovery:x 20260501000000" in index


def _small_site(root: Path, page: str) -> tuple[Path, Path]:
    """A one-platform site (``seller.moved.example``) and its declarations, for the factory-built tests below.

    ``fees`` is declared at ``/help/old``, which answers 301 to ``/help/new``; ``odd`` is a server that answers
    ``304 Not Modified`` to a request that sent no validators (nothing to be "not modified" against).
    """
    from sitetools import moved_site

    return moved_site(root, {"old": ("moved\n", "Status: 301\nLocation: https://seller.moved.example/help/new\n"),
                             "new": (page, None), "odd": ("", "Status: 304\n")},
                      {"fees": ("old", "fees"), "odd": ("odd", "other")})


def _redirects_of(data: Path, document: str) -> list[tuple]:
    """The redirect records archived for ``document``: (URL, status, WARC-Date), in archive order."""
    from warcio.archiveiterator import ArchiveIterator

    hops = []
    for path in closed_warcs(data):
        with open(path, "rb") as fh:
            hops += [(r.rec_headers.get_header("WARC-Target-URI"), r.http_headers.get_statuscode(),
                      r.rec_headers.get_header("WARC-Date")) for r in ArchiveIterator(fh)
                     if r.rec_headers.get_header("PolicyKB-Redirect-Of") == document]
    return hops


def test_a_factory_built_kb_archives_redirects_as_the_spider_does_and_an_unasked_304_is_no_capture(tmp_path):
    """tests/kbfactory.py keeps each 3xx as the spider's RedirectRecorder does, so pywb replays the declared URL's
    own 301 and the page it led to; a 304 with no archived 200 of the page is a failed check with the reason,
    never a version, and no capture of the page that would replay as a blank 304."""
    import kbfactory
    from pipeline.archive import NO_PRIOR_304

    page = "<html><body><main id='policy'><h1>Fees</h1><p>Sellers pay a referral fee of 8%.</p></main></body></html>"
    site, sources = _small_site(tmp_path, page)
    dates = ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
    data = kbfactory.build_kb(tmp_path / "data", dates, sources, site)
    records = [(r.kind, r.url, r.status, r.warc_date) for r in iter_records(data)]
    old, new, odd = (f"https://seller.moved.example/help/{name}" for name in ("old", "new", "odd"))
    assert [r for r in records if r[1] == odd] == [("failure", odd, 0, date) for date in dates]
    # as in a crawl: no validators for a page archived from another URL than the declared one, so the same bytes
    assert [r for r in records if r[1] == new] == [("response", new, 200, dates[0]), ("revisit", new, 200, dates[1])]
    assert _redirects_of(data, "moved/fees") == [(old, "301", date) for date in dates]
    db = data / "policykb.db"
    assert rows(db, "select outcome, url, final_url from checks where document_id = 'moved/fees' order by id") == [
        {"outcome": "new_version", "url": old, "final_url": new}, {"outcome": "unchanged", "url": old, "final_url": new}]
    odd_checks = rows(db, "select outcome, reason, version_id from checks where document_id = 'moved/odd'")
    assert odd_checks == [{"outcome": "failed", "reason": NO_PRIOR_304, "version_id": None}] * 2
    assert rows(db, "select count(*) as n from versions where document_id = 'moved/odd'") == [{"n": 0}]

    warcs = closed_warcs(data)
    check = subprocess.run([_tool("warcio"), "check", *map(str, warcs)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([_tool("cdxj-indexer"), *map(str, warcs)], capture_output=True, text=True, check=True)
    assert "example,moved,seller)/help/odd" not in index.stdout and "urn:policykb:failure:moved/odd" in index.stdout
    server = Wayback(wayback_collection(tmp_path / "pywb", warcs))
    try:
        for date in dates:
            hop = server.capture(old, date)
            assert hop.status_code == 301 and hop.headers["Location"].endswith(new), date
            assert parsedate_to_datetime(hop.headers["Memento-Datetime"]) == parse_when(date)
            got = server.capture(new, date)
            assert got.status_code == 200 and got.content == page.encode(), date
            # pywb has no capture of the odd page: not found, never an empty 304 passed off as the page
            assert server.capture(odd, date).status_code == 404
    finally:
        server.stop()


def test_validators_that_outlived_their_warc_are_not_used_and_the_next_crawl_archives_the_page_whole(tmp_path):
    """After a data-folder loss that kept ``warcs/index.json`` but not the WARC it points into, the next crawl
    asks without validators and archives the whole page, never a revisit of a record nobody can read."""
    import kbfactory

    page = "<html><body><main id='policy'><h1>Fees</h1><p>Sellers pay a referral fee of 8%.</p></main></body></html>"
    site, sources = _small_site(tmp_path, page)
    data = kbfactory.build_kb(tmp_path / "data", ["2026-02-01"], sources, site)
    (lost,) = closed_warcs(data)
    lost.rename(tmp_path / lost.name)  # moved away; the index and the KB stay
    kbfactory.build_kb(data, ["2026-03-01"], sources, site)
    records = [(r.kind, r.url, r.status) for r in iter_records(data) if r.document == "moved/fees"]
    assert records == [("response", "https://seller.moved.example/help/new", 200)]
    assert rows(data / "policykb.db", "select outcome from checks where document_id = 'moved/fees' order by id") \
        == [{"outcome": "new_version"}, {"outcome": "unchanged"}]


def test_a_revisit_of_a_record_in_a_lost_warc_is_a_failed_check_not_a_failed_build(tmp_path):
    """An index written before entries named their WARC (so it is trusted) and a WARC lost since: the revisit
    the next crawl writes cannot be read back; the build records a failed check saying so and goes on."""
    import json

    import kbfactory

    site, sources = _small_site(tmp_path, "<html><body><p>No policy block here.</p></body></html>")
    data = kbfactory.build_kb(tmp_path / "data", ["2026-02-01"], sources, site)
    assert rows(data / "policykb.db", "select outcome from checks where document_id = 'moved/fees'") == [
        {"outcome": "failed"}]  # the page has no #policy: no text, so nothing to say "unchanged" against later
    index = data / "warcs" / "index.json"
    index.write_text(json.dumps({k: {f: v for f, v in e.items() if f != "warc_file"}
                                 for k, e in json.loads(index.read_text()).items()}))
    (lost,) = closed_warcs(data)
    lost.rename(tmp_path / lost.name)
    kbfactory.build_kb(data, ["2026-03-01"], sources, site)
    (revisit,) = [r for r in iter_records(data) if r.document == "moved/fees"]
    assert revisit.kind == "revisit"
    last = rows(data / "policykb.db", "select outcome, reason from checks where document_id = 'moved/fees'"
                " order by id desc limit 1")[0]
    assert last["outcome"] == "failed" and "in no WARC of the data folder" in last["reason"]
