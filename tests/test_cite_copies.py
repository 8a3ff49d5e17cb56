"""The cite check on a KB whose documents share their text (a marketplace's country sites, one policy in many
copies; issue 19's 100,000-version run has 5,000 documents made from 58 texts): the one copy a quote names by a
short word or a number is found, however many copies hold its other words."""

from __future__ import annotations

import sqlite3

import kbfactory
from kb.cite import candidates, cite
from sitetools import moved_site

SITES = (101, 102, 103, 104, 105)
PARAGRAPHS = (
    "Returns are accepted for most items sold on the marketplace, subject to the conditions of this policy.",
    "Sellers on Marketplace {n} must refund the buyer within thirty days of receiving the returned item.",
    "A refund issued after that period counts against the seller's performance targets for the quarter.",
)


LINKED = ("Fees for site {n} are charged as the <a href='https://seller.moved.example/help/fee-schedule'>fee "
          "schedule</a> of the marketplace describes them, on the day the order ships.")


def _kb(tmp_path, sites=SITES, paragraphs=PARAGRAPHS):
    pages = {f"returns-{n}": ("<html><body><main id='policy'><h1>Returns</h1>"
                              + "".join(f"<p>{p.format(n=n)}</p>" for p in paragraphs) + "</main></body></html>", None)
             for n in sites}
    site, sources = moved_site(tmp_path, pages, {f"site{n}": (f"returns-{n}", "returns") for n in sites})
    data = kbfactory.build_kb(tmp_path / "data", ("2026-02-01T00:00:00Z",), sources, site)
    return sqlite3.connect(data / "policykb.db")


def test_the_copy_a_number_names_is_found_when_the_others_fill_the_candidates(tmp_path, monkeypatch):
    """Every copy holds the quote's longest words; only the number tells them apart, and it is not among the
    words probed (``MAX_TOKENS`` longest). With room for two candidate versions (``MAX_CANDIDATES``, standing
    for the few hundred of a large KB), the newest two were read and the quote was answered "not found" (as
    three quotes in ten were on the 100,000-version KB); the versions with a passage holding every word of
    the quote, the number included, are read first."""
    conn = _kb(tmp_path)
    oldest = conn.execute("select document_id from versions order by rowid limit 1").fetchone()[0]
    n = int(oldest.rsplit("site", 1)[1])
    quote = PARAGRAPHS[1].format(n=n)
    assert str(n) not in candidates.quote_tokens(quote)  # the number is not probed
    monkeypatch.setattr(candidates, "MAX_CANDIDATES", 2)
    answers = cite(conn, quote)
    assert [(a["status"], a["document"]) for a in answers] == [("current", oldest)]
    assert answers[0]["match"]["kind"] == "exact"
    # a quote every copy holds is answered in each copy the candidates hold (two, here)
    shared = cite(conn, PARAGRAPHS[2])
    assert len(shared) == 2 and {a["status"] for a in shared} == {"current"}


def test_a_quote_no_passage_holds_whole_is_still_checked_against_every_candidate(tmp_path):
    """A changed word (here a typo) leaves no passage with every word of the quote: the second round reads every
    candidate, as the check did before it had a first round, and finds the nearest wording."""
    conn = _kb(tmp_path)
    quote = PARAGRAPHS[1].format(n=103).replace("refund the buyer", "refund teh buyer")
    assert not candidates.every_word_passages(conn, quote, candidates.unindexed(conn)).versions
    answers = cite(conn, quote)
    assert answers[0]["status"] == "not_found"
    closest = answers[0]["closest"]
    assert closest and closest["document"] == "moved/site103" and "refund the buyer" in closest["wording"]


def test_a_one_digit_number_and_a_link_in_the_quote_still_name_the_copy(tmp_path, monkeypatch):
    """A copy named by a number of one or two digits (``site 3``), in a quote pasted with a link's Markdown: the
    index holds neither the link's target (its URL's words) nor words under three letters, yet the number
    picks the copy out of those holding every other word."""
    conn = _kb(tmp_path, sites=(1, 2, 3, 4), paragraphs=(PARAGRAPHS[0], LINKED))
    oldest = conn.execute("select document_id from versions order by rowid limit 1").fetchone()[0]
    text = conn.execute("select text_markdown from versions order by rowid limit 1").fetchone()[0]
    quote = next(line for line in text.splitlines() if line.startswith("Fees for site"))
    assert "](https://seller.moved.example/help/fee-schedule)" in quote  # pasted with the link, as stored
    monkeypatch.setattr(candidates, "MAX_CANDIDATES", 1)
    answers = cite(conn, quote)
    assert [(a["status"], a["document"]) for a in answers] == [("current", oldest)]


def test_a_check_limited_to_a_platform_takes_its_candidates_among_that_platforms_versions(tmp_path, monkeypatch):
    """Another platform's copies of the same text, crawled later, are the KB's newest versions: a check limited
    to the first platform still reads that platform's own (before, the pool was cut to ``MAX_CANDIDATES`` among
    the whole KB's versions and then filtered: one answer here, "not found" when the newest are all another's)."""
    pages = {f"returns-{n}": ("<html><body><main id='policy'><h1>Returns</h1>"
                              + "".join(f"<p>{p.format(n=n)}</p>" for p in PARAGRAPHS) + "</main></body></html>", None)
             for n in (1, 2, 3)}
    site, sources = moved_site(tmp_path, pages, {f"site{n}": (f"returns-{n}", "returns") for n in (1, 2, 3)})
    declared = ""
    for n in (4, 5, 6):  # the same policy on another platform's site, first captured after the first crawl
        folder = site / "seller.other.example" / "help" / f"returns-{n}"
        folder.mkdir(parents=True)
        (folder / "2026-02-15.html").write_text(pages["returns-1"][0].replace("Marketplace 1 ", f"Marketplace {n} "))
        declared += (f"  - id: site{n}\n    title: Site {n}\n    url: https://seller.other.example/help/returns-{n}\n"
                     "    locale: en-US\n    type: returns\n    select: ['#policy']\n")
    (sources / "other.yml").write_text(
        "platform: other\nname: Other\nhomepage: https://seller.other.example/\ndocuments:\n" + declared)
    data = kbfactory.build_kb(tmp_path / "data", ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"), sources, site)
    conn = sqlite3.connect(data / "policykb.db")
    newest = [d for (d,) in conn.execute("select document_id from versions order by rowid desc limit 3")]
    assert all(d.startswith("other/") for d in newest)
    monkeypatch.setattr(candidates, "MAX_CANDIDATES", 2)
    answers = cite(conn, PARAGRAPHS[2], platform="moved")
    assert len(answers) == 2 and {a["status"] for a in answers} == {"current"}
    assert all(a["document"].startswith("moved/") for a in answers)
