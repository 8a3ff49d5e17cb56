"""Layout in a real headless Chromium at phone width (375 px) and desktop width (1280 px), in zh and en:
the home page, search, a document, a redline, the cite check (form, and an answer), the glossary, the health
page, a 404 and the rules comparison. No element overlaps another (bounding boxes of
fields, buttons, links, headings, paragraphs, list items), nothing is cut off horizontally, no box hides part
of its own text (a citation's URL line), no checkbox's label wraps apart from its box, and in Chinese no stored
enumeration value is shown as stored and no element's own words are English only (policy text, a platform's own
terms and quotes, text marked lang="en", ids, URLs and brand names aside). Screenshots go to test-artifacts/layout/."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from conftest import ROOT
from datasette_plugins import labels
from test_browser import browser, serving  # noqa: F401  (the Chromium fixture and the real `policykb serve`)

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts" / "layout"
WIDTHS = (375, 1280)

# every element that could collide with another, with its box; pairs where one holds the other are fine
BOXES = r"""(brands) => {
  const sel = 'input, select, textarea, button, label, a, h1, h2, h3, p, li, th, td, .pkb-card, .pkb-answer, svg';
  const els = [...document.querySelectorAll('section.content ' + sel.split(', ').join(', section.content '))]
    .filter(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                   return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
                          && e.checkVisibility({contentVisibilityAuto: true}); });  // not inside a closed <details>
  const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  const name = e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '')
                    + ' "' + (e.innerText || e.value || '').trim().slice(0, 30) + '"';
  // an inline element wrapped over two lines has one box per line: compare those, not their hull
  const rects = els.map(e => [...e.getClientRects()]);
  const hulls = els.map(e => e.getBoundingClientRect());
  const meet = (r, s) => Math.min(r.right, s.right) - Math.max(r.left, s.left) > 1 && Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top) > 1;
  const overlaps = [];
  for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
    const a = els[i], b = els[j];
    if (!meet(hulls[i], hulls[j]) || a.contains(b) || b.contains(a)) continue;
    if (a.tagName === 'LABEL' && a.control === b || b.tagName === 'LABEL' && b.control === a) continue;
    if (rects[i].some(r => rects[j].some(s => meet(r, s)))) overlaps.push(name(a) + ' × ' + name(b));
  }
  const cut = els.filter(e => !scrolls(e) && e.getBoundingClientRect().right > window.innerWidth + 1).map(name);
  // a box that hides part of its own text (a citation in a two-row field, its URL line out of sight)
  const clipped = els.filter(e => e.tagName === 'TEXTAREA' ? e.scrollHeight > e.clientHeight + 1
      : ['hidden', 'clip'].includes(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight + 1).map(name);
  const leaves = [...document.querySelectorAll('section.content *')].filter(e => e.children.length === 0)
    .map(e => (e.innerText || '').trim());
  // a checkbox's label on one line with its box (not "仅实 / 质性" with the box floating away)
  const split = [...document.querySelectorAll('section.content label')]
    .filter(l => l.querySelector('input[type=checkbox], input[type=radio]') && l.checkVisibility())
    .filter(l => { const r = document.createRange(); r.selectNodeContents(l);
                   const boxes = [...r.getClientRects()].filter(b => b.width > 0 && b.height > 0);
                   return Math.max(...boxes.map(b => b.top)) >= Math.min(...boxes.map(b => b.bottom)); }).map(name);
  // in Chinese, an element whose own words are English only (policy text, quotes, terms in their own language
  // marked lang=..., code, ids, URLs and brand names aside) was not translated
  const quoted = 'code, pre, .pkb-policy, .pkb-redline, .pkb-hits, .pkb-wording, .pkb-citation, .gl-quote, '
                 + '[lang]:not([lang^=zh]), textarea, select, svg';
  const technical = /https?:\/\/\S+|\b[\w.-]+\/[\w.\/~-]+|\b(JSON|HTTP|Atom|policykb|Datasette)\b|\b[a-z]{2}-(Hans|Hant|[A-Z]{2})\b/g;
  const plain = t => brands.reduce((text, b) => text.split(b).join(' '), t.replace(technical, ' '));
  const untranslated = [...document.querySelectorAll('section.content *')].filter(e => {
    const own = [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join(' ');
    return /[A-Za-z]{3,}/.test(plain(own)) && !/[\u3400-\u9fff]/.test(own)
           && !e.closest(quoted) && e.checkVisibility();
  }).map(name);
  return {overlaps, cut, clipped, split, untranslated, pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
          text: document.body.innerText, leaves};
}"""


@pytest.fixture(scope="module")
def server(demo_kb):
    with serving(demo_kb) as base:
        yield base


@pytest.fixture(scope="module")
def quote_text(demo_kb):
    import sqlite3

    conn = sqlite3.connect(demo_kb / "policykb.db")
    text = conn.execute("""select s.text_markdown from sections s join documents d on d.current_version_id = s.version_id
                           where d.platform_id = 'kuajing' and length(s.text_markdown) > 40 limit 1""").fetchone()[0]
    conn.close()
    return re.sub(r"[#*_>`\[\]]", "", text).strip().splitlines()[-1][:60]


@pytest.fixture(scope="module")
def changed(demo_kb):
    """A Chinese document with a substantive change (its id and the two versions' numbers): its page and redline."""
    import sqlite3

    conn = sqlite3.connect(demo_kb / "policykb.db")
    row = conn.execute("""select c.document_id, f.seq, t.seq from changes c join versions f on f.id = c.from_version_id
                          join versions t on t.id = c.to_version_id join documents d on d.id = c.document_id
                          where c.kind = 'substantive' and d.platform_id = 'kuajing'
                          order by c.document_id desc limit 1""").fetchone()
    conn.close()
    return row


@pytest.fixture(scope="module")
def brands(demo_kb):
    """Names that stay as they are in Chinese (a platform's Chinese name may be its brand: "Etsy", "TikTok Shop")."""
    import sqlite3

    conn = sqlite3.connect(demo_kb / "policykb.db")
    names = {w for (n,) in conn.execute("select name_zh from platforms union select name_zh from glossary_platforms")
             for w in re.findall(r"[A-Za-z][\w-]+", n or "")}
    conn.close()
    return sorted(names, key=len, reverse=True)


def layout(browser, url, width, lang, shot, brands=()):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  locale="zh-CN" if lang == "zh" else "en-GB")
    try:
        page = context.new_page()
        response = page.goto(url, wait_until="load")
        assert response.status < 500, url
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{shot}-{lang}-{width}.png"), full_page=True)
        return page.evaluate(BOXES, brands)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ("zh", "en"))
@pytest.mark.parametrize("name", ("home", "search", "search-latin", "document", "redline", "cite", "cite-answer",
                                  "glossary", "glossary-search", "status", "404", "rules"))
def test_no_overlap_nothing_cut_off_no_stored_value(browser, server, quote_text, changed, brands, name, lang,  # noqa: F811
                                                   width):
    doc, a, b = changed
    path = {"home": "/", "search": "/-/policykb/search?q=" + quote("申诉"),
            "search-latin": "/-/policykb/search?q=counterfeit&substantive=1",
            "document": f"/-/policykb/doc/{doc}", "redline": f"/-/policykb/diff/{doc}/{a}..{b}",
            "cite": "/-/policykb/cite", "cite-answer": "/-/policykb/cite?q=" + quote(quote_text),
            "glossary": "/-/glossary", "glossary-search": "/-/glossary?q=" + quote("Account Warning"),
            "status": "/-/policykb/status", "404": "/-/policykb/doc/kuajing/nosuch",
            "rules": "/-/policykb/rules?concept=penalty-points"}[name]
    found = layout(browser, server + path, width, lang, name, brands)
    assert found["overlaps"] == [], found["overlaps"][:10]
    assert found["cut"] == [], found["cut"][:10]
    assert found["clipped"] == [], found["clipped"][:10]
    assert found["split"] == [], found["split"][:10]
    assert found["pageWidth"] <= found["viewport"] + 1, "the page scrolls sideways"
    if lang == "zh":
        shown = [v for v in labels.ENUMERATIONS if v in found["leaves"]
                 or ("_" in v and re.search(rf"\b{re.escape(v)}\b", found["text"]))]
        assert shown == []
        assert found["untranslated"] == [], found["untranslated"][:10]
    if name == "home":
        assert labels.label("about", lang) in found["text"].replace("\n", "")
    if name == "cite-answer":
        assert re.search(r"retrieved \d{4}-\d{2}-\d{2}, https?://\S+", found["text"]), "the citation's URL is shown"
