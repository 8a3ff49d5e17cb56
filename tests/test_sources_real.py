"""The real platforms' declarations: coverage, validation, page families, and a crawl of
every declared page that ``replay/sites/platforms`` reproduces, through each platform's
own selectors (JavaScript pages in Chromium), with discovery on the real help-centre hubs.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import ROOT, policykb, rows
from pipeline.sources import DOCUMENT_TYPES, DeclarationError, load_platform, load_sources, suggest_type
from replay.server import DirectorySite, ReplayServer
from sitetools import FAST, PLATFORMS_SITE, RecordingSite
from spiders import browser

REAL = ROOT / "spiders" / "sources"
PLATFORMS = {"amazon", "tiktok-shop", "shopee", "lazada", "temu", "ebay", "walmart", "aliexpress", "shein", "etsy",
             "rakuten"}
#: The pages sellers are judged by: each must be declared for some platform.
SELLER_TYPES = {"seller-agreement", "code-of-conduct", "account-health", "appeals", "prohibited-products",
                "intellectual-property", "product-compliance", "fees", "shipping", "returns", "reviews",
                "related-accounts"}
#: For each fixture page: a sentence of the policy, and page noise its declaration must drop.
EXPECTED = {
    "amazon/us-code-of-conduct": ("Do not operate more than one Selling Partner account",
                                  ["Back to top", "Ce contenu est réservé", "Was this article helpful", "Sign in"]),
    "amazon/jp-code-of-conduct": ("正当な事業上の必要性なく、複数の出品用アカウントを運営しないこと", ["トップへ戻る"]),
    "amazon/us-conditions-of-use": ("so long as the content is not illegal",
                                    ["Find more solutions", "Was this information helpful", "Legal Policies ›"]),
    "tiktok-shop/us-violation-points": ("Reaching 12 points in the rolling period",
                                        ["18342", "views", "Was this article helpful", "Loading"]),
    "shopee/sg-prohibited-items": ("Counterfeit or replica goods", ["Is this article helpful", "Related articles"]),
    "shopee/cb-penalties": ("迟发货率高于 10% 的，每周扣 1 分", ["这篇文章对您有帮助吗"]),
    "lazada/sg-prohibited-items": ("Controlled items may only be sold with the licence", ["Was this helpful"]),
    "temu/terms-of-use": ("Each seller is responsible for the products it lists", []),
    "ebay/us-seller-performance": ("transaction defect rate above 2%", ["Related help articles", "Selling fees"]),
    "ebay/ie-imprint": ("Albert-Einstein-Ring 2-6", ["Back to top"]),
    "walmart/retailer-agreement": ("on-time shipment and valid tracking rates", ["Apply now", "© 2026 Walmart"]),
    "aliexpress/transaction-services-agreement": ("the buyer may request a full refund", ["Alibaba Group Legal"]),
    "shein/us-returns": ("within 30 days of the shipping date", ["Was this helpful", "Shipping Info"]),
    "etsy/seller-policy": ("must be made, designed, handpicked or sourced by you",
                           ["Etsy's Terms of Use and Policies", "Fees & Payments Policy"]),
    "rakuten/fr-seller-conditions": ("une commission sur chaque vente",
                                     ["5 min de lecture", "Retour au centre d'aide", "Produits interdits"]),
    "rakuten/jp-fees": ("売上の２．０％から７．０％のシステム利用料", ["この記事をシェアする"]),
}


@pytest.fixture(scope="module")
def real():
    return load_sources(REAL)


def test_at_least_11_platforms_and_60_documents(real):
    assert PLATFORMS <= {p.id for p in real}
    docs = [d for p in real for d in p.documents]
    assert len(docs) >= 60
    assert len({d.url for d in docs}) == len(docs)
    assert SELLER_TYPES <= {d.type for d in docs}
    assert all(d.type in DOCUMENT_TYPES for d in docs)


def test_amazon_covers_several_marketplaces_and_shopee_its_cross_border_centre(real):
    platforms = {p.id: p for p in real}
    hosts = {d.host for d in platforms["amazon"].documents}
    assert {"sellercentral.amazon.com", "sellercentral.amazon.co.uk", "sellercentral.amazon.de",
            "sellercentral.amazon.co.jp"} <= hosts
    assert {"en-US", "en-GB", "de-DE", "ja-JP"} <= {d.locale for d in platforms["amazon"].documents}
    assert any(d.host == "shopee.cn" and d.locale == "zh-CN" for d in platforms["shopee"].documents)


def test_families_give_selectors_and_js_unless_a_document_has_its_own(real):
    platforms = {p.id: p for p in real}
    amazon = {d.id: d for d in platforms["amazon"].documents}
    coc = amazon["us-code-of-conduct"]
    assert (coc.family, coc.select, coc.remove, coc.js) == (
        "seller-central-help", ("#full-help-page",), ("*[hidden]", ".hh-scroll-to-top-box", ".hh-article-country-box"),
        True)
    assert amazon["de-code-of-conduct"].family == "seller-central-help"  # .de, with ?locale=
    assert amazon["us-privacy-notice"].family == "customer-help" and not amazon["us-privacy-notice"].js
    imprint = {d.id: d for d in platforms["ebay"].documents}["ie-imprint"]
    assert imprint.select == (".HelpContent",) and imprint.js is False  # its own, over the family's
    # a page not declared inherits by URL: what discovery's promotions rely on
    family = platforms["amazon"].family_for("https://sellercentral.amazon.co.uk/help/hub/reference/external/G9")
    assert family.id == "seller-central-help"


@pytest.mark.parametrize("family,message,field", [
    ({"id": "help", "match": ["re:(unclosed"]}, "invalid regular expression", "families[help].match"),
    ({"id": "help", "match": "https://x.example/*", "select": ["div[["]}, "invalid CSS selector",
     "families[help].select"),
    ({"id": "Help Pages", "match": "https://x.example/*"}, "lowercase slug", "families[Help Pages].id"),
])
def test_bad_families_are_one_line(tmp_path, family, message, field):
    path = tmp_path / "shop.yml"
    path.write_text(yaml.safe_dump({
        "platform": "shop", "name": "Shop", "homepage": "https://x.example/", "families": [family],
        "documents": [{"id": "fees", "title": "Fees", "url": "https://x.example/fees", "locale": "en-US",
                       "type": "fees"}]}))
    with pytest.raises(DeclarationError) as err:
        load_platform(path)
    assert message in str(err.value) and err.value.field == field and "\n" not in str(err.value)


def test_a_document_naming_an_unknown_family_is_one_line(tmp_path):
    path = tmp_path / "shop.yml"
    path.write_text(yaml.safe_dump({
        "platform": "shop", "name": "Shop", "homepage": "https://x.example/",
        "families": [{"id": "help", "match": "https://x.example/help/*", "select": "#c"}],
        "documents": [{"id": "fees", "title": "Fees", "url": "https://x.example/fees", "locale": "en-US",
                       "type": "fees", "family": "legal"}]}))
    with pytest.raises(DeclarationError, match="'legal' is not a family of this platform \\(help\\)"):
        load_platform(path)


def test_sources_list_json_has_exactly_the_documented_shape():
    out = json.loads(policykb("sources", "list", "--json").stdout)
    assert set(out) == {"platforms"}
    assert PLATFORMS <= {p["platform"] for p in out["platforms"]}
    for platform in out["platforms"]:
        assert set(platform) == {"platform", "documents"}
        for doc in platform["documents"]:
            assert set(doc) == {"id", "title", "url", "locale", "type", "js", "verified"} and isinstance(doc["js"], bool)
            assert all(set(v) == {"source", "date", "checked"} for v in doc["verified"])
    assert sum(len(p["documents"]) for p in out["platforms"]) >= 60


def test_sources_list_prints_the_coverage_table():
    out = policykb("sources", "list").stdout
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("type "))
    assert all(p in header for p in PLATFORMS)
    row = next(line for line in lines if line.startswith("code-of-conduct "))
    assert row.split()[1 + header.split()[1:].index("amazon")] == "4"  # US, UK, DE, JP
    assert "locales:" in out and "amazon" in out.split("locales:")[1] and "ja-JP" in out.split("locales:")[1]
    assert lines[-1].startswith("11 platforms") or int(lines[-1].split()[0]) >= 11
    verified = next(line for line in lines if line.startswith("verified url "))
    counts = dict(zip(header.split()[1:], (int(n) for n in verified.split()[2:])))
    real = {p.id: sum(1 for d in p.documents if d.verified_for("url")) for p in load_sources(REAL)}
    assert counts == real and counts["amazon"] >= 8 and counts["temu"] >= 1
    assert "unverified" in out and "verified url+select" in out


def test_sources_check_passes_and_extracts_the_saved_pages():
    out = policykb("sources", "check", "--site", PLATFORMS_SITE).stdout
    assert out.startswith("ok: ") and "page families" in out


def test_sources_check_reports_a_selector_that_no_longer_matches_the_saved_page(tmp_path):
    data = yaml.safe_load((REAL / "ebay.yml").read_text(encoding="utf-8"))
    imprint = next(d for d in data["documents"] if d["id"] == "ie-imprint")
    imprint["select"] = [".HelpContent-v2"]  # a redesign the declaration missed
    (tmp_path / "ebay.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    result = policykb("sources", "check", "--sources", tmp_path, "--site", PLATFORMS_SITE, check=False)
    assert result.returncode == 2
    assert "document 'ie-imprint'" in result.stderr and "'.HelpContent-v2' matched nothing" in result.stderr
    assert "layout changed" in result.stderr


def test_sources_check_site_says_it_leaves_rendered_pages_to_live():
    out = policykb("sources", "check", "--site", PLATFORMS_SITE).stdout
    assert "rendered documents not extracted from the site folder (use --live)" in out


@pytest.mark.parametrize("texts,expected", [
    (("Selling Fees", "https://x/help/selling-fees"), "fees"),
    (("卖家申诉指南",), "appeals"),
    (("Drop shipping policy",), "shipping"),
    (("Operating multiple seller accounts",), "related-accounts"),
    (("Cookie Notice", "https://x/help/cookie-notice"), None),
])
def test_suggest_type(texts, expected):
    assert suggest_type(*texts) == expected


def fixture_backed(real):
    """The documents the fixture site reproduces, one per saved page (several TikTok articles
    differ only in their query, which the replay site ignores): ``{platform: {document ids}}``."""
    site = DirectorySite(PLATFORMS_SITE)
    kept, pages = {}, set()
    for p in real:
        for d in sorted(p.documents, key=lambda d: d.key not in EXPECTED):
            parts = urlsplit(d.url)
            page = (parts.hostname, parts.path)
            if page not in pages and site.snapshots(*page):
                pages.add(page)
                kept.setdefault(p.id, set()).add(d.id)
    return kept


@pytest.fixture(scope="module")
def crawled(real, tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    sources = root / "sources"
    sources.mkdir()
    kept = fixture_backed(real)
    for p in real:
        data = yaml.safe_load((REAL / f"{p.id}.yml").read_text(encoding="utf-8"))
        data["documents"] = [d for d in data["documents"] if d["id"] in kept.get(p.id, ())]
        if data["documents"]:
            (sources / f"{p.id}.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                 encoding="utf-8")
    site = RecordingSite(PLATFORMS_SITE)
    with ReplayServer(site, "2026-02-01") as server:
        policykb("crawl", "--data", root / "data", "--sources", sources, "--replay", server.url,
                 "--log-level", "WARNING", *FAST)
    policykb("build", "--data", root / "data")
    db = root / "data" / "policykb.db"
    return {"kept": kept, "site": site, "checks": rows(db, "select document_id, outcome, reason from checks"),
            "versions": {r["document_id"]: r["text_markdown"]
                         for r in rows(db, "select document_id, text_markdown from versions")},
            "discovered": rows(db, "select * from discovered_documents")}


@pytest.mark.slow
def test_every_platform_has_a_fixture_page_exercising_its_selectors(real, crawled):
    assert set(crawled["kept"]) == PLATFORMS
    assert {key for key in EXPECTED} <= {f"{p}/{d}" for p, ds in crawled["kept"].items() for d in ds}


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_fixture_page_becomes_a_version_through_its_declaration(crawled, key, real):
    doc = {d.key: d for p in real for d in p.documents}[key]
    if doc.js and browser.chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; `make test` installs it)")
    sentence, noise = EXPECTED[key]
    failures = [c for c in crawled["checks"] if c["document_id"] == key and c["outcome"] != "new_version"]
    assert not failures, failures
    text = crawled["versions"][key]
    assert sentence in text
    for fragment in noise:
        assert fragment not in text, f"{key}: {fragment!r} should have been left out"


@pytest.mark.slow
def test_discovery_on_the_real_hubs(crawled):
    found = {r["url"]: r for r in crawled["discovered"]}
    drop = found["https://sellercentral.amazon.com/help/hub/reference/external/G200285410"]  # rendered hub (js)
    assert drop["status"] == "new" and drop["title"] == "Drop shipping policy"
    assert found["https://www.etsy.com/legal/policy/house-rules"]["status"] == "new"
    assert found["https://www.etsy.com/legal/sellers/"]["status"] == "tracked"
    assert "https://www.etsy.com/legal/" not in found  # a start page is not a policy page
    assert not {"www.pinterest.com", "sell.amazon.example-partner.com"} & crawled["site"].hosts()
