"""What real sites send back, over HTTP: each becomes a correct version or a failed check
with a clear reason, never a bogus version.

One real crawl of the fetch cases (``replay/sites/platforms/_sources/cases.yml``: a robot
check, login and region redirects, a consent wall, 429 with Retry-After, GBK / Big5 /
Shift_JIS pages, a PDF, a JavaScript-only page, a robots.txt refusal), then a second crawl
of the same site (conditional requests answered 304), each followed by a build. Plus the
pure functions behind them.
"""

from __future__ import annotations

import pytest

from conftest import CORPUS, policykb, rows
from pipeline.archive import Snapshot, iter_records
from pipeline.blocked import detect_blocked, page_reason, redirect_reason
from pipeline.extract import ExtractionError, extract
from replay.faults import Fault, FaultPlan
from replay.server import ReplayServer
from sitetools import CASES_SOURCES, FAST, PLATFORMS_SITE, RecordingSite
from spiders import browser
from spiders.middlewares import parse_retry_after

DATE = "2026-02-01"
RETRY_URL = "https://www.ebay.com/help/policies/selling-policies/seller-performance-policy"
NO_CHROMIUM = "Debian's chromium is not installed (apt-get install chromium; `make test` installs it)"
needs_chromium = pytest.mark.skipif(browser.chromium_path() is None, reason=NO_CHROMIUM)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    data = tmp_path_factory.mktemp("cases") / "data"
    site = RecordingSite(PLATFORMS_SITE)
    plan = FaultPlan({RETRY_URL: Fault("rate_limited", times=1, retry_after=1)})
    with ReplayServer(site, DATE, faults=plan) as server:
        policykb("crawl", "--data", data, "--sources", CASES_SOURCES, "--replay", server.url,
                 "--log-level", "WARNING", *FAST)
        policykb("build", "--data", data)
        first = {r["document_id"].split("/")[1]: r for r in rows(data / "policykb.db", "select * from checks")}
        retry_hits = plan.requests(RETRY_URL)
        requested_first = list(site.requested)
        policykb("crawl", "--data", data, "--sources", CASES_SOURCES, "--replay", server.url,
                 "--log-level", "WARNING", *FAST)
        policykb("build", "--data", data)
    second = {r["document_id"].split("/")[1]: r
              for r in rows(data / "policykb.db", "select * from checks where id > ?", [max(c["id"] for c in
                                                                                          first.values())])}
    versions = {r["document_id"].split("/")[1]: r["text_markdown"]
                for r in rows(data / "policykb.db", "select document_id, text_markdown from versions")}
    return {"first": first, "second": second, "versions": versions, "retry_hits": retry_hits,
            "requested": requested_first, "data": data}


FAILED = [
    ("captcha", "Amazon robot check"),
    ("login-redirect", "redirected to a login page (https://sellercentral.amazon.co.uk/ap/signin"),
    ("offsite-login-redirect", "redirected to a login page (https://signin.ebay.de/"),
    ("consent-wall", "cookie/consent wall"),
    ("region-redirect", "redirected to another country's site (www.amazon.co.uk → www.amazon.com)"),
    ("rate-limited-over-cap", "HTTP 429 rate limited (Retry-After: 3600)"),
    ("robots-disallowed", "disallowed by robots.txt"),
    ("js-only-without-browser", "matched nothing"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case,reason", FAILED)
def test_block_pages_are_failed_checks_with_a_clear_reason_never_versions(cases, case, reason):
    check = cases["first"][case]
    assert check["outcome"] == "failed" and reason in check["reason"], check
    assert case not in cases["versions"]


@pytest.mark.slow
def test_a_redirected_check_keeps_the_declared_url_and_where_the_redirects_ended(cases):
    """A check says which page was asked for (``url``, the declaration's) and where the response came from
    (``final_url``): a consultant sees that the policy page itself was never read, only a sign-in page."""
    check = cases["first"]["login-redirect"]
    assert check["url"] == "https://sellercentral.amazon.co.uk/help/hub/reference/external/G200164330"
    assert check["final_url"].startswith("https://sellercentral.amazon.co.uk/ap/signin")
    plain = cases["first"]["gbk"]  # no redirect: both are the declared URL
    assert plain["url"] == plain["final_url"] and plain["outcome"] == "new_version"


@pytest.mark.slow
@pytest.mark.parametrize("case,expected", [
    ("gbk", "第一条 卖家发布禁售信息的，每次扣 12 分"),
    ("big5", "賣家延遲出貨率超過百分之十者，每週計一點"),
    ("shift-jis", "店舗は、購入者にレビューの投稿を強制したり"),
    ("pdf", "卖家可在收到处罚通知后 7 个自然日内通过卖家中心提交申诉，并提供发票、授权书等证明材料。"),
    ("rate-limited-then-ok", "transaction defect rate above 2%"),
])
def test_pages_in_legacy_encodings_pdfs_and_after_a_retry_become_correct_versions(cases, case, expected):
    assert cases["first"][case]["outcome"] == "new_version"
    text = cases["versions"][case]
    assert expected in text and "\ufffd" not in text


@pytest.mark.slow
def test_pdf_version_keeps_paragraphs_and_joins_wrapped_cjk_lines(cases):
    paragraphs = cases["versions"]["pdf"].split("\n\n")
    assert paragraphs[0] == "Shopee 跨境卖家违规处理规则" and "第三条 申诉" in paragraphs
    assert "经营的全部卖家" in cases["versions"]["pdf"]  # "经\n营" across a line break, joined without a space


@pytest.mark.slow
def test_retry_after_is_waited_for_then_the_page_is_fetched(cases):
    hits = cases["retry_hits"]
    assert len(hits) == 2, hits  # the 429, then the retry
    assert hits[1] - hits[0] >= 1.0  # Retry-After: 1


@pytest.mark.slow
def test_a_retry_after_beyond_the_cap_is_not_waited_for(cases):
    assert sum(1 for h, p in cases["requested"] if p == "/pages/help/policies/rate-case.html") == 1


@pytest.mark.slow
def test_robots_txt_disallow_means_the_page_is_never_requested(cases):
    paths = {p for h, p in cases["requested"] if h == "www.temu.com"}
    assert "/robots.txt" in paths and "/api/policy/robots-case.html" not in paths


@pytest.mark.slow
def test_second_crawl_sends_conditional_requests_answered_304(cases):
    for case in ("gbk", "big5", "shift-jis", "pdf", "rate-limited-then-ok"):
        check = cases["second"][case]
        assert check["outcome"] == "not_modified" and check["record_kind"] == "not-modified", (case, check)
    # still blocked the second time, and still no version
    assert cases["second"]["captcha"]["outcome"] == "failed"


@needs_chromium
@pytest.mark.slow
def test_javascript_only_page_is_rendered_in_chromium(cases):
    text = cases["versions"]["js-only"]
    assert "Reaching 12 points in the rolling period" in text and "Appeals" in text
    assert "views" not in text and "Was this article helpful" not in text  # removed inside the rendered layout
    raw = (PLATFORMS_SITE / "seller-us.tiktok.com" / "university" / "article" / "2026-01-01.html").read_text()
    assert "Reaching 12 points" not in raw  # the text exists only once the page's script has run
    # a rendered page is fetched in full each time (its validators describe other bytes)
    assert cases["second"]["js-only"]["outcome"] == "unchanged"


def test_a_javascript_page_without_a_browser_is_a_failed_check_saying_so(tmp_path):
    with ReplayServer(PLATFORMS_SITE, DATE) as server:
        policykb("crawl", "--data", tmp_path, "--sources", CASES_SOURCES, "--replay", server.url,
                 "--document", "cases/js-only", "--log-level", "WARNING", *FAST,
                 "-s", f"POLICYKB_CHROMIUM={tmp_path / 'no-chromium'}")
    records = list(iter_records(tmp_path))
    assert len(records) == 1 and records[0].kind == "failure"  # the build makes it a failed check with this reason
    assert "no browser" in records[0].error and "apt-get install chromium" in records[0].error


# -- the pure functions ---------------------------------------------------------------------------

@pytest.mark.parametrize("declared,final,reason", [
    ("https://sellercentral.amazon.com/help/hub/reference/external/G1801",
     "https://sellercentral.amazon.com/ap/signin?openid.return_to=x", "login page"),
    ("https://www.ebay.com/help/x?id=1", "https://signin.ebay.com/ws/eBayISAPI.dll?SignIn&ru=x", "login page"),
    ("https://seller-us.tiktok.com/university/article?knowledge_id=1",
     "https://seller-us.tiktok.com/account/login?redirect=x", "login page"),
    ("https://sellercentral.amazon.de/help/hub/reference/external/G1801?locale=de-DE",
     "https://sellercentral.amazon.com/help/hub/reference/external/G1801?locale=de-DE", "another country's site"),
    ("https://sellercentral.amazon.de/help/hub/reference/external/G1801?locale=de-DE",
     "https://sellercentral.amazon.de/help/hub/reference/external/G1801?locale=en-GB", "locale=de-DE → locale=en-GB"),
    ("https://seller-uk.tiktok.com/university/article?knowledge_id=1",
     "https://seller-us.tiktok.com/university/article?knowledge_id=1", "another region's site"),
    ("https://www.temu.com/uk/terms-of-use.html", "https://www.temu.com/us/terms-of-use.html", "uk → us"),
    ("https://help.shopee.sg/portal/article/1", "https://shopee.sg/region-selector?next=1", "region chooser"),
    ("https://www.example-shop.com/terms", "https://consent.example-shop.com/?continue=1", "consent wall"),
    ("http://www.etsy.com/legal/sellers", "https://www.etsy.com/legal/sellers/", None),
    ("https://help.shopee.sg/portal/article/1", "https://help.shopee.sg/portal/article/1?lang=en", None),
])
def test_redirect_reasons(declared, final, reason):
    got = redirect_reason(declared, final)
    assert (got is None) if reason is None else (reason in got), got


@pytest.mark.parametrize("body,reason", [
    (b'<html><body><form action="/errors/validateCaptcha"><p>Type the characters you see in this image:</p>'
     b'</form></body></html>', "Amazon robot check"),
    (b"<html><head><title>Just a moment...</title></head><body><div id='cf-chl-widget'></div></body></html>",
     "Cloudflare"),
    (b"<html><body><h1>Robot or human?</h1><div id='px-captcha'></div></body></html>", "PerimeterX"),
    (b"<html><body><script src='https://g.alicdn.com/_____tmd_____/punish?x5secdata=1'></script></body></html>",
     "Alibaba slider"),
    (b"<html><body><h1>Sign in</h1><form><input type='password' name='p'></form></body></html>", "login form"),
    (b"<html><body><h2>Before you continue</h2><button>Accept all cookies</button></body></html>", "consent wall"),
])
def test_block_pages_are_recognised(body, reason):
    assert reason in page_reason(body, "text/html")


def test_a_long_policy_page_with_a_cookie_banner_and_a_recaptcha_widget_is_not_blocked():
    policy = "<p>" + "Sellers must ship orders within two business days of purchase. " * 60 + "</p>"
    body = (f"<html><body><div class='cookie'>Accept all cookies</div><div class='g-recaptcha'></div>"
            f"<form><input type=password></form><h1>Sign in to comment</h1>{policy}</body></html>").encode()
    assert page_reason(body, "text/html") is None


@pytest.mark.skipif(not (CORPUS / "html").is_dir(), reason="../shared/corpus/html is absent")
def test_no_real_page_of_the_corpus_is_taken_for_a_block_page():
    pages = sorted((CORPUS / "html").rglob("*.html"))
    assert len(pages) > 50
    flagged = [str(p) for p in pages if page_reason(p.read_bytes(), "text/html")]
    assert flagged == []


def test_detect_blocked_reads_the_archived_record():
    record = Snapshot(
        record_id="r", warc_file="f", offset=0, kind="response", document="amazon/x",
        url="https://sellercentral.amazon.com/ap/signin?x=1", status=200,
        headers=[("Content-Type", "text/html")], body=b"<html>sign in</html>", fetched_at="", observed_at="")
    assert "login page" in detect_blocked(record, "https://sellercentral.amazon.com/help/hub/reference/external/G1")


@pytest.mark.parametrize("value,expected", [
    ("120", 120.0), (b"1", 1.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None),
])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date_in_the_future():
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90.0


def test_unreadable_pdfs_are_extraction_errors():
    with pytest.raises(ExtractionError, match="PDF could not be"):
        extract(b"%PDF-1.7\nnot really a pdf", "application/pdf")


def test_a_header_claiming_utf8_on_gbk_bytes_is_overruled_by_detection():
    text = "卖家应在买家付款后三个工作日内发货，并上传有效物流单号。逾期发货的订单计入迟发率。"
    body = f"<html><body><div id='c'><p>{text}</p></div></body></html>".encode("gbk")
    out = extract(body, "text/html; charset=utf-8", ["#c"])
    assert text in out.markdown and out.encoding in ("gb18030", "gbk", "gb2312")



def test_a_few_cp1252_quotes_under_a_utf8_header_are_read_as_cp1252():
    """A CMS that pastes Windows "smart quotes" into a UTF-8 page: the quotes survive, no U+FFFD."""
    text = "Sellers must respond within 48 hours \u2013 that\u2019s the rule for \u201cA-to-z\u201d claims."
    body = f"<html><body><div id='c'><p>{text}</p>{'<p>Plain English policy text.</p>' * 40}</div></body></html>"
    out = extract(body.encode("cp1252"), "text/html; charset=utf-8", ["#c"])
    assert text in out.markdown and "\ufffd" not in out.markdown


def test_when_header_and_meta_charsets_disagree_the_one_that_reads_as_text_wins():
    text = "出品者は十二時間以内に購入者へ返信してください。"
    page = f"<html><head><meta charset='{{}}'></head><body><div id='c'><p>{text}</p></div></body></html>"
    # the page's own declaration is right (EUC-JP bytes under a Shift_JIS header decode, as cp932, to kana mojibake)
    out = extract(page.format("euc-jp").encode("euc-jp"), "text/html; charset=shift_jis", ["#c"])
    assert text in out.markdown
    # the header is right and the <meta> is stale
    out = extract(page.format("euc-jp").encode("cp932"), "text/html; charset=shift_jis", ["#c"])
    assert text in out.markdown and out.encoding == "cp932"


@pytest.mark.parametrize("garbage", [
    bytes.fromhex("f5b165224a58b791df6af1d8303e61cd"),  # read as cp1252: 'õ±e"JX·‘ßjñØ0>aÍ'
    "%頬s\\*Xｵ瞥LﾆoVｼPt".encode("cp932"),  # half-width katakana between stray letters
])
def test_a_guessed_charset_that_gives_no_text_is_a_failed_check(garbage):
    body = b"<html><body><div id='c'>" + garbage + b"</div></body></html>"
    with pytest.raises(ExtractionError, match="guess"):
        extract(body, "text/html; charset=utf-8", ["#c"])

@pytest.mark.parametrize("contact", [None, "https://example.org/crawler-contact"])
def test_politeness_settings_and_a_user_agent_naming_the_project_and_a_contact(contact):
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from conftest import DEMO_SOURCES
    from spiders import settings as project_settings
    from spiders.policy import PolicySpider

    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    if contact:
        settings.set("POLICYKB_CONTACT", contact, priority="cmdline")  # as `policykb crawl -s` sets it
    crawler = Crawler(PolicySpider, settings)
    PolicySpider.from_crawler(crawler, sources=str(DEMO_SOURCES), data="unused")
    s = crawler.settings
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert 1 <= s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    user_agent = s["USER_AGENT"]
    assert user_agent.startswith("policykb/") and (contact or s["POLICYKB_CONTACT"]) in user_agent
    middlewares = s.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "spiders.middlewares.RetryAfterMiddleware" in middlewares
