"""Open Terms Archive import: every real declaration in ../shared/ota-declarations either
becomes a valid policykb declaration or says, per document, why not; plus the mapping rules
on small declarations of our own and the command line.
"""

from __future__ import annotations

import json

import pytest

from conftest import SHARED, policykb
from pipeline.ota import OTAError, convert, convert_file, guess_locale, to_yaml
from pipeline.sources import DOCUMENT_TYPES, load_platform

OTA = SHARED / "ota-declarations"
needs_ota = pytest.mark.skipif(not OTA.is_dir(), reason="../shared/ota-declarations is absent")


@needs_ota
def test_every_real_ota_declaration_imports_or_says_why_per_document(tmp_path):
    files = sorted(OTA.glob("*.json"))
    assert len(files) > 150
    imported = skipped = file_errors = 0
    reasons = set()
    for path in files:
        try:
            conversion = convert_file(path)
        except OTAError as exc:
            file_errors += 1
            assert path.name in str(exc) and "history file" in str(exc), exc
            continue
        for outcome in conversion.outcomes:
            if outcome.status == "imported":
                imported += 1
                assert outcome.documents
            else:
                skipped += 1
                assert outcome.reason and "\n" not in outcome.reason
                reasons.add(outcome.reason.split(": ", 1)[-1].split(" {")[0].split(" (")[0])
        if conversion.data["documents"]:
            target = tmp_path / f"{conversion.platform}.yml"
            target.write_text(to_yaml(conversion, path.name), encoding="utf-8")
            platform = load_platform(target)  # every written declaration validates
            assert all(d.type in DOCUMENT_TYPES for d in platform.documents)
    print(f"\nOTA import: {imported} documents imported, {skipped} not imported, "
          f"{file_errors} history files refused; reasons: {sorted(reasons)}")
    assert imported >= 200 and file_errors == 2
    assert reasons <= {"range selector"}, reasons  # the only unsupported feature met in the real files


def test_mapping_of_ota_features():
    conversion = convert({"name": "Shop Ü", "terms": {
        "Marketplace Sellers Conditions": {"fetch": "https://shop.example/de-de/agb", "select": [".terms"],
                                           "remove": [".banner", {"startBefore": "#a", "endBefore": "#b"}],
                                           "executeClientScripts": True, "filter": ["cleanUrls"]},
        "Terms of Service": {"fetch": "https://shop.example/terms.pdf"},
        "Privacy Policy": {"combine": [{"fetch": "https://shop.example/privacy", "select": "#p"},
                                       {"fetch": "https://shop.example/cookies",
                                        "select": [{"startAfter": "h1", "endBefore": "footer"}]}]},
        "Ranking Parameters Description": {"fetch": "https://shop.example/ranking",
                                           "select": [{"startBefore": "h1", "endBefore": "#x"}]},
        "Seller Handbook": {"fetch": "https://shop.example/handbook", "select": "main"},
    }})
    assert conversion.platform == "shop"
    docs = {d["id"]: d for d in conversion.data["documents"]}
    agb = docs["marketplace-sellers-conditions"]
    assert (agb["type"], agb["locale"], agb["select"], agb["remove"], agb["js"]) == (
        "seller-agreement", "de-DE", [".terms"], [".banner"], True)
    assert "select" not in docs["terms-of-service"] and docs["terms-of-service"]["type"] == "terms-of-service"
    assert "privacy-policy-part-1" in docs and "privacy-policy-part-2" not in docs  # its range page is left out
    outcomes = {o.terms_type: o for o in conversion.outcomes}
    notes = " ".join(outcomes["Marketplace Sellers Conditions"].warnings)
    assert "cleanUrls not applied" in notes and "range in 'remove' dropped" in notes
    assert any("page left out" in w for w in outcomes["Privacy Policy"].warnings)
    assert outcomes["Ranking Parameters Description"].status == "skipped"
    assert "range selector {startBefore: 'h1', endBefore: '#x'} is not supported" in \
        outcomes["Ranking Parameters Description"].reason
    assert outcomes["Seller Handbook"].status == "skipped" and "no policykb document type" in \
        outcomes["Seller Handbook"].reason


@pytest.mark.parametrize("url,locale", [
    ("https://sellercentral.amazon.fr/help/hub/reference/external/G1?locale=en-US", "en-US"),
    ("https://www.ebay.ie/pages/help/legal.html", "en-IE"),
    ("https://www.allegro.pl/regulamin", "pl-PL"),
    ("https://help.etsy.com/hc/en-gb/articles/1", "en-GB"),
    ("https://www.shop.example/fr/cgv", "fr-FR"),
    ("https://www.shopify.com/legal/terms", "en-US"),
])
def test_guess_locale(url, locale):
    assert guess_locale(url) == locale


@pytest.mark.parametrize("data,message", [
    ({"Marketplace Sellers Conditions": [{"fetch": "https://x", "validUntil": "2022"}]}, "history file"),
    ({"name": "X"}, "no 'terms'"),
    ([1, 2], "no 'terms'"),
])
def test_files_that_are_not_service_declarations(data, message):
    with pytest.raises(OTAError, match=message):
        convert(data, "x.json")


@needs_ota
def test_cli_writes_declarations_and_reports_each_document(tmp_path):
    result = policykb("sources", "import-ota", OTA / "eBay.json", OTA / "Etsy.json", OTA / "Amazon.history.json",
                      "--out", tmp_path, check=False)
    assert result.returncode == 0
    err = result.stderr
    assert "imported: ebay: Terms of Service → terms-of-service" in err
    assert "not imported: etsy: Marketplace Sellers Conditions: page: range selector" in err
    assert "error: Amazon.history.json: an OTA history file" in err
    assert "4 documents imported, 2 not imported" in err  # eBay 2, Etsy 2 of 3; + the history file
    ebay = load_platform(tmp_path / "ebay.yml")
    assert {d.id for d in ebay.documents} == {"imprint", "terms-of-service"}
    assert "# guessed from the URL" in (tmp_path / "ebay.yml").read_text()
    again = policykb("sources", "import-ota", OTA / "eBay.json", "--out", tmp_path, check=False)
    assert again.returncode == 2 and "exists (use --force" in again.stderr
    policykb("sources", "check", "--sources", tmp_path)


def test_cli_exit_1_when_nothing_can_be_imported(tmp_path):
    path = tmp_path / "Only Ranges.json"
    path.write_text(json.dumps({"name": "Only Ranges", "terms": {
        "Terms of Service": {"fetch": "https://x.example/t", "select": [{"startBefore": "h1", "endBefore": "#f"}]}}}))
    result = policykb("sources", "import-ota", path, check=False)
    assert result.returncode == 1 and "0 documents imported, 1 not imported" in result.stderr
    assert result.stdout == ""
