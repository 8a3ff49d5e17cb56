"""The watch list of citations (issue 16): saved in the KB, checked again by every build, alerts, the web page,
and W3C Web Annotation export/import.

The demo help centre is built at its first date, citations are saved through the CLI, then the later dates
are built: what the demo rewords, removes or re-dates (``EXPECTED.yml``) must show in each citation's state
and in the alerts.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

import kbfactory
from conftest import DEMO_SOURCES, policykb, rows
from kb.cite.watchlist import ANNO_CONTEXT, annotation_problems
from kb.cli import cli

APPEALS_SENTENCE = "商家应当确保所提交的申诉材料真实有效"  # kuajing/appeals: unchanged, its 生效日期 re-stated


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def saved(data) -> dict[int, dict]:
    result = run("citations", "list", "--data", data, "--json")
    assert result.exit_code == 0, result.output
    return {c["id"]: c for c in map(json.loads, result.output.splitlines())}


def open_alerts(data) -> dict[str, set]:
    found = {}
    for r in rows(data / "policykb.db", "select kind, subject from alerts where state = 'open'"):
        found.setdefault(r["subject"], set()).add(r["kind"])
    return found


def first_sentence(data, document_id, min_len=60) -> str:
    text = rows(data / "policykb.db", "select text_markdown from versions where document_id = ? and seq = 1",
                [document_id])[0]["text_markdown"]
    return next(s.strip() for s in re.split(r"(?<=\.)\s+|\n", text)
                if len(s.strip()) >= min_len and not re.search(r"[#*\[\]|]", s))


def add(data, quote, *extra) -> int:
    result = run("citations", "add", quote, "--data", data, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["id"]


@pytest.fixture(scope="module")
def watched(tmp_path_factory, expected):
    """The demo built at its first date, six citations saved, then the other dates built."""
    data = tmp_path_factory.mktemp("citations") / "data"
    first, *later = expected["dates"]
    kbfactory.build_kb(data, [first])
    docs = expected["documents"]
    ids = {
        "changed_en": add(data, docs["demomart/account-health"]["changes"]["2026-04-01"]["removed"][0],
                          "--label", "Client A 客户甲"),
        "changed_zh": add(data, docs["kuajing/ip-infringement"]["changes"]["2026-07-01"]["removed"][0],
                          "--platform", "kuajing"),
        "removed": add(data, first_sentence(data, "demomart/prohibited-products")),
        "effective": add(data, APPEALS_SENTENCE),
        "current": add(data, first_sentence(data, "demomart/appeals"), "--label", "<script>x</script>"),
    }
    before = saved(data)
    kbfactory.build_kb(data, later)
    return data, ids, before


def test_saved_citations_start_current_with_their_selectors(watched):
    data, ids, before = watched
    for c in before.values():
        assert c["state"] == "current" and c["version_seq"] == 1
        assert c["exact"] and 0 <= c["start"] < c["end"] and c["end"] - c["start"] == len(c["exact"])
    assert before[ids["changed_en"]]["label"] == "Client A 客户甲"


def test_a_reworded_sentence_goes_to_changed_with_an_alert(watched, expected):
    data, ids, _ = watched
    now = saved(data)
    for key, doc, date in (("changed_en", "demomart/account-health", "2026-04-01"),
                           ("changed_zh", "kuajing/ip-infringement", "2026-07-01")):
        c = now[ids[key]]
        spec = expected["documents"][doc]["changes"][date]
        assert c["state"] == "changed" and c["changed_at"][:10] == date
        assert any(phrase in c["now_wording"] for phrase in spec["added"])
        assert open_alerts(data)[f"citation/{c['id']}"] == {"citation_changed"}


def test_a_removed_page_goes_to_removed_with_an_alert(watched, expected):
    data, ids, _ = watched
    c = saved(data)[ids["removed"]]
    assert c["state"] == "removed" and c["changed_at"][:10] == expected["documents"]["demomart/prohibited-products"]["gone"]
    assert open_alerts(data)[f"citation/{c['id']}"] == {"citation_removed"}


def test_a_new_effective_date_for_its_section_alerts(watched, expected):
    data, ids, _ = watched
    c = saved(data)[ids["effective"]]
    effective = expected["documents"]["kuajing/appeals"]["effective"]
    assert c["state"] == "current"
    assert (c["effective_date"], c["now_effective_date"]) == (effective["2026-01-15"], effective["2026-04-01"])
    assert open_alerts(data)[f"citation/{c['id']}"] == {"citation_effective"}
    out = run("citations", "list", "--data", data).output
    assert f"new effective date 新生效日期: {effective['2026-04-01']}" in out


def test_an_unchanged_citation_stays_current_without_alert(watched):
    data, ids, _ = watched
    c = saved(data)[ids["current"]]
    assert c["state"] == "current" and c["now_section_key"] == c["section_key"]
    assert f"citation/{c['id']}" not in open_alerts(data)


def test_removing_a_citation_resolves_its_alert_and_check_rechecks_all(watched, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(watched[0], data)
    cid = watched[1]["changed_en"]
    assert run("citations", "remove", cid, "--data", data).exit_code == 0
    result = run("citations", "check", "--data", data, "--json")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == len(watched[1]) - 1
    assert f"citation/{cid}" not in open_alerts(data)


def test_export_import_round_trip_keeps_selectors(watched, demo_copy, tmp_path):
    data = watched[0]
    out = tmp_path / "citations.jsonld"
    assert run("citations", "export", "--data", data, "-o", out, "--base-url", "https://kb.example").exit_code == 0
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["@context"] == ANNO_CONTEXT and collection["type"] == "AnnotationCollection"
    items = collection["first"]["items"]
    assert collection["total"] == len(items) == len(watched[1])
    for a in items:
        # the data model's required fields, checked here by hand as well as by the validator
        assert a["type"] == "Annotation" and a["id"].startswith("urn:uuid:")
        target = a["target"]
        assert re.fullmatch(r"https://kb\.example/-/policykb/doc/[a-z-]+/[a-z-]+/v/\d+", target["source"])
        quote, position = target["selector"]
        assert quote["type"] == "TextQuoteSelector" and {"exact", "prefix", "suffix"} <= set(quote)
        assert position["type"] == "TextPositionSelector" and position["end"] - position["start"] == len(quote["exact"])
        assert annotation_problems({"@context": ANNO_CONTEXT, **a}) == []
    result = run("citations", "import", out, "--data", demo_copy)
    assert result.exit_code == 0, result.output
    again = json.loads(run("citations", "export", "--data", demo_copy, "--base-url", "https://kb.example").output)
    assert again["first"]["items"] == items
    result = run("citations", "import", out, "--data", demo_copy)  # already saved: left alone
    assert result.exit_code == 0 and f"{len(items)} already saved" in result.output
    states = {c["uri"]: c["state"] for c in saved(demo_copy).values()}
    assert states == {c["uri"]: c["state"] for c in saved(data).values()}


def test_bad_annotations_are_refused_before_anything_is_saved(demo_copy, tmp_path):
    bad = tmp_path / "bad.json"
    for doc, why in (([{"@context": ANNO_CONTEXT, "id": "urn:x", "type": "Annotation"}], "target"),
                     ({"@context": ANNO_CONTEXT, "id": "urn:y", "type": "Annotation",
                       "target": {"source": "https://kb.example/-/policykb/doc/demomart/appeals/v/1",
                                  "selector": {"type": "TextPositionSelector", "start": 5, "end": 2}}}, "exact"),
                     ({"@context": ANNO_CONTEXT, "id": "urn:z", "type": "Annotation",
                       "target": {"source": "https://kb.example/-/policykb/doc/demomart/appeals/v/99",
                                  "selector": {"type": "TextQuoteSelector", "exact": "sellers may appeal"}}},
                      "no version 99")):
        bad.write_text(json.dumps(doc), encoding="utf-8")
        result = run("citations", "import", bad, "--data", demo_copy)
        assert result.exit_code == 2 and why in result.output
    assert saved(demo_copy) == {}


@pytest.mark.parametrize("args, words", [
    (["citations", "add", "Sellers must keep their late shipment rate", "--label", " "], "--label"),
    (["citations", "add", "Sellers must keep their late shipment rate", "--platform", "nope"], "--platform"),
    (["citations", "add", "late rate"], "too short"),
    (["citations", "add", "Sellers must keep their late shipment rate", "--url", "nope/nope"], "--url nope/nope"),
    (["citations", "remove", "abc"], "ID"),
    (["citations", "remove", "0"], "ID"),
    (["citations", "remove", "9999"], "no citation 9999"),
    (["citations", "export", "--base-url", "ftp://x"], "--base-url"),
    (["citations", "import", "/nonexistent/file.json"], "cannot read"),
])
def test_every_option_is_validated_in_one_line(demo_kb, args, words):
    result = policykb(*args, "--data", demo_kb, check=False)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith("error: ")
    assert re.search(r"[\u4e00-\u9fff]", lines[0])  # English, then Chinese


def test_a_quote_found_nowhere_is_not_saved(demo_copy):
    result = policykb("citations", "add", "this sentence is in none of the demo help pages at all", "--data",
                      demo_copy, check=False)
    assert result.returncode == 1 and "nothing saved" in result.stderr
    assert saved(demo_copy) == {}


def test_citations_survive_rebuild(watched, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(watched[0], data)
    before = saved(data)
    policykb("rebuild", "--data", data, "--sources", DEMO_SOURCES)
    after = saved(data)
    keep = ("uri", "exact", "prefix", "suffix", "start", "end", "state", "label", "now_effective_date")
    assert {i: {k: c[k] for k in keep} for i, c in after.items()} == {i: {k: c[k] for k in keep}
                                                                      for i, c in before.items()}


@pytest.mark.asyncio
async def test_web_page_lists_each_citation_with_its_state_in_both_languages(watched):
    data, ids, _ = watched
    ds = Datasette([str(data / "policykb.db")])
    states = {c["id"]: c["state"] for c in saved(data).values()}
    for lang, changed, removed in (("zh", "修改 changed", "删除 removed"), ("en", "changed 修改", "removed 删除")):
        page = await ds.client.get(f"/-/policykb/citations?hl={lang}")
        assert page.status_code == 200
        for cid, state in states.items():
            assert f'data-citation="{cid}" data-state="{state}"' in page.text
        assert changed in page.text and removed in page.text
    assert "<script>x</script>" not in page.text and "&lt;script&gt;x&lt;/script&gt;" in page.text
    post = await ds.client.post("/-/policykb/citations")
    assert post.status_code == 405
    home = await ds.client.get("/?hl=en")
    assert 'href="/-/policykb/citations"' in home.text


# --- re-anchoring: the wording copied elsewhere, a sentence moved to another section ----------------------

PAGE = """<html><head><title>Messaging Policy</title></head><body><div id="policy">
<h1>Messaging Policy</h1>
<h2>1. Response times</h2>
<p>Buyers expect quick answers from every seller on the marketplace.{copy}</p>
<h2>2. Buyer messages</h2>
<p>Keep every message polite and factual. Sellers must reply to buyer messages within 48 hours of receipt.
Messages are kept for two years.</p>
<h2>3. Attachments</h2>
<p>Attachments may be images or PDF files of at most 10 MB.{moved}</p>
</div></body></html>
"""
COPIED = "Sellers must reply to buyer messages within 48 hours of receipt"
MOVER = "Messages are kept for two years."


@pytest.fixture(scope="module")
def messaging_kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("citations-site")
    site, sources, data = root / "site", root / "sources", root / "data"
    page = site / "seller.watchtest.example" / "policies" / "messaging"
    page.mkdir(parents=True)
    (page / "2026-01-10.html").write_text(PAGE.format(copy="", moved=""), encoding="utf-8")
    # v2: the cited sentence also stands in section 1 now (section 2 keeps it)
    (page / "2026-02-10.html").write_text(PAGE.format(copy=f" {COPIED}, as a rule.", moved=""), encoding="utf-8")
    # v3: another cited sentence moved from section 2 to section 3
    (page / "2026-03-10.html").write_text(PAGE.format(copy=f" {COPIED}, as a rule.", moved=f" {MOVER}")
                                          .replace(f"\n{MOVER}</p>", "</p>"), encoding="utf-8")
    sources.mkdir()
    (sources / "watchtest.yml").write_text(
        "platform: watchtest\nname: WatchTest Market\nhomepage: https://seller.watchtest.example/\n"
        "documents:\n  - id: messaging\n    title: Messaging Policy\n"
        "    url: https://seller.watchtest.example/policies/messaging\n    locale: en-US\n    type: other\n"
        "    select: ['#policy']\n", encoding="utf-8")
    kbfactory.build_kb(data, ["2026-01-10"], sources, site)
    ids = {"copied": add(data, COPIED), "mover": add(data, MOVER)}
    kbfactory.build_kb(data, ["2026-02-10"], sources, site)
    after_copy = saved(data)
    kbfactory.build_kb(data, ["2026-03-10"], sources, site)
    return data, ids, after_copy


def test_a_copy_elsewhere_does_not_move_the_citation(messaging_kb):
    """The wording now stands in section 1 too: the prefix and suffix keep the citation in section 2."""
    data, ids, after_copy = messaging_kb
    c = after_copy[ids["copied"]]
    assert c["section_key"] == c["now_section_key"] and c["state"] == "current"
    assert len(rows(data / "policykb.db", "select id from versions")) == 3


def test_a_sentence_moved_to_another_section_alerts(messaging_kb):
    data, ids, _ = messaging_kb
    c = saved(data)[ids["mover"]]
    assert c["state"] == "moved" and c["now_section_key"] != c["section_key"]
    assert "3" in c["now_section"] and "2" in c["section"]
    assert open_alerts(data)[f"citation/{c['id']}"] == {"citation_moved"}
    assert saved(data)[ids["copied"]]["state"] == "current"


def test_citation_alerts_go_out_through_the_alert_channels(watched, tmp_path, monkeypatch):
    """The alerts of the watch list are sent like every alert (here to an alert command, JSON on stdin)."""
    data = tmp_path / "data"
    shutil.copytree(watched[0], data)
    sink = tmp_path / "sent.jsonl"
    monkeypatch.setenv("POLICYKB_ALERT_COMMAND", f"cat >> {sink}; echo >> {sink}")
    policykb("citations", "check", "--data", data)
    sent = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines() if line.strip()]
    kinds = {(a["kind"], a["subject"]) for a in sent}
    ids = watched[1]
    assert ("citation_changed", f"citation/{ids['changed_zh']}") in kinds
    assert ("citation_removed", f"citation/{ids['removed']}") in kinds
    assert ("citation_effective", f"citation/{ids['effective']}") in kinds
    assert not any(s == f"citation/{ids['current']}" for _, s in kinds)
    zh = next(a for a in sent if a["subject"] == f"citation/{ids['changed_zh']}")
    assert "引用的条款已于" in zh["message"] and zh["details"]["state"] == "changed"
