"""Each pipeline stage as a plain function: no Scrapy, no Datasette, no network."""

import pytest

from pipeline.archive import Snapshot
from pipeline.dates import find_dates, summarize
from pipeline.diff import apply_patch, diff, diff_ops
from pipeline.extract import ExtractionError, extract
from pipeline.decide import classify_fetch
from pipeline.normalize import content_hash, normalize_text

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>T</title>
<script>track()</script><style>p{}</style></head><body>
<nav><ul><li>Home</li></ul></nav><div id="cookie-banner">Accept cookies</div>
<main><div id="help-content"><h1>Account Health</h1>
<div class="visit-widget">You last visited this page on 2026-01-15 09:12 UTC</div>
<p>Last updated: March 20, 2026</p>
<p>Maintain an order defect rate under <strong>1%</strong>.</p>
<ul><li>Late shipment rate under 4%</li><li>Valid tracking rate above 95%</li></ul>
<p><a href="javascript:alert(1)">click</a> <a href="https://x.example/p?utm_source=a">policy</a></p>
</div></main><footer>© 2026</footer></body></html>"""


def test_extract_keeps_selected_content_as_markdown():
    out = extract(PAGE.encode(), "text/html; charset=utf-8", ["#help-content"], [".visit-widget"])
    assert out.markdown.startswith("# Account Health\n")
    assert "order defect rate under **1%**" in out.markdown
    assert "- Late shipment rate under 4%" in out.markdown
    for noise in ("Accept cookies", "Home", "You last visited", "track()", "© 2026", "javascript"):
        assert noise not in out.markdown


def test_extract_without_selector_takes_the_body_minus_scripts():
    out = extract(PAGE.encode(), "text/html")
    assert "Account Health" in out.markdown and "track()" not in out.markdown


def test_selector_that_matches_nothing_is_a_reason_naming_it():
    with pytest.raises(ExtractionError, match="'#missing' matched nothing"):
        extract(PAGE.encode(), "text/html", ["#missing"])


@pytest.mark.parametrize("body,ctype,reason", [
    (b"", "text/html", "empty response body"),
    (b"   \n", "text/html", "empty response body"),
    (b"%PDF-1.7 binary", "application/pdf", "PDF could not be parsed"),
    (b"\x89PNG\r\n", "image/png", "unsupported content type 'image/png'"),
    (b"<html><body><div id='c'>  </div></body></html>", "text/html", "matched only empty content"),
])
def test_unusable_bodies_are_extraction_errors(body, ctype, reason):
    with pytest.raises(ExtractionError, match=reason):
        extract(body, ctype, ["#c"] if b"id='c'" in body else ())


@pytest.mark.parametrize("encoding,ctype", [
    ("gbk", "text/html; charset=gbk"),
    ("gbk", "text/html"),  # declared only in <meta>
    ("shift_jis", "text/html; charset=shift_jis"),
])
def test_extract_decodes_cjk_encodings(encoding, ctype):
    text = "申诉规则：卖家可在30天内提出申诉。" if encoding == "gbk" else "出品規約：違反した場合はアカウントが停止されます。"
    html = f'<html><head><meta charset="{encoding}"></head><body><div id="c"><p>{text}</p></div></body></html>'
    out = extract(html.encode(encoding), ctype, ["#c"])
    assert text in out.markdown


def test_normalize_folds_whitespace_and_invisible_characters():
    a = normalize_text("# Title\n\n\n\nSellers  must\u00a0ship\u200b.   \n\n")
    b = normalize_text("# Title\n\nSellers must ship.")
    assert a == b == "# Title\n\nSellers must ship.\n"
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(normalize_text("# Title\n\nSellers must ship!"))


def test_diff_is_word_level_and_its_patch_applies():
    old = "Sellers must ship within 2 business days of the order.\n"
    new = "Sellers must ship within 3 business days of the order, or cancel it.\n"
    d = diff(old, new)
    assert d.chars_added > 0 and d.chars_removed > 0
    assert apply_patch(old, d.patch) == new
    assert diff_ops(old, new, use_fast=True) == diff_ops(old, new, use_fast=False)


def test_diff_handles_chinese():
    old, new = "卖家可在30天内提出申诉。", "卖家可在15天内提出申诉，并提交视频材料。"
    d = diff(old, new)
    assert apply_patch(old, d.patch) == new
    assert "".join(t for op, t in d.ops if op != -1) == new


@pytest.mark.parametrize("line,locale,kind,iso", [
    ("Last updated: March 20, 2026", "en-US", "last_updated", "2026-03-20"),
    ("Effective date: 1 April 2026", "en-GB", "effective", "2026-04-01"),
    ("Starting August 1, 2026, sellers must register.", "en-US", "effective", "2026-08-01"),
    ("生效日期：2026年4月15日", "zh-CN", "effective", "2026-04-15"),
    ("更新日期：2026年3月1日", "zh-CN", "last_updated", "2026-03-01"),
    ("本规则自2024年7月1日起施行。", "zh-CN", "effective", "2024-07-01"),
    ("Diese Richtlinie gilt ab dem 1. Juli 2024.", "de-DE", "effective", "2024-07-01"),
    ("Stand: 01.03.2024", "de-DE", "last_updated", "2024-03-01"),
    ("本規約は2024年7月1日から適用されます。", "ja-JP", "effective", "2024-07-01"),
    ("Kebijakan ini berlaku mulai 1 Juli 2024.", "id-ID", "effective", "2024-07-01"),
])
def test_dates_with_evidence(line, locale, kind, iso):
    found = find_dates(f"# Policy\n\nSome text.\n\n{line}\n", locale)
    assert [(s.kind, s.date, s.evidence, s.line) for s in found] == [(kind, iso, line, 5)]


@pytest.mark.parametrize("text", [
    "Refunds within 30 days from March 1, 2026.",  # a date, but no statement about the policy
    "Last updated: recently",  # a keyword, but no date
    "Effective immediately.",
    "Version 2026.",
])
def test_no_evidence_means_no_date(text):
    assert find_dates(text, "en-US") == []
    assert summarize([])["effective_date"] is None


def record(status=200, body=b"", kind="response", url="https://s.example/help/a", ctype="text/html", error=None):
    return Snapshot(record_id="<urn:uuid:1>", warc_file="f", offset=0, kind=kind, document="p/a", url=url,
                          status=status, headers=[("Content-Type", ctype)], body=body, fetched_at="2026-01-01T00:00:00Z",
                          observed_at="2026-01-01T00:00:00Z", error=error)


@pytest.mark.parametrize("rec,outcome,reason", [
    (record(404), "gone", "HTTP 404"),
    (record(410), "gone", "HTTP 410"),
    (record(503), "failed", "HTTP 503"),
    (record(429), "failed", "HTTP 429 rate limited"),
    (record(0, kind="failure", error="TimeoutError: took too long"), "failed", "TimeoutError"),
    (record(200, PAGE.encode(), url="https://s.example/ap/signin?return=/help/a"), "failed", "login page"),
    (record(200, PAGE.encode()), "new_version", None),
    (record(200, b"<html><body><p>Sign in</p></body></html>"), "failed", "matched nothing"),
])
def test_classify_fetch(rec, outcome, reason):
    result = classify_fetch(rec, ["#help-content"], [".visit-widget"], "https://s.example/help/a")
    assert result.outcome == outcome
    if reason:
        assert reason in result.reason
    else:
        assert result.text and result.content_hash


def test_sections_have_stable_clause_keys():
    from pipeline.sections import split_sections

    text = ("# Rules\n\nIntro.\n\n## 3. Penalties\n\n### 3.2 Severe violations\n\nText.\n\n"
            "**第三条**【申诉时限】商家应当在7日内申诉。\n\n第十二条 附则。\n\n## Appeals\n\nMore.\n\n## Appeals\n\nAgain.\n")
    keys = [(s.key, s.heading) for s in split_sections(text)]
    assert keys == [("rules", "Rules"), ("3", "3. Penalties"), ("3.2", "3.2 Severe violations"),
                    ("第3条", "第三条【申诉时限】"), ("第12条", "第十二条"), ("appeals", "Appeals"),
                    ("appeals~2", "Appeals")]


# --- issue 4: dates with the section they stand in, diffs anchored on lines ------------------------------------

@pytest.mark.parametrize("line,locale,kind,iso", [
    ("自2024年7月1日起，商家须上传视频材料。", "zh-CN", "effective", "2024-07-01"),
    ("Ab dem 1. Juli 2024 gilt eine neue Frist.", "de-DE", "effective", "2024-07-01"),
    ("2024年7月1日から、出品者は動画を提出してください。", "ja-JP", "effective", "2024-07-01"),
    ("Mulai 1 Juli 2024, penjual wajib mengunggah video.", "id-ID", "effective", "2024-07-01"),
    ("Τελευταία Ενημέρωση: 30/06/2015", "el-GR", "last_updated", "2015-06-30"),
    ("Última actualização: 13 de Fevereiro de 2023", "pt-PT", "last_updated", "2023-02-13"),
    ("Deze voorwaarden zijn voor het laatst gewijzigd op 6 februari 2023.", "nl-NL", "last_updated", "2023-02-06"),
    ("Updated on 5 August 2024 and effective as of 10 August, 2024", "en-GB", "effective", "2024-08-10"),
])
def test_announced_effective_dates_in_many_languages(line, locale, kind, iso):
    found = [s for s in find_dates(f"# Policy\n\n{line}\n", locale) if s.kind == kind]
    assert [(s.date, s.line) for s in found] == [(iso, 3)]
    assert found[0].evidence == line


def test_a_date_on_a_very_long_line_is_found_with_its_sentence():
    """Main-content extraction of an old page can give the whole text as one line (Amazon, 2011)."""
    filler = "You agree to these terms and to the rules they refer to. " * 400
    line = f"Kindle License Agreement **Last updated: September 28, 2011** This is an agreement. {filler}"
    found = find_dates(line + "\nSecond line.", "en-US")
    assert [(s.kind, s.date, s.line) for s in found] == [("last_updated", "2011-09-28", 1)]
    assert found[0].evidence == "Kindle License Agreement **Last updated: September 28, 2011** This is an agreement."


def test_evidence_is_the_sentence_not_the_whole_paragraph():
    text = "Intro. " * 60 + "Starting August 1, 2026, fees change. " + "Other rules apply. " * 20
    (statement,) = find_dates(text, "en-US")
    assert statement.evidence == "Starting August 1, 2026, fees change."


def test_us_and_european_numeric_dates():
    assert find_dates("Last updated: 03/01/2024", "en-US")[0].date == "2024-03-01"
    assert find_dates("Last updated: 03/01/2024", "en-GB")[0].date == "2024-01-03"
    assert find_dates("Stand: 03.01.2024", "de-DE")[0].date == "2024-01-03"


def test_diff_anchors_on_unchanged_lines_and_both_implementations_agree():
    old = "\n\n".join(f"Clause {i}. Sellers must ship order type {i} within {i % 5 + 1} days." for i in range(300))
    new = old.replace("within 3 days", "within 4 business days").replace("Clause 7.", "Clause 7 (amended).")
    new = new.replace("order type 150", "order class 150") + "\n\nClause 300. New rule."
    fast, pure = diff(old, new, use_fast=True), diff(old, new, use_fast=False)
    assert fast.ops == pure.ops and fast.patch == pure.patch
    assert apply_patch(old, fast.patch) == new
    changed = [t for op, t in fast.ops if op == 1]
    assert "4 business" in changed and " (amended)" in changed and "class" in changed
    assert all("\n\n" not in t for op, t in fast.ops if op != 0 and t != "\n\nClause 300. New rule.")


def test_unrelated_blocks_are_one_replacement():
    from pipeline.diff import diff_ops

    english = " ".join(f"Sellers must answer buyer messages within {i} hours on weekdays." for i in range(60))
    lithuanian = " ".join(f"Pardavėjai privalo atsakyti pirkėjų žinutėms per {i} valandas darbo dienomis."
                          for i in range(60))
    assert diff_ops(english, lithuanian) == [(-1, english), (1, lithuanian)]


def test_euc_jp_bytes_declared_as_shift_jis_are_read_as_euc_jp():
    """cp932 decodes EUC-JP bytes without an error, into half-width katakana: detection must win."""
    text = "出品者は十二時間以内に購入者へ返信してください。"
    page = f"<html><body><div id='policy'><h1>Seller policy</h1><p>Sellers must follow rule 7.</p><p>{text}</p>" \
           "</div></body></html>"
    out = extract(page.encode("euc_jp"), "text/html; charset=Shift_JIS", ["#policy"])
    assert text in out.markdown
    assert out.encoding.replace("-", "_").lower() == "euc_jp"
    # a page really in Shift_JIS keeps its declared charset
    same = extract(page.encode("shift_jis"), "text/html; charset=Shift_JIS", ["#policy"])
    assert text in same.markdown and same.encoding == "cp932"
