"""Normalization rules and change classes, on hand-made version pairs in English, Chinese, German and Japanese."""

import pytest

from pipeline.classify import classify, cosmetic_reasons, detect_language, is_cosmetic, locale_mismatch
from pipeline.normalize import Rules, apply_rules, content_hash, declaration_rules, rules_at


def h(text):
    return content_hash(apply_rules(text))


# --- normalization: what never becomes a new version -------------------------------------------------------

@pytest.mark.parametrize("old,new", [
    # tracking parameters in links
    ("See the [fee schedule](https://s.example/fees?utm_source=nav&utm_medium=web).",
     "See the [fee schedule](https://s.example/fees?gclid=abc123)."),
    ("请阅读[禁售规则](https://seller.example.cn/rules?spm=a2g0o.123&id=7)。",
     "请阅读[禁售规则](https://seller.example.cn/rules?id=7&spm=zz.999)。"),
    ("Siehe [Gebühren](https://verkaeufer.example.de/ref=nav_1/gebuehren).",
     "Siehe [Gebühren](https://verkaeufer.example.de/ref=footer_9/gebuehren)."),
    # view counters
    ("# Seller terms\n\n09/01/2024 1.7k views\n\nSellers must ship on time.",
     "# Seller terms\n\n09/01/2024 1.8k views\n\nSellers must ship on time."),
    ("# 卖家规则\n\n阅读 1234\n\n商家应当按时发货。", "# 卖家规则\n\n阅读 1302\n\n商家应当按时发货。"),
    ("# 出品規約\n\n閲覧数 120\n\n出品者は期限内に発送してください。", "# 出品規約\n\n閲覧数 131\n\n出品者は期限内に発送してください。"),
    ("# Richtlinie\n\n1.234 Aufrufe\n\nVerkäufer müssen pünktlich versenden.",
     "# Richtlinie\n\n1.301 Aufrufe\n\nVerkäufer müssen pünktlich versenden."),
    # navigation lists (every item a link) in another order
    ("- [Home](/)\n- [Help](/help)\n- [Legal](/legal)\n\nText.", "- [Legal](/legal)\n- [Home](/)\n- [Help](/help)\n\nText."),
])
def test_global_rules_remove_noise_before_hashing(old, new):
    assert apply_rules(old) != old or apply_rules(new) != new
    assert h(old) == h(new)


@pytest.mark.parametrize("old,new", [
    ("Sellers must ship within **2** business days.", "Sellers must ship within **3** business days."),
    ("商家应当在7日内申诉。", "商家应当在15日内申诉。"),
    ("Verkäufer haften für Mängel.", "Verkäufer haften nicht für Mängel."),
    ("返品は30日以内に受け付けます。", "返品は14日以内に受け付けます。"),
    # a list whose items carry policy text keeps its order unless the declaration says otherwise
    ("- Ship on time\n- Answer within 24 hours", "- Answer within 24 hours\n- Ship on time"),
    # a number that is not a counter is not noise
    ("Fees rise to 15 percent.", "Fees rise to 17 percent."),
])
def test_global_rules_keep_real_changes(old, new):
    assert h(old) != h(new)


def test_declaration_rules_ignore_patterns_and_sort_lists():
    rules = Rules(ignore_patterns=(r"^Page generated .*$", r"上次访问：\S+"), sort_lists=True)
    a = "Page generated 2026-01-01 10:00\n\n上次访问：2026-01-01\n\n- Ship on time\n- Answer within 24 hours\n"
    b = "Page generated 2026-02-09 18:31\n\n上次访问：2026-02-09\n\n- Answer within 24 hours\n- Ship on time\n"
    assert apply_rules(a) != apply_rules(b)
    assert apply_rules(a, rules) == apply_rules(b, rules)
    assert "Ship on time" in apply_rules(a, rules)


def test_declaration_rules_are_validated_with_their_history():
    errors = []

    def error(message, field):
        errors.append((field, message))
        return ValueError(f"{field}: {message}")

    with pytest.raises(ValueError, match="ignore_patterns"):
        declaration_rules({"ignore_patterns": ["(unclosed"]}, error)
    with pytest.raises(ValueError, match="history\\[0\\].valid_until"):
        declaration_rules({"history": [{"select": ["main"]}]}, error)
    rules, history = declaration_rules({"ignore_patterns": "x+", "history": [
        {"valid_until": "2026-03-01", "select": ["#old"], "remove": [".ad"]},
        {"valid_until": "2025-06-01T12:00:00Z", "select": "#older"},
    ]}, error)
    assert rules.ignore_patterns == ("x+",)
    assert [e.valid_until for e in history] == ["2025-06-01T12:00:00Z", "2026-03-01T00:00:00Z"]

    class Doc:
        select, remove = ("#new",), ()

    Doc.history, Doc.rules = history, rules
    assert rules_at(Doc, "2025-01-01T00:00:00Z").select == ("#older",)
    assert rules_at(Doc, "2025-12-01T00:00:00Z").select == ("#old",)
    assert rules_at(Doc, "2026-03-01T00:00:00Z").select == ("#new",)


# --- change classes --------------------------------------------------------------------------------------------

COSMETIC = [
    # formatting
    ("Sellers **must** ship within 2 days.", "Sellers must ship within 2 days.", "formatting"),
    ("## 第三条 申诉\n\n商家应当在7日内申诉。", "**第三条 申诉**\n\n商家应当在7日内申诉。", "formatting"),
    ("Verkäufer müssen _pünktlich_ versenden.", "Verkäufer müssen pünktlich versenden.", "formatting"),
    ("# 出品規約\n\n出品者は期限内に発送してください。", "出品規約\n\n出品者は期限内に発送してください。", "formatting"),
    # punctuation
    ("Sellers must ship within 2 days; otherwise, they pay.", "Sellers must ship within 2 days, otherwise they pay.",
     "punctuation"),
    ("商家应当在7日内申诉;逾期不予受理.", "商家应当在7日内申诉；逾期不予受理。", "punctuation"),
    ("Der Verkäufer haftet - wie üblich - für Mängel.", "Der Verkäufer haftet – wie üblich – für Mängel.",
     "punctuation"),
    ("「返品」は30日以内です。", "『返品』は30日以内です", "punctuation"),
    # link targets and rotating hosts
    ("Read the [rules](https://s.example/a/rules).", "Read the [rules](https://s.example/b/rules-2026).",
     "link_targets"),
    ("![](https://m.media-cdn1.example/i.png) Read the [规则](https://cdn1.example/r).",
     "![](https://m.media-cdn1.example/i.png) Read the [规则](https://cdn7.example/r).", "rotating_hosts"),
    # list order
    ("- Ship on time\n- Answer within 24 hours", "- Answer within 24 hours\n- Ship on time", "list_order"),
    ("- 按时发货\n- 24小时内回复", "- 24小时内回复\n- 按时发货", "list_order"),
    ("- Pünktlich versenden\n- Binnen 24 Stunden antworten", "- Binnen 24 Stunden antworten\n- Pünktlich versenden",
     "list_order"),
    ("- 期限内に発送\n- 24時間以内に返信", "- 24時間以内に返信\n- 期限内に発送", "list_order"),
    # render dates: a date the page prints about itself being rendered
    ("Today is March 5, 2024\n\nSellers must ship on time.", "Today is March 9, 2024\n\nSellers must ship on time.",
     "render_dates"),
    ("2024年3月5日 10:12\n\n商家应当按时发货。", "2024年3月9日 08:55\n\n商家应当按时发货。", "render_dates"),
    ("Seite erstellt am 05.03.2024 um 10:12\n\nText.", "Seite erstellt am 09.03.2024 um 08:55\n\nText.",
     "render_dates"),
    ("2024/03/05\n\n出品者は期限内に発送してください。", "2024/03/09\n\n出品者は期限内に発送してください。", "render_dates"),
    # whitespace only (line breaks inside a paragraph)
    ("Sellers must\nship on time.", "Sellers must ship on time.", "whitespace"),
]


@pytest.mark.parametrize("old,new,reason", COSMETIC)
def test_cosmetic_changes_name_their_reason(old, new, reason):
    result = classify(old, new, content_hash(new), old_observed="2024-03-05T10:12:00Z",
                      new_observed="2024-03-09T08:55:00Z")
    assert result.kind == "cosmetic", result
    assert reason in result.reasons


@pytest.mark.parametrize("old,new", [
    ("Sellers must ship within 2 days.", "Sellers must ship within 3 days."),
    ("商家应当在7日内申诉。", "商家应当在15日内申诉。"),
    ("Verkäufer haften für Mängel.", "Verkäufer haften nicht für Mängel."),
    ("返品は30日以内に受け付けます。", "返品は受け付けません。"),
    # a changed date inside a sentence is not a render date
    ("Refunds are due by March 5, 2024 for all orders.", "Refunds are due by March 9, 2024 for all orders."),
    # a changed "Last updated" statement is the platform's own claim, so substantive
    ("Last updated: March 5, 2024\n\nText.", "Last updated: March 9, 2024\n\nText."),
    ("生效日期：2024年3月5日\n\n正文。", "生效日期：2024年3月9日\n\n正文。"),
])
def test_substantive_changes(old, new):
    result = classify(old, new, content_hash(new), old_observed="2024-03-05T10:12:00Z",
                      new_observed="2024-03-09T08:55:00Z")
    assert result.kind == "substantive", result
    assert cosmetic_reasons(old, new) is None
    assert not is_cosmetic(old, new)


@pytest.mark.parametrize("old,new,reason", COSMETIC)
def test_is_cosmetic_exactly_when_there_are_cosmetic_reasons(old, new, reason):
    at = ("2024-03-05T10:12:00Z", "2024-03-09T08:55:00Z")
    assert is_cosmetic(old, new, *at) == (cosmetic_reasons(old, new, *at) is not None) is True
    assert is_cosmetic(old, new) == (cosmetic_reasons(old, new) is not None)


@pytest.mark.parametrize("a,b", [
    ("This article applies to selling in: **France**\n\nRules.", "Cet article s'applique à la vente en : **France**\n\nRules."),
    ("# 卖家规则\n\n商家应当按时发货。", "# 卖家规则\n\n商家应当按时发货。\n\n商家应当按时发货。"),
    ("# Regeln\n\nVerkäufer müssen versenden.", "# Regeln\n\nBanner: Jetzt 10 % sparen!\n\nVerkäufer müssen versenden."),
    ("# 規約\n\n発送してください。", "# 規約\n\nキャンペーン実施中！\n\n発送してください。"),
])
def test_flip_flop_returns_to_an_earlier_version(a, b):
    # a → b is a change; b → a returns to a, a → b again returns to b
    first = classify(a, b, content_hash(b), [])
    assert first.kind == "substantive"
    back = classify(b, a, content_hash(a), [("v1", content_hash(a), None)])
    assert (back.kind, back.returns_to) == ("flip_flop", "v1")
    again = classify(a, b, content_hash(b), [("v2", content_hash(b), None), ("v1", content_hash(a), None)])
    assert (again.kind, again.returns_to) == ("flip_flop", "v2")


def test_flip_flop_window_is_bounded():
    from pipeline.classify import FLIP_FLOP_WINDOW

    old, new = "A.", "B."
    earlier = [(f"v{i}", content_hash(f"text {i}"), None) for i in range(FLIP_FLOP_WINDOW)]
    assert classify(old, new, content_hash(new), earlier + [("vx", content_hash(new), None)]).kind == "substantive"
    assert classify(old, new, content_hash(new), earlier[:-1] + [("vx", content_hash(new), None)]).kind == "flip_flop"


# --- language of a page ----------------------------------------------------------------------------------------

SAMPLES = {
    "en": "Sellers must ship every order within two business days and upload valid tracking for each package. " * 4,
    "zh": "商家应当在订单生成后两个工作日内发货，并为每个包裹上传有效的物流单号。逾期发货将按照本规则处理。" * 4,
    "de": "Verkäufer müssen jede Bestellung innerhalb von zwei Werktagen versenden und eine gültige Sendungsnummer "
          "hochladen. " * 4,
    "ja": "出品者は注文から二営業日以内に発送し、すべての荷物に有効な追跡番号を登録しなければなりません。" * 4,
    "id": "Penjual wajib mengirimkan setiap pesanan dalam dua hari kerja dan mengunggah nomor resi yang valid. " * 4,
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_language_detection(lang):
    assert detect_language(SAMPLES[lang])[0] == lang


@pytest.mark.parametrize("declared,lang,wrong", [
    ("en-US", "en", False), ("zh-CN", "zh", False), ("de-DE", "de", False), ("ja-JP", "ja", False),
    ("id-ID", "id", False), ("en-US", "de", True), ("zh-CN", "ja", True), ("de-DE", "en", True),
    ("ja-JP", "zh", True),
])
def test_a_page_in_another_language_than_declared_is_wrong_locale(declared, lang, wrong):
    reason, detected = locale_mismatch(SAMPLES[lang], declared)
    assert detected == lang
    assert bool(reason) == wrong
    if wrong:
        assert reason.startswith("wrong locale")


def test_too_short_a_page_is_not_judged():
    assert locale_mismatch("Impressum", "de-DE")[0] is None
    assert locale_mismatch("Contact us", "zh-CN")[0] is None


# --- re-extraction: new rules are never a policy change ---------------------------------------------------------

@pytest.mark.slow
def test_changed_selectors_give_a_labelled_reextraction_and_rebuild_agrees(demo_copy, expected, tmp_path):
    import shutil

    import yaml

    from conftest import DEMO_SOURCES, crawl_as_of, policykb, rows

    sources = tmp_path / "sources"
    shutil.copytree(DEMO_SOURCES, sources)
    declaration = yaml.safe_load((sources / "demomart.yml").read_text(encoding="utf-8"))
    doc = next(d for d in declaration["documents"] if d["id"] == "account-health")
    # the title no longer counts as policy text from May on; before that, the old rules hold
    doc["history"] = [{"valid_until": "2026-05-01", "select": doc["select"], "remove": doc["remove"]}]
    doc["remove"] = doc["remove"] + ["h1"]
    (sources / "demomart.yml").write_text(yaml.safe_dump(declaration, allow_unicode=True), encoding="utf-8")
    db = demo_copy / "policykb.db"
    before = rows(db, "select count(*) as n from changes where document_id = 'demomart/account-health'")[0]["n"]

    crawl_as_of(demo_copy, expected["dates"][-1], sources=sources)
    policykb("build", "--data", demo_copy, "--sources", sources)
    changes = rows(db, "select kind, reasons from changes where document_id = 'demomart/account-health' order by id")
    assert len(changes) == before + 1
    assert changes[-1]["kind"] == "reextraction"
    current = rows(db, "select v.text_markdown, v.rules_hash from documents d join versions v"
                       " on v.id = d.current_version_id where d.id = 'demomart/account-health'")[0]
    assert not current["text_markdown"].startswith("# ")
    assert rows(db, "select outcome from checks where document_id = 'demomart/account-health' order by id desc"
                    " limit 1")[0]["outcome"] in ("unchanged", "not_modified")
    # no other document changed, and the rules' history is in the KB
    assert rows(db, "select count(*) as n from changes where kind = 'reextraction'")[0]["n"] == 1
    epochs = rows(db, "select valid_until from declaration_rules where document_id = 'demomart/account-health'"
                      " order by valid_until is null, valid_until")
    assert [e["valid_until"] for e in epochs] == ["2026-05-01T00:00:00Z", None]

    # a rebuild from the WARCs extracts each snapshot with the rules of its time: the same versions and changes
    content = "select id, seq, content_hash, rules_hash from versions order by id"
    kinds = "select id, kind, from_version_id, to_version_id from changes order by id"
    incremental = rows(db, content), rows(db, kinds)
    policykb("rebuild", "--data", demo_copy, "--sources", sources)
    assert (rows(db, content), rows(db, kinds)) == incremental
