"""Discovery over HTTP: the demo help centre's policy pages are found from its hub pages,
nothing outside the declared domains is fetched or recorded, and a found page is promoted
to a tracked document in one command.

One real crawl (Scrapy in its own process, replay server on 127.0.0.1) of the demo help
centre, with the hub pages of ``replay/sites/platforms`` layered over ``replay/sites/demo``
and the demo declarations plus a ``discovery`` section (and, for DemoMart, a page family).
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from conftest import DEMO_SITE, DEMO_SOURCES, copy_data, policykb, rows
from pipeline.sources import DeclarationError, load_platform, load_sources
from replay.server import ReplayServer
from sitetools import FAST, PLATFORMS_SITE, LayeredSite, RecordingSite
from pipeline.normalize import canonical_url
from spiders.discovery import policy_links

DATE = "2026-01-15"
DISCOVERY = {
    "demomart": {
        "families": [{"id": "help-page", "match": ["https://sellercentral.demomart.example/help/*"],
                      "select": ["#help-content"], "remove": [".visit-widget"]}],
        "discovery": {"start": ["https://sellercentral.demomart.example/help/hub"],
                      "documents": [r"re:https://sellercentral\.demomart\.example/help/(?!hub)[a-z-]+"],
                      "follow": ["https://sellercentral.demomart.example/help/hub*"], "depth": 2},
    },
    "shoptide": {
        # depth 0: the start page's links are recorded, none is fetched
        "discovery": {"start": ["https://seller.shoptide.example/university/policy-centre"],
                      "documents": [r"re:https://seller\.shoptide\.example/university/(?!policy-centre)[a-z-]+"],
                      "depth": 0},
    },
    "kuajing": {
        "discovery": {"start": ["https://seller.kuajingtong.example/rules"],
                      "documents": ["https://seller.kuajingtong.example/rules/*"], "depth": 1},
    },
}
OUTSIDE = {"www.facebook.com", "evil.example", "static.demomart.example", "www.tiktok.example", "weibo.example"}


def write_sources(folder):
    """The demo declarations with a discovery section (and a family) added."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in DEMO_SOURCES.glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data.update(DISCOVERY.get(path.stem, {}))
        if path.stem == "demomart":  # let the family give the selectors
            for doc in data["documents"]:
                doc.pop("select"), doc.pop("remove")
        (folder / path.name).write_text(
            "# demo declaration + discovery (tests/test_discovery.py)\n" + yaml.safe_dump(data, allow_unicode=True,
                                                                                        sort_keys=False),
            encoding="utf-8")
    return folder


def crawl(data, sources, site, *extra):
    with ReplayServer(site, DATE) as server:
        return policykb("crawl", "--data", data, "--sources", sources, "--replay", server.url,
                        "--log-level", "WARNING", *FAST, *extra)


@pytest.fixture(scope="module")
def discovered(tmp_path_factory):
    root = tmp_path_factory.mktemp("discovery")
    sources = write_sources(root / "sources")
    site = RecordingSite(LayeredSite(PLATFORMS_SITE, DEMO_SITE))
    crawl(root / "data", sources, site)
    policykb("build", "--data", root / "data")
    found = rows(root / "data" / "policykb.db", "select * from discovered_documents order by url")
    return {"root": root, "data": root / "data", "sources": sources, "site": site, "rows": found}


def by_url(discovered):
    return {r["url"]: r for r in discovered["rows"]}


@pytest.mark.slow
def test_every_declared_page_of_the_demo_help_centre_is_found(discovered):
    found = by_url(discovered)
    declared = [d for p in load_sources(DEMO_SOURCES) for d in p.documents]
    assert len(declared) == 10
    for doc in declared:
        row = found.get(canonical_url(doc.url))
        assert row is not None, f"{doc.key} was not found by discovery"
        assert row["status"] == "tracked" and row["document_id"] == doc.key
        assert row["found_on"], f"{doc.key} has no 'found on' page"


@pytest.mark.slow
def test_new_policy_pages_are_recorded_with_where_they_were_found(discovered):
    found = by_url(discovered)
    fees = found["https://sellercentral.demomart.example/help/selling-fees"]
    assert fees["status"] == "new" and fees["title"] == "Selling Fees" and fees["suggested_type"] == "fees"
    assert fees["found_on"] == "https://sellercentral.demomart.example/help/hub/program-policies"
    logistics = found["https://seller.kuajingtong.example/rules/logistics"]
    assert logistics["status"] == "new" and logistics["title"] == "物流规则" and logistics["suggested_type"] == "shipping"
    # linked but answering 404: recorded as unreachable, not offered as new
    dead = found["https://sellercentral.demomart.example/help/shipping-settings"]
    assert dead["status"] == "unreachable" and dead["status_code"] == 404
    # shoptide has depth 0: its start page's links are recorded without being fetched
    listing = found["https://seller.shoptide.example/university/product-listing"]
    assert listing["status"] == "new" and listing["title"] is None and listing["link_text"] == "Product Listing Policy"
    assert discovered["site"].count("seller.shoptide.example", "/university/product-listing") == 0
    # tracking parameters and fragments do not make a page twice
    assert not [r for r in discovered["rows"] if "?" in r["url"] or "#" in r["url"]]


@pytest.mark.slow
def test_nothing_outside_the_declared_domains_is_fetched_or_recorded(discovered):
    hosts = discovered["site"].hosts()
    assert not hosts & OUTSIDE, f"requests outside the declared domains: {hosts & OUTSIDE}"
    assert hosts <= {"sellercentral.demomart.example", "seller.shoptide.example", "seller.kuajingtong.example"}
    platforms = {p.id: p for p in load_sources(discovered["sources"])}
    for row in discovered["rows"]:
        assert platforms[row["platform_id"]].on_domain(row["url"]), row["url"]


@pytest.mark.slow
def test_discovered_command_lists_new_pages(discovered):
    out = json.loads(policykb("sources", "discovered", "--data", discovered["data"], "--json").stdout)
    # shoptide's links were not fetched (depth 0), so its dead link is still a candidate
    assert {r["url"] for r in out} == {"https://sellercentral.demomart.example/help/selling-fees",
                                       "https://seller.shoptide.example/university/product-listing",
                                       "https://seller.shoptide.example/university/prohibited-products",
                                       "https://seller.kuajingtong.example/rules/logistics"}
    text = policykb("sources", "discovered", "--data", discovered["data"], "--all").stdout
    assert "tracked" in text and "unreachable" in text and "found on" in text


@pytest.mark.slow
def test_promote_makes_a_discovered_page_tracked(discovered, tmp_path):
    data, sources = tmp_path / "data", tmp_path / "sources"
    copy_data(discovered["data"], data)
    shutil.copytree(discovered["sources"], sources)
    fees = by_url(discovered)["https://sellercentral.demomart.example/help/selling-fees"]
    before = (sources / "demomart.yml").read_text(encoding="utf-8")

    out = policykb("sources", "promote", fees["id"], "--data", data, "--sources", sources).stdout
    assert "demomart/selling-fees" in out and "family 'help-page'" in out
    after = (sources / "demomart.yml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n").split("\n")[0])  # the file's own comment is kept
    assert "promoted from discovery" in after
    doc = {d.id: d for d in load_platform(sources / "demomart.yml").documents}["selling-fees"]
    assert doc.type == "fees" and doc.select == ("#help-content",) and doc.family == "help-page"
    policykb("sources", "check", "--sources", sources)

    crawl(data, sources, LayeredSite(PLATFORMS_SITE, DEMO_SITE), "--document", "demomart/selling-fees")
    policykb("build", "--data", data)
    version = rows(data / "policykb.db", "select text_markdown from versions where document_id = ?",
                   ["demomart/selling-fees"])
    assert len(version) == 1 and "referral fee" in version[0]["text_markdown"]
    assert "You last visited" not in version[0]["text_markdown"]  # the family's remove applies
    row = rows(data / "policykb.db", "select status, document_id from discovered_documents where id = ?", [fees["id"]])
    assert row == [{"status": "tracked", "document_id": "demomart/selling-fees"}]

    again = policykb("sources", "promote", fees["id"], "--data", data, "--sources", sources, check=False)
    assert again.returncode == 2 and "already tracked" in again.stderr


def test_policy_links_keep_only_declared_domains_and_patterns(tmp_path):
    sources = write_sources(tmp_path)
    platform = {p.id: p for p in load_sources(sources)}["demomart"]
    anchors = [("/help/selling-fees?ref=x&utm_source=y#top", " Selling\n fees "),
               ("https://evil.example/help/selling-fees", "evil"),
               ("https://www.facebook.com/demomart", "fb"),
               ("/help/hub/program-policies?ref=a", "hub"),
               ("/help/account-health", "tracked page"),
               ("/orders", "not a policy"), ("javascript:void(0)", "js"), ("mailto:x@y", "mail")]
    links = policy_links(platform, "https://sellercentral.demomart.example/help/hub", anchors,
                         tracked={"https://sellercentral.demomart.example/help/account-health"})
    assert links == [
        {"url": "https://sellercentral.demomart.example/help/selling-fees", "text": "Selling fees", "kind": "document"},
        {"url": "https://sellercentral.demomart.example/help/hub/program-policies", "text": "hub", "kind": "follow"},
        {"url": "https://sellercentral.demomart.example/help/account-health", "text": "tracked page",
         "kind": "tracked"},
    ]


@pytest.mark.parametrize("discovery,field,message", [
    ({"documents": ["https://x.example/*"]}, "discovery.start", "start URL"),
    ({"start": ["https://x.example/"], "documents": ["re:("]}, "discovery.documents", "invalid regular expression"),
    ({"start": ["https://x.example/"], "documents": ["https://x.example/*"], "depth": 9}, "discovery.depth", "0 to 5"),
    ({"start": ["https://x.example/"], "documents": ["https://x.example/*"], "follow_links": True},
     "discovery.follow_links", "unknown key"),
])
def test_bad_discovery_sections_are_one_line(tmp_path, discovery, field, message):
    data = {"platform": "shop", "name": "Shop", "homepage": "https://x.example/", "discovery": discovery,
            "documents": [{"id": "fees", "title": "Fees", "url": "https://x.example/fees", "locale": "en-US",
                           "type": "fees"}]}
    path = tmp_path / "shop.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(DeclarationError) as err:
        load_platform(path)
    assert err.value.field == field and message in str(err.value) and "\n" not in str(err.value)
