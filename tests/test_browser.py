"""Our pages in a real headless Chromium (Debian's), against a real `policykb serve` on 127.0.0.1.

The demo KB: open the overview, search 申诉 and "counterfeit", open a document, a diff, follow a
feed entry. A hostile page (tests/fixtures/hostile_site/, script / onerror / javascript: payloads as
text that survives extraction) is crawled and built for real, and every page of ours that shows its
text must render it inert: no dialog, no request to any host but 127.0.0.1, no script run.
Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import markdown
import pytest

from conftest import POLICYKB, ROOT, crawl_as_of, free_port, policykb

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
HOSTILE_SITE = ROOT / "tests" / "fixtures" / "hostile_site"
HOSTILE_SOURCES = ROOT / "tests" / "fixtures" / "hostile_sources"
ATOM = "{http://www.w3.org/2005/Atom}"
PWNED = "window.__pwned"

pytestmark = pytest.mark.slow


@contextmanager
def serving(data_dir):
    """A real `policykb serve` subprocess on 127.0.0.1; yields its base URL."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([*POLICYKB, "serve", "--data", str(data_dir), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"policykb serve exited {proc.returncode}: {proc.stdout.read()}")
            try:
                with urllib.request.urlopen(base + "/-/policykb", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("policykb serve did not answer within 30 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (`make test` installs it; or apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A page with everything that must not happen recorded: dialogs, outside requests, script errors."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
        self.dialogs, self.outside, self.errors = [], [], []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).hostname != "127.0.0.1" and not url.startswith(("about:", "data:")):
            self.outside.append(url)
            return route.abort()
        return route.continue_()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self, url):
        response = self.page.goto(url, wait_until="load")
        self.page.wait_for_timeout(150)  # let any onerror / onload / ontoggle fire
        return response

    def assert_inert(self, where):
        assert self.dialogs == [], (where, self.dialogs)
        assert self.outside == [], (where, self.outside)
        assert self.page.evaluate(PWNED) is None, (where, self.page.evaluate(PWNED))
        handlers = self.page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(e =>
            [...e.attributes].filter(a => a.name.startsWith('on') ||
              /^\\s*(javascript|data|vbscript):/i.test(a.value)).map(a => e.tagName + ' ' + a.name))""")
        assert handlers == [], (where, handlers)
        scripts = self.page.evaluate("() => [...document.scripts].map(s => s.textContent + (s.src || ''))")
        assert not any("pwned" in s or "fromCharCode" in s for s in scripts), where
        assert self.errors == [], (where, self.errors)

    def shot(self, name):
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser):
    w = Watched(browser)
    yield w
    w.close()


@pytest.fixture(scope="module")
def demo_server(demo_kb):
    with serving(demo_kb) as base:
        yield base


def test_demo_in_chromium_home_search_document_diff_feed(watched, demo_server):
    page = watched.page
    watched.goto(demo_server + "/-/policykb")
    assert "卖家政策概览" in page.inner_text("h1")
    for name in ("DemoMart", "Kuajingtong", "ShopTide"):
        assert page.locator(".pkb-card h3", has_text=name).count() == 1
    assert page.locator("svg.pkb-chart").count() >= 1
    watched.shot("01-home")

    # search 申诉 from the box in the page header
    page.fill('.pkb-nav input[name="q"]', "申诉")
    page.press('.pkb-nav input[name="q"]', "Enter")
    page.wait_for_url("**/-/policykb/search?q=*")
    hits = page.locator("li.pkb-hit")
    assert hits.count() >= 5
    titles = page.locator("li.pkb-hit strong a").all_inner_texts()
    assert "申诉规则" in titles and "商家违规处理规则" in titles
    assert page.locator("li.pkb-hit mark", has_text="申诉").count() >= hits.count()
    watched.shot("02-search-申诉")

    page.fill('.pkb-search-form input[name="q"]', "counterfeit")
    page.press('.pkb-search-form input[name="q"]', "Enter")
    page.wait_for_url("**q=counterfeit*")
    assert "Intellectual Property Policy" in page.locator("li.pkb-hit strong a").all_inner_texts()
    assert page.locator("li.pkb-hit mark").first.inner_text().lower() == "counterfeit"
    watched.shot("03-search-counterfeit")

    # open the document from its current hit
    page.locator("li.pkb-hit", has=page.locator(".pkb-badge.current")).locator("strong a",
                                                                              has_text="Intellectual Property").first.click()
    page.wait_for_url("**/-/policykb/doc/demomart/intellectual-property*")
    assert "Intellectual Property Policy" in page.inner_text("h1")
    assert page.locator(".pkb-outline a").count() >= 5 and page.locator("svg.pkb-chart").count() == 1
    assert "Account Warning" in page.inner_text(".pkb-policy")
    watched.shot("04-document")

    # the diff from the versions table, then a jump link
    page.locator(".pkb-versions a", has_text="#1 → #2").click()
    page.wait_for_url("**/-/policykb/diff/demomart/intellectual-property/1..2")
    assert page.locator("ins.pkb-ins").count() >= 1 and page.locator("del.pkb-del").count() >= 1
    jump = page.locator(".pkb-jump a").first
    target = jump.get_attribute("href")
    jump.click()
    assert page.evaluate("location.hash") == "#" + quote(target[1:], safe="-._~")
    watched.shot("05-diff")

    # follow the document's feed: its entry links to this diff
    page.goto(demo_server + "/-/policykb/doc/demomart/intellectual-property")
    feed_url = page.locator('head link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
    assert feed_url.endswith("/feed/demomart/intellectual-property.atom")
    response = page.goto(demo_server + feed_url)
    assert response.ok and "atom" in response.headers["content-type"]
    entries = ET.fromstring(response.body()).findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert len(entries) == 2 and links[1].endswith("/doc/demomart/intellectual-property/v/1")  # the change, then new
    link = links[0]
    assert link.startswith(demo_server) and link.endswith("/diff/demomart/intellectual-property/1..2")
    watched.goto(link)
    assert "#1 → #2" in page.inner_text("h1")
    watched.shot("06-feed-entry-diff")
    watched.assert_inert("demo pages")


def test_demo_in_chromium_compare_form_and_substantive_toggle(watched, demo_server):
    page = watched.page
    watched.goto(demo_server + "/-/policykb/doc/shoptide/penalty-points")
    page.select_option('select[name="from"]', "1")
    page.select_option('select[name="to"]', "2")
    page.click(".pkb-compare button")
    page.wait_for_url("**/-/policykb/diff/shoptide/penalty-points/1..2")
    assert page.locator(".pkb-section-diff[data-status=added]").count() == 1
    page.click("text=Only substantive 仅实质性变更")
    page.wait_for_url("**/1..2?substantive=1")
    assert page.locator(".pkb-toggle strong").inner_text() == "Only substantive 仅实质性变更"
    assert page.locator(".pkb-section-diff[data-status=unchanged]").count() == 0
    watched.shot("07-diff-only-substantive")
    watched.assert_inert("compare form")


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("hostile") / "data"
    for date in ("2026-01-15", "2026-04-01"):  # two crawls, one build: WARCs are ingested in order
        crawl_as_of(data, date, site=HOSTILE_SITE, sources=HOSTILE_SOURCES)
    policykb("build", "--data", data)
    with serving(data) as base:
        yield base


HOSTILE_PAGES = [
    ("overview", "/-/policykb"),
    ("platform", "/-/policykb/platform/hostile"),
    ("document", "/-/policykb/doc/hostile/terms"),
    ("version", "/-/policykb/doc/hostile/terms/v/1"),
    ("diff", "/-/policykb/diff/hostile/terms/1..2"),
    ("diff-substantive", "/-/policykb/diff/hostile/terms/1..2?substantive=1"),
    ("search-counterfeit", "/-/policykb/search?q=counterfeit"),
    ("search-申诉", "/-/policykb/search?q=申诉"),
    ("search-pwned", "/-/policykb/search?q=pwned"),
    ("search-script", "/-/policykb/search?q=%3Cscript%3E"),
    ("versions-table", "/policykb/versions"),
]


def test_hostile_page_renders_inert_everywhere(watched, hostile_server):
    page = watched.page
    for name, path in HOSTILE_PAGES:
        response = watched.goto(hostile_server + path)
        assert response.status == 200, path
        watched.assert_inert(path)
        watched.shot(f"hostile-{name}")
    # the payloads did reach our pages: the search shows them as escaped text; so does the redline, rendered like
    # the document (its Markdown through nh3, raw HTML off: the page's "<video ...>" is its text), words around
    # them kept and marked
    watched.goto(hostile_server + "/-/policykb/search?q=pwned")
    assert page.locator("li.pkb-hit").count() >= 3
    assert "<script>" in page.inner_text("body")
    watched.goto(hostile_server + "/-/policykb/diff/hostile/terms/1..2")
    redline = page.inner_text(".pkb-redline")
    assert "Sellers must not" in redline and "sell counterfeit items <video" in redline
    assert page.locator(".pkb-redline ins.pkb-ins").count() >= 1
    watched.goto(hostile_server + "/-/policykb/doc/hostile/terms")
    assert "Hostile Seller Terms" in page.inner_text(".pkb-policy")
    # hover and click everything clickable in the rendered policy text: still nothing runs
    for link in page.locator(".pkb-policy a").all():
        link.hover()
        href = link.get_attribute("href")  # javascript: and data: links lost their href
        assert href is None or href.startswith(("http://", "https://", "mailto:", "#", "/")), href
    for summary in page.locator(".pkb-policy summary").all():
        summary.click()
    page.wait_for_timeout(150)
    watched.assert_inert("after hovering")


def test_the_hostile_payloads_are_live_without_our_sanitizing(watched, hostile_server):
    """Control: the same Markdown rendered without nh3 does run its payloads, so the test above can fail."""
    with urllib.request.urlopen(hostile_server + "/policykb/versions.json?_shape=array&seq=2") as response:
        text = json.loads(response.read())[0]["text_markdown"]
    watched.page.set_content(markdown.markdown(text))
    watched.page.wait_for_timeout(300)
    assert watched.dialogs or watched.page.evaluate(PWNED) is not None
