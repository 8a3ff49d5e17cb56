"""Hostile pages through the whole pipeline, then every page of ours that shows their text, in Chromium.

EvilMart's pages (``tests/fixtures/faults_site/seller.evilmart.example``) carry the
payloads of ``HOSTILE.yml``: script elements, event handlers, ``javascript:`` and
``data:`` URLs, SVG with scripts, CSS that loads URLs, meta refresh, ``<base>``,
mutation-XSS shapes, Markdown links and images, template syntax; as markup (which
extraction must drop) and as visible text (which reaches the versioned Markdown
literally, so the renderers must keep it inert). They are crawled for real (two
dates, so there is a change and a diff), built, and served by ``policykb serve``;
headless Chromium then opens every page of ours that shows their text: the index,
platform, document, version and diff pages, search, feeds, cite, glossary, status
and Datasette's own table, row and SQL pages, plus every same-site link found on
them. No dialog may open, no request may leave 127.0.0.1, no element may carry a
payload's handler or URL, and no template may evaluate a payload.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
import yaml

from conftest import ROOT, free_port, rows
from replay.server import ReplayServer

pytestmark = pytest.mark.slow

SITE = ROOT / "tests" / "fixtures" / "faults_site"
SOURCES = ROOT / "tests" / "fixtures" / "faults_sources" / "hostile"
PAYLOADS = yaml.safe_load((SITE / "HOSTILE.yml").read_text(encoding="utf-8"))
IDS = [p["id"] for p in PAYLOADS]
CHROMIUM = os.environ.get("POLICYKB_CHROMIUM", "/usr/bin/chromium")
MAX_PAGES = int(os.environ.get("POLICYKB_SANITIZE_MAX_PAGES", "50"))
TOKEN_RE = re.compile(r"PKBPWN-(P\d\d)")
URL_ATTRS = {"href", "src", "action", "formaction", "srcdoc", "data", "poster", "srcset", "background", "xlink:href",
             "values", "to", "from", "by", "style", "content", "codebase", "dynsrc", "lowsrc", "ping"}

# A scan of the live DOM: every attribute that carries a payload's token and could act on it.
DOM_SCAN = """() => {
  const found = [];
  const urlAttrs = new Set(%s);
  const ours = (v) => { try { const u = new URL(v, location.href);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === location.host; } catch (e) { return false; } };
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if ((tag === 'script' || tag === 'style') && el.textContent.includes('PKBPWN')) found.push(tag + ' element: ' + el.textContent.slice(0, 120));
    for (const a of el.attributes) {
      if (!a.value.includes('PKBPWN')) continue;
      const name = a.name.toLowerCase();
      const v = a.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on') || name === 'style' || name === 'srcdoc') { found.push(tag + ' ' + name + '=' + a.value.slice(0, 120)); continue; }
      if (!urlAttrs.has(name)) continue;
      if (/^(javascript|data|vbscript):/.test(v)) { found.push(tag + ' ' + name + '=' + a.value.slice(0, 120)); continue; }
      // a link the user may follow is not an automatic load; anything else must stay on our own host
      if ((tag === 'a' || tag === 'area') && name === 'href') continue;
      if (!ours(a.value)) found.push(tag + ' ' + name + '=' + a.value.slice(0, 120));
    }
  }
  return found;
}""" % json.dumps(sorted(URL_ATTRS))


def cli(*args, timeout=240):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "kb.cli", *map(str, args)], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=timeout)
    assert result.returncode == 0, f"policykb {args[0]}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def hostile_kb(tmp_path_factory):
    """EvilMart crawled (for real, through the replay server) and built at two dates."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    for date in ("2026-01-01", "2026-02-01"):
        with ReplayServer(SITE, date) as server:
            cli("crawl", "--data", data, "--sources", SOURCES, "--replay", server.url, "--log-level", "ERROR")
        cli("build", "--data", data)
    return data


@pytest.fixture(scope="module")
def served(hostile_kb):
    """``policykb serve`` on a free loopback port; yields its base URL."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--data", str(hostile_kb), "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
        if proc.poll() is not None:
            pytest.fail(f"policykb serve exited: {proc.stderr.read().decode()[-2000:]}")
    else:
        proc.kill()
        pytest.fail("policykb serve did not answer within 60 s")
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_the_payloads_reached_the_kb(hostile_kb):
    """Without this the browser test could pass by never seeing a payload."""
    db = hostile_kb / "policykb.db"
    texts = "\n".join(r["text_markdown"] for r in rows(db, "select text_markdown from versions"))
    for p in PAYLOADS:
        if p["where"] == "declaration":
            continue
        assert f"Rule {p['id']}:" in texts or f"PKBPWN-{p['id']}" in texts, f"{p['id']} never reached a version"
    # markup payloads were dropped by extraction: only their escaped (text) twins are left
    assert texts.count("<script>alert('PKBPWN-P01')</script>") == texts.count("Rule P01:")
    declared = rows(db, "select name from platforms where id = 'evilmart'")[0]["name"]
    assert "PKBPWN-P36" in declared
    changes = rows(db, "select count(*) as n from changes where document_id like 'evilmart/%'")[0]["n"]
    assert changes == 2


def seed_urls(hostile_kb) -> list[str]:
    db = hostile_kb / "policykb.db"
    version = rows(db, "select id from versions where document_id = 'evilmart/terms' order by seq desc")[0]["id"]
    section = rows(db, "select id from sections where document_id = 'evilmart/terms' and text_markdown like "
                       "'%PKBPWN%' limit 1")
    reflect = "<img src=x onerror=alert('PKBPWN-P03')>\"'><script>alert('PKBPWN-P22')</script>"
    quote_text = "Rule P03: <img src=\"x\" onerror=\"alert('PKBPWN-P03')\">"
    urls = [
        "/-/policykb", "/-/policykb/platform/evilmart",
        "/-/policykb/doc/evilmart/terms", "/-/policykb/doc/evilmart/appeals",
        "/-/policykb/doc/evilmart/terms/v/1", "/-/policykb/doc/evilmart/terms/v/2",
        "/-/policykb/diff/evilmart/terms/1..2", "/-/policykb/diff/evilmart/appeals/1..2",
        "/-/policykb/diff/evilmart/terms/1..2?substantive=1",
        "/-/policykb/search?q=PKBPWN", "/-/policykb/search?q=counterfeit", "/-/policykb/search?q=" + quote("申诉"),
        "/-/policykb/search?q=" + quote(reflect), "/-/policykb/search?q=onerror&platform=evilmart",
        "/-/policykb/feed.atom", "/-/policykb/feed/evilmart.atom", "/-/policykb/feed/evilmart/terms.atom",
        "/-/policykb/cite?q=" + quote(quote_text), "/-/policykb/cite?q=" + quote(reflect),
        "/-/glossary", "/-/glossary?q=counterfeit", "/-/glossary?q=" + quote("申诉"), "/-/glossary?q=" + quote(reflect),
        "/-/policykb/status",
        "/policykb", "/policykb/platforms", "/policykb/documents?platform_id=evilmart",
        "/policykb/versions?document_id=evilmart%2Fterms", "/policykb/versions/" + quote(version, safe=""),
        "/policykb/versions?_search=PKBPWN", "/policykb/sections?document_id=evilmart%2Fterms",
        "/policykb/changes?document_id=evilmart%2Fterms", "/policykb/checks?document_id=evilmart%2Fterms",
        "/policykb?sql=" + quote("select id, text_markdown from versions where document_id like 'evilmart/%'"),
        "/policykb/versions?_search=" + quote(reflect),
    ]
    if section:  # sections is a view (no row pages): its stored row, and the view's rows of that version
        urls.append("/policykb/section_spans?document_id=evilmart%2Fterms")
        urls.append("/policykb/sections?id=" + quote(section[0]["id"], safe=""))
    return urls


FOLLOW = re.compile(r"^/(?:-/policykb|-/glossary|policykb)(?:/|\?|$|\.)")


def test_every_page_showing_hostile_text_is_inert(hostile_kb, served):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's chromium; POLICYKB_CHROMIUM overrides)")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    findings = defaultdict(list)  # payload id (or "unattributed") -> [(page, what)]
    visited, statuses, shown = [], {}, set()
    queue = list(dict.fromkeys(seed_urls(hostile_kb)))
    host = urlsplit(served).netloc

    def note(page_url, what):
        ids = set(TOKEN_RE.findall(what)) or {"unattributed"}
        for i in ids:
            findings[i].append((page_url, what[:200]))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context()
        current = {"url": ""}

        def route(r):
            if urlsplit(r.request.url).netloc == host:
                r.continue_()
            else:
                note(current["url"], f"request to {r.request.url}")
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("dialog", lambda d: (note(current["url"], f"dialog: {d.message}"), d.dismiss()))
        page.on("request", lambda r: r.url.startswith(("data:", "javascript:")) and "PKBPWN" in r.url
                and note(current["url"], f"request to {r.url[:200]}"))
        page.on("popup", lambda pop: note(current["url"], f"popup {pop.url}"))

        # the control: the same payloads rendered raw must be caught, or the detectors prove nothing
        current["url"] = "control"
        page.set_content("<!doctype html><body>" + "".join(p["markup"] for p in PAYLOADS if p["where"] == "both")
                         + "</body>", wait_until="load")
        page.wait_for_timeout(500)
        for what in page.evaluate(DOM_SCAN):
            note("control", what)
        caught = set(findings)
        assert {"P01", "P03", "P08", "P14", "P15", "P30"} <= caught, f"the detectors missed raw payloads: {caught}"
        findings.clear()
        page.goto("about:blank")
        while queue and len(visited) < MAX_PAGES:
            path = queue.pop(0)
            if path in visited:
                continue
            visited.append(path)
            current["url"] = path
            try:
                response = page.goto(served + path, wait_until="load", timeout=30000)
            except PlaywrightError as exc:  # a navigation cut short by a payload is itself a finding
                note(path, f"navigation failed: {exc}")
                continue
            page.wait_for_timeout(250)  # let timers, autofocus and toggle handlers fire
            statuses[path] = response.status if response else None
            if urlsplit(page.url).netloc != host or not page.url.startswith(served):
                note(path, f"navigated away to {page.url}")
                page.goto("about:blank")
                continue
            content_type = (response.headers.get("content-type", "") if response else "")
            if "html" not in content_type:
                continue
            for what in page.evaluate(DOM_SCAN):
                note(path, what)
            html = page.content()
            if "PKBPWN-P291337" in html or "PKBPWN-P29 1337" in html:
                note(path, "a template evaluated PKBPWN-P29")
            shown.update(TOKEN_RE.findall(page.inner_text("body")))
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                parts = urlsplit(href)
                if parts.netloc and parts.netloc != host:
                    continue
                link = parts.path + (f"?{parts.query}" if parts.query else "")
                if FOLLOW.match(link) and link not in visited and link not in queue and (
                        "evilmart" in link or link.startswith(("/-/glossary/concept", "/-/policykb/doc"))):
                    queue.append(link)
        browser.close()

    ok_pages = [u for u, s in statuses.items() if s == 200]
    print(f"sanitize: {len(visited)} pages visited, {len(ok_pages)} answered 200; payload ids shown as text: "
          f"{len(shown)}; findings: {dict((k, len(v)) for k, v in findings.items())}")
    missing = [u for u, s in statuses.items() if s and s >= 500]
    inert = [i for i in IDS if i not in findings]
    out = os.environ.get("POLICYKB_RELIABILITY_DIR")
    if out:
        Path(out, "sanitize.json").write_text(json.dumps(
            {"payloads": len(IDS), "inert": len(inert), "pages": len(visited), "pages_ok": len(ok_pages),
             "findings": {k: v[:5] for k, v in findings.items()}}, ensure_ascii=False))
    assert len(ok_pages) >= 20, statuses
    assert not missing, f"pages that failed with a server error: {missing}"
    # the payloads were shown, as text: the pages did display the hostile content
    assert {"P03", "P21", "P22", "P25", "P29"} <= shown, sorted(shown)
    assert not findings, "\n".join(f"{k}: {v[:3]}" for k, v in sorted(findings.items()))


def dangerous_markup(fragment: str) -> list[str]:
    """What in an HTML fragment could run or load something (for feed entries, which readers render)."""
    import lxml.html

    found = []
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # not HTML at all: nothing to run
        return found
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "iframe", "object", "embed", "base", "meta", "link", "form", "svg", "math"):
            found.append(f"<{tag}>")
        for name, value in el.attrib.items():
            v = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.lower().startswith("on"):
                found.append(f"{tag} {name}")
            elif name.lower() in URL_ATTRS and (v.startswith(("javascript:", "data:", "vbscript:")) or "url(" in v):
                found.append(f"{tag} {name}={value[:80]}")
            elif tag == "img" and name == "src":
                found.append(f"img src={value[:80]}")
    return found


def test_feeds_carry_no_live_markup(served):
    """Feed readers render an entry's HTML: it must be as inert as our pages."""
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2005/Atom}"
    entries = 0
    for path in ("/-/policykb/feed.atom", "/-/policykb/feed/evilmart.atom", "/-/policykb/feed/evilmart/terms.atom"):
        response = httpx.get(served + path, timeout=30)
        if response.status_code == 404:
            continue
        assert response.status_code == 200 and "xml" in response.headers["content-type"], path
        root = ET.fromstring(response.content)
        for entry in root.iter(f"{ns}entry"):
            entries += 1
            for el in entry:
                kind = el.get("type", "text")
                if kind == "html" and el.text:
                    assert dangerous_markup(el.text) == [], (path, el.tag, dangerous_markup(el.text))
                elif kind == "xhtml":
                    inner = "".join(ET.tostring(c, encoding="unicode") for c in el)
                    assert dangerous_markup(inner) == [], (path, el.tag)
    assert entries, "no feed entry about EvilMart's changes"


def test_json_answers_are_not_html(served):
    """A JSON endpoint that echoes the query must not be served as HTML (reflected XSS)."""
    reflect = quote("<script>alert('PKBPWN-P22')</script>")
    for path in (f"/-/policykb/search.json?q={reflect}", f"/-/policykb/cite.json?q={reflect}",
                 f"/-/glossary.json?q={reflect}", "/-/policykb/status.json", f"/policykb/versions.json?_search={reflect}"):
        response = httpx.get(served + path, timeout=30)
        if response.status_code == 404:
            continue
        assert "json" in response.headers.get("content-type", ""), (path, response.headers.get("content-type"))


def test_a_page_that_writes_about_tags_keeps_its_words():
    """A rule that says "<script>" is text: shown escaped, not taken for a tag and dropped."""
    from pipeline.safehtml import render_markdown

    html_out = render_markdown("Listings must not contain <script>alert(1)</script> or <iframe> tags; a < b.")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_out and "&lt;iframe&gt;" in html_out
    assert "<script" not in html_out and "<iframe" not in html_out
