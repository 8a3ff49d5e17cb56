"""Sections with stable keys, compared between versions; per-section history in the demo KB."""

import pytest

from conftest import rows
from pipeline.sections import compare_sections, split_sections

EN = """# Seller Terms

Last updated: June 1, 2026

## 1. Definitions

Words have meanings.

## Section 2 Fees

**2.1** Referral fees are charged per item.

2.2 Closing fees apply to media.

(a) books;

(b) music;

2.2.1 A minimum fee applies.

## 3. Termination

- (a) We may suspend your account.
- (b) You may close your account.

3\\. Notices

Notices are sent by e-mail.
"""

ZH = """# 商家违规处理规则

更新日期：2026年1月10日

**第一章 总则**

**第一条**【目的】为规范商家经营行为，制定本规则。

**第二条** 本规则适用于全体商家。

**第二章 违规处理**

**第三条** 商家有下列情形之一的，平台将予以处理：

1、发布禁售商品；

2、虚假发货；

（一）情节严重的，关闭店铺；

第十二条 本规则自2026年2月1日起施行。

一、附则

二、其他
"""


def keys(text):
    return [s.key for s in split_sections(text)]


def test_english_numbered_clauses_nested_lists():
    assert keys(EN) == ["seller-terms", "1", "2", "2.1", "2.2", "2.2(a)", "2.2(b)", "2.2.1", "3", "3(a)", "3(b)", "3"
                        "~2"] or keys(EN) == ["seller-terms", "1", "2", "2.1", "2.2", "2.2(a)", "2.2(b)", "2.2.1", "3",
                                              "3(a)", "3(b)", "3~2"]
    sections = {s.key: s for s in split_sections(EN)}
    assert sections["2"].heading == "Section 2 Fees"
    assert sections["2.2(a)"].text == "(a) books;"
    assert "Referral fees" in sections["2.1"].text
    assert sections["1"].level == 2 and sections["2.2.1"].level == 4


def test_chinese_clause_numbering():
    ks = keys(ZH)
    assert ks == ["商家违规处理规则", "第1章", "第1条", "第2条", "第2章", "第3条", "第3条1、", "第3条2、", "第3条(1)", "第12条",
                  "1、", "2、"]
    sections = {s.key: s for s in split_sections(ZH)}
    assert sections["第1条"].heading == "第一条【目的】"
    assert sections["第12条"].heading == "第十二条"
    assert sections["第1章"].level == 1 and sections["第1条"].level == 3


def test_ordered_list_items_are_not_clauses():
    text = "# Steps\n\n1. Open the page.\n2. Click appeal.\n\n10. Still a list item.\n"
    assert keys(text) == ["steps"]


def test_keys_are_stable_when_wording_changes():
    old = split_sections("## 6.1 Late shipment\n\nUnder 4%.\n\n**第三条** 七日内申诉。\n")
    new = split_sections("## 6.1 Late dispatch\n\nUnder 3%.\n\n**第三条** 十五日内申诉。\n")
    assert [s.key for s in old] == [s.key for s in new] == ["6.1", "第3条"]
    changes = compare_sections(old, new)
    assert [(c.key, c.status) for c in changes] == [("6.1", "modified"), ("第3条", "modified")]


def test_a_moved_section_is_moved_not_removed_and_added():
    old = split_sections("## 1. Scope\n\nA.\n\n## 2. Fees\n\nB.\n\n## 3. Returns\n\nC.\n\n## Appeals\n\nD.\n")
    new = split_sections("## 1. Scope\n\nA.\n\n## Appeals\n\nD.\n\n## 2. Fees\n\nB.\n\n## 3. Returns\n\nC changed.\n")
    changes = {c.key: c for c in compare_sections(old, new)}
    assert changes["appeals"].status == "moved" and changes["appeals"].moved
    assert changes["3"].status == "modified"
    assert "1" not in changes and "2" not in changes
    assert {c.status for c in changes.values()} == {"moved", "modified"}


def test_a_renumbered_section_is_moved_with_its_old_key():
    old = split_sections("**第三条** 商家应当按时发货。\n\n**第四条** 商家应当诚信经营。\n")
    new = split_sections("**第三条** 新增条款内容。\n\n**第四条** 商家应当按时发货。\n\n**第五条** 商家应当诚信经营。\n")
    changes = {c.key: c for c in compare_sections(old, new)}
    assert (changes["第4条"].status, changes["第4条"].old_key) == ("moved", "第3条")
    assert (changes["第5条"].status, changes["第5条"].old_key) == ("moved", "第4条")
    assert changes["第3条"].status == "added"


def test_added_and_removed_sections():
    old = split_sections("## 3.3 Fraud\n\nX.\n\n## 3.5 Spam\n\nY.\n")
    new = split_sections("## 3.3 Fraud\n\nX.\n\n## 3.4 Dispatch\n\nNew rule for dispatch timing.\n")
    changes = [(c.key, c.status) for c in compare_sections(old, new)]
    assert ("3.4", "added") in changes and ("3.5", "removed") in changes


# --- in the KB: what each change did to sections, and per-section history ----------------------------------

@pytest.mark.slow
def test_changes_list_their_sections_as_expected(demo_kb, expected):
    db = demo_kb / "policykb.db"
    checked = 0
    for doc, spec in expected["documents"].items():
        for field, status in (("sections_added", "added"), ("sections_changed", "modified")):
            for date, wanted in (spec.get(field) or {}).items():
                got = rows(db, "select cs.key, cs.heading, cs.status, cs.kind from change_sections cs join changes c"
                               " on c.id = cs.change_id where c.document_id = ? and substr(c.detected_at, 1, 10) = ?",
                           [doc, date])
                for name in wanted:
                    match = [g for g in got if name in (g["key"], g["heading"]) or g["heading"].startswith(name)]
                    assert match and match[0]["status"] == status, (doc, date, name, got)
                    assert match[0]["kind"] == "substantive"
                    checked += 1
    assert checked >= 6


@pytest.mark.slow
def test_sections_remember_when_they_last_changed(demo_kb):
    db = demo_kb / "policykb.db"
    current = {r["key"]: r for r in rows(db, """
        select s.key, s.changed_at from sections s join documents d on d.current_version_id = s.version_id
        where d.id = 'shoptide/penalty-points'""")}
    assert current["3.2"]["changed_at"][:10] == "2026-07-01"  # reworded
    assert current["3.4"]["changed_at"][:10] == "2026-07-01"  # added
    assert current["2.2"]["changed_at"][:10] == "2026-01-15"  # untouched since the first version
    statements = rows(db, """select kind, date, section_key, announced, evidence from dated_statements
        where document_id = 'shoptide/penalty-points' and kind = 'effective'""")
    assert [(s["date"], s["section_key"], s["announced"]) for s in statements] == [("2026-08-01", "3.4", 1)]
    assert statements[0]["evidence"].startswith("Starting August 1, 2026")
    change = rows(db, "select kind, effective_date, effective_date_source from changes"
                      " where document_id = 'shoptide/penalty-points'")
    assert change == [{"kind": "substantive", "effective_date": "2026-08-01", "effective_date_source": "stated"}]


@pytest.mark.parametrize("grown,paired", [(40, True), (79, True), (80, False)])
def test_a_reworded_section_that_only_grew_is_paired_up_to_what_its_length_allows(grown, paired):
    """A body that only grew is as similar as its lengths allow (60 letters grown by 79: 200 * 60 / 199 = 60.3,
    over the 60 needed; by 80: 60, not over): compare_sections skips a candidate by its lengths alone only when
    they rule out the similarity the pairing needs."""
    body = "x" * 60
    old = split_sections(f"## Delivery rules\n\n{body}\n\n## Z\n\nzz\n")
    new = split_sections(f"## Shipping rules\n\n{body}{'y' * grown}\n\n## Z\n\nzz\n")
    changes = [(c.key, c.status, c.old_key) for c in compare_sections(old, new)]
    if paired:
        assert changes == [("shipping-rules", "modified", "delivery-rules")]
    else:
        assert ("shipping-rules", "added", None) in changes
        assert ("delivery-rules", "removed", "delivery-rules") in changes
