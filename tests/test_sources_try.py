"""``policykb sources try``: a saved page through a document's declaration, and each way it can fail;
``select`` alternatives tried in order, the one that matched recorded with each check, and the
"layout changed" failure (no silent switch to another extraction).

The saved pages are written here, by us.
"""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import policykb
from pipeline.extract import ExtractionError, extract

DECLARATION = {
    "platform": "shop", "name": "Shop", "homepage": "https://help.shop.example/",
    "documents": [
        {"id": "terms", "title": "Terms", "url": "https://help.shop.example/terms", "locale": "en-US",
         "type": "terms-of-service", "select": [".terms-v2", ".terms"], "remove": [".rate-this"],
         "history": [{"valid_until": "2026-01-01", "select": ["#old-terms"]}]},
        {"id": "agb", "title": "AGB", "url": "https://help.shop.example/de/agb", "locale": "de-DE",
         "type": "seller-agreement", "select": [".terms"]},
        {"id": "fees-pdf", "title": "Fees (PDF)", "url": "https://help.shop.example/fees.pdf", "locale": "en-US",
         "type": "fees"},
    ],
}

POLICY = ("Sellers must ship every order within two business days of payment. Orders shipped late count "
          "against the seller's late shipment rate, and a rate above four percent over thirty days may lead "
          "to the suspension of the account. Sellers may appeal a suspension within fourteen days.")
NEW_LAYOUT = f"""<!doctype html><html><head><title>Terms | Shop</title></head><body>
<nav>Home · Help · Sign in</nav>
<main><div class="terms-v2"><h1>Terms of Service</h1><p>{POLICY}</p><p class="rate-this">Was this helpful?</p></div></main>
<footer>© 2026 Shop</footer></body></html>"""
OLD_LAYOUT = NEW_LAYOUT.replace('class="terms-v2"', 'class="terms"')
OLDEST_LAYOUT = NEW_LAYOUT.replace('class="terms-v2"', 'id="old-terms"')
REDESIGNED = NEW_LAYOUT.replace('class="terms-v2"', 'class="legal-body"')
APP_SHELL = """<!doctype html><html><head><title>Terms | Shop</title></head><body>
<div class="terms-v2"></div><div class="terms"> </div><script>render()</script></body></html>"""
GERMAN_PAGE_IN_ENGLISH = OLD_LAYOUT  # the AGB document is declared de-DE
LOGIN_PAGE = """<!doctype html><html><head><title>Sign in</title></head><body>
<h1>Sign in to your account</h1><form action="/login" method="post"><input name="email">
<input type="password" name="password"><button>Sign in</button></form></body></html>"""


@pytest.fixture
def sources(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "shop.yml").write_text(yaml.safe_dump(DECLARATION), encoding="utf-8")
    return folder


def saved(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def try_json(sources, document, page, *extra):
    result = policykb("sources", "try", document, str(page), "--sources", str(sources), "--json", *extra,
                      check=False)
    assert result.returncode in (0, 1), result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"ok", "reason", "title", "markdown", "selector"}
    assert out["ok"] == (result.returncode == 0)
    return out


def test_try_prints_the_text_and_the_selector_that_matched(sources, tmp_path):
    out = try_json(sources, "shop/terms", saved(tmp_path, "new.html", NEW_LAYOUT))
    assert out["ok"] and out["reason"] is None and out["selector"] == ".terms-v2"
    assert out["title"] == "Terms | Shop"
    assert "within two business days" in out["markdown"]
    assert "Was this helpful" not in out["markdown"] and "Sign in" not in out["markdown"]
    text = policykb("sources", "try", "shop/terms", str(saved(tmp_path, "p.html", NEW_LAYOUT)),
                    "--sources", str(sources))
    assert "within two business days" in text.stdout and "'.terms-v2' matched" in text.stderr


def test_the_second_alternative_serves_the_older_layout(sources, tmp_path):
    out = try_json(sources, "shop/terms", saved(tmp_path, "old.html", OLD_LAYOUT))
    assert out["ok"] and out["selector"] == ".terms"
    new = try_json(sources, "shop/terms", saved(tmp_path, "new.html", NEW_LAYOUT))
    assert out["markdown"] == new["markdown"]


def test_at_uses_the_rules_valid_then(sources, tmp_path):
    page = saved(tmp_path, "oldest.html", OLDEST_LAYOUT)
    then = try_json(sources, "shop/terms", page, "--at", "2025-06-01")
    assert then["ok"] and then["selector"] == "#old-terms"
    now = try_json(sources, "shop/terms", page, "--at", "2026-06-01")
    assert not now["ok"] and now["reason"].startswith("layout changed")


def test_no_match_is_a_layout_change_naming_every_selector_tried(sources, tmp_path):
    out = try_json(sources, "shop/terms", saved(tmp_path, "redesigned.html", REDESIGNED))
    assert not out["ok"] and out["markdown"] is None and out["selector"] is None
    assert out["reason"].startswith("layout changed")
    assert "'.terms-v2'" in out["reason"] and "'.terms'" in out["reason"]


def test_empty_match_is_not_a_layout_change(sources, tmp_path):
    out = try_json(sources, "shop/terms", saved(tmp_path, "shell.html", APP_SHELL))
    assert not out["ok"] and "matched only empty content" in out["reason"]
    assert not out["reason"].startswith("layout changed")


def test_wrong_locale(sources, tmp_path):
    out = try_json(sources, "shop/agb", saved(tmp_path, "agb.html", GERMAN_PAGE_IN_ENGLISH))
    assert not out["ok"] and out["reason"].startswith("wrong locale") and "'de-DE'" in out["reason"]


def test_login_page(sources, tmp_path):
    out = try_json(sources, "shop/terms", saved(tmp_path, "login.html", LOGIN_PAGE))
    assert not out["ok"] and "login form" in out["reason"]


def test_login_redirect(sources, tmp_path):
    out = try_json(sources, "shop/terms", saved(tmp_path, "new.html", NEW_LAYOUT),
                   "--url", "https://help.shop.example/ap/signin?return=/terms")
    assert not out["ok"] and out["reason"].startswith("redirected to a login page")


def test_unreadable_pdf(sources, tmp_path):
    out = try_json(sources, "shop/fees-pdf", saved(tmp_path, "fees.pdf", b"%PDF-1.7\n1 0 obj truncated"))
    assert not out["ok"] and out["reason"].startswith("PDF")


def test_bad_calls_are_one_line_and_exit_2(sources, tmp_path):
    page = saved(tmp_path, "p.html", NEW_LAYOUT)
    unknown = policykb("sources", "try", "shop/term", str(page), "--sources", str(sources), check=False)
    assert unknown.returncode == 2 and "shop/terms" in unknown.stderr and len(unknown.stderr.splitlines()) == 1
    bad_date = policykb("sources", "try", "shop/terms", str(page), "--sources", str(sources), "--at", "2026-13-01",
                        check=False)
    assert bad_date.returncode == 2 and len(bad_date.stderr.splitlines()) == 1
    failed = policykb("sources", "try", "shop/terms", str(saved(tmp_path, "r.html", REDESIGNED)),
                      "--sources", str(sources), check=False)
    assert failed.returncode == 1 and failed.stderr.startswith("failed: shop/terms: layout changed")


def test_extract_never_falls_back_to_main_content_when_selectors_are_declared():
    # the page has plenty of main text: the main-content extractor would find it, and must not be asked
    with pytest.raises(ExtractionError, match="^layout changed"):
        extract(REDESIGNED.encode(), "text/html", [".terms-v2", ".terms"])
    assert "within two business days" in extract(REDESIGNED.encode(), "text/html").markdown  # no select: main content


def test_each_check_records_the_alternative_that_matched_and_a_layout_change_alerts(tmp_path, sources):
    """Through the real build: the page moves from the old layout to the new one (the second
    alternative, then the first, same text: no change), then to a layout no selector knows."""
    from conftest import rows
    from kbfactory import build_kb

    site = tmp_path / "site"
    folder = site / "help.shop.example" / "terms"
    folder.mkdir(parents=True)
    for date, page in [("2026-03-01", OLD_LAYOUT), ("2026-04-01", NEW_LAYOUT), ("2026-05-01", REDESIGNED)]:
        (folder / f"{date}.html").write_text(page, encoding="utf-8")
    data = build_kb(tmp_path / "data", ["2026-03-02", "2026-04-02", "2026-05-02"], sources, site)
    db = data / "policykb.db"
    checks = rows(db, "select outcome, reason, selector from checks where document_id = 'shop/terms' order by id")
    assert [(c["outcome"], c["selector"]) for c in checks] == [
        ("new_version", ".terms"), ("unchanged", ".terms-v2"), ("failed", None)]
    assert checks[2]["reason"].startswith("layout changed") and "'.terms-v2', '.terms'" in checks[2]["reason"]
    assert rows(db, "select count(*) n from versions where document_id = 'shop/terms'")[0]["n"] == 1
    status = json.loads(policykb("status", "--data", str(data), "--json").stdout)
    terms = next(d for d in status["documents"] if d["id"] == "shop/terms")
    assert terms["state"] == "failing"
    alerts = rows(db, "select kind, subject, message from alerts where state = 'open'")
    layout = [a for a in alerts if a["subject"] == "shop/terms"]
    assert [a["kind"] for a in layout] == ["selector_empty"]
    assert "shop/terms" in layout[0]["message"] and "'.terms-v2'" in layout[0]["message"] \
        and "'.terms'" in layout[0]["message"] and "layout changed" in layout[0]["message"]
