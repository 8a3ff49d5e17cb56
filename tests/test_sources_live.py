"""``policykb sources check --live``: every declared URL fetched once through the real spider (Scrapy over
loopback to the replay server, JavaScript pages in Chromium), and each document's status in a JSON
report. The site and its pages are written here, by us; URLs that differ only by their query string
are distinct pages (the replay server's query folders).
"""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import policykb
from replay.server import ReplayServer
from sitetools import FAST, PLATFORMS_SITE
from spiders import browser

POLICY = ("Sellers must dispatch orders within two business days. A late dispatch rate above four percent "
          "over thirty days may lead to the suspension of the account, which the seller may appeal.")
PAGE = """<!doctype html><html lang="en"><head><title>{title}</title></head><body><nav>Home · Sign in</nav>
<main><article class="{cls}"><h1>{title}</h1><p>{text}</p></article></main><footer>© 2026 Shop</footer></body></html>"""
JS_PAGE = """<!doctype html><html lang="en"><head><title>Academy</title></head><body><div id="root"></div>
<script>
var box = document.createElement("div"); box.className = "index__articleLayout--4fG7h";
var h = document.createElement("h1"); h.textContent = "Dispatch rules"; box.appendChild(h);
var p = document.createElement("p"); p.textContent = {text}; box.appendChild(p);
document.getElementById("root").appendChild(box);
</script></body></html>"""
LOGIN = """<!doctype html><html><head><title>Sign in</title></head><body><h1>Sign in</h1>
<form method="post" action="/login"><input name="email"><input type="password" name="password"></form></body></html>"""
GERMAN = ("Verkäufer müssen Bestellungen innerhalb von zwei Werktagen versenden. Eine Quote verspäteter Versendungen "
          "von über vier Prozent in dreißig Tagen kann zur Sperrung des Kontos führen, gegen die der Verkäufer "
          "Widerspruch einlegen kann. Die Regeln gelten für alle Verkäufer auf dem Marktplatz.")

HOST = "help.shop.example"
ACADEMY = "academy.shop.example"
#: document → (its declaration's fields, its expected status)
DOCUMENTS = {
    "matched": ({"url": f"https://{HOST}/policy/dispatch", "select": [".policy"]}, "matched"),
    "second-alternative": ({"url": f"https://{HOST}/policy/returns", "select": [".policy-v2", ".policy"]},
                           "matched"),
    "fallback": ({"url": f"https://{HOST}/policy/fees"}, "fallback"),
    "layout-changed": ({"url": f"https://{HOST}/policy/listing", "select": [".policy-v2"]}, "layout changed"),
    "login": ({"url": f"https://{HOST}/policy/account", "select": [".policy"]}, "blocked"),
    "moved": ({"url": f"https://{HOST}/policy/old-address", "select": [".policy"]}, "redirected"),
    "german": ({"url": f"https://{HOST}/policy/versand", "select": [".policy"]}, "wrong locale"),
    "empty": ({"url": f"https://{HOST}/policy/empty", "select": [".policy"]}, "empty"),
    "gone": ({"url": f"https://{HOST}/policy/removed", "select": [".policy"]}, "gone"),
    # two articles that differ only by their query: one renders in the browser, the other is a
    # different, redesigned page (its own query folder), so neither hides the other
    "js-article": ({"url": f"https://{ACADEMY}/university/article?knowledge_id=1001&identity=1",
                    "select": ['[class^="index__articleLayout"]'], "js": True}, "matched"),
    "js-article-redesigned": ({"url": f"https://{ACADEMY}/university/article?knowledge_id=1002&identity=1",
                               "select": ['[class^="index__articleLayout"]'], "js": True}, "layout changed"),
}


def write_site(root):
    def put(host, path, html, name="2026-01-01.html", headers=None):
        folder = root / host / path
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(html, encoding="utf-8")
        if headers:
            (folder / (name + ".headers")).write_text(headers, encoding="utf-8")

    put(HOST, "policy/dispatch", PAGE.format(title="Dispatch", cls="policy", text=POLICY))
    put(HOST, "policy/returns", PAGE.format(title="Returns", cls="policy", text=POLICY))
    put(HOST, "policy/fees", PAGE.format(title="Fees", cls="terms", text=POLICY))
    put(HOST, "policy/listing", PAGE.format(title="Listing", cls="policy", text=POLICY))
    put(HOST, "policy/account", "", headers="Status: 302\nLocation: https://help.shop.example/ap/signin\n")
    put(HOST, "ap/signin", LOGIN)
    put(HOST, "policy/old-address", "", headers="Status: 301\nLocation: https://help.shop.example/policy/new-address\n")
    put(HOST, "policy/new-address", PAGE.format(title="Dispatch", cls="policy", text=POLICY))
    put(HOST, "policy/versand", PAGE.format(title="Versand", cls="policy", text=GERMAN).replace('lang="en"', 'lang="de"'))
    put(HOST, "policy/empty", PAGE.format(title="Empty", cls="policy", text=" ").replace("<h1>Empty</h1>", ""))
    put(ACADEMY, "university/article/?knowledge_id=1001&identity=1", JS_PAGE.format(text=json.dumps(POLICY)))
    put(ACADEMY, "university/article/?knowledge_id=1002&identity=1",
        JS_PAGE.format(text=json.dumps(POLICY)).replace("index__articleLayout", "academy-article"))


def write_sources(folder):
    docs = []
    for doc_id, (fields, _) in DOCUMENTS.items():
        docs.append({"id": doc_id, "title": doc_id.replace("-", " ").title(), "locale": "en-US", "type": "shipping",
                     **fields})
    folder.mkdir()
    (folder / "shop.yml").write_text(yaml.safe_dump({
        "platform": "shop", "name": "Shop", "homepage": f"https://{HOST}/",
        "domains": ["shop.example"], "documents": docs}), encoding="utf-8")


@pytest.fixture(scope="module")
def live_report(tmp_path_factory):
    if browser.chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; `make test` installs it)")
    root = tmp_path_factory.mktemp("live")
    write_site(root / "site")
    write_sources(root / "sources")
    with ReplayServer(root / "site", "2026-02-01") as server:
        result = policykb("sources", "check", "--live", "--sources", root / "sources", "--replay", server.url,
                          "--report", root / "report.json", "--json", *FAST, check=False)
    assert result.returncode == 1, result.stderr  # some documents do not give their text: exit 1
    report = json.loads(result.stdout)
    assert json.loads((root / "report.json").read_text(encoding="utf-8")) == report
    return report


@pytest.mark.slow
def test_every_declared_document_has_its_status(live_report):
    got = {row["document"].split("/")[1]: row for row in live_report["documents"]}
    assert set(got) == set(DOCUMENTS)
    assert {doc: row["status"] for doc, row in got.items()} == {doc: status for doc, (_, status) in DOCUMENTS.items()}
    for row in live_report["documents"]:
        assert set(row) == {"document", "url", "final_url", "http_status", "status", "reason", "selector"}
    assert sum(live_report["counts"].values()) == len(DOCUMENTS)


@pytest.mark.slow
def test_the_report_says_which_selector_matched_and_why_others_failed(live_report):
    got = {row["document"].split("/")[1]: row for row in live_report["documents"]}
    assert got["second-alternative"]["selector"] == ".policy"
    assert got["js-article"]["selector"] == '[class^="index__articleLayout"]'  # rendered in Chromium
    assert got["fallback"]["selector"] is None
    assert "'.policy-v2'" in got["layout-changed"]["reason"]
    assert got["moved"]["final_url"].endswith("/policy/new-address")
    assert "login" in got["login"]["reason"]
    assert "'en-US'" in got["german"]["reason"]


def test_live_options_need_live_and_bad_platforms_are_one_line():
    alone = policykb("sources", "check", "--platform", "temu", check=False)
    assert alone.returncode == 2 and "--live" in alone.stderr and len(alone.stderr.splitlines()) == 1
    unknown = policykb("sources", "check", "--live", "--platform", "temoo", check=False)
    assert unknown.returncode == 2 and "temu" in unknown.stderr and len(unknown.stderr.splitlines()) == 1


def test_replay_query_folders_keep_pages_that_differ_only_by_query_apart(tmp_path):
    from replay.server import DirectorySite, parse_when

    write_site(tmp_path)
    site = DirectorySite(tmp_path)
    as_of = parse_when("2026-02-01")
    one = site.resolve(ACADEMY, "/university/article", "knowledge_id=1001&identity=1", as_of)
    two = site.resolve(ACADEMY, "/university/article", "knowledge_id=1002&identity=1", as_of)
    other = site.resolve(ACADEMY, "/university/article", "knowledge_id=9999", as_of)
    assert one.status == two.status == 200 and one.body != two.body and b"academy-article" in two.body
    assert other.status == 404  # no folder of its own and no shared snapshot
    # the platforms fixture site's shared article still answers every query
    shared = DirectorySite(PLATFORMS_SITE).resolve("seller-us.tiktok.com", "/university/article",
                                                   "knowledge_id=123", as_of)
    assert shared.status == 200


@pytest.mark.slow
def test_live_check_of_every_real_declaration_against_the_platforms_fixture_site(tmp_path):
    """Every one of the project's declared documents gets a row; each one the fixture site reproduces
    (JavaScript pages and query-string URLs included) matches with its declaration's selector."""
    from urllib.parse import urlsplit

    from pipeline.sources import load_sources
    from replay.server import DirectorySite

    if browser.chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; `make test` installs it)")
    with ReplayServer(PLATFORMS_SITE, "2026-02-01") as server:
        result = policykb("sources", "check", "--live", "--replay", server.url, "--report", tmp_path / "r.json",
                          *FAST, check=False)
    assert result.returncode == 1  # most declared pages have no fixture: gone
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    declared = {d.key: d for p in load_sources() for d in p.documents}
    rows = {row["document"]: row for row in report["documents"]}
    assert set(rows) == set(declared)
    site = DirectorySite(PLATFORMS_SITE)
    on_site = {key for key, d in declared.items()
               if site.snapshots(urlsplit(d.url).hostname, urlsplit(d.url).path, urlsplit(d.url).query)}
    assert {key: rows[key]["status"] for key in on_site} == {key: "matched" for key in on_site}
    assert {rows[key]["status"] for key in set(declared) - on_site} == {"gone"}
    assert any(declared[key].js for key in on_site) and any(urlsplit(declared[key].url).query for key in on_site)
    for key in on_site:
        assert rows[key]["selector"] in declared[key].select
    assert f"{len(on_site)} matched" in result.stdout
