"""Cite check (``policykb cite``, ``kb.cite``, ``/-/policykb/cite``) on KBs built by real crawls.

Quotes come from ``EXPECTED.yml`` (phrases added and removed at each demo date)
or from the versions the crawl recorded; the expected answers (dates, kinds)
come from ``EXPECTED.yml``.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import unicodedata

import pytest
import yaml
from datasette.app import Datasette

from click.testing import CliRunner

from conftest import ROOT, copy_data, crawl_as_of, policykb, rows
from kb.cli import cli
from kb.cite import CiteError, cite, key_form, locate, key_text

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
REQUIRED = {"status", "platform", "document", "url", "section", "version_date", "effective_date", "last_checked",
            "permalink", "citation"}
FRESH = "2026-07-02T00:00:00Z"  # a day after the last demo crawl: nothing is stale


def run_cite(*args):
    """Run the real ``policykb cite`` in a subprocess.

    Through ``kb.cli.main`` rather than ``python -m kb.cli``: as ``__main__``,
    kb/cli.py's group is not the one the command modules register on.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", "from kb.cli import main; main()", "cite", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def cite_cli(data, quote, *args, check=True):
    """``policykb cite --json`` in-process (click's CliRunner): its answers, one JSON object per line."""
    result = CliRunner().invoke(cli, ["cite", "--data", str(data), "--json", *map(str, args), quote])
    if check:
        assert result.exit_code in (0, 1), (result.output, result.exception)
    result.returncode = result.exit_code
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()], result


def answer_for(answers, document):
    found = [a for a in answers if a["document"] == document]
    assert found, f"no answer for {document}: {[(a['status'], a['document']) for a in answers]}"
    return found[0]


def damage(text: str) -> str:
    """What copy-paste does: curly quotes around it, full-width punctuation and digits, case, line breaks."""
    table = str.maketrans({",": "，", ";": "；", ":": "：", "%": "％", "'": "’",
                           **{str(d): chr(0xFF10 + d) for d in range(10)}})
    words = text.translate(table).split(" ")
    words = [w.upper() if i % 4 == 1 else w for i, w in enumerate(words)]
    return "“" + "  \n ".join([" ".join(words[:3]), " ".join(words[3:])]) + "”"


def first_sentence_with(text: str, min_words=8) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "|", "-")) and len(line.split()) >= min_words:
            return re.split(r"(?<=\.)\s", line)[0]
    raise AssertionError("no sentence")


@pytest.fixture(scope="module")
def kb(demo_kb):
    conn = sqlite3.connect(demo_kb / "policykb.db")
    yield conn
    conn.close()


# --- current -----------------------------------------------------------------------------------

def test_current_english_quote_survives_copy_paste_damage(demo_kb, expected):
    phrase = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]["added"][0]
    answers, result = cite_cli(demo_kb, damage(phrase), "--now", FRESH)
    assert result.returncode == 0
    a = answer_for(answers, "demomart/account-health")
    assert REQUIRED <= set(a)
    assert a["status"] == "current" and a["stale"] is False
    assert a["version_date"] == "2026-04-01"
    assert a["last_checked"][:10] == expected["dates"][-1]
    assert a["section"] == "Late shipment rate"
    assert a["url"] == expected["documents"]["demomart/account-health"]["url"]
    assert a["permalink"].endswith("/-/policykb/doc/demomart/account-health/v/2")
    assert a["citation"]["en"] == (
        'DemoMart, "Account Health Policy", section "Late shipment rate", version of 2026-04-01, '
        f"retrieved {expected['dates'][-1]}, {a['url']}")
    assert a["citation"]["zh"].startswith("演示商城《账户健康政策》“Late shipment rate”部分，2026年4月1日版本，2026年7月1日核实")


def test_current_chinese_quote_with_half_width_punctuation_and_section(kb, expected):
    text = rows_text(kb, "kuajing/appeals", 2)
    clause = next(line for line in text.splitlines() if line.startswith("**第三条**"))
    body = clause.split("】", 1)[1]
    pasted = body.replace("，", ",").replace("；", ";").replace("。", ". ")
    [a] = [x for x in cite(kb, pasted, now=FRESH) if x["document"] == "kuajing/appeals"]
    effective = expected["documents"]["kuajing/appeals"]["effective"]["2026-04-01"]
    assert a["status"] == "current"
    assert a["section"] == "第三条" and a["section_key"] == "第3条"
    assert a["effective_date"] == effective and a["effective_date_source"] == "stated"
    # 第三条 has had the same wording since the first version: the citation says so, with the date then
    first = expected["documents"]["kuajing/appeals"]["effective"]["2026-01-15"]
    assert a["citation"]["zh"] == (
        f"跨境通《申诉规则》第三条，2026年4月1日版本（{zh(effective)}生效；该措辞自2026年1月15日版本起未变，"
        f"该版本{zh(first)}生效），2026年7月1日核实，{a['url']}")
    assert a["citation"]["en"].startswith('Kuajingtong, "Appeals Rules" (申诉规则), article 3, version of 2026-04-01 '
                                          f"(effective {effective}; wording unchanged since the version of "
                                          f"2026-01-15, effective {first})")


def test_a_dropped_word_is_tolerated_and_reported(kb):
    sentence = first_sentence_with(rows_text(kb, "demomart/seller-code-of-conduct", 1), min_words=14)
    words = sentence.split(" ")
    dropped = words[6]
    quote = " ".join(words[:6] + words[7:])
    [a] = [x for x in cite(kb, quote, now=FRESH) if x["document"] == "demomart/seller-code-of-conduct"]
    assert a["status"] == "current"
    assert a["match"]["omitted"] == [dropped.strip(".,;:")]
    assert f"leaves out: “{dropped.strip('.,;:')}”" in a["message"]["en"]


# --- changed -----------------------------------------------------------------------------------

def test_changed_english_clause_gives_current_wording_redline_and_date(demo_kb, expected):
    spec = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]
    answers, result = cite_cli(demo_kb, spec["removed"][0], "--now", FRESH)
    assert result.returncode == 0
    a = answer_for(answers, "demomart/account-health")
    assert REQUIRED <= set(a) and {"current_wording", "changed_at"} <= set(a)
    assert a["status"] == "changed"
    assert a["changed_at"][:10] == "2026-04-01"
    assert spec["added"][0] in a["current_wording"]
    assert a["quoted_wording"] == spec["removed"][0]
    ops = {o["op"] for o in a["redline"]}
    assert {"-", "+", "="} <= ops
    assert "".join(o["text"] for o in a["redline"] if o["op"] != "+") == a["quoted_wording"]
    assert "".join(o["text"] for o in a["redline"] if o["op"] != "-") == a["current_wording"]
    assert a["version_date"] == "2026-04-01" and a["last_version_with_quote"]["version_date"] == "2026-01-15"
    assert a["last_version_with_quote"]["permalink"] != a["permalink"]


def test_changed_chinese_clause(kb, expected):
    spec = expected["documents"]["kuajing/ip-infringement"]
    [a] = [x for x in cite(kb, spec["changes"]["2026-07-01"]["removed"][0], now=FRESH)
           if x["document"] == "kuajing/ip-infringement"]
    assert a["status"] == "changed"
    assert spec["changes"]["2026-07-01"]["added"][0] in a["current_wording"]
    assert a["changed_at"][:10] == "2026-07-01"
    assert a["change_effective_date"] == spec["effective"]["2026-07-01"]
    assert a["section"] == "第三条"
    assert a["citation"]["zh"].startswith("跨境通《知识产权侵权处理规则》第三条，2026年7月1日版本")
    assert "引文已不在当前文本中" in a["message"]["zh"]


def test_as_of_says_which_wording_was_current_then(demo_kb, expected):
    old = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]["removed"][0]
    new = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]["added"][0]
    for quote, date, status in [(old, "2026-02-01", "present"), (old, "2026-05-01", "absent"),
                                (new, "2026-02-01", "absent"), (new, "2026-05-01", "present")]:
        answers, _ = cite_cli(demo_kb, quote, "--now", FRESH, "--as-of", date)
        a = answer_for(answers, "demomart/account-health")
        assert a["as_of_status"] == status, (quote, date)
        assert a["as_of"]["version_date"] == ("2026-01-15" if date < "2026-04-01" else "2026-04-01")
    added_clause = expected["documents"]["kuajing/appeals"]["changes"]["2026-04-01"]["added"][0]
    answers, _ = cite_cli(demo_kb, added_clause, "--now", FRESH, "--as-of", "2026-02-01")
    a = answer_for(answers, "kuajing/appeals")
    assert a["status"] == "current" and a["as_of_status"] == "absent"
    # before the first capture (2026-01-15) the KB cannot say: not yet tracked
    answers, _ = cite_cli(demo_kb, added_clause, "--now", FRESH, "--as-of", "2026-01-01")
    assert answer_for(answers, "kuajing/appeals")["as_of_status"] == "not_tracked"


# --- removed -----------------------------------------------------------------------------------

def test_removed_page(demo_kb, kb, expected):
    gone = next(d for d, s in expected["documents"].items() if s.get("gone"))
    sentence = first_sentence_with(rows_text(kb, gone, 1))
    answers, result = cite_cli(demo_kb, sentence.upper(), "--now", FRESH)
    assert result.returncode == 0
    a = answer_for(answers, gone)
    assert REQUIRED <= set(a) and "changed_at" in a
    assert a["status"] == "removed" and a["removed_with"] == "page"
    assert a["changed_at"][:10] == expected["documents"][gone]["gone"]
    assert a["version_date"] == expected["documents"][gone]["versions"][-1]
    assert "2026年7月1日下线" in a["citation"]["zh"] and "page removed 2026-07-01" in a["citation"]["en"]


LISTING_V1 = """<html><head><title>Listing Policy</title></head><body>
<nav>Home | Help</nav>
<div id="policy">
<h1>Listing Policy</h1>
<p>Last updated: January 5, 2026</p>
<h2>1. Relisting</h2>
<p>After a listing is removed, sellers may relist the product once the review is complete.
Relisted products keep their reviews and their sales history.</p>
<h2>2. Bundles</h2>
<p>Bundles must contain at least two distinct products sold together at a single price.</p>
<p>Sellers who bundle gift cards with other products will have the bundle removed without notice.</p>
<h2>3. Images</h2>
<p>The main image must show the product on a pure white background, without text or logos.</p>
</div></body></html>
"""


@pytest.fixture(scope="module")
def listing_kb(tmp_path_factory):
    """A two-version KB crawled from a small site: a clause negated, a sentence deleted."""
    root = tmp_path_factory.mktemp("cite-site")
    site, sources, data = root / "site", root / "sources", root / "data"
    page = site / "seller.citetest.example" / "policies" / "listing"
    page.mkdir(parents=True)
    (page / "2026-01-10.html").write_text(LISTING_V1, encoding="utf-8")
    v2 = (LISTING_V1.replace("sellers may relist", "sellers may not relist")
          .replace("January 5, 2026", "February 2, 2026")
          .replace("<p>Sellers who bundle gift cards with other products will have the bundle removed "
                   "without notice.</p>\n", ""))
    (page / "2026-02-10.html").write_text(v2, encoding="utf-8")
    sources.mkdir()
    (sources / "citetest.yml").write_text(
        "platform: citetest\nname: CiteTest Market\nname_zh: 引文测试商城\nhomepage: https://seller.citetest.example/\n"
        "documents:\n  - id: listing\n    title: Listing Policy\n    title_zh: 商品发布政策\n"
        "    url: https://seller.citetest.example/policies/listing\n    locale: en-US\n    type: listing\n"
        "    select: ['#policy']\n", encoding="utf-8")
    for date in ("2026-01-10", "2026-02-10"):
        crawl_as_of(data, date, site=site, sources=sources)
        policykb("build", "--data", data)
    return data


def test_removed_passage_and_inserted_not(listing_kb):
    assert len(rows(listing_kb / "policykb.db", "select id from versions")) == 2
    answers, _ = cite_cli(listing_kb, "Sellers who bundle gift cards with other products will have the bundle "
                                      "removed without notice.", "--now", "2026-02-11")
    [a] = answers
    assert a["status"] == "removed" and a["removed_with"] == "passage"
    assert a["changed_at"][:10] == "2026-02-10" and a["version_date"] == "2026-01-10"
    assert a["section"] == "2" and a["citation"]["en"].startswith('CiteTest Market, "Listing Policy", section 2,')
    assert "passage removed 2026-02-10" in a["citation"]["en"]

    # A dropped word is tolerated, so an inserted "not" must be caught by the older version matching better.
    [a], _ = cite_cli(listing_kb, "sellers may relist the product once the review is complete", "--now", "2026-02-11")
    assert a["status"] == "changed"
    assert {"op": "+", "text": "not "} in a["redline"] or any(o["op"] == "+" and "not" in o["text"]
                                                              for o in a["redline"])
    [a], _ = cite_cli(listing_kb, "The main image must show the product on a pure white background",
                      "--now", "2026-02-11")
    assert a["status"] == "current" and a["section"] == "3"


# --- not found, stale, errors --------------------------------------------------------------------

@pytest.mark.parametrize("quote", [
    "Sellers may ship orders by carrier pigeon when the recipient agrees in writing beforehand.",
    "商家可以通过信鸽发货，但须事先取得买家的书面同意并保留记录。",
])
def test_not_found(demo_kb, quote):
    answers, result = cite_cli(demo_kb, quote, "--now", FRESH)
    assert result.returncode == 1
    [a] = answers
    assert a["status"] == "not_found" and REQUIRED <= set(a)
    assert a["document"] is None and a["citation"] is None


def test_near_miss_is_not_called_current(kb):
    # One word of a current sentence changed by the user: never "current", the closest passage is offered.
    sentence = first_sentence_with(rows_text(kb, "shoptide/returns-refunds", 1), min_words=10)
    words = sentence.split(" ")
    words[3] = "zebra"
    [a] = cite(kb, " ".join(words), now=FRESH)
    assert a["status"] == "not_found"
    assert a["closest"]["document"] == "shoptide/returns-refunds"


def test_stale_document_does_not_claim_current(demo_kb, expected):
    phrase = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]["added"][0]
    answers, _ = cite_cli(demo_kb, phrase, "--now", "2026-07-04T00:00:00Z")
    a = answer_for(answers, "demomart/account-health")
    assert a["status"] == "current" and a["stale"] is True
    assert "may be stale" in a["message"]["en"] and "The quote is in the current version" not in a["message"]["en"]
    assert "知识库可能已过时" in a["message"]["zh"]
    answers, _ = cite_cli(demo_kb, phrase, "--now", "2026-07-04T00:00:00Z", "--stale-hours", "100")
    assert answer_for(answers, "demomart/account-health")["stale"] is False
    text = run_cite("--data", demo_kb, "--now", "2026-07-04T00:00:00Z", phrase).stdout
    assert "STALE" in text and "可能过时" in text


def test_errors_are_clear(demo_kb, kb):
    result = run_cite("--data", demo_kb, "late rate")
    assert result.returncode == 2 and "too short" in result.stderr
    result = run_cite("--data", demo_kb, "--as-of", "01/02/2026", "late shipment rate under 3%")
    assert result.returncode == 2 and "not a date" in result.stderr
    with pytest.raises(CiteError):
        cite(kb, "late shipment rate under 3%", platform="nope")


def test_key_form_maps_back_to_the_raw_text():
    raw = "**第三条**【申诉时限】商家应当在７个自然日内提交申诉；See [the “Plan of Action”](/help/x?a=1) — ＯＫ."
    kt = key_text(raw)
    assert kt.key == "第三条申诉时限商家应当在7个自然日内提交申诉seetheplanofactionok"
    m = locate(key_form("plan of action"), kt)
    assert raw[m.raw_start:m.raw_end] == "Plan of Action"
    m = locate(key_form("在7个自然日内"), kt)
    assert raw[m.raw_start:m.raw_end] == "在７个自然日内"
    assert unicodedata.normalize("NFKC", raw[m.raw_start:m.raw_end]) == "在7个自然日内"


# --- web ---------------------------------------------------------------------------------------

@pytest.fixture
def ds(demo_kb, monkeypatch):
    monkeypatch.setenv("POLICYKB_NOW", FRESH)
    return Datasette([str(demo_kb / "policykb.db")], metadata=METADATA)


@pytest.mark.asyncio
async def test_json_api_and_permalink(ds, expected):
    spec = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]
    response = await ds.client.get("/-/policykb/cite.json", params={"q": spec["removed"][0]})
    assert response.status_code == 200
    a = answer_for(response.json()["answers"], "demomart/account-health")
    assert a["status"] == "changed" and spec["added"][0] in a["current_wording"]
    assert a["permalink"].startswith("http")
    for link, phrase in [(a["permalink"], spec["added"][0]),
                         (a["last_version_with_quote"]["permalink"], spec["removed"][0])]:
        page = await ds.client.get("/" + link.split("/", 3)[3])
        assert page.status_code == 200 and phrase in re.sub(r"\s+", " ", page.text)


@pytest.mark.asyncio
async def test_form_page_escapes_and_is_read_only(ds, expected):
    page = await ds.client.get("/-/policykb/cite")
    assert page.status_code == 200 and '<form class="pkb-cite-form" method="get"' in page.text
    quote = expected["documents"]["kuajing/ip-infringement"]["changes"]["2026-07-01"]["removed"][0]
    page = await ds.client.get("/-/policykb/cite", params={"q": quote})
    assert 'data-status="changed"' in page.text and '<ins class="pkb-ins">' in page.text
    hostile = await ds.client.get("/-/policykb/cite", params={"q": "<script>alert(1)</script> sellers must keep"})
    assert "<script>alert(1)" not in hostile.text and "&lt;script&gt;" in hostile.text
    assert (await ds.client.post("/-/policykb/cite.json", data={"q": quote})).status_code in (403, 405)
    bad = await ds.client.get("/-/policykb/cite.json", params={"q": "ab"})
    assert bad.status_code == 400 and "too short" in bad.json()["error"]


@pytest.mark.asyncio
async def test_web_says_stale(ds, monkeypatch, expected):
    monkeypatch.setenv("POLICYKB_NOW", "2026-07-10")
    phrase = expected["documents"]["demomart/account-health"]["changes"]["2026-04-01"]["added"][0]
    page = await ds.client.get("/-/policykb/cite", params={"q": phrase})
    assert 'data-stale="true"' in page.text


# --- helpers -----------------------------------------------------------------------------------

def rows_text(conn, document, seq):
    return conn.execute("select text_markdown from versions where document_id = ? and seq = ?",
                        [document, seq]).fetchone()[0]


def zh(iso_date):
    y, m, d = iso_date.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


# --- wording as text (issue 16) ------------------------------------------------------------------

MARKUP_RE = re.compile(r"\*\*|__|^#+\s|\]\(|\s##+\s", re.M)


def _no_markup(*texts):
    for text in texts:
        assert text and not MARKUP_RE.search(text), text


def test_wording_is_text_without_markdown_chinese(kb, expected):
    # **第三条**【申诉时限】: the page shows 第三条【申诉时限】, and so must the answer and its citation
    [a] = [x for x in cite(kb, "第三条【申诉时限】商家应当在收到处罚通知之日起7个自然日内提交申诉", now=FRESH)
           if x["document"] == "kuajing/appeals"]
    assert a["status"] == "current"
    assert a["quoted_wording"].startswith("第三条【申诉时限】商家应当")
    _no_markup(a["quoted_wording"], a["citation"]["zh"], a["citation"]["en"], a["message"]["zh"])
    spec = expected["documents"]["kuajing/ip-infringement"]["changes"]["2026-07-01"]
    [a] = [x for x in cite(kb, spec["removed"][0], now=FRESH) if x["document"] == "kuajing/ip-infringement"]
    assert a["status"] == "changed"
    _no_markup(a["quoted_wording"], a["current_wording"], a["last_version_with_quote"]["quoted_wording"],
               a["message"]["zh"], a["redline_text"])
    assert "".join(o["text"] for o in a["redline"] if o["op"] != "+") == a["quoted_wording"]
    assert "".join(o["text"] for o in a["redline"] if o["op"] != "-") == a["current_wording"]


def test_wording_is_text_without_markdown_english(demo_kb):
    answers, _ = cite_cli(demo_kb, "Return and refund: the buyer sends the item back and receives a refund once "
                                   "the seller confirms receipt", "--now", FRESH)
    a = answer_for(answers, "shoptide/returns-refunds")
    assert a["quoted_wording"].startswith("Return and refund: the buyer sends")
    _no_markup(a["quoted_wording"], a["quoted_wording_markdown"])
    # a link: its text in the JSON's wording, a Markdown link only in quoted_wording_markdown
    answers, _ = cite_cli(demo_kb, "If you believe another seller is violating this Code of Conduct, use the "
                                   "Report Abuse form", "--now", FRESH)
    a = answer_for(answers, "demomart/seller-code-of-conduct")
    assert "use the Report Abuse form." in a["quoted_wording"] and "/help/report-abuse" not in a["quoted_wording"]
    assert "[Report Abuse form](/help/report-abuse)" in a["quoted_wording_markdown"]


@pytest.mark.asyncio
async def test_web_wording_has_no_markup_and_keeps_links(ds):
    page = await ds.client.get("/-/policykb/cite", params={"q": "第三条【申诉时限】商家应当在收到处罚通知之日起7个自然日内提交申诉"})
    assert "第三条【申诉时限】商家应当" in page.text and "**" not in page.text
    page = await ds.client.get("/-/policykb/cite", params={
        "q": "If you believe another seller is violating this Code of Conduct, use the Report Abuse form"})
    assert re.search(r'<a href="/help/report-abuse" rel="noopener noreferrer nofollow">Report Abuse form</a>',
                     page.text), page.text
    assert "](/help/report-abuse)" not in page.text


# --- numbers (issue 16): a number that differs is always shown, never "current" -------------------

@pytest.mark.parametrize("document, seq, right, wrong, shown", [
    ("kuajing/appeals", 2, "之日起7个自然日内提交申诉", "之日起5个自然日内提交申诉", "[-5-]{+7+}"),
    ("demomart/account-health", 2, "rate under 3% in both", "rate under 4% in both", "[-4-]{+3+}"),
])
def test_a_wrong_number_in_the_current_wording_gets_a_redline(demo_kb, kb, document, seq, right, wrong, shown):
    sentence = next(s for s in re.split(r"(?<=[。；.])\s*", rows_text(kb, document, seq)) if right in s)
    quote = re.sub(r"^\**第.条\**【[^】]*】", "", sentence).replace(right, wrong).strip()
    answers, result = cite_cli(demo_kb, quote, "--now", FRESH)
    assert result.returncode == 1
    [a] = answers
    assert a["status"] == "not_found" and a["closest"]["document"] == document
    assert shown in a["closest"]["differences"] and shown in a["message"]["en"] and shown in a["message"]["zh"]
    assert {"op": "-", "text": shown[2]} in a["closest"]["redline"]


@pytest.mark.parametrize("document, seq, right, wrong, shown", [
    # the quote's number is the start or the end of the text's: 15 quoted as 1, 30 as 3
    ("kuajing/appeals", 2, "申诉时限为15个自然日", "申诉时限为1个自然日", "[-1-]{+15+}"),
    ("kuajing/appeals", 2, "申诉时限为15个自然日", "申诉时限为十五个自然日", "十五"),
    ("demomart/account-health", 2, "10-day and 30-day windows", "10-day and 3-day windows", "[-3-]{+30+}"),
])
def test_a_number_cut_short_is_not_current(kb, document, seq, right, wrong, shown):
    text = rows_text(kb, document, seq)
    start = text.index(right)
    quote = text[max(0, start - 30):start].split("\n")[-1] + wrong
    [a] = cite(kb, quote, now=FRESH)
    assert a["status"] != "current", a
    differences = a["closest"]["differences"] if a["status"] == "not_found" else a["match"]["differences"]
    assert shown in differences


@pytest.mark.asyncio
async def test_web_shows_the_wrong_number(ds):
    page = await ds.client.get("/-/policykb/cite", params={"q": "商家应当在收到处罚通知之日起5个自然日内提交申诉"})
    assert '<del class="pkb-del">5</del><ins class="pkb-ins">7</ins>' in page.text


# --- removed vs changed, from evidence (issue 16) --------------------------------------------------

RM_EN = """<html><head><title>Shipping Policy</title></head><body><div id="policy">
<h1>Shipping Policy</h1>
<h2>1. Dispatch</h2>
<p>Sellers must dispatch every order within two business days of payment.</p>
<p>Orders containing hazardous goods must be shipped with a certified carrier and labelled accordingly.</p>
<h2>2. Tracking</h2>
<p>Every shipment needs a valid tracking number uploaded within one day of dispatch.</p>
<p>Tracking numbers reused across orders are treated as invalid tracking.</p>
</div></body></html>"""
RM_ZH = """<html><head><title>物流规则</title></head><body><div id="policy">
<h1>物流规则</h1>
<p><strong>第一条</strong>【发货时限】商家应当在买家付款后两个工作日内完成发货。</p>
<p>含有危险品的订单须交由具备资质的承运商运输，并按规定粘贴标识。</p>
<p><strong>第二条</strong>【物流单号】每个包裹须在发货后一日内上传有效的物流单号。</p>
<p>同一物流单号重复用于多个订单的，视为虚假物流单号。</p>
</div></body></html>"""
RM_EDITS = {
    # the hazardous-goods sentence is deleted; next to it, unrelated wording is rewritten (and in English the
    # heading of section 2 is dropped, in Chinese 第二条 is reworded)
    "shipping": (RM_EN, [("<p>Orders containing hazardous goods must be shipped with a certified carrier and "
                          "labelled accordingly.</p>\n", ""), ("<h2>2. Tracking</h2>\n", ""),
                         ("Every shipment needs a valid tracking number uploaded within one day of dispatch.",
                          "Sellers must upload a valid tracking number for every parcel on the day it is handed "
                          "to the carrier.")]),
    "wuliu": (RM_ZH, [("<p>含有危险品的订单须交由具备资质的承运商运输，并按规定粘贴标识。</p>\n", ""),
                      ("【物流单号】每个包裹须在发货后一日内上传有效的物流单号",
                       "【物流信息】商家须为每个订单上传真实有效的物流信息，并保证物流轨迹可查询")]),
}


def _declaration(host: str, name: str, documents: list[tuple], name_zh: str | None = None) -> str:
    """A declaration's YAML for test pages under ``https://host/policies/``: ``documents`` are ``(id, title,
    locale, type)`` or ``(id, title, locale, type, title_en)``, each selected by ``#policy``."""
    docs = []
    for doc_id, title, locale, kind, *title_en in documents:
        docs.append({"id": doc_id, "title": title, **({"title_en": title_en[0]} if title_en else {}),
                     "url": f"https://{host}/policies/{doc_id}", "locale": locale, "type": kind, "select": ["#policy"]})
    return yaml.safe_dump({"platform": host.split(".")[1], "name": name, **({"name_zh": name_zh} if name_zh else {}),
                           "homepage": f"https://{host}/", "documents": docs}, allow_unicode=True, sort_keys=False)


def _edited_kb(root, host: str, edits: dict, declaration: str, dates=("2026-01-10", "2026-02-10")):
    """A KB of crawls at ``dates`` (by default two: 2026-01-10, 2026-02-10) of the pages ``edits`` names
    (``name → (first version's HTML, [(old, new)] replacements that make the second)``; with more than two
    dates, ``name → (HTML, [[(old, new)] for each later date])``, each step applied to the version before it)
    under ``https://host/policies/``, declared by ``declaration`` (a declaration's YAML text)."""
    import kbfactory

    site, sources = root / "site", root / "sources"
    for name, (v1, changes) in edits.items():
        page = site / host / "policies" / name
        page.mkdir(parents=True)
        (page / f"{dates[0]}.html").write_text(v1, encoding="utf-8")
        steps = changes if len(dates) > 2 else [changes]
        text = v1
        for when, step in zip(dates[1:], steps):
            for old, new in step:
                assert old in text, old
                text = text.replace(old, new)
            (page / f"{when}.html").write_text(text, encoding="utf-8")
    sources.mkdir()
    (sources / f"{host.split('.')[1]}.yml").write_text(declaration, encoding="utf-8")
    return kbfactory.build_kb(root / "data", list(dates), sources, site)


@pytest.fixture(scope="module")
def removed_kb(tmp_path_factory):
    """Two versions of an English and a Chinese page: a sentence deleted, its neighbours rewritten."""
    return _edited_kb(tmp_path_factory.mktemp("cite-removed"), "seller.rmtest.example", RM_EDITS,
        _declaration("seller.rmtest.example", "RmTest", [
            ("shipping", "Shipping Policy", "en-US", "shipping"), ("wuliu", "物流规则", "zh-CN", "shipping", "Shipping Rules")],
            name_zh="删除测试"))


@pytest.mark.parametrize("quote, document", [
    ("Orders containing hazardous goods must be shipped with a certified carrier and labelled accordingly.",
     "rmtest/shipping"),
    ("含有危险品的订单须交由具备资质的承运商运输，并按规定粘贴标识。", "rmtest/wuliu"),
])
def test_a_removed_sentence_is_not_changed_into_its_neighbour(removed_kb, quote, document):
    answers, result = cite_cli(removed_kb, quote, "--now", "2026-02-11")
    [a] = answers
    assert a["document"] == document
    assert a["status"] == "removed" and a["removed_with"] == "passage", a["status"]
    assert a["changed_at"][:10] == "2026-02-10" and a["version_date"] == "2026-01-10" and a["section"] in ("1", "第一条")
    assert "current_wording" not in a and "redline" not in a
    assert {"basis", "confidence"} <= set(a) and set(a["basis"]) < {"section", "alignment", "similarity"}
    place = a["now_in_place"]
    if place:  # what stands there now is labelled so, never as the replacement
        assert place["label"] == "now in this place" and place["wording"] in a["message"]["en"]
        assert "replaced by" not in a["message"]["en"].lower() and "not a replacement" in a["message"]["en"]
    text = run_cite("--data", removed_kb, "--now", "2026-02-11", quote).stdout
    assert "REMOVED" in text and "Current wording" not in text


def test_a_removed_answer_never_offers_another_sections_passage_as_replacement(removed_kb, demo_kb, listing_kb,
                                                                               moved_kb):
    """Over every sentence of every older version: a ``changed`` answer's wording stands in the quote's
    section (or the one it moved to), and is at least as similar as the threshold; only a sentence that moved
    (new wording elsewhere, each the other's closest) may stand in another section, and then at least
    ``MOVED_SIMILARITY`` alike."""
    from kb.cite.answer import MOVED_SIMILARITY, REPLACEMENT_SIMILARITY, UNALIGNED_SIMILARITY

    for data in (removed_kb, demo_kb, listing_kb, moved_kb):
        conn = sqlite3.connect(data / "policykb.db")
        olds = conn.execute("select v.document_id, v.text_markdown from versions v where v.seq < (select max(seq) "
                            "from versions w where w.document_id = v.document_id)").fetchall()
        for doc, text in olds:
            for line in text.splitlines():
                for sentence in re.split(r"(?<=[。.；])\s*", line):
                    if len(key_form(sentence)) < 20:
                        continue
                    for a in cite(conn, sentence, now=FRESH):
                        if a["status"] != "changed":
                            continue
                        old = a["last_version_with_quote"]
                        if "moved" in a["basis"]:
                            assert "counterpart" in a["basis"] and a["similarity"] >= MOVED_SIMILARITY, sentence
                            continue
                        assert "section" in a["basis"], (sentence, a["basis"])
                        if "contained" not in a["basis"]:
                            assert a["similarity"] >= (REPLACEMENT_SIMILARITY if {"alignment", "counterpart"} &
                                                       set(a["basis"]) else UNALIGNED_SIMILARITY)
                        assert (a["section_key"] == old["section_key"] or a["section_heading"] == old["section_heading"]
                                or {"counterpart", "moved_section"} & set(a["basis"])), sentence
        conn.close()


MV_EN = """<html><head><title>Delivery Policy</title></head><body><div id="policy">
<h1>Delivery Policy</h1>
<h2>1. Dispatch</h2>
<p>Sellers must dispatch every order within two business days of payment.</p>
<p>Orders to remote islands may take longer, and sellers must state the expected delivery time in the listing.</p>
<h2>2. Tracking</h2>
<p>Every shipment needs a valid tracking number uploaded within one day of dispatch.</p>
<p>Tracking numbers reused across orders are treated as invalid tracking.</p>
<p>Parcels for the café pop-up stores in Zürich are handed to the courier's déjà-vu desk on Mondays.</p>
<h2>3. Returns</h2>
<p>Buyers may return an item within thirty days of delivery for any reason.</p>
<p>Return shipping labels are paid by the seller when the item arrived damaged or not as described.</p>
<p>Refunds are issued within five business days of the returned item reaching the seller.</p>
</div></body></html>"""
MV_ZH = """<html><head><title>配送规则</title></head><body><div id="policy">
<h1>配送规则</h1>
<p><strong>第一条</strong>【发货时限】商家应当在买家付款后两个工作日内完成发货。</p>
<p>偏远地区的订单可适当延长发货时间，但商家须在商品页面注明预计送达时间。</p>
<p><strong>第二条</strong>【物流单号】每个包裹须在发货后一日内上传有效的物流单号。</p>
<p>同一物流单号重复用于多个订单的，视为虚假物流单号。</p>
<p><strong>第三条</strong>【退货】买家可在签收后三十日内无理由退货。</p>
<p>商品到货破损或与描述不符的，由卖家承担退货运费。</p>
<p>卖家应当在收到退货后五个工作日内完成退款。</p>
</div></body></html>"""
MV_JA = """<html><head><title>配送ポリシー</title></head><body><div id="policy">
<h1>配送ポリシー</h1>
<h2>1. 発送</h2>
<p>出品者は、購入者の支払いから二営業日以内にすべての注文を発送しなければなりません。</p>
<p>日本の購入者への配送は、ガイドラインに従い、追跡番号をご登録ください。</p>
<p>追跡番号が確認できない場合、注文はキャンセルされることがあります。</p>
</div></body></html>"""
MV_EDITS = {
    # The remote-islands sentence moves from section 1 to section 2 with a word changed; in section 3 the
    # damaged-item sentence is merged into a longer clause of the first one (a word changed in it too).
    "delivery": (MV_EN, [
        ("<p>Orders to remote islands may take longer, and sellers must state the expected delivery time in the "
         "listing.</p>\n", ""),
        ("<p>Tracking numbers reused across orders are treated as invalid tracking.</p>",
         "<p>Tracking numbers reused across orders are treated as invalid tracking.</p>\n<p>Orders to remote "
         "islands may take longer, and sellers must state the expected delivery time in each listing.</p>"),
        ("<p>Buyers may return an item within thirty days of delivery for any reason.</p>\n<p>Return shipping "
         "labels are paid by the seller when the item arrived damaged or not as described.</p>",
         "<p>Buyers may return an item within thirty days of delivery for any reason, provided it is unused, "
         "undamaged by the buyer and in its original packaging with every accessory, manual and gift that came with "
         "it, and return shipping labels are paid by the seller whenever the item arrived damaged or not as "
         "described.</p>")]),
    "peisong": (MV_ZH, [
        ("<p>偏远地区的订单可适当延长发货时间，但商家须在商品页面注明预计送达时间。</p>\n", ""),
        ("<p>同一物流单号重复用于多个订单的，视为虚假物流单号。</p>",
         "<p>同一物流单号重复用于多个订单的，视为虚假物流单号。</p>\n"
         "<p>偏远地区的订单可适当延长发货时间，但商家须在商品详情页注明预计送达时间。</p>"),
        ("【退货】买家可在签收后三十日内无理由退货。</p>\n<p>商品到货破损或与描述不符的，由卖家承担退货运费。</p>",
         "【退货】买家可在签收后三十日内无理由退货，退回的商品应当保持完好并附带原包装及全部配件，"
         "商品到货破损或与描述不符的，一律由卖家承担退货运费。</p>")]),
    "hassou": (MV_JA, []),
}


@pytest.fixture(scope="module")
def moved_kb(tmp_path_factory):
    """Two versions of an English and a Chinese page: a sentence moved to another section and reworded, and
    one merged into a longer clause of its section."""
    return _edited_kb(tmp_path_factory.mktemp("cite-moved"), "seller.mvtest.example", MV_EDITS,
        _declaration("seller.mvtest.example", "MvTest", [
            ("delivery", "Delivery Policy", "en-US", "shipping"), ("peisong", "配送规则", "zh-CN", "shipping", "Delivery Rules"),
            ("hassou", "配送ポリシー", "ja-JP", "shipping", "Delivery Policy (Japan)")], name_zh="移动测试"))


@pytest.mark.parametrize("quote, document, now", [
    ("Orders to remote islands may take longer, and sellers must state the expected delivery time in the listing.",
     "mvtest/delivery", "expected delivery time in each listing"),
    ("偏远地区的订单可适当延长发货时间，但商家须在商品页面注明预计送达时间。", "mvtest/peisong", "商品详情页注明预计送达时间"),
])
def test_a_sentence_moved_to_another_section_and_reworded_is_changed(moved_kb, quote, document, now):
    """Its place in section 1 is empty; the same sentence, a word changed, is new in section 2, and each is the
    other's closest: that is its replacement (basis ``moved``), in the section it moved to."""
    from kb.cite.answer import MOVED_SIMILARITY

    answers, _ = cite_cli(moved_kb, quote, "--now", "2026-02-11")
    a = answer_for(answers, document)
    assert a["status"] == "changed", (a["status"], a.get("basis"))
    assert now in a["current_wording"] and a["changed_at"][:10] == "2026-02-10"
    assert {"counterpart", "moved"} <= set(a["basis"]) and a["similarity"] >= MOVED_SIMILARITY
    assert a["section"] in ("2", "第二条") and a["last_version_with_quote"]["section"] in ("1", "第一条")


@pytest.mark.parametrize("quote, document, now", [
    ("Return shipping labels are paid by the seller when the item arrived damaged or not as described.",
     "mvtest/delivery", "paid by the seller whenever the item arrived damaged"),
    ("商品到货破损或与描述不符的，由卖家承担退货运费。", "mvtest/peisong", "一律由卖家承担退货运费"),
])
def test_a_sentence_merged_into_a_longer_clause_is_changed(moved_kb, quote, document, now):
    """The quote's words stand almost whole inside a longer new clause of its own section: changed into it
    (basis ``contained``), although the whole clause is far less alike than the threshold."""
    answers, _ = cite_cli(moved_kb, quote, "--now", "2026-02-11")
    a = answer_for(answers, document)
    assert a["status"] == "changed", (a["status"], a.get("basis"))
    assert now in a["current_wording"] and {"section", "contained"} <= set(a["basis"])
    assert a["section"] in ("3", "第三条")


@pytest.mark.parametrize("quote", [
    "Every shipment needs a valid tracking number uploaded within one day of dispatch.",
    "每个包裹须在发货后一日内上传有效的物流单号。",
])
def test_a_sentence_that_stayed_is_current_next_to_a_moved_one(moved_kb, quote):
    [a] = [x for x in cite(sqlite3.connect(moved_kb / "policykb.db"), quote, now="2026-02-11")]
    assert a["status"] == "current"


@pytest.mark.parametrize("quote, document", [
    ("Parcels for the café pop-up stores in Zürich are handed to the courier's déjà-vu desk on Mondays.",
     "mvtest/delivery"),
    ("日本の購入者への配送は、ガイドラインに従い、追跡番号をご登録ください。", "mvtest/hassou"),
])
def test_a_quote_pasted_in_decomposed_form_is_current(moved_kb, quote, document):
    """Text copied as NFD (``u`` + a combining diaeresis, ``か`` + a combining voiced mark) is the same wording:
    the combining marks were dropped from the key, so ``Zürich`` keyed as ``zurich`` and was NOT FOUND."""
    decomposed = unicodedata.normalize("NFD", quote)
    assert decomposed != quote
    answers, _ = cite_cli(moved_kb, decomposed, "--now", "2026-02-11")
    a = answer_for(answers, document)
    assert a["status"] == "current" and a["match"]["kind"] == "exact"
    assert unicodedata.normalize("NFC", a["quoted_wording"]) == quote


@pytest.mark.asyncio
async def test_web_says_now_in_this_place_not_replaced_by(removed_kb, monkeypatch):
    monkeypatch.setenv("POLICYKB_NOW", "2026-02-11")
    ds = Datasette([str(removed_kb / "policykb.db")], metadata=METADATA)
    page = await ds.client.get("/-/policykb/cite", params={"q": "含有危险品的订单须交由具备资质的承运商运输，并按规定粘贴标识。"})
    assert 'data-status="removed"' in page.text and 'data-status="changed"' not in page.text
    assert 'data-now-in-place="true"' in page.text and "Now in this place 此处现为" in page.text
    assert "Current wording" not in page.text and "replaced by" not in page.text.lower()
    assert "Decided by 判定依据" in page.text


# --- a quote reworded, and its new wording removed later (follow the chain) ----------------------------

CH_HAZARD = "Orders containing hazardous goods must be shipped with a certified carrier and labelled accordingly."
CH_HAZARD_W = "Orders containing hazardous goods must be shipped with an approved carrier and labelled as the law requires."
CH_HAZARD_ZH = "含有危险品的订单须交由具备资质的承运商运输，并按规定粘贴标识。"
CH_HAZARD_ZH_W = "含有危险品的订单须交由经平台认可的承运商运输，并按法律规定粘贴危险品标识。"
CH_EDITS = {
    # 2026-02-10: the hazardous-goods sentence is reworded (W); 2026-03-10: W is deleted
    "shipping": (RM_EN, [[(CH_HAZARD, CH_HAZARD_W)], [(f"<p>{CH_HAZARD_W}</p>\n", "")]]),
    "wuliu": (RM_ZH, [[(CH_HAZARD_ZH, CH_HAZARD_ZH_W)], [(f"<p>{CH_HAZARD_ZH_W}</p>\n", "")]]),
}
CH_DATES = ("2026-01-10", "2026-02-10", "2026-03-10")


@pytest.fixture(scope="module")
def chain_kb(tmp_path_factory):
    """Three versions of an English and a Chinese page: a sentence reworded on 2026-02-10, and that new wording
    removed on 2026-03-10."""
    return _edited_kb(tmp_path_factory.mktemp("cite-chain"), "seller.chtest.example", CH_EDITS,
        _declaration("seller.chtest.example", "ChTest", [
            ("shipping", "Shipping Policy", "en-US", "shipping"), ("wuliu", "物流规则", "zh-CN", "shipping", "Shipping Rules")],
            name_zh="链测试"), dates=CH_DATES)


@pytest.mark.parametrize("quote, reworded, document", [
    (CH_HAZARD, CH_HAZARD_W, "chtest/shipping"), (CH_HAZARD_ZH, CH_HAZARD_ZH_W, "chtest/wuliu")])
def test_a_reworded_sentence_whose_new_wording_was_removed_says_both_steps(chain_kb, quote, reworded, document):
    """Not "removed on 2026-02-10" (it was reworded then) and not "changed" into some current passage: changed
    on 2026-02-10 into W (version 2's permalink), and W removed on 2026-03-10 (last in version 2, gone from 3)."""
    answers, _ = cite_cli(chain_kb, quote, "--now", "2026-03-11")
    a = answer_for(answers, document)
    assert a["status"] == "removed" and a["removed_with"] == "successor", (a["status"], a.get("removed_with"))
    assert a["changed_at"][:10] == "2026-02-10" and a["removed_at"][:10] == "2026-03-10"
    assert a["version_date"] == "2026-01-10" and "current_wording" not in a and not a.get("now_in_place")
    changed, removed = a["history"]
    assert changed["step"] == "changed" and changed["wording"] == reworded and changed["at"][:10] == "2026-02-10"
    assert changed["permalink"].endswith(f"/doc/{document}/v/2")
    assert removed["step"] == "removed" and removed["at"][:10] == "2026-03-10"
    assert removed["last_version_with"]["permalink"].endswith("/v/2")
    assert removed["first_version_without"]["permalink"].endswith("/v/3")
    assert "history" in a["basis"]
    assert reworded in a["message"]["en"] and "2026-02-10" in a["message"]["en"] and "2026-03-10" in a["message"]["en"]
    assert reworded in a["message"]["zh"] and "2026年2月10日" in a["message"]["zh"] and "2026年3月10日" in a["message"]["zh"]
    assert "2026-03-10" in a["citation"]["en"] and "2026年3月10日" in a["citation"]["zh"]
    text = run_cite("--data", chain_kb, "--now", "2026-03-11", quote).stdout
    assert "REMOVED" in text and "Current wording" not in text
    assert "Changed into 变更为 (2026-02-10" in text and "Then removed 随后删除 (2026-03-10" in text, text
    assert reworded in text and f"/doc/{document}/v/2" in text and f"/doc/{document}/v/3" in text


def test_a_chain_never_follows_its_wording_into_another_section(tmp_path):
    """W's words also stand in another section (there from the start): when W goes from the quote's section,
    the answer is still "changed into W, then W removed", never "changed" into the other section's passage."""
    other = "Parcels containing hazardous goods must be shipped with an approved carrier and labelled as the law requires."
    first = RM_EN.replace("<p>Tracking numbers reused", f"<p>{other}</p>\n<p>Tracking numbers reused")
    assert first != RM_EN
    kb = _edited_kb(tmp_path, "seller.chtest.example",
                    {"shipping": (first, [[(CH_HAZARD, other)], [(f"<p>{other}</p>\n<h2>", "<h2>")]])},
                    _declaration("seller.chtest.example", "ChTest", [("shipping", "Shipping Policy", "en-US", "shipping")]),
                    dates=CH_DATES)
    answers, _ = cite_cli(kb, CH_HAZARD, "--now", "2026-03-11")
    a = answer_for(answers, "chtest/shipping")
    assert a["status"] == "removed" and a["removed_with"] == "successor", (a["status"], a.get("current_wording"))
    assert [step["step"] for step in a["history"]] == ["changed", "removed"]
    assert a["removed_at"][:10] == "2026-03-10" and not a.get("current_wording")


def test_the_reworded_wording_itself_is_answered_removed_on_its_own_date(chain_kb):
    """W, quoted itself, was removed on 2026-03-10 (one step: no history to follow)."""
    answers, _ = cite_cli(chain_kb, CH_HAZARD_W, "--now", "2026-03-11")
    a = answer_for(answers, "chtest/shipping")
    assert a["status"] == "removed" and a["removed_with"] == "passage" and a["changed_at"][:10] == "2026-03-10"
    assert "history" not in a and a["first_version_without"]["permalink"].endswith("/v/3")


@pytest.mark.asyncio
async def test_web_shows_both_steps_of_a_reworded_then_removed_quote(chain_kb, monkeypatch):
    monkeypatch.setenv("POLICYKB_NOW", "2026-03-11")
    ds = Datasette([str(chain_kb / "policykb.db")], metadata=METADATA)
    page = await ds.client.get("/-/policykb/cite", params={"q": CH_HAZARD_ZH})
    assert page.status_code == 200
    assert 'data-status="removed"' in page.text and 'data-removed-with="successor"' in page.text
    assert 'data-step="changed"' in page.text and 'data-step="removed"' in page.text
    assert CH_HAZARD_ZH_W in page.text and "/doc/chtest/wuliu/v/2" in page.text and "/doc/chtest/wuliu/v/3" in page.text
    assert "Current wording" not in page.text and "Now in this place" not in page.text


def test_watch_list_says_reworded_then_removed(chain_kb, tmp_path, monkeypatch):
    """A saved citation of the quote: its state after a check is ``removed``, with both steps (the wording it
    changed into, and when that was removed) in ``citations check``'s JSON and in ``citations list``."""
    monkeypatch.setenv("POLICYKB_NOW", "2026-03-11")
    data = copy_data(chain_kb, tmp_path / "kb")
    add = CliRunner().invoke(cli, ["citations", "add", "--data", str(data), CH_HAZARD])
    assert add.exit_code == 0, add.output
    out = CliRunner().invoke(cli, ["citations", "check", "--data", str(data), "--json"])
    assert out.exit_code == 0, out.output
    [row] = [json.loads(line) for line in out.output.splitlines() if line.strip()]
    assert row["state"] == "removed" and row["changed_at"][:10] == "2026-02-10"
    assert row["removed_at"][:10] == "2026-03-10" and row["now_wording"] is None
    assert [s["step"] for s in row["history"]] == ["changed", "removed"] and row["history"][0]["wording"] == CH_HAZARD_W
    text = CliRunner().invoke(cli, ["citations", "list", "--data", str(data)]).output
    assert "changed 变更于: 2026-02-10" in text and "removed 删除于: 2026-03-10" in text and CH_HAZARD_W in text
    alerts = sqlite3.connect(data / "policykb.db").execute(
        "select message from alerts where kind = 'citation_removed'").fetchall()
    assert alerts and "2026-03-10" in alerts[0][0] and CH_HAZARD_W in alerts[0][0], alerts


# --- a section renumbered when one is inserted before it: the diff-aligned rewording in it is a change -------

RN_EN = """<html><head><title>Account Terms</title></head><body><div id="policy">
<h1>Account Terms</h1>
<h2>3.1.</h2>
<p>Sellers may open one account per legal entity and must keep their contact details up to date.</p>
<h2>4.1.</h2>
<p>Accounts may be closed at any time by the seller from the settings page.</p>
<p>The operator may close without notice an account that has not been used for more than five years even if it holds money.</p>
<p>A closed account cannot be reopened, and its listings are deleted after thirty days.</p>
<h2>6.1.</h2>
<p>The operator may close without notice an account unused for more than five years if its balance is above 1.45 EUR and no payout is pending.</p>
</div></body></html>"""
RN_QUOTE = ("The operator may close without notice an account that has not been used for more than five years even "
            "if it holds money.")
RN_NOW = "The operator may close without notice an account unused for more than five years if its balance is above 1.45 EUR."
RN_EDITS = {"account": (RN_EN, [
    # a section inserted before 4.1 renumbers it 5.1 (headings are bare numbers); the clause in it is reworded
    ("<h2>4.1.</h2>", "<h2>4.1.</h2>\n<p>Sellers must verify their identity before their first payout is made.</p>\n<h2>5.1.</h2>"),
    (RN_QUOTE, RN_NOW)])}


@pytest.fixture(scope="module")
def renumbered_kb(tmp_path_factory):
    return _edited_kb(tmp_path_factory.mktemp("cite-renumbered"), "seller.rntest.example", RN_EDITS,
        _declaration("seller.rntest.example", "RnTest", [("account", "Account Terms", "en-US", "other")]))


def test_a_rewording_in_a_renumbered_section_is_changed(renumbered_kb):
    """Section 4.1 became 5.1 (bare-number headings, so neither its words nor its number say so); the diff
    aligns the reworded clause with the quote, and 5.1 is the section closest to the old 4.1 both ways: the
    clause changed (basis ``moved_section``), not "removed" with it "now in this place". An unchanged clause of
    another section (6.1) is closer to the new wording than the quote is, so the counterpart rule alone does not
    find it."""
    answers, _ = cite_cli(renumbered_kb, RN_QUOTE, "--now", "2026-02-11")
    a = answer_for(answers, "rntest/account")
    assert a["status"] == "changed", (a["status"], a.get("basis"), a.get("similarity"))
    assert a["current_wording"] == RN_NOW and {"section", "alignment", "moved_section"} <= set(a["basis"])
    assert a["section"] == "5.1." or a["section_key"].startswith("5"), a["section"]
    assert a["last_version_with_quote"]["section_key"].startswith("4")


# --- where a sentence ends: "Inc.", "sog." and an ordinal ("point 8. of") do not end one -------------------

SE_EN = """<html><head><title>Seller Terms</title></head><body><div id="policy">
<h1>Seller Terms</h1>
<h2>1. Operator</h2>
<p>The marketplace is operated by Example Shops, Inc. under the laws of Delaware and serves sellers in every state.</p>
<h2>8. Removals</h2>
<p>8.11. Sellers with an individual contract are told by email of the decisions under points 8.5., 8.6. and 8.10. of these terms and may dispute them in a complaint procedure. The operator excludes its liability for removals under this point as set out in point 7.9. of these terms.</p>
<p>8.12. Sellers may appeal a removal within fourteen days.</p>
</div></body></html>"""
SE_ZH = """<html><head><title>平台规则</title></head><body><div id="policy">
<h1>平台规则</h1>
<p><strong>第一条</strong> 本平台由Example Shops, Inc. 运营，所有入驻卖家均须遵守本规则及其附件。</p>
<p><strong>第二条</strong> 卖家应当在买家付款后两个工作日内完成发货。</p>
</div></body></html>"""
SE_DE = """<html><head><title>Händlerbedingungen</title></head><body><div id="policy">
<h1>Händlerbedingungen</h1>
<p>Die sog. Händlerbedingungen gelten für alle gewerblichen Verkäufer auf dem Marktplatz.</p>
</div></body></html>"""
SE_QUOTE = ("The operator excludes its liability for removals under this point as set out in point 7.9. of these "
            "terms.")
SE_NOW = ("The operator excludes its liability for removals under point 8. of these terms, and the seller has no "
          "claim to any refund.")
SE_EDITS = {
    # the first sentence of 8.11 goes; the second is reworded (the word diff aligns the first one's "points 8.5.
    # … of these terms" with "point 8. of these terms", so the quote's place starts inside the new sentence)
    "terms": (SE_EN, [("8.11. Sellers with an individual contract are told by email of the decisions under points "
                       "8.5., 8.6. and 8.10. of these terms and may dispute them in a complaint procedure. " + SE_QUOTE,
                       "8.11. " + SE_NOW)]),
    "guize": (SE_ZH, []),
    "bedingungen": (SE_DE, []),
}


@pytest.fixture(scope="module")
def sentence_kb(tmp_path_factory):
    """An English, a Chinese and a German page whose sentences hold "Inc.", "sog." or an ordinal ("point 8.")."""
    return _edited_kb(tmp_path_factory.mktemp("cite-sentences"), "seller.setest.example", SE_EDITS,
        _declaration("seller.setest.example", "SeTest", [
            ("terms", "Seller Terms", "en-US", "other"), ("guize", "平台规则", "zh-CN", "other", "Platform Rules"),
            ("bedingungen", "Händlerbedingungen", "de-DE", "other")], name_zh="句子测试"))


@pytest.mark.parametrize("quote, document, whole", [
    ("under the laws of Delaware and serves sellers in every state", "setest/terms",
     "The marketplace is operated by Example Shops, Inc. under the laws of Delaware and serves sellers in every state."),
    ("运营，所有入驻卖家均须遵守本规则及其附件", "setest/guize", "第一条 本平台由Example Shops, Inc. 运营，所有入驻卖家均须遵守本规则及其附件。"),
    ("Händlerbedingungen gelten für alle gewerblichen Verkäufer auf dem Marktplatz", "setest/bedingungen",
     "Die sog. Händlerbedingungen gelten für alle gewerblichen Verkäufer auf dem Marktplatz."),
])
def test_the_quoted_sentence_is_not_cut_at_an_abbreviation(sentence_kb, quote, document, whole):
    """The wording to cite is the whole sentence: "Inc." and "sog." are Moses non-breaking prefixes of the
    document's language (English's for Chinese, which has no list), not sentence ends."""
    answers, _ = cite_cli(sentence_kb, quote, "--now", "2026-02-11")
    a = answer_for(answers, document)
    assert a["status"] == "current" and a["quoted_wording"] == whole, a["quoted_wording"]


def test_a_rewording_is_not_cut_at_an_ordinal(sentence_kb):
    """"point 8. of these terms": a number's period before a lower-case word is an ordinal, not a sentence
    end. Cut there, what stands in the quote's place would be "of these terms, and the seller has no claim…",
    too unlike the quote to be its replacement; whole, it is the rewording (the case of hasznaltauto's "az ÁSZF
    8. pontja" in ``bench/eval_cite.py``)."""
    answers, _ = cite_cli(sentence_kb, SE_QUOTE, "--now", "2026-02-11")
    a = answer_for(answers, "setest/terms")
    assert a["status"] == "changed", (a["status"], a.get("basis"), a.get("similarity"), a.get("now_in_place"))
    assert a["current_wording"] == SE_NOW and a["changed_at"][:10] == "2026-02-10"
    assert a["quoted_wording"] == SE_QUOTE


# --- step by step: what replaced a quote is decided on the date it went, not by a jump to the current text ---

SW_EN = """<html><head><title>Returns Policy</title></head><body><div id="policy">
<h1>Returns Policy</h1>
<h2>1. Returns</h2>
<p>Buyers may return an item within thirty days of delivery for any reason.</p>
<p>Items bought during the holiday season may be returned until the fifteenth of January.</p>
<p>Refunds are issued within five business days of the returned item reaching the seller.</p>
</div></body></html>"""
SW_ZH = """<html><head><title>退货规则</title></head><body><div id="policy">
<h1>退货规则</h1>
<p><strong>第一条</strong>【退货】买家可在签收后三十日内无理由退货。</p>
<p>节日期间购买的商品可在次年一月十五日前申请退货。</p>
<p>卖家应当在收到退货后五个工作日内完成退款。</p>
</div></body></html>"""
SW_EN_QUOTE = "Items bought during the holiday season may be returned until the fifteenth of January."
SW_EN_LATER = "Items bought during the holiday season may be returned until the thirty-first of January."
SW_ZH_QUOTE = "节日期间购买的商品可在次年一月十五日前申请退货。"
SW_ZH_LATER = "节日期间购买的商品可在次年一月三十一日前申请退货。"
SW_EDITS = {
    # 2026-02-10: the holiday sentence is deleted; 2026-03-10: a like one (another date) is added in its place
    "returns": (SW_EN, [[(f"<p>{SW_EN_QUOTE}</p>\n", "")],
                        [("<p>Refunds are issued", f"<p>{SW_EN_LATER}</p>\n<p>Refunds are issued")]]),
    "tuihuo": (SW_ZH, [[(f"<p>{SW_ZH_QUOTE}</p>\n", "")],
                       [("<p>卖家应当在收到退货后", f"<p>{SW_ZH_LATER}</p>\n<p>卖家应当在收到退货后")]]),
}


@pytest.fixture(scope="module")
def stepwise_kb(tmp_path_factory):
    return _edited_kb(tmp_path_factory.mktemp("cite-stepwise"), "seller.swtest.example", SW_EDITS,
        _declaration("seller.swtest.example", "SwTest", [
            ("returns", "Returns Policy", "en-US", "returns"), ("tuihuo", "退货规则", "zh-CN", "returns", "Returns Rules")],
            name_zh="逐步测试"),
        dates=("2026-01-10", "2026-02-10", "2026-03-10"))


@pytest.mark.parametrize("quote, later, document", [
    (SW_EN_QUOTE, SW_EN_LATER, "swtest/returns"),
    (SW_ZH_QUOTE, SW_ZH_LATER, "swtest/tuihuo"),
])
def test_a_passage_removed_is_not_changed_into_one_added_later(stepwise_kb, quote, later, document):
    """Removed on 2026-02-10 (nothing stood in its place then), a like sentence added on 2026-03-10: the answer
    is ``removed`` on 2026-02-10, never "changed on 2026-02-10 into" a wording that did not exist that day; the
    later sentence may only be shown as what is now in its place."""
    answers, _ = cite_cli(stepwise_kb, quote, "--now", "2026-03-11")
    a = answer_for(answers, document)
    assert a["status"] == "removed", (a["status"], a.get("basis"), a.get("current_wording"))
    assert a["changed_at"][:10] == "2026-02-10" and "current_wording" not in a
    place = a.get("now_in_place")
    if place:
        assert place["label"] == "now in this place" and "replaced by" not in a["message"]["en"].lower()


# --- a page that carried its terms twice: the copy that stays replaced nothing ----------------------------

DB_TEXTS = {
    "en": {"s": ["Sellers must ship every order within two business days of payment and upload a tracking number on "
                 "the same day the parcel is handed to the carrier.",
                 "Orders that contain hazardous goods must be shipped with a certified carrier and labelled as the "
                 "carrier requires for every parcel.",
                 "Buyers may return an item within thirty days of delivery for any reason, and the seller pays the "
                 "return label when the item arrived damaged."],
           "old": "Refunds are issued within five business days of the returned item reaching the seller's warehouse.",
           "new": "Refunds are issued within three business days of the returned item reaching the seller's warehouse.",
           "tail": ["Sellers must answer every buyer message within one business day, weekends and public holidays "
                    "excepted, or the order may be cancelled.",
                    "A seller whose late shipment rate is above four percent over thirty days may have the account "
                    "suspended after a warning."],
           "title": "Seller Terms", "heading": "4. Shipping and refunds",
           "until": "The terms that applied until 28 February 2026 follow for reference.",
           "contact": "Write to the seller support team with any question about these terms."},
    "zh": {"s": ["卖家应当在买家付款后两个工作日内完成发货，并在包裹交给承运商的当天上传有效的物流单号，逾期未上传的订单将被计入延迟发货。",
                 "含有危险品的订单须交由具备相应资质的承运商运输，并按照承运商的要求在每个包裹上粘贴危险品标识，否则平台有权取消订单。",
                 "买家可在签收后三十日内无理由退货，商品到货时破损或与描述不符的，退货运费由卖家承担，平台将在核实后处理退款。",
                 "卖家须如实描述商品的材质、尺寸、产地和保修条件，不得使用夸大或误导性的宣传用语，违者将被下架商品并扣除信用分。"],
           "old": "卖家应当在收到退货商品后五个工作日内完成退款，逾期未处理的，平台将直接从卖家账户中扣款退还买家。",
           "new": "卖家应当在收到退货商品后三个工作日内完成退款，逾期未处理的，平台将直接从卖家账户中扣款退还买家。",
           "tail": ["卖家须在一个工作日内回复买家的每一条消息，周末及法定节假日除外，超时未回复的订单可能被平台取消并影响店铺评分。",
                    "卖家在三十日内的延迟发货率超过百分之四的，平台将先发出警告，警告后仍未改善的，平台有权暂停其账户的销售权限。",
                    "卖家不得以任何方式诱导买家给予好评或修改评价，一经查实，平台将删除相关评价并视情节轻重对店铺进行处罚。"],
           "title": "卖家规则", "heading": "第四条 发货与退款",
           "until": "以下为二零二六年二月二十八日前适用的规则，仅供参考。", "contact": "如对本规则有任何疑问，请联系卖家支持团队。"},
}


def _db_page(t: dict) -> tuple[str, str]:
    """The page with both copies of its terms (the new one first), and the block whose removal drops the old."""
    def copy(refund):
        return f"<h2>{t['heading']}</h2>\n" + "".join(f"<p>{x}</p>\n" for x in [*t["s"], refund, *t["tail"]])
    old_block = f"<p>{t['until']}</p>\n" + copy(t["old"])
    page = (f"<html><head><title>{t['title']}</title></head><body><div id=\"policy\">\n<h1>{t['title']}</h1>\n"
            + copy(t["new"]) + old_block + f"<h2>Contact</h2>\n<p>{t['contact']}</p>\n</div></body></html>")
    return page, old_block


DB_EDITS = {name: (lambda page, block: (page, [(block, "")]))(*_db_page(DB_TEXTS[lang]))
            for name, lang in (("terms", "en"), ("guize", "zh"))}


@pytest.fixture(scope="module")
def doubled_kb(tmp_path_factory):
    return _edited_kb(tmp_path_factory.mktemp("cite-doubled"), "seller.dbtest.example", DB_EDITS,
        _declaration("seller.dbtest.example", "DbTest", [
            ("terms", "Seller Terms", "en-US", "other"), ("guize", "卖家规则", "zh-CN", "other", "Seller Rules")],
            name_zh="双份测试"))


@pytest.mark.parametrize("lang, document", [("en", "dbtest/terms"), ("zh", "dbtest/guize")])
def test_the_copy_that_stays_replaced_nothing(doubled_kb, lang, document):
    """The page held the new terms and the old ones (same headings); the old copy is dropped. Its refund
    sentence was removed: the new copy's sentence, a number apart, stood on the page before the change too, so
    it replaced nothing, though the diff aligns it with the quote in a section of the same name."""
    answers, _ = cite_cli(doubled_kb, DB_TEXTS[lang]["old"], "--now", "2026-02-11")
    a = answer_for(answers, document)
    assert a["status"] == "removed", (a["status"], a.get("basis"), a.get("current_wording"))
    assert a["changed_at"][:10] == "2026-02-10" and "current_wording" not in a


# --- review of 2026-12-06: a quote ending at an abbreviation's period; a sibling sentence edited in the same
# version; a copy elsewhere deleted while the quote was reworded in place ------------------------------------

RV_LONG = ("Sellers receive payouts every 14 days after the order is delivered, the buyer has confirmed receipt "
           "and the return window for the item has closed without a claim.")
RV_Q48 = "Sellers must respond to every buyer message within 48 hours of receiving it."
RV_Q24 = RV_Q48.replace("48 hours", "24 hours")
RV_PRIME = "For Prime orders, s" + RV_Q24[1:]
RV_Q48_ZH = "商家须在收到买家消息后48小时内回复每一条消息。"
RV_Q24_ZH = RV_Q48_ZH.replace("48", "24")
RV_PRIME_ZH = "对于优选订单，" + RV_Q24_ZH
RV_PAGES = {
    "inc": (RM_EN.replace("<p>Sellers must dispatch", f"<p>Payments are processed by Example Payments, Inc. {RV_LONG}"
                          "</p>\n<p>Sellers must dispatch"), [("Example Payments, Inc.", "Example Pay Ltd.")]),
    "us": (RM_EN.replace("<p>Sellers must dispatch", "<p>Products must be shipped from the U.S. Sellers outside the "
                         "country pay an import fee on every order they ship to buyers.</p>\n<p>Sellers must dispatch"),
           [("shipped from the U.S.", "shipped from the United States.")]),
    "sibling": (RM_EN.replace("<h2>2. Tracking</h2>", f"<p>{RV_Q48}</p>\n<p>{RV_PRIME}</p>\n<h2>2. Tracking</h2>"),
                [(RV_Q48, RV_Q24), (RV_PRIME, RV_PRIME.replace("24 hours", "12 hours"))]),
    "siblingzh": (RM_ZH.replace("<p><strong>第二条", f"<p>{RV_Q48_ZH}</p>\n<p>{RV_PRIME_ZH}</p>\n<p><strong>第二条"),
                  [(RV_Q48_ZH, RV_Q24_ZH), (RV_PRIME_ZH, RV_PRIME_ZH.replace("24", "12"))]),
    "faq": (RM_EN.replace("<h2>2. Tracking</h2>", f"<p>{RV_Q48}</p>\n<h2>2. Tracking</h2>").replace(
                "</div>", f"<h2>3. FAQ</h2>\n<p>How fast must I answer? {RV_Q24}</p>\n</div>"),
            [(RV_Q48, RV_Q24), (f"<h2>3. FAQ</h2>\n<p>How fast must I answer? {RV_Q24}</p>\n", "")]),
}


@pytest.fixture(scope="module")
def review_kb(tmp_path_factory):
    return _edited_kb(tmp_path_factory.mktemp("cite-review"), "seller.rvtest.example", RV_PAGES,
        _declaration("seller.rvtest.example", "RvTest", [
            (name, f"T {name}", "zh-CN" if name.endswith("zh") else "en-US", "shipping") for name in RV_PAGES]))


@pytest.mark.parametrize("quote, document, new", [
    ("Payments are processed by Example Payments, Inc.", "rvtest/inc", "Example Pay Ltd."),
    ("Products must be shipped from the U.S.", "rvtest/us", "shipped from the United States.")])
def test_a_quote_ending_at_an_abbreviation_is_not_stretched_into_the_next_sentence(review_kb, quote, document, new):
    """The quote's own end at "Inc." / "U.S." is where it ends: the answer is the clause reworded, never the
    unchanged next sentence as its "current wording" (nor a redline that deletes the quoted clause)."""
    answers, _ = cite_cli(review_kb, quote, "--now", "2026-02-11")
    a = answer_for(answers, document)
    assert a["status"] == "changed", (a["status"], a.get("now_in_place"))
    assert new in a["current_wording"], a["current_wording"]
    assert "Sellers receive payouts" not in a["current_wording"] and "import fee" not in a["current_wording"]


@pytest.mark.parametrize("quote, document, new, sibling", [
    (RV_Q48, "rvtest/sibling", RV_Q24, "Prime"), (RV_Q48_ZH, "rvtest/siblingzh", RV_Q24_ZH, "优选")])
def test_a_sibling_sentence_edited_the_same_day_is_not_the_replacement(review_kb, quote, document, new, sibling):
    """48 → 24 hours in the quote while the Prime sentence (which held the new wording inside it) went 24 → 12:
    the quote changed into its own new wording, not into the Prime sentence."""
    answers, _ = cite_cli(review_kb, quote, "--now", "2026-02-11")
    a = answer_for(answers, document)
    assert a["status"] == "changed", (a["status"], a.get("now_in_place"))
    assert a["current_wording"] == new and sibling not in a["current_wording"], a["current_wording"]


def test_a_copy_deleted_elsewhere_does_not_make_an_in_place_rewording_removed(review_kb):
    """The FAQ held the 24-hour sentence and was deleted the day the quote went 48 → 24 in its own section: the
    quote changed (the same section, aligned, 98 % alike), it was not removed."""
    answers, _ = cite_cli(review_kb, RV_Q48, "--now", "2026-02-11")
    a = answer_for(answers, "rvtest/faq")
    assert a["status"] == "changed" and a["current_wording"] == RV_Q24, (a["status"], a.get("now_in_place"))
