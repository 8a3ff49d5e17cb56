"""Date statements in the languages of the platforms' sites (issue 15).

Every keyword of pipeline/date_keywords.yml is run with its example sentence; then a
real-looking sentence per language and per date format; then the rules (newest wins,
periods, ambiguous month names, locale order); then our hand-checked reference of real
corpus versions (skipped when ../shared/corpus is absent).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from pipeline.dates import (DATE_RE, KEYWORD_RES, find_dates, keyword_data, keyword_languages, numeric_order,
                            parse_date, summarize)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

#: the languages of the platforms' sites the issue names (zh = zh-Hans)
REQUIRED = ["en", "zh", "zh-Hant", "ja", "ko", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "cs", "sk", "hr",
            "sl", "ro", "hu", "el", "bg", "lt", "tr", "id", "ms", "th", "vi"]
LOCALE = {"zh": "zh-CN", "zh-Hant": "zh-TW", "en": "en-US"}


def _examples():
    for lang, data in keyword_data().items():
        for kind in ("last_updated", "effective"):
            for n, entry in enumerate(data.get(kind) or []):
                yield pytest.param(lang, kind, entry, id=f"{lang}-{kind}-{n}")


@pytest.mark.parametrize("lang", REQUIRED)
def test_every_required_language_has_keywords_of_both_kinds(lang):
    data = keyword_data()[lang]
    assert data.get("last_updated") and data.get("effective")


@pytest.mark.parametrize("lang,kind,entry", list(_examples()))
def test_each_keyword_finds_the_date_of_its_example_sentence(lang, kind, entry):
    text = f"# Terms\n\nSome clause.\n\n{entry['example']}\n"
    found = [(s.kind, s.date, s.line) for s in find_dates(text, LOCALE.get(lang, lang))]
    assert (kind, str(entry["date"]), 5) in found
    assert all(d == str(entry["date"]) for k, d, _ in found if k == kind), found


# --- one sentence per language and date format -----------------------------------------------------------------

FORMATS = [
    # (locale, sentence, kind, ISO date)
    ("en-US", "Last updated: 04/16/2024", "last_updated", "2024-04-16"),  # US order
    ("en-GB", "Last updated: 16/04/2024", "last_updated", "2024-04-16"),  # UK order
    ("en-US", "Effective Date: July 1st, 2022", "effective", "2022-07-01"),
    ("en-US", "Last Updated: 2024-04-16", "last_updated", "2024-04-16"),
    ("zh-CN", "更新日期：2024年4月16日", "last_updated", "2024-04-16"),
    ("zh-CN", "生效日期：2024-04-16", "effective", "2024-04-16"),
    ("zh-CN", "本协议于2024/7/1起生效。", "effective", "2024-07-01"),
    ("zh-CN", "生效日期：２０２４年７月１日", "effective", "2024-07-01"),  # full-width digits
    ("zh-TW", "最後更新日期：2024年4月16日", "last_updated", "2024-04-16"),
    ("zh-TW", "本條款自2024年7月1日起生效。", "effective", "2024-07-01"),
    ("ja-JP", "最終更新日：2024年4月16日", "last_updated", "2024-04-16"),
    ("ja-JP", "施行日：令和6年7月1日", "effective", "2024-07-01"),  # Japanese era
    ("ja-JP", "改定日 2024/04/16", "last_updated", "2024-04-16"),
    ("ko-KR", "최종 수정일: 2024년 4월 16일", "last_updated", "2024-04-16"),
    ("ko-KR", "시행일: 2024. 7. 1.", "effective", "2024-07-01"),
    ("ko-KR", "이 약관은 2024년 7월 1일부터 시행합니다.", "effective", "2024-07-01"),
    ("de-DE", "Stand: 16.04.2024", "last_updated", "2024-04-16"),
    ("de-DE", "Diese AGB sind gültig ab 1. Juli 2024.", "effective", "2024-07-01"),
    ("de-AT", "Zuletzt geändert am 16. Jänner 2024", "last_updated", "2024-01-16"),  # Austrian month name
    ("fr-FR", "Dernière mise à jour : 16 avril 2024", "last_updated", "2024-04-16"),
    ("fr-FR", "Conditions en vigueur au 1er juillet 2024", "effective", "2024-07-01"),
    ("fr-FR", "Dernière modification : 07/10/2021", "last_updated", "2021-10-07"),
    ("es-ES", "Fecha efectiva 12.02.2020", "effective", "2020-02-12"),
    ("es-ES", "Última actualización: 16 de abril de 2024", "last_updated", "2024-04-16"),
    ("es-ES", "Versión aplicable a partir del 15-03-2023", "effective", "2023-03-15"),
    ("es-MX", "Última actualización: 16/04/2024", "last_updated", "2024-04-16"),  # day first in Mexico
    ("it-IT", "Ultimo aggiornamento: 06/02/2024", "last_updated", "2024-02-06"),
    ("it-IT", "In vigore dal 1° luglio 2024", "effective", "2024-07-01"),
    ("pt-PT", "Última actualização: 13 de Fevereiro de 2023", "last_updated", "2023-02-13"),
    ("pt-BR", "Termos em vigor a partir de 01/03/2023.", "effective", "2023-03-01"),
    ("nl-NL", "Versie van 1 september 2022", "last_updated", "2022-09-01"),
    ("nl-NL", "Laatste wijziging: 16-04-2024", "last_updated", "2024-04-16"),
    ("pl-PL", "Regulamin obowiązuje od dnia 1 lipca 2024 r.", "effective", "2024-07-01"),
    ("pl-PL", "Ostatnia aktualizacja: 16.04.2024", "last_updated", "2024-04-16"),
    ("sv-SE", "Villkoren gäller från och med den 12 juli 2020.", "effective", "2020-07-12"),
    ("sv-SE", "Senast uppdaterad: 2024-04-16", "last_updated", "2024-04-16"),
    ("da-DK", "Ikrafttrædelse 1. februar 2019", "effective", "2019-02-01"),
    ("cs-CZ", "Tyto smluvní podmínky nabývají platnosti a účinnosti 12.4.2024.", "effective", "2024-04-12"),
    ("cs-CZ", "Poslední aktualizace: 16. dubna 2024", "last_updated", "2024-04-16"),
    ("sk-SK", "V Bratislave, dňa 01.06.2023", "last_updated", "2023-06-01"),
    ("sk-SK", "Tieto podmienky sú platné od 1. júla 2024.", "effective", "2024-07-01"),
    ("hr-HR", "Ovi uvjeti stupaju na snagu 1. listopada 2024.", "effective", "2024-10-01"),  # listopad = October
    ("hr-HR", "Zadnje ažuriranje: 16. 04. 2024.", "last_updated", "2024-04-16"),
    ("sl-SI", "Ta Pravila veljajo od 16. 02. 2024", "effective", "2024-02-16"),
    ("sl-SI", "Ljubljana, 31\\. 5. 2024", "last_updated", "2024-05-31"),  # Markdown escape
    ("ro-RO", "Termenii se aplică începând cu data de 17.12 2021.", "effective", "2021-12-17"),
    ("ro-RO", "Ultima actualizare: 16 aprilie 2024", "last_updated", "2024-04-16"),
    ("hu-HU", "Hatályos: 2024.02.16.-tól", "effective", "2024-02-16"),
    ("hu-HU", "Utolsó frissítés: 2024. április 16.", "last_updated", "2024-04-16"),
    ("el-GR", "Τελευταία Ενημέρωση: 30/06/2015", "last_updated", "2015-06-30"),
    ("el-GR", "Οι όροι ισχύουν από την 1η ΙΟΥΛΙΟΥ 2024.", "effective", "2024-07-01"),  # capitals, no accents
    ("bg-BG", "Последна актуализация: 16 април 2024 г.", "last_updated", "2024-04-16"),
    ("bg-BG", "Общите условия влизат в сила от 01.07.2024 г.", "effective", "2024-07-01"),
    ("lt-LT", "SKELBIU.LT NAUDOJIMO TAISYKLĖS (REDAKCIJA 2022-11-23)", "last_updated", "2022-11-23"),
    ("lt-LT", "Taisyklės galioja nuo 2024 m. liepos 1 d.", "effective", "2024-07-01"),
    ("tr-TR", "Son güncelleme: 16 Nisan 2024", "last_updated", "2024-04-16"),
    ("tr-TR", "Bu politika 01.07.2024 tarihinden itibaren geçerlidir.", "effective", "2024-07-01"),
    ("id-ID", "Terakhir diperbarui: 16 April 2024", "last_updated", "2024-04-16"),
    ("id-ID", "Kebijakan ini berlaku efektif sejak 01/07/2024.", "effective", "2024-07-01"),
    ("ms-MY", "Dasar ini berkuat kuasa pada 1 Julai 2024.", "effective", "2024-07-01"),
    ("ms-MY", "Kemas kini terakhir: 16/04/2024", "last_updated", "2024-04-16"),
    ("th-TH", "ปรับปรุงล่าสุด: 16 เมษายน 2567", "last_updated", "2024-04-16"),  # Buddhist era
    ("th-TH", "นโยบายนี้มีผลบังคับใช้ตั้งแต่วันที่ 01/07/2567", "effective", "2024-07-01"),
    ("vi-VN", "Cập nhật lần cuối: ngày 16 tháng 4 năm 2024", "last_updated", "2024-04-16"),
    ("vi-VN", "Chính sách này có hiệu lực từ ngày 01/07/2024.", "effective", "2024-07-01"),
]


@pytest.mark.parametrize("locale,sentence,kind,iso", FORMATS, ids=[f"{f[0]}-{i}" for i, f in enumerate(FORMATS)])
def test_a_sentence_per_language_and_date_format(locale, sentence, kind, iso):
    found = [s for s in find_dates(f"# Terms\n\n{sentence}\n", locale) if s.kind == kind]
    assert [(s.date, s.line) for s in found] == [(iso, 3)]
    assert found[0].evidence == sentence
    assert found[0].keyword  # the keyword as it stands in the text


def test_every_required_language_has_a_format_sentence():
    covered = {("zh-Hant" if loc == "zh-TW" else loc.split("-")[0]) for loc, *_ in FORMATS}
    assert set(REQUIRED) <= covered


# --- the rules ---------------------------------------------------------------------------------------------------

def test_the_newest_statement_of_a_kind_wins_and_keeps_its_evidence():
    text = ("Part A: New version - updated on 5 August 2024 and effective as of 10 August, 2024\n\n"
            "Some terms.\n\n"
            "Part B: Old version - updated on April 30th, 2021 and effective as of January 16th, 2021\n")
    summary = summarize(find_dates(text, "en-US"))
    assert summary["last_updated"] == "2024-08-05" and summary["effective_date"] == "2024-08-10"
    assert summary["effective_evidence"].startswith("Part A")
    # order does not matter: the older statement first, the newer one below it
    older_first = "\n\n".join(reversed(text.split("\n\n")))
    assert summarize(find_dates(older_first, "en-US"))["effective_date"] == "2024-08-10"


def test_a_period_is_not_an_effective_date():
    text = "Pour consulter la version en vigueur du 24.06.2023 au 14.01.2024, cliquez ici."
    assert find_dates(text, "fr-FR") == []
    assert find_dates("En vigueur depuis le 24.06.2023.", "fr-FR")[0].date == "2023-06-24"


def test_a_month_name_is_read_in_the_page_language():
    line = "Last updated: 1 listopad 2024"
    assert find_dates("Poslední aktualizace: 1. listopadu 2024", "cs-CZ")[0].date == "2024-11-01"
    assert find_dates("Zadnje ažuriranje: 1. listopada 2024.", "hr-HR")[0].date == "2024-10-01"
    assert find_dates(line, "en-US") == []  # listopad: November or October? not guessed on an English page


def test_numeric_order_comes_from_the_locale():
    assert numeric_order("en-US") == "MDY" and numeric_order("en-GB") == "DMY"
    assert numeric_order("de-DE") == "DMY" and numeric_order("es-MX") == "DMY"
    assert find_dates("Last updated: 03/01/2024", "en-CA")[0].date in ("2024-03-01", "2024-01-03")
    assert find_dates("Last updated: 13/01/2024", "en-US")[0].date == "2024-01-13"  # 13 cannot be a month


@pytest.mark.parametrize("text", [
    "Updated recently: see 2024 report.",
    "Stand 42 of the 2024 fair.",
    "Effective immediately; fees for 2024 apply.",
    "Last updated: 31/02/2024",  # no such day
    "Ljubljana is a city, and 16. 02. 2024 is a date on a longer line.",
])
def test_no_statement_without_a_keyword_and_a_complete_date(text):
    assert find_dates(text, "sl-SI" if "Ljubljana" in text else "en-GB") == []


def test_page_language_and_english_keywords_are_used_all_when_unknown():
    assert keyword_languages("de") == ("de", "en")
    assert set(keyword_languages("zh")) == {"zh", "zh-Hant", "en"}
    assert keyword_languages("sk") == ("sk", "cs", "en")  # a detector may take one for the other
    assert set(keyword_languages(None)) >= set(REQUIRED)
    assert find_dates("Stand: 01.03.2024")[0].date == "2024-03-01"  # no locale: every language


def test_importers_keep_their_names():
    """classify.py uses these on raw (unfolded) text."""
    assert DATE_RE.search("am 16. März 2024 geändert").group(0) == "16. März 2024"
    assert any(r.search("Dernière mise à jour : 16 avril 2024") for r in KEYWORD_RES.values())
    assert parse_date("16. März 2024", ("de", "en")) == "2024-03-16"
    assert parse_date("03/01/2024") == "2024-03-01" and parse_date("03/01/2024", ("fr",)) == "2024-01-03"


def test_the_keyword_file_ships_with_the_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "date_keywords.yml" in config["tool"]["setuptools"]["package-data"]["pipeline"]
    assert (ROOT / "pipeline" / "date_keywords.yml").is_file()


# --- our hand-checked reference on real versions -----------------------------------------------------------------

@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS} (the reference reads it in place)")
def test_hand_checked_reference_on_the_corpus():
    sys.path.insert(0, str(ROOT))
    from bench.eval_dates import evaluate

    result = evaluate(CORPUS)
    rows = result["rows"]
    dated = [r for r in rows if r["expected"] is not None]
    assert len(dated) >= 150 and len(result["languages"]) >= 10
    wrong = [r for r in rows if r["outcome"] == "wrong"]
    assert not wrong, [(r["doc"], r["version"], r["kind"], r["expected"], r["got"]) for r in wrong]
    found = sum(r["outcome"] == "found" for r in dated)
    assert found / len(dated) >= 0.95


def test_classify_helpers_find_dates_and_statements_in_any_language():
    from pipeline.dates import date_spans, states_a_date

    line = "Gedruckt am 16. März 2024 um 10:00, imprimé le 1er avril 2024"
    assert [line[a:b] for a, b in date_spans(line)] == ["16. März 2024", "1er avril 2024"]
    assert states_a_date("Dernière mise à jour : 16 avril 2024") and states_a_date("更新日期：2024年4月16日")
    assert not states_a_date("Gedruckt am 16. März 2024") and date_spans("Version 2024") == []


def test_emphasis_that_splits_a_year_does_not_hide_the_date():
    """OLX (pt) wrote its "valid from" date in emphasized runs: `_de 202__2_` renders as "de 2022"."""
    (statement,) = find_dates("![](image.png) _Válido a partir de 10_ _de Agosto_ _de 202__2_", "pt-PT")
    assert (statement.kind, statement.date) == ("effective", "2022-08-10")
    assert "2022" in statement.evidence


@pytest.mark.parametrize("locale,sentence,iso", [
    ("cs-CZ", "Posledná aktualizácia: 16. apríla 2024", "2024-04-16"),  # Slovak text declared (or detected) Czech
    ("sl-SI", "Zadnje ažuriranje: 1. listopada 2024.", "2024-10-01"),  # Croatian text on a Slovenian page
    ("ms-MY", "Terakhir diperbarui: 16 April 2024", "2024-04-16"),  # Indonesian on a Malay page
])
def test_a_close_language_is_read_too(locale, sentence, iso):
    assert [s.date for s in find_dates(sentence, locale)] == [iso]
