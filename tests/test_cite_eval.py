"""The truth ``bench/eval_cite.py`` holds the cite check to: its own alignment of two versions' sentences
(``truth_step``) says whether an outdated quote was ``changed`` (and into what) or ``removed``. These are its
general rules, each on an English and a Chinese pair of versions."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import eval_cite  # noqa: E402


def step(old: str, new: str, quote: str, lang: str):
    return eval_cite.truth_step(old, new, eval_cite.norm(quote), lang)


@pytest.mark.parametrize("lang, kept, quote, other", [
    ("en", "Sellers must ship every order within two business days of payment.",
     "Orders to remote islands may be shipped by sellers within five business days of the payment.",
     "Buyers may return an item within thirty days of delivery."),
    ("zh", "卖家须在买家付款后两个工作日内完成发货。", "偏远地区的订单，卖家可在买家付款后五个工作日内完成发货。",
     "买家可在签收后三十日内无理由退货。"),
])
def test_an_unchanged_neighbour_is_never_the_rewording(lang, kept, quote, other):
    """The quote is deleted; the sentence before it, alike (difflib ratio between ``TRUTH_SIMILARITY`` and
    ``TRUTH_MOVED``) but there word for word in both versions, is not what it changed into."""
    old = "\n\n".join([kept, quote, other])
    new = "\n\n".join([kept, other])
    assert step(old, new, quote, lang) == ("removed", None)


@pytest.mark.parametrize("lang, sibling, sibling_now, quote, other", [
    ("en", "The arbitrator shall have the authority to grant any non-monetary remedy available to an individual "
           "under applicable laws.",
     "The arbitrator(s) shall have the authority to grant any non-monetary remedy available to an individual "
     "under applicable laws.",
     "The arbitrator may award monetary damages to an individual under applicable laws, but never punitive "
     "damages.", "The award of the arbitrator is final and binding upon you and us."),
    ("zh", "仲裁员有权给予个人依照适用法律可获得的任何非金钱救济。", "一名或多名仲裁员有权给予个人依照适用法律可获得的任何非金钱救济。",
     "仲裁员有权给予个人依照适用法律可获得的金钱赔偿。", "仲裁裁决为终局裁决，对双方均有约束力。"),
])
def test_a_new_sentence_closer_to_another_old_one_is_that_ones(lang, sibling, sibling_now, quote, other):
    """The quote's sibling is lightly reworded and the quote deleted: the sibling's new wording is alike to the
    quote too, but more alike to the sibling (each must be the other's closest)."""
    old = "\n\n".join([sibling, quote, other])
    new = "\n\n".join([sibling_now, other])
    assert step(old, new, quote, lang) == ("removed", None)
    kind, w = step(old, new, sibling, lang)  # the sibling itself did change into it
    assert kind == "changed" and w == eval_cite.norm(sibling_now)


@pytest.mark.parametrize("lang, before, quote, merged, other", [
    ("de", "Inhalte dürfen nicht gegen gesetzliche Vorschriften verstoßen.",
     "mobile.de kann folgende Maßnahmen ergreifen, wenn ein Teilnehmer gesetzliche Vorschriften oder diese AGB verletzt:",
     "Das Verhalten von Teilnehmern sowie ihre Inhalte dürfen nicht gegen gesetzliche Vorschriften, Rechte Dritter "
     "oder diese AGB verstoßen. mobile.de ist nicht verpflichtet, die Inhalte zu überwachen oder aktiv nach Umständen "
     "zu forschen, die auf einen Verstoß hindeuten. mobile.de behält sich jedoch vor, Inhalte freiwillig zu prüfen "
     "und rechtswidrige Inhalte zu entfernen oder den Zugang zu ihnen zu sperren. mobile.de kann folgende "
     "Maßnahmen ergreifen, wenn ein Teilnehmer gesetzliche Vorschriften oder diese AGB-HB verletzt:",
     "Die Sperrung wird dem Teilnehmer per E-Mail mitgeteilt."),
    ("zh", "卖家须遵守平台的物流规则。", "卖家须在发货后一日内上传物流单号。",
     "卖家须在发货后一日内上传有效物流单号，并保证物流轨迹在签收前均可查询，逾期未上传或物流信息虚假的订单，"
     "平台有权取消并限制店铺的部分功能，情节严重的还可冻结店铺的结算款项",
     "买家可在签收后三十日内无理由退货。"),
])
def test_a_quote_nearly_whole_inside_a_longer_new_sentence_changed_into_it(lang, before, quote, merged, other):
    """Its words stand nearly whole in a new sentence far longer than itself (a clause widened, or a sentence
    end the splitter does not see before "mobile.de"): a rewording, though the whole sentences are unalike."""
    old = "\n\n".join([before, quote, other])
    new = "\n\n".join([merged, other])
    kind, w = step(old, new, quote, lang)
    assert kind == "changed" and w == eval_cite.norm(merged)


@pytest.mark.parametrize("lang, kept, quote, filler", [
    ("en", "Refunds are issued within three business days of the returned item reaching the seller.",
     "Refunds are issued within five business days of the returned item reaching the seller.",
     ["Sellers must ship every order within two business days of payment.",
      "Buyers may return an item within thirty days of delivery."]),
    ("zh", "卖家应当在收到退货后三个工作日内完成退款。", "卖家应当在收到退货后五个工作日内完成退款。",
     ["卖家须在买家付款后两个工作日内完成发货。", "买家可在签收后三十日内无理由退货。"]),
])
def test_the_copy_that_stays_is_never_the_rewording(lang, kept, quote, filler):
    """A page that carried its terms twice (the new copy, then the old) drops the old copy: the quote, from
    the old copy, is removed; the new copy's sentence, a number apart, was on the page already (no sentence
    the old version has is W, however alike)."""
    old = "\n\n".join([*filler, kept, "—", *filler, quote])
    new = "\n\n".join([*filler, kept, "—"])
    assert step(old, new, quote, lang) == ("removed", None)


@pytest.mark.parametrize("lang, first, second, second_now", [
    ("en", "Monthly packages are invoiced on the first working day after the month.",
     "Yearly packages are paid in advance in one sum by bank transfer or postal order.",
     "Yearly packages are paid in advance in one sum by bank transfer."),
    ("zh", "月度套餐在当月结束后的第一个工作日开具发票。", "年度套餐须通过银行转账或邮政汇款一次性预付全部费用。",
     "年度套餐须通过银行转账一次性预付全部费用。"),
])
def test_a_quote_over_two_sentences_is_aligned_as_one(lang, first, second, second_now):
    """A quote that covers two sentences as the script splits them, the second reworded: the two are aligned as
    one passage, so the quote changed (the first one alone is unchanged and would say nothing, or be taken for
    a sentence the old version already has)."""
    quote = f"{first} {second}" if lang == "en" else first + second
    filler = "Sellers must answer buyer messages within one business day." if lang == "en" else "卖家须在一个工作日内回复买家消息。"
    old = "\n\n".join([filler, quote, filler[::-1]])
    new = "\n\n".join([filler, (f"{first} {second_now}" if lang == "en" else first + second_now), filler[::-1]])
    kind, _ = step(old, new, quote, lang)
    assert kind == "changed"
