"""Bilingual pages: a sentence in English on a page in another language is read with English's cues.

Merchant agreements and help pages often carry an English translation under the local text (the shared corpus's
Rue du Commerce conditions: French, then English), and a Chinese or Malay notice may have an English paragraph.
Read with the page language's cues such a sentence gives nothing ("within 14 days" holds no French unit).
"""

from __future__ import annotations

import pytest

from pipeline.rules import extract, reading_language


def _values(markdown, language):
    return [(v.kind, v.value, v.unit, v.subject) for v in extract(markdown, language)]


def test_a_french_page_with_its_english_translation_gives_the_values_of_both():
    page = ("Le Vendeur doit expédier la commande dans un délai de deux (2) jours ouvrés.\n\n"
            "The Merchant must ship the order within two (2) business days.\n\n"
            "The Merchant must answer the customer's messages within 48 hours.")
    values = _values(page, "fr")
    assert ("time_limit", 2, "business_day", "dispatch") in values
    assert values.count(("time_limit", 2, "business_day", "dispatch")) == 2, values
    assert ("time_limit", 48, "hour", "response") in values, values


@pytest.mark.parametrize("language, page", [
    ("zh", "卖家须在7个自然日内提出申诉。\n\nSellers must respond to the buyer within 24 hours."),
    ("ms", "Penjual mesti menghantar pesanan dalam tempoh 3 hari bekerja.\n\n"
           "Sellers must respond to the buyer within 24 hours."),
])
def test_an_english_paragraph_on_a_chinese_or_malay_page_is_read(language, page):
    assert ("time_limit", 24, "hour", "response") in _values(page, language)


@pytest.mark.parametrize("language, sentence", [
    ("fr", "Le vendeur a 3 jours ouvrés pour répondre à la demande de l'acheteur."),  # "a": a word of both
    ("fr", "On a 14 jours à compter de la réception pour retourner un article."),
    ("de", "Die Frist beträgt 14 Tage in dem Fall, dass die Ware beschädigt ist."),  # "in", "die"
    ("nl", "Je hebt 14 dagen om de bestelling te retourneren als het artikel is beschadigd."),  # "is", "om"
    ("it", "Il venditore ha 14 giorni per rispondere a un reclamo in ogni caso."),
    ("zh", "卖家须在 7 days 内 to the platform 提交申诉。"),  # Han characters: the page's language
])
def test_a_sentence_in_the_page_language_stays_in_it(language, sentence):
    assert reading_language(sentence, language) == language


def test_an_english_page_is_read_in_english():
    assert reading_language("Le vendeur a 3 jours pour répondre.", "en") == "en"
